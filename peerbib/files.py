"""Files written so that no reader ever sees half of them, and locks between processes.

Every file peerbib writes goes through here: :func:`atomic_write` (a hidden
temporary file in the same folder, flushed, then renamed over the target),
:func:`exchange_dirs` (two folders swapped in one step, so a folder of tables
is never missing; :mod:`peerbib.ownership` uses it to replace only folders
peerbib wrote), and :class:`FileLock` (``flock`` on a lock file, shared or
exclusive, dropped by the kernel when its holder dies, ``kill -9`` included).
"""
from __future__ import annotations

import ctypes
import ctypes.util
import errno
import gzip
import hashlib
import io
import os
import tempfile
import time
from pathlib import Path
from typing import Iterable

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None

from .errors import BusyError
from .ids import as_int

__all__ = ["atomic_write", "atomic_write_text", "atomic_write_parquet", "gzip_bytes", "sha256_file", "sha256_files",
           "exchange_dirs", "FileLock", "ordinary_permissions"]


def _umask() -> int:
    """The process's umask now. Linux shows it in /proc without changing it;
    elsewhere it is set and put back (``os.umask`` is the only way to read it)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def ordinary_permissions(path) -> None:
    """Give ``path`` the mode a plain ``open``/``mkdir`` would (0666/0777 less the umask).

    ``mkstemp`` and ``mkdtemp`` make 0600 and 0700, which would leave a
    project's files unreadable by the colleagues it is shared with.
    """
    os.chmod(path, (0o777 if Path(path).is_dir() else 0o666) & ~_umask())


def atomic_write(path, data: bytes) -> str:
    """Write ``data`` to ``path`` through a hidden temporary file and a rename.

    Returns the sha256 of ``data``. A reader sees the old file or the new one,
    never a part; the temporary name starts with a dot and ends with ``.tmp``
    so ``build`` ignores leftovers of a killed process. The file gets ordinary
    permissions (``mkstemp``'s 0600 would make shared projects unreadable).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        ordinary_permissions(temp)
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp, path)
    except BaseException:
        try:
            os.unlink(temp)
        except OSError:
            pass
        raise
    return hashlib.sha256(data).hexdigest()


def atomic_write_text(path, text: str) -> str:
    """:func:`atomic_write` of UTF-8 text."""
    return atomic_write(path, text.encode("utf-8"))


def atomic_write_parquet(path, frame) -> str:
    """:func:`atomic_write` of a DataFrame as Parquet, without its index."""
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False)
    return atomic_write(path, buffer.getvalue())


def gzip_bytes(data: bytes) -> bytes:
    """``data`` gzipped with mtime 0 and no file name: the same content always gives the same bytes.

    Level 6 (zlib's default), not gzip's 9: on a snapshot's JSON pages level 9 took 3.3 times as
    long for files 2% smaller, and it was a third of a large fetch's time.
    """
    buffer = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buffer, mtime=0, compresslevel=6) as out:
        out.write(data)
    return buffer.getvalue()


def sha256_file(path) -> str:
    """sha256 of a file's bytes, read in blocks."""
    digest = hashlib.sha256()
    _feed(digest, path)
    return digest.hexdigest()


def sha256_files(named: Iterable[tuple[str, Path]]) -> str:
    """One sha256 over several files, given as ``(name, path)`` pairs: per file its name in UTF-8, a NUL
    byte, its bytes, a NUL byte. A renamed file changes it as an edited one does."""
    digest = hashlib.sha256()
    for name, path in named:
        digest.update(name.encode("utf-8") + b"\0")
        _feed(digest, path)
        digest.update(b"\0")
    return digest.hexdigest()


def _feed(digest, path) -> None:
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)


# --- swapping two folders in one step -------------------------------------------------

_RENAME_EXCHANGE = 2  # linux/fs.h
_AT_FDCWD = -100
_renameat2 = None


def _libc_renameat2():
    global _renameat2
    if _renameat2 is None:
        _renameat2 = False
        name = ctypes.util.find_library("c")
        if name:
            try:
                libc = ctypes.CDLL(name, use_errno=True)
                function = libc.renameat2
            except (OSError, AttributeError):
                function = None
            if function is not None:
                function.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
                function.restype = ctypes.c_int
                _renameat2 = function
    return _renameat2 or None


def exchange_dirs(a, b) -> bool:
    """Swap folders ``a`` and ``b`` in one step (Linux ``renameat2(RENAME_EXCHANGE)``).

    Returns False, changing nothing, where the system or file system cannot
    (then the caller falls back to two renames under its lock).
    """
    function = _libc_renameat2()
    if function is None:
        return False
    result = function(_AT_FDCWD, os.fsencode(str(a)), _AT_FDCWD, os.fsencode(str(b)), _RENAME_EXCHANGE)
    if result == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV):
        return False
    raise OSError(code, os.strerror(code), str(b))


