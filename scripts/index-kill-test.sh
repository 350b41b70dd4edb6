#!/usr/bin/env bash
# index-kill-test.sh [ROUNDS] -- kill -9 a writer of an index at random moments, in every way an
# index is written, and check after each kill that the index opens at the last completed commit
# (its documents are exactly those of the commit before the command, or exactly those after it:
# nothing committed is lost, nothing half-done is seen), that `sou check` passes, and that the
# next writer removes the temporary file the killed one left. Then a power loss: the file cut at
# random bytes after the previous commit. Uses .build/release/sou (or $SOU).
#
# Modes: rebuild (`sou index --rebuild`), update (`sou index` on an existing index, 5% of the
# documents changed, 3% gone, new ones), add (`sou add`), delete (`sou delete --keys-from`, 8%),
# merge (`sou merge` of a many-segment index with deletions). The state compared is the number of
# live documents, the hits of a probe query and the number of segments.
set -euo pipefail
cd "$(dirname "$0")/.."
SOU=${SOU:-.build/release/sou}
ROUNDS=${1:-10}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

# inputs: fortunes-zh split into a base set and an updated set (keys = ids)
python3 - "$dir" <<'PY'
import gzip, json, sys, random
d = sys.argv[1]
docs = [json.loads(l) for l in gzip.open("corpus/fortunes-zh.jsonl.gz", "rt", encoding="utf-8")]
random.seed(7)
base = docs[:3000]
with open(f"{d}/base.jsonl", "w") as f:
    for x in base: f.write(json.dumps(x, ensure_ascii=False) + "\n")
upd = []
for i, x in enumerate(base):
    if i % 30 == 0: continue                      # 3% gone
    if i % 20 == 1: x = {**x, "body": x["body"] + " 集体协商修订"}  # 5% changed
    upd.append(x)
upd += docs[3000:4500]                            # new ones
with open(f"{d}/updated.jsonl", "w") as f:
    for x in upd: f.write(json.dumps(x, ensure_ascii=False) + "\n")
with open(f"{d}/extra.jsonl", "w") as f:
    for x in docs[4500:5590]: f.write(json.dumps(x, ensure_ascii=False) + "\n")
with open(f"{d}/keys.txt", "w") as f:
    for x in base[::12]: f.write(x["id"] + "\n")
for k in range(12):
    with open(f"{d}/part{k}.jsonl", "w") as f:
        for x in docs[k * 400:(k + 1) * 400]: f.write(json.dumps(x, ensure_ascii=False) + "\n")
PY

# The state of an index: its live document count and the hit count of a probe query.
state() { echo "$("$SOU" stats "$1" --json | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["documents"], len(d["segments"]))') $("$SOU" search -i "$1" -c '集体协商 OR 人' 2>/dev/null || true)"; }

prepare() {  # prepare MODE OUT: the index before the command
  case $1 in
    rebuild|update|add|delete) cp "$dir/base.sou" "$2" ;;
    merge) cp "$dir/segmented.sou" "$2" ;;
  esac
}
command_for() {  # command_for MODE OUT
  case $1 in
    rebuild) echo "$SOU index $dir/updated.jsonl -o $2 --rebuild --quiet --jobs 2" ;;
    update)  echo "$SOU index $dir/updated.jsonl -o $2 --quiet --jobs 2" ;;
    add)     echo "$SOU add -i $2 $dir/extra.jsonl --quiet --jobs 2" ;;
    delete)  echo "$SOU delete -i $2 --keys-from $dir/keys.txt --quiet" ;;
    merge)   echo "$SOU merge $2 --quiet" ;;
  esac
}

"$SOU" index "$dir/base.jsonl" -o "$dir/base.sou" --quiet --jobs 2
"$SOU" index "$dir/part0.jsonl" -o "$dir/segmented.sou" --quiet
for k in $(seq 1 11); do "$SOU" add -i "$dir/segmented.sou" "$dir/part$k.jsonl" --quiet --jobs 1 --merge-factor 100; done
"$SOU" delete -i "$dir/segmented.sou" --keys-from "$dir/keys.txt" --quiet
echo "segmented index: $("$SOU" stats "$dir/segmented.sou" --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["segments"]))') segments"

