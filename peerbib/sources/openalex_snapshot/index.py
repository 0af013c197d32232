"""A slim Parquet index of a downloaded OpenAlex works snapshot, made with DuckDB, one file per part.

Only what peerbib's tables need is kept: the short id, the DOI normalised
(bare, lower case), title, year, type, venue, authors, cited_by_count,
counts_by_year, the abstract, the referenced works (the numbers of their
ids: ``W123`` is 123, in ``reference_numbers``), is_xpac, updated_date,
whether OpenAlex has GROBID full text, and the PMC id.
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
``deleted_ids.csv`` are kept in ``deleted.parquet`` and left out.
"""
from __future__ import annotations

import hashlib
import json
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from pathlib import Path

from ...errors import SnapshotError
from ...files import atomic_write_text, ordinary_permissions
from .layout import read_layout
from .sql import projection

__all__ = ["build_index", "read_index_manifest", "INDEX_MANIFEST", "duckdb_connection", "JSON_COLUMNS", "engine_version"]

INDEX_MANIFEST = "index.json"
INDEX_FORMAT = "peerbib-openalex-index/3"  # /1 held the abstract as text, /2 references as ids

#: The columns read from each JSON Lines part, declared (never inferred).
JSON_COLUMNS = {
    "id": "VARCHAR", "doi": "VARCHAR", "title": "VARCHAR", "display_name": "VARCHAR",
    "publication_year": "INTEGER", "type": "VARCHAR", "cited_by_count": "INTEGER",
    "counts_by_year": "STRUCT(year INTEGER, cited_by_count INTEGER)[]",
    "abstract_inverted_index": "VARCHAR",  # the JSON text of the inverted index
    "referenced_works": "VARCHAR[]",
    "primary_location": "STRUCT(source STRUCT(display_name VARCHAR))",
    "authorships": "STRUCT(author STRUCT(display_name VARCHAR), raw_author_name VARCHAR)[]",
    "is_xpac": "BOOLEAN", "updated_date": "VARCHAR",
    "has_content": "STRUCT(grobid_xml BOOLEAN)", "ids": "STRUCT(pmcid VARCHAR)",
}

def _select(path: Path, default_date: str) -> str:
    """The index's projection (:func:`.sql.projection`) of one JSON Lines part, read by DuckDB."""
    quoted = str(path).replace("'", "''")
    source = (f"read_json('{quoted}', columns = {JSON_COLUMNS}, format = 'newline_delimited', "
              "compression = 'gzip', hive_partitioning = false)")
    return projection("duckdb", source, f"'{default_date}'")


_SHORT = "regexp_extract({x}, '([WwAaSs]\\d+)$', 1)"


def engine_version() -> str:
    import duckdb

    return f"duckdb {duckdb.__version__}"


def duckdb_connection(*, memory_limit: str = "2GB", threads: int = 2, temp_directory=None):
    """A DuckDB connection with peerbib's limits (an ImportError says how to install DuckDB)."""
    try:
        import duckdb
    except ImportError:
        raise SnapshotError("the OpenAlex snapshot path needs DuckDB: python -m pip install 'peerbib[snapshot]'") \
            from None
    con = duckdb.connect()
    con.execute(f"SET memory_limit = '{_checked_memory(memory_limit)}'")
    con.execute(f"SET threads = {int(threads)}")
    con.execute("SET preserve_insertion_order = false")
    con.execute("SET enable_progress_bar = false")  # peerbib says what it did; no bars in logs or notebooks
    if temp_directory is not None:
        con.execute(f"SET temp_directory = '{str(temp_directory)}'")
    return con


def _checked_memory(value: str) -> str:
    text = str(value).strip().upper().replace(" ", "")
    if not text or not text[0].isdigit() or not text.rstrip("B").rstrip("KMGT").replace(".", "").isdigit():
        raise SnapshotError(f"memory limit {value!r}: give a size such as 2GB or 512MB")
    return text


def _share(memory_limit: str, workers: int) -> str:
    """``memory_limit`` divided among ``workers`` connections (e.g. 2GB over 2 -> 1024MB)."""
    text = _checked_memory(memory_limit).rstrip("B")
    units = {"K": 1 / 1024, "M": 1, "G": 1024, "T": 1024 * 1024}
    unit = text[-1] if text[-1] in units else "M"
    number = float(text[:-1] if text[-1] in units else text)
    return f"{max(64, int(number * units[unit] / workers))}MB"


def read_index_manifest(folder, *, missing_ok: bool = False) -> dict:
    """The ``index.json`` of the index in ``folder`` (``{}`` for none when ``missing_ok``).

    Raises
    ------
    SnapshotError
        When there is none, when it is not a peerbib index, or when an older peerbib made it
        (its columns differ: index the snapshot again into a new folder).
    """
    folder = Path(folder).expanduser()
    path = folder / INDEX_MANIFEST
    if not path.is_file():
        if missing_ok:
            return {}
        raise SnapshotError(f"no snapshot index in {folder}: make one with "
                            "`peerbib snapshot index SNAPSHOT_DIR --out INDEX`")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise SnapshotError(f"{path} is not readable JSON ({exc}): index the snapshot again into a new folder") \
            from None
    found = manifest.get("format") if isinstance(manifest, dict) else None
    if found == INDEX_FORMAT:
        return manifest
    if isinstance(found, str) and found.startswith(INDEX_FORMAT.rsplit("/", 1)[0] + "/"):
        raise SnapshotError(f"the snapshot index in {folder} was made by an older peerbib ({found}; this one "
                            f"reads {INDEX_FORMAT}): index the snapshot again into a new folder "
                            "(`peerbib snapshot index SNAPSHOT_DIR --out NEW_INDEX`) or delete this one first")
    raise SnapshotError(f"{folder} holds something else than a peerbib snapshot index: give an empty folder")


