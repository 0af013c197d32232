"""Issue 21, item 6: every figure of a report also as SVG and 300-dpi PNG, every table as CSV, under
``reports/files/<page>/``, linked from its page; the reports folder stays peerbib's to replace.

The pages here come from small notebooks over a copy of the bundled data; the
hostile cell texts are SYNTHETIC.
"""
from __future__ import annotations

import csv
import io
import os
import re
from pathlib import Path

import nbformat
import pandas as pd
import pytest
from lxml import etree
from PIL import Image

import peerbib as pb
from peerbib.cli import main
from peerbib.errors import OwnershipError

FIGURE_CELL = """\
import matplotlib.pyplot as plt
import peerbib as pb
tables = pb.load()
ax = pb.plot_publication_years(tables.works)
"""
TWO_FIGURES_CELL = """\
fig, ax = plt.subplots()
ax.plot([1, 2, 3], [3, 1, 2])
ax.set_title("Second figure: a line")
fig2, ax2 = plt.subplots()
ax2.bar(["a", "b"], [1, 2])
fig2.suptitle("Third figure")
plt.show()
"""
TABLE_CELL = """\
import pandas as pd
frame = pd.DataFrame({"title": ["=HYPERLINK(\\"http://x\\")", "+1", "plain"], "n": [1, 2, 3]})
pb.show_table(frame, "Works with awkward titles", max_rows=2)
"""


def _notebook(path: Path, *sources: str) -> None:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_markdown_cell("# Take-away test")] + [nbformat.v4.new_code_cell(s) for s in sources]
    nbformat.write(nb, path)


@pytest.fixture
def small(project):
    for path in (project / "notebooks").glob("*.ipynb"):
        path.unlink()
    _notebook(project / "notebooks" / "01_figures.ipynb", FIGURE_CELL, TWO_FIGURES_CELL)
    _notebook(project / "notebooks" / "02_tables.ipynb", "import peerbib as pb\n" + TABLE_CELL)
    return project


def _links(page: str) -> list[str]:
    """The targets of the page's download links, in order."""
    import lxml.html

    return [a.get("href") for a in lxml.html.fromstring(page).iter("a") if a.get("download") is not None]


def test_every_figure_and_table_is_written_and_linked_under_its_page(small):
    pb.report()
    reports = small / "reports"
    page = (reports / "01_figures.html").read_text(encoding="utf-8")
    figures = sorted((reports / "files" / "01_figures").iterdir())
    assert [p.name for p in figures] == [
        "figure-01-works-per-publication-year.png", "figure-01-works-per-publication-year.svg",
        "figure-02-second-figure-a-line.png", "figure-02-second-figure-a-line.svg",
        "figure-03-third-figure.png", "figure-03-third-figure.svg"]
    assert _links(page) == [f"files/01_figures/{name}" for name in (
        "figure-01-works-per-publication-year.svg", "figure-01-works-per-publication-year.png",
        "figure-02-second-figure-a-line.svg", "figure-02-second-figure-a-line.png",
        "figure-03-third-figure.svg", "figure-03-third-figure.png")]
    # each figure is still in the page (embedded, so the page opens alone), its links right under it
    assert page.count('<img alt="Take-away test: figure') == 3
    for number in (1, 2, 3):
        image_at = page.index(f'alt="Take-away test: figure {number}"')
        link_at = page.index(f"files/01_figures/figure-0{number}-")
        assert image_at < link_at and (number == 3 or link_at < page.index(f'figure {number + 1}"'))
    for path in figures:
        if path.suffix == ".svg":
            assert etree.parse(str(path)).getroot().tag == "{http://www.w3.org/2000/svg}svg"
        else:
            with Image.open(path) as image:
                assert round(image.info["dpi"][0]) == 300 and image.size[0] > 1500


