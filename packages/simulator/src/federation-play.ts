import { readFileSync } from 'node:fs';
import { publicJwks } from '@petition/auth';
import { nationalDirectory, nationalNodeId } from '@petition/directory';
import { createFederation } from '@petition/federation';
import { ensureNodeKeys, localDir } from '@petition/infra';
import type { Rand } from './plan.ts';

// How the simulator plays a local federation (`npm start -- --nodes`): from .local/network.json, each node's
// intake and tracking, and from .local/keys/<id> each node's key, so that it acts for a unit at the node
// hosting it (packages/federation's rule) with a token that node trusts.

interface NetworkFile {
  readonly nodes: readonly { id: string; intake: string; tracking: string }[];
}

export function federationPlay(networkPath: string) {
  const network = JSON.parse(readFileSync(networkPath, 'utf8')) as NetworkFile;
  const keys = new Map(network.nodes.map((n) => [n.id, ensureNodeKeys(localDir('keys', n.id), n.id)]));
  const federation = createFederation(
    {
      self: nationalNodeId,
      nodes: network.nodes.map((n) => ({ id: n.id, jwks: publicJwks(keys.get(n.id)?.privateJwk ?? {}) })),
    },
    nationalDirectory(),
  );
  const byId = new Map(network.nodes.map((n) => [n.id, n]));
  const national = byId.get(nationalNodeId);
  if (!national) throw new Error(`${networkPath} has no national node`);
  const hostOf = (unitId: string) => byId.get(federation.hostOf(unitId)) ?? national;
  return {
    nationalIntake: national.intake,
    // The national node sees every case, read-only: the simulator reads them all there.
    nationalTracking: national.tracking,
    urls: network.nodes.flatMap((n) => [n.intake, n.tracking]),
    fileAt: (rand: Rand) => network.nodes[Math.floor(rand() * network.nodes.length)]?.intake ?? national.intake,
    intakeOf: (unitId: string) => hostOf(unitId).intake,
    keysOf: (unitId: string) => keys.get(hostOf(unitId).id) ?? keys.get(nationalNodeId),
  };
}
