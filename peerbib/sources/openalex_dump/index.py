"""A slim Parquet index of OpenAlex's works dump (its "snapshot"), downloaded, made with DuckDB, one file per part.

Only what peerbib's tables need is kept: the short id, the DOI normalised
(bare, lower case), title, year, type, venue, the authorships (author id and
name, institutions with their ids, names and countries, the authorship's
countries, whether corresponding), cited_by_count, counts_by_year, the
abstract, the referenced works (the numbers of their ids: ``W123`` is 123, in
``reference_numbers``, in OpenAlex's order), the names of the keywords, MeSH
descriptors and topics, is_retracted, fwci, is_xpac, updated_date, whether
OpenAlex has GROBID full text, and the PMC id.
The abstract is kept as OpenAlex gives it, its inverted index as JSON text
(``abstract_inverted_index``), and made text when a work is read
(:func:`peerbib.sources.openalex.records.decode_abstract`, as for the API):
parsing a million inverted indexes and sorting their words at indexing time
took as long as all the rest of the index, for abstracts a study mostly never
reads. The gzip parts cannot be split, so the work is one DuckDB query per
part; DuckDB runs out of core under the memory limit with the threads given.

The JSON is read with every column declared: ``abstract_inverted_index`` has
keys that differ only in case ("The", "the"), which breaks DuckDB's schema
inference, so it is declared a string and read as its JSON text, whatever
its keys.

Resumable and incremental: ``index.json`` lists each indexed part by its URL
and size; a part already indexed is skipped, so an interrupted run resumes
and a later release costs only its new partitions. Parts the manifest no
longer lists leave the index. A record lives only in the partition of the
date it last changed, so a work can be in several parts: readers take the
version with the newest ``updated_date`` (see :mod:`.query`), and the ids in
``deleted_ids.csv`` are kept in ``deleted.parquet`` and left out. Until a run
has written ``deleted.parquet``, ``index.json`` has no ``deleted`` entry and
the index is not opened for queries (they would return deleted works).

A part holding fewer records than the manifest says is not indexed, and the
run ends with an error naming it. The index writes only into a new or empty
folder or one of its own, and removes only the files ``index.json`` records,
by plain names inside its own ``parts/`` folder.
"""
from __future__ import annotations

import hashlib
import json
import logging
import operator
import os
import re
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from pathlib import Path

from ...errors import DumpError
from ...files import atomic_write_text, ordinary_permissions
from ...settings import DUMP_MEMORY_LIMIT, DUMP_THREADS
from .layout import read_layout
from .sql import projection

__all__ = ["build_index", "read_index_manifest", "INDEX_MANIFEST", "DELETED", "duckdb_connection", "JSON_COLUMNS",
           "engine_version", "plan_index", "write_manifest", "write_deleted", "short_parts_error", "check_records"]

logger = logging.getLogger(__name__)  # under "peerbib": the command shows its INFO lines

INDEX_MANIFEST = "index.json"
DELETED = "deleted.parquet"
INDEX_FORMAT = "peerbib-openalex-index/4"  # /1 held the abstract as text, /2 references as ids, /3 authors
# as names only (no ids, institutions or countries) and no keywords, MeSH, topics, retraction flag or FWCI
# index.json gives the dump's release and layout under "snapshot" (OpenAlex's word for the dump): kept,
# so that indexes made before peerbib called it the dump still open.

#: The columns read from each JSON Lines part, declared (never inferred).
JSON_COLUMNS = {
    "id": "VARCHAR", "doi": "VARCHAR", "title": "VARCHAR", "display_name": "VARCHAR",
    "publication_year": "INTEGER", "type": "VARCHAR", "cited_by_count": "INTEGER",
    "counts_by_year": "STRUCT(year INTEGER, cited_by_count INTEGER)[]",
    "abstract_inverted_index": "VARCHAR",  # the JSON text of the inverted index
    "referenced_works": "VARCHAR[]",
    "primary_location": "STRUCT(source STRUCT(display_name VARCHAR))",
    "authorships": "STRUCT(author STRUCT(id VARCHAR, display_name VARCHAR), raw_author_name VARCHAR, "
                   "institutions STRUCT(id VARCHAR, display_name VARCHAR, country_code VARCHAR)[], "
                   "countries VARCHAR[], is_corresponding BOOLEAN)[]",
    "keywords": "STRUCT(display_name VARCHAR)[]", "mesh": "STRUCT(descriptor_name VARCHAR)[]",
    "topics": "STRUCT(display_name VARCHAR)[]", "is_retracted": "BOOLEAN", "fwci": "DOUBLE",
    "is_xpac": "BOOLEAN", "updated_date": "VARCHAR",
    "has_content": "STRUCT(grobid_xml BOOLEAN)", "ids": "STRUCT(pmcid VARCHAR)",
}

