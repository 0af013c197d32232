"""The files of a snapshot, read and checked: pages, the copies beside them, full text and tallies.

Every file the manifest lists carries its sha256; a file is read only after
its bytes match it. Pages are gzip JSON Lines written by :func:`encode_page`,
byte for byte the same for the same records.
"""
from __future__ import annotations

import hashlib
import json
import re
import threading
import zlib
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Iterator, Protocol

from ..errors import SnapshotError
from ..files import gzip_bytes, sha256_file
from ..ids import short_id
from .model import Page, QueryEntry

__all__ = ["PageFiles", "StoredFile", "encode_page", "record_id", "LEADING_ID"]

# The id of a stored record when it is the line's first key, as OpenAlex sends
# it: read without parsing the line. Pages hold JSON as peerbib wrote it, so a
# key inside a string value would be escaped (\"id\") and cannot match.
LEADING_ID = re.compile(rb'^\{"id":\s*"(?:https?://openalex\.org/)?(W\d+)"')


class StoredFile(Protocol):
    """A file the manifest lists: a page, its copies, a full text, a tally answer."""

    file: str | None
    sha256: str | None


def encode_page(records: list[dict]) -> bytes:
    """Records as gzip JSON Lines, byte for byte the same for the same records."""
    lines = [json.dumps(record, ensure_ascii=False, separators=(",", ":")) for record in records]
    return gzip_bytes(("\n".join(lines) + ("\n" if lines else "")).encode("utf-8"))


def record_id(record) -> str | None:
    """The short work id of a record (None for anything that is not a record with an id)."""
    return short_id(record.get("id")) if isinstance(record, dict) else None


class PageFiles:
    """Reading and checking the files of a snapshot folder.

    A file found intact is remembered by its path, inode, size, modification
    time and sha256, so checking the same snapshot again (a warm rerun checks
    each query several times) costs a ``stat`` per file. The memory belongs to
    this object: it ends with it.
    """

    def __init__(self, folder):
        self.folder = Path(folder)
        self._lock = threading.RLock()
        self._verified: set[tuple] = set()  # (path, inode, size, mtime, sha256) of files found intact

    def page_bytes(self, page: StoredFile) -> bytes:
        """The decompressed bytes of one page, after checking the file against its sha256."""
        path = self.folder / page.file
        try:
            data = path.read_bytes()
        except OSError:
            raise SnapshotError(f"{path} is missing; fetch again to restore it") from None
        if hashlib.sha256(data).hexdigest() != page.sha256:
            raise SnapshotError(f"{path} does not match its sha256 in the manifest; fetch again with --refresh")
        try:
            # zlib with gzip framing: the CRC is checked in C, faster than the gzip module
            return zlib.decompress(data, 16 + zlib.MAX_WBITS)
        except zlib.error as exc:
            raise SnapshotError(f"{path} cannot be decompressed ({exc})") from None

    def pages_bytes(self, pages: list[StoredFile], lookahead: int = 4) -> Iterator[bytes]:
        """:meth:`page_bytes` of each of ``pages``, in order, read and decompressed ahead on a thread.

        Reading, hashing and decompressing release the GIL, so on two cores
        the next pages are ready while the caller parses this one.
        """
        if len(pages) <= 1:
            for page in pages:
                yield self.page_bytes(page)
            return
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="peerbib-read") as pool:
            ahead = deque()
            for page in pages:
                ahead.append(pool.submit(self.page_bytes, page))
                if len(ahead) > lookahead:
                    yield ahead.popleft().result()
            while ahead:
                yield ahead.popleft().result()

    def page_lines(self, page: StoredFile) -> Iterator[bytes]:
        """The JSON lines of one page (each one record), not yet parsed."""
        for line in self.page_bytes(page).splitlines():
            if line.strip():
                yield line

    def page_records(self, page: StoredFile) -> Iterator[dict]:
        """The records of one page, after checking the file against its sha256."""
        path = self.folder / page.file
        for line in self.page_lines(page):
            try:
                yield json.loads(line)
            except ValueError as exc:
                raise SnapshotError(f"{path} holds a line that is not JSON ({exc})") from None

    def query_records(self, entry: QueryEntry) -> Iterator[dict]:
        """The records of a query's pages (not the copies kept beside them)."""
        for page in entry.pages:
            yield from self.page_records(page)

    def check_copies(self, page: Page) -> None:
        """Raise :class:`SnapshotError` when the copies file beside ``page`` is missing or damaged."""
        if page.copies and not self._page_intact(page.copies):
            path = self.folder / page.copies.file
            raise SnapshotError(f"{path} is missing or does not match its sha256 in the manifest; "
                                "fetch again to restore it")

    def copy_lines(self, page: Page) -> dict[str, bytes]:
        """The copies kept beside a page, by work id, as JSON lines."""
        if not page.copies:
            return {}
        return dict(zip(page.copies.ids, self.page_lines(page.copies)))

    def page_ids(self, page: Page) -> list[str]:
        """The work ids of a page's records (not of the copies beside it), read without parsing where possible."""
        ids = []
        for line in self.page_lines(page):
            leading = LEADING_ID.match(line)
            work_id = leading.group(1).decode() if leading else record_id(json.loads(line))
            if work_id:
                ids.append(work_id)
        return ids

    def entry_ids(self, entry: QueryEntry) -> set[str]:
        """The work ids a query's answer held: its pages' records and the copies beside them."""
        ids = set()
        for page in entry.pages:
            ids.update(self.page_ids(page))
            ids.update(w for w in (page.copies.ids if page.copies else ()) if w)
        return ids

    def pages_intact(self, entry: QueryEntry) -> bool:
        """True when every page file of ``entry`` (and its copies) is present with its recorded sha256."""
        for page in entry.pages:
            if not self._page_intact(page):
                return False
            if page.copies and not self._page_intact(page.copies):
                return False
        return True

    def fulltext_intact(self, item) -> bool:
        """True for a recorded 404, or a file present with its sha256 (a full text or a tally answer)."""
        if item.status == 404:
            return True
        return bool(item.file) and self._page_intact(item)

    def fulltext_bytes(self, item: StoredFile) -> bytes:
        """The document of a full-text item (or a tally answer), checked against its sha256 and decompressed."""
        return self.page_bytes(item)

    def _page_intact(self, page: StoredFile) -> bool:
        path = self.folder / page.file
        try:
            stat = path.stat()
        except OSError:
            return False
        mark = (str(path), stat.st_ino, stat.st_size, stat.st_mtime_ns, page.sha256)
        with self._lock:
            if mark in self._verified:
                return True
        try:
            if sha256_file(path) != page.sha256:
                return False
        except OSError:
            return False
        with self._lock:
            self._verified.add(mark)
        return True
