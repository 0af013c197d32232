"""Benchmark: co-citation and bibliographic coupling networks of 10,000 and 100,000 works -- on SYNTHETIC data.

Every study here is SYNTHETIC, made by code in this file: ``n`` corpus works
citing about 30 references each (Poisson), drawn from ~1,000,000 possible cited
works with a skewed (Zipf-like) popularity, 70% of them from the citing work's
own topic (20 planted topics) so that there are communities to find. 100,000
works make ~3,000,000 references. No figure printed here describes real
literature.

For each size, each step runs in a fresh process (so one step's memory does
not reach the next; ``_measure.run``), reading the same SYNTHETIC tables from
Parquet; wall time is the measured call only, peak memory the process's peak
resident set (tables loaded included):

- **co-citation**: ``pb.network(tables, "cocitation", top=2000,
  min_weight=max(2, works // 10_000))`` with Louvain communities, centralities
  and layout; ``top`` keeps the 2,000 most cited references and ``min_weight``
  (co-cited by at least 0.01% of the works) keeps the edge list near 50,000
  edges at both sizes;
- **coupling**: ``pb.network(tables, "coupling", top=2000, min_weight=2)``
  (the 2,000 works with most references; pairs sharing at least 2);
- **baselines**: the same counts by pair counting in plain Python, the way a
  script without a sparse matrix would do it: the same top nodes (a Counter),
  then for each citing work (co-citation) or each reference (coupling) every
  pair of its chosen items added to a dict. Counting only: no communities,
  centralities or layout. Its edge count and total weight must equal
  peerbib's (checked).

It prints a markdown table, each step's share of peerbib's time (incidence,
pairs, communities, centrality, layout), and how time grows from the smaller
to the larger study (the exponent b of time ~ references^b: 1 is linear).
Targets: 100,000 works in <= 60 s and <= 4 GB per network on a 2-core
machine; growth no faster than linear in the number of references.

Usage::

    python benchmarks/networks.py                        # 10k and 100k works (~3 min)
    python benchmarks/networks.py --sizes 2000 10000     # quicker
"""
from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path

from _measure import growth, prelude, run

TARGET_SECONDS = 60.0
TARGET_MB = 4096.0
TOP = 2000
REFERENCES_PER_WORK = 30
POOL = 1_000_000
TOPICS = 20

_PRELUDE = prelude()

GENERATE = _PRELUDE + f"""
import numpy as np, pandas as pd

n, folder, seed = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
started = time.perf_counter()
rng = np.random.default_rng(seed)
per_work = np.maximum(1, rng.poisson({REFERENCES_PER_WORK}, n))
citing = np.repeat(np.arange(n), per_work)
work_topic = rng.integers(0, {TOPICS}, n)
# Zipf-like popularity over the whole pool, and within each topic's share of it
p_pool = 1 / (np.arange({POOL}) + 100.0)
p_pool /= p_pool.sum()
p_topic = 1 / (np.arange({POOL} // {TOPICS}) + 20.0)
p_topic /= p_topic.sum()
topical = rng.random(len(citing)) < 0.7
cited = np.empty(len(citing), dtype=np.int64)
cited[topical] = rng.choice(len(p_topic), size=int(topical.sum()), p=p_topic) * {TOPICS} + work_topic[citing[topical]]
cited[~topical] = rng.choice({POOL}, size=int((~topical).sum()), p=p_pool)
cited = rng.permutation({POOL})[cited]  # popularity unrelated to the id
pairs = pd.DataFrame({{"citing": citing, "cited": cited}}).drop_duplicates()
references = pd.DataFrame({{
    "citing_id": pd.Series("W" + pd.Series(pairs["citing"].to_numpy() + 1).astype(str), dtype="str"),
    "cited_id": pd.Series("W" + pd.Series(pairs["cited"].to_numpy() + 10_000_000).astype(str), dtype="str"),
    "position": pairs.groupby("citing").cumcount().to_numpy(),
}})
works = pd.DataFrame({{
    "work_id": pd.Series([f"W{{i + 1}}" for i in range(n)], dtype="str"),
    "title": pd.Series([f"SYNTHETIC work {{i + 1}} (topic {{t}})" for i, t in enumerate(work_topic)], dtype="str"),
    "publication_year": pd.array(rng.integers(1990, 2025, n), dtype="Int64"),
    "authors": pd.Series([f"Author{{i % 5000}}, A." for i in range(n)], dtype="str"),
    "cited_by_count": pd.array(rng.integers(0, 200, n), dtype="Int64"),
    "is_corpus": pd.array(np.ones(n, dtype=bool), dtype="boolean"),
}})
works.to_parquet(os.path.join(folder, "works.parquet"), index=False)
references.to_parquet(os.path.join(folder, "references.parquet"), index=False)
print(json.dumps({{"seconds": time.perf_counter() - started, "works": n, "references": len(references),
                  "cited_works": int(pairs["cited"].nunique())}}))
"""

