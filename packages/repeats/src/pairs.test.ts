import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  createMinHasher,
  createRepeatIndex,
  defaultRepeatThresholds,
  type IndexedPetition,
  repeatScore,
  signPetition,
} from './index.ts';

// The thresholds against the labelled pairs (data/pairs.jsonl): petitions by one person, the later one
// either about the same matter (trivially edited or reworded) or another. Prints the separation.

interface Text {
  title: string;
  content: string;
}
interface LabelledPair {
  id: string;
  label: 'same' | 'different';
  edit: 'none' | 'trivial' | 'reworded' | 'other-matter';
  earlier: Text;
  later: Text;
}

const pairs: LabelledPair[] = readFileSync(new URL('../data/pairs.jsonl', import.meta.url), 'utf8')
  .trim()
  .split('\n')
  .map((line) => JSON.parse(line) as LabelledPair);

function separation(shingleSize: number) {
  const hasher = createMinHasher({ shingleSize });
  const scored = pairs.map((pair) => ({
    pair,
    score: repeatScore(
      hasher.sign(pair.earlier.title, pair.earlier.content),
      hasher.sign(pair.later.title, pair.later.content),
    ),
  }));
  const scoresOf = (edits: LabelledPair['edit'][]) =>
    scored.filter(({ pair }) => edits.includes(pair.edit)).map(({ score }) => score);
  const same = scoresOf(['none', 'trivial', 'reworded']);
  const other = scoresOf(['other-matter']);
  return {
    shingleSize,
    lowestSame: Math.min(...same),
    highestOther: Math.max(...other),
    lowestTrivial: Math.min(...scoresOf(['none', 'trivial'])),
    highestReworded: Math.max(...scoresOf(['reworded'])),
  };
}

describe('the labelled pairs', () => {
  it('are separated by the thresholds, better with bigrams than with trigrams', () => {
    const bigrams = separation(2);
    const trigrams = separation(3);
    console.log(`repeats separation ${JSON.stringify({ bigrams, trigrams, thresholds: defaultRepeatThresholds })}`);
    expect(pairs.filter((pair) => pair.label === 'same').length).toBeGreaterThanOrEqual(20);
    expect(pairs.filter((pair) => pair.label === 'different').length).toBeGreaterThanOrEqual(20);
    // Every same-matter pair is at least a candidate and no other-matter pair is one.
    expect(bigrams.lowestSame).toBeGreaterThanOrEqual(defaultRepeatThresholds.candidate);
    expect(bigrams.highestOther).toBeLessThan(defaultRepeatThresholds.candidate);
    // Only resubmissions with trivial edits are linked without a person.
    expect(bigrams.lowestTrivial).toBeGreaterThanOrEqual(defaultRepeatThresholds.exact);
    expect(bigrams.highestReworded).toBeLessThan(defaultRepeatThresholds.exact);
    // Why bigrams: the gap between the classes is wider.
    expect(bigrams.lowestSame - bigrams.highestOther).toBeGreaterThan(trigrams.lowestSame - trigrams.highestOther);
  });

  it('through the index: each same-matter pair is found for its person, each other-matter pair is not', () => {
    const index = createRepeatIndex();
    const at = (day: number) => new Date(Date.UTC(2026, 9, day));
    const petition = (caseId: string, personId: string, text: Text, day: number): IndexedPetition => ({
      caseId,
      personId,
      signature: signPetition(text.title, text.content),
      registeredAt: at(day),
    });
    for (const pair of pairs) index.add(petition(`${pair.id}-earlier`, `person-${pair.id}`, pair.earlier, 1));
    for (const pair of pairs) {
      const matches = index.find(petition(`${pair.id}-later`, `person-${pair.id}`, pair.later, 20));
      const expected =
        pair.label === 'same'
          ? [{ caseId: `${pair.id}-earlier`, verdict: pair.edit === 'reworded' ? 'candidate' : 'exact' }]
          : [];
      expect(
        matches.map(({ caseId, verdict }) => ({ caseId, verdict })),
        pair.id,
      ).toEqual(expected);
      // The same later text from someone else is never that person's repeat.
      expect(index.find(petition(`${pair.id}-other`, 'someone-else', pair.later, 20))).toEqual([]);
    }
  });
});
