// The clocks the watchdog benchmark works on — one registration per case across every county, assignments
// falling due in real time, grouped by partition like case-events — and the pure work inside its figures.
import { randomUUID } from 'node:crypto';
import { type ClockContext, fire, onCaseEvent } from '@petition/clocks';
import { type CaseEvent, CaseState, Category, PetitionKind } from '@petition/contract';
import { changeEvent, firedEvents } from '@petition/deadline-watchdog';
import { nationalDirectory } from '@petition/directory';
import { createLegalCalendar, defaultPolicy, stateCouncilTable } from '@petition/legal-calendar';

export const partitions = 12;
export const DAY = 86_400_000;

const partitionOf = (caseId: string) => {
  let h = 0;
  for (let i = 0; i < caseId.length; i++) h = (h * 31 + caseId.charCodeAt(i)) >>> 0;
  return h % partitions;
};

/** One registration per case (the `from`-th on), received over the 60 days after `base`, across every county. */
export function registrations(n: number, counties: string[], base: number, from = 0): CaseEvent[] {
  return Array.from({ length: n }, (_, k) => {
    const i = from + k;
    const at = new Date(base + ((i * 7_919) % (60 * DAY)));
    const region = counties[i % counties.length] ?? '110101';
    return {
      envelope: {
        eventId: randomUUID(),
        caseId: randomUUID(),
        caseVersion: 1,
        occurTime: at,
        actingUnitId: `${region}-xfj`,
        correlationId: '',
        causationId: '',
        trace: undefined,
        producer: 'bench',
      },
      state: CaseState.CASE_STATE_REGISTERED,
      custodyUnitId: `${region}-xfj`,
      payload: {
        $case: 'petitionRegistered',
        value: {
          petition: {
            caseNumber: `B${i}`,
            channel: 4,
            kind: PetitionKind.PETITION_KIND_COMPLAINT,
            category: Category.CATEGORY_LABOR_SOCIAL_SECURITY,
            regionCode: region,
            title: '',
            content: '',
            petitioner: undefined,
            representatives: [],
            groupSize: 0,
            accusedUnitId: '',
            attachments: [],
            registeringUnitId: `${region}-xfj`,
            receivedTime: at,
            queryCodeHash: '',
            anonymous: false,
            externalRef: '',
            concernedUnitId: '',
          },
          registrationDueTime: undefined,
        },
      },
    };
  });
}

/** An assignment whose report falls due `dueInMs` from now: a clock that breaches in real time. */
export function assignment(registered: CaseEvent, dueAt: number): CaseEvent {
  const caseId = registered.envelope?.caseId ?? '';
  return {
    envelope: {
      eventId: randomUUID(),
      caseId,
      caseVersion: 2,
      occurTime: new Date(),
      actingUnitId: '330106-xfj',
      correlationId: '',
      causationId: '',
      trace: undefined,
      producer: 'bench',
    },
    state: CaseState.CASE_STATE_ASSIGNED,
    custodyUnitId: '330106-rsj',
    payload: {
      $case: 'caseAssigned',
      value: {
        assigningUnitId: '330106-xfj',
        assigneeUnitId: '330106-rsj',
        reportDueTime: new Date(dueAt),
        instructions: '',
      },
    },
  };
}

export function byPartition(events: CaseEvent[]) {
  const parts = new Map<number, { value: CaseEvent; offset: string }[]>();
  for (const e of events) {
    const p = partitionOf(e.envelope?.caseId ?? '');
    const list = parts.get(p) ?? [];
    list.push({ value: e, offset: '0' });
    parts.set(p, list);
  }
  return parts;
}

export const clockContext = (): ClockContext => ({
  calendar: createLegalCalendar({ table: stateCouncilTable() }),
  policyFor: () => defaultPolicy,
  directory: nationalDirectory(),
});
const usEach = (started: number, n: number) => Number((((performance.now() - started) * 1000) / n).toFixed(2));

/**
 * The pure work inside the watchdog's figures, in µs per clock, on clocks like the benchmark's and with no
 * store: deriving a clock from its case event (policy and legal calendar), announcing it (ClockStarted, its
 * id a SHA-256 digest), and firing it 200 days on (its steps and their events, each id a digest).
 */
export function domainParts(n: number, counties: string[]) {
  const ctx = clockContext();
  const base = Date.parse('2026-11-23T00:00:00Z');
  const all = registrations(n, counties, base);
  const later = new Date(base + 200 * DAY);
  let ids = 0;
  let started = performance.now();
  const derived = all.map((e) => onCaseEvent({ open: [] }, e, ctx));
  const derive = usEach(started, n);
  started = performance.now();
  derived.forEach((d, i) => {
    for (const c of d.changes) ids += changeEvent(c, all[i] as CaseEvent, 'v').envelope?.eventId.length ?? 0;
  });
  const announce = usEach(started, n);
  started = performance.now();
  for (const d of derived) {
    for (const c of d.open) {
      for (const e of firedEvents(c, fire(ctx, c, 0, later).fired, later)) ids += e.envelope?.eventId.length ?? 0;
    }
  }
  return { derive, announce, fireWithEvents: usEach(started, n), ids };
}
