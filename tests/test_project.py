"""A project of one's own: `peerbib init`, the shipped notebooks, a corpus of database exports end to end,
notebooks that say what a thin corpus lacks, and files written with ordinary permissions."""
from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
import sys
import tomllib
from html import unescape
from pathlib import Path

import pandas as pd
import pytest

import peerbib as pb
from conftest import REPO
from peerbib.cli import main
from peerbib.project import shipped_notebooks

EXPORTS = REPO / "tests" / "fixtures" / "exports"


def _text(page: Path) -> str:
    """A rendered report as the words a reader sees."""
    html = page.read_text(encoding="utf-8")
    html = re.sub(r"<(style|script)\b.*?</\1>", " ", html, flags=re.S | re.I)
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)))


# --- peerbib init ----------------------------------------------------------------------------------


def test_init_makes_a_project_with_the_shipped_notebooks(tmp_path, capsys):
    assert main(["init", str(tmp_path / "mylit")]) == 0
    root = tmp_path / "mylit"
    assert (root / "data" / "raw" / "corpus").is_dir()
    shipped = sorted(p.name for p in shipped_notebooks().glob("*.ipynb"))
    assert shipped == sorted(p.name for p in (REPO / "notebooks").glob("*.ipynb"))
    assert sorted(p.name for p in (root / "notebooks").glob("*.ipynb")) == shipped
    for name in shipped:
        assert (root / "notebooks" / name).read_bytes() == (shipped_notebooks() / name).read_bytes()
    readme = (root / "README.md").read_text(encoding="utf-8")
    assert "data/raw/corpus/" in readme and "peerbib fetch" in readme and "peerbib report" in readme
    assert "data/processed/" in (root / ".gitignore").read_text(encoding="utf-8")
    out = capsys.readouterr().out
    assert "copy your database exports into" in out and str(root / "data" / "raw" / "corpus") in out


def test_init_again_adds_what_is_missing_and_keeps_what_you_edited(tmp_path):
    root = tmp_path / "mylit"
    pb.init_project(root)
    edited = root / "notebooks" / "01_publication_years.ipynb"
    edited.write_text(edited.read_text(encoding="utf-8").replace("How has", "How did"), encoding="utf-8")
    (root / "notebooks" / "03_topic_clusters.ipynb").unlink()
    (root / "README.md").write_text("my notes\n", encoding="utf-8")
    again = pb.init_project(root)
    assert again.created == [root / "notebooks" / "03_topic_clusters.ipynb"]
    assert again.kept == [edited]
    assert "How did" in edited.read_text(encoding="utf-8")
    assert (root / "README.md").read_text(encoding="utf-8") == "my notes\n"
    assert any("kept" in line and "01_publication_years" in line for line in again.lines())


def test_init_on_a_file_is_a_clear_error(tmp_path, capsys):
    target = tmp_path / "notes.txt"
    target.write_text("x", encoding="utf-8")
    assert main(["init", str(target)]) == 1
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "is a file" in err
    assert target.read_text(encoding="utf-8") == "x"


def test_report_runs_the_shipped_notebooks_when_the_project_has_none(tmp_path, monkeypatch):
    root = tmp_path / "mylit"
    pb.init_project(root)
    shutil.rmtree(root / "notebooks")
    shutil.copy(EXPORTS / "scopus_peer.csv", root / "data" / "raw" / "corpus")
    monkeypatch.setenv("PEERBIB_PROJECT", str(root))
    paths = pb.report()
    assert [p.name for p in paths] == [f"{p.stem}.html" for p in sorted(shipped_notebooks().glob("*.ipynb"))] + [
        "index.html"]
    assert not (root / "notebooks").exists()


# --- a corpus of one's own, from the command line, outside the clone -------------------------------


