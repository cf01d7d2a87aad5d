import { civilDateOf } from '@petition/legal-calendar';
import { type Decision, petitioner, required, type Step, step } from '../context.ts';
import { refuse } from '../refusals.ts';
import type { CaseSnapshot } from '../snapshot.ts';

// What the petitioner adds to a case still open: more material (补充材料) and a reminder to the holder
// (催办), at most once a day (Asia/Shanghai). Neither moves the case; both go to the holder.

/** The longest supplement taken, in characters (as intake's schema counts them: code points). */
export const maxMaterialChars = 5_000;
/** The most attachments one supplement carries, as a registration does. */
export const maxSupplementAttachments = 20;

export function supplementCase(d: Decision<'supplementCase'>, s: CaseSnapshot): Step[] {
  petitioner(d.meta, s);
  const material = required(d.command.material, 'material', 'MATERIAL_REQUIRED');
  if ([...material].length > maxMaterialChars) {
    refuse('INVALID_FIELD', `material is longer than ${maxMaterialChars} characters`);
  }
  const attachments = d.command.attachments;
  if (attachments.length > maxSupplementAttachments) {
    refuse('INVALID_FIELD', `at most ${maxSupplementAttachments} attachments`);
  }
  for (const [i, a] of attachments.entries()) required(a.name, `attachments[${i}].name`);
  return [step(s.state, s.custodyUnitId, { $case: 'caseSupplemented', value: { material, attachments } })];
}

export function urgeCase(d: Decision<'urgeCase'>, s: CaseSnapshot): Step[] {
  petitioner(d.meta, s);
  if (s.lastUrgeTime && civilDateOf(s.lastUrgeTime) === civilDateOf(d.ctx.now)) {
    refuse('URGED_TODAY', civilDateOf(d.ctx.now));
  }
  return [step(s.state, s.custodyUnitId, { $case: 'caseUrged', value: { note: d.command.note, times: s.urges + 1 } })];
}
