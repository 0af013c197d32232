"""What a shared report page must never hold, and what a report kernel must never see (issue 18, items 7 and 10).

Text from outside (titles, venues, author names, terms, sources) is drawn as
written, never read as mathtext; a figure that fails when it is displayed
fails the report instead of leaving a traceback and the machine's paths in
the page; the kernels get only the environment variables they need.
The works, statements and tallies written by these tests are SYNTHETIC.
"""
from __future__ import annotations

import csv
import io
import re
import sys

import matplotlib

matplotlib.use("Agg")  # off-screen, set in the test process only

import matplotlib.pyplot as plt  # noqa: E402
import nbformat  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.text import Text  # noqa: E402

import peerbib as pb  # noqa: E402
from conftest import REPO  # noqa: E402
from peerbib.reporting.run import execute_notebook, kernel_env  # noqa: E402

#: Malformed TeX (mathtext cannot parse it: drawing fails) and well-formed TeX (it would lose its dollars).
BROKEN_TEX = r"$\frac{1$"
PAIRED_DOLLARS = "a $x$ b"
HOSTILE = (BROKEN_TEX, PAIRED_DOLLARS)


def _drawn_lines(fig):
    """(line as drawn, drawn as mathtext?) for every line of every visible Text of ``fig``.

    ``Text._preprocess_math`` is what matplotlib's renderer calls on each line
    before drawing it: it says whether the line goes to mathtext, and what
    plain text is shown otherwise.
    """
    for text in fig.findobj(Text):
        if text.get_visible():
            for line in text.get_text().split("\n"):
                if line.startswith("$\\mathdefault{") and line.endswith("}$"):
                    continue  # matplotlib's own tick label on a log axis ("10^{1}"): not text from data
                yield text._preprocess_math(line)


def _works():
    return pd.DataFrame({
        "work_id": ["W1", "W2", "W3"],
        "title": [BROKEN_TEX, PAIRED_DOLLARS, "Plain title"],
        "authors": [f"Doe, {PAIRED_DOLLARS}", "Roe, Ann", None],
        "venue": [BROKEN_TEX, PAIRED_DOLLARS, None],
        "publication_year": pd.array([2019, 2020, 2020], dtype="Int64"),
        "source": [BROKEN_TEX, PAIRED_DOLLARS, "corpus"],
        "is_corpus": pd.array([True, True, True], dtype="boolean"),
    })


def _counts():
    counts = pd.DataFrame({
        "cited_id": ["W1", "W2"], "work": [BROKEN_TEX, PAIRED_DOLLARS], "source": [PAIRED_DOLLARS, BROKEN_TEX],
        "supporting": [1, 0], "mentioning": [3, 2], "contrasting": [0, 1], "unclassified": [1, 0],
    })
    counts["classified"] = counts[["supporting", "mentioning", "contrasting", "unclassified"]].sum(axis=1)
    counts.attrs["coverage"] = "coverage: SYNTHETIC"
    return counts


def _by(sources):
    table = pd.DataFrame({"section": [BROKEN_TEX, PAIRED_DOLLARS][:len(sources)], "source": sources,
                          "supporting": 1, "mentioning": 2, "contrasting": 0, "unclassified": 0, "statements": 3})
    table.attrs["by"] = "section"
    return table


def _per_year():
    return pd.DataFrame({"work_id": ["W1", "W1", "W2", "W2"], "year": [2020, 2021, 2020, 2021],
                         "citations": [1, 2, 3, 0], "definition": PAIRED_DOLLARS})


def _cluster_table(with_year: bool):
    labels = [f"0: {BROKEN_TEX}", f"1: {PAIRED_DOLLARS}"]
    if with_year:
        return pd.DataFrame({"year": [2020, 2020, 2021, 2021], "cluster": [0, 1, 0, 1], "label": labels * 2,
                             "n_works": [1, 2, 3, 4]})
    return pd.DataFrame({"work_id": ["W1", "W2", "W3", "W4"], "cluster": [0, 0, 1, 1], "label": labels[:1] * 2
                         + labels[1:] * 2, "x": [0.0, 0.1, 1.0, 1.1], "y": [0.0, 0.2, 1.0, 0.9],
                         "n_works": [2, 2, 2, 2]})


