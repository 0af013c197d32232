"""The peerbib command: one-line errors, non-zero exit, nothing written on failure."""
from __future__ import annotations

import hashlib
import os
import subprocess
import sys


def run(project, *args):
    env = dict(os.environ, PEERBIB_PROJECT=str(project))
    return subprocess.run([sys.executable, "-m", "peerbib", *args], cwd=project, env=env,
                          capture_output=True, text=True, timeout=300)


def digest(folder):
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def test_build_prints_table_sizes(project):
    result = run(project, "build")
    assert result.returncode == 0, result.stderr
    assert "works 30" in result.stdout and "statements 4" in result.stdout


def test_bad_doi_exits_nonzero_with_file_line_reason_and_writes_nothing(project):
    assert run(project, "build").returncode == 0
    processed = project / "data" / "processed"
    before = digest(processed)
    (project / "data" / "raw" / "corpus" / "mine_corpus.csv").write_text(
        "doi,title\n10.1234/fine,Fine\n10.12/short,Bad prefix\n", encoding="utf-8")
    result = run(project, "build")
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "mine_corpus.csv, line 3: malformed DOI '10.12/short'" in lines[0]
    assert "Traceback" not in result.stderr
    assert digest(processed) == before


def test_build_on_a_corpus_file(project, tmp_path):
    corpus = tmp_path / "list.csv"
    corpus.write_text("doi\n10.1234/abcd\n", encoding="utf-8")
    result = run(project, "build", "--raw", str(corpus), "--processed", str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "out" / "works.parquet").is_file()


def test_version_and_help(project):
    assert run(project, "--version").stdout.startswith("peerbib ")
    assert "report" in run(project, "--help").stdout
