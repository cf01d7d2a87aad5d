export { countiesOf, type Move, nextMove, petitionBody, type Rand, residentId, seeded } from './plan.ts';
export { type SimulatorOptions, type SimulatorStats, startSimulator } from './simulate.ts';
