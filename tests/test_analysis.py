"""publication_years, count_works, list_works and their plot."""
from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
import pytest

import peerbib as pb


@pytest.fixture
def works():
    return pd.DataFrame({
        "work_id": ["a", "b", "c", "d", "e"],
        "title": ["A", None, "C", "D", "E"],
        "authors": ["X", "Y; Z", None, None, None],
        "venue": ["J1", "J2", None, "J1", "J1"],
        "publication_year": pd.array([2010, 2013, 2013, None, 2012], dtype="Int64"),
        "type": ["article", None, "article", "review", "article"],
        "is_corpus": pd.array([True, True, True, True, False], dtype="boolean"),
    })


def test_publication_years_fills_gaps_and_counts_missing(works):
    years = pb.publication_years(works)
    assert years.to_dict("list") == {"year": [2010, 2011, 2012, 2013], "n_works": [1, 0, 0, 2]}
    assert years.attrs["n_without_year"] == 1
    everything = pb.publication_years(works, corpus_only=False, fill_gaps=False)
    assert everything.to_dict("list") == {"year": [2010, 2012, 2013], "n_works": [1, 1, 2]}


def test_publication_years_by_column(works):
    years = pb.publication_years(works, by="type", fill_gaps=False)
    assert years.to_dict("records") == [
        {"year": 2010, "type": "article", "n_works": 1},
        {"year": 2013, "type": "(not stated)", "n_works": 1},
        {"year": 2013, "type": "article", "n_works": 1},
    ]


def test_unknown_column_is_a_clear_error(works):
    with pytest.raises(pb.AnalysisError, match="needs column"):
        pb.publication_years(works.drop(columns="publication_year"))


def test_plot_returns_the_axes_it_drew_on(works):
    fig, ax = plt.subplots()
    out = pb.plot_publication_years(pb.publication_years(works), ax=ax)
    assert out is ax
    heights = [p.get_height() for p in ax.patches]
    assert heights == [1, 0, 0, 2]
    assert ax.get_xlabel() == "Publication year\n1 work(s) without a year not shown" and ax.get_ylabel() == "Works"
    stacked = pb.plot_publication_years(works, by="type")
    assert sorted(t.get_text() for t in stacked.get_legend().get_texts()) == ["(not stated)", "article"]
    plt.close("all")


def test_count_works(works):
    counts = pb.count_works(works, "venue")
    assert counts.to_dict("list") == {"venue": ["J1", "(not stated)", "J2"], "n_works": [2, 1, 1],
                                      "share": [0.5, 0.25, 0.25]}


def test_list_works_labels_untitled_works(works):
    listing = pb.list_works(works)
    assert list(listing["label"]) == ["C", "[untitled] Y; Z, 2013, J2", "A", "D"]
    # a narrower choice of columns (e.g. to name works in another table) keeps the order
    names = pb.list_works(works, columns=("work_id", "label"))
    assert names[["work_id", "label"]].values.tolist() == [
        ["c", "C"], ["b", "[untitled] Y; Z, 2013, J2"], ["a", "A"], ["d", "D"]]


def _per_year_table():
    # two definitions side by side, as a build from a snapshot writes them
    return pd.DataFrame({
        "work_id": ["W2", "W1", "W1", "W1", "W1"],
        "year": pd.array([2021, 2021, 2020, 2020, 2021], dtype="Int64"),
        "citations": pd.array([0, 3, 1, 2, 4], dtype="Int64"),
        "definition": ["openalex counts_by_year", "openalex counts_by_year", "openalex counts_by_year",
                       "counted citing works", "counted citing works"],
    })


def test_citations_per_year_prefers_openalex_counts_and_sorts():
    result = pb.citations_per_year(_per_year_table())
    assert list(result.columns) == ["work_id", "year", "citations", "definition"]
    assert result[["work_id", "year", "citations"]].values.tolist() == [["W1", 2020, 1], ["W1", 2021, 3], ["W2", 2021, 0]]
    counted = pb.citations_per_year(_per_year_table(), definition="counted citing works")
    assert counted["citations"].tolist() == [2, 4] and set(counted["definition"]) == {"counted citing works"}


def test_citations_per_year_on_the_bundled_tables(project):
    # the bundled data holds no OpenAlex counts: the 3 reference edges of Moore et al. 2021 are counted
    result = pb.citations_per_year(pb.build())
    assert set(result["definition"]) == {"counted citing works"}
    assert result.groupby("work_id")["citations"].sum().tolist() == [1, 1, 1]
    assert pb.citations_per_year(pb.load(), definition="openalex counts_by_year").empty


def test_citations_per_year_rejects_unknown_definition_and_tables():
    with pytest.raises(pb.AnalysisError, match="unknown definition 'scite'.*'counted citing works'"):
        pb.citations_per_year(_per_year_table(), definition="scite")
    with pytest.raises(pb.AnalysisError, match="needs the built tables"):
        pb.citations_per_year(object())
    with pytest.raises(pb.AnalysisError, match="needs column.*definition; pass the built tables"):
        pb.citations_per_year(_per_year_table().drop(columns="definition"))
