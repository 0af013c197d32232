"""Full text end to end: fetch from a fake OpenAlex and a fake Europe PMC serving real TEI and JATS,
build, and find the statements. The OpenAlex records are SYNTHETIC; the corpus works carry the DOIs
and titles of entries in the real documents' bibliographies, so the real papers cite them."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd
import pytest
import responses

from fixtures.europepmc import FakeEuropePMC
from fixtures.fulltext_cases import real
from fixtures.openalex import TEST_KEY, FakeOpenAlex, make_work

import peerbib as pb
from peerbib.snapshot import MANIFEST, fetch
from peerbib.statements.extract import CorpusIndex, extract_statements
from peerbib.statements.jats import read_jats
from peerbib.statements.tei import read_tei
from peerbib.statements.classify import default_classifier  # noqa: E402

LABEL = default_classifier().label  # what the classifier column says of the default

HERE = Path(__file__).resolve().parent
FAST = dict(api_key=TEST_KEY, progress=False, max_rate=0, europepmc_rate=0, sleep=lambda s: None)

JNER = "grobid061_jneuroengrehabil2016_multicontact_FES_numeric_consolidated.tei.xml"
STAM = "grobid081_stam2023_supercon2_numeric_sentences.tei.xml"
PAEDIATR = "actapaediatr2011_placenta_bp.jats.nxml"


def world():
    """SYNTHETIC OpenAlex works around three real documents.

    W1, W2: corpus works with the DOIs of two entries of the JNER paper (TEI);
    W3: a corpus work with the title of an entry of the Acta Paediatr JATS (no DOI there);
    W4: a corpus work with the DOI of an entry of the STAM paper (TEI with <s>).
    W101 (GROBID TEI: JNER), W102 (PMC id: the Acta Paediatr JATS), W103 (GROBID TEI: STAM),
    W104 (a PMC id Europe PMC has no text for), W105 (no full text at all).
    """
    jner = read_tei(real(JNER)).bibliography
    stam = read_tei(real(STAM)).bibliography
    with_doi = [e for e in jner.values() if e.doi]
    corpus = [
        make_work(1, doi=with_doi[0].doi, title=with_doi[0].title or "First", year=with_doi[0].year or 2010,
                  cited_by_count=2),
        make_work(2, doi=with_doi[1].doi, title=with_doi[1].title or "Second", year=with_doi[1].year or 2010,
                  cited_by_count=2),
        make_work(3, doi="10.5555/synthetic.law1993",
                  title="Initiation of hypertension in utero and its amplification throughout life", year=1993,
                  authors=("C M Law",), cited_by_count=1),
        make_work(4, doi=stam["b0"].doi, title=stam["b0"].title, year=2023, cited_by_count=1),
    ]
    citing = [
        make_work(101, references=["W1", "W2"], grobid=True, year=2016),
        make_work(102, references=["W3"], pmcid="3035349", year=2011),
        make_work(103, references=["W4"], grobid=True, year=2023),
        make_work(104, references=["W1"], pmcid="PMC9999999", year=2020),
        make_work(105, references=["W2"], year=2021),
    ]
    return corpus, citing


def serve(rsps):
    corpus, citing = world()
    api = FakeOpenAlex(corpus + citing).install(rsps)
    api.tei = {"W101": real(JNER), "W103": real(STAM)}
    europepmc = FakeEuropePMC({"PMC3035349": real(PAEDIATR)}).install(rsps)
    return corpus, api, europepmc


def expected_statements(corpus):
    """What the extraction finds when run on the three documents directly."""
    index = CorpusIndex([{"work_id": w["id"].rsplit("/", 1)[1], "doi": w["doi"].split("doi.org/")[1],
                          "title": w["title"], "publication_year": w["publication_year"],
                          "authors": "; ".join(a["author"]["display_name"] for a in w["authorships"])}
                         for w in corpus])
    rows = []
    for citing_id, document in (("W101", read_tei(real(JNER))), ("W102", read_jats(real(PAEDIATR))),
                                ("W103", read_tei(real(STAM)))):
        rows += extract_statements(document, index, citing_id)[0]
    return {(r["citing_id"], r["cited_id"], r["text"]) for r in rows}


def test_fetch_with_fulltext_then_build_finds_every_statement(tmp_path, capsys):
    raw = tmp_path / "raw"
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        corpus, api, europepmc = serve(rsps)
        summary = fetch([w["doi"] for w in corpus], snapshot=raw / "openalex", fulltext=True, **FAST)
        assert (summary.fulltext, summary.fulltext_europepmc, summary.fulltext_tei) == (3, 1, 2)
        assert sorted(europepmc.calls) == ["PMC3035349", "PMC9999999"]
        assert summary.fulltext_credits_estimated == 200  # two TEI files at ~100 credits
        assert summary.europepmc_requests == 2 and "2 Europe PMC requests" in str(summary)
        # a warm rerun asks nobody anything
        calls, epmc_calls = len(api.calls), len(europepmc.calls)
        again = fetch([w["doi"] for w in corpus], snapshot=raw / "openalex", fulltext=True, **FAST)
        assert again.requests == 0 and len(api.calls) == calls and len(europepmc.calls) == epmc_calls
    manifest = json.loads((raw / "openalex" / MANIFEST).read_text())
    assert manifest["fulltext"]["W104"]["europepmc-jats"]["status"] == 404  # recorded, not asked again
    assert manifest["fulltext"]["W102"]["europepmc-jats"]["file"] == "fulltext/W102.jats.xml.gz"
    text = json.dumps(manifest)
    assert TEST_KEY not in text and "@" not in text.replace("@type", "")
    tables = pb.build(raw, tmp_path / "processed")
    found = tables.statements[tables.statements["fulltext_source"].notna()]
    assert {(r.citing_id, r.cited_id, r.text) for r in found.itertuples()} == expected_statements(corpus)
    assert set(found["cited_id"]) == {"W1", "W2", "W3", "W4"}
    assert set(found.loc[found.citing_id == "W102", "fulltext_source"]) == {"europepmc-jats"}
    assert set(found.loc[found.citing_id == "W101", "fulltext_source"]) == {"openalex-tei"}
    assert set(found.loc[found.cited_id == "W3", "match_method"]) == {"title"}
    assert found["type"].isin(["supporting", "mentioning", "contrasting", "unclassified"]).all()
    assert (found["classifier"] == LABEL).all() and found["evidence"].notna().all()
    assert found["statement_id"].is_unique
    assert found["section"].isin(["Introduction", "Methods", "Results", "Discussion", "Other"]).all()
    works = tables.works.set_index("work_id")
    assert works.loc["W101", "fulltext_source"] == "openalex-tei" and pd.isna(works.loc["W104", "fulltext_source"])
    coverage = pb.statement_coverage(tables).set_index("cited_id")
    assert coverage.loc["W1", ["citing_works", "with_fulltext", "with_statements"]].tolist() == [2, 1, 1]
    assert coverage.loc["W2", ["citing_works", "with_fulltext", "with_statements"]].tolist() == [2, 1, 1]
    assert coverage.loc["W1", "fulltext_share"] == 0.5
    assert coverage.loc["W3", "statement_share"] == 1.0
    # the statements survive a save and a load
    pd.testing.assert_frame_equal(pb.load(tmp_path / "processed").statements, tables.statements)


def test_a_cited_work_without_open_full_text_shows_zero_coverage(tmp_path):
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        corpus, api, europepmc = serve(rsps)
        api.tei = {}
        europepmc.documents = {}
        fetch([w["doi"] for w in corpus], snapshot=tmp_path / "raw" / "openalex", fulltext=True, **FAST)
    tables = pb.build(tmp_path / "raw", tmp_path / "processed")
    coverage = pb.statement_coverage(tables)
    assert len(coverage) == 4 and (coverage["with_fulltext"] == 0).all() and (coverage["fulltext_share"] == 0).all()
    assert (coverage["citing_works"] > 0).all()


def test_build_reports_a_malformed_document_by_name_and_goes_on(tmp_path):
    broken = b'<?xml version="1.0"?><article><body><p>Unclosed <bold>text</p></body></article>'
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        corpus, api, europepmc = serve(rsps)
        europepmc.documents["PMC3035349"] = broken
        fetch([w["doi"] for w in corpus], snapshot=tmp_path / "raw" / "openalex", fulltext=True, **FAST)
    with pytest.warns(UserWarning, match=r"the full text of W102 \(fulltext/W102\.jats\.xml\.gz, europepmc-jats\) "
                                         r"cannot be read"):
        tables = pb.build(tmp_path / "raw", tmp_path / "processed")
    found = tables.statements[tables.statements["fulltext_source"].notna()]
    assert "W102" not in set(found["citing_id"]) and {"W101", "W103"} <= set(found["citing_id"])


def test_a_cut_off_answer_is_retried_and_europe_pmc_faults_back_off(tmp_path):
    sleeps = []
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        corpus, api, europepmc = serve(rsps)
        europepmc.fail(503, times=2)
        whole = europepmc.documents["PMC3035349"]
        api.fail("truncated", when=lambda path, params: path.endswith("/W101.grobid-xml"))
        summary = fetch([w["doi"] for w in corpus], snapshot=tmp_path / "snap", fulltext=True,
                        **{**FAST, "sleep": sleeps.append})
    assert summary.fulltext == 3 and summary.retries == 3 and len(sleeps) >= 3
    stored = json.loads((tmp_path / "snap" / MANIFEST).read_text())["fulltext"]["W102"]["europepmc-jats"]
    import gzip

    assert gzip.decompress((tmp_path / "snap" / stored["file"]).read_bytes()) == whole


def test_budget_runs_out_during_tei_and_the_rerun_finishes(tmp_path):
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        corpus, api, europepmc = serve(rsps)
        first = fetch([w["doi"] for w in corpus], snapshot=tmp_path / "whole", fulltext=True, **FAST)
        api.budget = api.used + 2 + 100  # the lists again, and one TEI file, no more
        with pytest.raises(pb.BudgetExhaustedError):
            fetch([w["doi"] for w in corpus], snapshot=tmp_path / "snap", fulltext=True, workers=1, **FAST)
        api.budget = None
        resumed = fetch([w["doi"] for w in corpus], snapshot=tmp_path / "snap", fulltext=True, **FAST)
    assert resumed.fulltext == first.fulltext == 3
    a = pb.build(tmp_path / "whole", tmp_path / "p1").statements
    b = pb.build(tmp_path / "snap", tmp_path / "p2").statements
    pd.testing.assert_frame_equal(a, b)


KILL = textwrap.dedent("""
    import os, signal, sys
    sys.path.insert(0, {tests!r})
    import responses
    from test_fulltext import FAST, serve
    from peerbib.snapshot import fetch

    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        corpus, api, europepmc = serve(rsps)
        def kill(n):
            if n == {kill_at}:
                os.kill(os.getpid(), signal.SIGKILL)
        {target}.on_request = kill
        fetch([w["doi"] for w in corpus], snapshot={snapshot!r}, fulltext=True, workers=1, save_interval=0,
              **FAST)
