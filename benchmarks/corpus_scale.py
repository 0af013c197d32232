"""Benchmark: reading, merging and building a large corpus of database exports -- on SYNTHETIC data.

The exports here are SYNTHETIC, made by code in this file: a Scopus-shaped CSV
(Scopus's real header of 54 columns, ``Liu F.; Li C.`` authors, abstracts of
~180 invented words, some of them over several lines inside quotes, a few
rows with funding text spilling into extra columns) and a Web-of-Science-shaped
plain-text file (``FN``/``VR`` head, tagged fields with continuation lines,
upper-case sources, ``ER``/``EF``). The Web of Science file overlaps the
Scopus one the way two searches of one topic do: 60% of its records are works
also in the Scopus file (most found by DOI; one in six of those has no DOI in
one file and is found by title, year and first author), 40% are its own.

For each size, in fresh processes (so one measurement's memory does not reach
the next):

- **baseline**: what the least careful reader would do: ``pandas.read_csv``
  of the Scopus file, a split of the WoS file into records with a dict per
  record, and a de-duplication by DOI;
- **read**: ``pb.read_corpus`` of both files (format detection, field
  mapping, DOI cleaning, validation);
- **build**: ``pb.build`` of the raw folder holding both: reading, merging
  the overlap into one work each, the tables written to Parquet. Wall time and
  peak resident memory.

It prints the figures, read and build as ratios against the baseline measured
in the same run, and how the build grows with size (the exponent b of
time ~ n^b: 1 is linear). It checks the merge: the build must hold exactly
the number of distinct works the generator made.

Target (issue 11): 100,000 Scopus rows + 50,000 overlapping WoS records read,
merged and built in <= 30 s and <= 2 GB peak.

Usage::

    python benchmarks/corpus_scale.py                    # 20k+10k and 100k+50k (~2 min)
    python benchmarks/corpus_scale.py --sizes 10000      # quicker: 10k Scopus rows + 5k WoS records
"""
from __future__ import annotations

import argparse
import csv
import io
import os
import random
import shutil
import sys
import tempfile
import textwrap
from pathlib import Path

from _measure import growth, prelude, run

TARGET_SECONDS = 30.0
TARGET_MB = 2048.0

SCOPUS_HEADER = [
    "Authors", "Author full names", "Author(s) ID", "Title", "Year", "Source title", "Volume", "Issue", "Art. No.",
    "Page start", "Page end", "Page count", "Cited by", "DOI", "Link", "Affiliations", "Authors with affiliations",
    "Abstract", "Author Keywords", "Index Keywords", "Molecular Sequence Numbers", "Chemicals/CAS", "Tradenames",
    "Manufacturers", "Funding Details", "Funding Texts", "References", "Correspondence Address", "Editors",
    "Publisher", "Sponsors", "Conference name", "Conference date", "Conference location", "Conference code", "ISSN",
    "ISBN", "CODEN", "PubMed ID", "Language of Original Document", "Abbreviated Source Title", "Document Type",
    "Publication Stage", "Open Access", "Source", "EID",
]

# --- the SYNTHETIC corpus ---------------------------------------------------------------------------

_ONSETS = ["b", "c", "d", "f", "g", "h", "l", "m", "n", "p", "r", "s", "t", "v", "pr", "st", "tr", "cl"]
_VOWELS = ["a", "e", "i", "o", "u", "ai", "ea", "io"]
_CODAS = ["", "n", "r", "s", "t", "l", "nd", "st"]


def _vocabulary(rng: random.Random, size: int) -> list[str]:
    words = set()
    while len(words) < size:
        words.add("".join(rng.choice(_ONSETS) + rng.choice(_VOWELS) for _ in range(rng.randint(1, 3)))
                  + rng.choice(_CODAS))
    return sorted(words)


