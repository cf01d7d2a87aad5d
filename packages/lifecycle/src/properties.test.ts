import { CaseEvent, CaseState, PetitionKind } from '@petition/contract';
import type { Directory } from '@petition/directory';
import { defaultPolicy } from '@petition/legal-calendar';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { replay } from './evolve.ts';
import { invariantViolations } from './invariants.ts';
import { refusalCatalogue } from './refusals.ts';
import { type CaseSnapshot, isTerminal } from './snapshot.ts';
import { decodeSnapshot, encodeSnapshot } from './snapshot-codec.ts';
import { type Body, CaseRun, petition, petitionerOf, realDirectory, unit, watchdog } from './test-kit.ts';

// Random command sequences against one case: whatever arrives, from whoever, at whatever time, the case
// never breaks an invariant, every event raises case_version by one, every refusal carries a catalogued
// code, deciding is deterministic, and the events — through protobuf and back — replay to the same case.

let directory: Directory;
beforeAll(() => {
  directory = realDirectory();
});

const pool = [
  '330106-xfj',
  '330106-rsj',
  '330106-zjj',
  '330106-zf',
  '330106-jw',
  '330100-xfj',
  '330100-zf',
  '330000-xfj',
  '000000-xfj',
  '330106-mzj',
];
const kinds = [
  'forwardCase',
  'objectToForward',
  'assignCase',
  'reportCompletion',
  'acceptCase',
  'notAcceptCase',
  'guideToLegalChannel',
  'designateCoUnits',
  'extendDeadline',
  'replyCase',
  'evaluateCase',
  'requestReview',
  'decideReview',
  'requestReReview',
  'startHearing',
  'endHearing',
  'decideReReview',
  'withdrawCase',
  'linkAsRepeat',
  'transferCase',
  'expireWindow',
  'issueSupervision',
  'answerSupervision',
  'closeSupervision',
  'takeCharge',
  'supplementCase',
  'urgeCase',
  'flagRepeatCandidates',
  'dismissRepeatCandidate',
] as const;

const move = fc.record({
  kind: fc.oneof(
    { weight: 3, arbitrary: fc.constant('next' as const) },
    { weight: 2, arbitrary: fc.constantFrom(...kinds) },
  ),
  actor: fc.nat(4),
  target: fc.nat(pool.length - 1),
  n: fc.integer({ min: -2, max: 40 }),
  pick: fc.nat(6),
  flag: fc.boolean(),
  // Mostly hours, now and then weeks: windows both stay open and run out.
  hours: fc.oneof({ weight: 9, arbitrary: fc.integer({ min: 0, max: 72 }) }, fc.integer({ min: 0, max: 24 * 35 })),
});
type Move = typeof move extends fc.Arbitrary<infer M> ? M : never;

const scenario = fc.record({
  kind: fc.constantFrom(
    PetitionKind.PETITION_KIND_SUGGESTION,
    PetitionKind.PETITION_KIND_ACCUSATION,
    PetitionKind.PETITION_KIND_COMPLAINT,
  ),
  // Mostly registrations that stand, sometimes ones that must be refused (arts 20, 30).
  anonymous: fc.oneof({ weight: 5, arbitrary: fc.constant(false) }, fc.constant(true)),
  representatives: fc.oneof({ weight: 5, arbitrary: fc.nat(5) }, fc.integer({ min: 6, max: 8 })),
  accused: fc.oneof({ weight: 4, arbitrary: fc.constant('') }, fc.constantFrom(...pool)),
  moves: fc.array(move, { maxLength: 60 }),
});

const opinion = { summary: '意见' };

