"""The frozen OpenAlex snapshot under ``data/raw/openalex/`` and its flat tables.

Layout::

    data/raw/openalex/
        manifest.json                       every query, its pages, sha256, counts, versions
        pages/<query key>/<run>-00001.jsonl.gz   raw API results, one record a line
        tei/<W id>.tei.xml.gz               GROBID full text (``fetch(fulltext=True)``)

Each page is written atomically (a hidden temporary file, then a rename), as
is the manifest, so a fetch killed at any moment leaves a snapshot that reads
cleanly: a page is part of the snapshot only once the manifest lists it with
its sha256. Pages are gzip files with a fixed header timestamp, so the same
answer always gives the same bytes.

:func:`snapshot_tables` turns a snapshot into the flat tables ``build``
merges (works, citations, counts_by_year, matches), streaming one record at a
time: it never holds the raw records, only flat rows.
"""
from __future__ import annotations

import gzip
import hashlib
import html
import io
import json
import os
import re
import tempfile
import threading
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

import pandas as pd

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None

from .corpus import normalize_doi
from .errors import FetchError, SnapshotError
from .schema import SCHEMAS

__all__ = [
    "MANIFEST",
    "FORMAT",
    "FORMAT_VERSION",
    "Snapshot",
    "FetchLock",
    "snapshot_tables",
    "decode_abstract",
    "work_row",
    "short_id",
    "citing_edges",
    "atomic_write",
]

MANIFEST = "manifest.json"
FORMAT = "peerbib-openalex-snapshot"
FORMAT_VERSION = 1
LOCK = ".fetch.lock"

#: Query roles: what the records of a query are to the corpus.
ROLE_CORPUS = "corpus"  # works the fetch was asked for (DOIs, ids, search results)
ROLE_CANDIDATES = "candidates"  # candidates of a title/abstract match; only the accepted one counts
ROLE_CITING = "citing"  # works citing corpus works (``cites:`` filter)

_W_ID = re.compile(r"(?:https?://(?:api\.)?openalex\.org/(?:works/)?)?(W\d+)$", re.IGNORECASE)


def now_utc() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def short_id(value) -> str | None:
    """``"https://openalex.org/W123"`` -> ``"W123"``; None when not a work id."""
    if not isinstance(value, str):
        return None
    match = _W_ID.search(value.strip())
    return match.group(1).upper() if match else None


# --- files -------------------------------------------------------------------


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_UMASK = _umask()


