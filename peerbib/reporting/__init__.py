"""Reports: every notebook executed headless and rendered to a shareable HTML page, with an index.

All or nothing: the pages are written into a hidden folder beside
``reports/``, which replaces ``reports/`` only when every notebook ran; a
failure names the notebook and the cell and leaves the previous reports as
they were. Every page carries a provenance footer; the index summarises the
corpus, links each page with its question and key figure, and gives the
provenance in full.

The steps: which notebooks run (:mod:`.notebooks`), running one
(:mod:`.run`) and rendering its page (:mod:`.render`, with the footer of
:mod:`.provenance`), and the index page (:mod:`.index`). Progress and
warnings are logged (logger ``peerbib``), not printed.
"""
from __future__ import annotations

import json
import logging
import os
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from ..files import atomic_write_text
from ..ownership import REPORT_FILES as FILES, REPORTS_FOLDER, check_output, check_replaceable, replacing
from ..paths import project_path, project_root
from ..settings import CELL_TIMEOUT, PROCESSED, RAW, REPORTS
from .index import index_html
from .notebooks import PAGES, keep_pages, notebooks_to_run, read_pages, with_stale_pages
from .provenance import command, footer_html, provenance
from .render import render_html, stderr_messages
from .run import HIDE_LABELS_ENV, LABEL_TAG, execute_notebook, kernel_env

__all__ = ["report", "check_reports_folder", "execute_notebook", "render_html", "kernel_env", "HIDE_LABELS_ENV", "LABEL_TAG"]

logger = logging.getLogger("peerbib")


def report(out=REPORTS, *, notebooks=None, raw=None, processed=PROCESSED, timeout: int = CELL_TIMEOUT,
           progress: bool = False, hide_labels: bool = False, only=None, with_code: bool = False) -> list[Path]:
    """Build if needed, execute every notebook and write one HTML page per notebook, and ``index.html``.

    Parameters
    ----------
    out : str or Path
        Folder for the pages. It is replaced as a whole, and only when every
        notebook ran (with ``only``, the other pages already there are kept).
        peerbib replaces only a reports folder it wrote (``.pages.json``
        inside, nothing but its pages and ``files/``, each page's figures as
        SVG and 300-dpi PNG and its tables as CSV): another existing folder, the project,
        the raw data or a folder holding them is refused before anything runs.
    notebooks : str or Path, optional
        Folder of ``*.ipynb`` files, run in name order. By default the
        project's ``notebooks/`` when it holds any (your edited copies from
        ``peerbib init``), else the notebooks shipped with peerbib.
    raw : str or Path, optional
        Raw data to build from when the tables are missing or stale; by
        default the folder they were built from (see :func:`peerbib.load`).
    processed : str or Path
        The tables the notebooks read.
    timeout : int
        Seconds one cell may run.
    progress : bool
        Log a line per notebook (INFO, logger ``peerbib``).
    hide_labels : bool
        Leave every citation-type label, colour and example statement out of
        the reports (for reviewers screening papers blind to how they are
        cited): cells tagged :data:`LABEL_TAG` are dropped and the notebooks
        draw neutral charts.
    only : list of str, optional
        Run only these notebooks (names, stems or number prefixes such as ``"01"``).
    with_code : bool
        Show the code cells (hidden by default).

    Returns
    -------
    list of Path
        The pages written in this run, ``index.html`` last.

    Raises
    ------
    ReportError
        When a notebook fails: names the notebook and the cell. ``out`` is left as it was.
    OwnershipError
        When ``out`` is not a folder peerbib may replace (see ``out``).
    """
    from ..tables.inputs import one_fingerprint

    with one_fingerprint():  # the raw data is fingerprinted once for the whole report
        return _report(out, notebooks=notebooks, raw=raw, processed=processed, timeout=timeout, progress=progress,
                       hide_labels=hide_labels, only=only, with_code=with_code)


def _report(out, *, notebooks, raw, processed, timeout: int, progress: bool, hide_labels: bool, only,
            with_code: bool) -> list[Path]:
    from ..tables import load

    given = [("--out", out, REPORTS), ("--notebooks", notebooks, None), ("--raw", raw, None),
             ("--processed", processed, PROCESSED)]
    out, processed = project_path(out), project_path(processed)
    check_reports_folder(out, raw)
    every, paths = notebooks_to_run(notebooks, only)
    tables = load(processed, raw=raw)  # builds first when the tables are missing or stale
    root = project_root()
    prov = provenance(tables, processed, root)
    folders = [(flag, _as_given(value, root)) for flag, value, default in given
               if value is not None and str(value) != str(default)]
    run_only = list(only) if only else None  # as the user named them: the footer says the command as run
    made_with = {"raw_sha256": prov["raw_sha256"], "hide_labels": bool(hide_labels), "with_code": bool(with_code)}
    pages = read_pages(out) if only else {}
    if only:
        paths = with_stale_pages(every, paths, pages, made_with, out)
    run = _Run(prov=prov, folders=folders, rendered_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
               only=run_only, timeout=timeout, hide_labels=hide_labels, with_code=with_code, progress=progress)

    with replacing(out, REPORTS_FOLDER, option="the reports folder") as staging:
        pages = keep_pages(out, staging, every, pages, paths) if only else {}
        written = _run_pages(paths, staging, run)
        pages.update({path.stem: made_with for path in paths})
        _write_index(staging, tables, pages, run)
    return [out / p.name for p in written] + [out / "index.html"]


