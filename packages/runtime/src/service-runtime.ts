import { randomUUID } from 'node:crypto';
import { type Bus, type BusConsumer, type ConsumerOptions, createBus } from '@petition/bus';
import type { UnitEvent } from '@petition/contract';
import { type Directory, nationalDirectory } from '@petition/directory';
import { followDirectory } from '@petition/directory-feed';
import type { Logger } from '@petition/logging';
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import type { Registry } from 'prom-client';
import { createBusMetrics } from './bus-metrics.ts';
import { busSettings, type ConnectionConfig, connectRedis } from './connections.ts';
import { watchEpoch } from './epoch-watch.ts';
import { addHttpMetrics } from './http-metrics.ts';
import { addHttpTracing } from './http-tracing.ts';
import { type Checks, createRegistry, listenOps } from './ops-server.ts';
import { traceRedis } from './redis-tracing.ts';
import { repeat } from './repeat.ts';
import type { RuntimeConfig } from './runtime-config.ts';
import { createSerialQueue, type SerialQueue } from './serial-queue.ts';
import { createShutdown, type ShutdownPhase } from './shutdown.ts';

// The skeleton every service starts from: the bus (topics made), Redis connections, the unit directory kept
// current from the `units` topic, the metrics registry and the operators' server, and one ordered
// shutdown for all of it (shutdown.ts). A service's app.ts adds only its own wiring.

/** What a service's start function takes besides its configuration: tests and its process set these. */
export interface ServiceHooks {
  /** The clock (tests and the simulator shift it); the real time when omitted. */
  readonly now?: () => Date;
  /** Its Redis keys were flushed and it cannot rebuild in place: its process exits for a restart. */
  readonly onEpochLost?: () => void;
}

export interface RuntimeOptions {
  /** The service's name: its logs, client ids and consumer groups carry it. */
  readonly service: string;
  readonly config: Pick<RuntimeConfig, 'brokers' | 'topicPrefix' | 'topicPartitions' | 'redisUrl'> &
    Partial<Pick<RuntimeConfig, 'kafkaClient'> & ConnectionConfig>;
  readonly logger: Logger;
  /** The topics it reads or writes, created where missing. */
  readonly topics: readonly { readonly name: string; readonly compacted?: boolean }[];
}

export interface Runtime {
  readonly service: string;
  /** This process among the service's instances (new at every start); its own consumer groups carry it. */
  readonly instance: string;
  readonly logger: Logger;
  readonly bus: Bus;
  readonly registry: Registry;
  /** The unit directory built from the administrative divisions; `followDirectory` keeps it current. */
  readonly directory: Directory;
  /** True once closing has begun: /readyz says not ready, loops stop. */
  readonly closing: boolean;
  /** A Redis connection of its own (connected), closed after everything else. */
  connectRedis(): Promise<Redis>;
  /** A consumer of the bus, stopped in the shutdown's consumers phase. */
  consumer(options: ConsumerOptions): BusConsumer;
  /**
   * The consumer keeping `directory` current from the `units` topic (every record from the beginning, in a
   * group of this instance's own), not yet started.
   */
  followDirectory(options?: { onApplied?: (event: UnitEvent) => void | Promise<void> }): BusConsumer;
  /** A serial queue (serial-queue.ts), drained in the shutdown's work phase. */
  serialQueue(): SerialQueue;
  /**
   * Runs `round` again and again (repeat.ts), stopped when closing begins, its round in hand awaited; not
   * started once closing has begun.
   */
  repeat(name: string, round: () => Promise<boolean>, everyMs: number): void;
  /** Watches the epoch of the keys under `prefix` (epoch-watch.ts), stopped when closing begins. */
  watchEpoch(o: Omit<Parameters<typeof watchEpoch>[0], 'logger'>): void;
  /** Listens with an API server, closed (requests in flight finish) when closing begins. */
  listen(app: FastifyInstance, at: { port: number; host: string }): Promise<string>;
  /** The operators' server (/healthz, /readyz with `checks`, /metrics and `extra`), closed when closing begins. */
  listenOps(o: {
    port: number;
    host: string;
    checks?: Checks;
    extra?: (app: FastifyInstance) => void | Promise<void>;
  }): Promise<string>;
  /** Readiness: the broker answers, Redis answers (when connected), not closing; and the service's own. */
  readonly checks: (own?: Checks) => () => Promise<Record<string, boolean>>;
  /** Adds a step to the shutdown. */
  onClose(phase: ShutdownPhase, name: string, step: () => Promise<unknown> | unknown): void;
  /** Stops it all in order (shutdown.ts); once. */
  close(): Promise<void>;
}

/**
 * True when every refusal in `err` is the broker saying that a topic asked for exists (@platformatic/kafka
 * throws those, each a ProtocolError with `apiId`; kafkajs takes them as made and throws nothing).
 */
function refusedAsExisting(err: unknown): boolean {
  const refusals: unknown[] = [];
  const collect = (e: unknown) => {
    if (e instanceof AggregateError) for (const inner of e.errors) collect(inner);
    else refusals.push(e);
  };
  collect(err);
  return refusals.length > 0 && refusals.every((e) => (e as { apiId?: unknown }).apiId === 'TOPIC_ALREADY_EXISTS');
}

