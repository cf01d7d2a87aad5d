// `npm start [-- --simulate <petitions per second>] [--nodes national,33,64]`: the local network — the infrastructure (Kafka
// broker, Redis, topics), the national directory published to the `units` topic on first start, and each
// service as its own process, restarted if it crashes; with --simulate, the simulator too. Runs until
// Ctrl-C or SIGTERM, then stops what it started. With --nodes, a federation of nodes instead
// (start-nodes.ts).
import { createBus, units } from '@petition/bus';
import { nationalDirectory } from '@petition/directory';
import { publishUnitRecords } from '@petition/directory-feed';
import { ensureNodeKeys, loadInfraConfig, redisUrlForLogs, startSupervisedInfra } from '@petition/infra';
import { createLogger } from '@petition/logging';
import { oneClientLoadEnv, serviceSpecs, situationSpec, superviseServices } from './network.ts';
import { parseNodeList } from './nodes.ts';
import { startLocalFederation } from './start-nodes.ts';

const logger = createLogger({ service: 'start' });
const args = process.argv.slice(2);
const simulateAt = args.indexOf('--simulate');
const simulate = simulateAt >= 0 ? Number(args[simulateAt + 1]) : 0;
const usage = 'usage: npm start [-- --simulate <petitions per second>] [--nodes national,33,64]\n';
if (simulateAt >= 0 && !(Number.isInteger(simulate) && simulate > 0)) {
  process.stderr.write(usage);
  process.exit(2);
}
const nodesAt = args.indexOf('--nodes');
if (nodesAt >= 0) {
  let ids: string[];
  try {
    ids = parseNodeList(args[nodesAt + 1] ?? '');
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n${usage}`);
    process.exit(2);
  }
  const federation = await startLocalFederation(ids, { simulate, logger });
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping');
    await federation.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
  setInterval(() => {}, 1 << 30);
} else {
  await startSingleNode();
}

async function startSingleNode() {
  const config = loadInfraConfig();
  // The broker and redis-server it runs are supervised like the services: one that exits is started again.
  const infra = await startSupervisedInfra(config, logger);
  const intakePort = process.env.INTAKE_HTTP_PORT ?? '8080';
  const trackingPort = process.env.TRACKING_HTTP_PORT ?? '8081';
  const intakeOpsPort = process.env.INTAKE_OPS_PORT ?? '9080';
  const trackingOpsPort = process.env.TRACKING_OPS_PORT ?? '9081';
  // The local network is one node: its services take the staff tokens `npm run token` signs with its key.
  const nodeKeys = ensureNodeKeys();
  const env = {
    // The local network runs on the development secrets published in the repository unless given others.
    ALLOW_DEVELOPMENT_SECRETS: 'true',
    STAFF_JWKS: nodeKeys.jwksPath,
    STAFF_TOKEN_ISSUERS: nodeKeys.issuer,
    TRACKING_INTAKE_URL: `http://127.0.0.1:${intakePort}`,
    // Integrators pull their subscriptions' events over gRPC here (and SSE on tracking's HTTP port).
    TRACKING_GRPC_PORT: '50052',
    // The simulator is one client on 127.0.0.1 that files and looks up every case.
    ...(simulate ? oneClientLoadEnv : {}),
    ...process.env,
    KAFKA_BROKERS: infra.brokers.join(','),
    REDIS_URL: infra.redisUrl,
  };

  /** The directory's ~90,000 units on the `units` topic, once: every service follows that topic. */
  async function publishDirectory() {
    const bus = createBus({ brokers: infra.brokers, clientId: 'start', logger, topicPrefix: config.topicPrefix });
    try {
      const ends = await bus.endOffsets(units);
      if ([...ends.values()].some((end) => end > 0n)) return;
      const records = nationalDirectory().records();
      logger.info({ units: records.length }, 'publishing the national directory');
      await publishUnitRecords(await bus.publisher(), records, { logger });
    } finally {
      await bus.close();
    }
  }
  await publishDirectory();

  const redisState = (i: typeof infra) =>
    i.startedRedis
      ? `redis-server started now, data in ${i.localRedis?.dir}; stopped with the network`
      : i.localRedis
        ? `redis-server of an earlier infra:up, pid ${i.localRedis.pid}`
        : 'already running';
  const network = superviseServices(
    [
      ...serviceSpecs,
      situationSpec,
      ...(simulate ? [{ name: 'simulator', script: 'packages/simulator/src/cli.ts', args: [String(simulate)] }] : []),
    ],
    env,
    logger,
  );

  process.stdout.write(
    [
      '',
      'Petition interconnect — local network',
      `  Kafka    ${infra.brokers.join(',')} (${infra.mode}${infra.startedBroker ? ', started now' : ', already running'}${infra.mode === 'local' ? '; started again if it exits' : ''})`,
      `  Redis    ${redisUrlForLogs(infra.redisUrl)} (${redisState(infra)})`,
      `  Topics   ${infra.topics.length} under prefix "${config.topicPrefix}" with ${config.topicPartitions} partitions`,
      `  intake   http://localhost:${intakePort}, gRPC localhost:${process.env.INTAKE_GRPC_PORT ?? '50051'}; operators http://localhost:${intakeOpsPort} (/metrics, OpenAPI: /docs)`,
      `  routing  http://localhost:${process.env.ROUTING_HTTP_PORT ?? '8090'}/readyz (applies case-commands, writes case-events)`,
      `  watchdog http://localhost:${process.env.WATCHDOG_HTTP_PORT ?? '8091'}/readyz (statutory clocks, writes deadline-events)`,
      `  tracking http://localhost:${trackingPort}/ (petitioner), /workbench (units), /supervision (KPIs, overdue); operators http://localhost:${trackingOpsPort} (/metrics, OpenAPI: /docs)`,
      `  notify   http://localhost:${process.env.NOTIFY_HTTP_PORT ?? '8092'}/readyz (in-app inbox; SMS, mail, webhooks when configured)`,
      `  situation http://localhost:${process.env.SITUATION_HTTP_PORT ?? '8082'}/v1/hotspots?region=330000 (hotspots, a supervisor's token); operators http://localhost:${process.env.SITUATION_OPS_PORT ?? '8093'}/readyz`,
      '  tokens   npm run token -- 330106-xfj [--role handler]… (a staff JWT signed by the node key in .local/keys)',
      `  integrators  /v1/subscriptions on tracking, SSE there, gRPC Subscribe on localhost:${process.env.TRACKING_GRPC_PORT ?? '50052'}; credentials: npm run integrator -- <clientId> <unitId> (${process.env.TRACKING_INTEGRATORS ? 'TRACKING_INTEGRATORS set' : 'none configured: set TRACKING_INTEGRATORS'})`,
      ...(simulate ? [`  simulator ${simulate} petitions/s, playing units and petitioners (progress every 10 s)`] : []),
      '',
      'Ctrl-C stops it.',
      '',
    ].join('\n'),
  );

  let stopping = false;
  async function stop(signal: string) {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping');
    await network.stop();
    await infra.stop();
    process.exit(0);
  }
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
  setInterval(() => {}, 1 << 30);
}
