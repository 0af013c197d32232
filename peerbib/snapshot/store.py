"""The frozen OpenAlex snapshot folder: pages, manifest, locks, sweep.

Layout::

    data/raw/openalex/
        manifest.json                            every query, its pages, sha256, counts, versions
        pages/<query key>/<run>-00001.jsonl.gz   raw API results, one record a line
        fulltext/<W id>.jats.xml.gz              Europe PMC JATS full text (``fetch(fulltext=True)``)
        tei/<W id>.tei.xml.gz                    OpenAlex GROBID TEI full text
        scite/<batch key>.json.gz                scite's tallies of a batch of DOIs (``fetch(scite_tallies=True)``)

Each page is written atomically (a hidden temporary file, then a rename), as
is the manifest, so a fetch killed at any moment leaves a snapshot that reads
cleanly: a page is part of the snapshot only once the manifest lists it with
its sha256. A listed page file is never overwritten. Pages are gzip files
with a fixed header timestamp, so the same answer always gives the same bytes.

A query asked again (``refresh``, or to finish one that ended badly) while
the snapshot already holds pages of it is written as a *pending* entry beside
the old one; the old entry stays what readers see until the new one
finishes, and is then replaced in one step. So an interrupted refresh keeps
every record the snapshot had.

Two locks, both ``flock`` (dropped by the kernel when the holder dies):
``.fetch.lock`` lets one fetch at a time write; ``.read.lock`` is held shared
by every build reading the snapshot, and :meth:`Snapshot.sweep` (which
deletes unlisted files) runs only when it can take it exclusively.
"""
from __future__ import annotations

import fnmatch
import hashlib
import json
import os
import re
import threading
import time
import zlib
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator
from urllib.parse import quote, urlencode

from ..errors import OwnershipError, SnapshotError
from ..files import FileLock, atomic_write, gzip_bytes, sha256_file
from ..ownership import remove_own_tree
from ..ids import as_int, short_id

__all__ = [
    "MANIFEST",
    "FORMAT",
    "FORMAT_VERSION",
    "Snapshot",
    "fetch_lock",
    "snapshot_read_lock",
    "encode_page",
    "query_label",
    "entry_select",
    "entry_per_page",
    "now_utc",
    "reading",
]

MANIFEST = "manifest.json"
FORMAT = "peerbib-openalex-snapshot"
#: 2: queries are stored by URL (built with pyalex) with ``select`` and
#: ``per_page`` beside it, and a fetch generation; pending entries. Version 1
#: manifests (``path`` + ``params``) are read and upgraded in memory.
FORMAT_VERSION = 2
FETCH_LOCK = ".fetch.lock"
READ_LOCK = ".read.lock"

#: The files a fetch writes in each folder of a snapshot (hidden ``.*.tmp`` ones: a write a kill cut short):
#: the only names :meth:`Snapshot.sweep` ever deletes.
_OWN_FILES = {
    "pages": ("*.jsonl.gz", ".*.tmp"),
    "tei": ("W*.tei.xml.gz", ".*.tmp"),
    "fulltext": ("W*.jats.xml.gz", ".*.tmp"),
    "scite": ("*.json.gz", ".*.tmp"),
}

#: Seconds a build waits for a sweep to finish (sweeps are quick).
READ_LOCK_TIMEOUT = 60.0


def now_utc() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def encode_page(records: list[dict]) -> bytes:
    """Records as gzip JSON Lines, byte for byte the same for the same records."""
    lines = [json.dumps(record, ensure_ascii=False, separators=(",", ":")) for record in records]
    return gzip_bytes(("\n".join(lines) + ("\n" if lines else "")).encode("utf-8"))


def fetch_lock(folder) -> FileLock:
    """The lock one fetch at a time holds on a snapshot folder (exclusive, fails at once)."""
    return FileLock(Path(folder) / FETCH_LOCK, holder="another fetch", action="is writing", remove=True)


def snapshot_read_lock(folder, *, shared: bool = True, timeout: float = READ_LOCK_TIMEOUT) -> FileLock:
    """The lock builds hold shared while they read a snapshot; sweeping takes it exclusive."""
    holder = "a sweep of the snapshot" if shared else "a build"
    action = "is cleaning" if shared else "is reading"
    return FileLock(Path(folder) / READ_LOCK, shared=shared, timeout=timeout, holder=holder, action=action,
                    record_pid=False)