/**
 * Makes the topics the service misses. Services starting together on a fresh prefix (a new deployment, each
 * run of the fault proof) all miss them and ask at once: the broker makes each topic for the first asking and
 * refuses it to the others as existing, and a service that let that through exited 1 at start. A refused
 * service asks again until its listing shows those topics (on a broker just started that took ~10 s) and it
 * asks only for what is still missing; any other failure stops the start at once, and so does this one after
 * a minute.
 */
async function makeMissingTopics(bus: Bus, topics: RuntimeOptions['topics'], partitions: number, logger: Logger) {
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      return await bus.ensureTopics(topics, { partitions });
    } catch (err) {
      if (!refusedAsExisting(err) || Date.now() > deadline) throw err;
      logger.info('topics made by another service at once are not listed yet; asking again');
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
}

/** Connects the bus (waiting for the broker) and creates the topics; the rest is made as the service asks. */
export async function startRuntime(o: RuntimeOptions): Promise<Runtime> {
  const { service, config, logger } = o;
  const instance = randomUUID().slice(0, 8);
  const bus = createBus({
    brokers: config.brokers,
    clientId: `${service}-${instance}`,
    logger,
    topicPrefix: config.topicPrefix,
    client: config.kafkaClient,
    ...busSettings(config),
  });
  if (config.kafkaTlsRejectUnauthorized === false && config.kafkaSecurityProtocol?.endsWith('SSL')) {
    logger.warn('KAFKA_TLS_REJECT_UNAUTHORIZED=false: the brokers’ certificates are not verified');
  }
  await bus.waitUntilReady();
  await makeMissingTopics(bus, o.topics, config.topicPartitions, logger);
  const registry = createRegistry();
  const busMetrics = createBusMetrics({ bus, registry, logger });
  const shutdown = createShutdown(logger);
  const redisConnections: Redis[] = [];
  let directory: Directory | undefined;
  let closing = false;
  let stopped: Promise<void> | undefined;

  const closeRedis = async (redis: Redis) => {
    const ended = new Promise((resolve) => (redis.status === 'end' ? resolve(undefined) : redis.once('end', resolve)));
    const atMost = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms).unref());
    // QUIT lets the replies in flight arrive; a connection that cannot take it is dropped.
    await Promise.race([redis.quit().catch(() => undefined), atMost(2_000)]);
    redis.disconnect();
    await Promise.race([ended, atMost(2_000)]);
  };
  const checks = (own?: Checks) => async (): Promise<Record<string, boolean>> => {
    const [broker, redis, mine] = await Promise.all([
      bus.waitUntilReady(2_000).then(
        () => true,
        () => false,
      ),
      redisConnections[0]?.ping().then(
        (r) => r === 'PONG',
        () => false,
      ),
      own?.(),
    ]);
    return { broker, ...(redis === undefined ? {} : { redis }), ...mine, accepting: !closing };
  };

  const runtime: Runtime = {
    service,
    instance,
    logger,
    bus,
    registry,
    get directory() {
      if (!directory) {
        const started = performance.now();
        directory = nationalDirectory();
        logger.info({ units: directory.size, ms: Math.round(performance.now() - started) }, 'directory built');
      }
      return directory;
    },
    get closing() {
      return closing;
    },
    async connectRedis() {
      const redis = await connectRedis(config);
      redisConnections.push(redis);
      shutdown.on('connections', 'redis', () => closeRedis(redis));
      return traceRedis(redis, service);
    },
    consumer(options) {
      const consumer = bus.consumer(options);
      busMetrics.watch(consumer, options);
      shutdown.on('consumers', options.groupId, () => consumer.stop());
      return consumer;
    },
    followDirectory(options = {}) {
      const consumer = followDirectory(bus, runtime.directory, {
        groupId: `${service}-directory-${instance}`,
        logger,
        onApplied: options.onApplied,
      });
      shutdown.on('consumers', 'directory', () => consumer.stop());
      return consumer;
    },
    serialQueue() {
      const queue = createSerialQueue();
      shutdown.on('work', 'serial queue', () => queue.drained());
      return queue;
    },
    repeat(name, round, everyMs) {
      if (closing) return;
      const repeating = repeat(name, round, { everyMs, logger });
      let stopped: Promise<void> | undefined;
      // Stopped with the intake (no new round), awaited with the work in flight (the round in hand).
      shutdown.on('intake', name, () => {
        stopped = repeating.stop();
      });
      shutdown.on('work', name, () => stopped);
    },
    watchEpoch(o) {
      const watch = watchEpoch({ ...o, logger });
      shutdown.on('intake', 'epoch watch', () => watch.stop());
    },
    async listen(app, at) {
      addHttpMetrics(app, registry);
      addHttpTracing(app, service);
      const url = await app.listen(at);
      shutdown.on('intake', `http ${url}`, () => app.close());
      return url;
    },
    async listenOps(ops) {
      const server = await listenOps({ ...ops, registry, checks: ops.checks ?? checks() });
      shutdown.on('intake', 'operators’ server', () => server.close());
      return server.url;
    },
    checks,
    onClose: (phase, name, step) => shutdown.on(phase, name, step),
    close() {
      closing = true;
      stopped ??= shutdown.run().then(() => logger.info(`${service} stopped`));
      return stopped;
    },
  };
  // The producer goes once consumers and work in flight no longer need it; consumers a service made on
  // the bus itself stop there too.
  shutdown.on('bus', 'bus', () => bus.close());
  return runtime;
}
