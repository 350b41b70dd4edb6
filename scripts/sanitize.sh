#!/usr/bin/env bash
# sanitize.sh [address|thread|all] [extra swift test arguments...]
#
# Runs the test suite under a sanitizer, in its own build folder so that the normal .build is
# left alone. The C targets (CICUShim, CZlib, CSystemShim) are compiled with the sanitizer too,
# and the `sou` executable the CLI tests start is the sanitized one built next to the tests
# (SOU_TEST_EXECUTABLE is unset so that no other build is picked up).
#
#   address  the whole suite under AddressSanitizer (and LeakSanitizer), .build-asan
#   thread   the tests that run threads or processes at once under ThreadSanitizer, .build-tsan:
#            concurrent readers and searches, the writer lock, parallel inversion and merging
#            (--jobs), sou processes searching while another commits, the folder walk on its own
#            thread while the index is checked, the thread that syncs an index file early
#   all      address, then thread (the default)
#
# Exit status 0 when the tests pass and the sanitizer reported nothing; any report fails the run
# (halt_on_error: the first report aborts the process that made it, so the test or the sou run
# fails). Both are slow: a debug build with instrumentation, each test 2-10 times slower.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
. scripts/build-stamp.sh
MODE=${1:-all}
shift || true
unset SOU_TEST_EXECUTABLE

# The tests that run several threads or processes at once (swift test --filter regexes).
THREAD_TESTS=(
  'LivingIndexTests/oneWriterAtATime'
  'LivingIndexTests/concurrentReaders'
  'SearchAPITests/concurrency'
  'ConcurrencyTests/concurrentReads'
  'BuildTests/jobsDeterminism'
  'BuildInternalsTests/pipelineWindow'
  'BuildInternalsTests/pipelineInvertsInOrder'
  'BuildTimingsTests/buildPhases'
  'SegmentMergerTests/jobs'
  'UpdateCLITests/readerProcessesDuringWrites'
  'UpdateCLITests/twoWriters'
  'UpdateOverlapTests'
  'BackgroundSyncTests'
)

run() {
  local sanitizer=$1 scratch=$2
  shift 2
  local start=$SECONDS
  # a stale incremental build reports stale code (scripts/build-stamp.sh)
  fresh_if_tree_changed "$scratch"
  echo "== $sanitizer sanitizer: building in $scratch"
  nice swift build --build-tests -c debug --sanitize="$sanitizer" --scratch-path "$scratch"
  echo "== $sanitizer sanitizer: testing"
  local status=0
  # --disable-xctest: every test is a Swift Testing test; XCTest's empty pass only adds its leaks
  nice swift test --skip-build --disable-xctest -c debug --sanitize="$sanitizer" --scratch-path "$scratch" "$@" || status=$?
  echo "== $sanitizer sanitizer: exit $status after $((SECONDS - start)) s"
  return $status
}

# halt_on_error makes the first report fatal; a report is never only a line in a log. Leak
# checking is off for the test processes: XCTest's own runner leaks (reported at exit even with no
# XCTest test, which fails the run), and the tests start hundreds of `sou` processes. Check leaks
# of the executable itself with `ASAN_OPTIONS=detect_leaks=1 .build-asan/debug/sou ...`.
export ASAN_OPTIONS=${ASAN_OPTIONS:-halt_on_error=1:detect_leaks=0}
export TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=1}
# The Swift runtime's backtracer would symbolicate a sanitizer abort for a very long time (it was
# seen running for half an hour on an ASan build); the sanitizer prints its own report and stack.
export SWIFT_BACKTRACE=${SWIFT_BACKTRACE:-enable=no}

status=0
case $MODE in
  address) run address .build-asan "$@" || status=$? ;;
  thread)
    filters=()
    for t in "${THREAD_TESTS[@]}"; do filters+=(--filter "$t"); done
    # the Swift runtime shared: TSan intercepts libdispatch through the dynamic linker (Package.swift)
    export SOU_SHARED_SWIFT_RUNTIME=1
    run thread .build-tsan "${filters[@]}" "$@" || status=$? ;;
  all)
    "$0" address "$@" || status=$?
    "$0" thread "$@" || status=$? ;;
  *) echo "usage: $0 [address|thread|all] [swift test arguments...]" >&2; exit 2 ;;
esac
exit $status
