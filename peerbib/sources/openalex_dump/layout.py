"""The files of a downloaded OpenAlex dump of works (its "snapshot"), found from its manifest.

Two layouts (OpenAlex's snapshot documentation, 2026):

- **current**: ``data/jsonl/works/`` (or ``data/parquet/works/``) holding
  ``updated_date=YYYY-MM-DD/part_NNNN.gz`` and a ``manifest.json`` written
  last: ``{date, format, entity, record_count, content_length,
  files: [{url, meta: {content_length, record_count}}]}``;
- **legacy**: ``legacy-data/works/`` with a Redshift-style ``manifest``
  ``{entries: [{url, meta: {content_length, record_count}}]}``.

Each file's URL (``s3://openalex/data/jsonl/works/updated_date=…/part_0000.gz``)
is found under the folder given, by the part of the URL after ``/works/``, and
must stay inside it (no ``..``, no link out of it). Every field of the manifest
is checked for its type before it is used: a manifest peerbib cannot read is
an error naming the field, never a guess.

Deletions come as ``deleted_ids.csv(.gz)`` beside the parts. OpenAlex has
changed that file's shape before, so :class:`DeletedIds` reads the shapes it
may take (bare ids or URLs, with or without a header line and other columns
such as a date): the header when there is one, the id column by its name or
by its values. A file it cannot read, or whose id column it cannot tell, is
an error: deletions are never dropped in silence.
"""
from __future__ import annotations

import csv
import gzip
import json
import os
import re
import zlib
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from ...errors import DumpError
from ...ids import short_id

__all__ = ["DumpPart", "DumpLayout", "DeletedIds", "read_layout", "read_deleted_ids"]

_DATE = re.compile(r"updated_date=(\d{4}-\d{2}-\d{2})")
_SYNC_AGAIN = "sync it again (aws s3 sync … --no-sign-request resumes)"
_MANIFEST_AGAIN = "download the dump's manifest again (aws s3 sync … --no-sign-request)"


@dataclass(frozen=True)
class DumpPart:
    """One file of the dump: where the manifest says it is, where it is here, its size and records."""

    url: str
    path: Path
    size: int | None
    records: int | None
    updated_date: str


@dataclass
class DumpLayout:
    folder: Path
    layout: str  # "current" or "legacy"
    format: str  # "jsonl" or "parquet"
    release: str | None  # the manifest's date (current layout), else the newest partition
    record_count: int | None
    parts: list
    deleted: DeletedIds | None

    def describe(self) -> dict:
        return {"layout": self.layout, "format": self.format, "release": self.release,
                "record_count": self.record_count, "parts": len(self.parts)}


def _manifest(folder: Path) -> tuple[str, Path, dict]:
    for name, layout in (("manifest.json", "current"), ("manifest", "legacy")):
        path = folder / name
        if path.is_file():
            try:
                manifest = json.loads(path.read_text(encoding="utf-8"))
            except ValueError as exc:  # not JSON, or not UTF-8: a download cut short or of something else
                raise DumpError(f"{path} is not readable JSON ({exc}): {_MANIFEST_AGAIN}") from exc
            if not isinstance(manifest, dict):
                raise DumpError(f"{path} holds a JSON {type(manifest).__name__}, not the object of an "
                                f"OpenAlex manifest ({{files: [...]}}): {_MANIFEST_AGAIN}")
            return layout, path, manifest
    raise DumpError(
        f"no manifest.json (or legacy manifest) in {folder}: give the works folder of the dump, e.g. "
        "the DIR of `aws s3 sync s3://openalex/data/jsonl/works DIR --no-sign-request`; OpenAlex writes "
        "the manifest last, so a download without it is not finished"
    )


def _odd(path: Path, where: str, value, wanted: str) -> DumpError:
    shown = repr(value) if len(repr(value)) <= 60 else repr(value)[:57] + "..."
    return DumpError(f"{path}: {where} is {shown}, not {wanted}; {_MANIFEST_AGAIN}")