function body(kind: (typeof kinds)[number], m: Move, run: CaseRun): Body {
  const to = pool[m.target] ?? '';
  const later = new Date(run.now.getTime() + m.n * 86_400_000);
  const bodies: { [K in (typeof kinds)[number]]: () => Body } = {
    forwardCase: () => ({ $case: 'forwardCase', value: { toUnitId: to, toHandlingUnit: m.flag || m.pick > 1 } }),
    objectToForward: () => ({ $case: 'objectToForward', value: { reasons: m.flag ? '非本单位职责' : '' } }),
    assignCase: () => ({ $case: 'assignCase', value: { assigneeUnitId: to, reportDueTime: later } }),
    reportCompletion: () => ({ $case: 'reportCompletion', value: { report: { summary: m.flag ? '已办结' : '' } } }),
    acceptCase: () => ({ $case: 'acceptCase', value: {} }),
    notAcceptCase: () => ({
      $case: 'notAcceptCase',
      value: { reason: m.pick === 5 ? 15 : m.pick, reasonText: m.flag ? '理由' : '' },
    }),
    guideToLegalChannel: () => ({
      $case: 'guideToLegalChannel',
      value: { legalChannel: m.pick, reason: m.flag ? '诉讼' : '' },
    }),
    designateCoUnits: () => ({
      $case: 'designateCoUnits',
      value: { leadUnitId: to, coUnitIds: [pool[(m.target + 1) % pool.length] ?? ''], basis: m.pick % 3 },
    }),
    extendDeadline: () => ({ $case: 'extendDeadline', value: { extraDays: m.n, reason: m.flag ? '复杂' : '' } }),
    replyCase: () => ({ $case: 'replyCase', value: { opinion, disposition: m.pick % 5 } }),
    evaluateCase: () => ({
      $case: 'evaluateCase',
      value: { stage: m.flag ? 1 : m.pick % 4, evaluation: (m.target % 3) + 1 },
    }),
    requestReview: () => ({ $case: 'requestReview', value: {} }),
    decideReview: () => ({ $case: 'decideReview', value: { decision: m.pick % 4, opinion } }),
    requestReReview: () => ({ $case: 'requestReReview', value: {} }),
    startHearing: () => ({ $case: 'startHearing', value: {} }),
    endHearing: () => ({ $case: 'endHearing', value: {} }),
    decideReReview: () => ({
      $case: 'decideReReview',
      value: { decision: m.pick % 4, opinion, publicize: m.flag && m.pick > 3 },
    }),
    withdrawCase: () => ({ $case: 'withdrawCase', value: {} }),
    linkAsRepeat: () => ({ $case: 'linkAsRepeat', value: { originalCaseId: `orig-${m.pick % 3}`, basis: m.pick % 4 } }),
    transferCase: () => ({
      $case: 'transferCase',
      value: { toUnitId: m.flag ? to : '', reason: m.pick, directoryEventId: 'unit-event' },
    }),
    expireWindow: () => ({ $case: 'expireWindow', value: { stage: [6, 7, 9][m.pick % 3] } }),
    issueSupervision: () => ({
      $case: 'issueSupervision',
      value: { ground: m.pick % 4, instructions: '限期报告', reportDueTime: m.flag ? later : undefined },
    }),
    // Mostly the open notice's id, sometimes one that names nothing.
    answerSupervision: () => ({
      $case: 'answerSupervision',
      value: { supervisionId: noticeOf(run, m), report: { summary: m.pick > 0 ? '已办理' : '' } },
    }),
    closeSupervision: () => ({
      $case: 'closeSupervision',
      value: { supervisionId: noticeOf(run, m), conclusion: '办结' },
    }),
    takeCharge: () => ({ $case: 'takeCharge', value: { note: '包案' } }),
    supplementCase: () => ({ $case: 'supplementCase', value: { material: m.flag ? '补充材料' : '' } }),
    urgeCase: () => ({ $case: 'urgeCase', value: { note: '催办' } }),
    flagRepeatCandidates: () => ({
      $case: 'flagRepeatCandidates',
      value: {
        candidates: [{ caseId: `orig-${m.pick % 3}`, caseNumber: `ZJ-${m.pick % 3}`, score: m.flag ? 0.5 : 0 }],
      },
    }),
    dismissRepeatCandidate: () => ({
      $case: 'dismissRepeatCandidate',
      value: { candidateCaseId: `orig-${m.pick % 3}`, reason: '不是同一事项' },
    }),
  };
  return bodies[kind]();
}

