import { type Category, type Unit, type UnitEvent, UnitKind, type UnitLevel } from '@petition/contract';
import { DirectoryError } from './errors.ts';
import { type LevelName, levelName } from './levels.ts';

// The live directory: the latest record of every unit, as on the compacted `units` topic, with the indexes
// the lookups need. A dissolved unit stays (old cases name it); lookups that ask "who acts now" follow
// its successor (art 25: the unit that continues its functions), or its superior when it has none.

export interface RegionInfo {
  readonly code: string;
  readonly level: UnitLevel;
  /** The region above, absent at the top. */
  readonly parentCode?: string;
}

export interface DirectoryCounts {
  /** Units not dissolved. */
  readonly total: number;
  readonly byLevel: Readonly<Record<LevelName, number>>;
  readonly dissolved: number;
}

export interface Directory {
  readonly size: number;
  /** The unit as recorded, dissolved or not. */
  unit(unitId: string): Unit | undefined;
  /** Like `unit`, but throws UNKNOWN_UNIT. */
  require(unitId: string): Unit;
  /** The unit that exercises this unit's functions now: itself, or where its successors lead. */
  current(unitId: string): Unit | undefined;
  /** The superior now (上一级机关、单位), after following dissolved units. */
  superior(unitId: string): Unit | undefined;
  /** Superiors from the nearest up. */
  ancestors(unitId: string): Unit[];
  /** Units whose superior is now this unit (including the children of units merged into it). */
  children(unitId: string): Unit[];
  /** The nearest unit above all of them (art 24: 共同的上一级机关); undefined when they share none. */
  commonSuperior(unitIds: readonly string[]): Unit | undefined;
  /** True when `unitId` is `ancestorId` or lies under it (art 30: material never reaches the accused). */
  isWithin(unitId: string, ancestorId: string): boolean;
  /**
   * True when `unitId` is `rootId`, under it in the chain of superiors, or under it by place: in a region
   * the root supervises (a bureau of 西湖区 is in the subtree of 杭州市信访局 and of 浙江省人民政府, though
   * bureaus answer to bureaus and departments to governments).
   */
  inSubtree(unitId: string, rootId: string): boolean;
  /**
   * True when the unit oversees the region: it is the petition bureau, the government or the party
   * committee of that region or of one above it.
   */
  supervisesRegion(unitId: string, regionCode: string): boolean;
  region(regionCode: string): RegionInfo | undefined;
  /** The region and every region above it, nearest first; empty for an unknown code. */
  regionChain(regionCode: string): RegionInfo[];
  /** The region's petition bureau now. */
  bureauOf(regionCode: string): Unit | undefined;
  /** The petition bureau one level above the unit's region (supervision, DESIGN "Supervision"). */
  bureauAbove(unitId: string): Unit | undefined;
  /**
   * The unit answering `category` for the region, at `level` along the region's chain (the region's own
   * level when omitted); undefined where that level does not exist (no prefecture under a municipality).
   */
  responsibleUnit(regionCode: string, category: Category, level?: UnitLevel): Unit | undefined;
  counts(): DirectoryCounts;
  units(): IterableIterator<Unit>;
  /** Applies one `units` record; `stale` when the unit already has this revision or a later one. */
  apply(event: UnitEvent): 'applied' | 'stale';
  /** The latest record of every unit, as compaction leaves the topic: feeding them to a new directory rebuilds this one. */
  records(): UnitEvent[];
}

/** The kinds of unit that answer for a whole region (and so oversee every unit in it). */
const regionKinds = new Set<UnitKind>([
  UnitKind.UNIT_KIND_PETITION_BUREAU,
  UnitKind.UNIT_KIND_GOVERNMENT,
  UnitKind.UNIT_KIND_PARTY_COMMITTEE,
]);

function getOrCreate<K, V>(map: Map<K, V>, key: K, make: () => V): V {
  let value = map.get(key);
  if (value === undefined) {
    value = make();
    map.set(key, value);
  }
  return value;
}

