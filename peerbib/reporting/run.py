"""Executing a notebook headless: nbclient in a fresh ``python3`` kernel (the current interpreter's),
in an environment of the variables it needs and no others, a failure named by notebook and cell.

An executed notebook is fit for a shared page or the run fails: a cell that
raised, a cell whose output failed when it was shown (a figure that cannot be
drawn: IPython prints that traceback as an output and carries on), a traceback
written anywhere, or an absolute path of this machine in an output.
"""
from __future__ import annotations

import json
import os
import re
import sys
import sysconfig
import tempfile
from pathlib import Path

from ..analysis.takeaway import FILES_ENV, HREF_ENV
from ..errors import ReportError
from ..paths import project_root
from ..settings import CELL_TIMEOUT

__all__ = ["execute_notebook", "kernel_env", "HIDE_LABELS_ENV", "LABEL_TAG"]

#: Set to "1" in a report's kernel when citation-type labels are hidden (``report(hide_labels=True)``).
HIDE_LABELS_ENV = "PEERBIB_HIDE_LABELS"
#: Notebook cells with this tag speak of citation types; a report with hidden labels leaves them out.
LABEL_TAG = "citation-types"

# The only variables a kernel inherits: what Python, ipykernel, matplotlib and
# fontconfig read to start and to find their files, the locale, and the
# settings tests use to make notebooks strict (PYTHONWARNINGS). An allow-list,
# because secrets have no common name (DATABASE_URL, GITHUB_PAT, PGPASSWORD,
# a proxy URL with a password): notebooks never fetch, so they need none, and a
# kernel that holds none cannot print one into a report. MPLBACKEND stays out
# (Agg would remove every figure); the kernel's PEERBIB_* settings are set below.
# A notebook that needs another variable: add its name here.
_KERNEL_ENV_NAMES = frozenset({
    # the system, and where the user's files are
    "PATH", "HOME", "USER", "LOGNAME", "USERNAME", "TZ", "TMPDIR", "TEMP", "TMP", "LANG", "LANGUAGE",
    "LD_LIBRARY_PATH", "DYLD_LIBRARY_PATH",
    "XDG_CONFIG_HOME", "XDG_CONFIG_DIRS", "XDG_CACHE_HOME", "XDG_DATA_HOME", "XDG_DATA_DIRS", "XDG_STATE_HOME",
    "XDG_RUNTIME_DIR",
    # Windows: sockets and the crypto that ZeroMQ's kernel connection needs fail without SYSTEMROOT
    "SYSTEMROOT", "SYSTEMDRIVE", "WINDIR", "COMSPEC", "PATHEXT", "USERPROFILE", "HOMEDRIVE", "HOMEPATH",
    "APPDATA", "LOCALAPPDATA", "PROGRAMDATA", "PROGRAMFILES", "NUMBER_OF_PROCESSORS", "PROCESSOR_ARCHITECTURE",
    # Python and the environment it runs in
    "PYTHONPATH", "PYTHONHOME", "PYTHONUSERBASE", "PYTHONNOUSERSITE", "PYTHONWARNINGS", "PYTHONIOENCODING",
    "PYTHONUTF8", "PYTHONHASHSEED", "PYTHONDONTWRITEBYTECODE", "VIRTUAL_ENV", "PYDEVD_DISABLE_FILE_VALIDATION",
    # Jupyter, IPython, matplotlib and fonts: their configuration and data folders
    "JUPYTER_CONFIG_DIR", "JUPYTER_CONFIG_PATH", "JUPYTER_DATA_DIR", "JUPYTER_PATH", "JUPYTER_RUNTIME_DIR",
    "JUPYTER_PLATFORM_DIRS", "JUPYTER_PREFER_ENV_PATH", "IPYTHONDIR", "MPLCONFIGDIR", "FONTCONFIG_FILE",
    "FONTCONFIG_PATH",
    # threads of the numeric libraries (k-means), which users set to share a machine
    "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
})
_KERNEL_ENV_PREFIXES = ("LC_",)  # the locale's categories: LC_ALL, LC_CTYPE, ...


