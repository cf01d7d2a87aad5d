import { CaseState, type CommandMeta, type Petition, PetitionKind, type Unit } from '@petition/contract';
import { concealedFrom } from '@petition/jurisdiction';
import {
  activeUnit,
  type DecideContext,
  type Decision,
  dueTime,
  known,
  required,
  type Step,
  step,
} from '../context.ts';
import { refuse } from '../refusals.ts';

// Register a petition (arts 20–22): every item enters the system; the receiving bureau then has 15 days
// to forward or assign it.

/**
 * Where the petition is registered: the unit named, else the region's bureau — never a unit an accusation
 * is kept from (art 30): past such a bureau it climbs to the first one above that is not.
 */
function registeringUnit(ctx: DecideContext, meta: CommandMeta, named: string, p: Petition): Unit {
  const actorUnit = meta.actor?.$case === 'unit' ? meta.actor.value.unitId : '';
  if (actorUnit && named && named !== actorUnit)
    refuse('ACTOR_NOT_ALLOWED', `a unit registers only for itself, not ${named}`);
  const explicit = named || actorUnit;
  if (explicit) {
    const unit = activeUnit(ctx.directory, explicit, 'registeringUnitId');
    if (concealedFrom(ctx.directory, unit.unitId, p))
      refuse('ACCUSED_UNIT_EXCLUDED', `registeringUnitId ${unit.unitId}`);
    return unit;
  }
  let unit = ctx.directory.bureauOf(p.regionCode);
  while (unit && concealedFrom(ctx.directory, unit.unitId, p)) unit = ctx.directory.bureauAbove(unit.unitId);
  return unit ?? refuse('UNKNOWN_UNIT', `no petition bureau for region ${p.regionCode}`);
}

export function register(d: Decision<'registerPetition'>): Step[] {
  const { ctx, meta } = d;
  const p = d.command.petition ?? refuse('INVALID_FIELD', 'petition is missing');
  required(p.caseNumber, 'petition.caseNumber');
  known(p.channel, 'petition.channel');
  const kind = known(p.kind, 'petition.kind');
  known(p.category, 'petition.category');
  if (!ctx.directory.region(p.regionCode)) refuse('UNKNOWN_REGION', p.regionCode || '(empty)');
  required(p.content || p.title, 'petition.content');
  if (p.representatives.length > d.policy.maxRepresentatives) {
    refuse('TOO_MANY_REPRESENTATIVES', `${p.representatives.length} representatives`);
  }
  const accusation = kind === PetitionKind.PETITION_KIND_ACCUSATION;
  if (p.anonymous && !accusation) refuse('INVALID_FIELD', 'only an accusation may be anonymous');
  if (!p.anonymous && !p.petitioner) refuse('INVALID_FIELD', 'petition.petitioner is missing');
  if (p.accusedUnitId && !accusation) refuse('INVALID_FIELD', 'accusedUnitId belongs to accusations only');
  if (p.accusedUnitId) activeUnit(ctx.directory, p.accusedUnitId, 'accusedUnitId');
  if (p.concernedUnitId && accusation) refuse('INVALID_FIELD', 'an accusation names the accused, not a concerned unit');
  if (p.concernedUnitId) activeUnit(ctx.directory, p.concernedUnitId, 'concernedUnitId');
  const receivedTime = p.receivedTime ?? ctx.now;
  if (receivedTime.getTime() > ctx.now.getTime()) refuse('RECEIVED_IN_FUTURE', receivedTime.toISOString());
  const unit = registeringUnit(ctx, meta, p.registeringUnitId, p);
  const petition = { ...p, registeringUnitId: unit.unitId, receivedTime };
  const registrationDueTime = dueTime(d, p.regionCode, 'forwarding', receivedTime);
  return [
    step(CaseState.CASE_STATE_REGISTERED, unit.unitId, {
      $case: 'petitionRegistered',
      value: { petition, registrationDueTime },
    }),
  ];
}
