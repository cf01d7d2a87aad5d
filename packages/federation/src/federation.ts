import type { JWK } from '@petition/auth';
import type { Directory } from '@petition/directory';
import { nationalNodeId, petitionBureauCode, unitIdOf } from '@petition/directory';
import type { CaseSnapshot } from '@petition/lifecycle';

// Who hosts what (DESIGN "Nodes"). A node hosts the units whose `host_node_id` names it; units of a province
// that runs no node of its own are hosted by the national node. A case is written by one node at a time:
// the node that last accepted it by a handoff, or else the node hosting the unit that holds it — and by
// nobody while a handoff is on its way. Without NODE_ID the deployment is the whole nation in one node.

export interface FederationNode {
  readonly id: string;
  /** The node's public keys: the trust anchors its interconnect records and staff tokens are checked with. */
  readonly jwks: { readonly keys: readonly JWK[] };
  /** Where petitioners and integrators reach it (for "ask there" answers); optional. */
  readonly trackingUrl?: string;
  readonly intakeUrl?: string;
}

export interface FederationSpec {
  /** This node's id; empty for the single-node nation. */
  readonly self: string;
  readonly nodes: readonly FederationNode[];
}

export type CaseWriter =
  | { readonly here: true }
  | { readonly here: false; readonly nodeId: string; readonly inTransit: boolean };

export const singleNode: FederationSpec = { self: '', nodes: [] };

export function createFederation(spec: FederationSpec, directory: Directory) {
  const members = new Map(spec.nodes.map((n) => [n.id, n]));
  const federated = spec.self !== '';
  if (federated && !members.has(spec.self)) throw new Error(`NODE_ID ${spec.self} is not a member of FEDERATION`);
  if (federated && !members.has(nationalNodeId)) throw new Error('FEDERATION has no national node');

  /** The node hosting a unit; '' in a single-node deployment (everything is here). */
  const hostOf = (unitId: string): string => {
    if (!federated) return '';
    const named = directory.unit(unitId)?.hostNodeId ?? '';
    return members.has(named) ? named : nationalNodeId;
  };
  const hostsHere = (unitId: string) => !federated || hostOf(unitId) === spec.self;

  const topBureauOf = (nodeId: string) =>
    unitIdOf(nodeId === nationalNodeId ? '000000' : `${nodeId}0000`, petitionBureauCode);

  return {
    self: spec.self,
    federated,
    nodes: [...members.values()],
    node: (id: string) => members.get(id),
    /** Every member but this one: the nodes this one has links with. */
    peers: () => [...members.keys()].filter((id) => id !== spec.self),
    hostOf,
    hostsHere,
    /** Who writes the case now. */
    writerOf(s: CaseSnapshot): CaseWriter {
      if (!federated) return { here: true };
      if (s.handoff) return { here: false, nodeId: s.handoff.toNodeId, inTransit: true };
      const writer = s.writerNodeId || hostOf(s.custodyUnitId);
      return writer === spec.self ? { here: true } : { here: false, nodeId: writer, inTransit: false };
    },
    /**
     * Whether this node's copy of a case ends when `toNodeId` takes it over: it hears no more of the case
     * (its clocks stop here). The national node's does not: every node's events reach it.
     */
    copyEndsAtHandoffTo: (toNodeId: string) => federated && toNodeId !== spec.self && spec.self !== nationalNodeId,
    /** A node's top petition bureau: the national bureau, or its province's. */
    topBureauOf,
    /**
     * Where a petition that names no registering unit is registered when its place is hosted by another
     * node: at this node's own top bureau, which hands it on down the chain. Undefined: the usual rule
     * (the region's bureau) applies.
     */
    registrationBureauFor(regionCode: string): string | undefined {
      if (!federated) return undefined;
      const bureau = directory.bureauOf(regionCode);
      if (!bureau || hostsHere(bureau.unitId)) return undefined;
      return topBureauOf(spec.self);
    },
  };
}

export type Federation = ReturnType<typeof createFederation>;
