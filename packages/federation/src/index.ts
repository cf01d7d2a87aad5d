export {
  type FederationConfig,
  federationFrom,
  federationSchema,
  federationSpecFrom,
  membershipSchema,
  recordSignerFrom,
} from './config.ts';
export { FederationError, type FederationErrorCode, federationCatalogue } from './errors.ts';
export {
  type CaseWriter,
  createFederation,
  type Federation,
  type FederationNode,
  type FederationSpec,
  singleNode,
} from './federation.ts';
export {
  handedOffEvent,
  handoffCommandKind,
  handoffIdOf,
  handoffOf,
  handoffRefusalEvent,
  type ReceiverView,
  type Reception,
  type ReplicaFit,
  receiveHandoff,
  refusedEvent,
  replicaFit,
} from './handoff.ts';
export {
  createRecordSigner,
  createRecordVerifier,
  type RecordSigner,
  type RecordVerifier,
  signatureHeader,
  signingKeyHeader,
} from './signing.ts';
