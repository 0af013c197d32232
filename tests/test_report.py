"""peerbib report: every notebook executed headless and rendered to self-contained HTML."""
from __future__ import annotations

import html
import logging
import re
import shutil

import nbformat
import pandas as pd
import pytest

import peerbib as pb
from conftest import REPO
from peerbib.cli import main


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


def test_the_index_shows_the_flow_from_the_exports_to_the_statements(rendered):
    from test_search_flow import boxes, expected_flow

    root, _ = rendered
    index = (root / "reports" / "index.html").read_text(encoding="utf-8")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PEERBIB_PROJECT", str(root))
        expected = expected_flow(pb.load())
    assert boxes(index) == expected and expected["statements"]
    assert "<script" not in index.split("</ol>", 1)[0].split('<ol class="flow">', 1)[1]


def test_clusters_page_saves_its_assignments_and_says_in_words_how_far_to_trust_them(rendered):
    root, _ = rendered
    assert (root / "data" / "processed" / "clusters.parquet").is_file()  # still saved, for other notebooks
    page = _visible((root / "reports" / "03_topic_clusters.html").read_text(encoding="utf-8"))
    for housekeeping in ("assignments saved", "clusters.parquet", "data/processed", "Save the assignments"):
        assert housekeeping not in page
    assert re.search(r"<strong>(No topic|Weak|Some|Clear) structure", page)
    assert "clearly better than chance: read them as topics" not in page
    captions = re.findall(r'<p class="pb-title">(.*?)</p>', page) + re.findall(r"<th>(.*?)</th>", page)
    assert captions and not [c for c in captions if re.search(r"_|\bpb\.|\w\(", c)]  # words, never code
    assert "title+abstract" not in page


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


def test_notebooks_are_as_nbstripout_leaves_them():
    """Notebook hygiene, checked by the tool itself: nothing for nbstripout to strip."""
    import subprocess
    import sys

    paths = [str(p) for p in sorted((REPO / "notebooks").glob("*.ipynb"))]
    done = subprocess.run([sys.executable, "-m", "nbstripout", "--verify", *paths], capture_output=True, text=True)
    assert done.returncode == 0, f"run `nbstripout notebooks/*.ipynb` before committing: {done.stdout}{done.stderr}"


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
    index = (project / "reports" / "index.html").read_text(encoding="utf-8")
    manifest = (raw / "openalex" / "manifest.json").read_bytes()
    import hashlib

    assert hashlib.sha256(manifest).hexdigest() in index and "data/raw/openalex" in index
    assert "manifest sha256 <code>" + hashlib.sha256(manifest).hexdigest()[:16] in page
    assert api.api_key not in index and "api_key" not in index and "mailto" not in index
    assert len(paths) == len(list((project / "notebooks").glob("*.ipynb"))) + 1
    tables = pb.load()
    assert tables.works.set_index("doi").loc["10.1111/hex.13151", "source"] == "openalex+corpus"


# --- pages that read like a report -----------------------------------------------------------------

_REPRS = [r"Tables\(", r"Clustering\(", r"dtype: ", r"Name: count", r"&lt;NA&gt;", r"\bNaN\b", r"<NA>",
          r"Traceback", r"Warning", r"UserWarning", r"FutureWarning", r"Error\b", r"<Axes", r"<Figure"]


def _visible(page: str) -> str:
    """The text of a page outside its style and script blocks and outside image data."""
    page = re.sub(r"<(style|script)\b.*?</\1>", " ", page, flags=re.S | re.I)
    return re.sub(r'src="data:image/[^"]+"', 'src=""', page)


def test_no_page_holds_a_repr_a_warning_a_traceback_or_a_path(rendered):
    root, paths = rendered
    machine_paths = {str(REPO), str(root), str(root.parent), "/tmp/", "/home/", "/root/", "site-packages"}
    for path in paths:
        page = _visible(path.read_text(encoding="utf-8"))
        for pattern in _REPRS:
            assert not re.search(pattern, page), f"{path.name}: {pattern}"
        for folder in machine_paths:
            assert folder not in page, f"{path.name}: {folder}"


