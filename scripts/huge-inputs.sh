#!/usr/bin/env bash
# huge-inputs.sh [SOU] [FOLDER]
#
# The full-size huge-input cases of the bad-input matrix (issue 10), on a release build (the
# `swift test` versions in HugeInputTests are scaled down for the debug build):
#   one-line   a 200 MB document on one line (the bundled corpus's text, repeated)
#   one-char   a 50 MB run of one character (啊 × 16,666,666)
#   tiny       1,000,000 tiny JSON Lines documents
# Each is indexed (`--jobs 2`), checked (`sou check`) and searched, the answers compared with
# counts computed here (awk and arithmetic), and the build's peak RSS (GNU time) printed with
# its ratio to the input size. The document cases fail when the peak RSS of the build, or of a
# search with snippets, exceeds 3 times the input plus 64 MB (the one-character run's search: 24
# bytes per position plus 64 MB); the tiny-documents case when it exceeds 1 KB per document plus
# 64 MB.
#
# SOU defaults to .build/release/sou (built with `swift build -c release`); FOLDER (default a new
# temporary folder, removed at the end) needs ~1 GB free. Exit 0 when every check passed.
set -euo pipefail
cd "$(dirname "$0")/.."
SOU=${1:-.build/release/sou}
[ -x "$SOU" ] || { echo "no executable $SOU (swift build -c release)" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "needs GNU time (/usr/bin/time)" >&2; exit 2; }
SOU=$(cd "$(dirname "$SOU")" && pwd)/$(basename "$SOU")
if [ $# -ge 2 ]; then W=$2; mkdir -p "$W"; else W=$(mktemp -d); trap 'rm -rf "$W"' EXIT; fi
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

# build NAME INPUT LIMIT_KB [sou index options...]: indexes INPUT into $W/NAME.sou, prints the peak RSS
build() {
  local name=$1 input=$2 limit=$3; shift 3
  rm -f "$W/$name.sou"
  /usr/bin/time -f '%M %U %S' -o "$W/$name.time" "$SOU" index "$input" -o "$W/$name.sou" --quiet --jobs 2 "$@" \
    || fail "$name: sou index exited $?"
  read -r rss user sys < "$W/$name.time"
  local size; size=$(stat -c %s "$input")
  printf '%-9s input %6.1f MB  peak RSS %7.1f MB  (%.2f x input)  CPU %.1f s\n' "$name" \
    "$(echo "$size / 1048576" | bc -l)" "$(echo "$rss / 1024" | bc -l)" "$(echo "$rss * 1024 / $size" | bc -l)" \
    "$(echo "$user + $sys" | bc -l)"
  [ "$rss" -le "$limit" ] || fail "$name: peak RSS $rss KB over the limit $limit KB"
  "$SOU" check "$W/$name.sou" > /dev/null || fail "$name: sou check failed"
}

# stat FIELD INDEX: one top-level number from `sou stats --json` (the nested objects, which
# repeat some names, removed first)
stat_field() {
  "$SOU" stats --json "$2" | sed -e 's/"sectionBytes":{[^}]*}//' -e 's/"segments":\[[^]]*\]//' -e 's/"termsByKind":{[^}]*}//' \
    | grep -o "\"$1\":[0-9]*" | head -1 | cut -d: -f2
}
expect() { [ "$2" = "$3" ] && echo "  ok  $1 = $3" || fail "$1: got $2, expected $3"; }

# search_snippets NAME INPUT LIMIT_KB QUERY [sou search options...]: searches $W/NAME.sou with
# snippets, prints the peak RSS and time, checks that one hit with at least one snippet came back
search_snippets() {
  local name=$1 input=$2 limit=$3 query=$4; shift 4
  /usr/bin/time -f '%M %e' -o "$W/$name.search.time" "$SOU" search -i "$W/$name.sou" --json "$@" "$query" > "$W/$name.search.json" \
    || fail "$name: sou search exited $?"
  read -r rss seconds < "$W/$name.search.time"
  local size; size=$(stat -c %s "$input")
  printf '  search %s %s: peak RSS %.1f MB (%.2f x input), %.2f s\n' "$*" "$query" "$(echo "$rss / 1024" | bc -l)" \
    "$(echo "$rss * 1024 / $size" | bc -l)" "$seconds"
  [ "$rss" -le "$limit" ] || fail "$name: search peak RSS $rss KB over the limit $limit KB"
  grep -q '"snippets":\[{"line":1' "$W/$name.search.json" || fail "$name: search $* $query: no snippet"
}

# one-line: the bundled corpus's text files, line breaks as spaces, joined by " 。 ", repeated to 200 MB
unit="$W/unit.txt"
: > "$unit"
for f in corpus/*.txt; do tr '\r\n' '  ' < "$f" >> "$unit"; printf ' 。 ' >> "$unit"; done
unit_size=$(stat -c %s "$unit")
copies=$(( 200000000 / unit_size + 1 ))
# repeat FILE COUNT: FILE's bytes COUNT times (by blocks of 64 copies: few processes)
repeat() {
  local block="$W/block.tmp"
  for _ in $(seq 64); do cat "$1"; done > "$block"
  for _ in $(seq $(( $2 / 64 ))); do cat "$block"; done
  for _ in $(seq $(( $2 % 64 ))); do cat "$1"; done
  rm -f "$block"
}
repeat "$unit" "$copies" > "$W/oneline.txt"
size=$(stat -c %s "$W/oneline.txt")
build oneline "$W/oneline.txt" $(( size * 3 / 1024 + 65536 ))
expect "one-line: documents" "$(stat_field documents "$W/oneline.sou")" 1
# oracle: the parts as separate documents (one JSON Lines line each) have the same terms and positions
parts="$W/parts.jsonl"
: > "$parts"
n=0
for f in corpus/*.txt; do
  printf '{"id":"%d","body":"%s"}\n' "$n" "$(tr '\r\n\t' '   ' < "$f" | sed 's/\\/\\\\/g; s/"/\\"/g')" >> "$parts"
  n=$((n + 1))
done
# every line its own id (a repeated id would replace the document before it)
repeat "$parts" "$copies" | awk '{ sub(/"id":"[0-9]*"/, "\"id\":\"" NR "\""); print }' > "$W/parts-all.jsonl"
build parts "$W/parts-all.jsonl" $(( size * 3 / 1024 + 65536 )) --text-field body
# (the parts fill several memory buffers, so several segments, whose term counts add up: merged
# into one, its terms are the distinct ones, as the one document's)
"$SOU" merge "$W/parts.sou" > /dev/null 2>&1 || fail "parts: sou merge failed"
for field in terms positions unigramPositions totalDocumentLength; do
  expect "one-line: $field (as the $((n * copies)) parts apart)" "$(stat_field "$field" "$W/oneline.sou")" "$(stat_field "$field" "$W/parts.sou")"
done
expect "one-line: a phrase of the last part" "$("$SOU" search -c -i "$W/oneline.sou" '"集体协商"')" 1
# snippets of the one document: read in pieces, stopped once the lines shown are complete (D15:
# 60–75 s and 10.4 GB at 205 MB before)
search_snippets oneline "$W/oneline.txt" $(( size * 3 / 1024 + 65536 )) 集体协商 --max-lines 2
# (show ends the text with a line feed)
"$SOU" show -i "$W/oneline.sou" "$W/oneline.txt" | cmp -s - <(cat "$W/oneline.txt"; echo) && echo "  ok  stored text comes back byte for byte" \
  || fail "one-line: sou show does not give the input back"

# one-char: 啊 × 16,666,666 (50 MB): N − 1 bigrams of one term, the last one listed as ending the
# run (FORMAT.md "BigramEnds"; no run-end unigram since format version 7), N − 1 positions
N=16666666
awk -v n=$N 'BEGIN { s = "啊啊啊啊啊啊啊啊啊啊"; for (i = 0; i < int(n / 10); i++) printf "%s", s; for (i = 0; i < n % 10; i++) printf "啊" }' > "$W/run.txt"
size=$(stat -c %s "$W/run.txt")
expect "one-char: input bytes" "$size" $((N * 3))
build onechar "$W/run.txt" $(( size * 3 / 1024 + 65536 ))
expect "one-char: total length" "$(stat_field totalDocumentLength "$W/onechar.sou")" $((N - 1))
expect "one-char: positions" "$(stat_field positions "$W/onechar.sou")" $((N - 1))
expect "one-char: terms" "$(stat_field terms "$W/onechar.sou")" 1
expect "one-char: 啊 × 200 matches" "$("$SOU" search -c -i "$W/onechar.sou" "$(printf '啊%.0s' $(seq 200))")" 1
# (a phrase of 199 identical bigrams decodes the term's 16.7 M positions for the document, and
# keeps its phrase starts and their chains: 24 bytes a position, linear, on top of the text)
search_snippets onechar "$W/run.txt" $(( N * 24 / 1024 + 65536 )) "$(printf '啊%.0s' $(seq 200))"

# tiny: 1,000,000 documents "协商[甲乙 when i%7=0][ 丙丁 when i%11=0] n<i>"
D=1000000
awk -v n=$D 'BEGIN { for (i = 0; i < n; i++) printf "{\"id\":\"%d\",\"body\":\"协商%s%s n%d\"}\n", i, (i % 7 == 0 ? "甲乙" : ""), (i % 11 == 0 ? " 丙丁" : ""), i }' > "$W/tiny.jsonl"
build tiny "$W/tiny.jsonl" $(( D + 65536 ))
expect "tiny: documents" "$(stat_field documents "$W/tiny.sou")" $D
expect "tiny: 甲乙" "$("$SOU" search -c -i "$W/tiny.sou" 甲乙)" $(( (D + 6) / 7 ))
expect "tiny: 丙丁" "$("$SOU" search -c -i "$W/tiny.sou" 丙丁)" $(( (D + 10) / 11 ))
expect "tiny: 甲乙 丙丁" "$("$SOU" search -c -i "$W/tiny.sou" '甲乙 丙丁')" $(( (D + 76) / 77 ))
expect "tiny: n999999" "$("$SOU" search -l -i "$W/tiny.sou" n999999)" 999999

[ "$failures" -eq 0 ] && echo "all checks passed" || { echo "$failures checks failed"; exit 1; }