def kernel_env(environ=None, *, hide_labels: bool = False, files: tuple[Path, str] | None = None) -> dict:
    """The environment a report's kernel runs in: the variables of this process's that it needs, and no other.

    Only the names of an allow-list pass (``PATH``, ``HOME``, the locale,
    Python's, Jupyter's and matplotlib's settings and folders; see
    ``_KERNEL_ENV_NAMES``): no key, token, password or database URL, whatever
    its name, and no ``MPLBACKEND``. ``PEERBIB_PROJECT`` is the project
    folder; :data:`HIDE_LABELS_ENV` is "1" when ``hide_labels``, and absent
    otherwise (whatever the calling shell has), so the report shows what was asked.
    ``files`` is ``(folder, href)``: where the page's figures and tables are
    written as files, and that folder relative to the page (see
    :mod:`peerbib.analysis.takeaway`); absent otherwise.
    """
    environ = os.environ if environ is None else environ
    env = {k: v for k, v in environ.items() if k in _KERNEL_ENV_NAMES or k.startswith(_KERNEL_ENV_PREFIXES)}
    if hide_labels:
        env[HIDE_LABELS_ENV] = "1"
    for name in (FILES_ENV, HREF_ENV):
        env.pop(name, None)
    if files is not None:
        env[FILES_ENV], env[HREF_ENV] = str(files[0]), files[1]
    env["PEERBIB_PROJECT"] = str(project_root())
    env.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    return env


def execute_notebook(path, *, timeout: int = CELL_TIMEOUT, hide_labels: bool = False,
                     files: tuple[Path, str] | None = None):
    """Execute the notebook at ``path`` in its own folder and return it (nbformat).

    With ``hide_labels`` the cells tagged :data:`LABEL_TAG` are left out and
    the kernel has :data:`HIDE_LABELS_ENV` set, which the notebooks read.
    With ``files`` (``(folder, href)``) each figure and table is also written
    into ``folder`` and linked under it (:mod:`peerbib.analysis.takeaway`).
    Each cell's outputs are checked as soon as it has run, and the run stops at
    the first that no shared page may hold.

    Raises
    ------
    ReportError
        Naming the notebook, the cell and what went wrong: the cell raised; its
        output failed when it was shown (e.g. a figure that cannot be drawn);
        it wrote a traceback (to stdout or stderr); an output shows an absolute
        path of this machine (the project folder, the home folder, the Python
        environment).
    """
    import nbformat
    from nbclient import NotebookClient

    path = Path(path)
    notebook = nbformat.read(path, as_version=4)
    if hide_labels:
        notebook.cells = [c for c in notebook.cells if LABEL_TAG not in c.get("metadata", {}).get("tags", [])]
    machine = _machine_paths(path.parent)

    def check(cell, cell_index, execute_reply):
        problem = _output_problem(cell, execute_reply, machine)
        if problem:
            raise _UnfitOutput(cell_index, problem)

    client = NotebookClient(
        notebook,
        timeout=timeout,
        kernel_name="python3",
        allow_errors=False,
        resources={"metadata": {"path": str(path.parent)}},
        # allow_errors only sees a cell that raised: a figure that fails when the inline backend draws it
        # after the cell ran leaves an error output and an "ok" reply
        on_cell_executed=check,
    )
    # The kernel's own stderr (start-up chatter such as ipykernel's TCP
    # notice) goes to a log that is shown only when the kernel fails.
    with tempfile.TemporaryFile(mode="w+", encoding="utf-8", errors="replace") as kernel_log:
        try:
            client.execute(env=kernel_env(hide_labels=hide_labels, files=files), stderr=kernel_log)
        except Exception as exc:
            kernel_log.seek(0)
            _raise_failure(path, notebook, exc, kernel_log.read())
    return notebook


class _UnfitOutput(Exception):
    """A cell whose outputs no shared page may hold; raised from nbclient's hook to stop the run there."""

    def __init__(self, cell_index: int, problem: str):
        super().__init__(problem)
        self.cell_index, self.problem = cell_index, problem


_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
# what Python prints for an exception, and what IPython prints when a post-execute callback (the
# inline backend drawing the cell's figures) raises
_TRACEBACK = re.compile(r"Traceback \(most recent call last\)|^Error in callback ", re.MULTILINE)


