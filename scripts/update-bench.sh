#!/usr/bin/env bash
# update-bench.sh SET [CHANGED [RUNS]] -- what re-running `sou index FOLDER -o F` costs against a
# full build (issue 7: 1% of the files changed ≤ 5% of the full build's time, nothing changed
# ≤ 2%), timed by hyperfine side by side in one run (no interpreter between the timer and sou):
#
#   full      sou index docs -o full.sou --rebuild          (default settings)
#   same      sou index docs -o same.sou                     (nothing changed since the last run)
#   changed   sou index docs -o changed.sou                  (CHANGED files appended to; each run
#                                                             starts from a copy of the index made
#                                                             before the change, synced to disk by
#                                                             --prepare: an index that sou wrote is
#                                                             durable, and a fresh copy's dirty
#                                                             pages would otherwise be flushed by
#                                                             the run's own commit fdatasync,
#                                                             which then timed cp's writeback:
#                                                             17 ms of a 48 ms run on this machine)
#   floor     scripts/list-stat-floor.c on the folder        (list it and stat every file on two
#                                                             threads, nothing else: the least any
#                                                             "is this folder unchanged?" costs)
#
# SET is a per-document folder of ../shared/bench/prepare.sh (in $CORP, default
# /tmp/sou-bench/corp: manpages-zh, fortunes-zh, gimp-ko, dev-all, dev-x3, dev-x10, ...). CHANGED
# defaults to 1% of its files (at least 1), RUNS to 20. SOU: the binary (default
# ./.build/release/sou). Prints hyperfine's lines and the medians with their ratios to the full
# build. Needs hyperfine and a C compiler.
set -euo pipefail
cd "$(dirname "$0")/.."
SET=${1:?usage: scripts/update-bench.sh SET [CHANGED [RUNS]]}
CORP=${CORP:-/tmp/sou-bench/corp}
SOU=$(realpath "${SOU:-./.build/release/sou}")
[ -d "$CORP/$SET" ] || { echo "no folder $CORP/$SET (run ../shared/bench/prepare.sh)" >&2; exit 2; }
WORK=$(mktemp -d "${TMPDIR:-/tmp}/sou-update-bench.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
cc -O2 -pthread scripts/list-stat-floor.c -o "$WORK/list-stat-floor"
cp -r "$CORP/$SET" "$WORK/docs"
cd "$WORK"
FILES=$(find docs -type f | wc -l)
CHANGED=${2:-$(( FILES / 100 > 0 ? FILES / 100 : 1 ))}
RUNS=${3:-20}
"$SOU" index docs -o before.sou --quiet
# the files to change: a fixed random choice (seed 7), appended to after the index was made
find docs -type f | sort | python3 -c "import sys,random; f=[l.strip() for l in sys.stdin]; print('\n'.join(random.Random(7).sample(f, $CHANGED)))" > chosen
sleep 1.1   # past the file system's timestamp granularity: the changes are newer than the index
while IFS= read -r f; do printf '追加' >> "$f"; done < chosen
cp before.sou same.sou
"$SOU" index docs -o same.sou --quiet   # now up to date
echo "$SET: $FILES files, $CHANGED changed; $RUNS runs each; load average $(cut -d' ' -f1-3 /proc/loadavg)"
hyperfine -N -w 3 -r "$RUNS" --export-json hf.json \
  --prepare true --prepare true --prepare "sh -c 'cp before.sou changed.sou && sync changed.sou'" --prepare true \
  "$SOU index docs -o full.sou --rebuild --quiet" \
  "$SOU index docs -o same.sou --quiet" \
  "$SOU index docs -o changed.sou --quiet" \
  "$WORK/list-stat-floor docs" 2>&1 | grep -E "Benchmark|Time" | sed "s|$WORK/||g; s|$SOU|sou|g"
python3 - <<'EOF'
import json
r = json.load(open('hf.json'))['results']
full, same, changed, floor = (x['median'] * 1000 for x in r)
print(f"medians: full {full:.1f} ms; nothing changed {same:.2f} ms ({100 * same / full:.2f}%); "
      f"changed {changed:.2f} ms ({100 * changed / full:.2f}%); list-and-stat floor {floor:.2f} ms ({100 * floor / full:.2f}%)")
EOF