def _count(path: Path, where: str, value) -> int | None:
    """A size or record count of the manifest: a whole number, 0 or more (None when absent)."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise _odd(path, where, value, "a whole number of 0 or more")
    return value


def _string(path: Path, where: str, value) -> str | None:
    if value is not None and not isinstance(value, str):
        raise _odd(path, where, value, "a string")
    return value


def _local(folder: Path, url: str, manifest_path: Path) -> Path:
    """Where the part of ``url`` is under ``folder``; its real path must be inside ``folder``."""
    tail = url.split("/works/", 1)[1] if "/works/" in url else "/".join(url.rsplit("/", 2)[-2:])
    path = folder / tail
    root = Path(os.path.realpath(folder))
    # The real path, so that neither `..` in the URL nor a link in the folder reads a file elsewhere.
    if root not in Path(os.path.realpath(path)).parents:
        raise DumpError(f"{manifest_path} lists {url!r}, which is outside the dump folder {folder}: "
                        f"peerbib reads only files inside it; {_MANIFEST_AGAIN}")
    return path


def read_layout(folder) -> DumpLayout:
    """The parts of the dump in ``folder``, checked to be there with the size the manifest gives.

    Raises
    ------
    DumpError
        When the manifest is missing, unreadable, or holds a field of another type than
        OpenAlex writes (named); when a part's URL leads outside ``folder``; when a part is
        missing or has another size (an interrupted download: the message names the first
        few and says to sync again); or when ``deleted_ids.csv(.gz)`` cannot be read
        (see :func:`read_deleted_ids`).
    """
    folder = Path(folder).expanduser()
    if not folder.is_dir():
        raise DumpError(f"{folder} is not a folder: give the works folder of an OpenAlex dump")
    layout, manifest_path, manifest = _manifest(folder)
    field = "files" if layout == "current" else "entries"
    entries = manifest.get(field)
    if entries is not None and not isinstance(entries, list):
        raise _odd(manifest_path, field, entries, "a list of the dump's files")
    if not entries:
        raise DumpError(f"the manifest in {folder} lists no files: {_MANIFEST_AGAIN}")
    parts, problems = [], []
    for number, entry in enumerate(entries):
        where = f"{field}[{number}]"
        if not isinstance(entry, dict):
            raise _odd(manifest_path, where, entry, "an object {url, meta}")
        url = entry.get("url")
        if not isinstance(url, str) or not url.strip():
            raise _odd(manifest_path, f"{where}.url", url, "the URL of a file")
        meta = entry.get("meta")
        if meta is None:
            meta = {}
        elif not isinstance(meta, dict):
            raise _odd(manifest_path, f"{where}.meta", meta, "an object {content_length, record_count}")
        size = _count(manifest_path, f"{where}.meta.content_length", meta.get("content_length"))
        records = _count(manifest_path, f"{where}.meta.record_count", meta.get("record_count"))
        path = _local(folder, url, manifest_path)
        date = _DATE.search(url)
        if not path.is_file():
            problems.append(f"{path.relative_to(folder)} is missing")
            continue
        if size is not None and path.stat().st_size != size:
            problems.append(f"{path.relative_to(folder)} has {path.stat().st_size:,} bytes, the manifest {size:,}")
            continue
        parts.append(DumpPart(url, path, size if size is not None else path.stat().st_size,
                              records, date.group(1) if date else "0000-00-00"))
    if problems:
        more = f" (and {len(problems) - 3} more)" if len(problems) > 3 else ""
        raise DumpError(f"the dump in {folder} is incomplete: {'; '.join(problems[:3])}{more}; {_SYNC_AGAIN}")
    fmt = _string(manifest_path, "format", manifest.get("format"))
    formats = {"parquet" if p.path.suffix == ".parquet" else "jsonl" for p in parts}
    fmt = fmt or (formats.pop() if len(formats) == 1 else "jsonl")
    release = _string(manifest_path, "date", manifest.get("date")) or max((p.updated_date for p in parts), default=None)
    record_count = _count(manifest_path, "record_count", manifest.get("record_count"))
    deleted = next((p for p in (folder / "deleted_ids.csv.gz", folder / "deleted_ids.csv") if p.is_file()), None)
    return DumpLayout(folder, layout, "parquet" if "parquet" in fmt else "jsonl", release, record_count,
                      sorted(parts, key=lambda p: (p.updated_date, p.url)),
                      None if deleted is None else read_deleted_ids(deleted))


# deleted_ids.csv(.gz) ------------------------------------------------------------------------------------

#: Header names of the column of deleted ids, most specific first (compared lower case, `_` for spaces).
ID_COLUMN_NAMES = ("id", "work_id", "openalex_id", "deleted_id", "deleted_work_id", "deleted_ids", "work",
                   "openalex", "ids")
_DELIMITERS = (",", "\t", ";", "|")
_SAMPLE_ROWS = 1000  # rows read to tell the shape: the id column's values all look like ids there
_AGAIN = "download it again (delete it and sync the dump again)"


@dataclass(frozen=True)
class DeletedIds:
    """The dump's ``deleted_ids.csv(.gz)`` and its shape, as :func:`read_deleted_ids` found it.

    Iterating gives every id of the file as the index spells it (``W123``), each row
    checked: a value in the id column that is no work id is an error naming its line.
    """

    path: Path
    delimiter: str
    header: tuple[str, ...] | None  # the header line's names, None for a file without one
    column: int  # the id column, from 0

    def __iter__(self) -> Iterator[str]:
        with _rows(self.path, self.delimiter) as rows:
            first = True
            for row in rows:
                if not any(cell.strip() for cell in row):
                    continue
                if first and self.header is not None:
                    first = False
                    continue
                first = False
                value = row[self.column].strip() if len(row) > self.column else ""
                if not value:
                    continue  # a row without an id deletes nothing
                work = short_id(value)
                if work is None:
                    raise DumpError(
                        f"{self.path}, line {rows.line_num}: {value[:60]!r} in the id column ({self._column_name}) "
                        "is not an OpenAlex work id (W123 or https://openalex.org/W123); check the file, or "
                        f"{_AGAIN}")
                yield work

    @property
    def _column_name(self) -> str:
        return repr(self.header[self.column]) if self.header else f"column {self.column + 1}"


@contextmanager
def _open_text(path: Path):
    """The text of ``path``, gzip or not (told by its first bytes, not its name); a file that cannot
    be decompressed or decoded, then or while it is read, is a DumpError (download it again). Other
    OSErrors (a permission, a failing disk) are not the download's fault and go on as they are."""
    try:
        with open(path, "rb") as raw:
            gzipped = raw.read(2) == b"\x1f\x8b"
        stream = gzip.open(path, "rt", encoding="utf-8-sig", newline="") if gzipped else \
            open(path, encoding="utf-8-sig", newline="")
        with stream:
            yield stream
    except (gzip.BadGzipFile, EOFError, zlib.error, UnicodeDecodeError, csv.Error) as exc:  # damaged, cut short
        reason = str(exc).splitlines()[0] if str(exc) else "no detail"
        raise DumpError(f"{path} cannot be read ({type(exc).__name__}: {reason}): {_AGAIN}") from exc


