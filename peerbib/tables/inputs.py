"""What a raw folder holds, and its fingerprint.

A raw folder holds corpus files (``corpus/``), statement and tally files
(``statements/``, ``tallies/``) and an OpenAlex snapshot (``openalex/``), in
any combination; or it is one corpus file.
"""
from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

from ..corpus import corpus_files
from ..files import sha256_files
from ..paths import project_path
from ..snapshot.store import MANIFEST

__all__ = ["corpus_files", "csv_files", "snapshot_dir", "raw_files", "raw_fingerprint", "one_fingerprint",
           "SNAPSHOT_DIR"]

SNAPSHOT_DIR = "openalex"
#: Folders of a snapshot whose files the manifest lists with their sha256:
#: the manifest stands for them in the fingerprint.
_LISTED = ("pages", "tei", "fulltext", "scite")


def csv_files(raw: Path, folder: str) -> list[Path]:
    """The CSV files in ``raw/folder`` (none when ``raw`` is a file)."""
    if raw.is_file() or not (raw / folder).is_dir():
        return []
    return sorted(p for p in (raw / folder).iterdir() if p.is_file() and p.suffix.lower() == ".csv")


def snapshot_dir(raw: Path) -> Path | None:
    """The snapshot folder of a raw folder (``raw/openalex``, or ``raw`` itself), if any."""
    candidates = [raw / SNAPSHOT_DIR, raw] if raw.is_dir() else []
    for folder in candidates:
        if (folder / MANIFEST).is_file():
            return folder
    return None


def raw_files(raw: Path) -> list[Path]:
    """The files that make up ``raw``'s data, for the fingerprint.

    Hidden files (locks, temporary files of a running fetch) are left out, and
    so are a snapshot's page and full-text files: its manifest lists each with
    its sha256, and files it does not list are not part of the snapshot.
    """
    if raw.is_file():
        return [raw]
    snapshot = snapshot_dir(raw)
    skipped = [snapshot / name for name in _LISTED] if snapshot is not None else []
    found = []
    for path in raw.rglob("*"):
        relative = path.relative_to(raw).parts
        if any(part.startswith(".") for part in relative) or not path.is_file():
            continue
        if any(folder in path.parents for folder in skipped):
            continue
        found.append(path)
    return sorted(found)


def raw_fingerprint(raw="data/raw") -> str:
    """sha256 over the names and contents of the files of ``raw`` (see :func:`raw_files`).

    It changes when any input changes, so reports can say exactly which raw
    data they show and ``load`` can tell when the processed tables are stale.
    A snapshot counts by its manifest, so the fingerprint of a large snapshot
    costs one file, not its thousands of pages. Inside :func:`one_fingerprint`
    a folder's fingerprint is taken once.
    """
    raw = project_path(raw)
    taken = _TAKEN.get()
    key = str(raw.resolve())
    if taken is not None and key in taken:
        return taken[key]
    fingerprint = sha256_files((path.name if raw.is_file() else path.relative_to(raw).as_posix(), path)
                               for path in raw_files(raw))
    if taken is not None:
        taken[key] = fingerprint
    return fingerprint


#: The fingerprints taken inside :func:`one_fingerprint` (raw folder -> sha256), None outside.
_TAKEN: ContextVar[dict | None] = ContextVar("peerbib_raw_fingerprints", default=None)


@contextmanager
def one_fingerprint():
    """Take each raw folder's fingerprint once inside this block (one command: a check, a build, a report).

    The first fingerprint stands for the block: taken before the build reads
    the raw data (see :mod:`.building`), a file added meanwhile makes the
    recorded fingerprint differ, so the tables count as stale next time.
    Blocks nest (the outermost one counts); outside one, every call hashes again.
    """
    if _TAKEN.get() is not None:
        yield
        return
    token = _TAKEN.set({})
    try:
        yield
    finally:
        _TAKEN.reset(token)
