#!/usr/bin/env bash
# living-index-stress.sh [STEPS] [SEEDS] -- the model-based test of the living index (random adds,
# replacements, deletions, commits, merges, reopens and crashes against an in-memory model; after
# every commit each query must equal a fresh build of the live documents) with more steps and
# seeds than `swift test` runs: 4 × SEEDS+1 runs of STEPS steps each (default 1000 steps, 4 seeds).
set -euo pipefail
cd "$(dirname "$0")/.."
STEPS=${1:-1000}
SEEDS=${2:-4}
swift build --build-tests > /dev/null
SOU_MODEL_STEPS=$STEPS SOU_MODEL_SEEDS=$SEEDS swift test --skip-build --filter 'LivingIndexTests/modelBased' 2>&1 | grep -E "✔|✘|passed|failed" | tail -3
