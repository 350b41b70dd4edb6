#!/usr/bin/env bash
# Regenerates the golden index under Tests/SouIndexingTests/Golden/ after a DELIBERATE format
# change (bump FileLayout.formatVersion and FORMAT.md first). Run from the project root.
set -euo pipefail
cd "$(dirname "$0")/.."
swift build --product sou
g=Tests/SouIndexingTests/Golden
.build/debug/sou index "$g/corpus.jsonl" -o "$g/golden.sou" --jobs 1 --quiet
.build/debug/sou check "$g/golden.sou"
ls -l "$g/golden.sou"
