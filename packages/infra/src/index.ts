export { dockerEngineAnswers } from './docker.ts';
export { epochHolds, epochKey, execWhileEpochHolds, indexEpoch } from './epoch.ts';
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
export { ensureNodeKeys, type NodeKeys } from './node-keys.ts';
export { localDir, workspaceRoot } from './paths.ts';
