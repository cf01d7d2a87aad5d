export { type PublishOptions, publishUnitRecords } from './publish.ts';
