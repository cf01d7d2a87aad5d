export {
  type ClockState,
  type ClockView,
  type Counter,
  caseFacts,
  counterNames,
  deadlineFacts,
  type Fact,
  isOverdue,
  nextClock,
} from './facts.ts';
export { type Expr, evaluate, type Formula, FormulaError, parseExpr, parseFormulas } from './formula.ts';
export { addCounts, type Counts, defaultFormulaText, kpiFormulas, kpiValues, subtractCounts } from './kpis.ts';