def _science_tables():
    """The SYNTHETIC tables of tests/test_networks.py with both hostile strings as titles, names, venues,
    keywords and institutions."""
    from test_networks import synthetic_tables

    tables = synthetic_tables()
    works = tables.works.copy()
    for column in ("title", "keywords"):
        works[column] = [BROKEN_TEX if i % 2 else PAIRED_DOLLARS for i in range(len(works))]
    works["authors"] = [f"{BROKEN_TEX}, A." if i % 2 else f"{PAIRED_DOLLARS}, B." for i in range(len(works))]
    # the core sources of Bradford's law are the only ones it names: one of them holds both strings
    works["venue"] = [f"{BROKEN_TEX} {PAIRED_DOLLARS}" if i % 2 else "Journal" for i in range(len(works))]
    authorships = tables.authorships.copy()
    authorships["author_name"] = [BROKEN_TEX if i % 2 else PAIRED_DOLLARS for i in range(len(authorships))]
    authorships["author_id"] = ["A-hostile-1" if i % 2 else "A-hostile-2" for i in range(len(authorships))]
    authorships["institution_names"] = authorships["author_name"]
    authorships["institution_ids"] = authorships["author_id"]
    references = tables.references.assign(cited_venue=[BROKEN_TEX if i % 2 else PAIRED_DOLLARS
                                                       for i in range(len(tables.references))])
    return type(tables)(works=works, citations=tables.citations, statements=tables.statements,
                        tallies=tables.tallies, references=references, authorships=authorships)


#: Every plot_* of the public API, drawn from data whose strings are hostile to mathtext.
PLOTS = {
    "plot_publication_years": [lambda: pb.plot_publication_years(pb.publication_years(_works(), by="venue")),
                               lambda: pb.plot_publication_years(_works(), title=f"Works of {PAIRED_DOLLARS}")],
    "plot_citation_types": [lambda: pb.plot_citation_types(_counts(), title=BROKEN_TEX),
                            lambda: pb.plot_citation_types(_counts(), hide_labels=True, share=False)],
    "plot_citation_types_by": [lambda: pb.plot_citation_types_by(_by([PAIRED_DOLLARS, BROKEN_TEX])),
                               lambda: pb.plot_citation_types_by(_by([BROKEN_TEX]), hide_labels=True)],
    "plot_citations_per_year": [lambda: pb.plot_citations_per_year(_per_year(), works=_works()),
                                lambda: pb.plot_citations_per_year(_per_year().assign(citations=0))],
    "plot_cluster_map": [lambda: pb.plot_cluster_map(_cluster_table(with_year=False))],
    "plot_cluster_sizes": [lambda: pb.plot_cluster_sizes(_cluster_table(with_year=False).drop_duplicates("cluster"))],
    "plot_clusters_by_year": [lambda: pb.plot_clusters_by_year(_cluster_table(with_year=True))],
    # no text of this chart comes from data: drawn to show it stays drawable like the others
    "plot_k_scores": [lambda: pb.plot_k_scores(pd.DataFrame({"k": [2, 3], "silhouette": [0.2, 0.3],
                                                             "silhouette_se": [0.01, 0.02],
                                                             "chosen": [False, True]}))],
    "plot_network": [lambda: pb.plot_network(pb.network(_science_tables(), "cooccurrence", unit="keywords")),
                     lambda: pb.plot_network(pb.network(_science_tables(), "citation"), color_by="type",
                                             labels=50)],
    "plot_historiograph": [lambda: pb.plot_historiograph(_science_tables(), top=40)],
    "plot_overview": [lambda: pb.plot_overview(_science_tables(), title=f"{BROKEN_TEX} and {PAIRED_DOLLARS}")],
    "plot_top": [lambda: pb.plot_top(_science_tables(), what="authors"),
                 lambda: pb.plot_top(_science_tables(), what="sources")],
    "plot_h_index": [lambda: pb.plot_h_index(_science_tables(), unit="authors")],
    "plot_lotka": [lambda: pb.plot_lotka(_science_tables(), title=f"{BROKEN_TEX} and {PAIRED_DOLLARS}")],
    "plot_bradford": [lambda: pb.plot_bradford(_science_tables())],
    "plot_citation_scores": [lambda: pb.plot_citation_scores(_science_tables())],
    "plot_retracted_works": [lambda: pb.plot_retracted_works(_science_tables())],
}


