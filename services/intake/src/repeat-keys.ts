// The repeat index's keys in intake's Redis (prefix `<topicPrefix>intake:`), all of them, here: what intake
// remembers of each person's cases to find a new petition repeating one of them (art 19). Written by the
// case index's consumer from PetitionRegistered events under the index's epoch, so a flush is rebuilt
// from case-events like the rest of the case index (case-index.ts); the case's state is the case index's
// own (`case:<caseId>` → state), kept up to date by every later event, and not copied here.
//
//   repeat:person:<personId>  hash   caseId → "<caseNumber>|<registered ms>|<signature>"
//                                    (signature: packages/repeats encodeSignature, base64 of 128 u32 + count)
//   repeat:order:<personId>   zset   caseId scored by registered ms: the oldest is dropped beyond the bound
//
// A person's entries are bounded as packages/repeats' own index bounds them: the 32 latest cases.

export const maxCasesPerPerson = 32;

export const repeatKeys = (prefix: string) => ({
  person: (personId: string) => `${prefix}repeat:person:${personId}`,
  order: (personId: string) => `${prefix}repeat:order:${personId}`,
});

export interface RepeatEntry {
  readonly caseId: string;
  readonly caseNumber: string;
  readonly registeredAt: Date;
  readonly signature: string;
}

export const encodeEntry = (e: Omit<RepeatEntry, 'caseId'>) =>
  `${e.caseNumber}|${e.registeredAt.getTime()}|${e.signature}`;

/** An entry back from its hash field; undefined for one not written by `encodeEntry` (skipped, not fatal). */
export function decodeEntry(caseId: string, text: string): RepeatEntry | undefined {
  const [caseNumber, ms, signature] = text.split('|');
  if (!caseNumber || !signature || !Number.isFinite(Number(ms))) return undefined;
  return { caseId, caseNumber, registeredAt: new Date(Number(ms)), signature };
}
