#!/usr/bin/env bash
# fuzz.sh TARGET SECONDS    build the libFuzzer targets, run TARGET for SECONDS
# fuzz.sh --list            the target names, one per line
# fuzz.sh --reproduce TARGET FILE...   run TARGET once on each FILE (a crash or regression input)
# fuzz.sh --regressions     run every target once on its seeds and its saved regression inputs
# fuzz.sh --write-seeds     regenerate the generated seeds (index files, gzip) into Fuzz/Seeds
#
# The targets live in a package of their own (Fuzz/), built in .build-fuzz with libFuzzer and
# AddressSanitizer, so the normal `swift build`/`swift test` never see them. A run starts from
# the committed seeds (Fuzz/Seeds/TARGET, read only) and a working corpus it grows
# (.build-fuzz/corpus/TARGET); a unit slower than 10 s (-timeout) or a process above 2 GB
# (-rss_limit_mb) is a finding like a crash. Exit 0 when nothing was found; otherwise non-zero,
# and the path of the input that crashed (in .build-fuzz/artifacts/TARGET/) is printed.
# Runs under `nice`: the machine may be shared.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
SCRATCH="$ROOT/.build-fuzz"
. "$ROOT/scripts/build-stamp.sh"
TARGETS=(analyzer query jsonl html gzip index)

usage() { sed -n '2,6p' "$0" | sed 's/^# //' >&2; exit 2; }

# --sanitize=... instruments the C targets (clang adds up the -fsanitize flags); for Swift the
# last -sanitize= wins, so without the combined -Xswiftc flag (after SwiftPM's own) the Swift
# code would get AddressSanitizer without libFuzzer's coverage.
build() {
  # the fuzzing corpus, findings and logs stay; a stale build plan lacked new source files
  fresh_if_tree_changed "$SCRATCH" corpus logs 'regressions-*.log'
  echo "building the fuzz targets in $SCRATCH" >&2
  nice swift build -c release --package-path "$ROOT/Fuzz" --scratch-path "$SCRATCH" \
    --sanitize=fuzzer --sanitize=address -Xswiftc -sanitize=fuzzer,address \
    -Xswiftc -enable-testing -Xswiftc -parse-as-library >&2
  BIN="$SCRATCH/release/sou-fuzz"
}

known() {
  local t
  for t in "${TARGETS[@]}"; do [ "$t" = "$1" ] && return 0; done
  echo "fuzz.sh: unknown target '$1'; targets: ${TARGETS[*]}" >&2
  exit 2
}

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0}
# libFuzzer reports a crash with its stack and saves the input; the Swift backtracer would get there first
export SWIFT_BACKTRACE=${SWIFT_BACKTRACE:-enable=no}
FLAGS=(-timeout=10 -rss_limit_mb=2048 -max_len=16384 -print_final_stats=1)

case ${1:-} in
  --list) printf '%s\n' "${TARGETS[@]}"; exit 0 ;;
  --write-seeds)
    build
    SOU_FUZZ_WRITE_SEEDS="$ROOT/Fuzz/Seeds" "$BIN"
    echo "wrote $ROOT/Fuzz/Seeds/{index,gzip}" >&2
    exit 0 ;;
  --reproduce)
    [ $# -ge 3 ] || usage
    known "$2"; T=$2; shift 2
    build
    SOU_FUZZ_TARGET=$T nice "$BIN" "${FLAGS[@]}" "$@"
    exit $? ;;
  --regressions)
    build
    status=0
    for T in "${TARGETS[@]}"; do
      files=()
      for d in "$ROOT/Fuzz/Seeds/$T" "$ROOT/Fuzz/Regressions/$T"; do
        [ -d "$d" ] && while IFS= read -r -d '' f; do files+=("$f"); done < <(find "$d" -type f -print0)
      done
      [ ${#files[@]} -gt 0 ] || continue
      if SOU_FUZZ_TARGET=$T nice "$BIN" "${FLAGS[@]}" "${files[@]}" > "$SCRATCH/regressions-$T.log" 2>&1; then
        echo "$T: ${#files[@]} inputs pass"
      else
        echo "$T: FAILED (see $SCRATCH/regressions-$T.log)"; status=1
      fi
    done
    exit $status ;;
  -*|'') usage ;;
esac

[ $# -eq 2 ] || usage
T=$1 SECONDS_=$2
known "$T"
[[ $SECONDS_ =~ ^[0-9]+$ ]] || usage
build
CORPUS="$SCRATCH/corpus/$T"
ARTIFACTS="$SCRATCH/artifacts/$T"
LOG="$SCRATCH/logs/$T-$(date -u +%Y%m%dT%H%M%SZ).log"
mkdir -p "$CORPUS" "$ARTIFACTS" "$(dirname "$LOG")"
marker=$(mktemp)
trap 'rm -f "$marker"' EXIT
echo "fuzzing $T for $SECONDS_ s (log: $LOG)" >&2
status=0
SOU_FUZZ_TARGET=$T nice "$BIN" "${FLAGS[@]}" -max_total_time="$SECONDS_" -artifact_prefix="$ARTIFACTS/" \
  "$CORPUS" "$ROOT/Fuzz/Seeds/$T" > "$LOG" 2>&1 || status=$?
execs=$(grep -o 'stat::number_of_executed_units: [0-9]*' "$LOG" | tail -1 | grep -o '[0-9]*$' || true)
found=$(find "$ARTIFACTS" -type f -newer "$marker" | sort)
if [ $status -eq 0 ] && [ -z "$found" ]; then
  echo "$T: ${execs:-?} executions in $SECONDS_ s, 0 crashes"
  exit 0
fi
echo "$T: FAILED (exit $status) after ${execs:-?} executions; log: $LOG" >&2
grep -m1 -E 'ERROR: |property violated|Fatal error|ALARM|out-of-memory' "$LOG" >&2 || tail -20 "$LOG" >&2
if [ -n "$found" ]; then
  echo "$found"
fi
exit $(( status == 0 ? 1 : status ))
