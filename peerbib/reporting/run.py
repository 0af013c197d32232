"""Executing a notebook headless: nbclient in a fresh ``python3`` kernel (the current interpreter's),
in an environment without secrets, a failure named by notebook and cell."""
from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

from ..errors import ReportError
from ..paths import project_root
from ..settings import CELL_TIMEOUT

__all__ = ["execute_notebook", "kernel_env", "HIDE_LABELS_ENV", "LABEL_TAG"]

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