def _select(path: Path, default_date: str) -> str:
    """The index's projection (:func:`.sql.projection`) of one JSON Lines part, read by DuckDB."""
    quoted = str(path).replace("'", "''")
    source = (f"read_json('{quoted}', columns = {JSON_COLUMNS}, format = 'newline_delimited', "
              "compression = 'gzip', hive_partitioning = false)")
    return projection("duckdb", source, f"'{default_date}'")


def _duckdb():
    """The duckdb module; without it, a DumpError saying how to install it."""
    try:
        import duckdb
    except ImportError as exc:
        raise DumpError("the OpenAlex dump path needs DuckDB: python -m pip install 'peerbib[dump]'") \
            from exc
    return duckdb


def engine_version() -> str:
    return f"duckdb {_duckdb().__version__}"


def duckdb_connection(*, memory_limit: str = DUMP_MEMORY_LIMIT, threads: int = DUMP_THREADS, temp_directory=None):
    """A DuckDB connection with peerbib's limits (an ImportError says how to install DuckDB).

    Raises
    ------
    DumpError
        When DuckDB is not installed, or ``memory_limit`` or ``threads`` is no usable value.
    """
    memory = _checked_memory(memory_limit)
    threads = _checked_threads(threads)
    con = _duckdb().connect()
    con.execute(f"SET memory_limit = '{memory}'")
    con.execute(f"SET threads = {threads}")
    con.execute("SET preserve_insertion_order = false")
    con.execute("SET enable_progress_bar = false")  # peerbib says what it did; no bars in logs or notebooks
    if temp_directory is not None:
        con.execute(f"SET temp_directory = '{str(temp_directory)}'")
    return con


_MEMORY = re.compile(r"(\d+(?:\.\d+)?)\s*([KMGT]I?B|[KMGT]|B)", re.IGNORECASE)
_UNIT_BYTES = {"B": 1, "KB": 1000, "MB": 1000 ** 2, "GB": 1000 ** 3, "TB": 1000 ** 4,
               "KIB": 1024, "MIB": 1024 ** 2, "GIB": 1024 ** 3, "TIB": 1024 ** 4}
# A floor: with 0GB DuckDB fails at once (Out of Memory), and each connection of a run gets at least
# this much anyway (_share); 64MB indexes a part of the test dumps.
_MIN_MEMORY_MB = 64


def _memory_bytes(value) -> int:
    """``2GB`` -> 2_000_000_000, as DuckDB counts (KB..TB in 1000s, KiB..TiB in 1024s, K..T for KB..TB)."""
    match = _MEMORY.fullmatch(str(value).strip())
    if not match:
        raise DumpError(f"memory limit {value!r}: give a size such as 2GB or 512MB")
    unit = match.group(2).upper()
    size = int(float(match.group(1)) * _UNIT_BYTES[unit + "B" if unit in ("K", "M", "G", "T") else unit])
    if size < _MIN_MEMORY_MB * 1000 ** 2:
        raise DumpError(f"memory limit {value!r} is too small: give at least {_MIN_MEMORY_MB}MB, e.g. 2GB")
    return size


def _checked_memory(value) -> str:
    """``value`` as DuckDB reads it (in MB), checked."""
    return f"{_memory_bytes(value) // 1000 ** 2}MB"


def _checked_threads(value) -> int:
    try:
        number = operator.index(value)  # int and numpy's integers; not 2.5 or "2"
    except TypeError:
        number = 0
    if isinstance(value, bool) or number < 1:
        raise DumpError(f"threads {value!r}: give a whole number of 1 or more, e.g. 2")
    return number


def _share(memory_limit: str, workers: int) -> str:
    """``memory_limit`` divided among ``workers`` connections (e.g. 2GB over 2 -> 1000MB)."""
    return f"{max(_MIN_MEMORY_MB, _memory_bytes(memory_limit) // workers // 1000 ** 2)}MB"


