"""The record of the search on the index: the PRISMA-style flow with counts from the tables, and the search
as the user wrote it down in data/raw/corpus/searches.csv (or .md), which the build never reads as corpus.

The Scopus + WoS project is made from the repository's export samples (tests/fixtures/exports/); the
searches.csv rows written here are SYNTHETIC.
"""
from __future__ import annotations

import html
import re
import shutil

import pandas as pd
import pytest

import peerbib as pb
from conftest import REPO
from peerbib.corpus.collect import corpus_files, unread_files
from peerbib.corpus.searches import SEARCHES_TEMPLATE, read_searches
from peerbib.errors import CorpusError
from peerbib.project import init_project
from peerbib.reporting.flow import search_flow
from peerbib.reporting.index import index_html
from peerbib.reporting.provenance import provenance

EXPORTS = REPO / "tests" / "fixtures" / "exports"
#: SYNTHETIC: a search record holding HTML and a quoted comma, to be shown escaped.
SEARCHES = ('database,query,date,records\n'
            '# Scopus,"an example the user left in",2024-01-01,1\n'
            'Scopus,"TITLE-ABS-KEY(""peer review"" AND <b>citation</b>)",2024-03-01,40\n'
            'Web of Science,"TS=(peer review, citation)",2024-03-02,40\n')


def expected_flow(tables) -> dict:
    """The flow's counts computed here from the tables, apart from peerbib's code."""
    works = tables.works
    corpus_ids = set(works.loc[works["is_corpus"] == True, "work_id"])  # noqa: E712 (nullable booleans)
    citing = {c for c, d in zip(tables.citations["citing_id"], tables.citations["cited_id"]) if d in corpus_ids}
    citing -= corpus_ids
    full = {w for w, f in zip(works["work_id"], works["fulltext_source"]) if isinstance(f, str)}
    fetched = sum(1 for w, s in zip(works["work_id"], works["source"]) if w in corpus_ids and "openalex" in str(s))
    kinds = list(tables.statements["type"])
    return {"records in the exports": sum(f["records"] for f in tables.info["corpus"]),
            "duplicates merged": tables.info["corpus_merged"], "works": len(corpus_ids),
            "fetched from OpenAlex": fetched or None, "citing works": len(citing) or None,
            "with open full text": len(citing & full) or None, "statements": len(kinds) or None,
            "classified": sum(1 for k in kinds if isinstance(k, str) and k != "unclassified") if kinds else None}


def boxes(page: str) -> dict:
    """stage -> the count its box shows (None for a box with no data), read from the index page."""
    flow = re.search(r'<ol class="flow">(.*?)</ol>', page, re.DOTALL).group(1)
    out = {}
    for count, stage in re.findall(r'<span class="n">(.*?)</span><strong>(.*?)</strong>', flow):
        count = html.unescape(count)
        out[html.unescape(stage)] = None if count == "—" else int(count.lstrip("−").replace(",", ""))
    return out


@pytest.fixture
def exported(tmp_path, monkeypatch):
    root = tmp_path / "project"
    corpus = root / "data" / "raw" / "corpus"
    corpus.mkdir(parents=True)
    for name in ("scopus_peer.csv", "wos_peer.txt"):
        shutil.copy(EXPORTS / name, corpus / name)
    monkeypatch.setenv("PEERBIB_PROJECT", str(root))
    return root


def _index(root, tables) -> str:
    pages = root / "reports"
    pages.mkdir(exist_ok=True)
    prov = provenance(tables, root / "data" / "processed", root)
    return index_html(pages, tables, prov, "2026-01-01 00:00 UTC", "peerbib report", False)


def test_the_flow_of_a_scopus_and_wos_project_counts_what_the_tables_hold(exported):
    (exported / "data" / "raw" / "corpus" / "searches.csv").write_text(SEARCHES, encoding="utf-8")
    tables = pb.load()
    expected = expected_flow(tables)
    assert expected["duplicates merged"] > 0 and expected["records in the exports"] > expected["works"]
    assert {s["stage"]: s["count"] for s in search_flow(tables)} == expected
    page = _index(exported, tables)
    assert boxes(page) == expected
    assert "not fetched" in page and "scopus_peer.csv (Scopus CSV)" in page
    # the search as written down, escaped, without the commented example
    assert "&lt;b&gt;citation&lt;/b&gt;" in page and "<b>citation" not in page
    assert "TS=(peer review, citation)" in page and "an example the user left in" not in page


def test_the_bundled_data_index_counts_its_imported_statements(project):
    tables = pb.load()
    expected = expected_flow(tables)
    assert expected["statements"] == len(tables.statements) > 0
    page = _index(project, tables)
    assert boxes(page) == expected
    assert "Not written down" in page  # no searches.csv in the bundled data: the index says where to write it


