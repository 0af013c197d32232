"""Database exports read right (tests/fixtures/exports/: samples in each format's true shape), bad files
refused in one line with nothing written, and overlapping exports merged."""
from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd
import pytest

import peerbib as pb
from peerbib.corpus import read_corpora

EXPORTS = Path(__file__).resolve().parent / "fixtures" / "exports"
A, B, C, D, E = ("10.1111/hex.13151", "10.1192/apt.bp.113.011940", "10.1007/s10597-015-9843-y",
                 "10.3109/09638237.2015.1124402", "10.1186/1472-6963-13-188")


def read(name, **kwargs):
    return pb.read_corpus(EXPORTS / name, **kwargs).set_index("doi", drop=False)


# --- each format, recognised and mapped -------------------------------------------------------------


@pytest.mark.parametrize("name, fmt, dois", [
    ("scopus_peer.csv", "scopus", [A, B, None, D]),
    ("wos_peer.txt", "wos", [B, C, D, E]),
    ("wos_peer_tab_utf16.txt", "wos-tab", [E, A]),
    ("pubmed_peer.nbib", "pubmed", [A, E]),
    ("zotero_peer.csv", "zotero", [B, C]),
    ("openalex_peer.csv", "openalex", [A, E]),
    ("lens_peer.csv", "lens", [B, D]),
    ("dimensions_peer.csv", "dimensions", [C, E]),
])
def test_each_export_is_recognised_and_its_works_read(name, fmt, dois):
    works = pb.read_corpus(EXPORTS / name)
    assert list(works["corpus_format"].unique()) == [fmt]
    assert [d if isinstance(d, str) else None for d in works["doi"]] == dois
    assert works["title"].notna().all() and works["publication_year"].notna().all()
    assert works["venue"].notna().all() and works["authors"].notna().all()
    assert not works["venue"].isin(["Scopus"]).any()  # Scopus's "Source" column is not the venue
    assert works["corpus_line"].min() >= 1


def test_scopus_columns_ragged_rows_and_placeholders():
    works = read("scopus_peer.csv")
    moore = works.loc[A]
    assert moore["venue"] == "Health Expectations" and moore["authors"] == "Moore T."
    assert moore["keywords"] == "mental health services; peer support; psychosocial"
    assert moore["abstract"].startswith("Background Though growing numbers of peer support workers")
    assert works.loc[B, "type"] == "review" and works.loc[B, "type_as_shown"] == "Review"
    assert "\n" in works.loc[B, "abstract"]  # a quoted field over two lines
    no_doi = works[works["doi"].isna()].iloc[0]
    # the row one field longer than its header: the columns after the funding block are read from its end
    assert no_doi["type_as_shown"] == "Article" and no_doi["authors"] == "Holley J.; Gillard S.; Gibson S."
    assert pd.isna(works.loc[D, "abstract"])  # "[No abstract available]"
    assert works.loc[D, "corpus_line"] == 6  # the record after a two-line field starts where it starts


def test_web_of_science_plain_text_and_tab_delimited():
    works = read("wos_peer.txt")
    assert works.loc[C, "title"] == "Peer worker roles and risk in mental health services: a qualitative comparative case study"
    assert works.loc[B, "authors"] == "Gillard, Steve; Holley, J."  # AF (full names) one a line
    assert works.loc[E, "venue"] == "BMC Health Services Research"  # upper-case SO as a title, acronym kept
    assert works.loc[D, "publication_year"] == 2015  # early access: the EA year, no PY
    assert works.loc[C, "keywords"] == "Peer worker; Risk; Mental health services"
    tab = read("wos_peer_tab_utf16.txt")  # UTF-16 with BOM, CRLF, a trailing tab on each row
    assert tab.loc[E, "authors"].startswith("Gillard, Steve G; Edwards, Christine")
    assert tab.loc[A, "venue"] == "Health Expectations" and tab.loc[A, "corpus_line"] == 3


def test_pubmed_medline_fields():
    works = read("pubmed_peer.nbib")
    assert works.loc[A, "doi"] == A  # only in AID
    assert not works.loc[A, "title"].endswith(".")  # MEDLINE's closing full stop dropped
    assert works.loc[E, "title"].endswith("benefits and challenges")  # joined across a continuation line
    assert works.loc[E, "authors"].startswith("Gillard, Steve G; Edwards, Christine")
    assert works.loc[E, "pmid"] == "2" and works.loc[E, "type"] == "article"


def test_zotero_openalex_lens_dimensions_fields():
    zotero = read("zotero_peer.csv")
    assert zotero.loc[B, "keywords"] == "peer support; review" and zotero.loc[B, "abstract"].startswith("Peer worker")
    openalex = read("openalex_peer.csv")
    assert openalex.loc[E, "authors"].startswith("Steve G Gillard; Christine Edwards")  # "|" between authors
    lens = read("lens_peer.csv")
    assert lens.loc[D, "type_as_shown"] == "journal article" and lens.loc[D, "type"] == "article"
    dimensions = read("dimensions_peer.csv")
    assert dimensions.loc[C, "corpus_line"] == 3  # below the "About the data" line and the header


