"""Reports: every notebook executed headless and rendered to a shareable HTML file.

The notebooks are run with nbclient in a fresh ``python3`` kernel (the current
interpreter's), rendered with nbconvert without the code cells, stripped of
every script that would load from a CDN, stamped with the peerbib version,
the build date and the raw data's fingerprint, and linked from ``index.html``.
"""
from __future__ import annotations

import html
import json
import os
import re
import tempfile
from datetime import datetime, timezone
from pathlib import Path

from .errors import ReportError
from .files import atomic_write_text
from .paths import project_path, project_root
from .project import shipped_notebooks
from .settings import CELL_TIMEOUT, NOTEBOOKS, PROCESSED, REPORTS

__all__ = ["report", "execute_notebook", "render_html", "kernel_env", "HIDE_LABELS_ENV", "LABEL_TAG"]

#: Set to "1" in a report's kernel when citation-type labels are hidden (``report(hide_labels=True)``).
HIDE_LABELS_ENV = "PEERBIB_HIDE_LABELS"
#: Notebook cells with this tag speak of citation types; a report with hidden labels leaves them out.
LABEL_TAG = "citation-types"

# Environment variables that must not reach the kernel: MPLBACKEND=Agg would
# remove every figure from the executed notebooks.
_KERNEL_ENV_DROP = ("MPLBACKEND",)
# Nor may secrets: notebooks never fetch, so they need no key, and a kernel
# that holds none cannot print one into a report.
_SECRET_NAME = re.compile(r"KEY|TOKEN|SECRET|PASSW|CREDENTIAL|AUTH|COOKIE|SESSION|^OPENALEX_|^S2_|^SCITE_",
                          re.IGNORECASE)


def kernel_env(environ=None, *, hide_labels: bool = False) -> dict:
    """The environment a report's kernel runs in: this process's, without secrets and MPLBACKEND.

    :data:`HIDE_LABELS_ENV` is "1" when ``hide_labels``, and absent otherwise
    (whatever the calling shell has), so the report shows what was asked.
    """
    environ = os.environ if environ is None else environ
    env = {k: v for k, v in environ.items()
           if k not in _KERNEL_ENV_DROP and k != HIDE_LABELS_ENV and not _SECRET_NAME.search(k)}
    if hide_labels:
        env[HIDE_LABELS_ENV] = "1"
    env["PEERBIB_PROJECT"] = str(project_root())
    env.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    return env


def execute_notebook(path, *, timeout: int = CELL_TIMEOUT, hide_labels: bool = False):
    """Execute the notebook at ``path`` in its own folder and return it (nbformat).

    With ``hide_labels`` the cells tagged :data:`LABEL_TAG` are left out and
    the kernel has :data:`HIDE_LABELS_ENV` set, which the notebooks read.

    Raises
    ------
    ReportError
        Naming the notebook, the failing cell and the error.
    """
    import nbformat
    from nbclient import NotebookClient

    path = Path(path)
    notebook = nbformat.read(path, as_version=4)
    if hide_labels:
        notebook.cells = [c for c in notebook.cells if LABEL_TAG not in c.get("metadata", {}).get("tags", [])]
    client = NotebookClient(
        notebook,
        timeout=timeout,
        kernel_name="python3",
        allow_errors=False,
        resources={"metadata": {"path": str(path.parent)}},
    )
    # The kernel's own stderr (start-up chatter such as ipykernel's TCP
    # notice) goes to a log that is shown only when the kernel fails.
    with tempfile.TemporaryFile(mode="w+", encoding="utf-8", errors="replace") as kernel_log:
        try:
            client.execute(env=kernel_env(hide_labels=hide_labels), stderr=kernel_log)
        except Exception as exc:
            kernel_log.seek(0)
            _raise_failure(path, notebook, exc, kernel_log.read())
    return notebook


def _raise_failure(path, notebook, exc, kernel_log: str):
    from nbclient.exceptions import CellExecutionError, CellTimeoutError

    if isinstance(exc, (CellExecutionError, CellTimeoutError)):
        index, cell = _failed_cell(notebook)
        summary = getattr(exc, "ename", None) or type(exc).__name__
        value = getattr(exc, "evalue", "") or ""
        first_line = (cell.source.strip().splitlines() or [""])[0][:80] if cell is not None else ""
        raise ReportError(
            f"{path}: cell {index} failed with {summary}: {value} (cell starts: {first_line!r})".replace("\n", " ")
        ) from None
    # The kernel could not start (e.g. NoSuchKernel) or died.
    tail = " | ".join(kernel_log.strip().splitlines()[-3:])
    raise ReportError(
        f"{path}: could not run the notebook: {type(exc).__name__}: {exc}" + (f" (kernel said: {tail})" if tail else "")
    ) from None


