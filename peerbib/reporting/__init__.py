"""Reports: every notebook executed headless and rendered to a shareable HTML page, with an index.

All or nothing: the pages are written into a hidden folder beside
``reports/``, which replaces ``reports/`` only when every notebook ran; a
failure names the notebook and the cell and leaves the previous reports as
they were. Every page carries a provenance footer; the index summarises the
corpus, links each page with its question and key figure, and gives the
provenance in full.
"""
from __future__ import annotations

import html
import json
import re
import shutil
import sys
from datetime import datetime, timezone
from pathlib import Path

from ..errors import ReportError
from ..files import atomic_write_text
from ..ownership import REPORTS_FOLDER, check_output, check_replaceable, replacing
from ..paths import project_path, project_root
from ..project import shipped_notebooks
from ..settings import CELL_TIMEOUT, NOTEBOOKS, PROCESSED, RAW, REPORTS
from .provenance import command, footer_html, provenance, provenance_html, relative
from .render import render_html, stderr_messages
from .run import HIDE_LABELS_ENV, LABEL_TAG, execute_notebook, kernel_env

__all__ = ["report", "check_reports_folder", "execute_notebook", "render_html", "kernel_env", "HIDE_LABELS_ENV", "LABEL_TAG"]


def _title(notebook, fallback: str) -> str:
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("#"):
                    return line.lstrip("#").strip()
    return fallback


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


