#!/bin/bash
# MirrorMaker 2 of a node (compose.yaml, overlays/province), dedicated mode, in the apache/kafka image: one flow from each peer
# in PEER_NODES to this node (NODE_ID), copying petition.link.<peer>.<node>.v1 under the same name
# ("consume remote, produce local"), as packages/infra renderMirrorMakerConfig does for `npm start --nodes`.
# On this node's cluster it is the principal `mirror-maker`; on a peer's, `mirror-maker-<node>`, which may
# read only the peer's petition.link.<peer>.<node>.v1 (see deploy/kafka/acls.txt). Peer <p> is reached at
# PEER_<P>_KAFKA_BROKERS with PEER_<P>_KAFKA_PASSWORD, trusting the peer's CA at $PEER_CA_DIR/peer-<p>-ca.crt;
# this node's cluster at KAFKA_BROKERS, trusting KAFKA_TLS_CA.
set -euo pipefail
: "${NODE_ID:?}" "${PEER_NODES:?}" "${KAFKA_BROKERS:?}" "${MIRROR_MAKER_KAFKA_PASSWORD:?}"
ca="${KAFKA_TLS_CA:-/certs/ca.crt}"
peer_ca_dir="${PEER_CA_DIR:-/certs}"
props=/tmp/mm2.properties
scram=org.apache.kafka.common.security.scram.ScramLoginModule
IFS=',' read -ra peers <<< "$PEER_NODES"
{
  echo "clusters = $NODE_ID, ${PEER_NODES//,/, }"
  echo "replication.policy.class = org.apache.kafka.connect.mirror.IdentityReplicationPolicy"
  for key in emit.heartbeats.enabled emit.checkpoints.enabled emit.offset-syncs.enabled sync.group.offsets.enabled \
    sync.topic.acls.enabled sync.topic.configs.enabled heartbeats.replication.enabled; do echo "$key = false"; done
  echo "replication.factor = 3"
  for topic in heartbeats checkpoints config.storage offset.storage status.storage; do
    echo "$topic.replication.factor = 3"
  done
  echo "tasks.max = 3"
  echo "$NODE_ID.bootstrap.servers = $KAFKA_BROKERS"
  echo "$NODE_ID.security.protocol = SASL_SSL"
  echo "$NODE_ID.sasl.mechanism = SCRAM-SHA-512"
  echo "$NODE_ID.sasl.jaas.config = $scram required username=\"mirror-maker\" password=\"$MIRROR_MAKER_KAFKA_PASSWORD\";"
  echo "$NODE_ID.ssl.truststore.type = PEM"
  echo "$NODE_ID.ssl.truststore.location = $ca"
  echo "$NODE_ID.producer.acks = all"
  echo "$NODE_ID.producer.enable.idempotence = true"
  echo "$NODE_ID.offset.flush.interval.ms = 5000"
  for peer in "${peers[@]}"; do
    upper="$(echo "$peer" | tr '[:lower:]-' '[:upper:]_')"
    brokers_var="PEER_${upper}_KAFKA_BROKERS" password_var="PEER_${upper}_KAFKA_PASSWORD"
    echo "$peer.bootstrap.servers = ${!brokers_var:?$brokers_var is not set}"
    echo "$peer.security.protocol = SASL_SSL"
    echo "$peer.sasl.mechanism = SCRAM-SHA-512"
    echo "$peer.sasl.jaas.config = $scram required username=\"mirror-maker-$NODE_ID\" password=\"${!password_var:?$password_var is not set}\";"
    echo "$peer.ssl.truststore.type = PEM"
    echo "$peer.ssl.truststore.location = $peer_ca_dir/peer-$peer-ca.crt"
    echo "$peer.consumer.auto.offset.reset = earliest"
    echo "$peer->$NODE_ID.enabled = true"
    echo "$peer->$NODE_ID.topics = petition\\\\.link\\\\.$peer\\\\.$NODE_ID\\\\.v1"
  done
} > "$props"
chmod 600 "$props"
exec /opt/kafka/bin/connect-mirror-maker.sh "$props" --clusters "$NODE_ID"
