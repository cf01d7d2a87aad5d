// Every test process trusts the staff tokens it signs itself: a key made once per process by
// @petition/testing, whose public half is put in this process's environment before any test runs, so that
// each service a test starts (in process, or as a child given process.env) verifies testToken()'s tokens.
// The services a test starts as processes run on the development secrets published in the repository.
import { testStaffEnv } from '@petition/testing';

Object.assign(process.env, testStaffEnv(), { ALLOW_DEVELOPMENT_SECRETS: 'true' });
