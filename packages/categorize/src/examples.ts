import { readFileSync } from 'node:fs';
import { fnv1a32 } from '@petition/repeats';
import { categoryByLabel, kindByLabel } from './labels.ts';

// The labelled examples (data/labelled.jsonl): one JSON object a line, {id, category, kind, title,
// content}, category and kind by their Chinese names. Written by the project, not real petitions (see the
// README). Split deterministically into training and held-out by a hash of the id, so that adding
// examples never moves an old one from one side to the other.

export interface LabelledExample {
  id: string;
  category: string;
  kind: string;
  title: string;
  content: string;
}

export class LabelledExampleError extends Error {
  override name = 'LabelledExampleError';
}

export const labelledExamplesUrl = new URL('../data/labelled.jsonl', import.meta.url);

/** Parses and checks the examples; a bad line is refused naming its line number and field. */
export function parseLabelledExamples(text: string): LabelledExample[] {
  const examples: LabelledExample[] = [];
  const ids = new Set<string>();
  text.split('\n').forEach((line, index) => {
    if (line.trim() === '') return;
    const where = `labelled example on line ${index + 1}`;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      throw new LabelledExampleError(`${where} is not JSON`);
    }
    const record = (typeof value === 'object' && value !== null ? value : {}) as Record<string, unknown>;
    for (const field of ['id', 'category', 'kind', 'title', 'content'] as const) {
      if (typeof record[field] !== 'string' || record[field] === '') {
        throw new LabelledExampleError(`${where}: ${field} must be a non-empty string`);
      }
    }
    const example = record as unknown as LabelledExample;
    if (!categoryByLabel.has(example.category)) {
      throw new LabelledExampleError(`${where}: category "${example.category}" is not one of the 18`);
    }
    if (!kindByLabel.has(example.kind)) {
      throw new LabelledExampleError(`${where}: kind "${example.kind}" is not 建议意见, 检举控告 or 申诉求决`);
    }
    if (ids.has(example.id)) throw new LabelledExampleError(`${where}: id "${example.id}" is used twice`);
    ids.add(example.id);
    examples.push(example);
  });
  return examples;
}

export function loadLabelledExamples(url: URL = labelledExamplesUrl): LabelledExample[] {
  return parseLabelledExamples(readFileSync(url, 'utf8'));
}

/** One in five examples (by the id's FNV-1a hash) is held out from training, to measure accuracy on. */
export function isHeldOut(example: Pick<LabelledExample, 'id'>): boolean {
  return fnv1a32(example.id) % 5 === 0;
}

export function splitExamples(examples: readonly LabelledExample[]): {
  train: LabelledExample[];
  heldOut: LabelledExample[];
} {
  return {
    train: examples.filter((example) => !isHeldOut(example)),
    heldOut: examples.filter((example) => isHeldOut(example)),
  };
}
