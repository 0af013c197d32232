"""Which notebooks a report runs: the folder, ``only``, and the pages of an earlier run that must run again.

``.pages.json`` in the reports folder records how each page was made (the raw
data's fingerprint and the options), so that a run with ``only`` keeps the
other pages only when they were made from the same data and options.
"""
from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path

from ..errors import ReportError
from ..ownership import REPORT_FILES, REPORTS_FOLDER
from ..paths import project_path
from ..project import shipped_notebooks
from ..settings import NOTEBOOKS

__all__ = ["notebooks_to_run", "read_pages", "with_stale_pages", "keep_pages", "PAGES"]

logger = logging.getLogger("peerbib")

PAGES = REPORTS_FOLDER.marker  # how each page was made: the raw data's fingerprint and the options


def notebooks_to_run(notebooks, only) -> tuple[list[Path], list[Path]]:
    """Every notebook of the folder, in name order, and those to run (all, or those ``only`` names).

    ``notebooks`` None means the project's ``notebooks/`` when it holds any,
    else the notebooks shipped with peerbib.
    """
    notebooks_dir = project_path(NOTEBOOKS if notebooks is None else notebooks)
    if notebooks is None and not any(notebooks_dir.glob("*.ipynb")):
        notebooks_dir = shipped_notebooks()
    every = sorted(notebooks_dir.glob("*.ipynb"))
    paths = _select(every, only)
    if not paths:
        raise ReportError(f"no notebooks in {notebooks_dir}")
    return every, paths


def _select(paths: list[Path], only) -> list[Path]:
    if not only:
        return paths
    chosen = []
    for name in only:
        stem = Path(name).stem
        found = [p for p in paths if p.stem == stem or p.stem.startswith(stem + "_") or p.stem.split("_")[0] == stem]
        if not found:
            raise ReportError(f"no notebook {name!r}; the notebooks are: {', '.join(p.stem for p in paths)}")
        chosen += [p for p in found if p not in chosen]
    return [p for p in paths if p in chosen]


def read_pages(out: Path) -> dict:
    """How each page in ``out`` was made, by notebook stem ({} when unknown)."""
    try:
        return json.loads((out / PAGES).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def with_stale_pages(every: list[Path], paths: list[Path], pages: dict, made_with: dict, out: Path) -> list[Path]:
    """``paths`` and the notebooks whose page in ``out`` was made from other data or options, in name order."""
    # a page kept from an earlier run must come from the same data and options, or the folder would
    # mix them (blind screening would show labels on the pages not run again): run those again too
    stale = [p for p in every if p not in paths and pages.get(p.stem) != made_with
             and (out / f"{p.stem}.html").is_file()]
    for path in stale:
        logger.warning("peerbib report: %s was made from other data or options: running it again too", path.stem)
    return [p for p in every if p in paths or p in stale]


def keep_pages(out: Path, staging: Path, every: list[Path], pages: dict, run: list[Path]) -> dict:
    """Copy the pages not ``run`` again (those of notebooks that still exist), with their files, into
    ``staging``; how they were made."""
    if out.is_dir():
        names = {p.stem for p in every if p not in run}
        for page in out.glob("*.html"):
            if page.stem in names:
                shutil.copy2(page, staging / page.name)
                files = out / REPORT_FILES / page.stem
                if REPORTS_FOLDER.is_own_subfolder(out / REPORT_FILES) and files.is_dir():
                    # its figures and tables; the check above found no link, and a link made since is
                    # copied as a link, never followed
                    shutil.copytree(files, staging / REPORT_FILES / page.stem, symlinks=True)
    return {stem: meta for stem, meta in pages.items() if (staging / f"{stem}.html").is_file()}
