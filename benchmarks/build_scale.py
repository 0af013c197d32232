"""Benchmark: how ``pb.build`` and a warm ``pb.fetch`` grow with the snapshot -- on SYNTHETIC data.

Every snapshot here is SYNTHETIC: works made by code
(``tests/fixtures/openalex.scale_graph``: a fifth of the works are the
corpus, the rest cite one to a dozen of them, about 5 citation edges per
work, abstracts of ~150 invented words, reference lists of ~25 works),
fetched by peerbib itself from the fake OpenAlex of the tests (``responses``,
no network), so the snapshot is exactly what a real fetch writes.

For each size, in fresh processes (so one measurement's memory does not
reach the next):

- **baseline**: decompress every file of the snapshot and ``json.loads`` every
  record OpenAlex sent (pages and the copies kept beside them), nothing more:
  what reading all the answers costs, and what a build that parsed each
  answer would pay before doing any work;
- **build**: ``pb.build(raw, processed)``: wall time and peak resident memory;
- **warm fetch**: the same ``pb.fetch`` again on the complete snapshot:
  wall time and requests (all HTTP is mocked; a request would be counted).

It prints the figures, build and warm fetch as ratios against the baseline
measured in the same run, and how each grows with size (the exponent b of
time ~ n^b between the smallest and the largest size: 1 is linear).

Targets (issue 8): 100k works / ~500k edges built in <= 30 s and <= 1 GB;
a warm rerun at that size <= 10 s with 0 requests; build growing no faster
than linearly.

Usage::

    python benchmarks/build_scale.py                       # 10k, 30k, 100k works (~6 min)
    python benchmarks/build_scale.py --sizes 2000 10000    # quicker
    python benchmarks/build_scale.py --keep /tmp/scale      # keep the snapshots, then
    python benchmarks/build_scale.py --keep /tmp/scale --reuse   # measure them again without fetching
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

from _measure import growth, prelude, run

TARGET_BUILD_SECONDS = 30.0
TARGET_BUILD_MB = 1024.0
TARGET_WARM_SECONDS = 10.0

_PRELUDE = prelude(tests=True)

GENERATE = _PRELUDE + """
import responses
from fixtures.openalex import TEST_KEY, FakeOpenAlex, scale_graph
from peerbib.snapshot import fetch

n, folder, seed = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
corpus, citing = scale_graph(n, seed=seed)
dois = [w["doi"] for w in corpus]
with open(os.path.join(folder, "dois.json"), "w") as out:
    json.dump(dois, out)
with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
    FakeOpenAlex(corpus + citing).install(rsps)
    started = time.perf_counter()
    summary = fetch(dois, snapshot=os.path.join(folder, "raw", "openalex"), api_key=TEST_KEY, progress=False,
                    max_rate=0)
print(json.dumps({"seconds": time.perf_counter() - started, "requests": summary.requests,
                  "works": len(corpus) + len(citing), "citations": summary.citations,
                  "citing_works": summary.citing_works}))
"""

BASELINE = _PRELUDE + """
import gzip
folder = sys.argv[1]
snapshot = os.path.join(folder, "raw", "openalex")
started = time.perf_counter()
with open(os.path.join(snapshot, "manifest.json"), "rb") as handle:
    manifest = json.load(handle)
records = copies = 0
for query in manifest["queries"]:
    for page in query["pages"]:
        files = [page["file"]] + ([page["copies"]["file"]] if page.get("copies") else [])
        for i, name in enumerate(files):
            with open(os.path.join(snapshot, name), "rb") as handle:
                for line in gzip.decompress(handle.read()).splitlines():
                    json.loads(line)
                    records += 1
                    copies += i
print(json.dumps({"seconds": time.perf_counter() - started, "records": records, "copies": copies,
                  "peak_mb": peak_mb()}))
"""

BUILD = _PRELUDE + """
import warnings
import pandas, pyarrow  # imported before the clock starts, as the baseline imports json only
import peerbib as pb
folder = sys.argv[1]
started = time.perf_counter()
with warnings.catch_warnings():
    warnings.simplefilter("error")  # a complete snapshot builds without a warning
    tables = pb.build(os.path.join(folder, "raw"), os.path.join(folder, "processed"))
seconds = time.perf_counter() - started
print(json.dumps({"seconds": seconds, "peak_mb": peak_mb(), "works": len(tables.works),
                  "citations": len(tables.citations), "per_year": len(tables.citations_per_year)}))
"""

WARM = _PRELUDE + """
import responses
from fixtures.openalex import TEST_KEY, FakeOpenAlex
from peerbib.snapshot import fetch

folder = sys.argv[1]
with open(os.path.join(folder, "dois.json")) as handle:
    dois = json.load(handle)
