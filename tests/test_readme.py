"""The README's Python examples run as written, on a copy of the bundled project.

Every fenced ``python`` block of README.md runs in a fresh namespace, from the
root of a throw-away copy of the project (the ``project`` fixture), with
FutureWarning and DeprecationWarning raised as errors, so an example that
stopped working, or works only with a warning, fails here. A block whose
first line is ``# not run by the tests: <why>`` is skipped, saying why (it
needs the network, or files the bundled project does not have).
"""
from __future__ import annotations

import re
import warnings
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"
BLOCK = re.compile(r"^```python\n(.*?)^```", re.M | re.S)
SKIP = "# not run by the tests: "


def readme_blocks():
    text = README.read_text(encoding="utf-8")
    for match in BLOCK.finditer(text):
        line = text.count("\n", 0, match.start(1)) + 1
        code = match.group(1)
        marks = [pytest.mark.notebooks] if "pb.report(" in code else []  # executes the notebooks
        yield pytest.param(code, line, id=f"README.md:{line}", marks=marks)


def test_the_readme_has_examples_that_run():
    blocks = [param.values[0] for param in readme_blocks()]
    assert len(blocks) >= 3
    assert sum(not code.startswith(SKIP) for code in blocks) >= 2
    # a skipped block says why, in its first line, and only a whole block is skipped
    assert all(code.splitlines()[0][len(SKIP):].strip() for code in blocks if code.startswith(SKIP))
    assert all(SKIP not in code.split("\n", 1)[1] for code in blocks)


@pytest.mark.parametrize("code, line", list(readme_blocks()))
def test_readme_python_block_runs(code, line, project, monkeypatch):
    if code.startswith(SKIP):
        pytest.skip(code.splitlines()[0][len(SKIP):].strip())
    import matplotlib.pyplot as plt

    monkeypatch.chdir(project)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", FutureWarning)
            warnings.simplefilter("error", DeprecationWarning)
            exec(compile(code, f"README.md, block at line {line}", "exec"), {"__name__": "__readme__"})
    finally:
        plt.close("all")
