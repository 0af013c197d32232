"""The ground the pipeline stands on: no data lost by load, refresh or concurrent builds,
cursors that end early, edited corpus rows, and a layout whose stages import one way.

Each test here reproduces a defect found on main before the foundations rework
(the docstring says what it did then). OpenAlex records are SYNTHETIC, served
by the fake in ``fixtures/openalex.py``.
"""
from __future__ import annotations

import argparse
import ast
import inspect
import json
import re
import shutil
import threading
import tomllib
from pathlib import Path

import nbformat
import pandas as pd
import pytest
import responses

from fixtures.openalex import TEST_KEY, FakeOpenAlex, citation_graph, make_work

import peerbib as pb
from peerbib import errors
from peerbib.snapshot import MANIFEST, Snapshot, fetch, snapshot_tables
from peerbib.snapshot.model import Page
from peerbib.tables.building import tables_read_lock

REPO = Path(__file__).resolve().parents[1]
FAST = dict(api_key=TEST_KEY, progress=False, max_rate=0, sleep=lambda s: None)


def parquet_digest(folder: Path) -> dict:
    return {p.name: p.read_bytes() for p in sorted(folder.glob("*.parquet"))}


# --- 1. load judges by the raw folder the tables were built from -------------------------


def test_load_of_tables_built_elsewhere_neither_swaps_nor_overwrites_them(project, tmp_path, write):
    """Was: from inside a project, pb.load(B) judged B against the project's data/raw,
    found it 'stale', and overwrote B with the bundled tables."""
    other = tmp_path / "elsewhere"
    (other / "raw" / "corpus").mkdir(parents=True)
    (other / "raw" / "corpus" / "mine.csv").write_text(
        "doi,title,publication_year\n10.1234/one,My own work,2020\n10.1234/two,Another of mine,2021\n",
        encoding="utf-8")
    built = pb.build(other / "raw", other / "processed")
    before = parquet_digest(other / "processed")
    # the working project (PEERBIB_PROJECT) holds the bundled corpus, not this one
    loaded = pb.load(other / "processed")
    assert sorted(loaded.works["doi"]) == ["10.1234/one", "10.1234/two"]
    pd.testing.assert_frame_equal(loaded.works, built.works)
    assert parquet_digest(other / "processed") == before
    # asking to judge them by another raw folder is an error that says what to do
    with pytest.raises(pb.BuildError, match="were built from .*elsewhere/raw"):
        pb.load(other / "processed", raw=project / "data" / "raw")
    assert parquet_digest(other / "processed") == before
    # a change in their own raw folder is seen, and rebuilds from there
    with open(other / "raw" / "corpus" / "mine.csv", "a", encoding="utf-8") as handle:
        handle.write("10.1234/three,A third,2022\n")
    assert len(pb.load(other / "processed").works) == 3


def test_the_recorded_raw_folder_is_found_again_after_the_project_moves(tmp_path):
    first = tmp_path / "first"
    (first / "data" / "raw" / "corpus").mkdir(parents=True)
    (first / "data" / "raw" / "corpus" / "c.csv").write_text("doi\n10.1234/one\n", encoding="utf-8")
    pb.build(first / "data" / "raw", first / "data" / "processed")
    moved = tmp_path / "moved"
    shutil.move(first, moved)
    processed = moved / "data" / "processed"
    before = parquet_digest(processed)
    assert not pb.tables.needs_build(processed=processed)  # found by its path relative to the tables
    assert parquet_digest(processed) == before
    (moved / "data" / "raw" / "corpus" / "c.csv").write_text("doi\n10.1234/one\n10.1234/two\n", encoding="utf-8")
    assert len(pb.load(processed).works) == 2


# --- 2. edges are found per record without touching the whole corpus ----------------------


class _NoIteration:
    """A corpus id collection that answers membership but refuses to be copied or iterated."""

    def __init__(self, ids):
        self._ids = frozenset(ids)

    def __contains__(self, item):
        return item in self._ids

    def __iter__(self):
        raise AssertionError("the whole corpus was iterated for one record")

    def __len__(self):
        return len(self._ids)


