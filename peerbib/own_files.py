"""Files peerbib writes at a path the user names, and replaces only while they are still as it wrote them.

A network export (``peerbib network --out``, :func:`peerbib.export_network`)
or a cluster table (``Clustering.to_parquet``) goes where the user says. Such
a path may already hold something of the user's, so before a file is written:

- it must not be a folder, a symbolic link, the project folder, or lie in the
  raw data (real paths compared: a symlinked folder or ``..`` cannot hide it);
- when it exists, peerbib must have written it, and it must be unchanged since:
  each folder peerbib writes such files into holds ``.peerbib-files.json``,
  the sha256 of every file peerbib wrote there (a Parquet file in a tables
  folder peerbib built, such as ``data/processed/clusters.parquet``, is
  peerbib's by that folder's marker). A file not listed, or edited
  since, is refused in one line, unless ``force`` asks to replace it; then the
  old file is kept beside it as ``NAME.bak`` (``.bak2``, … when that exists).

Every file of one call is checked before any is written, so a refusal writes
nothing. Each file is written whole or not at all
(:func:`peerbib.files.atomic_write`).
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import stat
import warnings
from pathlib import Path

from .errors import OwnershipError
from .files import FileLock, atomic_write_text, atomic_write
from .ownership import FILES_RECORD, PROCESSED_FOLDER, is_within
from .paths import project_path, project_root
from .settings import RAW

__all__ = ["FILES_RECORD", "backup_path", "check_own_file", "write_own_files"]

_RECORD_KEY = "peerbib_files"


def backup_path(path: Path) -> Path:
    """``NAME.bak``, else ``NAME.bak2``, ``NAME.bak3``, …: the first that does not exist."""
    backup = path.with_name(path.name + ".bak")
    number = 2
    while os.path.lexists(backup):
        backup = path.with_name(f"{path.name}.bak{number}")
        number += 1
    return backup


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _record(folder: Path) -> dict[str, str]:
    """The files peerbib wrote in ``folder`` (name -> sha256); refuses a record it did not write."""
    path = folder / FILES_RECORD
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return {}
    problem = None if stat.S_ISREG(info.st_mode) else "is not a regular file"
    content = None
    if problem is None:
        try:
            content = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            problem = "is not peerbib's record of the files it wrote"
    if problem is None and not (isinstance(content, dict) and isinstance(content.get(_RECORD_KEY), dict)):
        problem = "is not peerbib's record of the files it wrote"
    if problem:
        raise OwnershipError(f"{path} {problem}; peerbib keeps that name for its record of the files it wrote "
                             "there: rename it, or write to another folder")
    return {str(k): str(v) for k, v in content[_RECORD_KEY].items()}


def _protected(real: Path, shown: Path, option: str, raw) -> None:
    root = project_root()
    if real == root.resolve():
        raise OwnershipError(f"{option} {shown} is the project folder: give a file name inside it")
    for folder in {project_path(RAW), *([project_path(raw)] if raw is not None else [])}:
        if is_within(real, folder):
            raise OwnershipError(f"{option} {shown} is in the raw data ({folder}), which peerbib never writes: "
                                 "give a path outside it")


def check_own_file(path, *, option: str = "the file", force: bool = False, raw=None) -> bool:
    """Check that writing ``path`` loses nothing of the user's; True when a backup is needed (``force``).

    Parameters
    ----------
    path : Path
        The file to write.
    option : str
        How the user named it, for the message (``--out``).
    force : bool
        Replace a file peerbib did not write (or that changed since): the
        caller keeps the old one as a ``.bak``.
    raw : path, optional
        A raw data folder besides the project's ``data/raw``.

    Raises
    ------
    OwnershipError
        One line: what the path is and what to do.
    """
    path = Path(path)
    real = Path(os.path.realpath(path.parent)) / path.name
    _protected(real, path, option, raw)
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return False
    if stat.S_ISLNK(info.st_mode):
        raise OwnershipError(f"{option} {path} is a symbolic link (to {os.path.realpath(path)}); peerbib writes "
                             "only real files it wrote: give another path")
    if stat.S_ISDIR(info.st_mode):
        raise OwnershipError(f"{option} {path} is a folder: give a file name, such as {path / path.name}")
    if not stat.S_ISREG(info.st_mode):
        raise OwnershipError(f"{option} {path} is not a regular file: give another path")
    if path.name.endswith(".parquet") and PROCESSED_FOLDER.has_marker(path.parent):
        return False  # a table in a tables folder peerbib built (clusters.parquet): the folder is peerbib's
    wrote = _record(path.parent).get(path.name)
    if wrote is not None and wrote == _sha256(path):
        return False
    if force:
        return True
    why = "peerbib did not write it" if wrote is None else "it changed since peerbib wrote it"
    flag = "--force" if option.startswith("--") else "force=True"
    raise OwnershipError(f"{option} {path} already exists and {why}; peerbib will not overwrite it: give another "
                         f"path, or {flag} to replace it, keeping the old file as {backup_path(path).name}")


def write_own_files(contents: dict, *, option: str = "the file", force: bool = False, raw=None) -> list[Path]:
    """Write each ``{path: text or bytes}`` after checking them all (:func:`check_own_file`), and record them.

    Returns
    -------
    list of Path
        The files written, in the order given.

    Raises
    ------
    OwnershipError
        Before anything is written, when any path is refused.
    """
    contents = {Path(p): data for p, data in contents.items()}
    backups = [p for p in contents if check_own_file(p, option=option, force=force, raw=raw)]
    for folder in {p.parent for p in contents}:
        _record(folder)  # a record that is not ours: refused before anything is written
    for path in backups:
        backup = backup_path(path)
        shutil.copy2(path, backup)
        warnings.warn(f"{path} was replaced; the old file is kept as {backup.name}", stacklevel=3)
    by_folder: dict[Path, dict[str, str]] = {}
    for path, data in contents.items():
        digest = atomic_write(path, data) if isinstance(data, bytes) else atomic_write_text(path, data)
        by_folder.setdefault(path.parent, {})[path.name] = digest
    for folder, written in by_folder.items():
        with FileLock(folder / f"{FILES_RECORD}.lock", timeout=30.0, holder="another peerbib process",
                      action="is recording files in", remove=True):
            record = _record(folder)
            record.update(written)
            atomic_write_text(folder / FILES_RECORD, json.dumps({_RECORD_KEY: dict(sorted(record.items()))},
                                                                indent=1) + "\n")
    return list(contents)
