#!/usr/bin/env bash
# index-kill-test.sh INPUT [ROUNDS] -- kill -9 `sou index INPUT -o OUT` at random moments and check
# that OUT is always either the previous index (byte for byte) or the complete new one, and that
# `sou check` passes on it. Uses .build/release/sou (or $SOU). Leftover temporary files
# (.OUT.tmp-XXXXXX, which a killed process cannot remove) are counted and deleted.
set -euo pipefail
cd "$(dirname "$0")/.."
SOU=${SOU:-.build/release/sou}
INPUT=${1:?usage: scripts/index-kill-test.sh INPUT [ROUNDS]}
ROUNDS=${2:-20}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
out="$dir/index.sou"
printf '{"id":"old","body":"以前的索引"}\n' > "$dir/old.jsonl"
"$SOU" index "$dir/old.jsonl" -o "$out" --quiet
cp "$out" "$dir/previous.sou"
start=$(date +%s.%N)
"$SOU" index "$INPUT" -o "$dir/full.sou" --quiet
full=$(echo "$(date +%s.%N) - $start" | bc)
echo "full build: ${full}s"
killed=0 leftovers=0
for i in $(seq 1 "$ROUNDS"); do
  cp "$dir/previous.sou" "$out"
  "$SOU" index "$INPUT" -o "$out" --quiet & pid=$!
  sleep "$(echo "$full * $RANDOM / 32767" | bc -l)"
  if kill -9 "$pid" 2>/dev/null; then killed=$((killed + 1)); fi
  wait "$pid" 2>/dev/null || true
  if cmp -s "$out" "$dir/previous.sou"; then state=previous
  elif cmp -s "$out" "$dir/full.sou"; then state=new
  else echo "round $i: the index is neither the previous nor the new one" >&2; exit 2; fi
  "$SOU" check "$out" > /dev/null
  n=$(find "$dir" -name '.index.sou.tmp-*' | wc -l)
  leftovers=$((leftovers + n))
  find "$dir" -name '.index.sou.tmp-*' -delete
  echo "round $i: $state, check ok"
done
echo "ok: $ROUNDS rounds, $killed killed mid-build, $leftovers leftover temporary files removed"
