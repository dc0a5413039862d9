#!/usr/bin/env bash
# Runs every fuzz target with libFuzzer (cargo fuzz, nightly) until RUNS executions (default 10M) or
# MAX_SECONDS (default 3600) per target, two targets at a time (one per core), without a sanitizer
# (`-s none`: the core forbids unsafe code, and an uninstrumented build runs 2-3x more inputs), then minimizes each
# corpus into fuzz/corpus/<target>. Prints one line per target: name, executions, seconds, result.
# Crashes land in fuzz/artifacts/<target>/; keep each as fuzz/regressions/<target>/<name> once fixed.
# Usage: fuzz/run.sh [RUNS] [MAX_SECONDS] [TARGET...]
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-10000000}
MAX_SECONDS=${2:-3600}
shift 2 || true
TARGETS=("$@")
if [ ${#TARGETS[@]} -eq 0 ]; then
  mapfile -t TARGETS < <(sed -n 's/^name = "\(.*\)"$/\1/p' fuzz/Cargo.toml | grep -v '^oauthbearer-fuzz$')
fi
OUT=target/fuzz-logs
mkdir -p "$OUT"
FUZZ=(cargo +nightly fuzz run --fuzz-dir fuzz --target-dir target/fuzz -O -s none --features libfuzzer)

# Build every target once, serially (the build is the heavy part; two at once would share the lock).
cargo +nightly fuzz build --fuzz-dir fuzz --target-dir target/fuzz -O -s none --features libfuzzer >&2

one() {
  local target=$1 started=$SECONDS status=ok
  mkdir -p "fuzz/corpus/$target"
  "${FUZZ[@]}" "$target" "fuzz/corpus/$target" -- -runs="$RUNS" -max_total_time="$MAX_SECONDS" \
    -rss_limit_mb=2048 -timeout=10 -max_len=16384 -print_final_stats=1 >"$OUT/$target.log" 2>&1 || status=FAILED
  local execs
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$OUT/$target.log" | tail -1)
  echo "$target ${execs:-0} $((SECONDS - started)) $status"
}
export -f one
export RUNS MAX_SECONDS OUT
export FUZZ_CMD="${FUZZ[*]}"
printf '%s\n' "${TARGETS[@]}" | xargs -P 2 -I{} bash -c 'FUZZ=($FUZZ_CMD); one "$@"' _ {}

# Minimize each corpus (keeps the inputs that reach distinct coverage) before it is committed.
for target in "${TARGETS[@]}"; do
  cargo +nightly fuzz cmin --fuzz-dir fuzz --target-dir target/fuzz -O -s none --features libfuzzer "$target" \
    "fuzz/corpus/$target" >"$OUT/$target.cmin.log" 2>&1 || echo "cmin $target failed (see $OUT/$target.cmin.log)" >&2
done
