#!/usr/bin/env bash
# search-cli-smoke.sh -- end-to-end checks of `sou search` on the bundled corpus: exit codes, output
# modes (--count, --files, --json, --batch, --explain), error positions, the one-time corpus build.
# Env: SOU (default .build/debug/sou, built if missing), CORPUS (default ./corpus). Runs in a temporary copy of corpus/.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${SOU:-}" ]; then
  [ -x .build/debug/sou ] || swift build --product sou >&2
  SOU=$(pwd)/.build/debug/sou
fi
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
cp -r "${CORPUS:-corpus}" "$work/corpus"; cd "$work"
fail=0
check() { # check NAME EXPECTED_EXIT COMMAND...
  local name=$1 want=$2; shift 2
  set +e; "$@" > out.txt 2> err.txt; local got=$?; set -e
  if [ "$got" != "$want" ]; then echo "FAIL $name: exit $got, want $want"; cat err.txt; fail=1; else echo "ok   $name"; fi
}
check "first search builds corpus.sou" 0 "$SOU" search 集体协商
grep -q "indexing the bundled corpus" err.txt || { echo "FAIL: no build note on stderr"; fail=1; }
[ -f corpus.sou ] || { echo "FAIL: corpus.sou not written"; fail=1; }
check "every occurrence in the seed article is highlighted" 0 "$SOU" search --json --max-lines 1000 -n 1 集体协商
python3 - <<'PY' || fail=1
import json
hit = json.loads(open("out.txt").readline())
parts = [s["text"].encode()[a:b].decode() for s in hit["snippets"] for a, b in s["highlights"]]
whole = parts.count("集体协商")
split = sum(1 for x, y in zip(parts, parts[1:]) if x == "集体" and y == "协商")
assert hit["matches"] == 14 and whole + split == 14, (hit["key"], hit["matches"], parts)
PY
check "--count" 0 "$SOU" search -c 集体协商
check "--files" 0 "$SOU" search -l 工会
check "--json is one JSON object per hit" 0 "$SOU" search --json 工会
python3 -c 'import json,sys; [json.loads(l) for l in open("out.txt")]' || { echo "FAIL: --json"; fail=1; }
check "--explain" 0 "$SOU" search --explain '集体协商 OR 工会'
grep -q "avgdl=" out.txt || { echo "FAIL: --explain shows no avgdl"; fail=1; }
check "nothing matched exits 1" 1 "$SOU" search 不存在的短语
check "unbalanced quote exits 2 with the position" 2 "$SOU" search '集体 "协商'
grep -q "position 3" err.txt || { echo "FAIL: no position in: $(cat err.txt)"; fail=1; }
check "only exclusions exit 2" 2 "$SOU" search -- -集体
check "bad b exits 2" 2 "$SOU" search --b 1.5 集体
grep -q "illegal b value: 1.5, must be between 0 and 1" err.txt || { echo "FAIL: b message"; fail=1; }
check "an exclusion outside the quotes exits 2 and shows the quoted query" 2 "$SOU" search 集体协商 -草案
grep -q "sou search '集体协商 -草案'" err.txt || { echo "FAIL: no quoted suggestion in: $(cat err.txt)"; fail=1; }
mkdir -p folder && cp corpus/09-*.txt folder/
check "a folder searched directly (cache in SOU_CACHE)" 0 env SOU_CACHE="$work/cache" "$SOU" search -l 集体协商 folder
grep -qx "folder/09-shandong-collective-bargaining.txt" out.txt || { echo "FAIL: folder search: $(cat out.txt)"; fail=1; }
printf '集体协商\n"集体\n工会\tphrase\n' > q.tsv
check "--batch goes on after a bad query, and exits 2" 2 "$SOU" search --batch q.tsv
python3 - <<'PY' || fail=1
import json
lines = [json.loads(l) for l in open("out.txt")]
assert len(lines) == 4, lines
assert lines[0]["query"] == "集体协商" and lines[0]["total"] > 0 and "ms" in lines[0]
assert "error" in lines[1] and lines[1]["total"] == 0
assert lines[2]["query"] == "工会" and lines[2]["total"] > 0
assert lines[3]["queries"] == 3 and lines[3]["errors"] == 1 and lines[3]["seconds"] >= 0
PY
[ $fail = 0 ] && echo "all ok" || { echo "some checks failed"; exit 1; }
