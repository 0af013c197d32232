"""read_corpus: CSV, BibTeX and RIS; DOI normalisation; clear errors with file and line."""
from __future__ import annotations

import pytest

import peerbib as pb
from peerbib.corpus import local_work_id
from peerbib.ids import is_valid_doi, normalize_doi


@pytest.mark.parametrize(
    "raw, expected",
    [
        (" 10.1007/S10488-014-0603-Z ", "10.1007/s10488-014-0603-z"),
        ("https://doi.org/10.1186/1472-6963-13-188", "10.1186/1472-6963-13-188"),
        ("http://dx.doi.org/10.1111/HEX.13151", "10.1111/hex.13151"),
        ("doi:10.1192/apt.bp.113.011940", "10.1192/apt.bp.113.011940"),
        ("DOI 10.3310/hsdr05110", "10.3310/hsdr05110"),
        # as researchers paste them: from a sentence, a browser, a PDF
        ("10.1111/hex.13151.", "10.1111/hex.13151"),
        ("10.1111/hex.13151;", "10.1111/hex.13151"),
        ("(10.1111/hex.13151)", "10.1111/hex.13151"),
        ("(doi:10.1111/hex.13151).", "10.1111/hex.13151"),
        ("[10.1111/hex.13151]", "10.1111/hex.13151"),
        ("https://doi.org/10.1111/hex.13151?utm_source=x", "10.1111/hex.13151"),
        ("https://doi.org/10.1111/hex.13151#abstract", "10.1111/hex.13151"),
        ("10.1111/hex.13151?utm_medium=email&utm_source=x", "10.1111/hex.13151"),
        ("doi.org/10.1111/hex.13151", "10.1111/hex.13151"),
        ("https://www.doi.org/10.1111/hex.13151", "10.1111/hex.13151"),
        ("DOI: 10.1111/hex.13151", "10.1111/hex.13151"),
        ("doi : 10.1111/hex.13151", "10.1111/hex.13151"),
        ("https://doi.org/10.1111%2Fhex.13151", "10.1111/hex.13151"),
        ("10.1111/hex.13151\u200b", "10.1111/hex.13151"),
        ("\ufeff10.1111/hex.13151", "10.1111/hex.13151"),
        ("\u00a010.1111/hex.13151\u00a0", "10.1111/hex.13151"),
        ("10.1007/s10488\u2013014\u20130603\u2011z", "10.1007/s10488-014-0603-z"),
        ("10.1007/s10488\u2212014-0603-z", "10.1007/s10488-014-0603-z"),
        ("\u201c10.1111/hex.13151\u201d", "10.1111/hex.13151"),
        # brackets that are part of the DOI stay
        ("10.1016/S0140-6736(20)30183-5", "10.1016/s0140-6736(20)30183-5"),
        ("10.1000/xyz(2)", "10.1000/xyz(2)"),
        ("https://dx.doi.org/10.1002/(SICI)1097-4571(199806)49:8<693::AID-ASI4>3.0.CO;2-0",
         "10.1002/(sici)1097-4571(199806)49:8<693::aid-asi4>3.0.co;2-0"),
        ("", None),
        (None, None),
    ],
)
def test_normalize_doi(raw, expected):
    assert normalize_doi(raw) == expected


@pytest.mark.parametrize("doi, ok", [("10.1111/hex.13151", True), ("10.11/x", False), ("11.1111/x", False),
                                     ("10.1111hex", False), ("10.1111/ has space", False)])
def test_is_valid_doi(doi, ok):
    assert is_valid_doi(doi) is ok


def test_csv_normalises_and_keeps_extra_columns(write):
    path = write("corpus.csv", "DOI,Title,Year,note\nhttps://doi.org/10.1111/HEX.13151,A title,2021,keep me\n"
                               ",Only a title,,\n")
    corpus = pb.read_corpus(path)
    assert list(corpus["doi"].fillna("-")) == ["10.1111/hex.13151", "-"]
    assert list(corpus["publication_year"].astype("object").fillna(0)) == [2021, 0]
    assert corpus.loc[0, "note"] == "keep me"
    assert list(corpus["corpus_line"]) == [2, 3]
    assert corpus["work_id"].is_unique


def test_local_ids_are_stable_and_order_independent(write):
    a = pb.read_corpus(write("a.csv", "doi,title\n10.1234/abcd,X\n,Second\n"))
    b = pb.read_corpus(write("b.csv", "title,doi\nSecond,\nX,10.1234/ABCD\n"))
    assert sorted(a["work_id"]) == sorted(b["work_id"])
    assert local_work_id(doi="https://doi.org/10.1234/ABCD") == local_work_id(doi="10.1234/abcd")


