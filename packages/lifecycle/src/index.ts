export {
  type CaseSummary,
  type DecideContext,
  dueTime,
  eventIdOf,
  policyOf,
  type Step,
} from './context.ts';
export { decide, decideAndEvolve, type Outcome, refuseForAnotherNode } from './decide.ts';
export { EvolveError, evolve, replay } from './evolve.ts';
export { hearingDays } from './hearing.ts';
export { invariantViolations } from './invariants.ts';
export { type Refusal, type RefusalCode, type RefusalRule, refusal, refusalCatalogue } from './refusals.ts';
export {
  type Appeal,
  type Assignment,
  type CaseSnapshot,
  type Forwarded,
  type Hearing,
  isTerminal,
  type Leader,
  type Opinion,
  type PendingHandoff,
  type Supervision,
  terminalStates,
} from './snapshot.ts';
export { decodeSnapshot, encodeSnapshot, SnapshotFormatError, snapshotFormat } from './snapshot-codec.ts';
export { repeatBasisFor } from './steps/custody.ts';
export { unitMayKnowCase } from './visibility.ts';
