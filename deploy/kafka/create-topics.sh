#!/bin/bash
# Creates the node's topics (topics.txt beside this file) with the partitions, replication factor and
# min.insync.replicas given, and the link topics of a federation node. Existing topics are left as they
# are (a partition count is never raised: it would move cases to other partitions). Run with Kafka's own
# tools (the apache/kafka image): the topic Job in Kubernetes, the kafka-setup service in compose.
#
#   KAFKA_BROKERS              bootstrap servers (required)
#   TOPIC_PARTITIONS           partitions of each topic (default 12)
#   TOPIC_REPLICATION_FACTOR   replicas of each partition (default 3)
#   TOPIC_MIN_INSYNC_REPLICAS  min.insync.replicas of each topic (default 2)
#   TOPIC_PREFIX               prepended to every name (default empty)
#   NODE_ID, PEER_NODES        this node and its peers (comma-separated): petition.link.<from>.<to>.v1 both ways
#   KAFKA_SECURITY_PROTOCOL, KAFKA_SASL_MECHANISM, KAFKA_SASL_USERNAME, KAFKA_SASL_PASSWORD, KAFKA_TLS_CA
#                              how the admin principal connects (as the services do)
#   DRY_RUN=1                  print the kafka-topics.sh arguments instead of running them
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$here/client-properties.sh"

: "${KAFKA_BROKERS:?KAFKA_BROKERS names the bootstrap servers}"
partitions="${TOPIC_PARTITIONS:-12}"
replicas="${TOPIC_REPLICATION_FACTOR:-3}"
min_isr="${TOPIC_MIN_INSYNC_REPLICAS:-2}"
prefix="${TOPIC_PREFIX:-}"
if (( min_isr > replicas )); then
  echo "TOPIC_MIN_INSYNC_REPLICAS ($min_isr) exceeds TOPIC_REPLICATION_FACTOR ($replicas)" >&2
  exit 2
fi

topics=()
while read -r name policy; do
  [[ -z "$name" || "$name" == \#* ]] && continue
  topics+=("$name $policy")
done < "$here/topics.txt"
if [[ -n "${NODE_ID:-}" ]]; then
  IFS=',' read -ra peers <<< "${PEER_NODES:-}"
  for peer in "${peers[@]}"; do
    [[ -z "$peer" ]] && continue
    for name in "petition.link.$NODE_ID.$peer.v1" "petition.link.$peer.$NODE_ID.v1"; do
      topics+=("$name delete" "$name.dlq delete")
    done
  done
fi

config=""
[[ "${DRY_RUN:-}" == 1 ]] || config="$(client_properties)"
for entry in "${topics[@]}"; do
  read -r name policy <<< "$entry"
  args=(--bootstrap-server "$KAFKA_BROKERS" --command-config "$config" --create --if-not-exists
    --topic "$prefix$name" --partitions "$partitions" --replication-factor "$replicas"
    --config "min.insync.replicas=$min_isr" --config "cleanup.policy=$policy")
  if [[ "${DRY_RUN:-}" == 1 ]]; then
    echo "kafka-topics.sh ${args[*]}"
  else
    /opt/kafka/bin/kafka-topics.sh "${args[@]}"
  fi
done
echo "topics ready: ${#topics[@]} (partitions $partitions, replication factor $replicas, min.insync.replicas $min_isr)" >&2
