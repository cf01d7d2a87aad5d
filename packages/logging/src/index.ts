export { type CreateLoggerOptions, createLogger, type Logger } from './create-logger.ts';
export { type Progress, type ProgressOptions, progress } from './progress.ts';
export { redactedValue, redactPersonalData } from './redaction.ts';