def synthetic_works(n_scopus: int, seed: int = 0) -> tuple[list[dict], list[dict], int]:
    """SYNTHETIC works for the two exports: (scopus works, wos works, distinct works)."""
    rng = random.Random(seed)
    vocab = _vocabulary(rng, 4000)
    surnames = [w.capitalize() for w in _vocabulary(rng, 3000)]
    venues = [" ".join(w.capitalize() for w in rng.sample(vocab, rng.randint(2, 4))) + " Journal" for _ in range(600)]
    types = ["Article"] * 8 + ["Review", "Conference Paper", "Book Chapter", "Letter"]

    def work(i: int) -> dict:
        names = [(rng.choice(surnames), "".join(rng.choice("ABCDEFGHJKLMNPRST") for _ in range(rng.randint(1, 2))))
                 for _ in range(rng.randint(1, 6))]
        return {
            "title": "SYNTHETIC " + " ".join(rng.choices(vocab, k=rng.randint(6, 16))),
            "authors": names,
            "year": rng.randint(1990, 2026),
            "venue": rng.choice(venues),
            "doi": f"10.{rng.randint(1000, 9999)}/synthetic.{i}",
            "abstract": " ".join(rng.choices(vocab, k=rng.randint(120, 240))),
            "keywords": [" ".join(rng.sample(vocab, rng.randint(1, 2))) for _ in range(rng.randint(0, 5))],
            "type": rng.choice(types),
            "multiline": rng.random() < 0.05,
            "funding": rng.random() < 0.01,
        }

    scopus = [work(i) for i in range(n_scopus)]
    n_wos = n_scopus // 2
    shared = rng.sample(range(n_scopus), int(n_wos * 0.6))
    wos = []
    for k, i in enumerate(shared):
        record = dict(scopus[i])
        if k % 6 == 0:  # one in six shared works lacks its DOI in one of the two files: found by title
            if k % 12 == 0:
                record["doi"] = None
            else:
                scopus[i] = dict(scopus[i], doi=None)
        wos.append(record)
    wos += [work(n_scopus + j) for j in range(n_wos - len(shared))]
    rng.shuffle(wos)
    return scopus, wos, n_scopus + (n_wos - len(shared))


def write_scopus(works: list[dict], path: Path) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(SCOPUS_HEADER)
    at = {name: i for i, name in enumerate(SCOPUS_HEADER)}
    for i, w in enumerate(works):
        row = [""] * len(SCOPUS_HEADER)
        row[at["Authors"]] = "; ".join(f"{s} {'.'.join(g)}." for s, g in w["authors"])
        row[at["Title"]] = w["title"]
        row[at["Year"]] = str(w["year"])
        row[at["Source title"]] = w["venue"]
        row[at["DOI"]] = w["doi"] or ""
        abstract = w["abstract"]
        if w["multiline"]:
            words = abstract.split(" ")
            abstract = " ".join(words[:40]) + "\n" + " ".join(words[40:])
        row[at["Abstract"]] = abstract
        row[at["Author Keywords"]] = "; ".join(w["keywords"])
        row[at["Document Type"]] = w["type"]
        row[at["Publication Stage"]] = "Final"
        row[at["Source"]] = "Scopus"
        row[at["EID"]] = f"2-s2.0-{85000000000 + i}"
        if w["funding"]:  # Scopus's ragged rows: funding text with commas that spilled into extra columns
            row[at["Funding Texts"]] = "Funded by the SYNTHETIC council"
            row += ["grant 1", "grant 2"]
        writer.writerow(row)
    path.write_text("\ufeff" + buffer.getvalue(), encoding="utf-8", newline="")


def _tagged(tag: str, values) -> list[str]:
    lines = []
    for i, value in enumerate(values):
        wrapped = textwrap.wrap(value, 70) or [""]
        for j, part in enumerate(wrapped):
            lines.append(f"{tag if i == 0 and j == 0 else '  '} {part}")
    return lines


def write_wos(works: list[dict], path: Path) -> None:
    out = ["FN Clarivate Analytics Web of Science", "VR 1.0"]
    for i, w in enumerate(works):
        out += ["PT J"]
        out += _tagged("AU", [f"{s}, {g}" for s, g in w["authors"]])
        out += _tagged("TI", [w["title"]])
        out += _tagged("SO", [w["venue"].upper()])
        out += ["LA English", f"DT {w['type']}"]
        if w["keywords"]:
            out += _tagged("DE", ["; ".join(w["keywords"])])
        out += _tagged("AB", [w["abstract"]])
        out += [f"PY {w['year']}"]
        if w["doi"]:
            out += [f"DI {w['doi']}"]
        out += [f"UT WOS:{i:015d}", "ER", ""]
    out += ["EF"]
    path.write_text("\ufeff" + "\n".join(out) + "\n", encoding="utf-8")


# --- the measured steps, each in a fresh process ---------------------------------------------------

_PRELUDE = prelude()

BASELINE = _PRELUDE + """
import pandas as pd
corpus = os.path.join(sys.argv[1], "raw", "corpus")
started = time.perf_counter()
scopus = pd.read_csv(os.path.join(corpus, "scopus_SYNTHETIC.csv"), dtype=str, encoding="utf-8-sig",
                     on_bad_lines="skip", engine="python")
records, record, tag = [], {}, None
with open(os.path.join(corpus, "wos_SYNTHETIC.txt"), encoding="utf-8-sig") as handle:
    for line in handle:
        if line.startswith("ER"):
            records.append(record)
            record = {}
        elif line.startswith("   "):
            record[tag] += " " + line.strip()
        elif len(line) > 3 and line[2] == " ":
            tag = line[:2]
            record[tag] = line[3:].rstrip("\\n")
wos = pd.DataFrame(records).rename(columns={"DI": "DOI", "TI": "Title"})
both = pd.concat([scopus[["DOI", "Title"]], wos[["DOI", "Title"]]], ignore_index=True)
works = both[both["DOI"].isna() | ~both["DOI"].duplicated()]
print(json.dumps({"seconds": time.perf_counter() - started, "peak_mb": peak_mb(), "works": len(works)}))
"""

