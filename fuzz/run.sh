#!/usr/bin/env bash
# Runs every fuzz target for SECONDS each (default 60) from its committed corpus, on a
# stable toolchain (no sanitizer: libFuzzer's coverage and the targets' own assertions).
# New inputs land in fuzz/corpus/<target>/; a crash stops the run with its input saved
# under fuzz/artifacts/<target>/. Usage: fuzz/run.sh [SECONDS] [TARGET...]
set -euo pipefail
cd "$(dirname "$0")"
seconds=${1:-60}
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(event_decoder ndjson_framing search_query search_body log_reader cypher_names)
fi
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked --version 0.13.2
for t in "${targets[@]}"; do
  mkdir -p "corpus/$t"
  echo "== fuzz $t for ${seconds}s"
  log="target/fuzz-$t.log"
  mkdir -p target
  rc=0
  cargo fuzz run -s none "$t" "corpus/$t" -- -max_total_time="$seconds" -max_len=8192 \
    -timeout=20 -rss_limit_mb=4096 -print_final_stats=1 >"$log" 2>&1 || rc=$?
  grep -E "^stat::(number_of_executed_units|new_units_added|peak_rss_mb)|^Done" "$log" || true
  if [ "$rc" -ne 0 ]; then
    # A crash leaves its input under artifacts/; print what happened.
    grep -E -A30 "panicked|ERROR|SUMMARY|^error" "$log" | head -80
    echo "fuzz target $t failed (exit $rc); see $log and artifacts/$t/"
    exit 1
  fi
done
