// Three nodes of the federation in one test process: each its own real broker (the national node on the
// run's broker, the provinces on brokers started here from the Maven Central jars), its own Redis database,
// its own key and its own services, with real MirrorMaker 2 carrying the links between the brokers.
// Used by test/federation.test.ts; `npm start -- --nodes` and `npm run bench -- nodes` lay out the same
// way (scripts/nodes.ts).
import { generateNodeKey, type JWK } from '@petition/auth';
import { createBus, isolatedPrefix, units } from '@petition/bus';
import type { UnitEvent } from '@petition/contract';
import { loadWatchdogConfig, startWatchdog, type Watchdog } from '@petition/deadline-watchdog';
import { nationalNodeId } from '@petition/directory';
import { localDir, type MirrorMaker, pinnedKafkaVersion, startMirrorMaker, wipeLocalKafka } from '@petition/infra';
import { type Intake, loadIntakeConfig, startIntake } from '@petition/intake';
import { createLogger, type Logger } from '@petition/logging';
import { loadRoutingConfig, type Routing, startRouting } from '@petition/routing';
import { loadTrackingConfig, startTracking, type Tracking } from '@petition/tracking';
import { oneClientLoadEnv } from '../scripts/network.ts';
import {
  federationDocument,
  type LocalNode,
  mirrorFlows,
  nodeEnv,
  nodePorts,
  startNodeBroker,
  stopNodeBroker,
} from '../scripts/nodes.ts';

export interface NodeSpec {
  readonly id: string;
  /** ROUTING_ROUTE_MODES of this node, e.g. `64=manual`. */
  readonly routeModes?: string;
  readonly watchdog?: boolean;
  /** Directory changes this node knows of before its services start (its own `units` topic). */
  readonly directoryChanges?: readonly UnitEvent[];
}

export interface RunningNode extends LocalNode {
  readonly env: NodeJS.ProcessEnv;
  routing: Routing;
  intake: Intake;
  tracking: Tracking;
  watchdog?: Watchdog;
  readonly logger: Logger;
  /** Restarts this node's routing (after its broker came back, say). */
  restartRouting(): Promise<void>;
}

const brokerPortBase = 19_300;
const kafka = { version: pinnedKafkaVersion(), heapMb: 512, startTimeoutMs: 120_000 };

export async function startTestFederation(label: string, specs: readonly NodeSpec[]) {
  const logger = createLogger({ service: `federation-${label}`, level: process.env.LOG_LEVEL ?? 'warn' });
  const prefix = isolatedPrefix(`fed-${label}`);
  const redisBase = (process.env.REDIS_URL ?? 'redis://127.0.0.1:6379').replace(/\/\d+$/, '');
  const layouts: LocalNode[] = specs.map((spec, index) => {
    const kafkaPort = brokerPortBase + index * 10;
    const national = spec.id === nationalNodeId;
    return {
      id: spec.id,
      kafkaPort,
      controllerPort: kafkaPort + 1,
      // The national node is the run's broker; each province gets a broker of its own.
      brokers: national ? (process.env.KAFKA_BROKERS ?? '').split(',') : [`localhost:${kafkaPort}`],
      redisUrl: `${redisBase}/${11 + index}`,
      ports: { ...nodePorts(0, index), grpc: 0 },
      privateJwk: generateNodeKey(`test-${spec.id}-${prefix}`).privateJwk as JWK,
      stateDir: localDir('kafka', `test-federation-${spec.id}`),
    };
  });
  const provinces = layouts.filter((n) => n.id !== nationalNodeId);
  const started = Date.now();
  await Promise.all(provinces.map((n) => startNodeBroker(n, kafka, logger)));
  logger.info({ ms: Date.now() - started }, 'province brokers up');
  const federation = JSON.stringify(federationDocument(layouts));

  const running: RunningNode[] = [];
  for (const [index, layout] of layouts.entries()) {
    const spec = specs[index] as NodeSpec;
    const env = {
      ...nodeEnv(process.env, layout, { prefix, federation }),
      ...oneClientLoadEnv,
      INTAKE_OUTCOME_WAIT: '10s',
      ...(spec.routeModes ? { ROUTING_ROUTE_MODES: spec.routeModes } : {}),
    };
    const nodeLogger = logger.child({ node: layout.id });
    if (spec.directoryChanges?.length) {
      const bus = createBus({ brokers: layout.brokers, clientId: 'federation-directory', logger, topicPrefix: prefix });
      await bus.ensureTopics([units], { partitions: 1 });
      await (await bus.publisher()).publish(units, [...spec.directoryChanges]);
      await bus.close();
    }
    const routing = await startRouting(loadRoutingConfig(env), nodeLogger);
    const node: RunningNode = {
      ...layout,
      env,
      logger: nodeLogger,
      routing,
      intake: await startIntake(loadIntakeConfig(env), nodeLogger),
      tracking: await startTracking(loadTrackingConfig(env), nodeLogger),
      watchdog: spec.watchdog ? await startWatchdog(loadWatchdogConfig(env), nodeLogger) : undefined,
      async restartRouting() {
        await node.routing.close().catch(() => undefined);
        node.routing = await startRouting(loadRoutingConfig(env), nodeLogger);
      },
    };
    running.push(node);
  }

  const mirror = mirrorFlows(layouts, prefix);
  const mirrorState = localDir('mirror-maker', `test-${prefix.replace(/\W+/g, '-')}`);
  let mirrorMaker: MirrorMaker | undefined;
  const startMirror = async () => {
    mirrorMaker = await startMirrorMaker({ ...mirror, stateDir: mirrorState }, logger);
  };
  await startMirror();

  const byId = new Map(running.map((n) => [n.id, n]));
  return {
    prefix,
    logger,
    node(id: string): RunningNode {
      const n = byId.get(id);
      if (!n) throw new Error(`no node ${id}`);
      return n;
    },
    /** A bus on a node's own broker, under the run's prefix. */
    busOf: (id: string) =>
      createBus({
        brokers: byId.get(id)?.brokers ?? [],
        clientId: `federation-test-${id}`,
        logger,
        topicPrefix: prefix,
      }),
    mirrorMaker: () => mirrorMaker,
    startMirror,
    stopBroker: (id: string) => stopNodeBroker(byId.get(id) as LocalNode, logger),
    startBroker: (id: string) => startNodeBroker(byId.get(id) as LocalNode, kafka, logger),
    async close() {
      await mirrorMaker?.stop();
      for (const n of running) {
        await n.watchdog?.close();
        await n.tracking.close();
        await n.intake.close();
        await n.routing.close();
      }
      for (const n of provinces) {
        await stopNodeBroker(n, logger);
        wipeLocalKafka({ port: n.kafkaPort, stateDir: n.stateDir });
      }
    },
  };
}

export type TestFederation = Awaited<ReturnType<typeof startTestFederation>>;