def test_listing_rows_without_doi_or_title_are_allowed(write):
    corpus = pb.read_corpus(write("c.csv", "doi,title,authors,year,venue\n,,Julie Repper; Emma Watson,2012,JMHTEP\n"))
    assert corpus.loc[0, "authors"] == "Julie Repper; Emma Watson"


@pytest.mark.parametrize(
    "text, line, fragment",
    [
        ("doi,title\n10.1111/hex.13151,A\n10.1111hex,B\n", 3, "malformed DOI '10.1111hex'"),
        ("doi,title\n10.1111/hex.13151,A\nhttps://doi.org/10.1111/HEX.13151,B\n", 3,
         "the same DOI 10.1111/hex.13151 as line 2, with a different title ('A' there, 'B' here)"),
        ("doi,title,authors\n,,Someone\n", 2, "identifies no work"),
        ("doi,title,year\n10.1234/abcd,A,twenty\n", 2, "year 'twenty' is not a four-digit year"),
        ("name,year\nA,2014\n", 1, "missing required column"),
        ("doi,title\n10.1234/abcd,A,extra\n", 2, "3 fields where the header has 2"),
        ('doi,title\n10.1234/abcd,"multi\nline title"\n10.1234/bad doi,B\n', 4, "malformed DOI"),
        ("doi,title,year,authors\n,Same,2014,Ann Ash\n,Same,2014,Bo Birch\n", 3,
         "the same work (same title and year) as line 2, with a different authors"),
    ],
)
def test_bad_rows_name_file_line_and_reason(write, text, line, fragment):
    path = write("bad.csv", text)
    with pytest.raises(pb.CorpusError) as info:
        pb.read_corpus(path)
    assert info.value.line == line
    assert fragment in str(info.value)
    assert str(path) in str(info.value)


def test_unknown_suffix_and_missing_file(tmp_path, write):
    with pytest.raises(pb.CorpusError, match="not a corpus format peerbib recognises"):
        pb.read_corpus(write("x.txt", "some notes\nabout the search\n"))
    with pytest.raises(pb.CorpusError, match="unsupported file type|no records found"):
        pb.read_corpus(write("y.txt", "doi\n"))
    with pytest.raises(pb.CorpusError, match="unknown format 'endnote'"):
        pb.read_corpus(write("z.csv", "doi\n10.1111/hex.13151\n"), format="endnote")
    with pytest.raises(pb.CorpusError, match="file not found"):
        pb.read_corpus(tmp_path / "nope.csv")


BIB = r"""@article{gillard2014,
  author = {Gillard, Steve and Holley, Jess},
  title = {Peer workers in mental health services: literature overview},
  journal = {Advances in Psychiatric Treatment},
  year = {2014},
  doi = {https://doi.org/10.1192/APT.BP.113.011940},
}

@incollection{mahon2022,
  author = {Mahon, Daryl and Griffin, Martha},
  title = {{Servant} leadership and peer support},
  booktitle = {Trauma-Responsive Organisations},
  year = 2022,
}
"""


def test_bibtex(write):
    corpus = pb.read_corpus(write("refs.bib", BIB))
    assert list(corpus["doi"].fillna("-")) == ["10.1192/apt.bp.113.011940", "-"]
    assert corpus.loc[0, "authors"] == "Gillard, Steve; Holley, Jess"
    assert corpus.loc[1, "title"] == "Servant leadership and peer support"
    assert corpus.loc[1, "type"] == "book-chapter"
    assert list(corpus["corpus_line"]) == [1, 9]


def test_bibtex_bad_doi_names_the_entry_line(write):
    path = write("bad.bib", BIB.replace("10.1192/APT.BP.113.011940", "not-a-doi"))
    with pytest.raises(pb.CorpusError) as info:
        pb.read_corpus(path)
    assert info.value.line == 1 and "malformed DOI" in str(info.value)


RIS = """TY  - JOUR
AU  - Moore, Timothy
AU  - Zeeman, Laetitia
TI  - More milk than psychology or tablets
JO  - Health Expectations
PY  - 2021
DO  - 10.1111/hex.13151
ER  - 

TY  - CHAP
TI  - A chapter without DOI
PY  - 2022///
ER  - 
"""


def test_ris(write):
    corpus = pb.read_corpus(write("refs.ris", RIS))
    assert corpus.loc[0, "doi"] == "10.1111/hex.13151"
    assert corpus.loc[0, "authors"] == "Moore, Timothy; Zeeman, Laetitia"
    assert corpus.loc[0, "venue"] == "Health Expectations"
    assert corpus.loc[1, "publication_year"] == 2022
    assert corpus.loc[1, "type"] == "book-chapter"
    assert list(corpus["corpus_line"]) == [1, 10]
