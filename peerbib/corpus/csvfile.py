"""CSV corpus files (and the CSV reading every other peerbib input shares)."""
from __future__ import annotations

import csv
import io
from pathlib import Path

from ..errors import CorpusError
from .text import read_text

__all__ = ["read_csv_rows", "read_csv_corpus", "csv_table", "sniff_delimiter", "ALIASES"]

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
    "keywords": "keywords",
}



def read_csv_corpus(path: Path, text: str | None = None) -> list[tuple[int, dict]]:
    """A CSV corpus file as ``(line, row)`` pairs with peerbib's column names."""
    return read_csv_rows(path, required_any=("doi", "title"), aliases=ALIASES, text=text)


#: Database exports put whole reference lists in one field: allow fields of up to 64 MB.
csv.field_size_limit(64 * 1024 * 1024)


def sniff_delimiter(header_line: str) -> str:
    """The separator of a CSV header line: ``,``, ``;`` (Excel in many European locales) or a tab."""
    counts = {",": 0, ";": 0, "\t": 0}
    quoted = False
    for char in header_line:
        if char == '"':
            quoted = not quoted
        elif not quoted and char in counts:
            counts[char] += 1
    best = max(counts, key=lambda c: (counts[c], c == ","))
    return best if counts[best] else ","


def csv_table(path, text: str | None = None, *, delimiter: str | None = None, quoting: bool = True, skip: int = 0,
              header_only: bool = False) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """The header and the rows of a CSV text, each row with the line (from 1) it starts on.

    The separator is sniffed from the header unless given; ``skip`` lines
    before the header are passed over; blank rows are left out.
    """
    if text is None:
        text = read_text(Path(path))
    if skip:
        parts = text.split("\n", skip)
        body = parts[skip] if len(parts) > skip else ""
    else:
        body = text
    if not body.strip():
        raise CorpusError("the file is empty; it needs a header row and at least one record", path=path)
    if delimiter is None:
        delimiter = sniff_delimiter(body.split("\n", 1)[0])
    reader = csv.reader(io.StringIO(body, newline=""), delimiter=delimiter,
                        quoting=csv.QUOTE_MINIMAL if quoting else csv.QUOTE_NONE)
    try:
        header = next(reader)
    except csv.Error as exc:
        raise CorpusError(f"not valid CSV: {exc}", path=path, line=skip + 1) from None
    if header_only:
        return header, []
    rows = []
    # csv reports the line a record ends on; a record spans lines when a quoted
    # value holds a newline, and users look for where it starts: the line after
    # the previous record (or blank line) ended.
    ended = reader.line_num
    try:
        for fields in reader:
            start, ended = ended + 1, reader.line_num
            if not any(f.strip() for f in fields):
                continue
            rows.append((skip + start, fields))
    except csv.Error as exc:
        raise CorpusError(f"not valid CSV: {exc}; a quote may be missing", path=path,
                          line=skip + reader.line_num) from None
    return header, rows


def read_csv_rows(path, *, required_any=(), required_all=(), aliases=None, text: str | None = None
                  ) -> list[tuple[int, dict]]:
    """Read a CSV file into ``(line, row)`` pairs, ``line`` being where the row starts (from 1).

    The separator (``,``, ``;`` or tab) is sniffed from the header. Header
    names are lower-cased, spaces become underscores and ``aliases`` maps
    them to canonical names. Raises :class:`CorpusError` naming the file and
    line when the header lacks a required column, a column is repeated, or a
    row has the wrong number of fields.
    """
    path = Path(path)
    aliases = aliases or {}
    header, rows = csv_table(path, text)
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
    for line, fields in rows:
        if len(fields) != len(columns):
            raise CorpusError(
                f"{len(fields)} fields where the header has {len(columns)}; "
                "quote values that contain the separator",
                path=path,
                line=line,
            )
        records.append((line, dict(zip(columns, fields))))
    return records