@contextmanager
def _rows(path: Path, delimiter: str):
    with _open_text(path) as stream:
        yield csv.reader(stream, delimiter=delimiter)


def _first_line(path: Path) -> str:
    with _open_text(path) as stream:
        for line in stream:
            if line.strip():
                return line
    return ""


def read_deleted_ids(path) -> DeletedIds:
    """The shape of a dump's ``deleted_ids.csv(.gz)``: its delimiter, header and id column.

    A header is a first line none of whose values is a work id. The id column is the one
    the header names (:data:`ID_COLUMN_NAMES`), else the one column whose values, in the
    first rows, are all work ids (``W123`` or ``https://openalex.org/W123``). A file with
    no row lists no deletion.

    Raises
    ------
    DumpError
        When the file cannot be read (damaged, not text), or when no column, or more than
        one, could be the ids: the message says what was found and what to do.
    """
    path = Path(path)
    line = _first_line(path)
    counts = {d: line.count(d) for d in _DELIMITERS}
    delimiter = max(_DELIMITERS, key=lambda d: counts[d]) if any(counts.values()) else ","
    header, sample = None, []
    with _rows(path, delimiter) as rows:
        for row in rows:
            if not any(cell.strip() for cell in row):
                continue
            if header is None and not sample and not any(short_id(cell) for cell in row):
                header = tuple(cell.strip().strip('"').lower().replace(" ", "_").replace("-", "_") for cell in row)
                continue
            sample.append(row)
            if len(sample) >= _SAMPLE_ROWS:
                break
    if header is not None:
        named = [name for name in ID_COLUMN_NAMES if name in header]
        if named:
            return DeletedIds(path, delimiter, header, header.index(named[0]))
    if not sample:
        return DeletedIds(path, delimiter, header, 0)  # no row, no deletion
    width = max(len(row) for row in sample)
    candidates = [c for c in range(width)
                  if all(short_id(row[c]) for row in sample if len(row) > c and row[c].strip())
                  and any(len(row) > c and row[c].strip() for row in sample)]
    names = f"columns {', '.join(header)}" if header else f"{width} column{'s' * (width > 1)}, no header line"
    if not candidates:
        raise DumpError(f"{path} has no column of work ids ({names}): peerbib cannot tell which works are "
                        "deleted; check the file, or name its id column `id` in a header line")
    if len(candidates) > 1:
        columns = " and ".join(header[c] if header else str(c + 1) for c in candidates)
        raise DumpError(f"{path}: columns {columns} both hold work ids ({names}) and nothing says which "
                        "lists the deleted works; name that column `id` in a header line")
    return DeletedIds(path, delimiter, header, candidates[0])
