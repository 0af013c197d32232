"""The bundled corpus is transcribed from the seed documents: every value traces back.

These tests read the copies of the seed documents in tests/fixtures/seeds/
(sources in SOURCES.md there) and check every row of data/raw against the
seed line it names.
"""
from __future__ import annotations

import csv
import re
import subprocess
import sys

import peerbib as pb
from conftest import REPO, SEEDS

RAW = REPO / "data" / "raw"


def rows(name):
    with open(RAW / name, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def seed_text(name):
    return (SEEDS / name).read_text(encoding="utf-8")


def squash(text):
    return " ".join(text.split())


def test_transcription_is_reproducible_from_the_seeds():
    result = subprocess.run([sys.executable, str(REPO / "tools" / "transcribe_seeds.py"), str(SEEDS), "--check"],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_every_work_traces_to_its_seed_line():
    corpus = rows("corpus/seed_corpus.csv")
    assert len(corpus) == 30
    for row in corpus:
        lines = seed_text(row["seed_file"]).split("\n")
        anchor = lines[int(row["seed_line"]) - 1]
        assert anchor.strip(), row
        text = squash(seed_text(row["seed_file"]))
        if row["title"]:
            assert squash(row["title"]) in squash(anchor), (row["title"], anchor)
        if row["doi"]:
            # The BMC page prints its DOI with '-' for '/': see data/raw/README.md.
            doi = row["doi"].lower()
            assert doi in text.lower() or doi.replace("/", "-") in text.lower(), doi
        for author in filter(None, row["authors"].split("; ")):
            assert author in text, author
        if row["abstract"]:
            for paragraph in row["abstract"].split("\n\n"):
                body = paragraph.split("\n")[-1].removesuffix("…")
                assert squash(body) in text, body[:60]
        if row["venue"]:
            assert row["venue"] in text
        if row["publication_year"] and row["seed_file"] != "001_5086652c5b7efdaf.txt":
            assert row["publication_year"] in text


def test_spot_checks_against_the_seeds():
    by_doi = {row["doi"]: row for row in rows("corpus/seed_corpus.csv") if row["doi"]}
    assert by_doi["10.1007/s10488-014-0603-z"]["publication_year"] == "2014"
    assert by_doi["10.1007/s10488-014-0603-z"]["abstract_truncated"] == "true"
    assert by_doi["10.1192/apt.bp.113.011940"]["title"] == "Peer workers in mental health services: literature overview"
    assert by_doi["10.1007/s10597-015-9843-y"]["publication_year"] == "2015"
    assert by_doi["10.1111/hex.13151"]["venue"] == "Health Expectations"
    assert by_doi["10.1186/1472-6963-13-188"]["authors"].startswith("Steve G Gillard; Christine Edwards")
    # the BMC page runs site text into the title on both lines that show it
    assert by_doi["10.1186/1472-6963-13-188"]["title"] == (
        "Introducing peer worker roles into UK mental health service teams: "
        "a qualitative analysis of the organisational benefits and challenges")
    for row in rows("corpus/seed_corpus.csv"):
        assert not re.search(r"download|report as|read online", row["title"], flags=re.I), row["title"]
    roles = [row["seed_role"] for row in rows("corpus/seed_corpus.csv")]
    assert roles.count("search result") == 10 and roles.count("related output") == 13
    assert roles.count("main work") == 4 and roles.count("reference") == 3


def test_statements_and_tallies_match_the_scite_page():
    page = seed_text("000_911e5b077376d86a.txt")
    statements = rows("statements/seed_statements.csv")
    shown = re.findall(r"^“(.+)”$", page, flags=re.M)
    assert len(shown) == 5 and len(set(shown)) == 4  # one statement is shown twice
    assert sorted(s["text"] for s in statements) == sorted(set(shown))
    assert [s["confidence"] for s in statements] == ["0.99", "0.99", "0.99", "0.77"]
    (tally,) = rows("tallies/seed_tallies.csv")
    assert (tally["citing_publications"], tally["citation_statements"]) == ("66", "75")
    assert [tally[k] for k in ("supporting", "mentioning", "contrasting", "unclassified")] == ["1", "61", "0", "12"]


def test_no_email_address_was_transcribed():
    for path in RAW.rglob("*"):
        if path.is_file():
            assert not re.search(r"[\w.]+@[\w-]+\.\w+", path.read_text(encoding="utf-8")), path


def test_bundled_corpus_reads_cleanly():
    corpus = pb.read_corpus(RAW / "corpus" / "seed_corpus.csv")
    assert len(corpus) == 30 and corpus["work_id"].is_unique
    assert corpus["abstract"].notna().sum() == 15