def read_index_manifest(folder, *, missing_ok: bool = False) -> dict:
    """The ``index.json`` of the index in ``folder`` (``{}`` for none when ``missing_ok``).

    Raises
    ------
    DumpError
        When there is none, when it is not a peerbib index, or when an older peerbib made it
        (its columns differ: index the dump again into a new folder).
    """
    folder = Path(folder).expanduser()
    path = folder / INDEX_MANIFEST
    if not path.is_file():
        if missing_ok:
            return {}
        raise DumpError(f"no dump index in {folder}: make one with "
                        "`peerbib dump index DUMP_DIR --out INDEX`")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise DumpError(f"{path} is not readable JSON ({exc}): index the dump again into a new folder") \
            from exc
    found = manifest.get("format") if isinstance(manifest, dict) else None
    if found == INDEX_FORMAT:
        return manifest
    if isinstance(found, str) and found.startswith(INDEX_FORMAT.rsplit("/", 1)[0] + "/"):
        raise DumpError(f"the dump index in {folder} was made by an older peerbib ({found}; this one "
                        f"reads {INDEX_FORMAT}): index the dump again into a new folder "
                        "(`peerbib dump index DUMP_DIR --out NEW_INDEX`) or delete this one first")
    raise DumpError(f"{folder} holds something else than a peerbib dump index: give an empty folder")


def plan_index(dump, out):
    """What indexing ``dump`` into ``out`` has to do, for either engine, after checking both.

    Returns ``(layout, out, indexed, todo)``: the dump's layout, the index
    folder, the parts already indexed that the release still lists (by key; the
    files of the others are removed), and the parts to index (by key: new ones,
    and any whose files are missing). ``out/index.json`` is then written without
    a ``deleted`` entry: the index is unfinished until the engine writes it.

    Raises
    ------
    DumpError
        For a missing or incomplete dump, a Parquet-format one, an index folder
        that is a file or holds something else than a peerbib index, or an
        ``index.json`` that names files outside the index's own ``parts/`` folder.
    """
    out = _index_folder(out)
    layout = read_layout(dump)
    if layout.format != "jsonl":
        raise DumpError(f"{layout.folder} is a Parquet dump; peerbib indexes the JSON Lines one "
                        "(s3://openalex/data/jsonl/works)")
    indexed = _indexed_parts(out)
    parts = _parts_folder(out)
    wanted = {_key(p.url, p.size): p for p in layout.parts}
    for key in [k for k in indexed if k not in wanted]:  # a part the release no longer has
        remove_part_files(out, indexed.pop(key))
    write_manifest(out, {"format": INDEX_FORMAT, "snapshot": layout.describe(), "parts": indexed})
    parts.mkdir(exist_ok=True)
    todo = {k: p for k, p in wanted.items()
            if k not in indexed or not all((parts / f).is_file() for f in part_files(indexed[k]))}
    return layout, out, indexed, todo


# Left by a run killed while it wrote its first index.json (files.atomic_write's temporary name).
_OWN_LEFTOVER = re.compile(r"\.index\.json\..*\.tmp")


def _index_folder(out) -> Path:
    """``out`` checked to be a new folder, an empty one, or a peerbib index: the index writes nowhere else."""
    out = Path(out).expanduser()
    if os.path.lexists(out) and not out.is_dir():
        raise DumpError(f"the index folder {out} is not a folder (a file is there): give a new or empty "
                        "folder for the index, or one peerbib indexed into before")
    if out.is_dir() and not (out / INDEX_MANIFEST).is_file():
        others = sorted(p.name for p in out.iterdir() if not _OWN_LEFTOVER.fullmatch(p.name))
        if others:
            raise DumpError(f"{out} is not a peerbib dump index (no {INDEX_MANIFEST}; it holds "
                            f"{others[0]!r}{f' and {len(others) - 1} more' if len(others) > 1 else ''}): "
                            "give a new or empty folder for the index, nothing in this one is touched")
    return out


def _parts_folder(out: Path) -> Path:
    """``out/parts``, checked to be the index's own folder (not a link elsewhere): files are removed there."""
    parts = out / "parts"
    if parts.is_symlink() or (os.path.lexists(parts) and not parts.is_dir()):
        raise DumpError(f"{parts} is a link or a file, not the index's own folder of parts: the index "
                        "removes files there, so it must be a plain folder inside the index; move it back")
    return parts


def _indexed_parts(out: Path) -> dict:
    """The parts ``out/index.json`` records (``{}`` for a new index), each checked to name only plain
    Parquet file names, so that removing a part's files cannot reach outside ``out/parts``."""
    recorded = read_index_manifest(out, missing_ok=True).get("parts") or {}
    problem = _damage(recorded)
    if problem:
        raise DumpError(f"{out / INDEX_MANIFEST} is damaged ({problem}): index the dump again into a "
                        "new folder")
    return dict(recorded)


