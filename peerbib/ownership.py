"""peerbib deletes or replaces only what it wrote.

Every folder peerbib replaces as a whole carries its marker: a processed
folder its ``build_info.json``, a reports folder its ``.pages.json`` (the
snapshot's ``manifest.json`` marks the fetch's folder, whose clean-up is
:meth:`peerbib.snapshot.store.Snapshot.sweep`). Before a folder is replaced:

- it must not be the project root, the raw data folder, anything inside the
  raw folder, or a folder that holds either (real paths compared, so a
  symlink or ``..`` cannot disguise them);
- it must be missing, empty, or a real folder (not a symlink) holding the
  marker and only files of the kinds peerbib writes there.

Otherwise the command stops with a one-line :class:`OwnershipError` before
any work is done, and again just before the swap (a file added meanwhile
keeps the old folder).

New content is written into a hidden *work folder* beside the target,
``.<name>.peerbib-work-XXXXXXXX/``, which holds a lock file its process keeps
``flock``-ed while it lives and the new folder ``new/``. The swap exchanges
``new/`` and the target in one step, then the work folder (now holding the old
content) is removed. A process killed at any moment leaves the old folder or
the new one in place, never a mix, and a work folder whose lock nobody holds;
the next run removes it (:func:`remove_stale_work`), as it does the hidden
staging folders of peerbib versions before this one.
"""
from __future__ import annotations

import fnmatch
import json
import os
import re
import shutil
import stat
import tempfile
import time
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from .errors import OwnershipError
from . import files
from .files import FileLock, ordinary_permissions

__all__ = ["Owned", "FILES_RECORD", "PROCESSED_FOLDER", "REPORTS_FOLDER", "REPORT_FILES", "check_output",
           "check_replaceable", "replacing", "remove_stale_work", "remove_own_tree", "is_within"]

#: Files an operating system's file browser drops into any folder: never worth keeping, never peerbib's data.
_DESKTOP_JUNK = (".DS_Store", "Thumbs.db", "desktop.ini")
_WORK = ".peerbib-work-"
_WORK_LOCK = "lock"
#: A staging folder of an older peerbib (no lock inside) counts as abandoned after this many seconds.
_LEGACY_AGE = 600.0


