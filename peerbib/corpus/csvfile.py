"""CSV corpus files (and the CSV reading every other peerbib input shares)."""
from __future__ import annotations

import csv
import io
from pathlib import Path

from ..errors import CorpusError
from .text import read_text

__all__ = ["read_csv_rows", "read_csv_corpus", "ALIASES"]

# Column names users write for the same thing, mapped to ours.
ALIASES = {
    "doi": "doi",
    "dois": "doi",
    "title": "title",
    "titles": "title",
    "author": "authors",
    "authors": "authors",
    "year": "publication_year",
    "publication_year": "publication_year",
    "py": "publication_year",
    "venue": "venue",
    "journal": "venue",
    "source": "venue",
    "type": "type",
    "abstract": "abstract",
}



def read_csv_corpus(path: Path) -> list[tuple[int, dict]]:
    """A CSV corpus file as ``(line, row)`` pairs with peerbib's column names."""
    return read_csv_rows(path, required_any=("doi", "title"), aliases=ALIASES)


def read_csv_rows(path, *, required_any=(), required_all=(), aliases=None) -> list[tuple[int, dict]]:
    """Read a CSV file into ``(line, row)`` pairs, ``line`` being where the row starts.

    Header names are lower-cased, spaces become underscores and ``aliases``
    maps them to canonical names. Raises :class:`CorpusError` naming the file
    and line when the header lacks a required column, a column is repeated, or
    a row has the wrong number of fields.
    """
    path = Path(path)
    aliases = aliases or {}
    text = read_text(path)
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise CorpusError("the file is empty; it needs a header row", path=path) from None
    except csv.Error as exc:
        raise CorpusError(f"not valid CSV: {exc}", path=path, line=1) from None
    columns = []
    for name in header:
        key = name.strip().lower().replace(" ", "_")
        columns.append(aliases.get(key, key))
    if required_any and not any(c in columns for c in required_any):
        raise CorpusError(
            f"missing required column: the header ({', '.join(header)}) needs "
            + " or ".join(repr(c) for c in required_any),
            path=path,
            line=1,
        )
    missing = [c for c in required_all if c not in columns]
    if missing:
        raise CorpusError(
            f"missing required column(s) {', '.join(missing)} in the header ({', '.join(header)})",
            path=path,
            line=1,
        )
    dupes = sorted({c for c in columns if columns.count(c) > 1})
    if dupes:
        raise CorpusError(f"column(s) {', '.join(dupes)} appear more than once in the header", path=path, line=1)
    records = []
    try:
        for fields in reader:
            line = _record_start(reader.line_num, fields)
            if not any(f.strip() for f in fields):
                continue
            if len(fields) != len(columns):
                raise CorpusError(
                    f"{len(fields)} fields where the header has {len(columns)}; "
                    "quote values that contain commas",
                    path=path,
                    line=line,
                )
            records.append((line, dict(zip(columns, fields))))
    except csv.Error as exc:
        raise CorpusError(f"not valid CSV: {exc}", path=path, line=reader.line_num) from None
    return records


def _record_start(end_line: int, fields: list[str]) -> int:
    # csv reports the line a record ends on; quoted values with newlines make
    # a record span lines, and users look for where it starts.
    return end_line - sum(f.count("\n") for f in fields)