@dataclass(frozen=True)
class _Run:
    """What every page of one report shares: the provenance, the options and when it was rendered."""

    prov: dict
    folders: list
    rendered_at: str
    only: list | None
    timeout: int
    hide_labels: bool
    with_code: bool
    progress: bool


def _run_pages(paths: list[Path], staging: Path, run: _Run) -> list[Path]:
    """Run the notebooks, as many at once as the machine has cores (each in its own kernel process); the
    pages written, in the notebooks' order. The first failure stops the pages not yet started and is raised
    once those running have ended."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    workers = max(1, min(len(paths), cores))
    if workers == 1:
        return [_run_page(path, staging, run) for path in paths]
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="peerbib-page") as pool:
        futures = [pool.submit(_run_page, path, staging, run) for path in paths]
        try:
            return [future.result() for future in futures]
        except BaseException:
            for future in futures:
                future.cancel()
            raise


def _title(notebook, fallback: str) -> str:
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("#"):
                    return line.lstrip("#").strip()
    return fallback


def _run_page(path: Path, staging: Path, run: _Run) -> Path:
    """Execute one notebook and write its page into ``staging``; the page written."""
    if run.progress:
        logger.info("running %s ...", path.name)
    # execute_notebook is this package's name, looked up as each page runs: the kill -9 test replaces it
    files = (staging / FILES / path.stem, f"{FILES}/{path.stem}")  # its figures and tables as files, and their link
    notebook = execute_notebook(path, timeout=run.timeout, hide_labels=run.hide_labels, files=files)
    messages = stderr_messages(notebook)
    note = _missing_glyphs_note(messages)
    for cell, text in messages:
        lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
        first = next((line for line in lines if "Warning" in line or "Error" in line), lines[0] if lines else "")
        logger.warning("peerbib report: %s cell %s wrote to stderr (left out of the page): %s",
                       path.name, cell, first)
    page_command = command(only=run.only, hide_labels=run.hide_labels, with_code=run.with_code, folders=run.folders)
    page = render_html(notebook, title=_title(notebook, path.stem), with_code=run.with_code, files=files,
                       footer=footer_html(run.prov, page_command, run.rendered_at, hide_labels=run.hide_labels,
                                          note=note))
    target = staging / f"{path.stem}.html"
    atomic_write_text(target, page)
    return target


def _missing_glyphs_note(messages) -> str | None:
    """The footer's note when matplotlib said characters of the figures had no font, else None."""
    missing = sorted({chr(int(code)) for _, text in messages
                      for code in re.findall(r"Glyph (\d+) \(.*?\) missing from font", text)})
    return (f"{len(missing)} characters in this page's figures could not be drawn, no installed font "
            f"covering them ({' '.join(missing[:20])}{' …' if len(missing) > 20 else ''}): their labels "
            "show boxes. Install fonts-noto-cjk, then render again." if missing else None)


def _write_index(staging: Path, tables, pages: dict, run: _Run) -> None:
    """Write how each page was made (``.pages.json``) and ``index.html``."""
    atomic_write_text(staging / PAGES, json.dumps(pages, indent=1, sort_keys=True) + "\n")
    run_command = command(hide_labels=run.hide_labels, with_code=run.with_code, folders=run.folders)
    atomic_write_text(staging / "index.html", index_html(staging, tables, run.prov, run.rendered_at, run_command,
                                                          run.hide_labels))


def _as_given(value, root: Path) -> str:
    """A folder option as the command line had it: a relative path as typed, an absolute one inside the
    project relative to it (the same folder, run in the project folder), one outside as typed, with the
    home folder as ``~``."""
    given = Path(value).expanduser()
    if not given.is_absolute():
        return Path(value).as_posix()
    try:
        bases = [(root, ""), (Path.home(), "~/")]
    except RuntimeError:  # no home folder
        bases = [(root, "")]
    for base, prefix in bases:
        try:
            return prefix + given.resolve().relative_to(base.resolve()).as_posix()
        except (ValueError, RuntimeError, OSError):
            continue
    return given.as_posix()


def check_reports_folder(out: Path, raw) -> None:
    """Refuse, before any notebook runs, a reports folder peerbib may not replace (see :mod:`peerbib.ownership`)."""
    protected = [("the project folder", project_root(), True), ("the raw data", project_path(RAW), False)]
    if raw is not None:
        protected.append(("the raw data", project_path(raw), False))
    check_output(out, option="the reports folder", protected=protected)
    check_replaceable(out, REPORTS_FOLDER, option="the reports folder")