_LOAD = """
import numpy as np, pandas as pd
from types import SimpleNamespace
folder, kind, top, min_weight = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
works = pd.read_parquet(os.path.join(folder, "works.parquet"))
references = pd.read_parquet(os.path.join(folder, "references.parquet"))
empty = pd.DataFrame({"citing_id": pd.Series(dtype="str"), "cited_id": pd.Series(dtype="str")})
tables = SimpleNamespace(works=works, references=references, citations=empty, statements=pd.DataFrame(),
                         tallies=pd.DataFrame(), authorships=None)
loaded_mb = peak_mb()
"""

PEERBIB = _PRELUDE + _LOAD + """
import networkx, scipy.sparse  # imported before the clock starts, as the baseline needs no import
import peerbib as pb
started = time.perf_counter()
net = pb.network(tables, kind, top=top, min_weight=min_weight)
seconds = time.perf_counter() - started
print(json.dumps({"seconds": seconds, "peak_mb": peak_mb(), "loaded_mb": loaded_mb, "nodes": len(net.nodes),
                  "edges": len(net.edges), "total": int(net.edges["count"].sum()),
                  "clusters": int(net.nodes["cluster"].max()) + 1, "timings": net.timings,
                  "largest_clusters": net.nodes["cluster"].value_counts().head(5).tolist()}))
"""

BASELINE = _PRELUDE + _LOAD + """
from collections import Counter, defaultdict
from itertools import combinations
started = time.perf_counter()
pairs = references[references["citing_id"].isin(set(works["work_id"]))].drop_duplicates(["citing_id", "cited_id"])
if kind == "cocitation":  # documents: citing works; items: cited works
    documents, items = pairs["citing_id"].tolist(), pairs["cited_id"].tolist()
else:  # coupling: documents: references; items: citing works
    documents, items = pairs["cited_id"].tolist(), pairs["citing_id"].tolist()
occurrences = Counter(items)
chosen = set(sorted(occurrences, key=lambda item: (-occurrences[item], item))[:top])
by_document = defaultdict(list)
for document, item in zip(documents, items):
    if item in chosen:
        by_document[document].append(item)
counts = defaultdict(int)
for members in by_document.values():
    for a, b in combinations(sorted(members), 2):
        counts[(a, b)] += 1
edges = {pair: c for pair, c in counts.items() if c >= min_weight}
seconds = time.perf_counter() - started
print(json.dumps({"seconds": seconds, "peak_mb": peak_mb(), "loaded_mb": loaded_mb, "nodes": len(chosen),
                  "edges": len(edges), "total": int(sum(edges.values())), "pairs_counted": len(counts)}))
"""


