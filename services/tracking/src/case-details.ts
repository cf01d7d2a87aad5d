import {
  type Attachment,
  type CaseEvent,
  categoryToJSON,
  channelToJSON,
  type Petition,
  SealedData,
  supervisionGroundToJSON,
} from '@petition/contract';

// What the staff case view shows besides the timeline and clocks, as the read model keeps it (keys.ts c:, p:):
// pure steps from a case event to the fields written, so that the wiring in read-model.ts stays thin.

/** An attachment as units see it: its metadata, never where the bytes are kept. */
export interface AttachmentView {
  readonly name: string;
  readonly mediaType: string;
  readonly sizeBytes: number;
  /** SHA-256 of the bytes, hex. */
  readonly sha256: string;
  /** Whistle-blowing material (art 30): shown, like the case, only to whom the case is shown. */
  readonly confidential?: true;
}

export const attachmentsOf = (attachments: readonly Attachment[]): AttachmentView[] =>
  attachments.map((a) => ({
    name: a.name,
    mediaType: a.mediaType,
    sizeBytes: Number(a.sizeBytes),
    sha256: Buffer.from(a.sha256).toString('hex'),
    ...(a.confidential ? { confidential: true as const } : {}),
  }));

/**
 * The case hash's fields for the matter as registered: what it is about and how it came, and the people
 * named in it by their pseudonymous ids only (their data stays sealed, sealedOf).
 */
export function matterOf(p: Petition | undefined): Record<string, string> {
  return {
    title: p?.title ?? '',
    content: p?.content ?? '',
    category: categoryToJSON(p?.category ?? 0),
    channel: channelToJSON(p?.channel ?? 0),
    regionCode: p?.regionCode ?? '',
    registeringUnit: p?.registeringUnitId ?? '',
    anonymous: p?.anonymous ? '1' : '',
    groupSize: String(p?.groupSize ?? 0),
    attachments: JSON.stringify(attachmentsOf(p?.attachments ?? [])),
    person: p?.petitioner?.personId ?? '',
    representatives: JSON.stringify((p?.representatives ?? []).map((r) => ({ personId: r.personId }))),
  };
}

const base64 = (s: SealedData) => Buffer.from(SealedData.encode(s).finish()).toString('base64');

/** The sealed people of a petition as keys.ts `p:` keeps them (subject → base64 SealedData); none when anonymous. */
export function sealedOf(p: Petition | undefined): Record<string, string> {
  const sealed: Record<string, string> = {};
  if (p?.petitioner?.sealed) sealed.petitioner = base64(p.petitioner.sealed);
  (p?.representatives ?? []).forEach((r, i) => {
    if (r.sealed) sealed[`representative:${i + 1}`] = base64(r.sealed);
  });
  return sealed;
}

/** A 督办单 as the case keeps it (keys.ts c: `supervisions`, `supervision`). */
export interface SupervisionView {
  readonly supervisionId: string;
  readonly supervisingUnitId: string;
  readonly supervisedUnitId: string;
  /** SupervisionGround's JSON name, e.g. SUPERVISION_GROUND_OVERDUE. */
  readonly ground: string;
  readonly instructions: string;
  readonly reportDueTime?: string;
  readonly issueTime: string;
  /** The opaque id of the supervisor who issued it. */
  readonly staffId: string;
  /** `open` until the holder reports back, `answered` then, `closed` once the supervising unit closes it. */
  readonly state: 'open' | 'answered' | 'closed';
  readonly report?: { readonly summary: string; readonly documentUri: string; readonly unitId: string };
  readonly answerTime?: string;
  readonly inTime?: boolean;
  readonly conclusion?: string;
  readonly closeTime?: string;
  /** Closed by the case's own end (a terminal step ends an open 督办单 without a closing of its own). */
  readonly endedWithCase?: true;
}

/**
 * The case's 督办单 after a case event, or undefined when the event changes none. A notice the event names
 * but the list lacks (its issue not read) is left alone rather than made up.
 */
export function supervisionsAfter(
  list: readonly SupervisionView[],
  e: CaseEvent,
  terminal: boolean,
): SupervisionView[] | undefined {
  const p = e.payload;
  const time = e.envelope?.occurTime?.toISOString() ?? '';
  const update = (id: string, change: (s: SupervisionView) => SupervisionView) =>
    list.some((s) => s.supervisionId === id) ? list.map((s) => (s.supervisionId === id ? change(s) : s)) : undefined;
  let next: SupervisionView[] | undefined;
  if (p?.$case === 'supervisionIssued') {
    const v = p.value;
    next = [
      ...list.filter((s) => s.supervisionId !== v.supervisionId),
      {
        supervisionId: v.supervisionId,
        supervisingUnitId: v.supervisingUnitId,
        supervisedUnitId: v.supervisedUnitId,
        ground: supervisionGroundToJSON(v.ground),
        instructions: v.instructions,
        reportDueTime: v.reportDueTime?.toISOString(),
        issueTime: time,
        staffId: v.staffId,
        state: 'open',
      },
    ];
  } else if (p?.$case === 'supervisionAnswered') {
    const v = p.value;
    next = update(v.supervisionId, (s) => ({
      ...s,
      state: s.state === 'closed' ? 'closed' : 'answered',
      report: { summary: v.report?.summary ?? '', documentUri: v.report?.documentUri ?? '', unitId: v.unitId },
      answerTime: v.answerTime?.toISOString() ?? time,
      inTime: v.inTime,
    }));
  } else if (p?.$case === 'supervisionClosed') {
    const v = p.value;
    next = update(v.supervisionId, (s) => ({ ...s, state: 'closed', conclusion: v.conclusion, closeTime: time }));
  }
  if (!terminal) return next;
  const current = next ?? list;
  if (!current.some((s) => s.state !== 'closed')) return next;
  return current.map((s) =>
    s.state === 'closed' ? s : { ...s, state: 'closed', closeTime: time, endedWithCase: true as const },
  );
}

/** The 督办单 not yet closed, if any (one at a time: lifecycle refuses a second). */
export const openSupervision = (list: readonly SupervisionView[]) => list.find((s) => s.state !== 'closed');
