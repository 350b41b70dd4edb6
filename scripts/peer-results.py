#!/usr/bin/env python3
"""peer-results.py RES_DIR COMMIT > Benchmarks/RESULTS.md

Turns one run of ../shared/bench/run_peers.sh (its peers.json and peers.md in RES_DIR) into
Benchmarks/RESULTS.md: when and where it ran, how busy the machine was, Sou against issue 9's
targets (ratios computed here from the run's own numbers), and the harness's full tables.
Run it through scripts/peer-results.sh, which also runs the harness.
"""
import json, os, platform, sys

res, commit = sys.argv[1], sys.argv[2]
data = json.load(open(os.path.join(res, "peers.json")))
tables = open(os.path.join(res, "peers.md")).read()
query_sets = ["manpages-zh", "fortunes-zh", "manpages-ja", "debref-ja", "gimp-ko"]
build_sets = ["dev-all", "dev-x3", "dev-x10"]
sou = data.get("sou", {})

def cpu_model():
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"

def mem_gb():
    try:
        for line in open("/proc/meminfo"):
            if line.startswith("MemTotal"):
                return int(line.split()[1]) / 1024 / 1024
    except OSError:
        pass
    return 0

dates = sorted(r["date"] for e in data.values() for r in e.values() if "date" in r)
loads = [r["loadavg_before_build"] for e in data.values() for r in e.values() if "loadavg_before_build" in r]
nproc = next((r["nproc"] for e in data.values() for r in e.values() if "nproc" in r), os.cpu_count())

def mbps(rec):
    return rec["corpus_bytes"] / 1e6 / rec["build"]["wall_s"]

def query(rec):
    return rec.get("query") or {}

def verdict(ok):
    return "met" if ok else "**missed**"

out = []
w = out.append
w("# Sou against its peers")
w("")
w(f"One run of `../shared/bench/run_peers.sh` (every engine, sets {', '.join(query_sets + build_sets)}), "
  f"made into this page by `scripts/peer-results.sh`.")
w("")
w(f"- When: scored {dates[-1] if dates else '?'} (UTC); the builds and queries ran in the hour before")
w(f"- Machine: {cpu_model()}, {nproc} cores, {mem_gb():.0f} GB RAM, Linux {platform.release()}")
w(f"- Sou: commit {commit}, release build; the harness builds with `--jobs 1 --no-store` and queries with `--batch`")
if loads:
    w(f"- Load average before each build: {min(loads):.2f} to {max(loads):.2f} on {nproc} cores"
      + (" — **not a quiet machine**: wall times are inflated, and by different amounts for each engine (the harness runs one engine after another)"
         if max(loads) > nproc else ""))
w("")
w("## Sou against the targets of issue 9")
w("")
w("Ratios from this run's numbers. Build speed: the corpus MB/s (wall). Query: the mean of the timed loop "
  "and the p99 of the per-query times. Size: index bytes. Memory: the build's peak RSS against the input's size.")
w("")
if "lucene" in data and sou:
    w("| set | build Sou / Lucene MB/s (≥ 5×) | CPU s Lucene / Sou | index bytes Sou / Lucene (≤ 0.85×) | peak RSS / input |")
    w("| --- | ---: | ---: | ---: | ---: |")
    for s in query_sets + build_sets:
        if s not in sou or s not in data["lucene"]:
            continue
        S, L = sou[s], data["lucene"][s]
        speed = mbps(S) / mbps(L)
        cpu = L["build"]["cpu_s"] / S["build"]["cpu_s"] if S["build"]["cpu_s"] else float("nan")
        size = S["index_bytes"] / L["index_bytes"]
        rss = S["build"]["max_rss_kb"] * 1024 / S["corpus_bytes"]
        w(f"| {s} | {speed:.2f}× ({verdict(speed >= 5) if s in build_sets else 'n/a'}) | {cpu:.2f}× | {size:.3f} ({verdict(size <= 0.85)}) | {rss:.2f}"
          + (f" ({verdict(rss <= 1.0)})" if s == "dev-x10" else "") + " |")
    w("")
if "tantivy" in data and sou:
    w("| set | query mean ms Sou / tantivy | ratio (≤ 1) | p99 ms Sou / tantivy | ratio (≤ 1) | exact totals (Sou) |")
    w("| --- | ---: | ---: | ---: | ---: | ---: |")
    for s in query_sets:
        if s not in sou or s not in data["tantivy"]:
            continue
        qs, qt = query(sou[s]), query(data["tantivy"][s])
        if not qs or not qt:
            continue
        m = qs["loop_mean_ms"] / qt["loop_mean_ms"]
        p = qs["ms_p99"] / qt["ms_p99"]
        w(f"| {s} | {qs['loop_mean_ms']:.3f} / {qt['loop_mean_ms']:.3f} | {m:.2f} ({verdict(m <= 1)}) | "
          f"{qs['ms_p99']:.3f} / {qt['ms_p99']:.3f} | {p:.2f} ({verdict(p <= 1)}) | mismatches {qs.get('hit_count_mismatch', '?')} |")
    w("")
joined = [(s, query(sou[s]).get("precision_joined")) for s in query_sets if s in sou and query(sou[s])]
w("Sou's \"exact q\" column below counts queries whose results equal the *strict* ground truth. Sou joins a line "
  "break between two Han/Kana characters by default (soft line breaks of PDF- and man-page text), so it also finds the "
  "*joined* matches; its recall and its precision against strict ∪ joined (`precision_joined` in peers.json) are: "
  + ", ".join(f"{s} {query(sou[s]).get('recall', 0):.4f} / {p:.4f}" for s, p in joined if p is not None) + ".")
w("")
w("## The harness's tables")
w("")
body = tables.split("\n", 1)[1] if tables.startswith("# ") else tables
w(body.strip())
w("")
print("\n".join(out))
