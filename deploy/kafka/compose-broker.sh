#!/bin/bash
# One broker of compose.yaml's three-broker KRaft cluster (each broker also a controller), run in the
# apache/kafka image. Clients and brokers speak SASL_SSL with SCRAM-SHA-512 on 9092; the controllers
# speak SASL_SSL with PLAIN on 9093 (KRaft controllers cannot use SCRAM: its credentials live in the
# metadata they serve). ACLs are enforced (StandardAuthorizer); `admin` is the only super user.
# The SCRAM users — admin, one per service, directory-feed, mirror-maker — are created when the storage
# is formatted, on the first start; their passwords come from the environment (deploy/make-dev-secrets.sh
# writes them into deploy/.env for a trial; a real node keeps them in its secret store).
set -euo pipefail
: "${KAFKA_NODE_ID:?}" "${KAFKA_CLUSTER_ID:?}" "${KAFKA_ADMIN_PASSWORD:?}"
props=/var/lib/kafka/server.properties
data=/var/lib/kafka/data
mkdir -p "$data"
cat > "$props" <<PROPS
process.roles=broker,controller
node.id=$KAFKA_NODE_ID
controller.quorum.voters=1@kafka-1:9093,2@kafka-2:9093,3@kafka-3:9093
listeners=SASL_SSL://:9092,CONTROLLER://:9093
advertised.listeners=SASL_SSL://kafka-$KAFKA_NODE_ID:9092
controller.listener.names=CONTROLLER
inter.broker.listener.name=SASL_SSL
listener.security.protocol.map=CONTROLLER:SASL_SSL,SASL_SSL:SASL_SSL
sasl.enabled.mechanisms=SCRAM-SHA-512
sasl.mechanism.inter.broker.protocol=SCRAM-SHA-512
sasl.mechanism.controller.protocol=PLAIN
listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="admin" password="$KAFKA_ADMIN_PASSWORD";
listener.name.controller.sasl.enabled.mechanisms=PLAIN
listener.name.controller.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username="admin" password="$KAFKA_ADMIN_PASSWORD" user_admin="$KAFKA_ADMIN_PASSWORD";
ssl.keystore.type=PEM
ssl.keystore.location=/certs/kafka.pem
ssl.truststore.type=PEM
ssl.truststore.location=/certs/ca.crt
ssl.endpoint.identification.algorithm=https
authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer
allow.everyone.if.no.acl.found=false
super.users=User:admin
log.dirs=$data
# As deploy/kafka/server.properties, with the durability of three brokers.
auto.create.topics.enable=false
num.partitions=12
default.replication.factor=3
min.insync.replicas=2
offsets.topic.replication.factor=3
transaction.state.log.replication.factor=3
transaction.state.log.min.isr=2
share.coordinator.state.topic.replication.factor=3
share.coordinator.state.topic.min.isr=2
log.retention.ms=-1
log.retention.bytes=-1
message.max.bytes=2097152
PROPS
if [[ ! -f "$data/meta.properties" ]]; then
  scram=(--add-scram "SCRAM-SHA-512=[name=admin,password=$KAFKA_ADMIN_PASSWORD]")
  for user in intake routing deadline-watchdog notification tracking situation directory-feed mirror-maker; do
    var="$(echo "${user//-/_}" | tr '[:lower:]' '[:upper:]')_KAFKA_PASSWORD"
    scram+=(--add-scram "SCRAM-SHA-512=[name=$user,password=${!var:?$var is not set}]")
  done
  /opt/kafka/bin/kafka-storage.sh format --ignore-formatted -t "$KAFKA_CLUSTER_ID" -c "$props" "${scram[@]}"
fi
exec /opt/kafka/bin/kafka-server-start.sh "$props"