def test_citing_edges_look_up_each_reference_and_never_copy_the_corpus():
    """Was: citing_edges built set(queried) | set(corpus) for every record: quadratic in the data."""
    from peerbib.sources.openalex.records import cited_corpus_works

    corpus = _NoIteration(f"W{i}" for i in range(100_000))
    record = {"referenced_works": ["https://openalex.org/W5", "https://openalex.org/W999999999", "W7"]}
    assert cited_corpus_works(record, corpus, ["W5"]) == ["W5", "W7"]
    assert cited_corpus_works({"referenced_works": []}, corpus, ["W5"]) == ["W5"]  # one query, no list: that work
    assert cited_corpus_works({}, corpus, ["W5", "W6"]) == []


def test_snapshot_tables_build_the_corpus_set_once(api, tmp_path, monkeypatch):
    import peerbib.snapshot.read as read

    corpus, citing = citation_graph(30, 200, seed=3)
    api.add(corpus + citing)
    fetch([w["doi"] for w in corpus], snapshot=tmp_path / "snap", **FAST)
    seen = []
    original = read.cited_corpus_works
    monkeypatch.setattr(read, "cited_corpus_works", lambda record, wanted, queried=(): (
        seen.append(id(wanted)), original(record, wanted, queried))[1])
    tables = snapshot_tables(tmp_path / "snap")
    assert len(seen) >= 200 and len(set(seen)) == 1
    assert len(tables.citations) > 200


# --- 3. an interrupted refresh keeps every record the snapshot had ------------------------


def test_an_interrupted_refresh_keeps_the_complete_data_and_resumes(tmp_path):
    """Was: a refresh stopped by the credit budget left 130 of 630 works and 131 of 745 citations."""
    corpus, citing = citation_graph(60, 570, seed=21)
    dois = [w["doi"] for w in corpus]
    snap = tmp_path / "snap"
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        fake = FakeOpenAlex(corpus + citing).install(rsps)
        first = fetch(dois, snapshot=snap, workers=1, **FAST)
        complete = snapshot_tables(snap)
        full_refresh = first.requests
        fake.budget = fake.used + 4  # the day's credits run out four pages into the refresh
        with pytest.raises(pb.BudgetExhaustedError):
            fetch(dois, snapshot=snap, refresh=True, workers=1, **FAST)
        interrupted = snapshot_tables(snap)
        assert len(interrupted.works) == len(complete.works) == 630
        pd.testing.assert_frame_equal(interrupted.citations, complete.citations)
        pd.testing.assert_frame_equal(interrupted.works, complete.works)
        assert any("asked again and not finished; the older answer is kept" in line
                   for line in interrupted.incomplete)
        # the next refresh goes on where this one stopped instead of starting over
        fake.budget = None
        calls = len(fake.calls)
        resumed = fetch(dois, snapshot=snap, refresh=True, workers=1, **FAST)
        assert resumed.status == "complete"
        assert len(fake.calls) - calls < full_refresh
    final = snapshot_tables(snap)
    pd.testing.assert_frame_equal(final.citations, complete.citations)
    assert final.incomplete == []
    manifest = json.loads((snap / MANIFEST).read_text())
    assert manifest["pending"] == [] and manifest.get("refresh") is None
    listed = {p["file"] for q in manifest["queries"] for p in q["pages"]}
    assert listed == {p.relative_to(snap).as_posix() for p in (snap / "pages").rglob("*.gz")}


def test_a_query_asked_again_is_pending_until_it_finishes(api, tmp_path):
    api.add([make_work(1, cited_by_count=3)] + [make_work(10 + i, references=["W1"]) for i in range(3)])
    fetch(["10.5555/synthetic.1"], snapshot=tmp_path / "snap", **FAST)
    snap = Snapshot.open(tmp_path / "snap")
    old = [q for q in snap.queries() if q.kind == "cites"][0]
    entry = snap.start_query(old.key, {"kind": "cites", "role": "citing", "items": list(old.items)})
    assert entry.pending and snap.query(old.key) is old  # readers still see the old entry
    snap.add_page(entry, [], {"fetched_at": "now"}, run="test")
    assert snap.query(old.key) is old and len(snap.pending(old.key).pages) == 1
    # the entry names the query: the page added since is not lost by finishing through it
    done = snap.finish_query(entry, complete=True)
    assert snap.query(old.key) is done and snap.pending(old.key) is None
    assert done.complete and not done.pending and not done.has("pending") and len(done.pages) == 1


