export { followDirectory } from './follow.ts';
export { type PublishOptions, publishUnitRecords } from './publish.ts';
