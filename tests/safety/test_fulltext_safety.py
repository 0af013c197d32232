"""Full text that cannot be read must not stop a fetch or a build (issue 18, items 6, 9 and 10).

- A full-text body that stays unusable after the retries (a GROBID TEI OpenAlex always serves cut off,
  a Europe PMC JATS that is no article) is recorded in the snapshot as unreadable, with the reason, and
  the fetch goes on; a rerun does not pay for it again.
- A valid document with a long prolog (comments before the root) is read.
- A huge single-line TEI gives statements of a bounded length, with a warning naming the citing work.
- A Semantic Scholar file with fields of odd types is a one-line error naming the file.

Every OpenAlex record, document, tally and Semantic Scholar page here is SYNTHETIC, made by the code below.
"""
from __future__ import annotations

import json
import logging
import time

import pandas as pd
import pytest
import requests
import responses

from fixtures.europepmc import FakeEuropePMC
from fixtures.fulltext_cases import bibl, tei
from fixtures.openalex import TEST_KEY, FakeOpenAlex, make_work
from fixtures.scite import FakeScite, counts

import peerbib as pb
from peerbib import cli
from peerbib.snapshot import MANIFEST, fetch
from peerbib.sources.http import parse_xml
from peerbib.statements.extract import CorpusIndex, extract_statements
from peerbib.statements.tei import read_tei

FAST = dict(api_key=TEST_KEY, progress=False, max_rate=0, europepmc_rate=0, scite_rate=0, sleep=lambda s: None)
CITED_DOI = "10.5555/synthetic.1"
TEI_NS = "http://www.tei-c.org/ns/1.0"
#: "A few thousand characters": the longest of 4,548 sentences in the real documents of tests/fixtures/fulltext
#: is 784 characters, so a statement or context longer than this is not a sentence.
FEW_THOUSAND = 4000


def citing_tei(work: str) -> bytes:
    """A small SYNTHETIC GROBID TEI whose one paragraph cites W1 (by its DOI)."""
    body = (f'<div xmlns="{TEI_NS}"><head>Introduction</head><p>Peer workers in {work} help people, as '
            f'reported before <ref type="bibr" target="#b0">[1]</ref>. Nothing else is cited here.</p></div>')
    return tei(body, bibl("b0", title="Synthetic work 1 on peer support", doi=CITED_DOI, year=2015),
               title=f"Citing paper {work}")