# --- 4. build and fetch do not trip over each other --------------------------------------------


def _snapshot_project(api, tmp_path) -> Path:
    corpus, citing = citation_graph(12, 40, seed=4)
    api.add(corpus + citing)
    raw = tmp_path / "raw"
    fetch([w["doi"] for w in corpus], snapshot=raw / "openalex", **FAST)
    return raw


def test_a_file_added_during_a_build_leaves_the_tables_stale(api, tmp_path, monkeypatch):
    """Was: the fingerprint was taken after reading, so the new file's tables were marked fresh."""
    import peerbib.tables.building as building

    raw = _snapshot_project(api, tmp_path)
    original = building.snapshot_tables

    def reading_then_a_new_file(folder):
        tables = original(folder)
        (raw / "corpus").mkdir(exist_ok=True)
        (raw / "corpus" / "late.csv").write_text("doi\n10.5555/synthetic.1000\n", encoding="utf-8")
        return tables

    monkeypatch.setattr(building, "snapshot_tables", reading_then_a_new_file)
    pb.build(raw, tmp_path / "processed")
    monkeypatch.setattr(building, "snapshot_tables", original)
    assert pb.tables.needs_build(raw, tmp_path / "processed")


def test_a_sweep_leaves_alone_the_pages_a_running_build_reads(api, tmp_path, monkeypatch):
    """Was: a fetch finishing during a build could delete page files the build was about to read."""
    import peerbib.tables.building as building

    raw = _snapshot_project(api, tmp_path)
    stray = raw / "openalex" / "pages" / "leftover" / "killed-run-00001.jsonl.gz"
    stray.parent.mkdir(parents=True)
    stray.write_bytes(b"not listed")
    original = building.snapshot_tables
    swept = []

    def sweep_while_reading(snapshot):
        swept.append(Snapshot.open(snapshot.folder).sweep())  # another process's fetch, finishing
        return original(snapshot)

    monkeypatch.setattr(building, "snapshot_tables", sweep_while_reading)
    pb.build(raw, tmp_path / "processed")
    assert swept == [None] and stray.exists()  # the sweep saw the build's lock and waited for another day
    assert Snapshot.open(raw / "openalex").sweep() == 1 and not stray.exists()


@pytest.mark.parametrize("exchange", [True, False], ids=["exchange", "two-renames"])
def test_the_processed_folder_is_never_missing_for_a_reader(project, monkeypatch, exchange):
    """Was: between the two os.replace calls of the swap the folder did not exist."""
    import os

    import peerbib.files as files

    pb.build()
    processed = project / "data" / "processed"
    if not exchange:
        monkeypatch.setattr(files, "exchange_dirs", lambda a, b: False)
    observed = []
    real_replace = os.replace

    def watching_replace(src, dst):
        real_replace(src, dst)
        if not processed.is_dir():
            # A reader would find no tables now, unless readers are locked out.
            observed.append(tables_read_lock(processed).try_acquire())

    monkeypatch.setattr(files.os, "replace", watching_replace)
    pb.build()
    assert observed == [] if exchange else observed and not any(observed)
    assert (processed / "works.parquet").is_file()


def test_two_builds_of_one_folder_run_one_after_the_other(project, monkeypatch):
    """Was: two builds wrote the same folder at once."""
    import peerbib.tables.building as building

    pb.build()
    inside = threading.Event()
    release = threading.Event()
    overlap = []
    active = []
    original = building._make_tables

    def slow(raw, snapshot):
        active.append(1)
        overlap.append(len(active))
        if len(overlap) == 1:
            inside.set()
            release.wait(10)
        try:
            return original(raw, snapshot)
        finally:
            active.pop()

    monkeypatch.setattr(building, "_make_tables", slow)
    first = threading.Thread(target=pb.build)
    first.start()
    assert inside.wait(10)
    second = threading.Thread(target=pb.build)
    second.start()
    second.join(0.5)
    assert second.is_alive()  # waiting for the first build's lock
    release.set()
    first.join(10)
    second.join(10)
    assert overlap == [1, 1]