def _damage(recorded) -> str | None:
    """What is wrong with the ``parts`` of an ``index.json``, or None."""
    if not isinstance(recorded, dict):
        return f"its parts are a {type(recorded).__name__}"
    for key, entry in recorded.items():
        if not isinstance(entry, dict) or not isinstance(entry.get("url"), str):
            return f"part {key} is {str(entry)[:60]!r}"
        names = entry.get("files") or [entry.get("file")]
        bad = [n for n in names if not _plain_part_name(n)] if isinstance(names, list) else [names]
        if bad:
            return f"part {key} names {bad[0]!r}, not a file of its parts folder"
    return None


def _plain_part_name(name) -> bool:
    return isinstance(name, str) and name == Path(name).name and name.endswith(".parquet") \
        and not name.startswith(".") and "\\" not in name


def part_files(entry: dict) -> list[str]:
    """The file names in ``parts/`` of an indexed part (Spark may write several)."""
    return list(entry.get("files") or [entry["file"]])


def remove_part_files(out: Path, entry: dict) -> None:
    """Remove the files of an indexed part: plain names in ``out/parts``, a link itself and never what it
    points to (``unlink`` does not follow it)."""
    parts = _parts_folder(out)
    for name in part_files(entry):
        if not _plain_part_name(name):  # _indexed_parts refuses such an index.json; a second lock
            raise DumpError(f"{out / INDEX_MANIFEST} names {name!r} as a part: index the dump again "
                            "into a new folder")
        path = parts / name
        if path.is_symlink() or path.is_file():
            path.unlink()


def write_manifest(out: Path, manifest: dict) -> None:
    """Write ``out/index.json`` in one step (readers see the old one or the new one)."""
    atomic_write_text(out / INDEX_MANIFEST, json.dumps(manifest, indent=1, sort_keys=True) + "\n")


def short_parts_error(folder: Path, short: list[str]) -> DumpError:
    """The error for parts holding fewer records than the manifest says (each named in ``short``)."""
    more = f" (and {len(short) - 3} more)" if len(short) > 3 else ""
    return DumpError(f"the dump in {folder} has parts with fewer records than its manifest: "
                     f"{'; '.join(short[:3])}{more}; they were not indexed: delete them and download them "
                     "again (aws s3 sync … --no-sign-request), then index again")


def check_records(part, records: int, folder: Path) -> str | None:
    """What is wrong with ``records`` read from ``part`` against its manifest entry, or None."""
    if part.records is None or records == part.records:
        return None
    name = part.path.relative_to(folder).as_posix()
    if records < part.records:
        return f"{name} holds {records:,} records, the manifest says {part.records:,}"
    # More records than listed lose nothing; the manifest may count lines differently.
    logger.warning("%s holds %s records, its manifest entry %s", name, records, part.records)
    return None


def _key(url: str, size) -> str:
    return hashlib.sha256(f"{url}\n{size}".encode()).hexdigest()[:20]


