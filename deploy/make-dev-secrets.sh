#!/bin/bash
# Makes what compose.yaml needs to run a node on one host for a trial: a CA, the brokers' and Redis's TLS
# certificates (deploy/secrets/), and random passwords for every Kafka principal and Redis plus a KRaft
# cluster id (deploy/.env, which docker compose reads). Both are git-ignored. It never overwrites: delete
# deploy/secrets and deploy/.env to start again. A real node gets its certificates from its own CA and
# keeps the passwords in its secret store. Needs openssl.
set -euo pipefail
deploy="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
secrets="$deploy/secrets"
if [[ -e "$secrets" || -e "$deploy/.env" ]]; then
  echo "deploy/secrets or deploy/.env exists: delete them to make new ones" >&2
  exit 1
fi
mkdir -m 700 "$secrets"
cd "$secrets"
openssl req -x509 -newkey rsa:3072 -nodes -days 365 -subj "/CN=petition node dev CA" \
  -keyout ca.key -out ca.crt 2>/dev/null
issue() { # name, subjectAltName
  openssl req -newkey rsa:3072 -nodes -subj "/CN=$1" -keyout "$1.key" -out "$1.csr" 2>/dev/null
  openssl x509 -req -in "$1.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -days 365 \
    -extfile <(printf 'subjectAltName=%s\nextendedKeyUsage=serverAuth,clientAuth\n' "$2") -out "$1.crt" 2>/dev/null
  rm "$1.csr"
}
issue kafka "DNS:kafka-1,DNS:kafka-2,DNS:kafka-3,DNS:localhost"
issue redis "DNS:redis,DNS:localhost"
# Kafka reads a PEM key store: the private key (PKCS#8) followed by the certificate.
openssl pkcs8 -topk8 -nocrypt -in kafka.key -out kafka.pk8
cat kafka.pk8 kafka.crt > kafka.pem
rm kafka.pk8 kafka.key ca.key ca.srl
# The containers run as non-root users: the keys are readable by them, not by other users of this host
# (the folder is 700).
chmod 644 ./*

password() { openssl rand -hex 24; }
{
  echo "# Made by deploy/make-dev-secrets.sh for a trial of compose.yaml. Not for a real node."
  echo "KAFKA_CLUSTER_ID=$(openssl rand -base64 16 | tr '+/' '-_' | tr -d '=')"
  for name in KAFKA_ADMIN INTAKE_KAFKA ROUTING_KAFKA DEADLINE_WATCHDOG_KAFKA NOTIFICATION_KAFKA TRACKING_KAFKA SITUATION_KAFKA \
    DIRECTORY_FEED_KAFKA MIRROR_MAKER_KAFKA REDIS QUERY_CODE_SECRET PERSON_ID_SECRET NOTIFY_OPS_TOKEN; do
    case "$name" in
      QUERY_CODE_SECRET | PERSON_ID_SECRET | NOTIFY_OPS_TOKEN) echo "$name=$(password)" ;;
      *) echo "${name}_PASSWORD=$(password)" ;;
    esac
  done
  echo "SEAL_KEYS=k1:$(openssl rand -base64 32)"
} > "$deploy/.env"
chmod 600 "$deploy/.env"
echo "wrote $secrets and $deploy/.env" >&2
