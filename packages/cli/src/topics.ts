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

const missingTopic = /unknown topic|does not host this topic/i;

/**
 * Per topic name (without the prefix), its end offsets, or undefined where the broker has no such topic.
 * The bus lists no topics, so each is asked for its end offsets (all at once): a refusal naming an unknown
 * topic means it is not there; any other failure is the broker's and is thrown.
 */
export async function endOffsetsOf(
  bus: Bus,
  names: readonly string[],
): Promise<Map<string, Map<number, bigint> | undefined>> {
  const answers = await Promise.allSettled(names.map((name) => bus.endOffsets({ name })));
  const out = new Map<string, Map<number, bigint> | undefined>();
  answers.forEach((answer, i) => {
    const name = names[i] as string;
    if (answer.status === 'fulfilled') out.set(name, answer.value);
    else if (missingTopic.test(String((answer.reason as Error)?.message))) out.set(name, undefined);
    else throw answer.reason;
  });
  return out;
}

export const sum = (offsets: ReadonlyMap<number, bigint> | undefined) =>
  [...(offsets?.values() ?? [])].reduce((n, o) => n + o, 0n);
