"""The user's word on which records are one work: data/raw/corpus/same_works.csv and different_works.csv.

Corpus files are the repo's export samples (tests/fixtures/exports/) or small SYNTHETIC CSVs written here.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest

import peerbib as pb
from peerbib.corpus import corpus_files, read_corpora
from peerbib.corpus.collect import unread_files

EXPORTS = Path(__file__).resolve().parent / "fixtures" / "exports"
A = "10.1177/0885412220921526"
A_MANGLED = "10.1177/0885412220921526journals.sagepub.com/home/jpl"
C = "10.1007/s10597-015-9843-y"


@pytest.fixture
def two_dois(tmp_path):
    """SYNTHETIC: one work exported twice, once with a mangled DOI (as Scopus sometimes writes it)."""
    folder = tmp_path / "raw" / "corpus"
    folder.mkdir(parents=True)
    (folder / "a.csv").write_text(f"doi,title,year,authors,venue\n{A},Planning for peers,2020,Moore T.,\n",
                                  encoding="utf-8")
    (folder / "b.csv").write_text(f"doi,title,year,authors,venue\n{A_MANGLED},Planning for peers,2020,"
                                  "\"Moore, Tim\",Journal of Planning Literature\n", encoding="utf-8")
    return folder


def _read(folder):
    return read_corpora(corpus_files(folder.parent), user_merges=folder)


def test_the_warning_names_the_file_and_the_line_that_merges_the_pair(two_dois):
    corpus = _read(two_dois)
    assert len(corpus) == 2
    (warning,) = corpus.attrs["merge"].conflicts
    assert f"add the line \"{A},{A_MANGLED}\" to {two_dois / 'same_works.csv'}" in warning
    assert str(two_dois / "different_works.csv") in warning
    # the line the warning gives, added as it stands (no header needed), makes the pair one work
    line = re.search(r'add the line "([^"]+)"', warning).group(1)
    (two_dois / "same_works.csv").write_text(line + "\n", encoding="utf-8")
    corpus = _read(two_dois)
    assert len(corpus) == 1
    work = corpus.iloc[0]
    assert work["doi"] == A  # the first listed wins, though the other record is more complete
    assert work["venue"] == "Journal of Planning Literature"  # ... and fills what the first lacks
    assert work["corpus_files"] == "a.csv:2; b.csv:2"
    report = corpus.attrs["merge"]
    assert report.conflicts == []
    assert report.user == [f"same_works.csv line 1: {A} and {A_MANGLED} merged into one work ({A} kept)"]


def test_file_line_references_and_a_header_with_a_note(two_dois):
    (two_dois / "same_works.csv").write_text("keep,same_as,note\nb.csv:2,a.csv:2,the same paper\n",
                                             encoding="utf-8")
    corpus = _read(two_dois)
    assert len(corpus) == 1 and corpus.iloc[0]["doi"] == A_MANGLED
    assert corpus.iloc[0]["corpus_files"] == "a.csv:2; b.csv:2"


def test_different_works_silences_the_warning_and_keeps_the_pair_apart(two_dois):
    (two_dois / "different_works.csv").write_text(f"{A},{A_MANGLED}\n", encoding="utf-8")
    corpus = _read(two_dois)
    assert len(corpus) == 2 and corpus.attrs["merge"].conflicts == []
    assert corpus.attrs["merge"].user == [f"different_works.csv line 1: {A} and {A_MANGLED} kept as different works"]


def test_different_works_splits_what_the_build_merged_by_title(tmp_path):
    """The Scopus sample's record without a DOI is merged with the WoS record of C by title, year and author;
    different_works.csv keeps them apart."""
    folder = tmp_path / "raw" / "corpus"
    folder.mkdir(parents=True)
    for name in ("scopus_peer.csv", "wos_peer.txt"):
        (folder / name).write_bytes((EXPORTS / name).read_bytes())
    merged = _read(folder)
    assert len(merged) == 5 and "scopus_peer.csv:5" in merged.set_index("doi").loc[C, "corpus_files"]
    (folder / "different_works.csv").write_text(f"record,different_from\nscopus_peer.csv:5,{C}\n", encoding="utf-8")
    split = _read(folder)
    assert len(split) == 6
    assert split.set_index("doi").loc[C, "corpus_files"] == "wos_peer.txt:29"
    assert "scopus_peer.csv:5" in set(split["corpus_files"])


@pytest.mark.parametrize("name, text, message", [
    ("same_works.csv", f"{A},{A_MANGLED}\nnot a record,{A}\n",
     r"same_works\.csv, line 2: 'not a record' names no record: write a DOI"),
    ("same_works.csv", f"keep,same_as\n{A}\n", r"same_works\.csv, line 2: name two records or more"),
    ("different_works.csv", f"{A},10.1234/nowhere\n",
     r"different_works\.csv, line 1: DOI 10\.1234/nowhere is no record of the corpus: correct the row or remove it"),
    ("different_works.csv", f"{A},a.csv:7\n",
     r"different_works\.csv, line 1: a\.csv:7 is no record of the corpus \(its records start on lines 2\)"),
])
def test_a_bad_row_is_a_one_line_error_naming_file_and_line(two_dois, name, text, message):
    (two_dois / name).write_text(text, encoding="utf-8")
    with pytest.raises(pb.CorpusError, match=message) as error:
        _read(two_dois)
    assert "\n" not in str(error.value)


def test_the_two_files_contradicting_each_other_is_an_error(two_dois):
    (two_dois / "same_works.csv").write_text(f"{A},{A_MANGLED}\n", encoding="utf-8")
    (two_dois / "different_works.csv").write_text(f"# checked twice\n{A_MANGLED},a.csv:2\n", encoding="utf-8")
    with pytest.raises(pb.CorpusError, match=r"same_works\.csv, line 1: names as one work records that "
                                             r"different_works\.csv line 2 names as different works"):
        _read(two_dois)


def test_the_files_are_not_corpus_files_and_the_build_notes_what_they_did(two_dois, capsys):
    from peerbib import cli

    (two_dois / "same_works.csv").write_text(f"keep,same_as\n{A},{A_MANGLED}\n", encoding="utf-8")
    (two_dois / "different_works.csv").write_text("record,different_from\n", encoding="utf-8")
    raw = two_dois.parent
    assert [p.name for p in corpus_files(raw)] == ["a.csv", "b.csv"]
    assert unread_files(raw) == []
    processed = raw.parent / "processed"
    assert cli.main(["build", "--raw", str(raw), "--processed", str(processed)]) == 0
    out, err = capsys.readouterr()
    assert f"same_works.csv line 2: {A} and {A_MANGLED} merged into one work" in out
    assert "not read" not in err and "different DOIs" not in err
    works = pb.load(processed).works
    assert len(works) == 1 and works.iloc[0]["provenance"] == "a.csv:2; b.csv:2"
    # a bad row stops the build with the file and line
    (two_dois / "same_works.csv").write_text(f"keep,same_as\n{A},10.1234/nowhere\n", encoding="utf-8")
    assert cli.main(["build", "--raw", str(raw), "--processed", str(processed)]) != 0
    assert "same_works.csv, line 2: DOI 10.1234/nowhere is no record of the corpus" in capsys.readouterr().err


# --- one name per venue -----------------------------------------------------------------------------


def test_venue_spellings_of_two_databases_count_as_one_venue_and_the_data_keeps_both():
    """SYNTHETIC works table: Scopus's and Web of Science's spellings of the same journals."""
    import pandas as pd

    from peerbib.analysis.networks.units import work_units
    from peerbib.ids import venue_key

    assert venue_key("Sustainability (Switzerland)") == venue_key("SUSTAINABILITY") == "sustainability"
    assert venue_key("The Lancet") == venue_key("LANCET") and venue_key("Health & Place") == venue_key("Health and Place")
    assert venue_key("Journal of Mental Health") != venue_key("Mental Health")
    works = pd.DataFrame({
        "work_id": [f"L{i}" for i in range(6)],
        "venue": ["Sustainability (Switzerland)", "SUSTAINABILITY", "Sustainability (Switzerland)",
                  "Health & Place", "HEALTH AND PLACE", None],
        "is_corpus": True})
    counts = pb.count_works(works, "venue").set_index("venue")["n_works"].to_dict()
    assert counts == {"Sustainability (Switzerland)": 3, "Health & Place": 2, "(not stated)": 1}
    assert works["venue"].tolist()[1] == "SUSTAINABILITY"  # the source's text is kept in the data
    units = work_units({"works": works}, "sources")  # the science maps' sources: one node per venue
    assert units["unit_id"].nunique() == 2 and len(units) == 5
    assert set(units["label"]) == {"Sustainability (Switzerland)", "Health & Place"}


def test_init_writes_templates_that_merge_nothing_and_never_replaces_the_users_files(tmp_path):
    from peerbib.corpus.user_merges import read_user_merges
    from peerbib.project import DIFFERENT_WORKS_TEMPLATE, SAME_WORKS_TEMPLATE, init_project

    report = init_project(tmp_path / "study")
    folder = tmp_path / "study" / "data" / "raw" / "corpus"
    same, different = folder / "same_works.csv", folder / "different_works.csv"
    assert same in report.created and different in report.created
    assert same.read_text(encoding="utf-8") == SAME_WORKS_TEMPLATE
    assert SAME_WORKS_TEMPLATE.splitlines()[0] == "keep,same_as,note"
    assert DIFFERENT_WORKS_TEMPLATE.splitlines()[0] == "record,different_from,note"
    assert all(line.startswith("#") for line in SAME_WORKS_TEMPLATE.splitlines()[1:] + DIFFERENT_WORKS_TEMPLATE
               .splitlines()[1:])
    # as written: no merges, not corpus files, and the build reads the exports as without them
    rules = read_user_merges(folder)
    assert rules.same == [] and rules.different == []
    for name in ("scopus_peer.csv", "wos_peer.txt"):
        (folder / name).write_bytes((EXPORTS / name).read_bytes())
    assert [p.name for p in corpus_files(folder.parent)] == ["scopus_peer.csv", "wos_peer.txt"]
    with_templates = _read(folder)
    assert with_templates.attrs["merge"].user == []
    assert with_templates["work_id"].tolist() == read_corpora(corpus_files(folder.parent))["work_id"].tolist()
    # the commented example is a row once its "#" is removed
    example = SAME_WORKS_TEMPLATE.splitlines()[-1].lstrip("# ")
    same.write_text(f"keep,same_as,note\n{example}\n", encoding="utf-8")
    assert len(read_user_merges(folder).same) == 1
    # init again keeps what the user wrote
    same.write_text(f"keep,same_as\n{C},scopus_peer.csv:5\n", encoding="utf-8")
    again = init_project(tmp_path / "study")
    assert same not in again.created and different not in again.created
    assert same.read_text(encoding="utf-8") == f"keep,same_as\n{C},scopus_peer.csv:5\n"
