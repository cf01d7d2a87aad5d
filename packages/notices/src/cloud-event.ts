import { CaseEvent, DeadlineEvent } from '@petition/contract';
import type { Notice, Subscription } from './notices.ts';

// What an integrator's webhook receives: the event as CloudEvents JSON (specversion 1.0), its id the
// notice's, the protobuf JSON of the event as data — with the sealed petitioner and representatives taken
// out unless the subscription's scope includes personal data, and the sealed query code and its verifier
// always.

export function cloudEventOf(n: Notice, source: { case: CaseEvent } | { deadline: DeadlineEvent }, sub: Subscription) {
  const data = ('case' in source ? CaseEvent.toJSON(source.case) : DeadlineEvent.toJSON(source.deadline)) as Record<
    string,
    unknown
  >;
  const petition = (data.petitionRegistered as { petition?: Record<string, unknown> } | undefined)?.petition;
  if (petition) {
    // The query code is the petitioner's key to the case: neither it nor what checks it leaves, whatever the
    // scope (the verifier is keyed, but an integrator has no use for it and a leaked secret would open it).
    delete petition.queryCodeSealed;
    delete petition.queryCodeHash;
    if (!sub.personalData) {
      delete petition.petitioner;
      delete petition.representatives;
    }
  }
  const env = 'case' in source ? source.case.envelope : source.deadline.envelope;
  const type = ('case' in source ? source.case.payload?.$case : source.deadline.payload?.$case) ?? 'unknown';
  return JSON.stringify({
    specversion: '1.0',
    id: n.id,
    source: `urn:petition:${'case' in source ? 'case-events' : 'deadline-events'}`,
    type: `cn.petition.${type}`,
    subject: n.caseId,
    time: env?.occurTime?.toISOString(),
    datacontenttype: 'application/json',
    data,
  });
}