def test_own_literature_end_to_end_outside_the_clone(tmp_path):
    """The README's "Study your own literature": init, a Scopus and a Web of Science export of
    overlapping searches, report. Run as a user would, with the installed `peerbib` in a folder
    that is not the clone (in CI the package is installed from a wheel, so the notebooks must
    ship inside it)."""
    env = {k: v for k, v in os.environ.items() if k not in ("PEERBIB_PROJECT", "MPLBACKEND")}
    run = dict(cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    made = subprocess.run([sys.executable, "-m", "peerbib", "init", "mylit"], **run)
    assert made.returncode == 0, made.stderr
    project = tmp_path / "mylit"
    for name in ("scopus_peer.csv", "wos_peer.txt"):
        shutil.copy(EXPORTS / name, project / "data" / "raw" / "corpus")
    run["cwd"] = project / "notebooks"  # any folder of the project will do
    reported = subprocess.run([sys.executable, "-m", "peerbib", "report"], **run)
    assert reported.returncode == 0, reported.stderr
    assert str(REPO) not in reported.stdout

    works = pd.read_parquet(project / "data" / "processed" / "works.parquet")
    corpus = works[works["is_corpus"]]
    scopus = pb.read_corpus(EXPORTS / "scopus_peer.csv")
    wos = pb.read_corpus(EXPORTS / "wos_peer.txt")
    dois = set(scopus["doi"].dropna()) | set(wos["doi"].dropna())
    both = set(scopus["doi"].dropna()) & set(wos["doi"].dropna())
    assert both, "the samples overlap"
    assert len(corpus) == len(dois) and set(corpus["doi"]) == dois
    merged = corpus[corpus["doi"].isin(both)]
    assert merged["corpus_files"].str.contains("scopus_peer.csv").all()
    assert merged["corpus_files"].str.contains("wos_peer.txt").all()

    reports = project / "reports"
    first = _text(reports / "01_publication_years.html")
    duplicates = len(scopus) + len(wos) - len(dois)
    assert f"{len(scopus) + len(wos)} records in 2 files, {len(dois)} works ({duplicates} duplicate records merged)" \
        in reported.stdout
    assert f"{len(dois)} corpus works" in first
    assert "scopus_peer.csv (Scopus CSV" in first and "wos_peer.txt (Web of Science plain text" in first
    assert f"{duplicates} duplicate record" in first
    assert "seed" not in first.lower()  # the introduction describes this corpus, not the bundled one
    for title in scopus["title"].dropna():
        assert title[:30] in first
    for page in reports.glob("*.html"):
        text = _text(page)
        assert "Traceback" not in text and "Error" not in text, page.name
        assert "nan to nan" not in text


# --- a thin corpus: DOIs only, before a fetch ------------------------------------------------------


def test_a_doi_only_corpus_reports_what_it_lacks(tmp_path, monkeypatch):
    root = tmp_path / "dois"
    pb.init_project(root)
    (root / "data" / "raw" / "corpus" / "dois.csv").write_text(
        "doi\n10.1111/hex.13151\nhttps://doi.org/10.1186/1472-6963-13-188\n10.1007/s10597-015-9843-y.\n",
        encoding="utf-8")
    monkeypatch.setenv("PEERBIB_PROJECT", str(root))
    pb.report()
    first = _text(root / "reports" / "01_publication_years.html")
    assert "3 corpus works" in first and "0 of 3 have a title" in first
    assert "No corpus work has a publication year yet: run peerbib fetch for titles" in first
    assert "nan to nan" not in first and "dated works from" not in first
    clusters = _text(root / "reports" / "03_topic_clusters.html")
    assert "The works cannot be clustered: only 0 of 3 works have an abstract or title" in clusters
    assert "run peerbib fetch for titles" in clusters
    # nothing was drawn on empty axes: the pages with nothing to show have no figure
    for name in ("01_publication_years", "03_topic_clusters"):
        page = (root / "reports" / f"{name}.html").read_text(encoding="utf-8")
        assert not re.search(r'<img[^>]+src="data:image/png;base64,', page), name
    assert not (root / "data" / "processed" / "clusters.parquet").exists()


# --- permissions -----------------------------------------------------------------------------------


@pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")
@pytest.mark.parametrize("umask", [0o022, 0o002])
def test_files_and_folders_follow_the_umask(tmp_path, umask):
    old = os.umask(umask)
    try:
        root = tmp_path / "proj"
        pb.init_project(root)
        shutil.copy(EXPORTS / "scopus_peer.csv", root / "data" / "raw" / "corpus")
        pb.build(root / "data" / "raw", root / "data" / "processed")
        made = [root / "data" / "processed", *(root / "data" / "processed").iterdir(),
                root / "notebooks", *(root / "notebooks").iterdir(), root / "README.md"]
        for path in made:
            want = (0o777 if path.is_dir() else 0o666) & ~umask
            assert stat.S_IMODE(path.stat().st_mode) == want, f"{path}: {oct(path.stat().st_mode)}"
    finally:
        os.umask(old)


# --- packaging -------------------------------------------------------------------------------------


def test_the_notebooks_are_package_data():
    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    assert config["package-dir"]["peerbib.notebooks"] == "notebooks"
    assert "peerbib.notebooks" in config["packages"]
    assert config["package-data"]["peerbib.notebooks"] == ["*.ipynb"]
    present = {".".join(p.parent.relative_to(REPO).parts) for p in (REPO / "peerbib").rglob("__init__.py")}
    assert present <= set(config["packages"]), "every subpackage is listed"


def test_fetch_reads_the_exports_of_a_project(tmp_path, monkeypatch, api):
    """`peerbib fetch` in a project fetches every work of its exports, merged across files, once.
    The OpenAlex records are SYNTHETIC (tests/fixtures/openalex.py), with the exports' DOIs."""
    from fixtures.openalex import make_work

    root = tmp_path / "mylit"
    pb.init_project(root)
    for name in ("scopus_peer.csv", "wos_peer.txt"):
        shutil.copy(EXPORTS / name, root / "data" / "raw" / "corpus")
    monkeypatch.setenv("PEERBIB_PROJECT", str(root))
    dois = sorted(set(pb.read_corpus(EXPORTS / "scopus_peer.csv")["doi"].dropna())
                  | set(pb.read_corpus(EXPORTS / "wos_peer.txt")["doi"].dropna()))
    api.add([make_work(i + 1, doi=doi, title=f"SYNTHETIC OpenAlex record {i + 1}", year=2015,
                       cited_by_count=1 if i < 2 else 0)
             for i, doi in enumerate(dois)]
            + [make_work(100, title="SYNTHETIC citing work", year=2024, references=["W1", "W2"])])
    summary = pb.fetch(api_key=api.api_key, progress=False, max_rate=0, sleep=lambda s: None)
    assert summary.works == len(dois)
    with pytest.warns(UserWarning, match="different years"):  # the samples disagree on one year, on purpose
        tables = pb.load()
    corpus = tables.works[tables.works["is_corpus"]]
    assert len(corpus) == len(dois) and (corpus["source"] == "openalex+corpus").all()
    text = pb.describe_corpus(tables)
    assert f"{len(dois)} of {len(dois)} were found in OpenAlex" in text and "Not fetched" not in text
    assert "1 work citing them" in text