const noticeOf = (run: CaseRun, m: Move) => (m.flag ? (run.snapshot?.supervision?.supervisionId ?? '') : 'other');

/** The same move with well-formed fields (valid enum values, a reason, a sensible number of days). */
const tidy = (m: Move): Move => ({ ...m, pick: (m.pick % 3) + 1, flag: true, n: (Math.abs(m.n) % 30) + 1 });

type Plan = { kind: (typeof kinds)[number]; actor: number };

/**
 * The steps well-behaved actors would take next, so that random runs also reach the late stages: now and
 * then the supervision a diligent superior gives on the side (issue a notice, answer it, close it), then
 * the step that moves the case on.
 */
function natural(snapshot: CaseSnapshot | undefined, m: Move): Plan[] {
  const notice = snapshot?.supervision;
  if (m.hours % 4 !== 0 || !snapshot || isTerminal(snapshot.state)) return [onward(snapshot?.state, m)];
  const aside: Plan = !notice
    ? { kind: 'issueSupervision', actor: 4 }
    : notice.answered
      ? { kind: 'closeSupervision', actor: 4 }
      : { kind: 'answerSupervision', actor: 0 };
  return [aside, onward(snapshot.state, m)];
}

function onward(state: CaseState | undefined, m: Move): Plan {
  const S = CaseState;
  switch (state) {
    case S.CASE_STATE_REGISTERED:
    case S.CASE_STATE_FORWARDING:
      return { kind: m.flag ? 'assignCase' : 'forwardCase', actor: 0 };
    case S.CASE_STATE_AWAITING_ACCEPTANCE:
    case S.CASE_STATE_ASSIGNED:
      return { kind: m.pick === 6 ? 'objectToForward' : 'acceptCase', actor: 0 };
    case S.CASE_STATE_FORWARD_OBJECTED:
      return { kind: 'forwardCase', actor: 0 };
    case S.CASE_STATE_ACCEPTED:
      return { kind: m.pick === 0 ? 'extendDeadline' : 'replyCase', actor: 0 };
    case S.CASE_STATE_AWAITING_EVALUATION:
      return { kind: m.pick < 2 ? 'evaluateCase' : 'requestReview', actor: 1 };
    case S.CASE_STATE_REPLIED:
      return { kind: 'requestReview', actor: 1 };
    case S.CASE_STATE_UNDER_REVIEW:
      return { kind: 'decideReview', actor: 0 };
    case S.CASE_STATE_REVIEWED:
      return { kind: 'requestReReview', actor: 1 };
    case S.CASE_STATE_UNDER_RE_REVIEW:
      return { kind: m.pick < 2 ? (m.flag ? 'startHearing' : 'endHearing') : 'decideReReview', actor: 0 };
    default:
      return { kind: 'evaluateCase', actor: 1 };
  }
}

function actorOf(n: number, run: CaseRun, m: Move) {
  const custody = run.snapshot?.custodyUnitId ?? '';
  switch (n) {
    case 0:
      return unit(custody);
    case 1:
      return petitionerOf(run.caseNumber);
    case 2:
      return watchdog;
    case 3:
      return unit(pool[m.target] ?? '');
    default:
      return unit(directory.superior(custody)?.unitId ?? '');
  }
}

const originals = new Map([
  ['orig-0', { caseId: 'orig-0', caseNumber: 'O-0', state: CaseState.CASE_STATE_ACCEPTED }],
  ['orig-1', { caseId: 'orig-1', caseNumber: 'O-1', state: CaseState.CASE_STATE_FINAL }],
]);