def query_label(entry: dict, shown: int = 2) -> str:
    """A short name of a query for messages: ``"cites:W1|W2…"``, ``"search:peer support"``."""
    items = [str(i) for i in entry.get("items") or []]
    text = "|".join(items[:shown]) + ("…" if len(items) > shown else "")
    if len(text) > 80:
        text = text[:79] + "…"
    return f"{entry.get('kind') or 'query'}:{text}"


def entry_select(entry: dict) -> set[str] | None:
    """The fields a stored query asked for (None: whole records)."""
    select = entry.get("select")
    if select is None:
        return None
    return set(select)


def entry_per_page(entry: dict) -> int | None:
    return as_int(entry.get("per_page"))


def _upgrade_v1(entry: dict) -> dict:
    """A version-1 query entry (``path`` + ``params``) in the version-2 form, keeping its key."""
    if "url" in entry or "path" not in entry:
        return entry
    params = dict(entry.get("params") or {})
    select = params.get("select")
    items = sorted((k, str(v)) for k, v in params.items() if v is not None)
    url = "https://api.openalex.org/" + str(entry["path"]).lstrip("/")
    if items:
        url += "?" + urlencode(items, quote_via=quote, safe=":,|!*/")
    out = {k: v for k, v in entry.items() if k not in ("path", "params")}
    out.update(url=url, select=str(select).split(",") if select else None,
               per_page=int(params["per_page"]) if params.get("per_page") else None)
    out.setdefault("generation", 0)
    return out


def _manifest_problem(manifest: dict) -> str | None:
    """What makes a manifest unreadable (a field of the wrong type, a file outside the folder), or None.

    peerbib writes the manifest; a hand edit or a damaged copy could hold
    anything, and would otherwise end a build with a traceback or name a file
    outside the snapshot folder.
    """
    shapes = {"queries": list, "pending": list, "matches": list, "fulltext": dict, "scite": dict, "fetches": list}
    for name, kind in shapes.items():
        if name in manifest and not isinstance(manifest[name], kind):
            return f"{name} is a {type(manifest[name]).__name__}, not a {kind.__name__}"
    files = []
    for name in ("queries", "pending"):
        for n, entry in enumerate(manifest.get(name) or []):
            if not isinstance(entry, dict) or not isinstance(entry.get("key"), str):
                return f"{name}[{n}] is not a query entry with a key"
            if not isinstance(entry.get("pages", []), list):
                return f"the pages of query {entry['key']!r} are not a list"
            for page in entry.get("pages", []):
                if not isinstance(page, dict) or not isinstance(page.get("file"), str) \
                        or not isinstance(page.get("sha256"), str):
                    return f"a page of query {entry['key']!r} has no file name and sha256"
                files.append(page["file"])
                copies = page.get("copies")
                if copies is not None:
                    if not isinstance(copies, dict) or not isinstance(copies.get("file"), str):
                        return f"the copies of a page of query {entry['key']!r} have no file name"
                    files.append(copies["file"])
    for work_id, sources in (manifest.get("fulltext") or {}).items():
        if not isinstance(sources, dict) or not all(isinstance(item, dict) for item in sources.values()):
            return f"the full-text entry of {work_id!r} is not a record per source"
        files += [item["file"] for item in sources.values() if "file" in item]
    for key, item in (manifest.get("scite") or {}).items():
        if not isinstance(item, dict):
            return f"the scite entry {key!r} is not a record"
        if "file" in item:
            files.append(item["file"])
    for name in files:
        if not isinstance(name, str) or not _inside(name):
            return f"it names the file {name!r}, which is not a path inside the snapshot folder"
    return None


def _check_new_folder(folder: Path) -> None:
    """Refuse to start a snapshot in a folder that holds what peerbib did not write.

    A new snapshot's folder may hold only what a fetch killed before its first
    manifest left: its locks and temporary files, and page or full-text files
    with peerbib's names. The sweep would otherwise delete files of the user's
    that happen to bear those names.
    """
    if not folder.is_dir():
        return
    foreign = []
    for entry in sorted(os.listdir(folder)):
        path = folder / entry
        if entry in (FETCH_LOCK, READ_LOCK) or (entry.startswith(".") and entry.endswith(".tmp")):
            continue
        if entry in _OWN_FILES and path.is_dir() and not path.is_symlink() and all(
                any(fnmatch.fnmatchcase(name, pattern) for pattern in _OWN_FILES[entry])
                and not os.path.islink(os.path.join(current, name))
                for current, dirs, files in os.walk(path) for name in files):
            continue
        foreign.append(entry)
    if foreign:
        shown = ", ".join(foreign[:3]) + (f" and {len(foreign) - 3} more" if len(foreign) > 3 else "")
        raise OwnershipError(f"{folder} holds {shown} and no {MANIFEST}: it is not an OpenAlex snapshot peerbib "
                             "wrote, and a fetch would write into it; give an empty or new folder for the snapshot "
                             "(the default is data/raw/openalex)")


