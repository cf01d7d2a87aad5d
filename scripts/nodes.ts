// A federation of nodes on one machine (DESIGN "Nodes"), for `npm start -- --nodes national,33,64`, the
// federation tests and `npm run bench -- nodes`: each node its own real Kafka broker (its own ports and
// data), its own Redis database, its own signing key and its own five services; MirrorMaker 2 carries the
// interconnect topics between the brokers. What one node's services are told: its NODE_ID, the members and
// their public keys (FEDERATION), its private key (NODE_SIGNING_KEY). Nothing else is shared.
import { writeFileSync } from 'node:fs';
import { type JWK, publicJwks } from '@petition/auth';
import { createBus, linkTopic } from '@petition/bus';
import { nationalNodeId } from '@petition/directory';
import type { FederationNode } from '@petition/federation';
import { startLocalKafka, stopLocalKafka } from '@petition/infra';
import type { Logger } from '@petition/logging';
import { type ServicePorts, servicesEnv } from './network.ts';

export interface LocalNode {
  readonly id: string;
  readonly kafkaPort: number;
  readonly controllerPort: number;
  readonly brokers: string[];
  readonly redisUrl: string;
  readonly ports: ServicePorts & { readonly grpc: number };
  readonly privateJwk: JWK;
  /** The folder of its broker's configuration, data and log. */
  readonly stateDir: string;
}

/** `national,33,64` → the node ids, checked: national first, two-digit province codes, no repeats. */
export function parseNodeList(list: string): string[] {
  const ids = list
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (!ids.includes(nationalNodeId)) throw new Error(`--nodes must include ${nationalNodeId}`);
  for (const id of ids) {
    if (id !== nationalNodeId && !/^[1-9][0-9]$/.test(id))
      throw new Error(`--nodes: "${id}" is not national or a province code`);
  }
  if (new Set(ids).size !== ids.length) throw new Error('--nodes names a node twice');
  return [nationalNodeId, ...ids.filter((id) => id !== nationalNodeId)];
}

/**
 * Ports of node `index`: a block of twenty from `base` (intake, gRPC, its operators' port, tracking, its
 * operators' port, routing, watchdog, notification, Kafka, the KRaft controller); 0 everywhere for tests.
 */
export function nodePorts(base: number, index: number) {
  const at = (offset: number) => (base === 0 ? 0 : base + index * 20 + offset);
  return {
    intake: at(0),
    grpc: at(1),
    intakeOps: at(2),
    tracking: at(3),
    trackingOps: at(4),
    routing: at(5),
    watchdog: at(6),
    notification: at(7),
  };
}

/** The FEDERATION document every node is given: the members and their public keys. */
export function federationDocument(
  nodes: readonly (Pick<LocalNode, 'id' | 'privateJwk'> & { urls?: { intake: string; tracking: string } })[],
) {
  const members: FederationNode[] = nodes.map((n) => ({
    id: n.id,
    jwks: publicJwks(n.privateJwk),
    ...(n.urls ? { intakeUrl: n.urls.intake, trackingUrl: n.urls.tracking } : {}),
  }));
  return { nodes: members };
}

/** One node's environment: the services' usual settings, plus who it is in the federation. */
export function nodeEnv(
  base: NodeJS.ProcessEnv,
  node: Pick<LocalNode, 'id' | 'brokers' | 'redisUrl' | 'ports' | 'privateJwk'>,
  o: { prefix: string; federation: string },
): NodeJS.ProcessEnv {
  return {
    ...servicesEnv(base, { brokers: node.brokers, prefix: o.prefix, ports: node.ports }),
    INTAKE_GRPC_PORT: String(node.ports.grpc),
    TRACKING_INTAKE_URL: `http://127.0.0.1:${node.ports.intake}`,
    REDIS_URL: node.redisUrl,
    NODE_ID: node.id,
    FEDERATION: o.federation,
    NODE_SIGNING_KEY: JSON.stringify(node.privateJwk),
  };
}

/** The MirrorMaker 2 cluster alias of a node (an alias is a property-name prefix: no leading digit). */
export const clusterAlias = (nodeId: string) => (nodeId === nationalNodeId ? nodeId : `province${nodeId}`);

/** Every link between the nodes, as MirrorMaker 2 flows: each node's outbound topic to each other node. */
export function mirrorFlows(nodes: readonly Pick<LocalNode, 'id' | 'brokers'>[], prefix: string) {
  const clusters = Object.fromEntries(nodes.map((n) => [clusterAlias(n.id), n.brokers]));
  const flows = nodes.flatMap((from) =>
    nodes
      .filter((to) => to.id !== from.id)
      .map((to) => ({
        source: clusterAlias(from.id),
        target: clusterAlias(to.id),
        topics: [`${prefix}${linkTopic(from.id, to.id).name}`],
      })),
  );
  return { clusters, flows };
}

async function brokerReady(brokers: string[], timeoutMs: number, logger: Logger) {
  const bus = createBus({ brokers, clientId: 'nodes-probe', logger: logger.child({}, { level: 'silent' }) });
  try {
    await bus.waitUntilReady(timeoutMs);
  } finally {
    await bus.close();
  }
}

/** Starts (or reuses) a node's broker from the Maven Central jars, in its own folder and on its own ports. */
export async function startNodeBroker(
  node: Pick<LocalNode, 'kafkaPort' | 'controllerPort' | 'stateDir'>,
  o: { version: string; heapMb: number; startTimeoutMs: number },
  logger: Logger,
) {
  return startLocalKafka(
    { ...o, port: node.kafkaPort, controllerPort: node.controllerPort, stateDir: node.stateDir },
    (brokers, timeoutMs) => brokerReady(brokers, timeoutMs, logger),
    logger,
  );
}

export const stopNodeBroker = (node: Pick<LocalNode, 'kafkaPort' | 'stateDir'>, logger: Logger) =>
  stopLocalKafka({ port: node.kafkaPort, stateDir: node.stateDir }, logger);

/** `.local/network.json`: each node's addresses, for people and scripts (the simulator) to find them. */
export function writeNetworkFile(path: string, nodes: readonly LocalNode[]) {
  const doc = {
    nodes: nodes.map((n) => ({
      id: n.id,
      kafka: n.brokers.join(','),
      intake: `http://127.0.0.1:${n.ports.intake}`,
      grpc: `127.0.0.1:${n.ports.grpc}`,
      tracking: `http://127.0.0.1:${n.ports.tracking}`,
    })),
  };
  writeFileSync(path, `${JSON.stringify(doc, null, 2)}\n`);
  return doc;
}