describe('random command sequences', () => {
  it('keep every invariant, raise the version by one per event, refuse with catalogued codes and replay exactly', () => {
    const reached = new Set<CaseState>();
    const happened = new Set<string>();
    fc.assert(
      fc.property(scenario, (sc) => {
        const run = new CaseRun({ now: '2026-09-01T09:00:00+08:00', directory });
        run.cases = originals;
        const people = Array.from({ length: sc.representatives }, (_, i) => ({ personId: `rep-${i}` }));
        const registration = petition({
          kind: sc.kind,
          anonymous: sc.anonymous,
          petitioner: sc.anonymous ? undefined : { personId: 'p-1' },
          representatives: people,
          accusedUnitId: sc.accused,
        });
        run.send(undefined, { $case: 'registerPetition', value: { petition: registration } });
        for (const m of sc.moves) {
          run.at(m.hours / 24);
          const plans = m.kind === 'next' ? natural(run.snapshot, m) : [{ kind: m.kind, actor: m.actor }];
          for (const plan of plans) {
            const before = run.snapshot;
            const sent = body(plan.kind, m.kind === 'next' ? tidy(m) : m, run);
            const actor = actorOf(plan.actor, run, m);
            const outcome = run.send(actor, sent);
            for (const e of outcome.events) happened.add(e.payload?.$case ?? '');
            const version = before?.version ?? 0;
            outcome.events.forEach((e, i) => {
              // Without a case, the only answer is a refusal standing at version 0.
              expect(e.envelope?.caseVersion).toBe(before ? version + i + 1 : 0);
            });
            if (outcome.kind === 'refused') {
              expect(outcome.events).toHaveLength(1);
              expect(Object.keys(refusalCatalogue)).toContain(outcome.refusal.code);
              expect(run.snapshot?.state).toBe(before?.state);
            }
            if (run.snapshot) {
              reached.add(run.snapshot.state);
              expect(invariantViolations(run.snapshot, directory, defaultPolicy)).toEqual([]);
            }
          }
        }
        const wire = run.events.map((e) => CaseEvent.decode(CaseEvent.encode(e).finish()));
        expect(replay(wire)).toEqual(run.snapshot);
        // Routing's snapshots write the case down and read it back unchanged (snapshot-codec).
        if (run.snapshot) expect(decodeSnapshot(encodeSnapshot(run.snapshot))).toEqual(run.snapshot);
      }),
      { numRuns: 1500 },
    );
    // The runs are only worth something if they reach the late stages too.
    for (const state of [
      CaseState.CASE_STATE_FINAL,
      CaseState.CASE_STATE_UNDER_RE_REVIEW,
      CaseState.CASE_STATE_FORWARD_OBJECTED,
    ]) {
      expect(reached).toContain(state);
    }
    for (const event of [
      'supervisionIssued',
      'supervisionAnswered',
      'supervisionClosed',
      'caseTakenInCharge',
      'caseSupplemented',
      'caseUrged',
    ]) {
      expect(happened).toContain(event);
    }
  });

  it('decides the same command on the same case the same way, event ids included', () => {
    fc.assert(
      fc.property(scenario, (sc) => {
        const a = new CaseRun({ now: '2026-09-01T09:00:00+08:00', directory, caseId: 'same-case' });
        const b = new CaseRun({ now: '2026-09-01T09:00:00+08:00', directory, caseId: 'same-case' });
        const registration = petition({ kind: sc.kind, representatives: [] });
        for (const run of [a, b])
          run.send(undefined, { $case: 'registerPetition', value: { petition: registration } }, { commandId: 'r' });
        sc.moves.forEach((m, i) => {
          for (const run of [a, b]) run.at(m.hours / 24);
          natural(a.snapshot, m).forEach((plan, j) => {
            for (const run of [a, b])
              run.send(actorOf(plan.actor, run, m), body(plan.kind, m, run), { commandId: `c${i}.${j}` });
          });
        });
        expect(b.events).toEqual(a.events);
      }),
      { numRuns: 50 },
    );
  });
});