def test_every_plot_function_is_checked_with_hostile_text():
    assert set(PLOTS) == {name for name in pb.__all__ if name.startswith("plot_")}


@pytest.mark.parametrize("name", sorted(PLOTS))
def test_text_from_outside_is_drawn_as_written(name):
    """A title like ``$\\frac{1$`` made the figure fail when drawn; ``a $x$ b`` was drawn as mathtext."""
    shown = []
    for draw in PLOTS[name]:
        ax = draw()
        fig = ax.figure
        fig.savefig(io.BytesIO(), format="png")  # draws every text; malformed TeX raised ValueError here
        lines = list(_drawn_lines(fig))
        assert not [line for line, math in lines if math], f"{name}: text drawn as mathtext"
        shown += [line for line, _ in lines]
        plt.close(fig)
    if name != "plot_k_scores":
        for hostile in HOSTILE:
            assert any(hostile in line for line in shown), f"{name}: {hostile!r} not shown as written"


# --- a figure that fails on display fails the report ---------------------------------------------------------


def _notebook(path, *sources):
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_markdown_cell("# Test notebook")] + [nbformat.v4.new_code_cell(s) for s in sources]
    nbformat.write(nb, path)
    return path


_FAILING_DISPLAYS = {
    # the inline backend draws the figure after the cell ran: nbclient saw no error, the page got the traceback
    "figure": "%matplotlib inline\nimport matplotlib.pyplot as plt\nfig, ax = plt.subplots()\n"
              "ax.set_title(r'$\\frac{1$')",
    # a traceback written to stderr is a failure too, even if stderr is kept out of the page
    "stderr": "import traceback\ntry:\n    {}['year']\nexcept KeyError:\n    traceback.print_exc()",
}


@pytest.mark.notebooks
@pytest.mark.parametrize("kind", sorted(_FAILING_DISPLAYS))
def test_a_failing_display_fails_the_notebook(tmp_path, kind):
    path = _notebook(tmp_path / f"05_{kind}.ipynb", "x = 1", _FAILING_DISPLAYS[kind], "print('after')")
    with pytest.raises(pb.ReportError, match=rf"05_{kind}.ipynb: cell 2 ") as info:
        execute_notebook(path, timeout=60)
    assert "\n" not in str(info.value)  # one line, as the CLI prints it


@pytest.mark.notebooks
def test_a_path_of_the_machine_in_an_output_fails_the_notebook(project):
    path = _notebook(project / "notebooks" / "05_path.ipynb", "import os\nprint(os.getcwd())")
    with pytest.raises(pb.ReportError, match=r"05_path.ipynb: cell 1 shows a path of this machine"):
        execute_notebook(path, timeout=60)


def _append(path, row: dict) -> None:
    with path.open(encoding="utf-8", newline="") as handle:
        fields = next(csv.reader(handle))
    with path.open("a", encoding="utf-8", newline="") as handle:
        csv.DictWriter(handle, fieldnames=fields).writerow(row)


