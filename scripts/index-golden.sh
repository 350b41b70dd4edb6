#!/usr/bin/env bash
# Regenerates the golden index under Tests/SouIndexingTests/Golden/ after a DELIBERATE format
# change (bump FileLayout.formatVersion and FORMAT.md first). Run from the project root. The file
# is written by the golden test's own construction (GoldenTests.writeGolden: three commits through
# IndexWriter), so the test and the file can never drift apart.
set -euo pipefail
cd "$(dirname "$0")/.."
g=Tests/SouIndexingTests/Golden
SOU_WRITE_GOLDEN="$PWD/$g/golden.sou" swift test --filter 'GoldenTests/reproducible' > /dev/null || true
swift build --product sou > /dev/null
.build/debug/sou check "$g/golden.sou"
ls -l "$g/golden.sou"
