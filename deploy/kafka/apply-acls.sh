#!/bin/bash
# Applies the ACLs of acls.txt (beside this file) with Kafka's kafka-acls.sh, as the admin principal.
# Lines naming {node} or {peer} are applied once per peer of a federation node (NODE_ID, PEER_NODES) and
# skipped in a single-node deployment. Adding an ACL twice is harmless, so the script may run again.
#
#   KAFKA_BROKERS, TOPIC_PREFIX, NODE_ID, PEER_NODES, and the admin's KAFKA_SECURITY_PROTOCOL,
#   KAFKA_SASL_MECHANISM, KAFKA_SASL_USERNAME, KAFKA_SASL_PASSWORD, KAFKA_TLS_CA (as create-topics.sh)
#   DRY_RUN=1   print one line per ACL, `<principal> <operation> <resource> <pattern> <name>`, instead
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$here/client-properties.sh"

: "${KAFKA_BROKERS:?KAFKA_BROKERS names the bootstrap servers}"
prefix="${TOPIC_PREFIX:-}"
IFS=',' read -ra peers <<< "${PEER_NODES:-}"

acls=()
while read -r principal operation resource pattern name; do
  [[ -z "$principal" || "$principal" == \#* ]] && continue
  line="$principal $operation $resource $pattern $name"
  if [[ "$line" == *"{peer}"* || "$line" == *"{node}"* ]]; then
    [[ -z "${NODE_ID:-}" ]] && continue
    for peer in "${peers[@]}"; do
      [[ -z "$peer" ]] && continue
      expanded="${line//\{node\}/$NODE_ID}"
      acls+=("${expanded//\{peer\}/$peer}")
    done
  else
    acls+=("$line")
  fi
done < "$here/acls.txt"

if [[ "${DRY_RUN:-}" == 1 ]]; then
  for acl in "${acls[@]}"; do
    read -r principal operation resource pattern name <<< "$acl"
    echo "$principal $operation $resource $pattern $prefix$name"
  done
  exit 0
fi
# One kafka-acls.sh run (a JVM start) per principal and resource, with all its operations.
declare -A operations=()
order=()
for acl in "${acls[@]}"; do
  read -r principal operation resource pattern name <<< "$acl"
  key="$principal $resource $pattern $name"
  [[ -v "operations[$key]" ]] || order+=("$key")
  operations[$key]+=" --operation $operation"
done
config="$(client_properties)"
for key in "${order[@]}"; do
  read -r principal resource pattern name <<< "$key"
  # shellcheck disable=SC2086 # the operations are words on purpose
  /opt/kafka/bin/kafka-acls.sh --bootstrap-server "$KAFKA_BROKERS" --command-config "$config" --add \
    --allow-principal "User:$principal" ${operations[$key]} \
    "--$resource" "$prefix$name" --resource-pattern-type "$pattern"
done
echo "ACLs applied: ${#acls[@]}" >&2