snapshot = os.path.join(folder, "raw", "openalex")
before = {p: os.stat(os.path.join(r, p)).st_mtime_ns for r, _, fs in os.walk(snapshot) for p in fs}
with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
    fake = FakeOpenAlex([]).install(rsps)  # knows no work: any request would be counted, and fail
    started = time.perf_counter()
    summary = fetch(dois, snapshot=snapshot, api_key=TEST_KEY, progress=False, max_rate=0)
    seconds = time.perf_counter() - started
after = {p: os.stat(os.path.join(r, p)).st_mtime_ns for r, _, fs in os.walk(snapshot) for p in fs}
print(json.dumps({"seconds": seconds, "peak_mb": peak_mb(), "requests": summary.requests,
                  "http_calls": len(fake.calls), "citations": summary.citations,
                  "untouched": before == after}))
"""


def folder_mb(path: Path) -> float:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 2**20


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 30_000, 100_000])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--keep", help="keep the SYNTHETIC snapshots in this folder")
    parser.add_argument("--reuse", action="store_true",
                        help="with --keep: measure the snapshots already there instead of fetching them again")
    args = parser.parse_args(argv)
    root = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="peerbib-build-scale-"))
    rows = []
    try:
        for n in sorted(args.sizes):
            folder = root / f"n{n}"
            if args.reuse and (folder / "made.json").is_file():
                made = json.loads((folder / "made.json").read_text())
                shutil.rmtree(folder / "processed", ignore_errors=True)
            else:
                if folder.exists():
                    shutil.rmtree(folder)
                folder.mkdir(parents=True)
                made = run(GENERATE, n, folder, args.seed)
                (folder / "made.json").write_text(json.dumps(made))
            snapshot_mb = folder_mb(folder / "raw" / "openalex")
            baseline = run(BASELINE, folder)
            built = run(BUILD, folder)
            warm = run(WARM, folder)
            rows.append({"n": n, "made": made, "snapshot_mb": snapshot_mb, "baseline": baseline,
                         "build": built, "warm": warm})
            print(f"[SYNTHETIC n={n:,}] snapshot {snapshot_mb:.0f} MB, {baseline['records']:,} records "
                  f"({baseline['copies']:,} of them copies of a work stored in full elsewhere) "
                  f"{made['citations']:,} edges, fetched cold in {made['seconds']:.0f} s; "
                  f"baseline read {baseline['seconds']:.1f} s; build {built['seconds']:.1f} s, "
                  f"{built['peak_mb']:.0f} MB; warm fetch {warm['seconds']:.1f} s, {warm['requests']} requests",
                  flush=True)
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)

    print(f"\nSummary (SYNTHETIC snapshots, all measured in this run; {os.cpu_count()} cores, "
          f"load average {os.getloadavg()[0]:.2f})")
    print(f"{'works':>8} {'edges':>8} {'records':>9} {'MB':>6} {'baseline s':>10} {'build s':>8} {'peak MB':>8} "
          f"{'build/base':>10} {'warm s':>7} {'requests':>8} {'warm/base':>9}")
    for row in rows:
        b, w, base = row["build"], row["warm"], row["baseline"]["seconds"]
        print(f"{row['made']['works']:>8,} {b['citations']:>8,} {row['baseline']['records']:>9,} "
              f"{row['snapshot_mb']:>6.0f} {base:>10.1f} {b['seconds']:>8.1f} {b['peak_mb']:>8.0f} "
              f"{b['seconds'] / base:>10.2f} {w['seconds']:>7.1f} {w['requests']:>8} {w['seconds'] / base:>9.2f}")
    sizes = [row["n"] for row in rows]
    build_growth = growth(sizes, [row["build"]["seconds"] for row in rows])
    warm_growth = growth(sizes, [row["warm"]["seconds"] for row in rows])
    base_growth = growth(sizes, [row["baseline"]["seconds"] for row in rows])
    print(f"\ngrowth exponent (time ~ n^b, {sizes[0]:,} -> {sizes[-1]:,} works): build {build_growth:.2f}, "
          f"warm fetch {warm_growth:.2f}, baseline read {base_growth:.2f}  (target: build <= ~1)")
    largest = rows[-1]
    checks = [
        (f"build of {largest['n']:,} works <= {TARGET_BUILD_SECONDS:.0f} s",
         largest["build"]["seconds"] <= TARGET_BUILD_SECONDS),
        (f"build peak memory <= {TARGET_BUILD_MB:.0f} MB", largest["build"]["peak_mb"] <= TARGET_BUILD_MB),
        (f"warm fetch <= {TARGET_WARM_SECONDS:.0f} s", largest["warm"]["seconds"] <= TARGET_WARM_SECONDS),
        ("warm fetch: 0 requests, snapshot untouched", all(
            r["warm"]["requests"] == 0 and r["warm"]["http_calls"] == 0 and r["warm"]["untouched"] for r in rows)),
        ("build grows no faster than linearly (b <= 1.1)", not build_growth > 1.1),
    ]
    for label, ok in checks:
        print(f"  {'ok  ' if ok else 'MISS'} {label}")
    return 0 if all(ok for _, ok in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
