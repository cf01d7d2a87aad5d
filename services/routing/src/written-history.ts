import { CaseCommand, type CaseEvent, Category, Channel, PetitionKind } from '@petition/contract';
import { buildNationalDirectory, nationalDirectory } from '@petition/directory';
import { createLegalCalendar, stateCouncilTable } from '@petition/legal-calendar';
import { type DecideContext, decideAndEvolve } from '@petition/lifecycle';

// A history of case-events as routing would have written it, decided by the lifecycle itself (never
// hand-made events): for the snapshot test and the restart benchmark, which need many cases on the log
// quickly. A share of the cases is withdrawn by the petitioner, so that they have ended. Not used by the
// service.

let context: DecideContext | undefined;
const contextNow = (now: Date): DecideContext => {
  context ??= {
    now,
    directory: nationalDirectory(buildNationalDirectory(), new Date('2026-01-01T00:00:00Z')),
    calendar: createLegalCalendar({ table: stateCouncilTable() }),
  };
  return { ...context, now };
};

/** The events of `count` cases `<idPrefix>-<i>`, registered at a county bureau; every `endEvery`-th withdrawn. */
export function writtenHistory(o: { count: number; idPrefix: string; endEvery?: number; now?: Date }): CaseEvent[] {
  const now = o.now ?? new Date();
  const ctx = contextNow(now);
  const events: CaseEvent[] = [];
  for (let i = 0; i < o.count; i++) {
    const caseId = `${o.idPrefix}-${i}`;
    const caseNumber = `N-${caseId}`;
    const register = CaseCommand.fromPartial({
      meta: { commandId: `${caseId}-register`, caseId, issueTime: now },
      command: {
        $case: 'registerPetition',
        value: {
          petition: {
            caseNumber,
            channel: Channel.CHANNEL_WEB,
            kind: PetitionKind.PETITION_KIND_COMPLAINT,
            category: Category.CATEGORY_LABOR_SOCIAL_SECURITY,
            regionCode: '330106',
            title: '工资拖欠',
            content: '某公司拖欠工资三个月',
            petitioner: { personId: `p-${i}` },
          },
        },
      },
    });
    const registered = decideAndEvolve(undefined, register, ctx);
    events.push(...registered.outcome.events);
    if (o.endEvery && i % o.endEvery === 0) {
      const withdraw = CaseCommand.fromPartial({
        meta: {
          commandId: `${caseId}-withdraw`,
          caseId,
          issueTime: now,
          actor: { $case: 'petitioner', value: { caseNumber, personId: `p-${i}` } },
        },
        command: { $case: 'withdrawCase', value: { reason: '已协商解决' } },
      });
      events.push(...decideAndEvolve(registered.snapshot, withdraw, ctx).outcome.events);
    }
  }
  return events;
}
