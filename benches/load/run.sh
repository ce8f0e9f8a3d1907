#!/usr/bin/env bash
# The HTTP load benchmark, end to end: generate N listings, ingest them with the CLI
# (timed), serve them, and drive the query mix of mix.json at 1 and 16 connections
# (benches/load.rs); with STOCKYARD_BENCH_TYPESENSE=1 the same mix also goes to
# Typesense 0.24.1 loaded with the same listings (typesense.py), run by run.
# STOCKYARD_BENCH_CACHE_MB=64 serves with the cache of answers on (off by default).
#
#   benches/load/run.sh [LISTINGS]        # default 1,000,000
#
# Generated files, data directories and Typesense's state stay in
# target/load-bench/<LISTINGS>/ and are reused by the next run.
set -euo pipefail
cd "$(dirname "$0")/../.."
n=${1:-1000000}
state=${STOCKYARD_BENCH_DIR:-target/load-bench}/$n
port=${STOCKYARD_BENCH_PORT:-7790}
mkdir -p "$state"
cargo build --release --bin stockyard
bin=target/release/stockyard

if [ ! -f "$state/events.ndjson" ]; then
  "$bin" generate --seed 7 --listings "$n" > "$state/events.ndjson.tmp"
  mv "$state/events.ndjson.tmp" "$state/events.ndjson"
fi
if [ ! -f "$state/ingested" ]; then
  rm -rf "$state/data"
  start=$(date +%s%N)
  "$bin" ingest "$state/events.ndjson" --data-dir "$state/data"
  echo "ingest: $(wc -l < "$state/events.ndjson") events in $(( ($(date +%s%N) - start) / 1000000 )) ms"
  touch "$state/ingested"
fi

# The cache of answers is off unless STOCKYARD_BENCH_CACHE_MB says otherwise: the
# mix repeats twelve searches, which a cache answers without searching. Broad
# searches use a second idle core unless STOCKYARD_BENCH_SPLIT=off.
STOCKYARD_SEARCH_CACHE_MB=${STOCKYARD_BENCH_CACHE_MB:-0} \
STOCKYARD_SEARCH_SPLIT=${STOCKYARD_BENCH_SPLIT:-on} \
  "$bin" serve --data-dir "$state/data" --listen "127.0.0.1:$port" > "$state/serve.log" 2>&1 &
serve=$!
trap 'kill $serve 2>/dev/null || true' EXIT
until curl -sf "http://127.0.0.1:$port/ready" > /dev/null; do sleep 0.5; done

if [ "${STOCKYARD_BENCH_TYPESENSE:-0}" = 1 ]; then
  python3 benches/load/typesense.py install --state "$state/typesense"
  eval "$(python3 benches/load/typesense.py start --state "$state/typesense")"
  trap 'kill $serve 2>/dev/null || true; python3 benches/load/typesense.py stop --state "$state/typesense"' EXIT
  if [ ! -f "$state/typesense/loaded" ]; then
    python3 benches/load/typesense.py load --url "$TYPESENSE_URL" --key "$TYPESENSE_KEY" "$state/events.ndjson"
    touch "$state/typesense/loaded"
  fi
  export TYPESENSE_URL TYPESENSE_KEY
fi

STOCKYARD_URL="http://127.0.0.1:$port" cargo bench --bench load
echo "serve memory: $(grep -E 'VmHWM|VmRSS' /proc/$serve/status | tr -s ' ' | tr '\n' ' ')"