# --- 5. a cursor that ends early is not complete --------------------------------------------------


def test_a_cursor_that_ends_before_the_count_is_stored_as_incomplete(api, tmp_path):
    """Was: 20 of 30 records were stored with complete=True."""
    target = make_work(1, cited_by_count=30)
    api.add([target] + [make_work(100 + i, references=["W1"]) for i in range(30)])
    api.cursor_fault = "early"
    summary = fetch([target["doi"]], snapshot=tmp_path / "snap", per_page=10, **FAST)
    manifest = json.loads((tmp_path / "snap" / MANIFEST).read_text())
    cites = [q for q in manifest["queries"] if q["kind"] == "cites"][0]
    assert cites["complete"] is False and cites["short"] == {"received": 10, "count": 30}
    assert summary.incomplete and "cites:W1" in summary.incomplete[0]
    assert any("ended after 10 of the 30" in line for line in snapshot_tables(tmp_path / "snap").incomplete)
    # the next fetch asks it again, and keeps the 10 records until the new answer is whole
    api.cursor_fault = None
    calls = len(api.calls)
    again = fetch([target["doi"]], snapshot=tmp_path / "snap", per_page=10, **FAST)
    assert again.requests == 3 == len(api.calls) - calls and again.citing_works == 30
    assert snapshot_tables(tmp_path / "snap").incomplete == []


# --- 6. a DOI-less corpus row edited after its fetch keeps its work ----------------------------


def test_a_title_row_edited_after_its_match_stays_one_work_and_the_build_says_so(api, tmp_path):
    """Was: correcting a year turned ['W2'] into ['L0e77…', 'W2'] without a word."""
    api.add([make_work(2, doi=None, title="Peer workers in secure mental health services", year=2014)])
    raw = tmp_path / "raw"
    corpus_file = raw / "corpus" / "mine.csv"
    corpus_file.parent.mkdir(parents=True)
    corpus_file.write_text("doi,title,publication_year\n,Peer workers in secure mental health services,2013\n",
                           encoding="utf-8")
    fetch(pb.read_corpus(corpus_file), snapshot=raw / "openalex", citing=False, **FAST)
    assert list(pb.build(raw, tmp_path / "processed").works["work_id"]) == ["W2"]
    corpus_file.write_text("doi,title,publication_year\n,Peer workers in secure mental health services,2014\n",
                           encoding="utf-8")
    with pytest.warns(UserWarning, match=r"mine\.csv line 2 changed since `peerbib fetch` matched it to W2"):
        tables = pb.build(raw, tmp_path / "processed")
    assert list(tables.works["work_id"]) == ["W2"]
    assert tables.works.loc[0, "source"] == "openalex+corpus" and tables.works.loc[0, "publication_year"] == 2014
    assert any("changed since" in w for w in tables.warnings)
    # a row changed beyond recognition is not merged, and the build says which match lost its row
    corpus_file.write_text("doi,title,publication_year\n,Something else entirely,2014\n", encoding="utf-8")
    with pytest.warns(UserWarning, match="W2 was matched to a corpus row that is no longer in the corpus"):
        tables = pb.build(raw, tmp_path / "processed")
    assert len(tables.works) == 2


def test_a_listing_row_edited_after_its_match_stays_one_work(api, tmp_path):
    abstract = ("Purpose This paper explores how peer support workers build relationships with service users "
                "in community mental health teams across three English sites over two years of fieldwork.")
    api.add([make_work(3, doi=None, title="Relationships and peer support", year=2016,
                       authors=("Jo Carter", "Sam Lee"), abstract=abstract)])
    raw = tmp_path / "raw"
    corpus_file = raw / "corpus" / "listing.csv"
    corpus_file.parent.mkdir(parents=True)
    row = f'doi,title,authors,publication_year,abstract\n,,"Carter, J.; Lee, S.",2016,"{abstract}"\n'
    corpus_file.write_text(row, encoding="utf-8")
    fetch(pb.read_corpus(corpus_file), snapshot=raw / "openalex", citing=False, **FAST)
    corpus_file.write_text(row.replace("Lee, S.", "Lee, Sam"), encoding="utf-8")
    with pytest.warns(UserWarning, match="changed since"):
        tables = pb.build(raw, tmp_path / "processed")
    assert list(tables.works["work_id"]) == ["W3"]


