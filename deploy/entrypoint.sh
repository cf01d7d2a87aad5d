#!/bin/sh
# The image's entrypoint: runs one service of the backbone, chosen by SERVICE or by the first argument
# (`docker run IMAGE routing`), from its TypeScript source on Node 24 (type stripping, no build step).
# Intake's INTAKE_SOURCE_ID must be unique per running instance across the nation: where the platform
# gives each instance an ordinal (a StatefulSet's POD_INDEX), it is INTAKE_SOURCE_ID_BASE + POD_INDEX.
set -eu
service="${1:-${SERVICE:-}}"
case "$service" in
  intake | routing | deadline-watchdog | notification | tracking | situation) ;;
  *)
    echo "choose the service: SERVICE or the first argument, one of intake routing deadline-watchdog notification tracking situation (got '${service}')" >&2
    exit 2
    ;;
esac
if [ "$service" = intake ] && [ -n "${POD_INDEX:-}" ]; then
  INTAKE_SOURCE_ID=$(( ${INTAKE_SOURCE_ID_BASE:-0} + POD_INDEX ))
  export INTAKE_SOURCE_ID
fi
export SERVICE="$service"
exec node "services/$service/src/main.ts"
