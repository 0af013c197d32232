"""Shared fixtures.

``project`` is a throw-away copy of a peerbib project (data/raw and notebooks)
in a temporary folder, with PEERBIB_PROJECT pointing at it, so tests never
write into the checkout.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import matplotlib
import pytest

# Library plot tests draw off-screen. Set here, in the pytest process only:
# MPLBACKEND in the environment would reach notebook kernels and remove figures.
matplotlib.use("Agg")

REPO = Path(__file__).resolve().parents[1]
SEEDS = REPO / "tests" / "fixtures" / "seeds"  # copies of ../shared/seeds: see SOURCES.md there


@pytest.fixture
def project(tmp_path, monkeypatch):
    root = tmp_path / "project"
    shutil.copytree(REPO / "data" / "raw", root / "data" / "raw")
    shutil.copytree(REPO / "notebooks", root / "notebooks", ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    monkeypatch.setenv("PEERBIB_PROJECT", str(root))
    return root


@pytest.fixture
def write(tmp_path):
    """write(name, text) -> Path of a new file in tmp_path."""

    def _write(name: str, text: str) -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return path

    return _write


@pytest.fixture
def api():
    """The fake OpenAlex of ``fixtures/openalex.py`` (SYNTHETIC works), answering every
    request to api.openalex.org / content.openalex.org through ``responses``."""
    import responses
    from fixtures.openalex import FakeOpenAlex

    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        fake = FakeOpenAlex()
        fake.install(rsps)
        yield fake