def atomic_write(path: Path, data: bytes) -> str:
    """Write ``data`` to ``path`` through a hidden temporary file and a rename.

    Returns the sha256 of ``data``. A reader sees the old file or the new one,
    never a part; the temporary name starts with a dot and ends with ``.tmp``
    so ``build`` ignores leftovers of a killed process.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.chmod(temp, 0o666 & ~_UMASK)  # mkstemp makes 0600; snapshots are ordinary files
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


def gzip_bytes(data: bytes) -> bytes:
    buffer = io.BytesIO()
    # mtime=0 and no file name: the same content always gives the same bytes.
    with gzip.GzipFile(filename="", mode="wb", fileobj=buffer, mtime=0) as out:
        out.write(data)
    return buffer.getvalue()


def encode_page(records: list[dict]) -> bytes:
    lines = [json.dumps(record, ensure_ascii=False, separators=(",", ":")) for record in records]
    return gzip_bytes(("\n".join(lines) + ("\n" if lines else "")).encode("utf-8"))


# --- the snapshot ------------------------------------------------------------


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
        self._queries: dict[str, dict] = {q["key"]: q for q in manifest.get("queries", [])}
        self._folder_lock: FetchLock | None = None

    # --- opening -------------------------------------------------------------

    @classmethod
    def open(cls, folder, *, create: bool = False, save_interval: float = 2.0) -> "Snapshot":
        """Open the snapshot in ``folder``; with ``create``, start an empty one if there is none."""
        folder = Path(folder)
        path = folder / MANIFEST
        if path.is_file():
            try:
                manifest = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                raise SnapshotError(
                    f"{path} cannot be read ({exc}); restore it or fetch again with --refresh"
                ) from None
            if manifest.get("format") != FORMAT:
                raise SnapshotError(f"{path} is not a peerbib OpenAlex snapshot manifest")
            if int(manifest.get("format_version", 0)) > FORMAT_VERSION:
                raise SnapshotError(
                    f"{path} was written by a newer peerbib (format {manifest.get('format_version')}); upgrade peerbib"
                )
        elif create:
            manifest = {
                "format": FORMAT,
                "format_version": FORMAT_VERSION,
                "created": now_utc(),
                "api": "https://api.openalex.org",
                "queries": [],
                "matches": [],
                "fulltext": {},
                "fetches": [],
            }
        else:
            raise SnapshotError(f"no OpenAlex snapshot in {folder}: {MANIFEST} is missing; run `peerbib fetch`")
        manifest.setdefault("queries", [])
        manifest.setdefault("matches", [])
        manifest.setdefault("fulltext", {})
        manifest.setdefault("fetches", [])
        return cls(folder, manifest, save_interval=save_interval)

    # --- one fetch at a time ------------------------------------------------

    def acquire(self) -> None:
        """Take the folder's fetch lock (see :class:`FetchLock`).

        :func:`peerbib.fetching.fetch` takes the lock *before* it opens the
        snapshot, so it never reads a manifest another fetch is writing.
        """
        if self._folder_lock is None:
            lock = FetchLock(self.folder)
            lock.acquire()
            self._folder_lock = lock

    def release(self) -> None:
        if self._folder_lock is not None:
            self._folder_lock.release()
            self._folder_lock = None

    # --- queries ---------------------------------------------------------------

    def queries(self) -> list[dict]:
        with self._lock:
            return list(self._queries.values())

    def query(self, key: str) -> dict | None:
        with self._lock:
            return self._queries.get(key)

    def start_query(self, key: str, description: dict) -> dict:
        """Register a new query (replacing an older one with the same key) and return its entry."""
        with self._lock:
            entry = dict(description)
            entry.update(key=key, pages=[], records=0, complete=False, started=now_utc())
            self._queries[key] = entry
            self._dirty = True
            return entry

    def add_page(self, key: str, records: list[dict], info: dict, *, run: str, updates: dict | None = None) -> dict:
        """Write one page of ``records`` and list it under query ``key``.

        ``updates`` (e.g. the next cursor) are applied to the query's entry in
        the same step, so a saved manifest never lists a page without them.
        """
        with self._lock:
            entry = self._queries[key]
            number = len(entry["pages"]) + 1
        relative = f"pages/{key}/{run}-{number:05d}.jsonl.gz"
        # A query started again in the same run must not overwrite a page
        # file the manifest on disk may still list (with its sha256).
        again = 1
        while (self.folder / relative).exists():
            again += 1
            relative = f"pages/{key}/{run}-{number:05d}-{again}.jsonl.gz"
        sha = atomic_write(self.folder / relative, encode_page(records))
        page = dict(info)
        page.update(file=relative, sha256=sha, records=len(records))
        with self._lock:
            entry["pages"].append(page)
            entry["records"] = entry.get("records", 0) + len(records)
            entry.update(updates or {})
            self._dirty = True
        self.save()
        return page

    def update_query(self, key: str, **values) -> None:
        """Set values of query ``key`` (e.g. forget its cursor) without finishing it."""
        with self._lock:
            self._queries[key].update(values)
            self._dirty = True

    def finish_query(self, key: str, **info) -> None:
        with self._lock:
            entry = self._queries[key]
            entry.update(info)
            entry["finished"] = now_utc()
            self._dirty = True
        self.save()  # throttled: fetch saves at the end of each phase and at the end

    def update(self, **values) -> None:
        """Set top-level manifest values (matches, requested, fetch log...)."""
        with self._lock:
            for name, value in values.items():
                if self.manifest.get(name) != value:
                    self.manifest[name] = value
                    self._dirty = True

    @property
    def changed(self) -> bool:
        """True when the manifest in memory differs from the one on disk."""
        with self._lock:
            return self._dirty

    # --- reading pages ------------------------------------------------------------

    def page_records(self, page: dict) -> Iterator[dict]:
        """The records of one page, after checking the file against its sha256."""
        path = self.folder / page["file"]
        try:
            data = path.read_bytes()
        except OSError:
            raise SnapshotError(f"{path} is missing; fetch again to restore it") from None
        if hashlib.sha256(data).hexdigest() != page["sha256"]:
            raise SnapshotError(f"{path} does not match its sha256 in the manifest; fetch again with --refresh")
        try:
            text = gzip.decompress(data).decode("utf-8")
        except (OSError, EOFError, UnicodeDecodeError) as exc:
            raise SnapshotError(f"{path} cannot be decompressed ({exc})") from None
        for line in text.splitlines():
            if line.strip():
                yield json.loads(line)

    def query_records(self, entry: dict) -> Iterator[dict]:
        for page in entry.get("pages", []):
            yield from self.page_records(page)

    def pages_intact(self, entry: dict) -> bool:
        """True when every page file of ``entry`` is present with its recorded sha256."""
        for page in entry.get("pages", []):
            path = self.folder / page["file"]
            try:
                with open(path, "rb") as handle:
                    digest = hashlib.sha256()
                    for block in iter(lambda: handle.read(1 << 20), b""):
                        digest.update(block)
            except OSError:
                return False
            if digest.hexdigest() != page["sha256"]:
                return False
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
            self.manifest["updated"] = now_utc()
            text = json.dumps(self.manifest, indent=1, sort_keys=True, ensure_ascii=False) + "\n"
            atomic_write(self.folder / MANIFEST, text.encode("utf-8"))
            self._dirty = False
            self._last_save = now

    def drop_queries(self, keys) -> None:
        with self._lock:
            for key in keys:
                self._queries.pop(key, None)
            self._dirty = True

    def sweep(self) -> int:
        """Delete page and TEI files the manifest does not list, and temporary files.

        Run at the end of a fetch that completed: they are leftovers of a
        killed run or of queries a refresh replaced. Returns how many went.
        """
        with self._lock:
            keep = {page["file"] for q in self._queries.values() for page in q.get("pages", [])}
            keep |= {item["file"] for item in self.manifest.get("fulltext", {}).values() if item.get("file")}
        removed = 0
        for sub in ("pages", "tei"):
            root = self.folder / sub
            if not root.is_dir():
                continue
            for path in sorted(root.rglob("*"), reverse=True):
                relative = path.relative_to(self.folder).as_posix()
                if path.is_file() and relative not in keep:
                    path.unlink()
                    removed += 1
                elif path.is_dir() and not any(path.iterdir()):
                    path.rmdir()
        for path in self.folder.glob(".*.tmp"):
            path.unlink(missing_ok=True)
        return removed


def query_label(entry: dict, shown: int = 2) -> str:
    """A short name of a query for messages: ``"cites:W1|W2…"``, ``"search:peer support"``."""
    items = [str(i) for i in entry.get("items") or []]
    text = "|".join(items[:shown]) + ("…" if len(items) > shown else "")
    if len(text) > 80:
        text = text[:79] + "…"
    return f"{entry.get('kind') or 'query'}:{text}"


class FetchLock:
    """The fetch lock of a snapshot folder: one fetch at a time writes it.

    An exclusive ``flock`` on ``.fetch.lock``. The kernel drops it when the
    holder ends, however it ends (``kill -9`` included), so a lock file left
    behind by a dead fetch never blocks the next one, even when its PID now
    belongs to another process. The file holds the holder's PID for the
    message only. Without ``fcntl`` (Windows), a file created exclusively
    holding the PID is the lock, taken over when that process is gone.
    """

    def __init__(self, folder):
        self.folder = Path(folder)
        self.path = self.folder / LOCK
        self._fd: int | None = None
        self._created = False

    def __enter__(self) -> "FetchLock":
        self.acquire()
        return self

    def __exit__(self, *exc) -> None:
        self.release()

    def _busy(self, pid: int | None) -> FetchError:
        who = f"another fetch (process {pid})" if pid else "another fetch"
        return FetchError(f"{who} is writing {self.folder}; wait for it to finish")

    def acquire(self) -> None:
        if self._fd is not None or self._created:
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        if fcntl is None:  # pragma: no cover - Windows
            self._acquire_by_pid()
            return
        for _ in range(20):
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                pid = _int(os.pread(fd, 32, 0).decode("ascii", "replace").strip())
                os.close(fd)
                raise self._busy(pid) from None
            # The holder before may have removed the file between our open and
            # our flock: only a lock on the file that is there counts.
            try:
                current = os.stat(self.path)
            except FileNotFoundError:
                current = None
            if current is None or not os.path.samestat(os.fstat(fd), current):
                os.close(fd)
                continue
            os.ftruncate(fd, 0)
            os.pwrite(fd, str(os.getpid()).encode("ascii"), 0)
            self._fd = fd
            return
        raise FetchError(f"cannot lock {self.folder} for fetching")

    def _acquire_by_pid(self) -> None:  # pragma: no cover - Windows
        for _ in range(2):
            try:
                handle = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
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
        raise FetchError(f"cannot lock {self.folder} for fetching")

    def release(self) -> None:
        """Remove the lock file (while still holding it) and drop the lock."""
        if self._fd is not None:
            try:
                self.path.unlink(missing_ok=True)
            finally:
                os.close(self._fd)
                self._fd = None
        elif self._created:  # pragma: no cover - Windows
            self.path.unlink(missing_ok=True)
            self._created = False


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


# --- records -> flat rows -------------------------------------------------------------


def decode_abstract(inverted_index) -> str | None:
    """Plain text of an OpenAlex ``abstract_inverted_index``.

    Every word is placed at each of its positions; HTML entities are decoded.
    None for a missing, null or empty index.

    Examples
    --------
    >>> decode_abstract({"Peer": [0], "work": [1, 3], "and": [2]})
    'Peer work and work'
    >>> decode_abstract({}) is None
    True
    """
    if not isinstance(inverted_index, dict) or not inverted_index:
        return None
    placed: dict[int, str] = {}
    for word, positions in inverted_index.items():
        if isinstance(positions, int):
            positions = [positions]
        for position in positions or ():
            if isinstance(position, int) and position >= 0:
                placed[position] = word
    if not placed:
        return None
    text = " ".join(placed[i] for i in sorted(placed))
    text = html.unescape(text).strip()
    return text or None


def _authors(record: dict) -> str | None:
    names = []
    for authorship in record.get("authorships") or []:
        if not isinstance(authorship, dict):
            continue
        author = authorship.get("author") or {}
        name = author.get("display_name") or authorship.get("raw_author_name")
        if name:
            names.append(" ".join(str(name).split()))
    return "; ".join(names) or None


def _venue(record: dict) -> str | None:
    location = record.get("primary_location") or {}
    source = location.get("source") or {} if isinstance(location, dict) else {}
    name = source.get("display_name") if isinstance(source, dict) else None
    return name or None


def _int(value) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def work_row(record: dict) -> dict:
    """One flat ``works`` row (contract columns, without ``requested``) from an OpenAlex Work."""
    title = record.get("title") or record.get("display_name")
    return {
        "work_id": short_id(record.get("id")),
        "doi": normalize_doi(record.get("doi")),
        "title": html.unescape(" ".join(str(title).split())) if title else None,
        "publication_year": _int(record.get("publication_year")),
        "type": record.get("type") or None,
        "venue": _venue(record),
        "authors": _authors(record),
        "abstract": decode_abstract(record.get("abstract_inverted_index")),
        "cited_by_count": _int(record.get("cited_by_count")),
    }


def citing_edges(record: dict, queried=(), corpus=()) -> list[str]:
    """The corpus works a citing ``record`` cites, from its ``referenced_works``.

    A ``cites:W1|W2`` query (``queried``) answers works citing any of them;
    the reference list says which, and it names every other corpus work the
    record cites too (``corpus``). When the reference list is missing and one
    work was queried, the answer is that work.
    """
    queried = list(queried)
    wanted = set(queried) | set(corpus)
    references = {short_id(ref) for ref in record.get("referenced_works") or []}
    found = sorted(references & wanted)
    if not found and len(queried) == 1 and not record.get("referenced_works"):
        return queried
    return found


# The works columns OpenAlex fills (the schema's, up to cited_by_count), plus
# whether the fetch asked for the work; build adds is_corpus and source.
_WORK_COLUMNS = {
    **{name: dtype for name, dtype in SCHEMAS["works"].items()
       if name not in ("is_corpus", "source", "abstract_truncated", "corpus_role", "provenance")},
    "requested": "boolean",
}


def _frame(rows: list[dict], columns: dict[str, str]) -> pd.DataFrame:
    data = {name: pd.Series([row.get(name) for row in rows], dtype="object") for name in columns}
    frame = pd.DataFrame(data, columns=list(columns))
    for name, dtype in columns.items():
        frame[name] = frame[name].astype(dtype)
    return frame


def snapshot_tables(snapshot_dir) -> dict:
    """Flat tables from an OpenAlex snapshot, for ``build`` to merge with the corpus.

    Parameters
    ----------
    snapshot_dir : str or Path
        The snapshot folder (holding ``manifest.json``).

    Returns
    -------
    dict
        ``works``: work_id, doi, title, publication_year, type, venue, authors,
        abstract, cited_by_count, requested (True for works the fetch was asked
        for, False for works that only cite them), one row per work.
        ``citations``: citing_id, cited_id. ``counts_by_year``: work_id, year,
        citations, as OpenAlex gives them. ``matches``: corpus_work_id, work_id,
        method, score, for corpus rows matched without a DOI (by title,
        abstract+authors, or their ``openalex_id``). ``incomplete`` (a list of
        str, not a DataFrame): the queries an interrupted fetch left
        unfinished, e.g. ``"cites:W1|W2… (page 3 of 7)"``; empty when the
        snapshot is complete. Rerunning the fetch finishes them.

    Raises
    ------
    SnapshotError
        When the manifest or a page file is missing or damaged.

    Notes
    -----
    Pages are read one record at a time and each record is flattened at once
    (its abstract decoded, its inverted index dropped). When a work appears in
    several queries, the record of a corpus query beats that of a citing query,
    and a later fetch beats an earlier one.
    """
    snapshot = Snapshot.open(snapshot_dir)
    accepted: dict[str, set[str]] = {}
    match_rows = []
    for match in snapshot.manifest.get("matches", []):
        work_id = short_id(match.get("work_id"))
        if not work_id:
            continue
        accepted.setdefault(match.get("query"), set()).add(work_id)
        match_rows.append(
            {
                "corpus_work_id": match.get("corpus_work_id"),
                "work_id": work_id,
                "method": match.get("method"),
                "score": match.get("score"),
            }
        )
    rows: dict[str, tuple[tuple, dict, list]] = {}
    edges: set[tuple[str, str]] = set()
    queries = sorted(snapshot.queries(), key=lambda q: (q.get("started") or "", q["key"]))
    # First the corpus (small): which works the fetch was asked for.
    requested: set[str] = set()
    for entry in queries:
        role = entry.get("role")
        if role == ROLE_CORPUS:
            requested.update(w for w in (short_id(r.get("id")) for r in snapshot.query_records(entry)) if w)
        elif role == ROLE_CANDIDATES:
            requested.update(accepted.get(entry["key"], set()))
    # Then every record once, flattened at once. Edges come from reference
    # lists: a work in the snapshot that lists a corpus work cites it.
    for order, entry in enumerate(queries):
        role = entry.get("role")
        queried = entry.get("items") or [] if role == ROLE_CITING else []
        keep = accepted.get(entry["key"], set()) if role == ROLE_CANDIDATES else None
        for record in snapshot.query_records(entry):
            work_id = short_id(record.get("id"))
            if not work_id or (keep is not None and work_id not in keep):
                continue
            is_requested = work_id in requested and role != ROLE_CITING
            for cited_id in citing_edges(record, queried, requested):
                if cited_id != work_id:
                    edges.add((work_id, cited_id))
            priority = (is_requested, "counts_by_year" in record, order)  # corpus records first, then newest
            current = rows.get(work_id)
            if current is None or priority >= current[0]:
                counts = [
                    (c.get("year"), c.get("cited_by_count"))
                    for c in record.get("counts_by_year") or []
                    if isinstance(c, dict)
                ]
                rows[work_id] = (priority, work_row(record), counts)
    aliases = _duplicate_dois(rows, requested)
    works, counts_by_year = [], []
    for work_id in sorted(rows):
        if work_id in aliases:
            continue
        _, row, counts = rows[work_id]
        row["requested"] = work_id in requested
        works.append(row)
        for year, citations in counts:
            if _int(year) is not None and _int(citations) is not None:
                counts_by_year.append({"work_id": work_id, "year": _int(year), "citations": _int(citations)})
    citations = sorted({(aliases.get(a, a), aliases.get(b, b)) for a, b in edges if aliases.get(a, a) != aliases.get(b, b)})
    matches = pd.DataFrame(match_rows, columns=["corpus_work_id", "work_id", "method", "score"])
    matches = matches.assign(work_id=matches["work_id"].map(lambda w: aliases.get(w, w)))
    return {
        "incomplete": _incomplete(queries),
        "works": _frame(works, _WORK_COLUMNS),
        "citations": _frame([{"citing_id": a, "cited_id": b} for a, b in citations], {"citing_id": "str", "cited_id": "str"}),
        "counts_by_year": _frame(
            sorted(counts_by_year, key=lambda r: (r["work_id"], r["year"])),
            {"work_id": "str", "year": "Int64", "citations": "Int64"},
        ).drop_duplicates(subset=["work_id", "year"], keep="first").reset_index(drop=True),
        "matches": _frame(matches.to_dict("records"), {"corpus_work_id": "str", "work_id": "str", "method": "str", "score": "Float64"}),
    }


def _incomplete(queries: list[dict]) -> list[str]:
    """Short descriptions of the queries an interrupted fetch left unfinished.

    A query cut short by ``max_citing``/``max_search`` finished as asked and is
    not listed; nor is one whose items later queries of its kind answered in full.
    """
    covered = {(q.get("kind"), item) for q in queries if q.get("complete") for item in q.get("items") or []}
    out = []
    for entry in queries:
        if entry.get("complete") or entry.get("capped") is not None:
            continue
        items = entry.get("items") or []
        if items and all((entry.get("kind"), item) in covered for item in items):
            continue
        pages = len(entry.get("pages") or [])
        count = entry.get("count")
        per_page = _int((entry.get("params") or {}).get("per_page"))
        if isinstance(count, int) and per_page:
            where = f"page {pages} of {max(pages, -(-count // per_page))}"
        else:
            where = f"{pages} page{'s' if pages != 1 else ''} fetched, total unknown"
        out.append(f"{query_label(entry)} ({where})")
    return sorted(out)


def _duplicate_dois(rows: dict, requested: set[str]) -> dict[str, str]:
    """Work ids to drop because another requested work has the same DOI -> the one kept.

    OpenAlex sometimes holds two records for one DOI; a DOI lookup answers
    both. The corpus keeps one: the most cited, then the smallest id.
    """
    by_doi: dict[str, list[str]] = {}
    for work_id in requested:
        doi = rows[work_id][1]["doi"] if work_id in rows else None
        if doi:
            by_doi.setdefault(doi, []).append(work_id)
    aliases = {}
    for work_ids in by_doi.values():
        if len(work_ids) < 2:
            continue
        keep = canonical_work(work_ids, {w: rows[w][1]["cited_by_count"] for w in work_ids})
        for work_id in work_ids:
            if work_id != keep:
                aliases[work_id] = keep
    return aliases


def canonical_work(work_ids, cited_by_count: dict) -> str:
    """Of several OpenAlex records for one DOI, the one to keep (most cited, then smallest id)."""
    return sorted(work_ids, key=lambda w: (-(cited_by_count.get(w) or 0), len(w), w))[0]
