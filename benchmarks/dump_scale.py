"""Benchmark: indexing OpenAlex's full works dump (its "snapshot") and a 10k-DOI study on it -- on SYNTHETIC dumps.

The dumps here are SYNTHETIC, made by code in this file, in the true
layout (``updated_date=…/part_NNNN.gz``, ``manifest.json`` written last): API-
shaped Work records of ~1.3 KB of JSON (an abstract inverted index of ~60
words, three authors, a venue, counts_by_year, ~30 references to random
works, ids and has_content), 50,000 records a part.

For each size, in fresh processes (so one measurement's memory does not reach
the next):

- **baseline**: plain-Python streaming, one pass: ``gzip`` + ``json.loads`` of
  every record keeping the fields the index keeps (the abstract decoded),
  nothing written;
- **index**: ``peerbib dump index`` (DuckDB) at 1 and 2 threads under a
  2 GB memory limit: wall time and peak resident memory;
- **study**: the 10k-DOI study query on the index (``DumpIndex.study``,
  what ``fetch --from-dump`` asks first): the corpus by DOI and the works
  citing it, found by a semi-join each on the narrow columns and then read
  in one pass over the wide ones, handed to Python as rows. It runs three
  times, each in a fresh process, and the median is reported; every run's
  output is checked against the baseline's (same corpus ids, same citing
  ids, same corpus abstracts). The index keeps OpenAlex's inverted index of
  each abstract, and the fetch makes text of the ones it reads, as it does
  of the API's records; that decoding of every corpus and citing work is
  timed apart and printed beside the study;
- **whole fetch**: ``pb.fetch(corpus, source=INDEX)`` of the same 10k DOIs,
  everything a user waits for: the study, the API-shaped pages written to a
  new raw snapshot, and the fetch's own bookkeeping (not a target; for
  scale).

It prints the figures, the index as a ratio against the baseline measured in
the same run, and how cost grows with size (the exponent b of time ~ n^b).

Targets (issue 13): 1M works indexed in <= 30 s at 2 threads, peak <= 2 GB
under a 2 GB limit; the 10k-DOI study <= 10 s; linear growth; the same
output as the baseline.

Usage::

    python benchmarks/dump_scale.py                      # 250k and 1M works (~10 min, ~2.5 GB of disk)
    python benchmarks/dump_scale.py --sizes 50000 100000 # quicker
"""
from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import shutil
import sys
import tempfile
from multiprocessing import Pool
from pathlib import Path

from _measure import growth, prelude, run

TARGET_INDEX_SECONDS = 30.0
TARGET_MB = 2048.0
TARGET_STUDY_SECONDS = 10.0
PER_PART = 50_000
STUDY_DOIS = 10_000
STUDY_RUNS = 3

_WORDS = None


def _vocabulary() -> list[str]:
    rng = random.Random(7)
    syllables = [c + v for c in "bdfgklmnprstvz" for v in "aeiou"]
    return sorted({"".join(rng.choices(syllables, k=rng.randint(2, 4))) for _ in range(6000)})