def test_every_page_has_a_provenance_footer_and_the_index_has_it_in_full(rendered):
    root, paths = rendered
    info = pb.load(root / "data" / "processed").info
    for path in paths[:-1]:
        page = path.read_text(encoding="utf-8")
        footer = page[page.index('<footer class="peerbib-footer">'):]
        assert f"peerbib {pb.__version__}" in footer and "pyalex " in footer
        assert info["raw_sha256"][:16] in footer
        assert "classifier peerbib-linear/3" in footer and "random_state 0" in footer
        assert "made by <code>peerbib report</code>" in footer  # the command as run: no --only it was not given
    index = paths[-1].read_text(encoding="utf-8")
    assert info["raw_sha256"] in index and "scikit-learn" in index and "peerbib report" in index
    for name in ("corpus works", "years covered", "citing works", "citation statements", "sources"):
        assert f"<th>{name}</th>" in index
    # each report linked with its question and a key figure
    for path in paths[:-1]:
        assert f'href="{path.name}"' in index
    assert len(re.findall(r'<img src="data:image/png;base64,', index)) == len(paths) - 1


def test_tables_are_formatted_not_cut(rendered):
    root, _ = rendered
    page = (root / "reports" / "01_publication_years.html").read_text(encoding="utf-8")
    assert '<p class="pb-title">The corpus works, newest first</p><div class="pb-scroll"><table class="pb-table">' in page
    works = pb.load(root / "data" / "processed").works
    longest = max(works.loc[works["is_corpus"], "title"].dropna(), key=len)
    assert len(longest) > 100
    assert html.escape(longest) in page  # the whole title, not cut
    assert re.search(r"<td class=\"pb-num\">\d+%</td>", page)  # shares as percentages
    assert "—" in page  # missing as an em dash


def test_a_long_table_says_how_much_it_shows_and_where_the_rest_is():
    frame = pd.DataFrame({"title": [f"work {i}" for i in range(20_000)], "share": 0.00005})
    table = pb.show_table(frame, "All works", percent=["share"], full="data/processed/works.parquet")._repr_html_()
    assert table.count("<tr>") == 51  # header and 50 rows
    assert "showing 50 of 20,000 rows — the full table is in data/processed/works.parquet" in table
    assert "0.0%" in table and '<p class="pb-title">All works</p>' in table


def test_show_table_escapes_what_comes_from_outside():
    frame = pd.DataFrame({"title": ["<script>alert(1)</script>", '"><svg onload=alert(1)>'], "n": [1, None]})
    table = pb.show_table(frame, "<b>t</b>")._repr_html_()
    assert "<script>alert" not in table and "<svg" not in table and "<b>t</b>" not in table
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in table and "—" in table


# --- all or nothing; --only; --with-code -------------------------------------------------------------


def test_a_failing_run_leaves_the_previous_reports_as_they_were(project):
    for path in (project / "notebooks").glob("*.ipynb"):
        path.unlink()
    _notebook(project / "notebooks" / "01_fine.ipynb", "print('first run')")
    pb.report()
    before = {p.name: p.read_bytes() for p in (project / "reports").iterdir()}
    _notebook(project / "notebooks" / "01_fine.ipynb", "print('second run')")
    _notebook(project / "notebooks" / "02_broken.ipynb", "raise ValueError('boom')")
    with pytest.raises(pb.ReportError, match=r"02_broken.ipynb: cell 1"):
        pb.report()
    assert {p.name: p.read_bytes() for p in (project / "reports").iterdir()} == before
    assert not [p for p in project.iterdir() if "peerbib-work" in p.name]  # no work folder left behind


def test_only_runs_the_named_notebooks_and_keeps_the_other_pages(project):
    for path in (project / "notebooks").glob("*.ipynb"):
        path.unlink()
    _notebook(project / "notebooks" / "01_a.ipynb", "print('a one')")
    _notebook(project / "notebooks" / "02_b.ipynb", "print('b one')")
    pb.report()
    _notebook(project / "notebooks" / "01_a.ipynb", "print('a two')")
    _notebook(project / "notebooks" / "02_b.ipynb", "print('b two')")
    assert main(["report", "--only", "02", "--quiet"]) == 0
    reports = project / "reports"
    assert "a one" in (reports / "01_a.html").read_text(encoding="utf-8")
    assert "b two" in (reports / "02_b.html").read_text(encoding="utf-8")
    index = (reports / "index.html").read_text(encoding="utf-8")
    assert 'href="01_a.html"' in index and 'href="02_b.html"' in index
    with pytest.raises(pb.ReportError, match="no notebook '09'"):
        pb.report(only=["09"])


def test_code_is_hidden_unless_asked_for(project):
    for path in (project / "notebooks").glob("*.ipynb"):
        path.unlink()
    _notebook(project / "notebooks" / "01_a.ipynb", "answer = 6 * 7\nprint(answer)")
    hidden = pb.report()[0].read_text(encoding="utf-8")
    shown = pb.report(with_code=True)[0].read_text(encoding="utf-8")
    assert "answer = 6" not in _visible(hidden) and "42" in hidden
    assert "answer" in _visible(shown) and "--with-code" in shown