def _machine_paths(notebook_dir: Path) -> list[tuple[str, re.Pattern]]:
    """(what it is, pattern) of the folders of this machine that no output may show."""
    folders = [("the project folder", project_root()), ("the notebook's folder", notebook_dir),
               ("the working folder", Path.cwd())]
    try:
        folders.append(("the home folder", Path.home()))
    except RuntimeError:  # no HOME and no user entry: no home folder to show
        pass
    # The Python environment only when it is two levels deep (a venv, /usr/local): a system Python's
    # /usr would also match ordinary text about /usr/bin
    environment = [Path(sys.prefix), Path(sysconfig.get_paths()["purelib"])]
    folders += [("the Python environment", folder) for folder in environment if len(folder.parts) >= 3]
    found, seen = [], set()
    for name, folder in folders:
        for form in (str(folder), str(folder.resolve())):
            if len(Path(form).parts) >= 2 and form not in seen:  # never the file system's root
                seen.add(form)
                # whole folder names only: /work/venv is not in /work/venv2 nor in https://x.org/work/venv
                found.append((name, re.compile(r"(?<![\w.~/-])" + re.escape(form) + r"(?![\w.-])")))
    return found


def _shown_texts(output) -> list[str]:
    """The texts of a display or result output (not its base64 images)."""
    return [value if isinstance(value, str) else json.dumps(value)
            for mime, value in (output.get("data") or {}).items()
            if mime.startswith("text/") or mime.endswith(("json", "+xml", "javascript"))]


def _output_problem(cell, execute_reply, machine) -> str | None:
    """Why ``cell``'s outputs cannot go into a shared page, or None."""
    streams, shown = {}, []
    for output in cell.get("outputs", []):
        kind = output.get("output_type")
        if kind == "error":
            error = f"{output.get('ename', 'an error')}: {_ANSI.sub('', output.get('evalue', ''))}"
            if ((execute_reply or {}).get("content") or {}).get("status") == "ok":
                return f"ran, but its output could not be shown (a figure that cannot be drawn?): {error}"
            return f"failed with {error}"
        if kind == "stream":  # a stream comes in pieces: a traceback can be split between two
            name = output.get("name", "stdout")
            streams[name] = streams.get(name, "") + output.get("text", "")
        else:
            shown += _shown_texts(output)
    for name, text in sorted(streams.items(), key=lambda item: item[0] != "stdout"):
        if _TRACEBACK.search(text):
            last = [line.strip() for line in _ANSI.sub("", text).splitlines() if line.strip()]
            return f"wrote a traceback to {name}: {last[-1]}"
    if any(_TRACEBACK.search(text) for text in shown):
        return "shows a traceback"
    for text in [streams.get("stdout", ""), *shown]:  # stderr is left out of the page (see .render)
        for name, pattern in machine:
            if pattern.search(text):
                return f"shows a path of this machine ({name}); a shared page names folders relative to the project"
    return None


def _raise_failure(path, notebook, exc, kernel_log: str):
    from nbclient.exceptions import CellExecutionError, CellTimeoutError

    if isinstance(exc, _UnfitOutput):
        number = sum(1 for c in notebook.cells[: exc.cell_index + 1] if c.cell_type == "code")
        message = f"{path}: cell {number} {exc.problem} (cell starts: {_first_line(notebook.cells[exc.cell_index])!r})"
        raise ReportError(" ".join(message.split())) from None  # one line: mathtext's errors span three
    if isinstance(exc, (CellExecutionError, CellTimeoutError)):
        index, cell = _failed_cell(notebook)
        summary = getattr(exc, "ename", None) or type(exc).__name__
        value = getattr(exc, "evalue", "") or ""
        raise ReportError(
            f"{path}: cell {index} failed with {summary}: {value} (cell starts: {_first_line(cell)!r})"
            .replace("\n", " ")
        ) from None
    # The kernel could not start (e.g. NoSuchKernel) or died.
    tail = " | ".join(kernel_log.strip().splitlines()[-3:])
    raise ReportError(
        f"{path}: could not run the notebook: {type(exc).__name__}: {exc}" + (f" (kernel said: {tail})" if tail else "")
    ) from None


def _first_line(cell) -> str:
    return (cell.source.strip().splitlines() or [""])[0][:80] if cell is not None else ""


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
