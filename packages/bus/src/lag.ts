// A consumer group's lag, as KEDA's Kafka scaler, a service's /metrics and the operator CLI read it: per partition, the broker's
// end offset less the offset the group has committed (0 where it has committed nothing).

export interface PartitionLag {
  partition: number;
  /** The offset after the last record in the partition. */
  end: bigint;
  /** Where the group resumes; 0 where it has committed nothing. */
  committed: bigint;
  /** Records the group has yet to commit: `end - committed`, never below 0. */
  lag: bigint;
}

/** The lag of each partition in `ends`, in partition order. */
export function partitionLags(
  ends: ReadonlyMap<number, bigint>,
  committed: ReadonlyMap<number, bigint>,
): PartitionLag[] {
  return [...ends]
    .sort(([a], [b]) => a - b)
    .map(([partition, end]) => {
      const at = committed.get(partition) ?? 0n;
      return { partition, end, committed: at, lag: end > at ? end - at : 0n };
    });
}