def plan_index(snapshot, out):
    """What indexing ``snapshot`` into ``out`` has to do, for either engine.

    Returns ``(layout, out, indexed, todo)``: the snapshot's layout, the index
    folder (created), the parts already indexed that the release still lists
    (by key; the files of the others are removed), and the parts to index (by
    key: new ones, and any whose files are missing).

    Raises
    ------
    SnapshotError
        For a missing or incomplete snapshot, a Parquet-format one, or an index
        folder that holds something else.
    """
    layout = read_layout(snapshot)
    if layout.format != "jsonl":
        raise SnapshotError(f"{layout.folder} is a Parquet snapshot; peerbib indexes the JSON Lines one "
                            "(s3://openalex/data/jsonl/works)")
    out = Path(out).expanduser()
    (out / "parts").mkdir(parents=True, exist_ok=True)
    indexed: dict = dict(read_index_manifest(out, missing_ok=True).get("parts") or {})
    wanted = {_key(p.url, p.size): p for p in layout.parts}
    for key in [k for k in indexed if k not in wanted]:  # a part the release no longer has
        remove_part_files(out, indexed.pop(key))
    todo = {k: p for k, p in wanted.items()
            if k not in indexed or not all((out / "parts" / f).is_file() for f in part_files(indexed[k]))}
    return layout, out, indexed, todo


def part_files(entry: dict) -> list[str]:
    """The file names in ``parts/`` of an indexed part (Spark may write several)."""
    return list(entry.get("files") or [entry["file"]])


def remove_part_files(out: Path, entry: dict) -> None:
    for name in part_files(entry):
        (out / "parts" / name).unlink(missing_ok=True)


def _key(url: str, size) -> str:
    return hashlib.sha256(f"{url}\n{size}".encode()).hexdigest()[:20]


def build_index(snapshot, out, *, memory_limit: str = "2GB", threads: int = 2, progress: bool = False) -> dict:
    """Index the works snapshot in ``snapshot`` into ``out`` (created), resuming what is there.

    Returns the index manifest (also written to ``out/index.json``): release,
    layout, format, engine, and per part its URL, size, records and file.

    Raises
    ------
    SnapshotError
        For a missing or incomplete snapshot, a Parquet-format snapshot (index
        the JSON Lines one), or a part DuckDB cannot read (named).
    """
    layout, out, indexed, todo = plan_index(snapshot, out)
    manifest_path = out / INDEX_MANIFEST
    manifest = {"format": INDEX_FORMAT, "snapshot": layout.describe(), "engine": engine_version(),
                "memory_limit": memory_limit, "threads": int(threads), "parts": indexed}
    todo = list(todo.items())
    # One part per task, as many at once as threads (a gzip part cannot be split), each task on its own
    # connection with one thread and its share of the memory limit.
    workers = max(1, min(int(threads), len(todo) or 1))
    share = _share(memory_limit, workers)
    lock = threading.Lock()
    done = [0]

    def index_part(item):
        key, part = item
        name = f"{part.updated_date}_{part.path.stem}_{key[:8]}.parquet"
        target = out / "parts" / name
        temp = target.with_name(f".{name}.{os.getpid()}.{threading.get_ident()}.tmp")
        con = duckdb_connection(memory_limit=share, threads=1, temp_directory=out / ".tmp")
        try:
            con.execute(f"COPY ({_select(part.path, part.updated_date)}) TO '{temp}' "
                        "(FORMAT parquet, COMPRESSION zstd)")
            rows = con.execute("SELECT count(*) FROM read_parquet(?)", [str(temp)]).fetchone()[0]
            ordinary_permissions(temp)
            os.replace(temp, target)
        except Exception as exc:
            temp.unlink(missing_ok=True)
            raise SnapshotError(f"{part.path}: DuckDB could not read it ({type(exc).__name__}: "
                                f"{str(exc).splitlines()[0]}); download this part again") from None
        finally:
            con.close()
        with lock:
            indexed[key] = {"url": part.url, "size": part.size, "records": int(rows), "file": name,
                            "updated_date": part.updated_date}
            manifest["indexed_at"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
            atomic_write_text(manifest_path, json.dumps(manifest, indent=1, sort_keys=True) + "\n")
            done[0] += 1
            if progress:
                print(f"indexed {done[0]}/{len(todo)}: {part.path.name} ({part.updated_date}), {rows:,} records",
                      flush=True)

    with ThreadPoolExecutor(max_workers=workers) as pool:
        for future in [pool.submit(index_part, item) for item in todo]:
            future.result()
    con = duckdb_connection(memory_limit=memory_limit, threads=threads, temp_directory=out / ".tmp")
    try:
        _deleted(con, layout, out)
    finally:
        con.close()
    manifest["deleted"] = "deleted.parquet"
    manifest["indexed_at"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
    atomic_write_text(manifest_path, json.dumps(manifest, indent=1, sort_keys=True) + "\n")
    return manifest


def _deleted(con, layout, out: Path) -> None:
    target = out / "deleted.parquet"
    temp = out / f".deleted.{os.getpid()}.tmp"
    if layout.deleted is None:
        select = "SELECT NULL::VARCHAR AS id WHERE false"
        params = []
    else:
        select = (f"SELECT DISTINCT id FROM (SELECT upper({_SHORT.format(x='column0')}) AS id FROM read_csv(?, "
                  "header = false, columns = {'column0': 'VARCHAR'})) WHERE id <> ''")
        params = [str(layout.deleted)]
    con.execute(f"COPY ({select}) TO '{temp}' (FORMAT parquet)", params)
    ordinary_permissions(temp)
    os.replace(temp, target)
