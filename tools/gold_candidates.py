"""Write the candidate statements of the gold set: every citation in the open-licence fixtures.

Reads the real documents of ``tests/fixtures/fulltext/`` (one file per paper:
the publisher JATS where there is one, else the newest GROBID TEI), and
writes one row per (sentence, cited bibliography entry), with its context and
section, to a CSV. That is how ``peerbib/statements/data/gold_statements.csv``
began: its first 257 rows (five papers) were coded by two coders
independently by ``docs/coding_guide.md`` (kappa 0.95, 2 disagreements,
adjudicated and noted) and the 4 seed statements added; then two more papers
(``--new``: 70 rows, coded the same way, kappa 1.0) and the Discussion and
Results statements of three more (28 rows, kappa 1.0) were added. The cue
classifier was revised against the first 257 and measured on each addition
before any change (the README gives the figures).

    python tools/gold_candidates.py candidates.csv         # every paper
    python tools/gold_candidates.py --new candidates.csv   # papers not in the gold set yet
"""
from __future__ import annotations

import csv
import hashlib
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from peerbib.statements.extract import expand_ranges  # noqa: E402
from peerbib.statements.jats import read_jats  # noqa: E402
from peerbib.statements.sentences import split_sentences  # noqa: E402
from peerbib.statements.tei import read_tei  # noqa: E402

FULLTEXT = ROOT / "tests" / "fixtures" / "fulltext"
#: One file per paper (the same paper in two formats or two GROBID versions is coded once).
PAPERS = [
    "jats/actacrystD2011_pi_sampling.jats.nxml",
    "jats/actapaediatr2011_placenta_bp.jats.nxml",
    "jats/actaanaesthesiolscand2011_phosphate_crrt.jats.nxml",
    "jats/actaobstetgynecolscand2010_trocar_sterilization.jats.nxml",
    "tei/grobid081_jneuroengrehabil2016_multicontact_FES_numeric_coords.tei.xml",
    "tei/grobid081_stam2023_supercon2_numeric_sentences.tei.xml",
    "tei/grobid061_acl2020_specter_authoryear.tei.xml",
    # Only their Discussion and Results statements (see SECTIONS_ONLY): the gold set
    # over-samples the sections where agreement and disagreement are written.
    "jats/actaoncol2011_electrochemotherapy.jats.nxml",
    "jats/actaotolaryngol2011_saccular_duct.jats.nxml",
    "jats/actaphysiol2011_renal_papilla.jats.nxml",
]
SECTIONS_ONLY = {
    "actaoncol2011_electrochemotherapy.jats.nxml": {"Discussion", "Results"},
    "actaotolaryngol2011_saccular_duct.jats.nxml": {"Discussion", "Results"},
    "actaphysiol2011_renal_papilla.jats.nxml": {"Discussion", "Results"},
}
COLUMNS = ["gold_id", "paper", "cited_key", "cited", "callout", "section", "section_heading", "location",
           "context_before", "text", "context_after"]


def label(entry) -> str:
    if entry is None:
        return ""
    parts = [entry.first_author or "", str(entry.year or ""), (entry.title or entry.raw or "")[:120]]
    return " | ".join(parts)


def candidates():
    for name in PAPERS:
        path = FULLTEXT / name
        document = (read_jats if path.suffix == ".nxml" else read_tei)(path.read_bytes())
        order = {key: i for i, key in enumerate(document.bibliography)}
        seen = set()
        for paragraph in document.paragraphs:
            if not paragraph.callouts:
                continue
            expand_ranges(paragraph, order)
            spans = paragraph.sentences or split_sentences(paragraph.text, paragraph.callouts)
            for callout in paragraph.callouts:
                i = next((j for j, (a, b) in enumerate(spans) if a <= callout.start < b), None)
                if i is None:
                    continue
                a, b = spans[i]
                text = paragraph.text[a:b].strip()
                for key in callout.targets or ("",):
                    if (text, key or callout.text) in seen:
                        continue
                    seen.add((text, key or callout.text))
                    entry = document.bibliography.get(key) if key else None
                    gold_id = "G" + hashlib.sha1(f"{name}|{key or callout.text}|{text}".encode()).hexdigest()[:10]
                    yield {
                        "gold_id": gold_id, "paper": path.name, "cited_key": key, "cited": label(entry),
                        "callout": callout.text, "section": paragraph.section.section if paragraph.location == "body"
                        else "Other", "section_heading": paragraph.section.path, "location": paragraph.location,
                        "context_before": paragraph.text[spans[i - 1][0]:spans[i - 1][1]] if i > 0 else "",
                        "text": text,
                        "context_after": paragraph.text[spans[i + 1][0]:spans[i + 1][1]] if i + 1 < len(spans) else "",
                    }


def main() -> int:
    rows = [row for row in candidates()
            if row["section"] in SECTIONS_ONLY.get(row["paper"], {row["section"]})]
    if "--new" in sys.argv:  # only the papers the gold set does not have yet
        sys.argv.remove("--new")
        with open(ROOT / "peerbib" / "statements" / "data" / "gold_statements.csv", encoding="utf-8") as handle:
            have = {row["paper"] for row in csv.DictReader(handle)}
        rows = [row for row in rows if row["paper"] not in have]
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "gold_candidates.csv").resolve()
    with open(out, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    print(f"{len(rows)} candidate statements -> {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