total_killed=0 total_rounds=0
for mode in rebuild update add delete merge; do
  out="$dir/$mode.sou"
  prepare "$mode" "$out"
  before=$(state "$out")
  start=$(date +%s.%N)
  $(command_for "$mode" "$out")
  full=$(echo "$(date +%s.%N) - $start" | bc)
  after=$(state "$out")
  [ "$before" != "$after" ] || { echo "$mode: the command changed nothing" >&2; exit 2; }
  killed=0 old=0 new=0
  for i in $(seq 1 "$ROUNDS"); do
    prepare "$mode" "$out"
    $(command_for "$mode" "$out") & pid=$!
    sleep "$(echo "$full * $RANDOM / 32767" | bc -l)"
    if kill -9 "$pid" 2>/dev/null; then killed=$((killed + 1)); fi
    wait "$pid" 2>/dev/null || true
    "$SOU" check "$out" > /dev/null || { echo "$mode round $i: sou check fails after the kill" >&2; exit 2; }
    now=$(state "$out")
    if [ "$now" = "$before" ]; then old=$((old + 1))
    elif [ "$now" = "$after" ]; then new=$((new + 1))
    else echo "$mode round $i: state '$now' is neither '$before' nor '$after'" >&2; exit 2; fi
    # the next writer cleans whatever the killed one left and completes the same command
    $(command_for "$mode" "$out") > /dev/null 2>&1 || true
    [ "$mode" = delete ] || [ "$(state "$out")" = "$after" ] || { echo "$mode round $i: re-running the command does not reach '$after'" >&2; exit 2; }
    # ... and removes the temporary file of the killed one (an empty one may stay for a minute:
    # it could be a live writer's between its creation and its lock)
    left=$(find "$dir" -name ".$mode.sou.tmp-*" -size +0c)
    [ -z "$left" ] || { echo "$mode round $i: the next writer left the killed one's temporary file: $left" >&2; exit 2; }
    find "$dir" -name ".$mode.sou.tmp-*" -delete
  done
  echo "$mode: $ROUNDS rounds ($killed killed mid-command): $old at the previous commit, $new at the new one; check ok (${full}s per run)"
  total_killed=$((total_killed + killed)); total_rounds=$((total_rounds + ROUNDS))

  # power loss: cut the file at random bytes after the previous commit
  prepare "$mode" "$out"; cp "$out" "$dir/prev.bin"
  if [ "$mode" != merge ] && [ "$mode" != rebuild ]; then
    $(command_for "$mode" "$out") > /dev/null 2>&1
    oldsize=$(stat -c %s "$dir/prev.bin"); newsize=$(stat -c %s "$out")
    cp "$out" "$dir/new.bin"
    if ! cmp -s -i 64 -n $((oldsize - 64)) "$dir/prev.bin" "$dir/new.bin"; then
      echo "$mode: the command rewrote the file (a compacting merge renamed a new file into place): no power-loss cut applies"
      continue
    fi
    for i in $(seq 1 "$ROUNDS"); do
      cut=$((oldsize + (RANDOM * 32768 + RANDOM) % (newsize - oldsize + 1)))
      head -c "$cut" "$dir/new.bin" > "$out"
      "$SOU" check "$out" > /dev/null || { echo "$mode: cut at $cut: sou check fails" >&2; exit 2; }
      now=$(state "$out")
      [ "$now" = "$before" ] || [ "$now" = "$after" ] || { echo "$mode: cut at $cut: state '$now'" >&2; exit 2; }
    done
    echo "$mode: $ROUNDS power losses (file cut between $oldsize and $newsize bytes): ok"
  fi
done
echo "ok: $total_rounds rounds, $total_killed killed mid-command; every index opened at a complete commit and passed sou check"
