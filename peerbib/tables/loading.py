"""Loading the processed tables, building them first when they are missing or stale.

Stale means: built from raw data whose fingerprint is not what the raw
folder has now. The raw folder is the one the tables were built from, as
``build_info.json`` records it, so loading a folder of tables built from
somewhere else never swaps in other data.
"""
from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from ..errors import BuildError
from ..paths import project_path
from ..settings import PROCESSED, RAW
from .building import BUILD_INFO, _build, build, build_lock, read_lock
from .inputs import raw_fingerprint
from .schema import SCHEMAS, Tables, conform

__all__ = ["load", "needs_build", "recorded_raw", "build_info"]


def build_info(processed) -> dict | None:
    """The ``build_info.json`` of a processed folder, or None when there is none (or it is unreadable)."""
    path = project_path(processed) / BUILD_INFO
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def recorded_raw(processed) -> Path | None:
    """The raw folder a processed folder was built from, when it still exists."""
    processed = project_path(processed)
    info = build_info(processed)
    if not info:
        return None
    for candidate in (info.get("raw"), info.get("raw_relative")):
        if not candidate:
            continue
        path = Path(candidate)
        if not path.is_absolute():
            path = (processed / path).resolve()
        if path.exists():
            return path
    return None


def _raw_to_judge(raw, processed: Path) -> Path | None:
    """The raw folder whose fingerprint decides staleness (None: nothing to judge by).

    ``raw=None`` means the folder the tables were built from, else the
    project's ``data/raw``. A ``raw`` that is not the recorded one is an error:
    those tables come from other data.
    """
    info = build_info(processed)
    recorded = recorded_raw(processed)
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
    if info is None or any(not (processed / f"{name}.parquet").is_file() for name in SCHEMAS):
        return True
    judge = _raw_to_judge(raw, processed)
    if judge is None or not judge.exists():
        return False  # the raw data is gone: the tables are all there is
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
    if rebuild is True or (rebuild == "auto" and needs_build(raw, processed)):
        source = _raw_to_judge(raw, processed) or project_path(RAW)
        if rebuild is True:
            return build(source, processed)
        # Another process may be building the same folder: wait for it, then
        # build only if its tables are still not fresh.
        processed.parent.mkdir(parents=True, exist_ok=True)
        with build_lock(processed):
            if needs_build(raw, processed):
                return _build(source, processed)
    return _read(processed)


def _read(processed: Path) -> Tables:
    lock = read_lock(processed)
    try:
        lock.acquire()
    except PermissionError:  # a read-only project: nobody can swap the tables either
        lock = None
    try:
        frames = {}
        for name in SCHEMAS:
            path = processed / f"{name}.parquet"
            if not path.is_file():
                raise BuildError(f"{path} is missing; run `peerbib build` first")
            frames[name] = conform(pd.read_parquet(path), name)
        info = build_info(processed) or {}
    finally:
        if lock is not None:
            lock.release()
    return Tables(**frames, warnings=list(info.get("warnings") or []), notes=list(info.get("notes") or []), info=info)
