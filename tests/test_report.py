"""peerbib report: every notebook executed headless and rendered to self-contained HTML."""
from __future__ import annotations

import re
import shutil

import nbformat
import pytest

import peerbib as pb
from conftest import REPO


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    """Run the real notebooks once on a copy of the bundled data, with MPLBACKEND=Agg
    set as a user's environment might have it: figures must survive it."""
    root = tmp_path_factory.mktemp("report") / "project"
    shutil.copytree(REPO / "data" / "raw", root / "data" / "raw")
    shutil.copytree(REPO / "notebooks", root / "notebooks", ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PEERBIB_PROJECT", str(root))
        patch.setenv("MPLBACKEND", "Agg")
        paths = pb.report()
    return root, paths


def test_one_html_per_notebook_and_an_index(rendered):
    root, paths = rendered
    notebooks = sorted(p.stem for p in (REPO / "notebooks").glob("*.ipynb"))
    assert [p.name for p in paths] == [f"{n}.html" for n in notebooks] + ["index.html"]
    index = (root / "reports" / "index.html").read_text(encoding="utf-8")
    for name in notebooks:
        assert f'href="{name}.html"' in index
    assert "How has the literature grown?" in index


def test_report_has_figures_stamp_and_no_remote_scripts(rendered):
    root, _ = rendered
    page = (root / "reports" / "01_publication_years.html").read_text(encoding="utf-8")
    # (the template's CSS holds a tiny data: PNG too, so count <img> tags)
    assert len(re.findall(r'<img[^>]+src="data:image/png;base64,', page)) >= 1
    assert f"peerbib {pb.__version__}" in page
    assert re.search(r"raw data sha256 <code>[0-9a-f]{16}</code>", page)
    assert not re.search(r"<script[^>]+src=[\"']https?://", page)
    assert "Traceback" not in page and "Warning" not in page
    assert "%matplotlib" not in page  # code cells are not shown


def test_processed_tables_were_built_for_the_report(rendered):
    root, _ = rendered
    assert (root / "data" / "processed" / "works.parquet").is_file()


def _notebook(path, *sources):
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_markdown_cell("# Test notebook")] + [nbformat.v4.new_code_cell(s) for s in sources]
    nbformat.write(nb, path)


def test_outside_strings_are_escaped(project):
    corpus = project / "data" / "raw" / "corpus" / "evil_corpus.csv"
    corpus.write_text('doi,title,year\n10.1234/evil,"<script>alert(1)</script> & <b>bold</b>",2020\n', encoding="utf-8")
    for path in (project / "notebooks").glob("*.ipynb"):
        path.unlink()
    _notebook(project / "notebooks" / "01_list.ipynb", "import peerbib as pb\npb.list_works(pb.load().works)")
    page = pb.report()[0].read_text(encoding="utf-8")
    assert "<script>alert(1)" not in page and "<b>bold</b>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_failing_notebook_names_notebook_and_cell(project):
    for path in (project / "notebooks").glob("*.ipynb"):
        path.unlink()
    _notebook(project / "notebooks" / "02_broken.ipynb", "x = 1", "raise ValueError('no such column: year')")
    with pytest.raises(pb.ReportError) as info:
        pb.report()
    message = str(info.value)
    assert "02_broken.ipynb" in message and "cell 2" in message
    assert "ValueError: no such column: year" in message
    assert not (project / "reports" / "02_broken.html").exists()


def test_notebooks_are_stored_without_outputs():
    for path in (REPO / "notebooks").glob("*.ipynb"):
        nb = nbformat.read(path, as_version=4)
        assert nb.metadata["kernelspec"]["name"] == "python3", path
        for cell in nb.cells:
            if cell.cell_type == "code":
                assert not cell.outputs and cell.execution_count is None, path
        first_code = next(c for c in nb.cells if c.cell_type == "code")
        assert first_code.source.startswith("%matplotlib inline"), path


def test_report_shows_the_fetched_snapshot(project, api):
    """After a (mocked) peerbib fetch into the project, the report shows OpenAlex's data.
    The OpenAlex records here are SYNTHETIC (tests/fixtures/openalex.py)."""
    from fixtures.openalex import make_work

    from peerbib.snapshot import fetch

    api.add([
        make_work(1, doi="10.1111/hex.13151", title="SYNTHETIC OpenAlex title of the Moore record", year=2021,
                  work_type="review", cited_by_count=1),
        make_work(2, title="SYNTHETIC citing work", year=2023, references=["W1"]),
    ])
    raw = project / "data" / "raw"
    summary = fetch(raw / "corpus" / "seed_corpus.csv", snapshot=raw / "openalex",
                    api_key=api.api_key, progress=False, max_rate=0, sleep=lambda s: None)
    assert summary.works >= 1
    paths = pb.report()
    page = (project / "reports" / "01_publication_years.html").read_text(encoding="utf-8")
    assert "SYNTHETIC OpenAlex title of the Moore record" in page  # OpenAlex's title wins in the works table
    assert "SYNTHETIC citing work" not in page  # citing works are not corpus works
    assert api.api_key not in page
    assert len(paths) == len(list((project / "notebooks").glob("*.ipynb"))) + 1
    tables = pb.load()
    assert tables.works.set_index("doi").loc["10.1111/hex.13151", "source"] == "openalex+corpus"
