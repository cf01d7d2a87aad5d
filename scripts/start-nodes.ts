// `npm start -- --nodes national,33,64 [--simulate N]`: a federation on one machine (DESIGN "Nodes"). Each
// node gets its own real Kafka broker (its own ports and data under .local/kafka/node-<id>), its own Redis
// database, its own key pair (.local/keys/<id>), the national directory on its own `units` topic, and its
// five services as supervised processes; one MirrorMaker 2 process carries every link between the
// brokers. Writes .local/network.json with each node's addresses and stops everything on Ctrl-C.
import { writeFileSync } from 'node:fs';
import type { JWK } from '@petition/auth';
import { allTopics, createBus, linkTopic, units } from '@petition/bus';
import { nationalDirectory } from '@petition/directory';
import { publishUnitRecords } from '@petition/directory-feed';
import { ensureNodeKeys, loadInfraConfig, localDir, type MirrorMaker, startMirrorMaker } from '@petition/infra';
import type { Logger } from '@petition/logging';
import { oneClientLoadEnv, serviceSpecs, superviseServices } from './network.ts';
import {
  federationDocument,
  type LocalNode,
  mirrorFlows,
  nodeEnv,
  nodePorts,
  startNodeBroker,
  stopNodeBroker,
  writeNetworkFile,
} from './nodes.ts';

/** Where the nodes of `npm start -- --nodes` listen: services from 20000, brokers from 29092, 20 apart. */
const servicePortBase = 20_000;
const brokerPortBase = 29_092;

export function localNodes(ids: readonly string[], redisUrl: string): LocalNode[] {
  const redisBase = redisUrl.replace(/\/\d+$/, '');
  return ids.map((id, index) => {
    const keys = ensureNodeKeys(localDir('keys', id), id);
    const kafkaPort = brokerPortBase + index * 20;
    return {
      id,
      kafkaPort,
      controllerPort: kafkaPort + 1,
      brokers: [`localhost:${kafkaPort}`],
      // Database 0 stays the single-node network's.
      redisUrl: `${redisBase}/${1 + index}`,
      ports: nodePorts(servicePortBase, index),
      privateJwk: keys.privateJwk as JWK,
      stateDir: localDir('kafka', `node-${id}`),
    };
  });
}

export async function startLocalFederation(ids: readonly string[], o: { simulate: number; logger: Logger }) {
  const { logger } = o;
  const config = loadInfraConfig();
  const nodes = localNodes(ids, config.redisUrl);
  const started: LocalNode[] = [];
  const kafka = {
    version: config.kafkaVersion,
    heapMb: config.kafkaHeapMb,
    startTimeoutMs: config.kafkaStartTimeoutMs,
  };
  for (const node of nodes) {
    const broker = await startNodeBroker(node, kafka, logger.child({ node: node.id }));
    if (broker.started) started.push(node);
  }
  const federationPath = localDir('federation.json');
  writeFileSync(
    federationPath,
    `${JSON.stringify(
      federationDocument(
        nodes.map((n) => ({
          ...n,
          urls: { intake: `http://127.0.0.1:${n.ports.intake}`, tracking: `http://127.0.0.1:${n.ports.tracking}` },
        })),
      ),
      null,
      2,
    )}\n`,
  );
  // Each node's topics (its links to every other node included) and its copy of the directory.
  for (const node of nodes) {
    const bus = createBus({ brokers: node.brokers, clientId: 'start', logger, topicPrefix: config.topicPrefix });
    try {
      const links = nodes
        .filter((peer) => peer.id !== node.id)
        .flatMap((peer) => [linkTopic(node.id, peer.id), linkTopic(peer.id, node.id)]);
      await bus.ensureTopics([...allTopics, ...links], { partitions: config.topicPartitions });
      const ends = await bus.endOffsets(units);
      if (![...ends.values()].some((end) => end > 0n)) {
        const records = nationalDirectory().records();
        logger.info({ node: node.id, units: records.length }, 'publishing the national directory');
        await publishUnitRecords(await bus.publisher(), records, { logger });
      }
    } finally {
      await bus.close();
    }
  }
  const mirror: MirrorMaker = await startMirrorMaker(
    { ...mirrorFlows(nodes, config.topicPrefix), stateDir: localDir('mirror-maker', 'local-federation') },
    logger,
  );
  const networks = nodes.map((node) => {
    const keys = ensureNodeKeys(localDir('keys', node.id), node.id);
    const env = {
      ...nodeEnv({ ALLOW_DEVELOPMENT_SECRETS: 'true', ...process.env }, node, {
        prefix: config.topicPrefix,
        federation: federationPath,
      }),
      ...(o.simulate ? oneClientLoadEnv : {}),
      NODE_SIGNING_KEY: localDir('keys', node.id, 'node-signing-key.json'),
      STAFF_JWKS: keys.jwksPath,
      STAFF_TOKEN_ISSUERS: node.id,
      INTAKE_SOURCE_ID: String(nodes.indexOf(node) + 1),
      ROUTING_HOST: '127.0.0.1',
    };
    return superviseServices(serviceSpecs, env, logger.child({ node: node.id }));
  });
  const networkPath = localDir('network.json');
  writeNetworkFile(networkPath, nodes);
  const simulator = o.simulate
    ? superviseServices(
        [{ name: 'simulator', script: 'packages/simulator/src/cli.ts', args: [String(o.simulate)] }],
        { ...process.env, SIMULATOR_NETWORK: networkPath },
        logger,
      )
    : undefined;

  process.stdout.write(
    [
      '',
      `Petition interconnect — a federation of ${nodes.length} nodes on this machine (${networkPath})`,
      ...nodes.map((n) =>
        [
          `  node ${n.id}`,
          `    Kafka    ${n.brokers.join(',')}   Redis ${n.redisUrl}`,
          `    intake   http://localhost:${n.ports.intake} (gRPC ${n.ports.grpc}), operators http://localhost:${n.ports.intakeOps}`,
          `    tracking http://localhost:${n.ports.tracking}/ (/workbench, /supervision), operators http://localhost:${n.ports.trackingOps}`,
          `    routing  http://localhost:${n.ports.routing}/metrics   watchdog :${n.ports.watchdog}   notify :${n.ports.notification}`,
          `    tokens   npm run token -- <unit> --node ${n.id}`,
        ].join('\n'),
      ),
      `  MirrorMaker 2  pid ${mirror.pid}, log ${mirror.logFile}`,
      ...(o.simulate ? [`  simulator ${o.simulate} petitions/s across the nodes`] : []),
      '',
      'Ctrl-C stops it.',
      '',
    ].join('\n'),
  );

  return {
    async stop() {
      await simulator?.stop();
      await Promise.all(networks.map((n) => n.stop()));
      await mirror.stop();
      for (const node of started) await stopNodeBroker(node, logger);
    },
  };
}