def test_only_runs_again_the_pages_made_from_other_data_or_options(project, caplog):
    """--only must not leave a folder mixing runs: a page kept from a run with other options (labels shown)
    or other data is run again, so blind screening stays blind."""
    for path in (project / "notebooks").glob("*.ipynb"):
        path.unlink()
    for name in ("01_a", "02_b"):
        _notebook(project / "notebooks" / f"{name}.ipynb",
                  "import os\nprint('labels hidden:', os.environ.get('PEERBIB_HIDE_LABELS') == '1')")
    pb.report()
    with caplog.at_level(logging.INFO, logger="peerbib"):
        pb.report(only=["01"], hide_labels=True, progress=True)
    for name in ("01_a", "02_b"):
        assert "labels hidden: True" in (project / "reports" / f"{name}.html").read_text(encoding="utf-8"), name
    said = [(r.name, r.levelno, r.getMessage()) for r in caplog.records]
    assert ("peerbib", logging.WARNING,
            "peerbib report: 02_b was made from other data or options: running it again too") in said
    # pages run side by side when the machine has the cores: each says it starts, in whichever order
    assert sorted(m for _, level, m in said if level == logging.INFO) == ["running 01_a.ipynb ...",
                                                                          "running 02_b.ipynb ..."]
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="peerbib"):
        pb.report(only=["01"], hide_labels=True)  # the same options and data: 02 stays as it is; no progress
    assert not [r for r in caplog.records if "running" in r.getMessage()]


def test_what_a_notebook_writes_to_stderr_is_logged_and_left_out_of_the_page(project, caplog, capsys):
    """The library logs (logger "peerbib"), it does not print."""
    for path in (project / "notebooks").glob("*.ipynb"):
        path.unlink()
    _notebook(project / "notebooks" / "01_a.ipynb", "print('shown')",
              "import sys\nprint('a note', file=sys.stderr)\nprint('UserWarning: odd data', file=sys.stderr)")
    with caplog.at_level(logging.WARNING, logger="peerbib"):
        page = pb.report()[0].read_text(encoding="utf-8")
    expected = "peerbib report: 01_a.ipynb cell 2 wrote to stderr (left out of the page): UserWarning: odd data"
    assert [(r.levelno, r.getMessage()) for r in caplog.records if r.name == "peerbib"] == [(logging.WARNING, expected)]
    assert "shown" in page and "odd data" not in page
    printed = capsys.readouterr()
    assert "odd data" not in printed.out + printed.err


def test_the_reproducing_command_names_the_folders_given(project):
    for path in (project / "notebooks").glob("*.ipynb"):
        path.unlink()
    _notebook(project / "notebooks" / "01_a.ipynb", "print(1)")
    page = pb.report("shared/reports")[0].read_text(encoding="utf-8")
    assert "made by <code>peerbib report --out shared/reports</code>" in page
    page = pb.report("shared/reports", only=["01"])[0].read_text(encoding="utf-8")
    assert "made by <code>peerbib report --out shared/reports --only 01</code>" in page  # as given
    assert str(project) not in page


def test_the_same_rows_in_two_corpus_files_build(project):
    corpus = project / "data" / "raw" / "corpus"
    shutil.copy(corpus / "seed_corpus.csv", corpus / "copy_corpus.csv")
    tables = pb.build(project / "data" / "raw", project / "data" / "processed")
    original = pb.read_corpus(corpus / "seed_corpus.csv")
    assert tables.works["is_corpus"].sum() == len(original)
    assert tables.works["work_id"].is_unique


def test_a_report_with_stale_tables_fingerprints_the_raw_data_once(project, monkeypatch, capsys):
    """Was: `peerbib report` hashed data/raw five times when the tables were stale (the command's check,
    load's check, the check under the build lock, the build, the report's own load)."""
    import peerbib.reporting as reporting
    import peerbib.tables.inputs as inputs

    pb.build()
    (project / "data" / "raw" / "corpus" / "late.csv").write_text("doi,title\n10.5555/late.1,A late work\n",
                                                                  encoding="utf-8")
    hashed = []
    original = inputs.sha256_files
    monkeypatch.setattr(inputs, "sha256_files", lambda named: hashed.append(1) or original(named))
    monkeypatch.setattr(reporting, "execute_notebook", lambda path, **options: nbformat.v4.new_notebook())
    assert main(["report", "--only", "01", "--quiet"]) == 0
    assert len(hashed) == 1
    assert "late.1" in " ".join(pb.load(rebuild=False).works["doi"].dropna())  # the build saw the new file
    hashed.clear()
    assert not pb.tables.needs_build() and len(hashed) == 1  # outside a command: hashed on every call
