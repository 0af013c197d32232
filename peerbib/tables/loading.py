"""Loading the processed tables, building them first when they are missing or stale.

Stale means: built from raw data whose fingerprint is not what the raw
folder has now. The raw folder is the one the tables were built from, as
``build_info.json`` records it, so loading a folder of tables built from
somewhere else never swaps in other data. In a copied or moved project the
recorded absolute path names the original's raw data: the project's own
raw folder (the recorded relative path) is used instead, and the tables are
built again from it, saying so.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import pandas as pd

from ..errors import BuildError
from ..ownership import is_within
from ..paths import project_path, project_root
from ..settings import PROCESSED, RAW
from .building import BUILD_INFO, _build, build_lock, check_tables_folder, tables_read_lock
from .inputs import one_fingerprint, raw_fingerprint
from .schema import ADDED_TABLES, SCHEMAS, Tables, conform, empty_table

__all__ = ["load", "needs_build", "recorded_raw", "build_info"]


def build_info(processed) -> dict | None:
    """The ``build_info.json`` of a processed folder, or None when there is none (or it is unreadable)."""
    path = project_path(processed) / BUILD_INFO
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def recorded_raw(processed) -> Path | None:
    """The raw folder a processed folder was built from, when it still exists (see :func:`_recorded`)."""
    return _recorded(project_path(processed))[0]


def _recorded(processed: Path) -> tuple[Path | None, str | None]:
    """The raw folder to judge ``processed`` by, and a note when it is not the one recorded as absolute.

    ``build_info.json`` records the raw folder twice: absolute, and relative
    to the tables. In a copied or moved project the absolute path names the
    original's raw data; the relative one names the project's own. The
    relative one wins when it exists inside the project; the absolute one
    when the raw data lies outside the project (given explicitly) and still
    exists.
    """
    info = build_info(processed)
    if not info:
        return None, None
    absolute = Path(info["raw"]) if isinstance(info.get("raw"), str) and info.get("raw") else None
    relative = info.get("raw_relative")
    relative = Path(os.path.normpath(processed / relative)) if isinstance(relative, str) and relative else None
    own = relative is not None and relative.exists() and is_within(relative, project_root())
    if own and absolute is not None and os.path.realpath(absolute) != os.path.realpath(relative):
        return relative, (f"the tables in {processed} had been built from {absolute}: built again from this "
                          f"project's own {relative} (a copied or moved project)")
    for path in (absolute, relative) if not own else (relative,):
        if path is not None and path.exists():
            return path, None
    return None, None


def _raw_to_judge(raw, processed: Path) -> Path | None:
    """The raw folder whose fingerprint decides staleness (None: nothing to judge by).

    ``raw=None`` means the folder the tables were built from, else the
    project's ``data/raw``. A ``raw`` that is not the recorded one is an error:
    those tables come from other data.
    """
    info = build_info(processed)
    recorded = _recorded(processed)[0]
    if raw is None:
        if info is None:
            return project_path(RAW)
        return recorded
    raw = project_path(raw).resolve()
    if info is not None and info.get("raw") and recorded is not None and recorded.resolve() != raw:
        raise BuildError(
            f"the tables in {processed} were built from {recorded}, not from {raw}; load them without raw=, "
            f"choose another processed folder for {raw}, or replace them with pb.build({str(raw)!r}, "
            f"{str(processed)!r})"
        )
    return raw


def needs_build(raw=None, processed=PROCESSED) -> bool:
    """True when ``processed`` is missing a table or was built from raw data that changed since.

    ``raw=None`` judges by the raw folder the tables were built from (see the module notes).
    """
    processed = project_path(processed)
    info = build_info(processed)
    missing = [name for name in SCHEMAS if not (processed / f"{name}.parquet").is_file()]
    if info is None or any(name not in ADDED_TABLES for name in missing):
        return True
    judge = _raw_to_judge(raw, processed)
    if judge is None or not judge.exists():
        return False  # the raw data is gone: the tables are all there is
    if missing:
        return True  # built by a peerbib without the newer tables: build them from the raw data
    if raw is None and _recorded(processed)[1]:
        return True  # built in another project (copied from it): build from this one's own raw data
    return info.get("raw_sha256") != raw_fingerprint(judge)


def load(processed=PROCESSED, *, raw=None, rebuild="auto") -> Tables:
    """Load the processed tables, building them from the raw data when needed.

    Parameters
    ----------
    processed : str or Path
        Folder holding the Parquet tables.
    raw : str or Path, optional
        Raw data to build from when ``processed`` is missing or stale. By
        default the raw folder the tables were built from (recorded in
        ``build_info.json``), or the project's ``data/raw`` for a first build.
    rebuild : {"auto", True, False}
        ``"auto"`` builds when a table is missing or the raw data changed since
        the last build; ``True`` always builds; ``False`` never does.

    Returns
    -------
    Tables

    Raises
    ------
    BuildError
        When ``raw`` names another folder than the one the tables were built
        from (they would be replaced by other data), or a table is missing
        and ``rebuild=False``.
    """
    processed = project_path(processed)
    with one_fingerprint():  # judged stale, built, and checked again under the lock: one fingerprint
        if rebuild is True or (rebuild == "auto" and needs_build(raw, processed)):
            source = _raw_to_judge(raw, processed) or project_path(RAW)
            note = _recorded(processed)[1] if raw is None else None
            check_tables_folder(processed, source)
            processed.parent.mkdir(parents=True, exist_ok=True)
            with build_lock(processed):
                # Another process may have been building the same folder: build
                # only if its tables are still not fresh.
                if rebuild is True or needs_build(raw, processed):
                    return _build(source, processed, note=note)
    return _read(processed)


def _read(processed: Path) -> Tables:
    lock = tables_read_lock(processed)
    try:
        lock.acquire()
    except PermissionError:  # a read-only project: nobody can swap the tables either
        lock = None
    try:
        frames, older = {}, []
        for name in SCHEMAS:
            path = processed / f"{name}.parquet"
            if not path.is_file() and name in ADDED_TABLES:
                older.append(name)  # written by a peerbib before this table: read as empty
                frames[name] = empty_table(name)
                continue
            if not path.is_file():
                raise BuildError(f"{path} is missing; run `peerbib build` first")
            frames[name] = conform(pd.read_parquet(path), name)
        info = build_info(processed) or {}
    finally:
        if lock is not None:
            lock.release()
    warnings = list(info.get("warnings") or [])
    if older:
        warnings.append(f"the tables in {processed} were built by an older peerbib, without "
                        f"{' and '.join(f'tables.{name}' for name in older)} (read as empty): run `peerbib build` "
                        "to make them")
    return Tables(**frames, warnings=warnings, notes=list(info.get("notes") or []), info=info)
