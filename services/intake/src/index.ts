export { type ActionSpec, actions } from './actions.ts';
export { type Intake, startIntake } from './app.ts';
export { type IntakeConfig, intakeSchema, loadIntakeConfig } from './config.ts';
export { checkPetition, type PetitionBody, petitionBodySchema } from './petition-request.ts';