def _failed_cell(notebook):
    code_index = 0
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        code_index += 1
        if any(output.get("output_type") == "error" for output in cell.get("outputs", [])):
            return code_index, cell
    # A timeout leaves no error output: the failing cell is the first not executed.
    code_index = 0
    for cell in notebook.cells:
        if cell.cell_type == "code":
            code_index += 1
            if cell.get("execution_count") is None:
                return code_index, cell
    return code_index, None


_CDN_SCRIPT = re.compile(
    r"<script\b[^>]*\bsrc=[\"']https?://[^\"']*[\"'][^>]*>\s*</script>\s*", re.IGNORECASE
)
_MODULE_IMPORT = re.compile(
    r"<script\b[^>]*type=[\"']module[\"'][^>]*>(?:(?!</script>).)*?https?://(?:(?!</script>).)*</script>\s*",
    re.IGNORECASE | re.DOTALL,
)
_MATHJAX_CONFIG = re.compile(
    r"<!-- Load mathjax -->.*?<!-- End of mathjax configuration -->\s*", re.DOTALL
)


def render_html(notebook, *, stamp: str, title: str) -> str:
    """Render an executed notebook to self-contained HTML (no code, no CDN scripts)."""
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(template_name="lab")
    exporter.exclude_input = True
    exporter.exclude_input_prompt = True
    exporter.exclude_output_prompt = True
    body, _ = exporter.from_notebook_node(notebook, resources={"metadata": {"name": title}})
    body = _MATHJAX_CONFIG.sub("", body)
    body = _CDN_SCRIPT.sub("", body)
    body = _MODULE_IMPORT.sub("", body)
    banner = f'<div class="peerbib-stamp" style="font:12px sans-serif;color:#555;padding:6px 12px;border-bottom:1px solid #ddd">{stamp}</div>'
    body = re.sub(r"(<body[^>]*>)", lambda m: m.group(1) + banner, body, count=1)
    return body


def _title(notebook, fallback: str) -> str:
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("#"):
                    return line.lstrip("#").strip()
    return fallback


def report(out=REPORTS, *, notebooks=None, raw=None, processed=PROCESSED,
           timeout: int = CELL_TIMEOUT, progress: bool = False, hide_labels: bool = False) -> list[Path]:
    """Build if needed, execute every notebook and write one HTML file per notebook.

    Parameters
    ----------
    out : str or Path
        Folder for the HTML files and ``index.html``.
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

    Returns
    -------
    list of Path
        The HTML reports, ``index.html`` last.

    Raises
    ------
    ReportError
        When a notebook fails: names the notebook and the cell.
    """
    from . import __version__
    from .tables import BUILD_INFO, load

    out, processed = project_path(out), project_path(processed)
    notebooks_dir = project_path(NOTEBOOKS if notebooks is None else notebooks)
    if notebooks is None and not any(notebooks_dir.glob("*.ipynb")):
        notebooks_dir = shipped_notebooks()
    paths = sorted(notebooks_dir.glob("*.ipynb"))
    if not paths:
        raise ReportError(f"no notebooks in {notebooks_dir}")
    load(processed, raw=raw)  # builds first when the tables are missing or stale
    info = json.loads((processed / BUILD_INFO).read_text(encoding="utf-8"))
    stamp = html.escape(
        f"peerbib {__version__} · data built {info.get('built_at', 'unknown')} · "
        f"raw data sha256 {info.get('raw_sha256', 'unknown')[:16]} · "
        f"report rendered {datetime.now(timezone.utc).isoformat(timespec='seconds')}"
        + (" · citation-type labels hidden" if hide_labels else "")
    )
    written, entries = [], []
    for path in paths:
        if progress:
            print(f"running {path.name} ...", flush=True)
        notebook = execute_notebook(path, timeout=timeout, hide_labels=hide_labels)
        title = _title(notebook, path.stem)
        target = out / f"{path.stem}.html"
        atomic_write_text(target, render_html(notebook, stamp=stamp, title=title))
        written.append(target)
        entries.append((target.name, title))
    items = "\n".join(
        f'<li><a href="{html.escape(name, quote=True)}">{html.escape(title)}</a></li>' for name, title in entries
    )
    index = out / "index.html"
    atomic_write_text(
        index,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>peerbib reports</title></head>\n"
        "<body style=\"font-family:sans-serif;max-width:50em;margin:2em auto\">\n"
        f"<h1>peerbib reports</h1>\n<p style=\"color:#555\">{stamp}</p>\n<ul>\n{items}\n</ul>\n</body></html>\n",
    )
    written.append(index)
    return written
