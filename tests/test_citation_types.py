"""How the literature is cited: the data twins and charts of notebook 02, and its report with labels hidden.

Built on the bundled data plus, where a test says so, SYNTHETIC statements written by the test."""
from __future__ import annotations

import re
import shutil

import matplotlib
import matplotlib.pyplot as plt
import pandas as pd
import pytest

import peerbib as pb
from conftest import REPO
from peerbib.statements.classify import default_classifier  # noqa: E402

LABEL = default_classifier().label  # what the classifier column says of the default

matplotlib.use("Agg")
LABELS = ("supporting", "mentioning", "contrasting", "unclassified")
GILLARD = "10.1007/s10488-014-0603-z"


@pytest.fixture
def tables(project):
    """The bundled data and three SYNTHETIC statements from a scite-style export, one of each polar type."""
    (project / "data" / "raw" / "statements" / f"{GILLARD.replace('/', '_', 1)}.scite.csv").write_text(
        "Citing DOI,Citation Statement,Citation Type,Section\n"
        "10.5555/s.1,Our findings are consistent with Gillard et al. (2014).,supporting,Discussion\n"
        "10.5555/s.2,\"In contrast to Gillard et al. (2014), we found no change.\",contradicting,Results\n"
        "10.5555/s.3,Peer workers were introduced in England (Gillard et al. 2014).,mentioning,Introduction\n",
        encoding="utf-8")
    return pb.build()


def test_counts_keep_sources_apart_with_coverage(tables):
    counts = pb.citation_type_counts(tables)
    gillard = tables.works.set_index("doi").loc[GILLARD, "work_id"]
    rows = counts.set_index("source")
    assert set(rows.index) == {"scite", f"{LABEL} (scite statements)",
                               f"{LABEL} (scite (export) statements)"}
    assert (counts["cited_id"] == gillard).all()
    assert rows.loc["scite", ["supporting", "mentioning", "contrasting", "unclassified"]].tolist() == [1, 61, 0, 12]
    assert rows.loc[f"{LABEL} (scite (export) statements)", ["supporting", "contrasting", "classified"]
                    ].tolist() == [1, 1, 3]
    assert counts["source"].iloc[0].startswith("peerbib")  # peerbib's own first within a work
    assert counts["work"].iloc[0].startswith("2014: Introducing New Peer Worker Roles")
    assert counts.attrs["coverage"].startswith("coverage: open full text read for 0 of 1 citing works (0%)")
    assert "7 imported" in counts.attrs["coverage"]
    only = pb.citation_type_counts(tables, sources=["scite"])
    assert list(only["source"]) == ["scite"]


def test_the_chart_draws_fixed_colours_or_one_neutral_colour(tables):
    counts = pb.citation_type_counts(tables)
    ax = pb.plot_citation_types(counts)
    colours = {matplotlib.colors.to_hex(p.get_facecolor()) for p in ax.patches}
    assert {c.lower() for c in pb.analysis.citation_types.TYPE_COLORS.values()} <= colours
    assert [t.get_text() for t in ax.get_legend().get_texts()] == list(LABELS)
    widths = [p.get_width() for p in ax.patches]
    assert max(widths) <= 1.0 + 1e-9  # shares by default
    assert "coverage:" in ax.get_xlabel()
    texts = [t.get_text() for t in ax.texts]
    assert " n=74" in texts and " n=3" in texts
    plt.close("all")
    hidden = pb.plot_citation_types(counts, hide_labels=True, share=False)
    assert hidden.get_legend() is None
    assert {matplotlib.colors.to_hex(p.get_facecolor()) for p in hidden.patches} == {
        pb.analysis.citation_types.HIDDEN_COLOR.lower()}
    assert sorted(p.get_width() for p in hidden.patches) == [3, 4, 74]
    drawn = " ".join([hidden.get_title(), hidden.get_xlabel()] + [t.get_text() for t in hidden.get_yticklabels()])
    assert not any(label in drawn for label in LABELS)
    plt.close("all")
    # as a hidden-label report draws it (share left at its default): counts, never bars of 100 % each
    default = pb.plot_citation_types(counts, hide_labels=True)
    assert sorted(p.get_width() for p in default.patches) == [3, 4, 74]
    assert "%" not in " ".join(t.get_text() for t in default.get_xticklabels())
    by_year = pb.plot_citation_types_by(pb.citation_types_by(tables, "citing_year"), share=True, hide_labels=True)
    assert max(p.get_height() for p in by_year.patches) > 1
    plt.close("all")