def min_weight_for(kind: str, works: int) -> int:
    """co-citation: co-cited by at least 0.01% of the works (2 at 10,000, 10 at 100,000); coupling: 2 shared."""
    return max(2, works // 10_000) if kind == "cocitation" else 2


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--keep", help="keep the SYNTHETIC studies in this folder")
    args = parser.parse_args(argv)
    root = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="peerbib-networks-"))
    rows = []
    try:
        for n in sorted(args.sizes):
            folder = root / f"n{n}"
            folder.mkdir(parents=True, exist_ok=True)
            made = run(GENERATE, n, folder, args.seed)
            print(f"[SYNTHETIC n={n:,}] {made['references']:,} references to {made['cited_works']:,} distinct "
                  f"works, made in {made['seconds']:.1f} s", flush=True)
            for kind in ("cocitation", "coupling"):
                weight = min_weight_for(kind, n)
                mine = run(PEERBIB, folder, kind, TOP, weight)
                base = run(BASELINE, folder, kind, TOP, weight)
                rows.append({"n": n, "references": made["references"], "kind": kind, "min_weight": weight,
                             "peerbib": mine, "baseline": base})
                print(f"  {kind}: peerbib {mine['seconds']:.1f} s, {mine['peak_mb']:.0f} MB, {mine['edges']:,} "
                      f"edges, {mine['clusters']} clusters; baseline {base['seconds']:.1f} s, "
                      f"{base['peak_mb']:.0f} MB", flush=True)
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)

    print(f"\n### Networks on SYNTHETIC studies ({os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}; "
          f"top={TOP} nodes)\n")
    print("| works | references | kind | min_weight | nodes | edges | clusters | peerbib s | peerbib peak MB "
          "| tables MB | pairs s | baseline s | baseline peak MB | same edges |")
    print("|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    for row in rows:
        mine, base = row["peerbib"], row["baseline"]
        pairs_s = mine["timings"]["incidence"] + mine["timings"]["pairs"]
        same = mine["edges"] == base["edges"] and mine["total"] == base["total"]
        print(f"| {row['n']:,} | {row['references']:,} | {row['kind']} | {row['min_weight']} | {mine['nodes']:,} "
              f"| {mine['edges']:,} | {mine['clusters']} | {mine['seconds']:.1f} | {mine['peak_mb']:.0f} "
              f"| {mine['loaded_mb']:.0f} | {pairs_s:.1f} | {base['seconds']:.1f} | {base['peak_mb']:.0f} "
              f"| {'yes' if same else 'NO'} |")
    print("\npeerbib's time by step (s): incidence (reading the units) / pairs (MᵀM) / communities / centrality / "
          "layout")
    for row in rows:
        t = row["peerbib"]["timings"]
        print(f"- {row['n']:,} {row['kind']}: " + " / ".join(f"{t[k]:.2f}" for k in
                                                            ("incidence", "pairs", "communities", "centrality",
                                                             "layout")))
    checks = []
    sizes = sorted({row["n"] for row in rows})
    print()
    for kind in ("cocitation", "coupling"):
        mine = [row for row in rows if row["kind"] == kind]
        refs = [row["references"] for row in mine]
        total = growth(refs, [row["peerbib"]["seconds"] for row in mine])
        counting = growth(refs, [row["peerbib"]["timings"]["incidence"] + row["peerbib"]["timings"]["pairs"]
                                 for row in mine])
        baseline = growth(refs, [row["baseline"]["seconds"] for row in mine])
        print(f"growth exponent {kind} (time ~ references^b, {refs[0]:,} -> {refs[-1]:,}): peerbib {total:.2f} "
              f"(counting alone {counting:.2f}), baseline {baseline:.2f}")
        largest = mine[-1]
        checks += [
            (f"{kind} of {largest['n']:,} works <= {TARGET_SECONDS:.0f} s",
             largest["peerbib"]["seconds"] <= TARGET_SECONDS),
            (f"{kind} peak memory <= {TARGET_MB:.0f} MB", largest["peerbib"]["peak_mb"] <= TARGET_MB),
            (f"{kind} grows no faster than linearly (b <= 1.1)", len(mine) < 2 or not total > 1.1),
            (f"{kind}: the same edges and weights as the baseline", all(
                r["peerbib"]["edges"] == r["baseline"]["edges"] and r["peerbib"]["total"] == r["baseline"]["total"]
                for r in mine)),
        ]
    print(f"\nsizes: {', '.join(f'{s:,}' for s in sizes)} works")
    for label, ok in checks:
        print(f"  {'ok  ' if ok else 'MISS'} {label}")
    return 0 if all(ok for _, ok in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