def test_a_tables_csv_holds_every_row_and_no_formula(small):
    pb.report()
    reports = small / "reports"
    page = (reports / "02_tables.html").read_text(encoding="utf-8")
    assert _links(page) == ["files/02_tables/table-01-works-with-awkward-titles.csv"]
    assert "showing 2 of 3 rows" in page and "CSV, 3 rows" in page
    rows = list(csv.DictReader(io.StringIO(
        (reports / "files" / "02_tables" / "table-01-works-with-awkward-titles.csv").read_text(encoding="utf-8"))))
    assert [r["title"] for r in rows] == ["'=HYPERLINK(\"http://x\")", "'+1", "plain"]
    assert [r["n"] for r in rows] == ["1", "2", "3"]


def test_the_real_pages_link_a_file_for_every_figure_and_table(project):
    pb.report(only=["01_publication_years"])
    reports = project / "reports"
    page = (reports / "01_publication_years.html").read_text(encoding="utf-8")
    files = {p.name for p in (reports / "files" / "01_publication_years").iterdir()}
    images = page.count("<img ")
    tables = page.count('<p class="pb-title">')
    assert images >= 1 and tables >= 3
    assert len([f for f in files if f.endswith(".svg")]) == len([f for f in files if f.endswith(".png")]) == images
    assert len([f for f in files if f.endswith(".csv")]) == tables
    assert {Path(link).name for link in _links(page)} == files
    works = [f for f in files if "the-corpus-works" in f]
    assert works and len(pd.read_csv(reports / "files" / "01_publication_years" / works[0])) == len(pb.load().works)


def test_outside_a_report_nothing_is_written(small, tmp_path):
    """The same notebook in plain nbclient (as Jupyter runs it) shows its figures and tables, writes no file."""
    from peerbib.reporting.run import execute_notebook, kernel_env

    assert "PEERBIB_REPORT_FILES" not in kernel_env({"PEERBIB_REPORT_FILES": "/elsewhere", "PATH": "/bin"})
    before = set(small.rglob("*"))
    notebook = execute_notebook(small / "notebooks" / "01_figures.ipynb")
    shown = [o for c in notebook.cells if c.cell_type == "code" for o in c.outputs if "image/png" in o.get("data", {})]
    assert len(shown) == 3
    new = {p for p in set(small.rglob("*")) - before if "processed" not in p.parts and p.suffix != ".lock"}
    assert new == set()  # (the tables were built, and their locks made, before)
    assert "download" not in pb.show_table(pd.DataFrame({"a": [1]}), "t")._repr_html_()


def test_a_rerun_replaces_the_files_and_only_keeps_the_other_pages_files(small):
    pb.report()
    reports = small / "reports"
    kept = (reports / "files" / "02_tables" / "table-01-works-with-awkward-titles.csv").read_bytes()
    _notebook(small / "notebooks" / "01_figures.ipynb", FIGURE_CELL)
    assert main(["report", "--only", "01", "--quiet"]) == 0
    assert sorted(p.name for p in (reports / "files" / "01_figures").iterdir()) == [
        "figure-01-works-per-publication-year.png", "figure-01-works-per-publication-year.svg"]
    assert (reports / "files" / "02_tables" / "table-01-works-with-awkward-titles.csv").read_bytes() == kept


@pytest.mark.parametrize("intruder", ["notes.docx", "link.svg", "folder-link"])
def test_something_not_peerbibs_in_the_files_folder_stops_the_replacement(small, tmp_path, intruder):
    pb.report()
    files = small / "reports" / "files" / "01_figures"
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "mine.svg").write_text("<svg/>", encoding="utf-8")
    if intruder == "notes.docx":
        (files / intruder).write_bytes(b"PK my notes")
    elif intruder == "link.svg":
        os.symlink(outside / "mine.svg", files / intruder)
    else:
        os.symlink(outside, files / intruder)
    before = sorted(p.name for p in files.iterdir())
    with pytest.raises(OwnershipError, match="files"):
        pb.report()
    with pytest.raises(OwnershipError, match="files"):
        pb.report(only=["02"])  # keeping 01's page and files is refused too: nothing is copied or replaced
    assert sorted(p.name for p in files.iterdir()) == before
    assert not [p for p in small.iterdir() if ".reports.peerbib-work-" in p.name]
    assert (outside / "mine.svg").read_text(encoding="utf-8") == "<svg/>"
