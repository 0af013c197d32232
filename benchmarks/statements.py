"""Benchmark: full-text documents parsed into citation statements per second, on one core.

The documents are the real GROBID TEI and JATS files of
``tests/fixtures/fulltext/`` (8 papers), repeated to a few thousand and
stored as a snapshot's full text (gzip, sha256 in the manifest), exactly as a
fetch stores them. The corpus is SYNTHETIC, made from those papers'
bibliographies, in two sizes:

- **typical**: every fifth entry with a DOI or a title is a corpus work, so a
  paper cites about a fifth of its references from the corpus (peerbib
  fetches a citing paper because it cites the corpus; most of what it cites
  is other literature);
- **worst case**: every entry with a DOI or a title is a corpus work: every
  citation is a statement, every citing paragraph is split.

In a fresh process pinned to one core it runs the build's full-text step
(``peerbib.statements.fulltext.fulltext_statements``: read, verify, decompress,
parse, match the bibliography, split the citing paragraphs, make the rows)
and, as the baseline in the same run, only reading, decompressing and
parsing the XML with lxml. It prints documents per second, statements, and
peak memory; the documents are read one at a time, never held together.

Target (issue 9): at least 200 documents per second on one core.

Usage::

    python benchmarks/statements.py                  # 4,000 documents
    python benchmarks/statements.py --documents 1000
"""
from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path

from _measure import ROOT, prelude, run
FULLTEXT = ROOT / "tests" / "fixtures" / "fulltext"
TARGET = 200.0

_PRELUDE = prelude(one_core=True)

EXTRACT = _PRELUDE + """
from peerbib.statements.fulltext import fulltext_statements
folder = sys.argv[1]
corpus = json.load(open(os.path.join(folder, "corpus.json")))
started = time.perf_counter()
result = fulltext_statements(os.path.join(folder, "openalex"), corpus)
seconds = time.perf_counter() - started
print(json.dumps({"seconds": seconds, "documents": len(result.documents), "statements": len(result.rows),
                  "callouts": result.callouts, "warnings": len(result.warnings), "peak_mb": peak_mb()}))
"""

BASELINE = _PRELUDE + """
from lxml import etree
from peerbib.snapshot.store import Snapshot
from peerbib.statements.document import xml_parser
parser = xml_parser()  # the parser peerbib reads with
folder = sys.argv[1]
snapshot = Snapshot.open(os.path.join(folder, "openalex"))
started = time.perf_counter()
n = 0
for work_id, sources in sorted(snapshot.fulltext().items()):
    for source, item in sources.items():
        etree.fromstring(snapshot.fulltext_bytes(item), parser=parser)
        n += 1
print(json.dumps({"seconds": time.perf_counter() - started, "documents": n, "peak_mb": peak_mb()}))
"""


def make_snapshot(folder: Path, n: int, every: int = 1) -> tuple[int, int]:
    """A snapshot of ``n`` full-text documents (the real files, repeated) and a SYNTHETIC corpus
    of every ``every``-th bibliography entry."""
    sys.path.insert(0, str(ROOT))
    from peerbib.files import atomic_write, atomic_write_text, gzip_bytes
    from peerbib.statements.jats import read_jats
    from peerbib.statements.tei import read_tei

    files = sorted((FULLTEXT / "tei").glob("*.xml")) + sorted((FULLTEXT / "jats").glob("*.nxml"))
    corpus, seen = [], set()
    for path in files:
        document = (read_jats if path.suffix == ".nxml" else read_tei)(path.read_bytes())
        usable = [e for e in document.bibliography.values() if e.doi or (e.title and len(e.title) > 15)]
        for entry in usable[::every]:
            key = entry.doi or (entry.title or "").lower()
            if key and key not in seen:
                seen.add(key)
                corpus.append({"work_id": f"C{len(corpus)}", "doi": entry.doi, "title": entry.title,
                               "publication_year": entry.year, "authors": entry.first_author})
    snapshot = folder / "openalex"
    compressed = [(path, gzip_bytes(path.read_bytes())) for path in files]
    fulltext = {}
    for i in range(n):
        path, data = compressed[i % len(compressed)]
        work_id = f"W{1_000_000 + i}"
        jats = path.suffix == ".nxml"
        relative = f"fulltext/{work_id}.jats.xml.gz" if jats else f"tei/{work_id}.tei.xml.gz"
        source = "europepmc-jats" if jats else "openalex-tei"
        fulltext[work_id] = {source: {"source": source, "status": 200, "file": relative,
                                      "sha256": atomic_write(snapshot / relative, data)}}
    manifest = {"format": "peerbib-openalex-snapshot", "format_version": 2, "queries": [], "pending": [],
                "matches": [], "fulltext": fulltext, "fetches": []}
    atomic_write_text(snapshot / "manifest.json", json.dumps(manifest))
    (folder / "corpus.json").write_text(json.dumps(corpus))
    return len(files), len(corpus)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--documents", type=int, default=4000)
    args = parser.parse_args(argv)
    rates = {}
    for label, every in (("typical", 5), ("worst case", 1)):
        folder = Path(tempfile.mkdtemp(prefix="peerbib-statements-"))
        try:
            papers, corpus = make_snapshot(folder, args.documents, every)
            baseline = run(BASELINE, folder)
            extracted = run(EXTRACT, folder)
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        rate = extracted["documents"] / extracted["seconds"]
        base_rate = baseline["documents"] / baseline["seconds"]
        rates[label] = rate
        print(f"{label}: {args.documents:,} documents ({papers} real papers repeated), SYNTHETIC corpus of "
              f"{corpus} works, one core")
        print(f"  parse only (lxml)       {base_rate:8.0f} documents/s   peak {baseline['peak_mb']:.0f} MB")
        print(f"  statements (peerbib)    {rate:8.0f} documents/s   peak {extracted['peak_mb']:.0f} MB   "
              f"{extracted['statements']:,} statements of {extracted['callouts']:,} citations read, "
              f"{extracted['warnings']} warnings")
        print(f"  statements / parse only: {rate / base_rate:.2f}")
    ok = rates["typical"] >= TARGET
    print(f"{'ok  ' if ok else 'MISS'} at least {TARGET:.0f} documents per second on one core (typical corpus; "
          f"worst case {rates['worst case']:.0f})")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
