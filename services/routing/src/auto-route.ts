import { type CaseCommand, CaseState, type Unit, UnitKind } from '@petition/contract';
import type { Directory } from '@petition/directory';
import { JurisdictionError, type RouteMode, routeTo, unitWithAuthority } from '@petition/jurisdiction';
import type { CaseSnapshot } from '@petition/lifecycle';

// What a petition bureau does with a case it holds and has not passed on: 属地管理 / 分级负责 / art 30 pick
// the unit with authority (packages/jurisdiction), and the bureau's route mode says how it gets there —
// `chain` through each level's bureau (each leg on that level's share of the 15 days), `direct` straight
// to the unit, `manual` not at all (the bureau's staff forward or assign it themselves, through intake).
// Pure: routing turns the answer into a ForwardCase command issued in the bureau's name.

export type BureauMode = RouteMode | 'manual';
const modes: readonly BureauMode[] = ['chain', 'direct', 'manual'];

/** Per-bureau route modes: `<unit id>=<mode>` or `<region code prefix>=<mode>`; the longest match wins. */
export interface RouteModes {
  modeOf(bureau: Unit): BureauMode;
}

export function parseRouteModes(fallback: BureauMode, items: readonly string[]): RouteModes {
  const rules = items.map((item) => {
    const [key = '', mode = ''] = item.split('=').map((s) => s.trim());
    if (!key || !modes.includes(mode as BureauMode)) {
      throw new Error(`ROUTING_ROUTE_MODES: "${item}" is not <unit id or region prefix>=${modes.join('|')}`);
    }
    return { key, mode: mode as BureauMode };
  });
  rules.sort((a, b) => b.key.length - a.key.length);
  return {
    modeOf: (bureau) =>
      rules.find((r) => r.key === bureau.unitId || bureau.regionCode.startsWith(r.key))?.mode ?? fallback,
  };
}

export interface AutoForward {
  readonly bureauId: string;
  readonly command: NonNullable<CaseCommand['command']>;
}

/** Registered or forwarded to a bureau along a chain; an objected forward waits for the bureau's staff. */
const awaitingBureau: ReadonlySet<CaseState> = new Set([
  CaseState.CASE_STATE_REGISTERED,
  CaseState.CASE_STATE_FORWARDING,
]);

/**
 * The next leg a bureau holding `s` forwards by itself, or undefined: not held by a bureau in an automatic
 * mode, already where it belongs, or no unit with authority found (then the bureau decides, and the
 * reason is returned for the log).
 */
export function nextLeg(
  s: CaseSnapshot,
  directory: Directory,
  routeModes: RouteModes,
): AutoForward | { readonly skipped: string } | undefined {
  if (!awaitingBureau.has(s.state)) return undefined;
  const bureau = directory.unit(s.custodyUnitId);
  if (!bureau || bureau.dissolved || bureau.kind !== UnitKind.UNIT_KIND_PETITION_BUREAU) return undefined;
  const mode = routeModes.modeOf(bureau);
  if (mode === 'manual') return undefined;
  try {
    const matter = {
      regionCode: s.regionCode,
      category: s.category,
      kind: s.kind,
      accusedUnitId: s.accusedUnitId || undefined,
      concernedUnitId: s.concernedUnitId || undefined,
    };
    const handling = unitWithAuthority(directory, matter);
    // Art 30: the chain skips a bureau the accusation is kept from (routeTo asks concealedFrom).
    const [hop] = routeTo(directory, bureau.unitId, handling, mode, matter);
    if (!hop) return undefined;
    return {
      bureauId: bureau.unitId,
      command: {
        $case: 'forwardCase',
        value: {
          toUnitId: hop.toUnitId,
          toHandlingUnit: hop.toHandlingUnit,
          reason: hop.toHandlingUnit ? `转送有权处理机关（${handling.name}）` : `逐级转送（${mode}）至 ${hop.toUnitId}`,
        },
      },
    };
  } catch (err) {
    if (err instanceof JurisdictionError) return { skipped: err.message };
    throw err;
  }
}
