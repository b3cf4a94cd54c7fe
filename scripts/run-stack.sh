#!/usr/bin/env bash
# `make run`: the whole stack on this machine.
#
# Without DATABASE_URL: a private PostgreSQL (scripts/dev-postgres.sh), database
# batches_dev. With DATABASE_URL: that database. Either way the database is migrated
# and given the development seed (a development command; production never seeds).
# Then batch-service (gRPC :50051), rest-translator (:8080) and soap-translator (:8081)
# run until Ctrl-C, which stops them all (and the private PostgreSQL) cleanly.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

profile=${PROFILE:-dev}
target_dir=${CARGO_TARGET_DIR:-$root/target}
bin=$target_dir/$([ "$profile" = dev ] && echo debug || echo "$profile")

grpc_addr=${GRPC_LISTEN_ADDR:-127.0.0.1:50051}
rest_addr=${REST_LISTEN_ADDR:-127.0.0.1:8080}
soap_addr=${SOAP_LISTEN_ADDR:-127.0.0.1:8081}

# Stop the private PostgreSQL at the end only if this run started it (a `make test`
# in another terminal may be using it).
stop_pg=
if [ -z "${DATABASE_URL:-}" ]; then
    scripts/dev-postgres.sh status || stop_pg=1
    DATABASE_URL=$(scripts/dev-postgres.sh database batches_dev)
fi
export DATABASE_URL

echo "==> building (cargo --profile $profile)"
cargo build --profile "$profile" -p batch-service -p rest-translator -p soap-translator

echo "==> migrating and seeding the development database"
"$bin/batch-service" migrate
"$bin/batch-service" seed-dev

pids=()
cleanup() {
    trap - INT TERM EXIT
    echo
    echo "==> stopping"
    for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
    if [ -n "$stop_pg" ]; then scripts/dev-postgres.sh stop; fi
    exit 0
}
trap cleanup INT TERM EXIT

wait_for_port() {
    local addr=$1 name=$2
    for _ in $(seq 1 100); do
        if (exec 3<>"/dev/tcp/${addr%:*}/${addr##*:}") 2>/dev/null; then return 0; fi
        sleep 0.1
    done
    echo "$name did not start listening on $addr" >&2
    exit 1
}

GRPC_LISTEN_ADDR=$grpc_addr METRICS_LISTEN_ADDR=127.0.0.1:9090 "$bin/batch-service" serve & pids+=($!)
wait_for_port "$grpc_addr" batch-service
export BATCH_SERVICE_URL=http://$grpc_addr
REST_LISTEN_ADDR=$rest_addr METRICS_LISTEN_ADDR=127.0.0.1:9091 "$bin/rest-translator" & pids+=($!)
SOAP_LISTEN_ADDR=$soap_addr METRICS_LISTEN_ADDR=127.0.0.1:9092 "$bin/soap-translator" & pids+=($!)
wait_for_port "$rest_addr" rest-translator
wait_for_port "$soap_addr" soap-translator

cat <<TXT

The stack is up (Ctrl-C stops it):
  gRPC  batch.v1.BatchService  $grpc_addr
  REST  SerpWow Batches API    http://$rest_addr/live/batches
  SOAP  SuperOffice Batch.svc  http://$soap_addr/Remote/Services86/Batch.svc
  metrics  http://127.0.0.1:9090/metrics (service), :9091 (REST), :9092 (SOAP)

Try each door (the development seed: api_key demo, ticket 7T:1234abcxyzExample==):
  curl -X DELETE "http://$rest_addr/live/batches/123456?api_key=demo"
  curl -s "http://$soap_addr/Remote/Services86/Batch.svc" -H 'Content-Type: text/xml' \\
       --data-binary @translators/soap/tests/envelopes/seed_delete_batch_tasks_request.xml
  npx --yes @bufbuild/buf@1.75.0 curl --protocol grpc --http2-prior-knowledge \\
       -H "authorization: Bearer demo" -d '{"ids": ["123458"]}' \\
       http://$grpc_addr/batch.v1.BatchService/DeleteBatches
TXT

wait -n "${pids[@]}"
echo "a process exited; stopping the rest" >&2
