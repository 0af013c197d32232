"""The two locks of a snapshot folder, both ``flock`` (dropped by the kernel when the holder dies).

``.fetch.lock`` lets one fetch at a time write; ``.read.lock`` is held shared
by every build reading the snapshot, and :meth:`~peerbib.snapshot.store.Snapshot.sweep`
(which deletes unlisted files) runs only when it can take it exclusively.
"""
from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

from ..files import FileLock

__all__ = ["FETCH_LOCK", "READ_LOCK", "READ_LOCK_TIMEOUT", "fetch_lock", "snapshot_read_lock", "reading"]

FETCH_LOCK = ".fetch.lock"
READ_LOCK = ".read.lock"
#: Seconds a build waits for a sweep to finish (sweeps are quick).
READ_LOCK_TIMEOUT = 60.0


def fetch_lock(folder) -> FileLock:
    """The lock one fetch at a time holds on a snapshot folder (exclusive, fails at once)."""
    return FileLock(Path(folder) / FETCH_LOCK, holder="another fetch", action="is writing", remove=True)


def snapshot_read_lock(folder, *, shared: bool = True, timeout: float = READ_LOCK_TIMEOUT) -> FileLock:
    """The lock builds hold shared while they read a snapshot; sweeping takes it exclusive."""
    holder = "a sweep of the snapshot" if shared else "a build"
    action = "is cleaning" if shared else "is reading"
    return FileLock(Path(folder) / READ_LOCK, shared=shared, timeout=timeout, holder=holder, action=action,
                    record_pid=False)


@contextmanager
def reading(folder):
    """Hold the snapshot's read lock (shared) while a build reads it, so no sweep deletes its pages."""
    lock = snapshot_read_lock(folder)
    try:
        lock.acquire()
    except PermissionError:
        # A snapshot in a read-only folder: nobody can sweep it either.
        yield
        return
    try:
        yield
    finally:
        lock.release()