def long_prolog(document: bytes, size: int = 10_000) -> bytes:
    """``document`` with ``size`` bytes of comment between its XML declaration and its root."""
    declaration, rest = document.split(b"\n", 1)
    assert declaration.startswith(b"<?xml")
    padding = b"<!-- " + (b"SYNTHETIC padding a converter left before the root. " * (size // 50 + 1))[:size] + b" -->"
    return declaration + b"\n" + padding + b"\n" + rest


def cut_off(document: bytes) -> bytes:
    return document[: len(document) // 2]


def world():
    """W1, W2: corpus works. Citing works:
    W101 GROBID TEI that OpenAlex always serves cut off; W102 a whole TEI;
    W103 a PMC id whose Europe PMC body is always cut off, and a whole TEI;
    W104 a TEI with 10 kB of comment before its root."""
    corpus = [make_work(1, doi=CITED_DOI, cited_by_count=4), make_work(2, cited_by_count=0)]
    citing = [
        make_work(101, references=["W1"], grobid=True, year=2020),
        make_work(102, references=["W1"], grobid=True, year=2021),
        make_work(103, references=["W1"], grobid=True, pmcid="PMC1234567", year=2022),
        make_work(104, references=["W1"], grobid=True, year=2023),
    ]
    return corpus, citing


def serve(rsps):
    corpus, citing = world()
    api = FakeOpenAlex(corpus + citing).install(rsps)
    api.tei = {"W101": cut_off(citing_tei("W101")), "W102": citing_tei("W102"), "W103": citing_tei("W103"),
               "W104": long_prolog(citing_tei("W104"))}
    jats = (b'<?xml version="1.0"?>\n<article><front><article-meta><title-group><article-title>SYNTHETIC'
            b'</article-title></title-group></article-meta></front><body><p>Peer workers help')
    europepmc = FakeEuropePMC({"PMC1234567": jats}).install(rsps)
    scite = FakeScite({CITED_DOI: counts(CITED_DOI, supporting=1, mentioning=3)}).install(rsps)
    return corpus, api, europepmc, scite


def content_calls(api, work: str) -> list:
    return [c for c in api.calls if c["host"] == "content.openalex.org" and c["path"].endswith(f"/{work}.grobid-xml")]


# --- item 6: one unreadable full text does not stop the fetch ---------------------------------------------


def test_a_tei_always_cut_off_is_recorded_unreadable_and_the_fetch_goes_on(tmp_path, caplog):
    raw = tmp_path / "raw"
    snapshot = raw / "openalex"
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        corpus, api, europepmc, scite = serve(rsps)
        with caplog.at_level(logging.WARNING, logger="peerbib"):
            summary = fetch([w["doi"] for w in corpus], snapshot=snapshot, fulltext=True, scite_tallies=True,
                            **FAST)
        assert summary.status == "complete"
        # retried like any cut-off body, then recorded: 1 + max_retries attempts
        assert len(content_calls(api, "W101")) == 6
        # the works after it still got their full text, and the phase after full text ran
        assert (summary.fulltext, summary.fulltext_tei, summary.fulltext_europepmc) == (3, 3, 0)
        assert scite.calls == [[CITED_DOI, "10.5555/synthetic.2"]] and summary.scite_tallies == 1
        warned = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
        assert any("W101" in m and "cut off" in m for m in warned), warned
        assert any("W103" in m and "Europe PMC" in m for m in warned), warned
        assert "W101" in str(summary) and "unreadable" in str(summary)
        manifest = json.loads((snapshot / MANIFEST).read_text())
        item = manifest["fulltext"]["W101"]["openalex-tei"]
        assert item["status"] == "unreadable" and "file" not in item
        assert item["reason"].startswith("XML cut off after ") and item["reason"].endswith(" bytes")
        assert manifest["fulltext"]["W103"]["europepmc-jats"]["status"] == "unreadable"
        assert manifest["fulltext"]["W103"]["openalex-tei"]["status"] == 200  # the TEI stood in for it
        assert manifest["fulltext"]["W104"]["openalex-tei"]["status"] == 200

        # a rerun asks nobody anything: the unreadable answer costs no credits again
        calls = len(api.calls)
        again = fetch([w["doi"] for w in corpus], snapshot=snapshot, fulltext=True, scite_tallies=True, **FAST)
        assert again.requests == 0 and again.credits == 0 and len(api.calls) == calls
        assert again.status == "complete" and "W101" in str(again)
        # ... unless the user refreshes
        fetch([w["doi"] for w in corpus], snapshot=snapshot, fulltext=True, refresh=True, **FAST)
        assert len(content_calls(api, "W101")) == 12

    # the build counts W101 as a citing work without full text
    tables = pb.build(raw, tmp_path / "processed")
    works = tables.works.set_index("work_id")
    assert pd.isna(works.loc["W101", "fulltext_source"])
    assert works.loc["W104", "fulltext_source"] == "openalex-tei"
    found = tables.statements[tables.statements["fulltext_source"].notna()]
    assert set(found["citing_id"]) == {"W102", "W103", "W104"}
    coverage = pb.statement_coverage(tables).set_index("cited_id")
    assert coverage.loc["W1", ["citing_works", "with_fulltext", "with_statements"]].tolist() == [4, 3, 3]


def test_cli_fetch_with_an_unreadable_tei_exits_0_and_says_so(project, capsys, monkeypatch):
    monkeypatch.setenv("OPENALEX_API_KEY", TEST_KEY)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        corpus, api, europepmc, scite = serve(rsps)
        status = cli.main(["fetch", "--no-progress", "--fulltext", "--scite-tallies", "--backoff", "0",
                           "--max-rate", "0", "--europepmc-rate", "0", "--scite-rate", "0",
                           "--snapshot", str(project / "snap"), CITED_DOI, corpus[1]["doi"]])
    out = capsys.readouterr()
    assert status == 0, out.err
    assert "interrupted" not in out.err and "Traceback" not in out.err
    assert "W101" in out.out and "unreadable" in out.out
    assert "scite:      tallies of 1 of 2 corpus works" in out.out


def test_a_europe_pmc_body_that_is_no_article_does_not_stop_the_fetch(tmp_path, caplog):
    corpus = [make_work(1, doi=CITED_DOI, cited_by_count=2)]
    citing = [make_work(201, references=["W1"], pmcid="PMC7654321", year=2020),
              make_work(202, references=["W1"], pmcid="PMC7654322", year=2021)]
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        FakeOpenAlex(corpus + citing).install(rsps)
        europepmc = FakeEuropePMC({"PMC7654321": b"<html><body>Service page, no article</body></html>",
                                   "PMC7654322": b'<?xml version="1.0"?>\n<article><body><p>Whole.</p></body>'
                                                 b'</article>\n'}).install(rsps)
        with caplog.at_level(logging.WARNING, logger="peerbib"):
            summary = fetch([CITED_DOI], snapshot=tmp_path / "snap", fulltext=True, **FAST)
    assert summary.status == "complete" and summary.fulltext_europepmc == 1
    assert europepmc.calls.count("PMC7654321") == 6 and europepmc.calls.count("PMC7654322") == 1
    item = json.loads((tmp_path / "snap" / MANIFEST).read_text())["fulltext"]["W201"]["europepmc-jats"]
    assert item["status"] == "unreadable" and "article" in item["reason"]
    assert any("W201" in r.getMessage() for r in caplog.records)


def test_a_server_that_stays_unavailable_still_stops_the_fetch(tmp_path):
    """Only an unusable *body* is recorded; a 503 that does not pass is resumed by the next fetch."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        corpus, api, europepmc, scite = serve(rsps)
        api.tei["W101"] = citing_tei("W101")
        europepmc.documents.clear()
        api.fail(503, times=100, when=lambda path, params: path.endswith("/W102.grobid-xml"))
        with pytest.raises(pb.OpenAlexUnavailableError):
            fetch([w["doi"] for w in corpus], snapshot=tmp_path / "snap", fulltext=True, workers=1, **FAST)
    fulltext = json.loads((tmp_path / "snap" / MANIFEST).read_text())["fulltext"]
    assert "W102" not in fulltext


def test_a_tei_with_10_kb_before_its_root_is_read(tmp_path):
    document = long_prolog(citing_tei("W104"), 10_000)
    assert document.index(b"<TEI") > 10_000
    response = requests.Response()
    response._content = document
    assert parse_xml(response) == document
    assert read_tei(document).title == "Citing paper W104"
    corpus = [make_work(1, doi=CITED_DOI, cited_by_count=1)]
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        api = FakeOpenAlex(corpus + [make_work(104, references=["W1"], grobid=True)]).install(rsps)
        api.tei = {"W104": document}
        summary = fetch([CITED_DOI], snapshot=tmp_path / "raw" / "openalex", fulltext=True, **FAST)
    assert summary.fulltext_tei == 1 and summary.retries == 0
    found = pb.build(tmp_path / "raw", tmp_path / "processed").statements
    assert set(found.loc[found["fulltext_source"].notna(), "citing_id"]) == {"W104"}


def as_response(body: bytes) -> requests.Response:
    response = requests.Response()
    response._content = body
    return response


@pytest.mark.parametrize("prolog", [
    b"\xef\xbb\xbf<?xml version='1.0'?>\n",
    b'<?xml version="1.0"?>\n<!DOCTYPE TEI [\n<!ENTITY x "a > b ] c">\n<!-- <TEI> in a comment -->\n]>\n',
    b'<?xml version="1.0"?>\n' + b" \n" * 6000 + b"<?xml-stylesheet href='x.xsl'?><!-- a <b> c -->",
])
def test_the_root_is_found_past_any_prolog(prolog):
    document = prolog + b'<TEI xmlns="http://www.tei-c.org/ns/1.0" a="x>y"><text/></TEI>\n<!-- done -->\n'
    assert parse_xml(as_response(document)) == document


@pytest.mark.parametrize("body, problem", [
    (b"", "not XML"),
    (b"<html><body>Bad Gateway", "cut off"),
    (b'<?xml version="1.0"?>\n<!-- a comment that never ends', "cut off"),
    # cut just after a self-closing element: it ends in "/>" but the root is not closed
    (b'<?xml version="1.0"?>\n<TEI><text><body><p>Peer workers<lb/>', "cut off"),
    # a prolog comment that names the root does not stand in for it
    (b'<?xml version="1.0"?>\n<!-- <TEI/> -->\n<TEI><text>', "cut off"),
])
def test_cut_off_bodies_are_still_refused(body, problem):
    with pytest.raises(ValueError, match=problem):
        parse_xml(as_response(body))


# --- item 10: a huge single-line TEI ------------------------------------------------------------------------


def huge_single_line_tei(size: int) -> bytes:
    """A SYNTHETIC GROBID TEI of about ``size`` bytes on one line: one paragraph of words without a
    sentence end, citing b0 (W1's DOI) once in its middle and once near its end."""
    words = " ".join(f"word{i % 97}" for i in range(40)) + " "
    head = (f'<?xml version="1.0" encoding="UTF-8"?><TEI xmlns="{TEI_NS}"><teiHeader><fileDesc><titleStmt><title>'
            'SYNTHETIC</title></titleStmt></fileDesc></teiHeader><text><body><div><head>Introduction</head><p>')
    tail = ('</p></div></body><back><div type="references"><listBibl>'
            + bibl("b0", title="Synthetic work 1 on peer support", doi=CITED_DOI, year=2015).rstrip("\n")
            + "</listBibl></div></back></text></TEI>")
    ref = '<ref type="bibr" target="#b0">[1]</ref> '
    n = max(4, size // len(words))
    paragraph = words * (n // 2) + ref + words * (n // 2 - 2) + ref + words * 2
    return (head + paragraph + tail).encode("utf-8")


def test_statements_of_a_huge_single_line_tei_are_capped_with_a_warning(tmp_path):
    document = huge_single_line_tei(3_000_000)
    assert b"\n" not in document and len(document) > 2_900_000
    corpus = [make_work(1, doi=CITED_DOI, cited_by_count=1)]
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        api = FakeOpenAlex(corpus + [make_work(105, references=["W1"], grobid=True)]).install(rsps)
        api.tei = {"W105": document}
        fetch([CITED_DOI], snapshot=tmp_path / "raw" / "openalex", fulltext=True, **FAST)
    started = time.monotonic()
    with pytest.warns(UserWarning, match=r"W105.*longer than"):
        tables = pb.build(tmp_path / "raw", tmp_path / "processed")
    seconds = time.monotonic() - started
    found = tables.statements[tables.statements["fulltext_source"].notna()]
    assert len(found) == 1  # one sentence cites W1 (twice): one statement
    (row,) = found.itertuples()
    assert row.citing_id == "W105" and row.cited_id == "W1"
    assert len(row.text) <= FEW_THOUSAND and "[1]" in row.text
    assert pd.isna(row.context_before) and pd.isna(row.context_after)
    assert seconds < 30, seconds  # 3 MB: about 2 s here; an extraction quadratic in the paragraph takes minutes


def test_the_context_of_a_capped_sentence_is_capped_too():
    words = " ".join(f"word{i % 97}" for i in range(40)) + " "
    long_sentence = "Long " + words * 200 + "end"  # about 50,000 characters, no sentence end inside
    body = (f'<div xmlns="{TEI_NS}"><head>Results</head><p>{long_sentence}. Peer workers help '
            f'<ref type="bibr" target="#b0">[1]</ref>. {long_sentence}.</p></div>')
    document = read_tei(tei(body, bibl("b0", title="Synthetic work 1 on peer support", doi=CITED_DOI,
                                       year=2015)))
    index = CorpusIndex([{"work_id": "W1", "doi": CITED_DOI, "title": "Synthetic work 1 on peer support",
                          "publication_year": 2015, "authors": "Ada Example"}])
    rows, found = extract_statements(document, index, "W106")
    (row,) = rows
    assert row["text"] == "Peer workers help [1]."  # a sentence of ordinary length is left whole
    assert len(row["context_before"]) <= FEW_THOUSAND and row["context_before"].endswith("end.")
    assert len(row["context_after"]) <= FEW_THOUSAND and row["context_after"].startswith("Long word0")
    assert found.get("capped") == 1


# --- item 9: Semantic Scholar files with fields of odd types ----------------------------------------------------

HEX = "10.1111/hex.13151"  # a work of the bundled corpus


def s2_item(**fields):
    item = {"isInfluential": False, "contextsWithIntent": [{"context": "Our results agree with [4].",
                                                             "intents": ["result"]}],
            "citingPaper": {"paperId": "a" * 40, "externalIds": {"DOI": "10.5555/synthetic.s2"}, "year": 2020}}
    item.update(fields)
    return item


ODD_S2 = {
    "top level a list": ([{"cited_doi": HEX, "data": []}], "a JSON object"),
    "top level a string": ("10.1111/hex.13151", "a JSON object"),
    "data an object": ({"cited_doi": HEX, "data": {"0": s2_item()}}, '"data" list'),
    "an item a string": ({"cited_doi": HEX, "data": ["Our results agree with [4]."]}, "not an object"),
    "cited_doi a number": ({"cited_doi": 13151, "data": [s2_item()]}, "cited_doi"),
    "contexts a string": ({"cited_doi": HEX, "data": [{"contexts": "Our results agree with [4].",
                                                       "intents": ["result"]}]}, "contexts"),
    "contexts an object": ({"cited_doi": HEX, "data": [{"contexts": {"0": "Our results agree with [4]."}}]},
                           "contexts"),
    "contextsWithIntent a string": ({"cited_doi": HEX, "data": [s2_item(contextsWithIntent="Our results [4].")]},
                                    "contextsWithIntent"),
    "a context a list": ({"cited_doi": HEX, "data": [s2_item(contextsWithIntent=[["Our results [4]."]])]},
                         "contextsWithIntent"),
    "a context's text a number": ({"cited_doi": HEX, "data": [s2_item(contextsWithIntent=[{"context": 4}])]},
                                  "context"),
    "intents a number": ({"cited_doi": HEX, "data": [s2_item(contextsWithIntent=[
        {"context": "Our results agree with [4].", "intents": 3}])]}, "intents"),
    "intents a string": ({"cited_doi": HEX, "data": [s2_item(contextsWithIntent=[
        {"context": "Our results agree with [4].", "intents": "result"}])]}, "intents"),
    "the citation's intents a number": ({"cited_doi": HEX, "data": [
        {"contexts": ["Our results agree with [4]."], "intents": 3}]}, "intents"),
    "citingPaper a list": ({"cited_doi": HEX, "data": [s2_item(citingPaper=[{"paperId": "a" * 40}])]},
                           "citingPaper"),
    "citingPaper a string": ({"cited_doi": HEX, "data": [s2_item(citingPaper="a" * 40)]}, "citingPaper"),
    "externalIds a string": ({"cited_doi": HEX, "data": [s2_item(citingPaper={"externalIds": "DOI:10.5555/x"})]},
                             "externalIds"),
    "externalIds a list": ({"cited_doi": HEX, "data": [s2_item(citingPaper={"externalIds": ["10.5555/x"]})]},
                           "externalIds"),
    "the citing DOI a number": ({"cited_doi": HEX, "data": [s2_item(citingPaper={"externalIds": {"DOI": 5}})]},
                                "DOI"),
    "paperId a number": ({"cited_doi": HEX, "data": [s2_item(citingPaper={"paperId": 5})]}, "paperId"),
}


@pytest.mark.parametrize("name", list(ODD_S2))
def test_a_semantic_scholar_file_of_odd_types_is_a_one_line_build_error(project, capsys, name):
    content, problem = ODD_S2[name]
    (project / "data" / "raw" / "statements" / "odd.s2.json").write_text(json.dumps(content), encoding="utf-8")
    status = cli.main(["build"])
    err = capsys.readouterr().err
    assert status == 1, err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    assert err.startswith("peerbib build: error: ") and "odd.s2.json" in err and problem in err, err


def test_a_year_that_is_no_number_is_not_read_and_does_not_stop_the_build(project, capsys):
    """The importer does not read ``citingPaper.year``: an odd value there costs nothing."""
    content = {"cited_doi": HEX, "data": [s2_item(citingPaper={"paperId": "a" * 40, "year": "abc"})]}
    (project / "data" / "raw" / "statements" / "odd.s2.json").write_text(json.dumps(content), encoding="utf-8")
    assert cli.main(["build"]) == 0, capsys.readouterr().err
