export {
  createLegalCalendar,
  type Deadline,
  type JurisdictionOverride,
  type LegalCalendar,
  type PeriodSpec,
} from './calendar.ts';
export {
  addCivilDays,
  type CivilDate,
  civilDateOf,
  civilDaysBetween,
  endOfCivilDay,
  isCivilDate,
  weekdayOf,
} from './civil-date.ts';
export { CalendarError, type CalendarErrorCode } from './errors.ts';
export { type HolidayTable, type HolidayTableInput, holidayTable, stateCouncilTable } from './holiday-table.ts';
export {
  type ClockStageName,
  checkPolicy,
  clockStageNames,
  type DeadlinePolicy,
  defaultPolicy,
  type LevelName,
  type PolicyOverride,
  policyFor,
  type StageRule,
} from './policy.ts';
