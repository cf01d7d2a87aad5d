export { createReadPositions, type Offsets, type ReadPositions, reached, untilCommitted } from './catch-up.ts';
export { CauseNotYetReadError, type CauseReader, causeRetry, untilCauseRead } from './causal-order.ts';
export {
  busSettings,
  type ConnectionConfig,
  checkConnections,
  connectionProblems,
  connectRedis,
  pemFile,
  RedisConnectError,
  type RedisConnectErrorCode,
  redisConnectErrorCodes,
  redisOptions,
  redisUrlForLogs,
} from './connections.ts';
export { epochHolds, epochKey, indexEpoch } from './epoch.ts';
export { claimEpochGroups, type EpochGroup, epochGroupKeys, rewoundFrom } from './epoch-groups.ts';
export { type EpochWatch, watchEpoch } from './epoch-watch.ts';
export { WriteBatch, writeWhileEpochHolds } from './guarded-write.ts';
export {
  answerClientError,
  answerProblems,
  createApiServer,
  type FieldProblem,
  frameworkProblem,
  type HttpProblemCode,
  httpProblem,
  httpProblems,
  invalidParameters,
  maxParamLength,
  type Problem,
  type ProblemCatalogue,
  ProblemError,
  type ProblemSpec,
  problem,
  problemCatalogue,
  problemServerOptions,
  problemType,
  type SchemaFinding,
  schemaFindings,
  sendProblem,
} from './http-problems.ts';
export { deleteLeftInstanceGroups, leftInstanceGroups } from './instance-groups.ts';
export { addHealthRoutes, addOpsAction, addOpsRoutes, type Checks, createRegistry, listenOps } from './ops-server.ts';
export { deleteOrphanGroups, type OrphanGroups, orphanGroups } from './orphan-groups.ts';
export { configOrExit, processExit, restartToRebuild } from './process-exit.ts';
export { type Repeating, repeat } from './repeat.ts';
export { runService } from './run-service.ts';
export { loadRuntimeConfig, type RuntimeConfig, runtimeSchema } from './runtime-config.ts';
export { applySecurityHeaders, docsPolicy, pagePolicy, secureHeaders, securityHeaders } from './secure-headers.ts';
export { createSerialQueue, type SerialQueue } from './serial-queue.ts';
export { type Runtime, type RuntimeOptions, type ServiceHooks, startRuntime } from './service-runtime.ts';
export { createShutdown, type Shutdown, type ShutdownPhase, shutdownPhases } from './shutdown.ts';
export { createStateReader, type StateReader } from './state-reader.ts';