""")


@pytest.mark.parametrize("target, kill_at", [("europepmc", 2), ("api", 3)])  # api: 1 doi, 1 cites page, then TEI
def test_killed_midway_through_full_text_the_rerun_ends_with_the_same_statements(tmp_path, target, kill_at):
    snapshot = tmp_path / "killed" / "openalex"
    script = KILL.format(tests=str(HERE), kill_at=kill_at, snapshot=str(snapshot), target=target)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120,
                            env={**os.environ, "PYTHONPATH": str(HERE.parent)})
    assert result.returncode == -9, result.stderr[-2000:]
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        corpus, api, europepmc = serve(rsps)
        resumed = fetch([w["doi"] for w in corpus], snapshot=snapshot, fulltext=True, **FAST)
        fetch([w["doi"] for w in corpus], snapshot=tmp_path / "whole" / "openalex", fulltext=True, **FAST)
    assert resumed.status == "complete" and resumed.pages_reused > 0
    pd.testing.assert_frame_equal(pb.build(tmp_path / "killed", tmp_path / "p1").statements,
                                  pb.build(tmp_path / "whole", tmp_path / "p2").statements)
    assert not list(snapshot.rglob("*.tmp"))


def test_the_cost_is_said_before_the_downloads_and_the_totals_after(tmp_path, capsys):
    from peerbib import cli

    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        corpus, api, europepmc = serve(rsps)
        summary = fetch([w["doi"] for w in corpus], snapshot=tmp_path / "raw" / "openalex", fulltext=True,
                        **{**FAST, "progress": True})
    err = capsys.readouterr().err
    assert "2 GROBID TEI from OpenAlex, 2 to download, about 200 credits" in err
    assert "Europe PMC JATS (free)" in err
    assert "full text:  3 of 5 citing works (1 Europe PMC JATS, 2 OpenAlex GROBID TEI)" in str(summary)
    assert summary.credits >= 200  # the real cost, after
    assert cli.main(["build", "--raw", str(tmp_path / "raw"), "--processed", str(tmp_path / "processed")]) == 0
    out = capsys.readouterr().out
    assert "found in the full text of 3 of 5 citing works (60%)" in out


def test_a_build_opens_the_snapshot_once_and_hands_it_to_every_reader(tmp_path, monkeypatch):
    """Was: the build opened (read and checked) the manifest in snapshot_tables and again for the full text."""
    from peerbib.snapshot.store import Snapshot

    raw = tmp_path / "raw"
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        corpus, _, _ = serve(rsps)
        fetch([w["doi"] for w in corpus], snapshot=raw / "openalex", fulltext=True, **FAST)
    opened = []
    original = Snapshot.open.__func__
    monkeypatch.setattr(Snapshot, "open", classmethod(lambda cls, *a, **k: opened.append(a) or original(cls, *a, **k)))
    tables = pb.build(raw, tmp_path / "processed")
    assert len(opened) == 1
    assert tables.statements["fulltext_source"].notna().any()  # the full text was read, through the same snapshot