def _inside(relative: str) -> bool:
    """True for a relative path that stays inside the folder it is relative to (no ``..``, not absolute)."""
    path = Path(relative)
    return bool(relative) and not path.is_absolute() and ".." not in path.parts and "\\" not in relative


class Snapshot:
    """A snapshot folder and its manifest, for reading and (by ``fetch``) writing.

    Thread-safe: fetch workers add pages concurrently. The manifest is saved
    atomically, at most every ``save_interval`` seconds while pages stream in
    and queries finish (saving it after every query would rewrite a growing
    file once per query: quadratic for thousands of queries), and at once
    with ``save(force=True)``, which fetch calls at the end of each phase, on
    an error and at the end. A killed fetch loses at most the pages of the
    last moments: they are fetched again into new files, never listed twice;
    the unlisted files are removed by :meth:`sweep`.
    """

    def __init__(self, folder, manifest: dict, *, save_interval: float = 2.0):
        self.folder = Path(folder)
        self.manifest = manifest
        self.save_interval = save_interval
        self._lock = threading.RLock()
        self._dirty = False
        self._last_save = 0.0
        self._queries: dict[str, dict] = {q["key"]: _upgrade_v1(q) for q in manifest.get("queries", [])}
        self._pending: dict[str, dict] = {q["key"]: q for q in manifest.get("pending", [])}

    # --- opening -------------------------------------------------------------

    @classmethod
    def open(cls, folder, *, create: bool = False, save_interval: float = 2.0) -> "Snapshot":
        """Open the snapshot in ``folder``; with ``create``, start an empty one if there is none."""
        folder = Path(folder)
        path = folder / MANIFEST
        if path.is_file():
            manifest = cls.read_manifest(path)
        elif create:
            _check_new_folder(folder)
            manifest = {
                "format": FORMAT,
                "format_version": FORMAT_VERSION,
                "created": now_utc(),
                "api": "https://api.openalex.org",
                "generation": 0,
                "queries": [],
                "pending": [],
                "matches": [],
                "fulltext": {},
                "scite": {},
                "fetches": [],
            }
        else:
            raise SnapshotError(f"no OpenAlex snapshot in {folder}: {MANIFEST} is missing; run `peerbib fetch`")
        for name, empty in (("queries", []), ("pending", []), ("matches", []), ("fulltext", {}), ("scite", {}),
                             ("fetches", [])):
            manifest.setdefault(name, empty)
        return cls(folder, manifest, save_interval=save_interval)

    @staticmethod
    def read_manifest(path: Path, data: bytes | None = None) -> dict:
        """The manifest at ``path`` (or parsed from ``data``, its bytes), checked."""
        try:
            manifest = json.loads(data if data is not None else path.read_bytes())
        except (OSError, ValueError) as exc:
            raise SnapshotError(f"{path} cannot be read ({exc}); restore it or fetch again with --refresh") from None
        if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
            raise SnapshotError(f"{path} is not a peerbib OpenAlex snapshot manifest")
        version = manifest.get("format_version", 0)
        if isinstance(version, bool) or not isinstance(version, int):
            raise SnapshotError(f"{path} is damaged: format_version is {version!r}, not a number; restore the "
                                "manifest from a backup or fetch again into a new folder")
        if version > FORMAT_VERSION:
            raise SnapshotError(
                f"{path} was written by a newer peerbib (format {manifest.get('format_version')}); upgrade peerbib"
            )
        problem = _manifest_problem(manifest)
        if problem:
            raise SnapshotError(f"{path} is damaged: {problem}; restore the manifest from a backup or fetch again "
                                "into a new folder")
        return manifest

    # --- queries ---------------------------------------------------------------

    @property
    def generation(self) -> int:
        """The number of the last fetch that wrote the snapshot (each one counts one up)."""
        return int(self.manifest.get("generation") or 0)

    def queries(self) -> list[dict]:
        """The entries readers see (finished queries, and unfinished ones that replace nothing)."""
        with self._lock:
            return list(self._queries.values())

    def query(self, key: str) -> dict | None:
        with self._lock:
            return self._queries.get(key)

    def pending(self, key: str) -> dict | None:
        """The unfinished new entry of a query asked again, if any."""
        with self._lock:
            return self._pending.get(key)

    def pending_queries(self) -> list[dict]:
        with self._lock:
            return list(self._pending.values())

    def start_query(self, key: str, description: dict) -> dict:
        """Start fetching query ``key`` from its first page; return the entry pages go to.

        When the snapshot already holds pages of the query, the new entry is
        pending: readers keep seeing the old one until :meth:`finish_query`
        swaps the new one in.
        """
        with self._lock:
            entry = dict(description)
            entry.update(key=key, pages=[], records=0, complete=False, started=now_utc())
            current = self._queries.get(key)
            if current is not None and (current.get("pages") or current.get("complete")):
                entry["pending"] = True
                self._pending[key] = entry
            else:
                self._queries[key] = entry
            self._dirty = True
            return entry

    def add_page(self, entry: dict, records: list[dict], info: dict, *, run: str, updates: dict | None = None,
                 copies: list[dict] = ()) -> dict:
        """Write one page of ``records`` and list it under ``entry`` (what :meth:`start_query` returned).

        ``copies`` are records of the same answer whose work the snapshot
        already holds in full under another query (a citing work answers
        every ``cites:`` batch it cites into): they go to a file of their own
        beside the page, listed with their ids, so readers can skip them
        unread and still find them when the other copy is gone. ``updates``
        (e.g. the next cursor) are applied to the entry in the same step, so a
        saved manifest never lists a page without them.
        """
        key = entry["key"]
        with self._lock:
            number = len(entry["pages"]) + 1
        stem = f"pages/{key}/{run}-{number:05d}"
        # A query started again in the same run must not overwrite a page
        # file the manifest on disk may still list (with its sha256).
        again = 1
        while (self.folder / f"{stem}.jsonl.gz").exists():
            again += 1
            stem = f"pages/{key}/{run}-{number:05d}-{again}"
        page = dict(info)
        page.update(file=f"{stem}.jsonl.gz", sha256=atomic_write(self.folder / f"{stem}.jsonl.gz",
                                                                  encode_page(records)), records=len(records))
        if copies:
            page["copies"] = {
                "file": f"{stem}.copies.jsonl.gz",
                "sha256": atomic_write(self.folder / f"{stem}.copies.jsonl.gz", encode_page(list(copies))),
                "records": len(copies),
                "ids": [_record_id(record) for record in copies],
            }
        with self._lock:
            entry["pages"].append(page)
            entry["records"] = entry.get("records", 0) + len(records) + len(copies)
            entry.update(updates or {})
            self._dirty = True
        self.save()
        return page

    def update_query(self, entry: dict, **values) -> None:
        """Set values of a query's entry (e.g. forget its cursor) without finishing it."""
        with self._lock:
            entry.update(values)
            self._dirty = True

    def finish_query(self, entry: dict, **info) -> None:
        """Mark ``entry`` finished (``complete``, ``capped`` or ``short``); a pending entry replaces the old one."""
        with self._lock:
            entry.update(info)
            entry["finished"] = now_utc()
            if entry.pop("pending", False):
                self._pending.pop(entry["key"], None)
                self._queries[entry["key"]] = entry
            self._dirty = True
        self.save()  # throttled: fetch saves at the end of each phase and at the end

    def update(self, **values) -> None:
        """Set top-level manifest values (matches, requested, fetch log...)."""
        with self._lock:
            for name, value in values.items():
                if self.manifest.get(name) != value:
                    self.manifest[name] = value
                    self._dirty = True

    # --- full text ----------------------------------------------------------------------

    def fulltext(self) -> dict[str, dict[str, dict]]:
        """Work id -> source ("europepmc-jats", "openalex-tei") -> what the fetch recorded.

        Manifests written before there were two sources hold one TEI item per
        work: it is read as the "openalex-tei" one.
        """
        with self._lock:
            out = {}
            for work_id, value in (self.manifest.get("fulltext") or {}).items():
                if isinstance(value, dict) and "url" in value and "status" in value:
                    value = {"openalex-tei": value}
                out[work_id] = dict(value) if isinstance(value, dict) else {}
            return out

    def set_fulltext(self, work_id: str, source: str, item: dict) -> None:
        """Record a full-text download (or a 404) of ``work_id`` from ``source``."""
        with self._lock:
            everything = self.fulltext()
            everything.setdefault(work_id, {})[source] = item
            self.manifest["fulltext"] = everything
            self._dirty = True

    def fulltext_intact(self, item: dict) -> bool:
        """True for a recorded 404, or a file present with its sha256."""
        if item.get("status") == 404:
            return True
        return bool(item.get("file")) and self._page_intact({"file": item["file"], "sha256": item.get("sha256")})

    def fulltext_bytes(self, item: dict) -> bytes:
        """The document of a full-text item, checked against its sha256 and decompressed."""
        return self.page_bytes({"file": item["file"], "sha256": item.get("sha256")})

    # --- scite tallies --------------------------------------------------------------------

    def scite(self) -> dict[str, dict]:
        """Batch key -> what the fetch recorded of scite's tallies of that batch of DOIs."""
        with self._lock:
            return {key: dict(item) for key, item in (self.manifest.get("scite") or {}).items()}

    def set_scite(self, key: str, item: dict) -> None:
        """Record scite's answer for one batch of DOIs (``item["dois"]``, ``item["file"]``)."""
        with self._lock:
            self.manifest.setdefault("scite", {})[key] = item
            self._dirty = True

    def drop_queries(self, keys) -> None:
        with self._lock:
            for key in keys:
                self._queries.pop(key, None)
                self._pending.pop(key, None)
            self._dirty = True

    @property
    def changed(self) -> bool:
        """True when the manifest in memory differs from the one on disk."""
        with self._lock:
            return self._dirty

    # --- reading pages ------------------------------------------------------------

    def page_bytes(self, page: dict) -> bytes:
        """The decompressed bytes of one page, after checking the file against its sha256."""
        path = self.folder / page["file"]
        try:
            data = path.read_bytes()
        except OSError:
            raise SnapshotError(f"{path} is missing; fetch again to restore it") from None
        if hashlib.sha256(data).hexdigest() != page["sha256"]:
            raise SnapshotError(f"{path} does not match its sha256 in the manifest; fetch again with --refresh")
        try:
            # zlib with gzip framing: the CRC is checked in C, faster than the gzip module
            return zlib.decompress(data, 16 + zlib.MAX_WBITS)
        except zlib.error as exc:
            raise SnapshotError(f"{path} cannot be decompressed ({exc})") from None

    def pages_bytes(self, pages: list[dict], lookahead: int = 4) -> Iterator[bytes]:
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
            queue = iter(pages)
            for page in queue:
                ahead.append(pool.submit(self.page_bytes, page))
                if len(ahead) > lookahead:
                    yield ahead.popleft().result()
            while ahead:
                yield ahead.popleft().result()

    def page_lines(self, page: dict) -> Iterator[bytes]:
        """The JSON lines of one page (each one record), not yet parsed."""
        for line in self.page_bytes(page).splitlines():
            if line.strip():
                yield line

    def page_records(self, page: dict) -> Iterator[dict]:
        """The records of one page, after checking the file against its sha256."""
        path = self.folder / page["file"]
        for line in self.page_lines(page):
            try:
                yield json.loads(line)
            except ValueError as exc:
                raise SnapshotError(f"{path} holds a line that is not JSON ({exc})") from None

    def query_records(self, entry: dict) -> Iterator[dict]:
        """The records of a query's pages (not the copies kept beside them)."""
        for page in entry.get("pages", []):
            yield from self.page_records(page)

    def check_copies(self, page: dict) -> None:
        """Raise :class:`SnapshotError` when the copies file beside ``page`` is missing or damaged."""
        copies = page.get("copies")
        if copies and not self._page_intact(copies):
            path = self.folder / copies["file"]
            raise SnapshotError(f"{path} is missing or does not match its sha256 in the manifest; "
                                "fetch again to restore it")

    def copy_lines(self, page: dict) -> dict[str, bytes]:
        """The copies kept beside a page (see :meth:`add_page`), by work id, as JSON lines."""
        copies = page.get("copies")
        if not copies:
            return {}
        lines = self.page_lines({"file": copies["file"], "sha256": copies["sha256"]})
        return dict(zip(copies["ids"], lines))

    def page_ids(self, page: dict) -> list[str]:
        """The work ids of a page's records (not of the copies beside it), read without parsing where possible."""
        ids = []
        for line in self.page_lines(page):
            leading = LEADING_ID.match(line)
            work_id = leading.group(1).decode() if leading else _record_id(json.loads(line))
            if work_id:
                ids.append(work_id)
        return ids

    def entry_ids(self, entry: dict) -> set[str]:
        """The work ids a query's answer held: its pages' records and the copies beside them."""
        ids = set()
        for page in entry.get("pages", []):
            ids.update(self.page_ids(page))
            ids.update(w for w in (page.get("copies") or {}).get("ids", []) if w)
        return ids

    def pages_intact(self, entry: dict) -> bool:
        """True when every page file of ``entry`` is present with its recorded size and sha256.

        A page is hashed once per process while its file keeps its size and
        modification time, so checking the same snapshot again (a warm rerun
        checks each query several times) costs a ``stat`` per page.
        """
        for page in entry.get("pages", []):
            if not self._page_intact(page):
                return False
            if page.get("copies") and not self._page_intact(page["copies"]):
                return False
        return True

    def _page_intact(self, page: dict) -> bool:
        path = self.folder / page["file"]
        try:
            stat = path.stat()
        except OSError:
            return False
        mark = (str(path), stat.st_ino, stat.st_size, stat.st_mtime_ns, page["sha256"])
        with self._lock:
            if mark in _VERIFIED:
                return True
        try:
            if sha256_file(path) != page["sha256"]:
                return False
        except OSError:
            return False
        with self._lock:
            _VERIFIED.add(mark)
        return True

    # --- saving ------------------------------------------------------------------

    def save(self, force: bool = False) -> None:
        """Write the manifest atomically if it changed (throttled unless ``force``)."""
        with self._lock:
            if not self._dirty:
                return
            now = time.monotonic()
            if not force and now - self._last_save < self.save_interval:
                return
            # A query that has no page yet has nothing to resume from: not listed.
            self.manifest["queries"] = sorted(
                (q for q in self._queries.values() if q.get("pages") or q.get("complete")), key=lambda q: q["key"]
            )
            self.manifest["pending"] = sorted(
                (q for q in self._pending.values() if q.get("pages")), key=lambda q: q["key"]
            )
            self.manifest["format_version"] = FORMAT_VERSION
            self.manifest["updated"] = now_utc()
            text = json.dumps(self.manifest, indent=1, sort_keys=True, ensure_ascii=False) + "\n"
            atomic_write(self.folder / MANIFEST, text.encode("utf-8"))
            self._dirty = False
            self._last_save = now

    def sweep(self) -> int | None:
        """Delete the page, full-text and tally files the manifest does not list, and temporary files.

        Only files with the names peerbib gives them are deleted, found
        without following symlinks, and only inside the snapshot folder.

        Run at the end of a fetch that completed: they are leftovers of a
        killed run or of queries a refresh replaced. A build reading the
        snapshot holds its read lock; then nothing is deleted (None is
        returned) and the next complete fetch sweeps. Returns how many files went.
        """
        lock = snapshot_read_lock(self.folder, shared=False)
        if not lock.try_acquire():
            return None
        try:
            with self._lock:
                entries = list(self._queries.values()) + list(self._pending.values())
                keep = {page["file"] for q in entries for page in q.get("pages", [])}
                keep |= {page["copies"]["file"] for q in entries for page in q.get("pages", []) if page.get("copies")}
                keep |= {item["file"] for sources in self.fulltext().values() for item in sources.values()
                         if item.get("file")}
                keep |= {item["file"] for item in self.scite().values() if item.get("file")}
            # Only peerbib's own files, found without following a symlink: a
            # symlink inside the snapshot (to a shared folder, say) is never
            # entered, and nothing outside the snapshot folder is deleted.
            removed = sum(remove_own_tree(self.folder / sub, keep, patterns) for sub, patterns in _OWN_FILES.items())
            for path in self.folder.glob(".*.tmp"):
                if path.is_file() and not path.is_symlink():
                    path.unlink(missing_ok=True)
            return removed
        finally:
            lock.release()


def _record_id(record) -> str | None:
    return short_id(record.get("id")) if isinstance(record, dict) else None


# The id of a stored record when it is the line's first key, as OpenAlex sends
# it: read without parsing the line. Pages hold JSON as peerbib wrote it, so a
# key inside a string value would be escaped (\"id\") and cannot match.
LEADING_ID = re.compile(rb'^\{"id":\s*"(?:https?://openalex\.org/)?(W\d+)"')

#: Pages already checked against their sha256 in this process: (path, inode, size, mtime, sha256).
_VERIFIED: set[tuple] = set()


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
