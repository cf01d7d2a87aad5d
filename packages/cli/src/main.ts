#!/usr/bin/env node
// The `petition` operator CLI of a node (`npm run petition -- <command>`, or the `petition` bin of
// @petition/cli): see run.ts for the commands, README "Operating a node: the petition CLI".
import { processIo } from './io.ts';
import { run } from './run.ts';

const code = await run(process.argv.slice(2), processIo);
process.exitCode = code;
// The bus and Redis are closed by now; should a client library still hold a handle, the CLI ends anyway.
setTimeout(() => process.exit(code), 2_000).unref();
