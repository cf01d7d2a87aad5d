export { dockerEngineAnswers } from './docker.ts';
export { ensureBroker, type Infra, infraDown, infraUp } from './infra.ts';
export { type InfraConfig, infraSchema, loadInfraConfig } from './infra-config.ts';
export { ensureKafkaJars, pinnedKafkaVersion } from './kafka-jars.ts';
export {
  type LocalKafka,
  type LocalKafkaOptions,
  startLocalKafka,
  stopLocalKafka,
  wipeLocalKafka,
} from './local-kafka.ts';
export {
  ensureMirrorMakerJars,
  type MirrorFlow,
  type MirrorMaker,
  type MirrorMakerConfigOptions,
  type MirrorMakerJars,
  type MirrorMakerOptions,
  pinnedMirrorMakerVersion,
  renderMirrorMakerConfig,
  startMirrorMaker,
} from './mirror-maker.ts';
export { ensureNodeKeys, type NodeKeys } from './node-keys.ts';
export { localDir, workspaceRoot } from './paths.ts';
export {
  type CertificateAuthority,
  ensureCertificateAuthority,
  type SecureListener,
  secureListenerMechanisms,
} from './secure-listener.ts';