@dataclass(frozen=True)
class Owned:
    """A kind of folder peerbib replaces as a whole.

    Attributes
    ----------
    what : str
        Its name in messages ("tables", "reports").
    marker : str
        The file peerbib writes into every such folder.
    patterns : tuple of str
        Names (``fnmatch`` patterns) of every file peerbib writes there.
    subfolder : (str, tuple of str) or None
        A folder peerbib writes inside (``files`` of a reports folder) and
        the patterns of every file in its tree.
    marker_key : str or None
        A key the marker's JSON object must hold (None: any JSON object).
    older_marker : (str, bytes) or None
        What marks such a folder written by a peerbib before the marker
        existed: a file and a string its start holds.
    legacy_staging : str
        Regular expression (``{name}`` filled in) of the staging folders older
        peerbib versions left beside it when killed.
    """

    what: str
    marker: str
    patterns: tuple[str, ...]
    marker_key: str | None = None
    older_marker: tuple[str, bytes] | None = None
    legacy_staging: str = ""
    subfolder: tuple[str, tuple[str, ...]] | None = None

    def is_own_subfolder(self, folder: Path) -> bool:
        """``folder`` is this kind's subfolder (``files/`` of a reports folder): a real folder whose tree,
        walked without following symlinks, holds only real folders and regular files of its patterns."""
        if self.subfolder is None or folder.name != self.subfolder[0]:
            return False
        patterns = self.subfolder[1]
        if os.path.islink(folder) or not folder.is_dir():
            return False
        for current, folders, names in os.walk(folder, followlinks=False):
            for name in folders:
                if os.path.islink(os.path.join(current, name)):
                    return False
            for name in names:
                path = os.path.join(current, name)
                if os.path.islink(path) or not os.path.isfile(path):
                    return False
                if name not in _DESKTOP_JUNK and not any(fnmatch.fnmatchcase(name, p) for p in patterns):
                    return False
        return True

    def has_marker(self, folder: Path) -> bool:
        if self.older_marker is not None and not (folder / self.marker).exists():
            name, text = self.older_marker
            try:
                with open(folder / name, "rb") as handle:
                    return text in handle.read(4096)
            except OSError:
                return False
        try:
            content = json.loads((folder / self.marker).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return False
        return isinstance(content, dict) and (self.marker_key is None or self.marker_key in content)

    def is_ours(self, name: str) -> bool:
        return any(fnmatch.fnmatchcase(name, pattern) for pattern in self.patterns)


#: The record, in a folder, of the files peerbib wrote there at a path the user named (:mod:`peerbib.own_files`).
FILES_RECORD = ".peerbib-files.json"

PROCESSED_FOLDER = Owned("tables", "build_info.json", ("*.parquet", "build_info.json", FILES_RECORD,
                                                       FILES_RECORD + ".lock"), marker_key="raw_sha256",
                         legacy_staging=r"\.{name}-build-[A-Za-z0-9_]{{8}}|\.{name}-old-\d+")
#: The folder of a report's figures and tables as files (``reports/files/<page>/``).
REPORT_FILES = "files"
REPORTS_FOLDER = Owned("reports", ".pages.json", ("*.html", ".pages.json"),
                       subfolder=(REPORT_FILES, ("*.svg", "*.png", "*.csv", ".*.tmp")),
                       older_marker=("index.html", b"<title>peerbib reports</title>"),
                       legacy_staging=r"\.{name}-[A-Za-z0-9_]{{8}}|\.{name}-old-\d+")


def _real(path) -> Path:
    return Path(os.path.realpath(path))


def is_within(path, folder) -> bool:
    """True when ``path`` is ``folder`` or inside it, both taken as real paths (symlinks resolved)."""
    path, folder = _real(path), _real(folder)
    return path == folder or folder in path.parents


def check_output(target, *, option: str, protected) -> None:
    """Refuse an output folder that is, holds or lies in a folder that must stay untouched.

    Parameters
    ----------
    target : Path
        The folder to be written or replaced.
    option : str
        How the user named it, for the message (``--out``, ``processed=``).
    protected : iterable of (str, Path, bool)
        ``(name, folder, inside_ok)``: ``("the project folder", root, True)``,
        ``("the raw data", raw, False)``. ``target`` may be neither ``folder``
        nor a folder holding it, nor inside it unless ``inside_ok``.

    Raises
    ------
    OwnershipError
    """
    real = _real(target)
    for name, folder, inside_ok in protected:
        if folder is None:
            continue
        folder = _real(folder)
        if real == folder:
            relation = "is"
        elif real in folder.parents:
            relation = "holds"
        elif folder in real.parents and not inside_ok:
            relation = "is inside"
        else:
            continue
        raise OwnershipError(f"{option} {target} {relation} {name} ({folder}), which peerbib never replaces: "
                             "give a folder of its own (the default is safe)")


def check_replaceable(target: Path, owned: Owned, *, option: str = "the folder") -> None:
    """Refuse to replace ``target`` unless it is missing, empty, or peerbib's own (marker inside, only its files).

    Raises
    ------
    OwnershipError
        One line naming the folder, what in it is not peerbib's, and what to do.
    """
    try:
        info = os.lstat(target)
    except FileNotFoundError:
        return
    if stat.S_ISLNK(info.st_mode):
        raise OwnershipError(f"{option} {target} is a symbolic link; peerbib replaces only real folders it wrote: "
                             f"give the folder it points to ({_real(target)}) or another one")
    if not stat.S_ISDIR(info.st_mode):
        raise OwnershipError(f"{option} {target} is a file, not a folder: give a folder for the {owned.what}")
    entries = sorted(os.listdir(target))
    if not entries:
        return
    if not owned.has_marker(target):
        shown = ", ".join(entries[:3]) + (f" and {len(entries) - 3} more" if len(entries) > 3 else "")
        raise OwnershipError(f"{option} {target} already holds files peerbib did not write ({shown}; no "
                             f"{owned.marker}); it would replace them: give an empty or new folder for the "
                             f"{owned.what}")
    foreign = [name for name in entries if name not in _DESKTOP_JUNK
               and not (owned.is_ours(name) and os.path.isfile(target / name) and not os.path.islink(target / name))
               and not owned.is_own_subfolder(target / name)]
    if foreign:
        shown = ", ".join(foreign[:3]) + (f" and {len(foreign) - 3} more" if len(foreign) > 3 else "")
        raise OwnershipError(f"{option} {target} holds {shown}, which peerbib did not write there; move "
                             f"{'it' if len(foreign) == 1 else 'them'} out of {target}, then run this again")


# --- the work folder and the swap -----------------------------------------------------


def _work_name(target: Path) -> str:
    return f".{target.name}{_WORK}"


@contextmanager
def replacing(target: Path, owned: Owned, *, option: str = "the folder", swap_lock=None) -> Iterator[Path]:
    """Yield an empty folder to fill; on success it replaces ``target`` in one step.

    ``target`` is checked (:func:`check_replaceable`) before anything is
    written and again just before the swap. On an exception nothing changes
    and the work folder goes. Abandoned work folders of killed runs beside
    ``target`` are removed first. ``swap_lock`` (a context manager, e.g. the
    readers' lock taken exclusively) is held for the instant of the swap.
    """
    target = Path(target)
    check_replaceable(target, owned, option=option)
    target.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_work(target, owned)
    work = Path(tempfile.mkdtemp(prefix=_work_name(target), dir=target.parent))
    lock = FileLock(work / _WORK_LOCK, holder="another peerbib process", action="is writing")
    try:
        lock.acquire()
        new = work / "new"
        new.mkdir()
        ordinary_permissions(new)  # mkdtemp makes 0700; a project folder is shared like any other
        yield new
        with swap_lock if swap_lock is not None else nullcontext():
            check_replaceable(target, owned, option=option)
            _swap(new, target, work)
    finally:
        lock.release()
        _remove_work(work)


def _swap(new: Path, target: Path, work: Path) -> None:
    """Put ``new`` where ``target`` is; the old content ends up inside ``work`` (removed by the caller)."""
    if not os.path.lexists(target):
        os.replace(new, target)
        return
    if files.exchange_dirs(new, target):
        return  # ``new`` (inside work) now holds the old folder
    # No atomic exchange here (not Linux, or a file system without it): two
    # renames. A kill between them leaves work/old and no target, which
    # remove_stale_work puts back.
    os.replace(target, work / "old")
    os.replace(new, target)


def _remove_work(work: Path) -> None:
    """Remove a work folder of ours: a real folder, its content deleted without following any symlink."""
    try:
        info = os.lstat(work)
    except FileNotFoundError:
        return
    if stat.S_ISDIR(info.st_mode):
        shutil.rmtree(work, ignore_errors=True)  # rmtree unlinks symlinks inside, never follows them


def remove_stale_work(target: Path, owned: Owned) -> list[Path]:
    """Remove the work folders beside ``target`` that no live process holds; returns those removed.

    A work folder whose lock file can be taken belongs to a process that died
    (the kernel drops ``flock`` locks with their holder, ``kill -9`` included).
    One without a lock file was made by a process killed before it wrote one,
    and is removed only when empty. When the target is missing and a stale
    work folder holds the old content (killed between the two renames of the
    fallback swap), the old content is put back first. Staging folders of
    older peerbib versions (no lock) go when they hold only peerbib's files
    and are older than ten minutes.
    """
    target = Path(target)
    parent = target.parent
    removed = []
    try:
        names = os.listdir(parent)
    except OSError:
        return removed
    legacy = re.compile(owned.legacy_staging.format(name=re.escape(target.name))) if owned.legacy_staging else None
    for name in sorted(names):
        path = parent / name
        try:
            info = os.lstat(path)
        except FileNotFoundError:
            continue
        if not stat.S_ISDIR(info.st_mode):
            continue
        if name.startswith(_work_name(target)):
            if _stale_work(path, target):
                removed.append(path)
        elif legacy is not None and legacy.fullmatch(name) and time.time() - info.st_mtime > _LEGACY_AGE:
            inside = [path / f for f in os.listdir(path)]
            if all(not f.is_symlink() and f.is_file() and owned.is_ours(f.name) for f in inside):
                _remove_work(path)
                removed.append(path)
    return removed


def _stale_work(work: Path, target: Path) -> bool:
    lock_path = work / _WORK_LOCK
    if not lock_path.is_file():
        try:
            work.rmdir()  # killed between making it and locking it: it is empty; anything else is not ours
        except OSError:
            return False
        return True
    lock = FileLock(lock_path, holder="another peerbib process", action="is writing")
    if not lock.try_acquire():
        return False  # a live process is writing it
    try:
        old = work / "old"
        if not os.path.lexists(target) and old.is_dir() and not old.is_symlink():
            os.replace(old, target)
        _remove_work(work)
    finally:
        lock.release()
    return True


def remove_own_tree(folder: Path, keep: set[str], patterns: tuple[str, ...]) -> int:
    """Delete the files under ``folder`` that peerbib wrote and no longer needs; returns how many went.

    Walks without following symlinks (a symlinked folder inside is neither
    entered nor removed, a symlinked file is left), deletes only regular files
    whose name matches ``patterns`` (peerbib's own names, or its hidden
    temporary files) and whose path relative to ``folder.parent`` is not in
    ``keep``, and removes folders left empty. Everything deleted lies inside
    the real path of ``folder``.
    """
    folder = Path(folder)
    try:
        info = os.lstat(folder)
    except FileNotFoundError:
        return 0
    if not stat.S_ISDIR(info.st_mode):
        return 0  # a symlink in place of one of our folders: not ours to clean
    base = _real(folder)
    removed = 0
    for current, _, names in os.walk(folder, topdown=False, followlinks=False):
        here = Path(current)
        if not is_within(here, base):
            continue
        for name in names:
            path = here / name
            relative = path.relative_to(folder.parent).as_posix()
            if relative in keep or not any(fnmatch.fnmatchcase(name, p) for p in patterns):
                continue
            if not stat.S_ISREG(os.lstat(path).st_mode):
                continue
            path.unlink()
            removed += 1
        if here != folder:
            try:
                if not os.path.islink(here):
                    here.rmdir()  # only when empty
            except OSError:
                pass
    return removed