def test_by_section_and_citing_year(tables):
    by_section = pb.citation_types_by(tables, "section")
    export = by_section[by_section["source"] == f"{LABEL} (scite (export) statements)"]
    assert list(export["section"]) == ["Introduction", "Results", "Discussion"]  # the sections' order
    assert export.set_index("section").loc["Results", "contrasting"] == 1
    seeds = by_section[by_section["source"] == f"{LABEL} (scite statements)"]
    assert seeds["statements"].sum() == 4
    by_year = pb.citation_types_by(tables, "citing_year")
    assert set(by_year["citing_year"]) == {"(not stated)"}  # no citing work is in the tables
    ax = pb.plot_citation_types_by(by_section)
    assert len(ax.get_xticklabels()) == len(by_section) and "coverage:" in ax.get_xlabel()
    with pytest.raises(pb.AnalysisError, match="by must be section, citing_year or citing_type"):
        pb.citation_types_by(tables, "venue")
    plt.close("all")


def test_citations_per_year_chart_and_its_empty_definition(tables):
    counted = pb.citations_per_year(tables, definition="counted citing works")
    ax = pb.plot_citations_per_year(counted, works=tables.works)
    lines = {line.get_label(): line for line in ax.get_lines()}
    assert list(lines["all corpus works"].get_ydata())[-1] == 3  # three citations in 2021
    assert "counted citing works: 3 citations of 3 corpus works" in ax.get_xlabel()
    plt.close("all")
    empty = pb.plot_citations_per_year(pb.citations_per_year(tables, definition="openalex counts_by_year"))
    assert "no citations in these tables (openalex counts_by_year)" in empty.texts[0].get_text()
    with pytest.raises(pb.AnalysisError, match="one definition"):
        pb.plot_citations_per_year(pd.concat([counted, counted.assign(definition="openalex counts_by_year")]))
    plt.close("all")


def test_example_statements_carry_their_evidence(tables):
    examples = pb.example_statements(tables, per_type=1)
    assert list(examples["type"]) == ["supporting", "mentioning", "contrasting"]
    assert examples["evidence"].str.len().gt(10).all()
    supporting = examples.iloc[0]
    assert "consistent with" in supporting["evidence"] and supporting["source_type"] == "supporting"


@pytest.fixture(scope="module")
def reports(tmp_path_factory):
    """Notebook 02 rendered twice from the bundled data, offline: as it is and with --hide-labels."""
    from peerbib import cli

    root = tmp_path_factory.mktemp("types") / "project"
    shutil.copytree(REPO / "data" / "raw", root / "data" / "raw")
    (root / "notebooks").mkdir()
    shutil.copy(REPO / "notebooks" / "02_citation_types.ipynb", root / "notebooks")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PEERBIB_PROJECT", str(root))
        patch.setenv("PEERBIB_HIDE_LABELS", "1")  # the shell's setting does not decide: the flag does
        assert cli.main(["report", "--out", str(root / "shown"), "--quiet"]) == 0
        assert cli.main(["report", "--out", str(root / "hidden"), "--hide-labels", "--quiet"]) == 0
    read = lambda name: (root / name / "02_citation_types.html").read_text(encoding="utf-8")  # noqa: E731
    return read("shown"), read("hidden")


def _visible_text(page: str) -> str:
    body = re.sub(r"<style.*?</style>|<script.*?</script>", " ", page, flags=re.DOTALL)
    return re.sub(r"<[^>]+>", " ", body)


def test_notebook_02_shows_both_classifications_side_by_side(reports):
    shown, _ = reports
    text = _visible_text(shown)
    assert "How is this literature cited?" in text
    assert "scite" in text and LABEL in text
    assert re.search(r"[0-4] of 4 statements get the same type from peerbib as from their source", text)
    assert all(label in text for label in LABELS)
    assert len(re.findall(r'<img[^>]+src="data:image/png;base64,', shown)) >= 4
    assert "Traceback" not in shown and "Warning" not in text


def test_with_hidden_labels_no_type_label_appears_anywhere(reports):
    _, hidden = reports
    for label in LABELS + ("contradicting",):
        assert not re.search(label, hidden, re.IGNORECASE), label  # not in text, tables, tooltips or CSS
    assert "citation-type labels hidden" in hidden
    assert len(re.findall(r'<img[^>]+src="data:image/png;base64,', hidden)) >= 4  # the charts stay
    assert "Statements per cited work" in _visible_text(hidden)


def test_page_02_reads_as_a_reader_needs_it(reports):
    """No scoring trace; evidence in words; what agreement shows; counts labelled; tables scroll."""
    shown, hidden = reports
    text = _visible_text(shown)
    for trace in ("\u2192", "->", " x0.", "[however own]"):
        assert trace not in text, trace
    assert "the words 'consistent with' and 'these findings'; it stands in the Discussion" in text
    assert "What decided the type" in text
    assert "that is how scite printed them, and no word was changed" in text
    assert "so this shows how often peerbib keeps that type" in text
    assert re.search(r"4 citation statements\s*of the corpus works: 0 found in the open full text", text)
    assert "citing works in these tables" in text.lower() and "scite counts 75 statements" in text
    assert 'class="pb-scroll"' in shown
    assert "What decided" not in _visible_text(hidden)
