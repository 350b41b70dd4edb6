#!/bin/bash
# segments-bench.sh [SET...] -- search latency over an index of 10 segments vs the same documents
# merged into one (issue 7: ≤ 1.5×), with `sou search --batch` over the shared query sets.
#
# For each set: splits /tmp/sou-bench/corp/SET.jsonl into 10 parts, indexes the first
# (`sou index --no-store`) and adds the others one by one (`sou add --merge-factor 100`, so that
# no policy merge joins them), checks that `sou stats` shows 10 segments, copies the file and
# `sou merge`s the copy into one segment. Then runs `sou search -i F --batch QUERIES --limit 10`
# (what the shared bench adapter runs) on both files, RUNS times interleaved, and prints the medians
# and ratios. The batch results of both files are compared (same totals, keys and scores).
#
# Environment: SOU (the binary measured; default ./.build/release/sou), BASE (a second binary
# measured side by side, e.g. /work/main/.build/release/sou; optional: it builds its own pair of
# files, so that the two may write different format versions), RUNS (default 15),
# WORK (scratch folder; default /tmp/sou-segbench), CORP (default /tmp/sou-bench/corp),
# QUERIES (default /work/shared/queries, or ../shared/queries).
set -euo pipefail
cd "$(dirname "$0")/.."
SOU=$(realpath "${SOU:-./.build/release/sou}")
BASE=${BASE:-}
RUNS=${RUNS:-15}
WORK=${WORK:-/tmp/sou-segbench}
CORP=${CORP:-/tmp/sou-bench/corp}
QUERIES=${QUERIES:-/work/shared/queries}
[ -d "$QUERIES" ] || QUERIES=../shared/queries
SETS=("$@")
[ ${#SETS[@]} -gt 0 ] || SETS=(manpages-zh fortunes-zh manpages-ja debref-ja gimp-ko)
mkdir -p "$WORK"

build() {   # build SET [BINARY PREFIX] -> $WORK/PREFIXSET-10.sou and $WORK/PREFIXSET-1.sou
  local set=$1 SOU=${2:-$SOU} pre=${3:-} dir=$WORK/${3:-}$1
  rm -rf "$dir"; mkdir -p "$dir"
  local n; n=$(wc -l < "$CORP/$set.jsonl")
  split -d -a 2 -l $(( (n + 9) / 10 )) "$CORP/$set.jsonl" "$dir/part"
  local parts=("$dir"/part*)
  [ ${#parts[@]} -eq 10 ] || { echo "$set: split into ${#parts[@]} parts, not 10" >&2; exit 1; }
  for p in "${parts[@]}"; do mv "$p" "$p.jsonl"; done
  local ten=$WORK/$pre$set-10.sou one=$WORK/$pre$set-1.sou
  rm -f "$ten" "$one"
  "$SOU" index --jsonl "$dir/part00.jsonl" -o "$ten" --no-store --quiet --jobs 1
  for p in "$dir"/part0[1-9].jsonl; do
    "$SOU" add -i "$ten" --jsonl "$p" --merge-factor 100 --quiet --jobs 1
  done
  local segs; segs=$("$SOU" stats --json "$ten" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["segments"]))')
  [ "$segs" -eq 10 ] || { echo "$set: $segs segments, not 10" >&2; exit 1; }
  cp "$ten" "$one"
  "$SOU" merge "$one" --quiet
  segs=$("$SOU" stats --json "$one" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["segments"]))')
  [ "$segs" -eq 1 ] || { echo "$set: merged copy has $segs segments" >&2; exit 1; }
  cut -f1 "$QUERIES/$set.tsv" > "$dir/queries.txt"
}

same_results() {   # the batch output of both files agrees (totals, keys, scores within 1e-9)
  python3 - "$1" "$2" <<'EOF'
import json, sys
a = [json.loads(l) for l in open(sys.argv[1]) if l.strip()][:-1]
b = [json.loads(l) for l in open(sys.argv[2]) if l.strip()][:-1]
assert len(a) == len(b), (len(a), len(b))
for x, y in zip(a, b):
    assert x.get("total") == y.get("total"), (x.get("query"), x.get("total"), y.get("total"))
    hx, hy = x.get("hits", []), y.get("hits", [])
    assert [h["key"] for h in hx] == [h["key"] for h in hy], x.get("query")
    assert all(abs(p["score"] - q["score"]) <= 1e-9 for p, q in zip(hx, hy)), x.get("query")
EOF
}


echo "medians of $RUNS runs, in ms: search = the batch's own time for its queries (its summary line), wall = the whole process"
for set in "${SETS[@]}"; do
  build "$set" >&2
  [ -z "$BASE" ] || build "$set" "$BASE" base- >&2
  dir=$WORK/$set
  for k in 1 10; do
    "$SOU" search -i "$WORK/$set-$k.sou" --batch "$dir/queries.txt" --limit 10 > "$dir/out-$k.json" || true
  done
  same_results "$dir/out-1.json" "$dir/out-10.json" || { echo "$set: 10-segment results differ from the merged index" >&2; exit 1; }
  # Every binary on both files, interleaved run by run (so that changes of load hit all alike).
  python3 - "$set" "$RUNS" "$WORK" "$dir/queries.txt" "$SOU" $BASE <<'EOF'
import json, statistics, subprocess, sys, time
name, runs, work, queries, bins = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5:]
labels = ["new", "base"]
prefixes = ["", "base-"]
t = {(b, f): ([], []) for b in range(len(bins)) for f in (1, 10)}
for r in range(runs + 1):
    for b, binary in enumerate(bins):
        for f in (1, 10):
            path = f"{work}/{prefixes[b]}{name}-{f}.sou"
            start = time.perf_counter()
            p = subprocess.run([binary, "search", "-i", path, "--batch", queries, "--limit", "10"], capture_output=True, text=True)
            wall = time.perf_counter() - start
            if p.returncode not in (0, 1):
                sys.exit(f"{binary} failed on {path}: {p.stderr}")
            if r == 0:
                continue   # warm-up
            t[b, f][0].append(1000 * json.loads(p.stdout.splitlines()[-1])["seconds"])
            t[b, f][1].append(1000 * wall)
med = {k: (statistics.median(v[0]), statistics.median(v[1])) for k, v in t.items()}
for b in range(len(bins)):
    s1, w1 = med[b, 1]; s10, w10 = med[b, 10]
    line = "%-12s %-4s search 1 seg %7.1f  10 seg %7.1f  ratio %.2fx | wall 1 seg %7.1f  10 seg %7.1f  ratio %.2fx" % (
        name, labels[b], s1, s10, s10 / s1, w1, w10, w10 / w1)
    if b > 0:
        line += " | new/base search: 1 seg %.2f, 10 seg %.2f" % (med[0, 1][0] / s1, med[0, 10][0] / s10)
    print(line, flush=True)
EOF
done