const regionCodePattern = /^\d{6}$/;

function validate(event: UnitEvent): Unit {
  const unit = event.unit;
  const problem = !unit
    ? 'has no unit'
    : !unit.unitId
      ? 'has no unit id'
      : levelName(unit.level) === undefined
        ? 'has no valid level'
        : unit.kind === UnitKind.UNIT_KIND_UNSPECIFIED || unit.kind === UnitKind.UNRECOGNIZED
          ? 'has no valid kind'
          : !regionCodePattern.test(unit.regionCode)
            ? `has region code "${unit.regionCode}", not six digits`
            : unit.parentUnitId === unit.unitId
              ? 'names itself as its superior'
              : undefined;
  if (problem || !unit) throw new DirectoryError('INVALID_UNIT', `units record ${event.eventId} ${problem}`);
  return unit;
}

export function createDirectory(
  records: Iterable<UnitEvent> = [],
  options: { aliases?: ReadonlyMap<string, string> } = {},
): Directory {
  const aliases = options.aliases ?? new Map<string, string>();
  const byId = new Map<string, UnitEvent>();
  const childIds = new Map<string, Set<string>>();
  const mergedInto = new Map<string, Set<string>>();
  const bureaus = new Map<string, string>();
  // region code → category → unit ids in the order they were created (catalogue order).
  const answering = new Map<string, Map<Category, string[]>>();
  const bureausAbove = new Map<string, Unit | null>();

  const setAdd = (map: Map<string, Set<string>>, key: string, value: string) => {
    getOrCreate(map, key, () => new Set()).add(value);
  };

  function unindex(u: Unit) {
    childIds.get(u.parentUnitId)?.delete(u.unitId);
    if (u.successorUnitId) mergedInto.get(u.successorUnitId)?.delete(u.unitId);
    for (const c of u.categories) {
      const list = answering.get(u.regionCode)?.get(c);
      const at = list?.indexOf(u.unitId) ?? -1;
      if (list && at >= 0) list.splice(at, 1);
    }
    if (bureaus.get(u.regionCode) === u.unitId) bureaus.delete(u.regionCode);
  }

  function index(u: Unit) {
    if (u.parentUnitId) setAdd(childIds, u.parentUnitId, u.unitId);
    if (u.successorUnitId) setAdd(mergedInto, u.successorUnitId, u.unitId);
    const byCategory = getOrCreate(answering, u.regionCode, () => new Map<Category, string[]>());
    for (const c of u.categories) getOrCreate(byCategory, c, () => []).push(u.unitId);
    if (u.kind === UnitKind.UNIT_KIND_PETITION_BUREAU && !bureaus.has(u.regionCode)) {
      bureaus.set(u.regionCode, u.unitId);
    }
  }

  const unit = (id: string) => byId.get(id)?.unit;

  function current(id: string): Unit | undefined {
    let u = unit(id);
    if (!u?.dissolved) return u;
    const seen = new Set<string>();
    while (u?.dissolved) {
      if (seen.has(u.unitId)) throw new DirectoryError('SUCCESSOR_CYCLE', `successors of ${id} form a cycle`);
      seen.add(u.unitId);
      u = unit(u.successorUnitId || u.parentUnitId);
    }
    return u;
  }

  const superior = (id: string) => {
    const u = current(id);
    return u?.parentUnitId ? current(u.parentUnitId) : undefined;
  };

  function ancestors(id: string): Unit[] {
    const out: Unit[] = [];
    const seen = new Set<string>([id]);
    for (let u = superior(id); u && !seen.has(u.unitId); u = superior(u.unitId)) {
      seen.add(u.unitId);
      out.push(u);
    }
    return out;
  }

  function region(code: string): RegionInfo | undefined {
    const canonical = aliases.get(code) ?? code;
    const bureau = unit(bureaus.get(canonical) ?? '');
    if (!bureau) return undefined;
    const parentBureau = bureau.parentUnitId ? unit(bureau.parentUnitId) : undefined;
    return { code: canonical, level: bureau.level, parentCode: parentBureau?.regionCode };
  }

  const directory: Directory = {
    get size() {
      return byId.size;
    },
    unit,
    require(id) {
      const u = unit(id);
      if (!u) throw new DirectoryError('UNKNOWN_UNIT', `unit ${id} is not in the directory`);
      return u;
    },
    current,
    superior,
    ancestors,
    children(id) {
      const out: Unit[] = [];
      const visit = (parent: string) => {
        for (const child of childIds.get(parent) ?? []) {
          const u = unit(child);
          if (u && !u.dissolved) out.push(u);
        }
        for (const merged of mergedInto.get(parent) ?? []) visit(merged);
      };
      visit(id);
      return out;
    },
    commonSuperior(ids) {
      const [first, ...rest] = ids;
      if (first === undefined) return undefined;
      const others = rest.map((id) => new Set(ancestors(id).map((u) => u.unitId)));
      return ancestors(first).find((a) => others.every((set) => set.has(a.unitId)));
    },
    isWithin(id, ancestorId) {
      const target = current(ancestorId)?.unitId ?? ancestorId;
      return current(id)?.unitId === target || ancestors(id).some((u) => u.unitId === target);
    },
    inSubtree(id, rootId) {
      return directory.isWithin(id, rootId) || directory.supervisesRegion(rootId, current(id)?.regionCode ?? '');
    },
    supervisesRegion(id, code) {
      const u = current(id);
      return !!u && regionKinds.has(u.kind) && directory.regionChain(code).some((r) => r.code === u.regionCode);
    },
    region,
    regionChain(code) {
      const out: RegionInfo[] = [];
      for (let r = region(code); r; r = r.parentCode ? region(r.parentCode) : undefined) out.push(r);
      return out;
    },
    bureauOf(code) {
      const r = region(code);
      return r ? current(bureaus.get(r.code) ?? '') : undefined;
    },
    bureauAbove(id) {
      // Asked for every supervision step the watchdog fires: kept until the directory changes.
      let found = bureausAbove.get(id);
      if (found === undefined) {
        const u = current(id);
        const above = u ? region(u.regionCode)?.parentCode : undefined;
        found = (above === undefined ? undefined : directory.bureauOf(above)) ?? null;
        bureausAbove.set(id, found);
      }
      return found ?? undefined;
    },
    responsibleUnit(code, category, level) {
      let r = region(code);
      while (r && level !== undefined && r.level > level) r = r.parentCode ? region(r.parentCode) : undefined;
      if (!r || (level !== undefined && r.level !== level)) return undefined;
      // A unit dissolved without a successor hands new matters to the next unit answering the category;
      // only when none is left does its superior take them.
      const listed = answering.get(r.code)?.get(category) ?? [];
      for (const id of listed) {
        const u = unit(id);
        if (u && (!u.dissolved || u.successorUnitId)) return current(id);
      }
      return listed[0] === undefined ? undefined : current(listed[0]);
    },
    counts() {
      const byLevel: Record<LevelName, number> = { national: 0, provincial: 0, prefecture: 0, county: 0 };
      let total = 0;
      let dissolved = 0;
      for (const { unit: u } of byId.values()) {
        if (!u) continue;
        if (u.dissolved) {
          dissolved += 1;
          continue;
        }
        total += 1;
        const name = levelName(u.level);
        if (name) byLevel[name] += 1;
      }
      return { total, byLevel, dissolved };
    },
    *units() {
      for (const { unit: u } of byId.values()) if (u) yield u;
    },
    apply(event) {
      const next = validate(event);
      const previous = unit(next.unitId);
      if (previous && previous.revision >= next.revision) return 'stale';
      if (previous) unindex(previous);
      bureausAbove.clear();
      byId.set(next.unitId, event);
      index(next);
      return 'applied';
    },
    records: () => [...byId.values()],
  };

  for (const record of records) directory.apply(record);
  return directory;
}