# --- 7. pyalex builds the requests -----------------------------------------------------------


def test_the_requests_sent_are_the_urls_pyalex_builds(api, tmp_path):
    from pyalex import Works

    from peerbib.sources.openalex.queries import CITING_FIELDS, WORK_FIELDS

    corpus, citing = citation_graph(3, 5, seed=1)
    api.add(corpus + citing)
    fetch([w["doi"] for w in corpus], snapshot=tmp_path / "snap", **FAST)
    dois = sorted(w["doi"].rsplit("doi.org/", 1)[1] for w in corpus)
    expected_doi = Works().filter_or(doi=dois).select(list(WORK_FIELDS)).url
    sent = [c["url"].replace("%7C", "|") for c in api.calls]  # requests encodes the bars pyalex leaves
    assert any(url.startswith(expected_doi + "&per-page=") for url in sent)
    cited = sorted({w["id"].rsplit("/", 1)[1] for w in corpus if w["cited_by_count"]})
    expected_cites = Works().filter_or(cites=cited).select(list(CITING_FIELDS)).url
    assert any(url.startswith(expected_cites + "&per-page=100&cursor=") for url in sent)


def test_every_declared_dependency_is_imported_by_peerbib():
    """Was: pyalex was declared but nothing imported it."""
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    imported = set()
    for path in (REPO / "peerbib").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                imported.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                imported.add(node.module.split(".")[0])
    # distribution name -> import name, where they differ; the notebook stack is used through nbclient/jupyter
    import_names = {"scikit-learn": "sklearn", "pyarrow": "pandas", "jupyterlab": None, "ipykernel": None}
    for requirement in project["dependencies"]:
        name = re.split(r"[<>=!~ \[;]", requirement, maxsplit=1)[0].strip().lower()
        module = import_names.get(name, name)
        if module is None:
            continue  # the kernel and lab the notebooks run in: started, not imported
        assert module in imported, f"{name} is declared in pyproject.toml but peerbib never imports {module}"


# --- 8. loose ends ----------------------------------------------------------------------------


def test_every_error_class_is_exported_once_and_each_openalex_failure_has_its_own():
    assert len(errors.__all__) == len(set(errors.__all__))
    defined = {name for name, value in vars(errors).items()
               if inspect.isclass(value) and issubclass(value, Exception) and value.__module__ == errors.__name__}
    assert defined == set(errors.__all__)
    for name in errors.__all__:
        assert getattr(pb, name) is getattr(errors, name) and name in pb.__all__
    kinds = [pb.OpenAlexAuthError, pb.BudgetExhaustedError, pb.OpenAlexRequestError, pb.OpenAlexNotFoundError,
             pb.OpenAlexUnavailableError, pb.OpenAlexPagingError]
    assert all(issubclass(kind, pb.OpenAlexError) for kind in kinds)
    assert all(not issubclass(a, b) for a in kinds for b in kinds if a is not b)


@pytest.mark.parametrize("status, kind", [(400, "OpenAlexRequestError"), (422, "OpenAlexRequestError"),
                                          (503, "OpenAlexUnavailableError")])
def test_400_and_exhausted_retries_raise_different_classes(api, tmp_path, status, kind):
    api.add([make_work(1)])
    api.fail(status, times=20, message="injected")
    with pytest.raises(getattr(pb, kind)) as caught:
        fetch(["10.5555/synthetic.1"], snapshot=tmp_path / "snap", max_retries=2, **FAST)
    assert caught.value.status == status


def test_a_required_record_that_is_not_there_is_not_found(api):
    from peerbib.settings import FetchSettings
    from peerbib.sources.openalex.client import OpenAlexClient
    from peerbib.sources.openalex.queries import work_query

    client = OpenAlexClient(TEST_KEY, settings=FetchSettings(max_rate=0, sleep=lambda s: None))
    with pytest.raises(pb.OpenAlexNotFoundError) as caught:
        client.get_json(work_query("W404").page_url())
    assert caught.value.status == 404
    assert client.get_json(work_query("W404").page_url(), allow_404=True).status == 404