def build_index(dump, out, *, memory_limit: str = DUMP_MEMORY_LIMIT, threads: int = DUMP_THREADS,
                progress: bool = False) -> dict:
    """Index the works dump in ``dump`` into ``out`` (created), resuming what is there.

    Returns the index manifest (also written to ``out/index.json``): release,
    layout, format, engine, and per part its URL, size, records and file.

    With ``progress``, a line per part indexed is logged (INFO, on a logger
    under ``"peerbib"``: ``peerbib dump index`` shows them; in Python,
    ``logging.basicConfig(level=logging.INFO)`` does).

    Raises
    ------
    DumpError
        For a missing, incomplete or odd dump (see :func:`.layout.read_layout`),
        a Parquet-format dump (index the JSON Lines one), a part DuckDB cannot
        read or one holding fewer records than the manifest says (named; the others
        are indexed), an unreadable ``deleted_ids.csv``, a ``memory_limit`` or
        ``threads`` that is no usable value, or an ``out`` that is not a new or
        empty folder or a peerbib index.
    """
    _checked_memory(memory_limit)
    threads = _checked_threads(threads)
    duckdb = _duckdb()
    layout, out, indexed, todo = plan_index(dump, out)
    manifest = {"format": INDEX_FORMAT, "snapshot": layout.describe(), "engine": engine_version(),
                "memory_limit": memory_limit, "threads": threads, "parts": indexed}
    todo = list(todo.items())
    # One part per task, as many at once as threads (a gzip part cannot be split), each task on its own
    # connection with one thread and its share of the memory limit.
    workers = max(1, min(threads, len(todo) or 1))
    share = _share(memory_limit, workers)
    lock = threading.Lock()
    done = [0]

    def index_part(item) -> str | None:
        key, part = item
        name = f"{part.updated_date}_{part.path.stem}_{key[:8]}.parquet"
        target = out / "parts" / name
        temp = target.with_name(f".{name}.{os.getpid()}.{threading.get_ident()}.tmp")
        con = duckdb_connection(memory_limit=share, threads=1, temp_directory=out / ".tmp")
        try:
            con.execute(f"COPY ({_select(part.path, part.updated_date)}) TO '{temp}' "
                        "(FORMAT parquet, COMPRESSION zstd)")
            rows = con.execute("SELECT count(*) FROM read_parquet(?)", [str(temp)]).fetchone()[0]
            short = check_records(part, int(rows), layout.folder)
            if short:
                temp.unlink()
                return short
            ordinary_permissions(temp)
            os.replace(temp, target)
        except duckdb.Error as exc:
            temp.unlink(missing_ok=True)
            error = _part_error(duckdb, exc, part.path, share)
            if error is None:
                raise
            raise error from exc
        except BaseException:
            temp.unlink(missing_ok=True)
            raise
        finally:
            con.close()
        with lock:
            indexed[key] = {"url": part.url, "size": part.size, "records": int(rows), "file": name,
                            "updated_date": part.updated_date}
            manifest["indexed_at"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
            write_manifest(out, manifest)
            done[0] += 1
            if progress:
                logger.info("indexed %d/%d: %s (%s), %s records", done[0], len(todo), part.path.name,
                            part.updated_date, f"{rows:,}")
        return None

    with ThreadPoolExecutor(max_workers=workers) as pool:
        short = [problem for problem in (future.result() for future in
                                         [pool.submit(index_part, item) for item in todo]) if problem]
    return finish_index(layout, out, manifest, short)


def _part_error(duckdb, exc, path: Path, memory_limit: str) -> DumpError | None:
    """What DuckDB's ``exc``, raised while indexing the part at ``path``, means: a DumpError for a damaged
    part (download it again) or for memory (give more), else None (``exc`` goes on as it is).

    A damaged part is malformed JSON or values of another type than declared (InvalidInputException,
    ConversionException) or a gzip stream that is not one or is cut short (an IOException naming the
    part). An IOException naming another file is the index part being written (a full disk, a folder
    that went away): not the download's fault.
    """
    first = str(exc).splitlines()[0] if str(exc) else "no detail"
    damaged = isinstance(exc, (duckdb.InvalidInputException, duckdb.ConversionException)) or \
        (isinstance(exc, duckdb.IOException) and str(path) in str(exc))
    if damaged:
        return DumpError(f"{path}: DuckDB could not read it ({type(exc).__name__}: {first}); "
                         "download this part again")
    if isinstance(exc, duckdb.OutOfMemoryException):
        return DumpError(f"{path}: DuckDB ran out of memory indexing it ({memory_limit} for this part): "
                         "give a larger --memory-limit (memory_limit=) or fewer threads")
    return None


def finish_index(layout, out: Path, manifest: dict, short: list) -> dict:
    """End a run of either engine: refuse short parts (named), else write the deletions and the manifest that
    opens the index for queries."""
    if short:
        raise short_parts_error(layout.folder, short)
    write_deleted(layout, out)
    manifest["deleted"] = DELETED
    manifest["indexed_at"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
    write_manifest(out, manifest)
    return manifest


def write_deleted(layout, out: Path) -> int:
    """Write the ids of the dump's ``deleted_ids.csv(.gz)`` (see :class:`.layout.DeletedIds`) to
    ``out/deleted.parquet`` (one column ``id``, ``W123``), for either engine; returns how many.

    Streamed in batches: the file lists every work ever deleted. An id listed twice in far apart
    rows may be kept twice; readers only ask whether an id is there.

    Raises
    ------
    DumpError
        When the file cannot be read, or a row's id is no work id; ``deleted.parquet`` is then left
        as it was and ``index.json`` has no ``deleted`` entry (the index is not opened).
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    target = out / DELETED
    temp = out / f".{DELETED}.{os.getpid()}.tmp"
    schema = pa.schema([("id", pa.string())])
    count, batch = 0, set()
    try:
        with pq.ParquetWriter(temp, schema) as writer:
            for work in layout.deleted or ():
                batch.add(work)
                if len(batch) >= 500_000:
                    writer.write_table(pa.table({"id": sorted(batch)}, schema=schema))
                    count, batch = count + len(batch), set()
            if batch:
                writer.write_table(pa.table({"id": sorted(batch)}, schema=schema))
                count += len(batch)
        ordinary_permissions(temp)
        os.replace(temp, target)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return count
