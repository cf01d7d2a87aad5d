# Sourced by create-topics.sh and apply-acls.sh: writes the properties Kafka's command-line tools connect
# with, from the variables the services read (KAFKA_SECURITY_PROTOCOL, KAFKA_SASL_MECHANISM,
# KAFKA_SASL_USERNAME, KAFKA_SASL_PASSWORD, KAFKA_TLS_CA), and prints its path. The password goes to a
# file readable by this user only, never to the command line.
client_properties() {
  local file protocol mechanism module
  file="$(mktemp)"
  chmod 600 "$file"
  protocol="${KAFKA_SECURITY_PROTOCOL:-PLAINTEXT}"
  mechanism="${KAFKA_SASL_MECHANISM:-SCRAM-SHA-512}"
  echo "security.protocol=$protocol" > "$file"
  if [[ "$protocol" == SASL_* ]]; then
    : "${KAFKA_SASL_USERNAME:?KAFKA_SASL_USERNAME names the admin principal}"
    : "${KAFKA_SASL_PASSWORD:?KAFKA_SASL_PASSWORD is the password of the admin principal}"
    if [[ "$mechanism" == PLAIN ]]; then
      module=org.apache.kafka.common.security.plain.PlainLoginModule
    else
      module=org.apache.kafka.common.security.scram.ScramLoginModule
    fi
    {
      echo "sasl.mechanism=$mechanism"
      echo "sasl.jaas.config=$module required username=\"$KAFKA_SASL_USERNAME\" password=\"$KAFKA_SASL_PASSWORD\";"
    } >> "$file"
  fi
  if [[ "$protocol" == *SSL && -n "${KAFKA_TLS_CA:-}" ]]; then
    { echo "ssl.truststore.type=PEM"; echo "ssl.truststore.location=$KAFKA_TLS_CA"; } >> "$file"
  fi
  echo "$file"
}