def test_fetch_flags_are_made_from_the_settings_and_agree_with_their_defaults():
    from dataclasses import fields

    from peerbib.cli import _parser
    from peerbib.settings import FetchSettings, settings_from_args

    parser = _parser()
    args = parser.parse_args(["fetch"])
    assert settings_from_args(args) == {}  # nothing given: the settings' own defaults apply
    fetch_parser = parser._subparsers._group_actions[0].choices["fetch"]
    # an old name of a renamed setting (settings.OLD_NAMES) is a hidden flag with the same dest
    flags = {a.dest: a for a in fetch_parser._actions if a.help != argparse.SUPPRESS}
    for item in fields(FetchSettings):
        if item.metadata["cli"]:
            assert item.name in flags, item.name
            if item.default is not None:
                assert f"(default: {item.default})" in flags[item.name].help
    given = parser.parse_args(["fetch", "--per-page", "50", "--no-title-match", "--max-citing", "7"])
    assert settings_from_args(given) == {"per_page": 50, "title_match": False, "max_citing": 7}
    assert FetchSettings(**settings_from_args(given)).per_page == 50


def test_the_key_is_never_a_command_line_argument(capsys):
    from peerbib import cli

    with pytest.raises(SystemExit) as caught:
        cli.main(["fetch", "--api-key", "abc"])
    assert caught.value.code == 2
    assert "unrecognized arguments: --api-key" in capsys.readouterr().err
    fetch_parser = cli._parser()._subparsers._group_actions[0].choices["fetch"]
    assert "--ask-key" in fetch_parser.format_help()


def test_ask_key_prompts_and_the_key_reaches_the_request(api, project, monkeypatch, capsys):
    from peerbib import cli

    api.add([make_work(1)])
    monkeypatch.delenv("OPENALEX_API_KEY", raising=False)
    monkeypatch.setattr("getpass.getpass", lambda prompt: TEST_KEY + "\n")
    assert cli.main(["fetch", "10.5555/synthetic.1", "--ask-key", "--no-progress", "--no-citing",
                     "--max-rate", "0"]) == 0
    assert api.calls and all(c["auth"] == f"Bearer {TEST_KEY}" for c in api.calls)
    assert TEST_KEY not in capsys.readouterr().out


def test_every_plot_takes_ax_as_a_keyword_only_argument():
    plots = [name for name in pb.__all__ if name.startswith("plot_")]
    assert len(plots) >= 5
    for name in plots:
        parameter = inspect.signature(getattr(pb, name)).parameters["ax"]
        assert parameter.kind is inspect.Parameter.KEYWORD_ONLY and parameter.default is None, name


def test_no_docstring_or_comment_points_outside_the_repository():
    outside = re.compile(r"\.\./shared|PRODUCT\.md|OPENALEX_NOTES|TOOLING_NOTES|STYLE\.md")
    found = [f"{path.relative_to(REPO)}:{n}" for path in (REPO / "peerbib").rglob("*.py")
             for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if outside.search(line)]
    assert found == []


def test_report_kernels_get_no_secrets(project, monkeypatch, tmp_path):
    from peerbib.reporting import execute_notebook, kernel_env

    monkeypatch.setenv("OPENALEX_API_KEY", "SECRET-openalex-value")
    monkeypatch.setenv("S2_API_KEY", "SECRET-s2-value")
    monkeypatch.setenv("SOME_SERVICE_TOKEN", "SECRET-token-value")
    env = kernel_env()
    assert not any("SECRET" in value for value in env.values())
    assert env["PATH"] and env["PEERBIB_PROJECT"]
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "import os; print(sorted(v for v in os.environ.values() if 'SECRET' in v))")])
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path = tmp_path / "env.ipynb"
    nbformat.write(notebook, path)
    executed = execute_notebook(path, timeout=120)
    assert executed.cells[0].outputs[0]["text"].strip() == "[]"


# --- the layout ------------------------------------------------------------------------------------

