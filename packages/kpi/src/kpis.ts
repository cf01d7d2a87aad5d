import { type Counter, counterNames } from './facts.ts';
import { evaluate, type Formula, parseFormulas } from './formula.ts';

// The KPIs of DESIGN "KPIs", as the default formulas; TRACKING_KPI_FORMULAS replaces them.

export const defaultFormulaText = [
  '及时受理率=acceptedInTime/received',
  '按期答复率=repliedInTime/replyDue',
  '参评率=evaluated/(evaluated+evaluationExpired)',
  '满意率=(satisfied+basicallySatisfied)/evaluated',
  '重复信访率=repeats/items',
  '平均办理天数=handlingDays/replied',
].join('; ');

export type Counts = Partial<Record<Counter, number>>;

export const kpiFormulas = (text = defaultFormulaText): Formula[] => parseFormulas(text, counterNames);

/** Each KPI's value over the counts, null where nothing was there to judge (a zero denominator). */
export function kpiValues(formulas: readonly Formula[], counts: Counts): Record<string, number | null> {
  const out: Record<string, number | null> = {};
  for (const f of formulas) {
    const v = evaluate(f.expr, counts);
    out[f.name] = v === undefined ? null : Math.round(v * 10_000) / 10_000;
  }
  return out;
}

/** Adds counts together (a period's days, a region's units). */
export function addCounts(into: Record<string, number>, more: Readonly<Record<string, number | string>>): void {
  for (const [k, v] of Object.entries(more)) into[k] = (into[k] ?? 0) + Number(v);
}

export function subtractCounts(from: Readonly<Counts>, less: Readonly<Counts>): Counts {
  const out: Record<string, number> = { ...from } as Record<string, number>;
  for (const [k, v] of Object.entries(less)) out[k] = (out[k] ?? 0) - (v ?? 0);
  return out;
}