def test_format_can_be_said_instead_of_detected(tmp_path):
    path = tmp_path / "search.dat"
    path.write_bytes((EXPORTS / "wos_peer.txt").read_bytes())
    assert pb.read_corpus(path, format="wos")["doi"].tolist() == [B, C, D, E]
    with pytest.raises(pb.CorpusError, match="unknown format 'endnote'; use one of scopus, wos"):
        pb.read_corpus(path, format="endnote")


# --- strict where a half-read would mislead --------------------------------------------------------------

BIB_RUN_ON = """@article{gillard2014,
  title = {Peer workers in mental health services},
  author = {Gillard, Steve and Holley, Jess}
  year = {2014},
  doi = {10.1192/apt.bp.113.011940}
}
"""
BIB_UNCLOSED = """@article{one,
  title = {First},
  year = {2014}

@article{two,
  title = {Second},
  year = {2015}
}
"""
RIS_NO_ER = "TY  - JOUR\nTI  - First\nPY  - 2014\nER  - \n\nTY  - JOUR\nTI  - Second\nPY  - 2015\n\nTY  - JOUR\nTI  - Third\nER  - \n"


@pytest.mark.parametrize("name, content, line, message", [
    ("runon.bib", BIB_RUN_ON, 3, "a comma is missing after the field 'author' of entry 'gillard2014'"),
    ("unclosed.bib", BIB_UNCLOSED, 1, "this BibTeX entry cannot be read"),
    ("noer.ris", RIS_NO_ER, 10, "the record that starts on line 6 has no 'ER  - ' line"),
    ("cut.ris", "TY  - JOUR\nTI  - Only\nPY  - 2014\n", 1, "this record has no 'ER  - ' line"),
    ("none.ris", "Just some text\n", None, "no records found in this RIS file"),
    ("empty.csv", "", None, "the file is empty"),
    ("header.csv", "doi,title\n", None, "no records found in this CSV file"),
    ("blank.bib", "% nothing here\n", None, "no records found in this BibTeX file"),
    ("cut.txt", "FN Clarivate Analytics Web of Science\nVR 1.0\nPT J\nTI A title\nPY 2014\n", 3,
     "the last record has no 'ER' line"),
    ("wos_noer.txt", "FN Clarivate\nVR 1.0\nPT J\nTI One\nPY 2014\nPT J\nTI Two\nER\nEF\n", 6,
     "this record begins before the one above ended"),
    ("latin1.csv", "doi,title\n10.1111/hex.13151,Caf\xe9\n".encode("latin-1"), None, "not UTF-8 or UTF-16 text"),
    ("short.csv", "doi,title,year\n10.1111/hex.13151,A title\n", 2, "2 fields where the header has 3"),
    ("scopus_bad.csv", "Authors,Title,Year,Source title,DOI,Document Type,Source,EID\n"
                       "Moore T.,A title,2021,Health Expectations,10.1111/hex.13151,Article,Scopus\n", 2,
     "7 fields where the header has 8"),
])
def test_a_bad_file_fails_in_one_line_naming_file_and_line(project, capsys, name, content, line, message):
    from peerbib import cli

    path = project / "data" / "raw" / "corpus" / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    with pytest.raises(pb.CorpusError) as info:
        pb.read_corpus(path)
    assert message in str(info.value)
    assert info.value.line == line
    assert str(info.value).startswith(str(path))
    # the command line says it in one line and writes nothing
    assert cli.main(["build"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err and name in err
    assert not (project / "data" / "processed").exists()


def test_bibtexparsers_own_log_never_reaches_the_user(tmp_path, caplog, capfd):
    path = tmp_path / "bad.bib"
    path.write_text(BIB_UNCLOSED, encoding="utf-8")
    with caplog.at_level(logging.DEBUG):
        with pytest.raises(pb.CorpusError):
            pb.read_corpus(path)
    assert not [r for r in caplog.records if r.name.startswith("bibtexparser")]
    out, err = capfd.readouterr()
    assert "aborted" not in out + err and "Unexpected block" not in out + err


def test_bibtex_latex_is_decoded(tmp_path):
    path = tmp_path / "latex.bib"
    path.write_text("@article{v,\n  title = {Long stay in high \\& medium secure settings},\n"
                    "  author = {V{\\\"o}llm, Birgit and Holley, Jess},\n  journal = {Frontiers in Psychiatry},\n"
                    "  year = {2018},\n  doi = {10.3389/fpsyt.2018.00140}\n}\n", encoding="utf-8")
    work = pb.read_corpus(path).iloc[0]
    assert work["title"] == "Long stay in high & medium secure settings"
    assert work["authors"] == "Völlm, Birgit; Holley, Jess"


@pytest.mark.parametrize("separator", [";", "\t"])
def test_csv_separators_are_sniffed(tmp_path, separator):
    path = tmp_path / "excel.csv"
    path.write_text(separator.join(["doi", "title", "year"]) + "\n"
                    + separator.join([A, "More milk, less psychology", "2021"]) + "\n", encoding="utf-8")
    work = pb.read_corpus(path).iloc[0]
    assert (work["doi"], work["title"], work["publication_year"]) == (A, "More milk, less psychology", 2021)


def test_utf8_with_and_without_bom_and_utf16(tmp_path):
    text = "doi,title\n10.1111/hex.13151,Caf\u00e9 peer support\n"
    for name, data in (("plain.csv", text.encode("utf-8")), ("bom.csv", b"\xef\xbb\xbf" + text.encode("utf-8")),
                       ("utf16.csv", text.encode("utf-16"))):
        (tmp_path / name).write_bytes(data)
        assert pb.read_corpus(tmp_path / name).loc[0, "title"] == "Caf\u00e9 peer support", name


# --- overlapping exports merged -----------------------------------------------------------------------


def test_overlapping_exports_are_merged_field_by_field():
    files = sorted(p for p in EXPORTS.iterdir() if p.suffix in (".csv", ".txt", ".nbib"))
    corpus = read_corpora(files)
    report = corpus.attrs["merge"]
    assert (report.files, report.records, report.works, report.merged) == (8, 20, 5, 15)
    works = corpus.set_index("doi")
    assert sorted(works.index) == sorted([A, B, C, D, E])
    # the Scopus record without a DOI is the Web of Science record with one (title, year, first author)
    assert "scopus_peer.csv:5" in works.loc[C, "corpus_files"] and "wos_peer.txt:29" in works.loc[C, "corpus_files"]
    # each field from the most complete record, gaps filled from the others
    assert works.loc[A, "abstract"].startswith("Background") and works.loc[A, "keywords"]
    assert works.loc[D, "publication_year"] == 2016
    assert any("10.3109/09638237.2015.1124402: different years" in c and "2015 in wos_peer.txt line 61" in c
               for c in report.conflicts)
    assert works["work_id"].is_unique


def test_an_agreeing_repeat_in_one_file_is_kept_once_a_disagreeing_one_is_an_error(tmp_path):
    path = tmp_path / "twice.csv"
    path.write_text(f"doi,title,year\n{A},A title,2021\n{A},A title,\n", encoding="utf-8")
    works = pb.read_corpus(path)
    assert len(works) == 1 and works.attrs["duplicates"] == 1
    path.write_text(f"doi,title,year\n{A},A title,2021\n{A},A title,2020\n", encoding="utf-8")
    with pytest.raises(pb.CorpusError, match=r"line 3: the same DOI 10\.1111/hex\.13151 as line 2, with a different "
                                             r"publication year \('2021' there, '2020' here\)"):
        pb.read_corpus(path)


def test_two_records_with_one_title_but_different_dois_stay_two_works(tmp_path):
    (tmp_path / "a.csv").write_text(f"doi,title,year,authors\n{A},Peer support,2021,Moore T.\n", encoding="utf-8")
    (tmp_path / "b.csv").write_text("doi,title,year,authors\n10.1111/other.1,Peer support,2021,\"Moore, Timothy\"\n",
                                    encoding="utf-8")
    corpus = read_corpora([tmp_path / "a.csv", tmp_path / "b.csv"])
    assert len(corpus) == 2
    assert "different DOIs (10.1111/hex.13151, 10.1111/other.1): kept as two works" in corpus.attrs["merge"].conflicts[0]


def test_build_merges_overlapping_exports_and_says_so(tmp_path, capsys):
    from peerbib import cli

    raw = tmp_path / "raw" / "corpus"
    raw.mkdir(parents=True)
    for name in ("scopus_peer.csv", "wos_peer.txt"):
        (raw / name).write_bytes((EXPORTS / name).read_bytes())
    assert cli.main(["build", "--raw", str(tmp_path / "raw"), "--processed", str(tmp_path / "p")]) == 0
    out, err = capsys.readouterr()
    assert "corpus: 8 records in 2 files, 5 works (3 duplicate records merged)" in out
    assert "different years" in err
    works = pb.load(tmp_path / "p").works
    assert len(works) == 5 and works["corpus_files"].str.contains("; ").sum() == 3
    assert set(works["provenance"].str.split("; ").explode().str.split(":").str[0]) == {"scopus_peer.csv",
                                                                                        "wos_peer.txt"}