# --- locks ---------------------------------------------------------------------------


class FileLock:
    """An ``flock`` on ``path``: exclusive (one holder) or shared (many readers).

    The kernel drops the lock when its holder ends, however it ends, so a lock
    file left behind never blocks anyone. An exclusive lock writes the holder's
    PID into the file, for the message another process shows; with
    ``remove=True`` the file is deleted on release (only for locks that are
    never taken shared: a shared holder's lock would be on a deleted file).

    Parameters
    ----------
    path : str or Path
        The lock file (created when missing, with its folder).
    shared : bool
        Take a shared lock (readers) instead of an exclusive one (writers).
    timeout : float
        Seconds to wait for the lock; 0 fails at once.
    holder, action : str
        Who holds the lock and what it does, for the message: "another fetch
        (process 123) is writing /path/to/folder; wait …".
    remove : bool
        Delete the lock file on release.
    record_pid : bool
        Write the holder's PID into the file (exclusive locks only). Off for
        locks whose file must stay byte for byte as it was (a snapshot's read
        lock: a warm rerun leaves the snapshot untouched).
    """

    def __init__(self, path, *, shared: bool = False, timeout: float = 0.0, holder: str = "another process",
                 action: str = "is using",
                 remove: bool = False, record_pid: bool = True, poll: float = 0.05):
        self.path = Path(path)
        self.shared = shared
        self.timeout = timeout
        self.holder = holder
        self.action = action
        self.remove = remove and not shared
        self.record_pid = record_pid and not shared
        self.poll = poll
        self._fd: int | None = None
        self._created = False

    def __enter__(self) -> "FileLock":
        self.acquire()
        return self

    def __exit__(self, *exc) -> None:
        self.release()

    @property
    def held(self) -> bool:
        return self._fd is not None or self._created

    def _busy(self, pid: int | None) -> BusyError:
        who = f"{self.holder} (process {pid})" if pid else self.holder
        return BusyError(f"{who} {self.action} {self.path.parent}; wait for it to finish and try again")

    def try_acquire(self) -> bool:
        """Take the lock if it is free now; True when taken."""
        try:
            self._acquire(timeout=0.0)
        except BusyError:
            return False
        return True

    def acquire(self) -> None:
        self._acquire(self.timeout)

    def _acquire(self, timeout: float) -> None:
        if self.held:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if fcntl is None:  # pragma: no cover - Windows
            self._acquire_by_pid()
            return
        mode = fcntl.LOCK_SH if self.shared else fcntl.LOCK_EX
        deadline = time.monotonic() + max(0.0, timeout)
        while True:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o666)
            try:
                fcntl.flock(fd, mode | fcntl.LOCK_NB)
            except OSError:
                pid = as_int(os.pread(fd, 32, 0).decode("ascii", "replace").strip())
                os.close(fd)
                if time.monotonic() >= deadline:
                    raise self._busy(pid) from None
                time.sleep(self.poll)
                continue
            # The holder before may have removed the file between our open and
            # our flock: only a lock on the file that is there counts.
            try:
                current = os.stat(self.path)
            except FileNotFoundError:
                current = None
            if current is None or not os.path.samestat(os.fstat(fd), current):
                os.close(fd)
                continue
            if self.record_pid:
                os.ftruncate(fd, 0)
                os.pwrite(fd, str(os.getpid()).encode("ascii"), 0)
            self._fd = fd
            return

    def _acquire_by_pid(self) -> None:  # pragma: no cover - Windows
        if self.shared:
            self._created = True  # no shared locks without fcntl: readers do not block
            return
        for _ in range(2):
            try:
                handle = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666)
            except FileExistsError:
                try:
                    pid = int(self.path.read_text().strip() or 0)
                except (OSError, ValueError):
                    pid = 0
                if pid and pid != os.getpid() and _alive(pid):
                    raise self._busy(pid) from None
                self.path.unlink(missing_ok=True)
                continue
            with os.fdopen(handle, "w") as out:
                out.write(str(os.getpid()))
            self._created = True
            return
        raise self._busy(None)

    def release(self) -> None:
        """Drop the lock (deleting the file first, while still holding it, with ``remove``)."""
        if self._fd is not None:
            try:
                if self.remove:
                    self.path.unlink(missing_ok=True)
                elif self.record_pid:
                    os.ftruncate(self._fd, 0)
            finally:
                os.close(self._fd)
                self._fd = None
        elif self._created:  # pragma: no cover - Windows
            if not self.shared:
                self.path.unlink(missing_ok=True)
            self._created = False


def _alive(pid: int) -> bool:  # pragma: no cover - Windows
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


#: What a spreadsheet reads as the start of a formula (OWASP's list for CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_text(value):
    """A CSV cell a spreadsheet shows as text: an apostrophe before a string it would run as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value
