export { RedriveHeader } from './dlq.ts';
export { capturedIo, type Io, processIo } from './io.ts';
export { isRebuildable, rebuildableServices, serviceEpochKey, serviceKeyspaces } from './rebuild.ts';
export { run } from './run.ts';
export {
  describeStaffToken,
  type IssuedStaffToken,
  issueStaffToken,
  type StaffTokenRequest,
  StaffTokenRequestError,
  type StaffTokenRequestErrorCode,
  staffTokenRequestErrorCodes,
} from './staff-token.ts';