@pytest.mark.notebooks
def test_a_title_in_tex_renders_as_text_with_the_key_figure(project):
    """The report of issue 18 item 7: a SYNTHETIC cited work titled ``$\\frac{1$`` (with its tallies, so it
    stands in the key figure of page 02) left that figure out and put 2 tracebacks and 45 paths of the
    machine in the page, exit 0."""
    raw = project / "data" / "raw"
    _append(raw / "corpus" / "seed_corpus.csv",
            {"doi": "10.5555/synthetic.tex", "title": BROKEN_TEX, "publication_year": "2016",
             "seed_role": "main work", "notes": "SYNTHETIC (tests/safety)"})
    _append(raw / "tallies" / "seed_tallies.csv",
            {"cited_doi": "10.5555/synthetic.tex", "supporting": "2", "mentioning": "3", "contrasting": "1",
             "unclassified": "0", "citing_publications": "5", "citation_statements": "6", "source": "scite",
             "notes": "SYNTHETIC (tests/safety)"})
    page_path = pb.report(only=["02"])[0]
    page = page_path.read_text(encoding="utf-8")
    assert page_path.name == "02_citation_types.html"
    visible = re.sub(r'src="data:image/[^"]+"', 'src=""', page)
    for leak in ("Traceback", "Error in callback", str(project), str(REPO), sys.prefix, "site-packages"):
        assert leak not in visible, leak
    assert f"2016: {BROKEN_TEX}" in page  # the title as text, in the table of the key figure's numbers
    start = page.index("celltag_key-figure")
    key_cell = page[start:page.find('<div class="jp-Cell ', start)]
    assert re.search(r'<img[^>]+src="data:image/png;base64,', key_cell)


# --- the kernel's environment: an allow-list -----------------------------------------------------------------

_SECRETS = {"DATABASE_URL": "postgres://peerbib:hunter2@db.example/bib", "GITHUB_PAT": "ghp_SYNTHETIC",
            "OPENALEX_API_KEY": "SYNTHETIC-openalex-key", "MY_SERVICE_CREDS": "user:SYNTHETIC",
            "AWS_SESSION_TOKEN": "SYNTHETIC-session", "PGPASSWORD": "SYNTHETIC-pg", "HTTPS_PROXY":
            "http://user:SYNTHETIC@proxy.example:3128", "JUPYTER_TOKEN": "SYNTHETIC-jupyter",
            "PEERBIB_DATABASE_URL": "postgres://SYNTHETIC"}


def test_kernel_env_is_an_allow_list(monkeypatch, tmp_path):
    for name, value in _SECRETS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("MPLBACKEND", "Agg")  # would remove every figure from the executed notebooks
    monkeypatch.setenv("LC_ALL", "C.UTF-8")
    monkeypatch.setenv("PYTHONWARNINGS", "error::FutureWarning")
    monkeypatch.setenv("PEERBIB_PROJECT", str(tmp_path))
    env = kernel_env()
    assert not (set(_SECRETS) | {"MPLBACKEND"}) & set(env)
    assert not any(value in "\n".join(env.values()) for value in _SECRETS.values())
    assert env["LC_ALL"] == "C.UTF-8" and env["PYTHONWARNINGS"] == "error::FutureWarning"
    assert env["PATH"] and env["PEERBIB_PROJECT"] == str(tmp_path)
    assert kernel_env(hide_labels=True)["PEERBIB_HIDE_LABELS"] == "1"


@pytest.mark.notebooks
def test_a_kernel_sees_no_secret(monkeypatch, tmp_path):
    for name, value in _SECRETS.items():
        monkeypatch.setenv(name, value)
    # the names only: the values hold paths of the machine (PATH, HOME), which no output may show
    path = _notebook(tmp_path / "06_env.ipynb", "import os\nprint(sorted(os.environ))")
    printed = "".join(o.get("text", "") for o in execute_notebook(path, timeout=60).cells[1].outputs)
    assert "'PATH'" in printed
    for name in _SECRETS:
        assert f"'{name}'" not in printed, name