def _part(args) -> tuple[str, int, int]:
    """Write one SYNTHETIC part: works ``start`` .. ``start + count`` of ``n``."""
    folder, n, start, count, seed = args
    global _WORDS
    _WORDS = _WORDS or _vocabulary()
    rng = random.Random(seed * 1_000_003 + start)
    lines = []
    for i in range(start, start + count):
        words = rng.choices(_WORDS, k=60)
        inverted: dict[str, list[int]] = {}
        for p, w in enumerate(words):
            inverted.setdefault(w if p % 17 else w.capitalize(), []).append(p)  # case-colliding keys
        record = {
            "id": f"https://openalex.org/W{i + 1}",
            "doi": f"https://doi.org/10.5555/synthetic.{i + 1}",
            "title": "SYNTHETIC " + " ".join(rng.choices(_WORDS, k=8)),
            "display_name": None,
            "publication_year": rng.randint(1990, 2026),
            "type": "article",
            "cited_by_count": rng.randint(0, 200),
            "counts_by_year": [{"year": 2025, "cited_by_count": rng.randint(0, 20)}],
            "abstract_inverted_index": inverted if i % 10 else None,
            "referenced_works": [f"https://openalex.org/W{rng.randint(1, n)}" for _ in range(30)],
            "primary_location": {"source": {"display_name": f"SYNTHETIC Journal {i % 900}", "type": "journal"}},
            "authorships": [{"author": {"display_name": f"Author {rng.randint(1, 99999)}"},
                             "raw_author_name": None} for _ in range(3)],
            "is_xpac": i % 50 == 0,
            "updated_date": "2026-06-01T00:00:00.000000",
            "has_content": {"grobid_xml": i % 7 == 0, "pdf": False},
            "ids": {"openalex": f"https://openalex.org/W{i + 1}"},
        }
        lines.append(json.dumps(record))
    relative = f"updated_date=2026-06-01/part_{start // PER_PART:04d}.gz"
    path = Path(folder) / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(("\n".join(lines) + "\n").encode(), compresslevel=5, mtime=0))
    return relative, path.stat().st_size, count


def make_dump(folder: Path, n: int, seed: int = 0) -> float:
    """A SYNTHETIC works dump of ``n`` works in ``folder``; returns its size in MB."""
    jobs = [(str(folder), n, start, min(PER_PART, n - start), seed) for start in range(0, n, PER_PART)]
    with Pool(os.cpu_count() or 2) as pool:
        parts = pool.map(_part, jobs)
    files = [{"url": f"s3://openalex/data/jsonl/works/{rel}", "meta": {"content_length": size, "record_count": c}}
             for rel, size, c in parts]
    (folder / "manifest.json").write_text(json.dumps({
        "date": "2026-06-30", "format": "jsonl", "entity": "works", "record_count": n,
        "content_length": sum(f["meta"]["content_length"] for f in files), "files": files}))
    return sum(size for _, size, _ in parts) / 2**20


DIGEST = """
import hashlib
def digest(items):
    return hashlib.sha256(json.dumps(items).encode()).hexdigest()
"""

BASELINE = prelude() + DIGEST + """
import gzip, glob
folder, n_dois = sys.argv[1], int(sys.argv[2])
dois = {f"10.5555/synthetic.{i}" for i in range(1, 10 * n_dois + 1, 10)}
started = time.perf_counter()
records = 0
corpus, citing, refs, texts = set(), set(), {}, {}
for path in sorted(glob.glob(os.path.join(folder, "updated_date=*", "*.gz"))):
    with gzip.open(path, "rt") as handle:
        for line in handle:
            r = json.loads(line)
            records += 1
            index = r.get("abstract_inverted_index") or {}
            abstract = " ".join(w for w, _ in sorted(((w, p) for w, ps in index.items() for p in ps), key=lambda x: x[1]))
            work = r["id"].rsplit("/", 1)[1]
            doi = (r.get("doi") or "").removeprefix("https://doi.org/").lower()
            if r.get("is_xpac"):
                continue
            if doi in dois:
                corpus.add(work)
                texts[work] = abstract or None
            refs[work] = [x.rsplit("/", 1)[1] for x in r.get("referenced_works") or []]
for work, cited in refs.items():
    if corpus.intersection(cited):
        citing.add(work)
print(json.dumps({"seconds": time.perf_counter() - started, "peak_mb": peak_mb(), "records": records,
                  "corpus": sorted(corpus)[:5], "n_corpus": len(corpus), "n_citing": len(citing),
                  "citing_hash": hash(tuple(sorted(citing))), "abstracts_hash": digest(sorted(texts.items()))}))
"""

