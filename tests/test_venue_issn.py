"""One venue whatever the database's spelling: ISSNs read from every export that gives one, carried into
tables.works.issn, merged across a work's records and with OpenAlex's, and venue_names grouping by them.

Corpus files are the repo's export samples (tests/fixtures/exports/, which carry the journals' real ISSNs),
the real OpenAlex record of tests/fixtures/reference/, and small SYNTHETIC records written here.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fixtures.openalex import TEST_KEY, make_work  # noqa: E402

import peerbib as pb  # noqa: E402
from peerbib.analysis.descriptive import venue_names  # noqa: E402
from peerbib.analysis.networks.units import work_units  # noqa: E402
from peerbib.corpus import read_corpora, read_corpus  # noqa: E402
from peerbib.corpus.formats import issn_field  # noqa: E402
from peerbib.ids import issns, normalize_issn  # noqa: E402
from peerbib.snapshot import fetch, snapshot_tables  # noqa: E402
from peerbib.sources.openalex.records import issn_of  # noqa: E402

HERE = Path(__file__).resolve().parent
EXPORTS = HERE / "fixtures" / "exports"
B = "10.1192/apt.bp.113.011940"  # Advances in Psychiatric Treatment: 1355-5146 (print), 1472-1481 (online)
D = "10.3109/09638237.2015.1124402"  # Journal of Mental Health: 0963-8237, 1360-0567
E = "10.1186/1472-6963-13-188"  # BMC Health Services Research: 1472-6963 (online only)


# --- reading ISSNs ----------------------------------------------------------------------------------


def test_issns_are_normalised_and_checked():
    assert issns("13696513") == ["1369-6513"]  # Scopus, Lens: no hyphen
    assert issns("0732-183x") == ["0732-183X"]  # the check digit X, in either case
    assert issns("1533-4406 (Electronic)") == ["1533-4406"]  # PubMed IS
    assert issns("1369\u20116513; 1369-7625, 1369-6513") == ["1369-6513", "1369-7625"]  # each once, in order
    assert issns("1369-6514") == [] and normalize_issn("1369-6514") is None  # a wrong check digit: left out
    assert issns("978-0-19-515344-8") == [] and issns("0195153448") == []  # an ISBN (RIS SN holds either)
    assert issns(None) == [] and issns("  ") == [] and issns(float("nan")) == []
    assert issn_field(["9638237"]) == "0963-8237"  # a spreadsheet dropped the leading zero
    assert issn_field(["1369-6513", None, "not an issn", "13697625"]) == "1369-6513; 1369-7625"


@pytest.mark.parametrize("name, doi, expected", [
    ("scopus_peer.csv", D, "0963-8237"),  # ISSN column, one ISSN, no hyphen
    ("wos_peer.txt", D, "0963-8237; 1360-0567"),  # SN then EI
    ("wos_peer.txt", E, "1472-6963"),  # EI alone
    ("wos_peer_tab_utf16.txt", E, "1472-6963"),
    ("pubmed_peer.nbib", "10.1111/hex.13151", "1369-7625; 1369-6513"),  # IS (Electronic), (Print), (Linking)
    ("zotero_peer.csv", B, "1355-5146"),
    ("lens_peer.csv", B, "1355-5146; 1472-1481"),  # ISSNs: "13555146; 14721481"
    ("openalex_peer.csv", E, "1472-6963"),  # primary_location.source.issn_l / .issn
])
def test_each_export_sample_gives_its_issns(name, doi, expected):
    corpus = read_corpus(EXPORTS / name).set_index("doi")
    assert corpus.loc[doi, "issn"] == expected


def test_ris_and_bibtex_give_their_issns(tmp_path):
    # SYNTHETIC records in the two formats' shapes; the ISSNs are the real ones of the journal named
    ris = tmp_path / "a.ris"
    ris.write_text("TY  - JOUR\nTI  - A study\nT2  - Journal of Mental Health\nPY  - 2016\nSN  - 0963-8237\n"
                   "DO  - 10.5555/ris.1\nER  - \n\nTY  - BOOK\nTI  - A book\nPY  - 2010\nSN  - 978-0-19-515344-8\n"
                   "DO  - 10.5555/ris.2\nER  - \n", encoding="utf-8")
    got = read_corpus(ris).set_index("doi")["issn"]
    assert got["10.5555/ris.1"] == "0963-8237" and got.isna()["10.5555/ris.2"]  # an ISBN is no ISSN
    bib = tmp_path / "a.bib"
    bib.write_text("@article{a, title={A study}, journal={Journal of Mental Health}, year={2016}, "
                   "issn={0963-8237}, eissn={1360-0567}, doi={10.5555/bib.1}}\n", encoding="utf-8")
    assert read_corpus(bib)["issn"].tolist() == ["0963-8237; 1360-0567"]
    csv = tmp_path / "corpus.csv"
    csv.write_text("doi,title,journal,ISSN,eISSN\n10.5555/csv.1,A study,J Ment Health,09638237,1360-0568\n",
                   encoding="utf-8")
    assert read_corpus(csv)["issn"].tolist() == ["0963-8237"]  # the e-ISSN's check digit is wrong: left out


def test_a_works_issns_are_every_records_together():
    files = sorted(p for p in EXPORTS.iterdir() if p.suffix in (".csv", ".txt", ".nbib"))
    works = read_corpora(files).set_index("doi")
    # Scopus gives the print ISSN alone, Web of Science and Lens both: the work has both
    assert works.loc[D, "issn"] == "0963-8237; 1360-0567"
    assert works.loc[B, "issn"] == "1355-5146; 1472-1481"


def test_the_build_carries_issn_into_tables_works(tmp_path):
    raw = tmp_path / "raw"
    (raw / "corpus").mkdir(parents=True)
    for name in ("scopus_peer.csv", "wos_peer.txt"):
        (raw / "corpus" / name).write_bytes((EXPORTS / name).read_bytes())
    with pytest.warns(UserWarning):  # the two exports disagree on a year (the sample's early-access record)
        works = pb.build(raw=raw, processed=tmp_path / "out").works
    assert list(works.columns)[-1] == "issn" and pd.api.types.is_string_dtype(works["issn"])
    assert works.set_index("doi").loc[D, "issn"] == "0963-8237; 1360-0567"
    assert works.set_index("doi").loc[D, "venue"] in ("Journal of Mental Health",)  # the source's text


# --- ISSNs from OpenAlex ------------------------------------------------------------------------------


def test_openalex_records_give_issn_l_first():
    record = json.loads((HERE / "fixtures" / "reference" / "openalex_work.json").read_text(encoding="utf-8"))
    source = record["primary_location"]["source"]
    got = issn_of(record)
    assert got.split("; ")[0] == source["issn_l"]
    assert set(got.split("; ")) == set(source["issn"]) | {source["issn_l"]}
    assert issn_of({"primary_location": {"source": None}}) is None and issn_of({}) is None


def test_the_snapshot_and_the_build_join_openalexs_issns_with_the_exports(api, tmp_path):
    raw = tmp_path / "raw"
    (raw / "corpus").mkdir(parents=True)
    # SYNTHETIC: an export giving the journal's print ISSN; OpenAlex gives the ISSN-L and both
    (raw / "corpus" / "corpus.csv").write_text("doi,title,year,journal,issn\n10.5555/synthetic.1,A study,2015,"
                                               "J Ment Health,09638237\n", encoding="utf-8")
    work = make_work(1, doi="10.5555/synthetic.1", venue="Journal of Mental Health", cited_by_count=1)
    work["primary_location"]["source"].update(issn_l="0963-8237", issn=["1360-0567", "0963-8237"])
    citing = make_work(2, references=["W1"])
    citing["primary_location"]["source"].update(issn_l="1369-6513", issn=["1369-6513"])
    api.add([work, citing])
    fetch(["10.5555/synthetic.1"], snapshot=raw / "openalex", api_key=TEST_KEY, progress=False, max_rate=0,
          sleep=lambda s: None)
    snap = snapshot_tables(raw / "openalex").works.set_index("work_id")
    assert snap.loc["W1", "issn"] == "0963-8237; 1360-0567"
    assert snap.loc["W2", "issn"] == "1369-6513"  # citing works too
    works = pb.build(raw=raw, processed=tmp_path / "out").works.set_index("work_id")
    assert works.loc["W1", "issn"] == "0963-8237; 1360-0567"
    assert works.loc["W1", "venue"] == "Journal of Mental Health"


# --- one venue per ISSN -------------------------------------------------------------------------------


def _works(venues, issn_lists):
    # SYNTHETIC works: the venue names as the databases write them, with real ISSNs
    return pd.DataFrame({"work_id": [f"L{i}" for i in range(len(venues))], "venue": venues, "issn": issn_lists,
                         "is_corpus": True})


def test_two_spellings_with_a_shared_issn_are_one_venue_and_the_data_keeps_both():
    works = _works(["Health Expectations", "HEALTH EXPECT", "Health Expect.", "Health Expectations",
                    "Journal of Mental Health", "Soc Sci Med"],
                   ["1369-6513", "1369-6513; 1369-7625", "1369-7625", None, "0963-8237", None])
    counts = pb.count_works(works, "venue").set_index("venue")["n_works"].to_dict()
    # an abbreviation venue_key cannot link ("HEALTH EXPECT") is one venue by its ISSN; a name without an
    # ISSN joins the venue with ISSNs of that name
    assert counts == {"Health Expectations": 4, "Journal of Mental Health": 1, "Soc Sci Med": 1}
    assert works["venue"].tolist()[1] == "HEALTH EXPECT"
    units = work_units({"works": works}, "sources")  # the science maps' and top()'s sources
    assert units["unit_id"].nunique() == 3 and set(units["label"]) >= {"Health Expectations"}
    # without the ISSNs, the names alone: the abbreviations stay apart from the full name
    assert len(pb.count_works(works.drop(columns="issn"), "venue")) == 4


def test_two_journals_with_one_name_and_different_issns_stay_two():
    # "Medicine": Wolters Kluwer's (0025-7974, Scopus "Medicine (United States)") and Elsevier's (1357-3039,
    # Scopus "Medicine (United Kingdom)"); venue_key alone makes them one
    works = _works(["Medicine (United States)", "MEDICINE", "Medicine (United Kingdom)", "MEDICINE", "Medicine"],
                   ["0025-7974", "0025-7974; 1536-5964", "1357-3039", "1357-3039", None])
    shown = venue_names(works["venue"], issns=works["issn"]).tolist()
    assert shown[:4] == ["Medicine (United States)"] * 2 + ["Medicine (United Kingdom)"] * 2
    assert shown[4] == "Medicine"  # two venues of its name have ISSNs: it cannot tell which, so it stays apart
    counts = pb.count_works(works, "venue")
    assert len(counts) == 3 and counts["n_works"].tolist() == [2, 2, 1]
    # names that meet for both: each shown with its first ISSN
    same = _works(["MEDICINE", "MEDICINE", "Medicine"], ["0025-7974", "1357-3039", "1357-3039"])
    assert sorted(set(venue_names(same["venue"], issns=same["issn"]))) == [
        "MEDICINE (ISSN 0025-7974)", "Medicine (ISSN 1357-3039)"]
    assert venue_names(same["venue"]).nunique() == 1  # by name alone they were one


def test_venue_names_without_issns_works_as_before():
    values = pd.Series(["Sustainability (Switzerland)", "SUSTAINABILITY", None, "Health & Place"])
    shown = venue_names(values)
    assert shown.tolist()[:2] == ["Sustainability (Switzerland)"] * 2 and pd.isna(shown[2])
    assert venue_names(values, issns=pd.Series([None] * 4)).equals(shown)