def report(out=REPORTS, *, notebooks=None, raw=None, processed=PROCESSED, timeout: int = CELL_TIMEOUT,
           progress: bool = False, hide_labels: bool = False, only=None, with_code: bool = False) -> list[Path]:
    """Build if needed, execute every notebook and write one HTML page per notebook, and ``index.html``.

    Parameters
    ----------
    out : str or Path
        Folder for the pages. It is replaced as a whole, and only when every
        notebook ran (with ``only``, the other pages already there are kept).
        peerbib replaces only a reports folder it wrote (``.pages.json``
        inside, nothing but its pages): another existing folder, the project,
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
        Print a line per notebook.
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
    from ..tables import load

    given = [("--out", out, REPORTS), ("--notebooks", notebooks, None), ("--raw", raw, None),
             ("--processed", processed, PROCESSED)]
    out, processed = project_path(out), project_path(processed)
    check_reports_folder(out, raw)
    notebooks_dir = project_path(NOTEBOOKS if notebooks is None else notebooks)
    if notebooks is None and not any(notebooks_dir.glob("*.ipynb")):
        notebooks_dir = shipped_notebooks()
    every = sorted(notebooks_dir.glob("*.ipynb"))
    paths = _select(every, only)
    if not paths:
        raise ReportError(f"no notebooks in {notebooks_dir}")
    tables = load(processed, raw=raw)  # builds first when the tables are missing or stale
    root = project_root()
    prov = provenance(tables, processed, root)
    folders = [(flag, relative(project_path(value), root)) for flag, value, default in given
               if value is not None and str(value) != str(default)]
    made_with = {"raw_sha256": prov["raw_sha256"], "hide_labels": bool(hide_labels), "with_code": bool(with_code)}
    pages = _pages(out) if only else {}
    if only:
        # a page kept from an earlier run must come from the same data and options, or the folder would
        # mix them (blind screening would show labels on the pages not run again): run those again too
        stale = [p for p in every if p not in paths and pages.get(p.stem) != made_with
                 and (out / f"{p.stem}.html").is_file()]
        for path in stale:
            print(f"peerbib report: {path.stem} was made from other data or options: running it again too",
                  file=sys.stderr)
        paths = [p for p in every if p in paths or p in stale]
    rendered_at = datetime.now(timezone.utc).isoformat(timespec="seconds")

    with replacing(out, REPORTS_FOLDER, option="the reports folder") as staging:
        if only and out.is_dir():  # the pages not run again stay (those of notebooks that still exist)
            names = {p.stem for p in every}
            for page in out.glob("*.html"):
                if page.stem in names:
                    shutil.copy2(page, staging / page.name)
        pages = {stem: meta for stem, meta in pages.items() if (staging / f"{stem}.html").is_file()}
        written = []
        for path in paths:
            if progress:
                print(f"running {path.name} ...", flush=True)
            notebook = execute_notebook(path, timeout=timeout, hide_labels=hide_labels)
            messages = stderr_messages(notebook)
            missing = sorted({chr(int(code)) for _, text in messages
                              for code in re.findall(r"Glyph (\d+) \(.*?\) missing from font", text)})
            note = (f"{len(missing)} characters in this page's figures could not be drawn, no installed font "
                    f"covering them ({' '.join(missing[:20])}{' …' if len(missing) > 20 else ''}): their labels "
                    "show boxes. Install fonts-noto-cjk, then render again." if missing else None)
            for cell, text in messages:
                lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
                first = next((line for line in lines if "Warning" in line or "Error" in line), lines[0] if lines else "")
                print(f"peerbib report: {path.name} cell {cell} wrote to stderr (left out of the page): {first}",
                      file=sys.stderr)
            page_command = command(only=[path.stem], hide_labels=hide_labels, with_code=with_code,
                                   folders=folders)
            page = render_html(notebook, title=_title(notebook, path.stem), with_code=with_code,
                               footer=footer_html(prov, page_command, rendered_at, hide_labels=hide_labels,
                                                  note=note))
            target = staging / f"{path.stem}.html"
            atomic_write_text(target, page)
            written.append(target)
            pages[path.stem] = made_with
        atomic_write_text(staging / _PAGES, json.dumps(pages, indent=1, sort_keys=True) + "\n")
        index = staging / "index.html"
        atomic_write_text(index, _index(staging, tables, prov, rendered_at,
                                        command(hide_labels=hide_labels, with_code=with_code, folders=folders),
                                        hide_labels))
    return [out / p.name for p in written] + [out / "index.html"]


_PAGES = REPORTS_FOLDER.marker  # how each page was made: the raw data's fingerprint and the options


def check_reports_folder(out: Path, raw) -> None:
    """Refuse, before any notebook runs, a reports folder peerbib may not replace (see :mod:`peerbib.ownership`)."""
    protected = [("the project folder", project_root(), True), ("the raw data", project_path(RAW), False)]
    if raw is not None:
        protected.append(("the raw data", project_path(raw), False))
    check_output(out, option="the reports folder", protected=protected)
    check_replaceable(out, REPORTS_FOLDER, option="the reports folder")


def _pages(out: Path) -> dict:
    try:
        return json.loads((out / _PAGES).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


_IMG = re.compile(r'<img\b[^>]*\bsrc="(data:image/png;base64,[^"]+)"')
_TITLE = re.compile(r"<title>(.*?)</title>", re.DOTALL)


def _index(folder: Path, tables, prov: dict, rendered_at: str, run_command: str, hide_labels: bool) -> str:
    """The index page: the corpus in figures, each page with its question and key figure, the provenance."""
    from ..analysis.descriptive import describe_corpus
    from ..statements.coverage import coverage_totals

    e = html.escape
    works = tables.works
    corpus = works[works["is_corpus"].fillna(False).astype(bool)]
    years = corpus["publication_year"].dropna()
    totals = coverage_totals(tables)
    share = f" ({totals['with_fulltext'] / totals['citing_works']:.0%})" if totals["citing_works"] else ""
    sources = sorted({str(s) for s in corpus["source"].dropna()}
                     | {str(s) for s in tables.statements["source"].dropna()}
                     | {str(s) for s in tables.tallies["source"].dropna()})
    facts = [
        ("corpus works", f"{len(corpus):,}"),
        ("years covered", f"{int(years.min())}–{int(years.max())}" if len(years) else "no dated work"),
        ("citing works", f"{totals['citing_works']:,}"),
        ("statement coverage", f"open full text read for {totals['with_fulltext']:,} of {totals['citing_works']:,} "
                               f"citing works{share}; {totals['statements']:,} statements"),
        ("sources", ", ".join(sources) or "—"),
    ]
    summary = "".join(f"<tr><th>{e(k)}</th><td>{e(v)}</td></tr>" for k, v in facts)
    cards = []
    for page in sorted(p for p in folder.glob("*.html") if p.name != "index.html"):
        text = page.read_text(encoding="utf-8")
        title = _TITLE.search(text)
        name = html.unescape(title.group(1).strip()) if title else page.stem
        key = text.find("celltag_key-figure")
        image = _IMG.search(text, key if key >= 0 else 0) or _IMG.search(text)
        figure = (f'<img src="{image.group(1)}" alt="key figure of {e(name, quote=True)}" '
                  'style="max-width:320px;max-height:200px;border:1px solid #ddd">' if image else "")
        cards.append(f'<li style="margin:0 0 1.5em"><a href="{e(page.name, quote=True)}" style="font-size:1.15em">'
                     f"{e(name)}</a><br>{figure}</li>")
    labels = "<p>Citation-type labels are hidden in these reports.</p>" if hide_labels else ""
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>peerbib reports</title>"
        "<style>body{font-family:sans-serif;max-width:60em;margin:2em auto;padding:0 1em;color:#222}"
        "table{border-collapse:collapse}th,td{text-align:left;padding:3px 10px;border-bottom:1px solid #ddd}"
        "dt{font-weight:600;margin-top:0.4em}dd{margin-left:1.5em;overflow-wrap:anywhere}"
        "ul{list-style:none;padding:0}</style></head>\n<body>\n"
        f"<h1>peerbib reports</h1>\n{describe_corpus(tables)._repr_html_()}\n"
        f"<table>{summary}</table>\n{labels}<h2>Reports</h2>\n<ul>{''.join(cards)}</ul>\n"
        f"<h2>Provenance</h2>\n{provenance_html(prov, run_command)}\n"
        f"<p style=\"color:#555;font-size:12px\">rendered {e(rendered_at)}</p>\n</body></html>\n"
    )
