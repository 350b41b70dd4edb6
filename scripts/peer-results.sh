#!/usr/bin/env bash
# peer-results.sh [ENGINES...] [SETS...] -- runs ../shared/bench/run_peers.sh with this tree's release
# build of sou and writes Benchmarks/RESULTS.md from that one run (scripts/peer-results.py): when,
# where and how busy, Sou against issue 9's targets, and the harness's tables.
# With no arguments: every engine, the five query sets plus dev-all, dev-x3 and dev-x10
# (`../shared/bench/prepare.sh 3 10` makes the dev-xN sets). Takes about 5 minutes on a 2-vCPU EPYC
# (5 min 1 s on 2026-12-05, every engine installed by its setup.sh beforehand).
# Env: RES (default /tmp/sou-bench/results), WORK (default /tmp/sou-bench/work), as run_peers.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
BENCH=${BENCH:-../shared/bench}
[ -x "$BENCH/run_peers.sh" ] || BENCH=/work/shared/bench
swift build -c release --product sou >&2
export SOU=$PWD/.build/release/sou
export RES=${RES:-/tmp/sou-bench/results}
args=("$@")
[ ${#args[@]} -gt 0 ] || args=(manpages-zh fortunes-zh manpages-ja debref-ja gimp-ko dev-all dev-x3 dev-x10)
"$BENCH/run_peers.sh" "${args[@]}"
python3 scripts/peer-results.py "$RES" "$(git rev-parse --short HEAD)" > Benchmarks/RESULTS.md
echo "wrote Benchmarks/RESULTS.md" >&2
