#!/usr/bin/env python3
"""Copies a small slice of the shared exactness data into Tests/SouSearchTests/Fixtures.

For each set: the documents hit by the rarest queries (until a byte budget) plus a few random
others, and ALL the set's queries with their expected ids restricted to that slice (the ground
truth is per-document substring containment, so restricting it to a subset stays exact).
Writes <set>.jsonl ({"line","title","body"}; line = 0-based line in the full corpus) and
<set>.tsv (query TAB comma-separated expected lines).
Usage: scripts/search-make-fixtures.py [SHARED_DIR]   (default ../shared or /work/shared)
"""
import gzip, json, os, random, sys

shared = sys.argv[1] if len(sys.argv) > 1 else next(p for p in ("../shared", "/work/shared") if os.path.isdir(p))
out = os.path.join(os.path.dirname(__file__), "..", "Tests", "SouSearchTests", "Fixtures")
budgets = {"fortunes-zh": 90_000, "manpages-zh": 160_000}
for name, budget in budgets.items():
    docs = [json.loads(l) for l in gzip.open(os.path.join(shared, "corpus", name + ".jsonl.gz"), "rt", encoding="utf-8")]
    rows = [l.rstrip("\n").split("\t") for l in open(os.path.join(shared, "queries", name + ".tsv"), encoding="utf-8") if l.strip()]
    size = lambda i: len((docs[i]["title"] + "\n" + docs[i]["body"]).encode())
    chosen, used = set(), 0
    for row in sorted(rows, key=lambda r: int(r[3])):
        ids = [int(x) for x in row[5].split(",") if x]
        extra = sum(size(i) for i in ids if i not in chosen)
        if used + extra > budget:
            continue
        chosen.update(ids); used += extra
    rng = random.Random(42)
    for i in rng.sample(range(len(docs)), 200):
        if len(chosen) >= 400 or used + size(i) > budget * 1.2:
            continue
        chosen.add(i); used += size(i)
    with open(os.path.join(out, name + ".jsonl"), "w", encoding="utf-8") as f:
        for i in sorted(chosen):
            f.write(json.dumps({"line": i, "title": docs[i]["title"], "body": docs[i]["body"]}, ensure_ascii=False) + "\n")
    with open(os.path.join(out, name + ".tsv"), "w", encoding="utf-8") as f:
        for row in rows:
            ids = sorted(int(x) for x in row[5].split(",") if x and int(x) in chosen)
            f.write(row[0] + "\t" + ",".join(map(str, ids)) + "\n")
    print(name, len(chosen), "docs", used, "bytes", sum(1 for r in rows), "queries")
