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

The manifest's records are typed (:mod:`.model`), the files are read and
checked by :class:`~.pages.PageFiles`, and the locks are in :mod:`.locks`.
"""
from __future__ import annotations

import fnmatch
import json
import os
import time
from datetime import datetime, timezone
from pathlib import Path

from ..errors import OwnershipError, SnapshotError
from ..files import atomic_write
from ..ownership import remove_own_tree
from .locks import FETCH_LOCK, READ_LOCK, fetch_lock, reading, snapshot_read_lock
from .model import (FORMAT, FORMAT_VERSION, Copies, FulltextItem, Manifest, ManifestProblem, Page, QueryEntry,
                    SciteItem, query_label)
from .pages import LEADING_ID, PageFiles, encode_page, record_id

__all__ = [
    "MANIFEST",
    "FORMAT",
    "FORMAT_VERSION",
    "Snapshot",
    "fetch_lock",
    "snapshot_read_lock",
    "encode_page",
    "query_label",
    "now_utc",
    "reading",
    "LEADING_ID",
]

MANIFEST = "manifest.json"

#: The files a fetch writes in each folder of a snapshot (hidden ``.*.tmp`` ones: a write a kill cut short):
#: the only names :meth:`Snapshot.sweep` ever deletes.
_OWN_FILES = {
    "pages": ("*.jsonl.gz", ".*.tmp"),
    "tei": ("W*.tei.xml.gz", ".*.tmp"),
    "fulltext": ("W*.jats.xml.gz", ".*.tmp"),
    "scite": ("*.json.gz", ".*.tmp"),
}
#: The top-level lists and maps every opened manifest has (an older one may lack some).
_COLLECTIONS = (("queries", ()), ("pending", ()), ("matches", ()), ("fulltext", {}), ("scite", {}), ("fetches", ()))


def now_utc() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


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


class Snapshot(PageFiles):
    """A snapshot folder and its manifest, for reading and (by ``fetch``) writing.

    The manifest's records are frozen (:mod:`.model`): the methods that
    change a query entry return the new entry, which replaces the old one
    here; an entry passed in names the query (its key, and whether it is the
    pending one) and the snapshot's current entry of it is the one changed.

    Thread-safe: fetch workers add pages concurrently. The manifest is saved
    atomically, at most every ``save_interval`` seconds while pages stream in
    and queries finish (saving it after every query would rewrite a growing
    file once per query: quadratic for thousands of queries), and at once
    with ``save(force=True)``, which fetch calls at the end of each phase, on
    an error and at the end. A killed fetch loses at most the pages of the
    last moments: they are fetched again into new files, never listed twice;
    the unlisted files are removed by :meth:`sweep`.
    """

    def __init__(self, folder, manifest: Manifest, *, save_interval: float = 2.0):
        super().__init__(folder)
        self._manifest = manifest
        self.save_interval = save_interval
        self._dirty = False
        self._last_save = 0.0
        self._queries: dict[str, QueryEntry] = {q.key: q for q in manifest.queries}
        self._pending: dict[str, QueryEntry] = {q.key: q for q in manifest.pending}

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
            manifest = Manifest.make(format=FORMAT, format_version=FORMAT_VERSION, created=now_utc(),
                                     api="https://api.openalex.org", generation=0)
        else:
            raise SnapshotError(f"no OpenAlex snapshot in {folder}: {MANIFEST} is missing; run `peerbib fetch`")
        missing = {name: empty for name, empty in _COLLECTIONS if not manifest.has(name)}
        return cls(folder, manifest.with_(**missing) if missing else manifest, save_interval=save_interval)

    @staticmethod
    def read_manifest(path: Path, data: bytes | None = None) -> Manifest:
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
        try:
            return Manifest.from_json(manifest)
        except ManifestProblem as problem:
            raise SnapshotError(f"{path} is damaged: {problem}; restore the manifest from a backup or fetch again "
                                "into a new folder") from None

    @property
    def manifest(self) -> Manifest:
        """The manifest as it stands (its queries as a save would list them)."""
        with self._lock:
            return self._current()

    # --- queries ---------------------------------------------------------------

    @property
    def generation(self) -> int:
        """The number of the last fetch that wrote the snapshot (each one counts one up)."""
        return int(self._manifest.generation or 0)

    def queries(self) -> list[QueryEntry]:
        """The entries readers see (finished queries, and unfinished ones that replace nothing)."""
        with self._lock:
            return list(self._queries.values())

    def query(self, key: str) -> QueryEntry | None:
        with self._lock:
            return self._queries.get(key)

    def pending(self, key: str) -> QueryEntry | None:
        """The unfinished new entry of a query asked again, if any."""
        with self._lock:
            return self._pending.get(key)

    def pending_queries(self) -> list[QueryEntry]:
        with self._lock:
            return list(self._pending.values())

    def start_query(self, key: str, description: dict) -> QueryEntry:
        """Start fetching query ``key`` from its first page; return the entry pages go to.

        ``description`` is what the manifest records of the query
        (:meth:`peerbib.sources.openalex.queries.Query.describe`, and the
        fetch's generation). When the snapshot already holds pages of the
        query, the new entry is pending: readers keep seeing the old one
        until :meth:`finish_query` swaps the new one in.
        """
        with self._lock:
            entry = QueryEntry.from_json({**description, "key": key, "pages": [], "records": 0, "complete": False,
                                          "started": now_utc()})
            current = self._queries.get(key)
            if current is not None and (current.pages or current.complete):
                entry = entry.with_(pending=True)
                self._pending[key] = entry
            else:
                self._queries[key] = entry
            self._dirty = True
            return entry

    def add_page(self, entry: QueryEntry, records: list[dict], info: dict, *, run: str,
                 updates: dict | None = None, copies: list[dict] = ()) -> QueryEntry:
        """Write one page of ``records``, list it under the query of ``entry``; return the entry now.

        ``info`` is what the request said (``fetched_at``, ``status``,
        ``cursor``... the fields of :class:`~.model.Page`). ``copies`` are
        records of the same answer whose work the snapshot already holds in
        full under another query (a citing work answers every ``cites:``
        batch it cites into): they go to a file of their own beside the page,
        listed with their ids, so readers can skip them unread and still find
        them when the other copy is gone. ``updates`` (e.g. the next cursor)
        are applied to the entry in the same step, so a saved manifest never
        lists a page without them.
        """
        key = entry.key
        with self._lock:
            number = len(self._live(entry).pages) + 1
        stem = f"pages/{key}/{run}-{number:05d}"
        # A query started again in the same run must not overwrite a page
        # file the manifest on disk may still list (with its sha256).
        again = 1
        while (self.folder / f"{stem}.jsonl.gz").exists():
            again += 1
            stem = f"pages/{key}/{run}-{number:05d}-{again}"
        page = Page.from_json({**info, "file": f"{stem}.jsonl.gz", "records": len(records),
                               "sha256": atomic_write(self.folder / f"{stem}.jsonl.gz", encode_page(records))})
        if copies:
            page = page.with_(copies=Copies.make(
                file=f"{stem}.copies.jsonl.gz",
                sha256=atomic_write(self.folder / f"{stem}.copies.jsonl.gz", encode_page(list(copies))),
                records=len(copies),
                ids=tuple(record_id(record) for record in copies),
            ))
        with self._lock:
            current = self._live(entry)
            entry = self._put(current.with_(pages=current.pages + (page,),
                                            records=(current.records or 0) + len(records) + len(copies),
                                            **(updates or {})))
            self._dirty = True
        self.save()
        return entry

    def update_query(self, entry: QueryEntry, **values) -> QueryEntry:
        """Set values of a query's entry (e.g. forget its cursor) without finishing it; the entry now."""
        with self._lock:
            entry = self._put(self._live(entry).with_(**values))
            self._dirty = True
            return entry

    def finish_query(self, entry: QueryEntry, **info) -> QueryEntry:
        """Mark a query finished (``complete``, ``capped`` or ``short``); a pending entry replaces the old one."""
        with self._lock:
            entry = self._live(entry).with_(**info, finished=now_utc())
            if entry.has("pending"):
                was_pending = entry.pending
                entry = entry.without("pending")
                if was_pending:
                    self._pending.pop(entry.key, None)
                    self._queries[entry.key] = entry
                else:
                    self._put(entry)
            else:
                self._put(entry)
            self._dirty = True
        self.save()  # throttled: fetch saves at the end of each phase and at the end
        return entry

    def _live(self, entry: QueryEntry) -> QueryEntry:
        """The snapshot's current entry of the query ``entry`` names (``entry`` itself when it holds none)."""
        table = self._pending if entry.pending else self._queries
        current = table.get(entry.key)
        return current if current is not None else entry

    def _put(self, entry: QueryEntry) -> QueryEntry:
        """Let ``entry`` replace the snapshot's entry of its query (a dropped query stays dropped)."""
        table = self._pending if entry.pending else self._queries
        if entry.key in table:
            table[entry.key] = entry
        return entry

    def update(self, **values) -> None:
        """Set top-level manifest values (matches, requested, fetch log...); lists are kept as tuples."""
        with self._lock:
            for name, value in values.items():
                value = tuple(value) if isinstance(value, list) else value
                current = getattr(self._manifest, name) if self._manifest.has(name) else None
                if current != value:
                    self._manifest = self._manifest.with_(**{name: value})
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

    # --- full text and tallies ------------------------------------------------------------

    def fulltext(self) -> dict[str, dict[str, FulltextItem]]:
        """Work id -> source ("europepmc-jats", "openalex-tei") -> what the fetch recorded."""
        with self._lock:
            return {work_id: dict(sources) for work_id, sources in self._manifest.fulltext.items()}

    def set_fulltext(self, work_id: str, source: str, item: FulltextItem) -> None:
        """Record a full-text download (or a 404) of ``work_id`` from ``source``."""
        with self._lock:
            everything = dict(self._manifest.fulltext)
            everything[work_id] = {**everything.get(work_id, {}), source: item}
            self._manifest = self._manifest.with_(fulltext=everything)
            self._dirty = True

    def scite(self) -> dict[str, SciteItem]:
        """Batch key -> what the fetch recorded of scite's tallies of that batch of DOIs."""
        with self._lock:
            return dict(self._manifest.scite)

    def set_scite(self, key: str, item: SciteItem) -> None:
        """Record scite's answer for one batch of DOIs (``item.dois``, ``item.file``)."""
        with self._lock:
            self._manifest = self._manifest.with_(scite={**self._manifest.scite, key: item})
            self._dirty = True

    # --- saving ------------------------------------------------------------------

    def _current(self) -> Manifest:
        """The manifest with the queries a save lists (the caller holds the lock)."""
        # A query that has no page yet has nothing to resume from: not listed.
        return self._manifest.with_(
            queries=tuple(sorted((q for q in self._queries.values() if q.pages or q.complete),
                                 key=lambda q: q.key)),
            pending=tuple(sorted((q for q in self._pending.values() if q.pages), key=lambda q: q.key)),
        )

    def save(self, force: bool = False) -> None:
        """Write the manifest atomically if it changed (throttled unless ``force``)."""
        with self._lock:
            if not self._dirty:
                return
            now = time.monotonic()
            if not force and now - self._last_save < self.save_interval:
                return
            self._manifest = self._current().with_(format_version=FORMAT_VERSION, updated=now_utc())
            text = json.dumps(self._manifest.to_json(), indent=1, sort_keys=True, ensure_ascii=False) + "\n"
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
                pages = [page for q in list(self._queries.values()) + list(self._pending.values()) for page in q.pages]
                keep = {page.file for page in pages}
                keep |= {page.copies.file for page in pages if page.copies}
                keep |= {item.file for sources in self._manifest.fulltext.values() for item in sources.values()
                         if item.file}
                keep |= {item.file for item in self._manifest.scite.values() if item.file}
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