INDEX = prelude() + """
from peerbib.settings import DUMP_MEMORY_LIMIT
from peerbib.sources.openalex_dump import build_index
folder, out, threads = sys.argv[1], sys.argv[2], int(sys.argv[3])
started = time.perf_counter()
manifest = build_index(folder, out, memory_limit=DUMP_MEMORY_LIMIT, threads=threads)
print(json.dumps({"seconds": time.perf_counter() - started, "peak_mb": peak_mb(),
                  "records": sum(p["records"] for p in manifest["parts"].values())}))
"""

STUDY = prelude() + DIGEST + """
from peerbib.sources.openalex.records import decode_abstract
from peerbib.settings import DUMP_MEMORY_LIMIT
from peerbib.sources.openalex_dump import DumpIndex
out, n_dois = sys.argv[1], int(sys.argv[2])
dois = [f"10.5555/synthetic.{i}" for i in range(1, 10 * n_dois + 1, 10)]
started = time.perf_counter()
index = DumpIndex(out, memory_limit=DUMP_MEMORY_LIMIT, threads=2)
corpus, citing = index.study(dois)  # what fetch --from-dump asks first (LocalOpenAlex.expect)
ids = sorted(r["id"] for r in corpus)
# the abstracts as text, as the fetch makes them of every work it reads (the index keeps the inverted index)
seconds = time.perf_counter() - started
texts = {r["id"]: decode_abstract(json.loads(r["abstract_inverted_index"] or "null")) for r in corpus + citing}
decode_seconds = time.perf_counter() - started - seconds
citing_ids = sorted(r["id"] for r in citing)
print(json.dumps({"seconds": seconds, "decode_seconds": decode_seconds, "peak_mb": peak_mb(), "corpus": sorted(ids)[:5], "n_corpus": len(ids),
                  "n_citing": len(citing_ids), "citing_hash": hash(tuple(citing_ids)),
                  "abstracts_hash": digest(sorted((i, texts[i]) for i in ids))}))
"""

