#!/usr/bin/env bash
# exactness.sh [SET...] -- the acceptance test for search: for every query of ../shared/queries/<set>.tsv,
# `sou search` over the index of ../shared/corpus/<set>.jsonl.gz must return exactly joined_ids.
# Indexes each corpus with `sou index --jsonl` (ids replaced by 0-based line numbers, title+"\n"+body, as
# ../shared/bench/peers/sou/build.sh does), runs one `sou search --batch --limit 1000000` and reports per set:
# recall, precision, exact queries (against joined_ids, and strict_ids for reference) and query latency
# (mean and p99 of the per-query ms of --batch). Wrong queries are listed in $OUT/<set>.wrong.tsv.
# Env: SHARED (default ../shared, else /work/shared), SOU (default .build/release/sou, built if missing),
#      OUT (default /tmp/sou-exactness), ROUNDS (default 1: timed --batch passes; the last one is reported).
set -euo pipefail
cd "$(dirname "$0")/.."
SHARED=${SHARED:-$( [ -d ../shared ] && echo ../shared || echo /work/shared )}
OUT=${OUT:-/tmp/sou-exactness}
if [ -z "${SOU:-}" ]; then
  [ -x .build/release/sou ] || swift build -c release --product sou >&2
  SOU=$(pwd)/.build/release/sou
fi
sets=("$@"); [ ${#sets[@]} -gt 0 ] || sets=(fortunes-zh manpages-zh)
mkdir -p "$OUT"
status=0
for s in "${sets[@]}"; do
  q="$SHARED/queries/$s.tsv"; c="$SHARED/corpus/$s.jsonl.gz"
  [ -f "$q" ] && [ -f "$c" ] || { echo "$s: missing $q or $c" >&2; status=2; continue; }
  zcat "$c" | python3 -c '
import json, sys
for i, line in enumerate(sys.stdin):
    d = json.loads(line); d["id"] = str(i); sys.stdout.write(json.dumps(d, ensure_ascii=False) + "\n")
' > "$OUT/$s.jsonl"
  "$SOU" index --jsonl "$OUT/$s.jsonl" -o "$OUT/$s.sou" --no-store --quiet
  cut -f1 "$q" > "$OUT/$s.queries"
  for _ in $(seq "${ROUNDS:-1}"); do
    "$SOU" search -i "$OUT/$s.sou" --batch "$OUT/$s.queries" --limit 1000000 > "$OUT/$s.results.jsonl"
  done
  python3 - "$s" "$q" "$OUT/$s.results.jsonl" "$OUT/$s.wrong.tsv" <<'PY' || status=1
import json, sys
name, tsv, results, wrong_path = sys.argv[1:5]
rows = [l.rstrip("\n").split("\t") for l in open(tsv, encoding="utf-8") if l.strip()]
lines = [json.loads(l) for l in open(results, encoding="utf-8") if l.strip()]
summary, got = lines[-1], lines[:-1]
assert len(got) == len(rows), f"{len(got)} results for {len(rows)} queries"
def score(truth_column):
    recall = precision = 0.0; with_hits = exact = 0; wrong = []
    for row, r in zip(rows, got):
        truth = {int(x) for x in row[truth_column].split(",") if x}
        found = {int(h["key"]) for h in r.get("hits", [])}
        assert r.get("total") == len(found), f"{row[0]}: total {r.get('total')} != {len(found)} hits"
        recall += len(found & truth) / len(truth) if truth else (1.0 if not found else 0.0)
        if found:
            with_hits += 1; precision += len(found & truth) / len(found)
        if found == truth: exact += 1
        else: wrong.append((row[0], sorted(truth - found)[:20], sorted(found - truth)[:20], r.get("error", "")))
    return recall / len(rows), (precision / with_hits if with_hits else 1.0), exact, wrong
rj, pj, ej, wrong = score(5)
rs, ps, es, _ = score(4)
ms = sorted(r.get("ms", 0.0) for r in got)
p99 = ms[min(len(ms) - 1, max(0, -(-99 * len(ms) // 100) - 1))]
with open(wrong_path, "w", encoding="utf-8") as f:
    for q, missing, extra, err in wrong:
        f.write(f"{q}\tmissing={','.join(map(str, missing))}\textra={','.join(map(str, extra))}\t{err}\n")
print(f"{name}: {len(rows)} queries | joined_ids: recall {rj:.4f} precision {pj:.4f} exact {ej}/{len(rows)} "
      f"| strict_ids: recall {rs:.4f} precision {ps:.4f} exact {es}/{len(rows)} "
      f"| latency ms mean {summary['seconds'] * 1000 / max(1, summary['queries']):.3f} (per-query mean {sum(ms)/len(ms):.3f}, p99 {p99:.3f})")
sys.exit(0 if ej == len(rows) else 1)
PY
done
exit $status
