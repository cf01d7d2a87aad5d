export { createSituation, regionLookupOf, type Situation } from './analysis.ts';
export { type SituationService, startSituation } from './app.ts';
export { loadSituationConfig, type SituationConfig, situationSchema } from './config.ts';
export { petitionOf, situationEventOf } from './events.ts';
export type { ActiveHotspot, HotspotDecision, PetitionSeen } from './hotspots.ts';
export { loadThresholds, parseThresholds, type Thresholds, ThresholdsError } from './thresholds.ts';
