export {
  type CaseInfo,
  type Clock,
  type ClockContext,
  clockIdOf,
  stageName,
  startClock,
  windowStages,
  withDue,
} from './clock.ts';
export { type CaseClocks, type ClockChange, onCaseEvent } from './derive.ts';
export { type Fired, type FireResult, fire, stepTime } from './fire.ts';