def test_searches_files_are_not_corpus_and_not_warned_about(exported, caplog):
    folder = exported / "data" / "raw" / "corpus"
    raw = exported / "data" / "raw"
    before = corpus_files(raw)
    (folder / "searches.csv").write_text(SEARCHES, encoding="utf-8")
    (folder / "Searches.md").write_text("Scopus, 1 March 2024: *peer review*", encoding="utf-8")
    assert corpus_files(raw) == before and unread_files(raw) == []
    with caplog.at_level("WARNING", logger="peerbib"):
        tables = pb.load()
    assert "searches" not in " ".join(tables.warnings + [r.getMessage() for r in caplog.records]).lower()
    assert {f["file"] for f in tables.info["corpus"]} == {"scopus_peer.csv", "wos_peer.txt"}
    # the CSV wins over the markdown; with the CSV gone the markdown is shown as text
    assert list(read_searches(raw)["database"]) == ["Scopus", "Web of Science"]
    (folder / "searches.csv").unlink()
    assert read_searches(raw) == "Scopus, 1 March 2024: *peer review*"
    assert "Scopus, 1 March 2024: *peer review*" in _index(exported, pb.load())


def test_a_searches_csv_without_its_header_is_named_with_what_to_write(exported):
    folder = exported / "data" / "raw" / "corpus"
    (folder / "searches.csv").write_text("Scopus,peer review,2024\n", encoding="utf-8")
    with pytest.raises(CorpusError, match="searches.csv: no 'database' or 'query' column.*database,query,date"):
        read_searches(exported / "data" / "raw")
    page = _index(exported, pb.load())
    assert "The search record could not be read: corpus: searches.csv: no" in page


def test_init_writes_a_searches_template_whose_example_is_ignored(tmp_path):
    report = init_project(tmp_path / "study")
    template = tmp_path / "study" / "data" / "raw" / "corpus" / "searches.csv"
    assert template in report.created and template.read_text(encoding="utf-8") == SEARCHES_TEMPLATE
    lines = SEARCHES_TEMPLATE.splitlines()
    assert lines[0] == "database,query,date,records" and len(lines) == 2 and lines[1].startswith("# ")
    assert read_searches(tmp_path / "study" / "data" / "raw") is None  # the example row is a comment
    assert corpus_files(tmp_path / "study" / "data" / "raw") == []
    assert unread_files(tmp_path / "study" / "data" / "raw") == []
    template.write_text("database,query\nPubMed,x\n", encoding="utf-8")
    init_project(tmp_path / "study")  # run again: the user's record is kept
    assert isinstance(read_searches(tmp_path / "study" / "data" / "raw"), pd.DataFrame)
    assert template.read_text(encoding="utf-8") == "database,query\nPubMed,x\n"


@pytest.mark.parametrize("written, expected", [
    ("2022-03-14", "2022-03-14"), ("2022-03", "2022-03-31"), ("14 March 2022", "2022-03-14"),
    ("March 14, 2022", "2022-03-14"), ("Feb 2024", "2024-02-29"), ("2022", None), ("15/03/2022", None),
    ("2022-02-30", None), ("last spring", None),
])
def test_a_search_date_is_read_as_researchers_write_it(project, written, expected):
    searches = project / "data" / "raw" / "corpus" / "searches.csv"
    searches.write_text(f'database,query,date\nScopus,"peer support","{written}"\nWoS,"peer support",2021-01-05\n',
                        encoding="utf-8")
    found = pb.search_date()
    assert (found.isoformat() if found else None) == (expected or "2021-01-05")


def test_no_search_record_means_no_search_date(project):
    assert pb.search_date() is None


def test_the_year_of_the_search_is_marked_partial_on_the_chart(project):
    import matplotlib

    matplotlib.use("Agg")
    works = pb.load().works
    last = int(works.loc[works["is_corpus"].fillna(False).astype(bool), "publication_year"].max())
    years = pb.publication_years(works, collected=f"{last}-03-14")
    assert years.attrs["partial_year"] == last and years.attrs["collected"] == f"{last}-03-14"
    ax = pb.plot_publication_years(years)
    hatched = [round(b.get_x() + b.get_width() / 2) for b in ax.patches if b.get_hatch()]
    assert hatched == [last]
    assert f"{last} is partial (hatched): records to 14 Mar {last}" in ax.get_xlabel()
    # a collection date on the year's last day, or in a year no work has, marks nothing
    assert "partial_year" not in pb.publication_years(works, collected=f"{last}-12-31").attrs
    assert "partial_year" not in pb.publication_years(works, collected=f"{last + 1}-03-14").attrs