# The pipeline's stages in order. A module may import from its own stage, the
# ground, and earlier stages only.
STAGES = ["corpus", "sources", "snapshot", "statements", "tables", "analysis", "reporting", "cli"]
GROUND = {"errors", "settings", "ids", "paths", "files", "ownership", "own_files", "deprecation", "project"}


def _stage(module: str) -> str | None:
    parts = module.split(".")
    if parts[0] != "peerbib" or len(parts) == 1:
        return None
    return parts[1]


def _imports(path: Path, module: str):
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
                names = [target] if node.module else [f"{target}.{a.name}" for a in node.names]
            else:
                names = [node.module or ""]
            yield from names
        elif isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)


def test_no_module_imports_from_a_later_pipeline_stage():
    order = {stage: i for i, stage in enumerate(STAGES)}
    problems = []
    for path in sorted((REPO / "peerbib").rglob("*.py")):
        relative = path.relative_to(REPO).with_suffix("")
        module = ".".join(relative.parts[:-1] if path.name == "__init__.py" else relative.parts)
        mine = _stage(module)
        if mine is None or mine == "__main__":
            continue
        for target in _imports(path, module):
            theirs = _stage(target)
            if theirs is None or theirs == mine or theirs in GROUND or theirs == "__init__":
                continue
            if mine in GROUND:
                if theirs != "__version__":  # the ground imports no stage
                    problems.append(f"{module} imports {target}")
            elif theirs in order and order[theirs] > order[mine]:
                problems.append(f"{module} imports {target}")
    assert problems == []


def test_peerbib_holds_no_test_only_code():
    found = [f"{path.relative_to(REPO)}:{n}" for path in (REPO / "peerbib").rglob("*.py")
             for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
             if re.search(r"def _?synthetic|class Fake|tests? and benchmarks only|for tests only", line,
                          re.IGNORECASE)]
    assert found == []


def test_the_installed_package_is_every_subpackage():
    """`pip install .` must ship peerbib.tables, peerbib.sources.openalex, ... not only peerbib."""
    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    present = {".".join(p.parent.relative_to(REPO).parts) for p in (REPO / "peerbib").rglob("__init__.py")}
    assert present <= set(config["packages"]) and "peerbib.sources.openalex" in present


# --- copies: a citing work in several cites: batches is stored in full once ------------------------


def _expected_edges(corpus, citing):
    corpus_ids = {w["id"].rsplit("/", 1)[1] for w in corpus}
    return {(c["id"].rsplit("/", 1)[1], r.rsplit("/", 1)[1]) for c in citing for r in c["referenced_works"]
            if r.rsplit("/", 1)[1] in corpus_ids}


def test_a_work_in_several_batches_is_stored_in_full_once_and_read_unparsed_after(api, tmp_path):
    corpus, citing = citation_graph(250, 900, seed=8, max_refs=6)  # 3 cites: batches; many works in two or more
    api.add(corpus + citing)
    summary = fetch([w["doi"] for w in corpus], snapshot=tmp_path / "snap", **FAST)
    manifest = json.loads((tmp_path / "snap" / MANIFEST).read_text())
    cites = [q for q in manifest["queries"] if q["kind"] == "cites"]
    assert len(cites) == 3
    snap = Snapshot.open(tmp_path / "snap")
    stored = [w for q in cites for page in q["pages"] for w in snap.page_ids(Page.from_json(page))]
    copies = [w for q in cites for page in q["pages"] for w in (page.get("copies") or {}).get("ids", [])]
    assert copies, "the graph puts works in several batches"
    assert len(stored) == len(set(stored)) == summary.citing_works  # each work in full once
    assert set(copies) <= set(stored)
    assert sum(q["records"] for q in cites) == len(stored) + len(copies)  # every answer is still kept
    tables = snapshot_tables(tmp_path / "snap")
    assert set(map(tuple, tables.citations.to_numpy())) == _expected_edges(corpus, citing)
    assert summary.citations == len(tables.citations)


