import { allTopics, type Bus, dlqSuffix } from '@petition/bus';

// The topics the CLI looks at: those of the catalogue (@petition/bus) and the DLQ beside each, as far as the
// deployment has made them.

export interface CatalogueTopic {
  /** The name without the prefix, e.g. `petition.case-events.v1`. */
  name: string;
  /** The DLQ beside it, without the prefix. */
  dlq: string;
}

export const catalogueTopics: CatalogueTopic[] = allTopics.map((t) => ({ name: t.name, dlq: `${t.name}${dlqSuffix}` }));

/** `petition.case-events.v1` and `petition.case-events.v1.dlq` both name the DLQ `petition.case-events.v1.dlq`. */
export function dlqOf(topic: string): CatalogueTopic | undefined {
  const name = topic.endsWith(dlqSuffix) ? topic.slice(0, -dlqSuffix.length) : topic;
  return catalogueTopics.find((t) => t.name === name);
}

/**
 * Per topic name (without the prefix), its end offsets, or undefined where the broker has no such topic (the
 * broker's list is asked once; only the topics it has are asked for their offsets).
 */
export async function endOffsetsOf(
  bus: Bus,
  names: readonly string[],
): Promise<Map<string, Map<number, bigint> | undefined>> {
  const present = new Set(await bus.listTopics());
  const answers = await Promise.all(names.map((name) => (present.has(name) ? bus.endOffsets({ name }) : undefined)));
  return new Map(names.map((name, i) => [name, answers[i]]));
}

export const sum = (offsets: ReadonlyMap<number, bigint> | undefined) =>
  [...(offsets?.values() ?? [])].reduce((n, o) => n + o, 0n);