FETCH = prelude() + """
import csv, shutil, tempfile
import peerbib as pb
index, n_dois = sys.argv[1], int(sys.argv[2])
root = tempfile.mkdtemp(prefix="peerbib-dump-fetch-")
corpus = os.path.join(root, "corpus.csv")
with open(corpus, "w", newline="") as handle:
    writer = csv.writer(handle)
    writer.writerow(["doi", "title"])
    writer.writerows([f"10.5555/synthetic.{i}", ""] for i in range(1, 10 * n_dois + 1, 10))
started = time.perf_counter()
summary = pb.fetch(corpus, snapshot=os.path.join(root, "openalex"), source=index, progress=False)
seconds = time.perf_counter() - started
shutil.rmtree(root)
print(json.dumps({"seconds": seconds, "peak_mb": peak_mb(), "works": summary.works, "citing": summary.citing_works}))
"""


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[250_000, 1_000_000])
    parser.add_argument("--keep", help="keep the SYNTHETIC dumps and indexes in this folder")
    args = parser.parse_args(argv)
    root = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="peerbib-dump-scale-"))
    rows, ok = [], True
    env_hash = {"PYTHONHASHSEED": "0"}
    os.environ.update(env_hash)  # the steps compare id sets by hash
    try:
        for n in sorted(args.sizes):
            folder = root / f"n{n}"
            shutil.rmtree(folder, ignore_errors=True)
            (folder / "works").mkdir(parents=True)
            mb = make_dump(folder / "works", n)
            base = run(BASELINE, folder / "works", STUDY_DOIS)
            one = run(INDEX, folder / "works", folder / "index1", 1)
            two = run(INDEX, folder / "works", folder / "index2", 2)
            # the study is short and the machine's noise is not: the median of three fresh runs
            studies = sorted((run(STUDY, folder / "index2", STUDY_DOIS) for _ in range(STUDY_RUNS)),
                             key=lambda r: r["seconds"])
            study = dict(studies[len(studies) // 2], runs=[r["seconds"] for r in studies])
            same = all(r[k] == base[k] for r in studies for k in
                       ("n_corpus", "n_citing", "citing_hash", "corpus", "abstracts_hash"))
            fetch = run(FETCH, folder / "index2", STUDY_DOIS)
            two["disk_mb"] = sum(f.stat().st_size for f in (folder / "index2").rglob("*") if f.is_file()) / 2**20
            ok &= same and one["records"] == two["records"] == base["records"] == n
            ok &= fetch["works"] == study["n_corpus"]
            rows.append({"n": n, "mb": mb, "base": base, "one": one, "two": two, "study": study, "same": same,
                         "fetch": fetch})
            print(f"[SYNTHETIC {n:,} works, {mb:,.0f} MB gzip] baseline {base['seconds']:.1f} s "
                  f"{base['peak_mb']:.0f} MB; index 1 thread {one['seconds']:.1f} s {one['peak_mb']:.0f} MB, "
                  f"2 threads {two['seconds']:.1f} s {two['peak_mb']:.0f} MB ({two['disk_mb']:,.0f} MB on disk); study {study['seconds']:.1f} s "
                  f"(median of {', '.join(f'{x:.1f}' for x in study['runs'])} s) "
                  f"(+ {study['decode_seconds']:.1f} s of abstracts to text; {study['n_corpus']:,} corpus works, {study['n_citing']:,} citing; "
                  f"{'same as' if same else 'DIFFERENT from'} the baseline); whole fetch --from-dump "
                  f"{fetch['seconds']:.1f} s {fetch['peak_mb']:.0f} MB ({fetch['works']:,} works, "
                  f"{fetch['citing']:,} citing)", flush=True)
            if not args.keep:
                shutil.rmtree(folder, ignore_errors=True)
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
    print(f"\nSummary (SYNTHETIC dumps, all measured in this run; {os.cpu_count()} cores, fresh process per step, "
          "DuckDB memory limit 2 GB)")
    print("| works | gzip | baseline (Python) | index 1 thread | index 2 threads | peak (2 threads) | "
          "index on disk | index / baseline | 10k-DOI study | abstracts to text | same output | whole fetch | "
          "fetch peak |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['n']:,} | {r['mb']:,.0f} MB | {r['base']['seconds']:.1f} s | {r['one']['seconds']:.1f} s | "
              f"{r['two']['seconds']:.1f} s | {r['two']['peak_mb']:,.0f} MB | {r['two']['disk_mb']:,.0f} MB | "
              f"{r['two']['seconds'] / r['base']['seconds']:.2f}x | {r['study']['seconds']:.1f} s | "
              f"{r['study']['decode_seconds']:.1f} s | {'yes' if r['same'] else 'NO'} | "
              f"{r['fetch']['seconds']:.1f} s | {r['fetch']['peak_mb']:,.0f} MB |")
    sizes = [r["n"] for r in rows]
    if len(rows) > 1:
        print(f"growth exponent (time ~ n^b): index b = {growth(sizes, [r['two']['seconds'] for r in rows]):.2f}, "
              f"study b = {growth(sizes, [r['study']['seconds'] for r in rows]):.2f}, "
              f"baseline b = {growth(sizes, [r['base']['seconds'] for r in rows]):.2f}")
    big = next((r for r in rows if r["n"] == 1_000_000), None)
    if big is not None:
        met = (big["two"]["seconds"] <= TARGET_INDEX_SECONDS and big["two"]["peak_mb"] <= TARGET_MB
               and big["study"]["seconds"] <= TARGET_STUDY_SECONDS)
        ok &= met
        print(f"targets at 1M works (index <= {TARGET_INDEX_SECONDS:.0f} s and <= {TARGET_MB:.0f} MB at 2 threads; "
              f"study <= {TARGET_STUDY_SECONDS:.0f} s): {'met' if met else 'NOT met'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