def test_a_copy_whose_full_record_is_gone_is_read_from_its_own_file(api, tmp_path):
    corpus, citing = citation_graph(250, 900, seed=8, max_refs=6)
    api.add(corpus + citing)
    fetch([w["doi"] for w in corpus], snapshot=tmp_path / "snap", **FAST)
    whole = snapshot_tables(tmp_path / "snap")
    # The query holding the full records is replaced by an answer without them (say, OpenAlex
    # changed): its pages are emptied here, as if the new answer had none of those works.
    path = tmp_path / "snap" / MANIFEST
    manifest = json.loads(path.read_text())
    snap = Snapshot.open(tmp_path / "snap")
    copied = {w for q in manifest["queries"] for p in q["pages"] for w in (p.get("copies") or {}).get("ids", [])}
    owner = next(q for q in manifest["queries"] if q["kind"] == "cites"
                 and copied & {w for page in q["pages"] for w in snap.page_ids(Page.from_json(page))})
    held = {w for page in owner["pages"] for w in snap.page_ids(Page.from_json(page))}
    orphans = held & copied
    assert orphans
    from peerbib.snapshot.store import encode_page
    from peerbib.files import atomic_write

    for page in owner["pages"]:
        page["sha256"] = atomic_write(tmp_path / "snap" / page["file"], encode_page([]))
        page["records"] = 0
    path.write_text(json.dumps(manifest), encoding="utf-8")
    tables = snapshot_tables(tmp_path / "snap")
    works = tables.works.set_index("work_id")
    assert orphans <= set(works.index)  # still there, read from the copies
    assert works.loc[sorted(orphans)[0], "title"] == whole.works.set_index("work_id").loc[sorted(orphans)[0],
                                                                                               "title"]


def test_a_damaged_copies_file_makes_its_query_fetched_again(api, tmp_path):
    corpus, citing = citation_graph(250, 900, seed=8, max_refs=6)
    api.add(corpus + citing)
    dois = [w["doi"] for w in corpus]
    fetch(dois, snapshot=tmp_path / "snap", **FAST)
    before = snapshot_tables(tmp_path / "snap")
    manifest = json.loads((tmp_path / "snap" / MANIFEST).read_text())
    page = next(p for q in manifest["queries"] for p in q["pages"] if p.get("copies"))
    (tmp_path / "snap" / page["copies"]["file"]).write_bytes(b"damaged")
    with pytest.raises(pb.SnapshotError, match="copies.jsonl.gz is missing or does not match its sha256"):
        snapshot_tables(tmp_path / "snap")
    calls = len(api.calls)
    again = fetch(dois, snapshot=tmp_path / "snap", **FAST)
    assert again.requests > 0 and len(api.calls) > calls
    after = snapshot_tables(tmp_path / "snap")
    pd.testing.assert_frame_equal(after.citations, before.citations)
    assert len(after.works) == len(before.works)


def test_a_refresh_keeps_a_batch_of_another_corpus_that_shares_a_work(api, tmp_path):
    """Was: refreshing corpus A dropped corpus B's cites: batch [W1, W9] because W1 is also A's."""
    api.add([make_work(1, cited_by_count=1), make_work(2, cited_by_count=1), make_work(9, cited_by_count=1),
             make_work(11, references=["W1"]), make_work(12, references=["W2"]), make_work(19, references=["W9"])])
    snap = tmp_path / "snap"
    fetch(["10.5555/synthetic.1", "10.5555/synthetic.9"], snapshot=snap, **FAST)  # corpus B
    fetch(["10.5555/synthetic.1", "10.5555/synthetic.2"], snapshot=snap, **FAST)  # corpus A
    before = set(map(tuple, snapshot_tables(snap).citations.to_numpy()))
    assert before == {("W11", "W1"), ("W12", "W2"), ("W19", "W9")}
    fetch(["10.5555/synthetic.1", "10.5555/synthetic.2"], snapshot=snap, refresh=True, **FAST)
    assert set(map(tuple, snapshot_tables(snap).citations.to_numpy())) == before


def test_no_test_reads_outside_the_repository():
    """A user's clone has no ../shared: every fixture a test reads is in tests/fixtures/."""
    outside = re.compile(r"REPO\.parent|parents\[2\]|[\"']\.\./|[\"']shared[\"']\s*/")
    found = [f"{path.relative_to(REPO)}:{n}" for path in sorted((REPO / "tests").rglob("*.py"))
             for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if outside.search(line)]
    assert found == []