READ = _PRELUDE + """
import pandas, pyarrow
import peerbib as pb
corpus = os.path.join(sys.argv[1], "raw", "corpus")
started = time.perf_counter()
rows = sum(len(pb.read_corpus(os.path.join(corpus, name))) for name in ("scopus_SYNTHETIC.csv", "wos_SYNTHETIC.txt"))
print(json.dumps({"seconds": time.perf_counter() - started, "peak_mb": peak_mb(), "rows": rows}))
"""

BUILD = _PRELUDE + """
import pandas, pyarrow  # imported before the clock starts, as the baseline imports pandas
import peerbib as pb
folder = sys.argv[1]
started = time.perf_counter()
with warnings.catch_warnings():
    warnings.simplefilter("error")  # the SYNTHETIC exports agree wherever they overlap: no conflict to warn of
    tables = pb.build(os.path.join(folder, "raw"), os.path.join(folder, "processed"))
seconds = time.perf_counter() - started
works = tables.works
print(json.dumps({"seconds": seconds, "peak_mb": peak_mb(), "works": len(works),
                  "in_both": int(works["corpus_files"].str.contains("; ").sum()), "notes": tables.notes}))
"""


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[20_000, 100_000],
                        help="Scopus rows; the WoS file has half as many records")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--keep", help="keep the SYNTHETIC exports in this folder")
    args = parser.parse_args(argv)
    root = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="peerbib-corpus-scale-"))
    rows, ok = [], True
    try:
        for n in sorted(args.sizes):
            folder = root / f"n{n}"
            shutil.rmtree(folder, ignore_errors=True)
            (folder / "raw" / "corpus").mkdir(parents=True)
            scopus, wos, distinct = synthetic_works(n, seed=args.seed)
            write_scopus(scopus, folder / "raw" / "corpus" / "scopus_SYNTHETIC.csv")
            write_wos(wos, folder / "raw" / "corpus" / "wos_SYNTHETIC.txt")
            size_mb = sum(p.stat().st_size for p in (folder / "raw" / "corpus").iterdir()) / 2**20
            baseline = run(BASELINE, folder)
            read = run(READ, folder)
            built = run(BUILD, folder)
            merged_right = built["works"] == distinct
            ok &= merged_right
            rows.append({"n": n, "wos": len(wos), "distinct": distinct, "mb": size_mb, "baseline": baseline,
                         "read": read, "build": built})
            print(f"[SYNTHETIC {n:,} Scopus rows + {len(wos):,} WoS records, {size_mb:.0f} MB] "
                  f"baseline {baseline['seconds']:.1f} s, {baseline['peak_mb']:.0f} MB; "
                  f"read {read['seconds']:.1f} s, {read['peak_mb']:.0f} MB; "
                  f"build {built['seconds']:.1f} s, {built['peak_mb']:.0f} MB: {built['works']:,} works "
                  f"({'the' if merged_right else 'NOT the'} {distinct:,} made), {built['in_both']:,} in both files; "
                  f"{'; '.join(built['notes'])}", flush=True)
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)

    print(f"\nSummary (SYNTHETIC exports, all measured in this run; {os.cpu_count()} cores, fresh process per step)")
    print("| Scopus rows | WoS records | works | baseline | read | build | build peak | read / baseline "
          "| build / baseline |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        b = r["baseline"]["seconds"]
        print(f"| {r['n']:,} | {r['wos']:,} | {r['build']['works']:,} | {b:.1f} s | {r['read']['seconds']:.1f} s "
              f"| {r['build']['seconds']:.1f} s | {r['build']['peak_mb']:.0f} MB | {r['read']['seconds'] / b:.1f}x "
              f"| {r['build']['seconds'] / b:.1f}x |")
    sizes = [r["n"] for r in rows]
    if len(rows) > 1:
        print(f"growth exponent (time ~ n^b): build b = {growth(sizes, [r['build']['seconds'] for r in rows]):.2f}, "
              f"baseline b = {growth(sizes, [r['baseline']['seconds'] for r in rows]):.2f}")
    target = next((r for r in rows if r["n"] == 100_000), None)
    if target is not None:
        met = target["build"]["seconds"] <= TARGET_SECONDS and target["build"]["peak_mb"] <= TARGET_MB
        ok &= met
        print(f"target 100,000 + 50,000 built in <= {TARGET_SECONDS:.0f} s and <= {TARGET_MB:.0f} MB: "
              f"{'met' if met else 'NOT met'} ({target['build']['seconds']:.1f} s, {target['build']['peak_mb']:.0f} MB)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
