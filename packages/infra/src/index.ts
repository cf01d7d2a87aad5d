// REDIS_URL as the tools print it: without its password.
export { redisUrlForLogs } from '@petition/runtime';
export { redisContainerName, startContainerRedis } from './container-redis.ts';
export { dockerEngineAnswers } from './docker.ts';
export { ensureBroker, ensureRedisFor, type Infra, infraDown, infraUp, redisDown } from './infra.ts';
export { type InfraConfig, infraSchema, loadInfraConfig } from './infra-config.ts';
export { ensureKafkaJars, pinnedKafkaVersion } from './kafka-jars.ts';
export {
  type LocalKafka,
  type LocalKafkaOptions,
  localKafkaPid,
  startLocalKafka,
  stopLocalKafka,
  wipeLocalKafka,
} from './local-kafka.ts';
export {
  ensureRedis,
  type LocalRedis,
  localRedisPid,
  localRedisPort,
  type RedisSource,
  redisSource,
  stopLocalRedis,
} from './local-redis.ts';
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
export { type SupervisedInfra, type SuperviseOptions, startSupervisedInfra } from './supervise.ts';
