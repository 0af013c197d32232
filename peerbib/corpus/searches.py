"""The search itself, as the researcher writes it down: ``data/raw/corpus/searches.csv`` or ``searches.md``.

A systematic review reports which databases were searched, with which query,
on which date, and how many records each gave. peerbib cannot know this from
the exports, so the researcher writes it down next to them:

- ``searches.csv``: a header ``database,query,date,records`` (``database`` and
  ``query`` required; ``date`` as the researcher writes it, ISO 8601 advised;
  ``records`` the count the database reported; further columns are kept and
  shown). Rows whose first cell starts with ``#`` are comments, and so are
  blank rows: ``peerbib init`` writes the header and one commented example.
- ``searches.md``: free text, shown as it is written.

Neither is a corpus file: :func:`~peerbib.corpus.collect.corpus_files` leaves
both out, and the build does not warn about them as unread files.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import re
from pathlib import Path

import pandas as pd

from ..errors import CorpusError
from ..project import SEARCHES_TEMPLATE as _SEARCHES_TEMPLATE

__all__ = ["SEARCH_FILES", "SEARCH_COLUMNS", "SEARCHES_TEMPLATE", "is_search_file", "read_searches", "search_date"]

#: The file names (in ``data/raw/corpus/``) that record the search, not the records it found.
SEARCH_FILES = ("searches.csv", "searches.md")
#: The columns of ``searches.csv``, in order; the first two are required.
SEARCH_COLUMNS = ("database", "query", "date", "records")
#: What ``peerbib init`` writes (kept in :mod:`peerbib.project`, which every stage may import).
SEARCHES_TEMPLATE = _SEARCHES_TEMPLATE


def is_search_file(path) -> bool:
    """True for ``searches.csv`` / ``searches.md`` (any case): a record of the search, not a corpus file."""
    return Path(path).name.lower() in SEARCH_FILES


def read_searches(raw) -> pd.DataFrame | str | None:
    """The search as written down in ``raw/corpus/``: a table from ``searches.csv``, the text of
    ``searches.md``, or None when neither is there (or holds nothing but comments).

    Parameters
    ----------
    raw : str or Path
        The raw folder (``data/raw``); a single corpus file has no search record (None).

    Returns
    -------
    pandas.DataFrame, str or None
        From ``searches.csv``: one row per search, columns ``database, query, date, records`` and any
        further ones, all text. From ``searches.md``: its text. When both exist, the CSV.

    Raises
    ------
    CorpusError
        When ``searches.csv`` has no ``database`` or ``query`` column, or a row has more cells than the header.
    """
    folder = Path(raw) / "corpus"
    if not folder.is_dir():
        return None
    found = {p.name.lower(): p for p in folder.iterdir() if p.is_file() and is_search_file(p)}
    if "searches.csv" in found:
        return _read_csv(found["searches.csv"])
    if "searches.md" in found:
        text = found["searches.md"].read_text(encoding="utf-8-sig", errors="replace").strip()
        return text or None
    return None


def _read_csv(path: Path) -> pd.DataFrame | None:
    text = path.read_text(encoding="utf-8-sig", errors="replace")
    reader = csv.reader(io.StringIO(text))
    rows, lines = [], []
    for row in reader:
        if any(cell.strip() for cell in row) and not row[0].lstrip().startswith("#"):
            rows.append(row)
            lines.append(reader.line_num)
    if not rows:
        return None
    header = [cell.strip().lower() for cell in rows[0]]
    missing = [c for c in SEARCH_COLUMNS[:2] if c not in header]
    if missing:
        raise CorpusError(f"{path.name}: no {' or '.join(repr(c) for c in missing)} column: its first line must be "
                          f"the header {','.join(SEARCH_COLUMNS)}")
    for line, row in zip(lines[1:], rows[1:]):
        if len(row) > len(header):
            raise CorpusError(f"{path.name}: line {line} has {len(row)} cells for {len(header)} columns "
                              "(put a query holding commas in double quotes)")
    columns = [c for c in SEARCH_COLUMNS if c in header] + [c for c in header if c not in SEARCH_COLUMNS and c]
    records = [{name: (row[header.index(name)].strip() if header.index(name) < len(row) else "") for name in columns}
               for row in rows[1:]]
    if not records:
        return None
    return pd.DataFrame(records, columns=columns, dtype="str")


_MONTHS = {m: i for i, m in enumerate(("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov",
                                         "dec"), start=1)}


def _parse_date(text: str) -> dt.date | None:
    """A date as researchers write it: 2022-03-14, 2022-03, 14 March 2022, March 14, 2022, March 2022.
    A month alone means its last day; a bare year, or anything else, is no date (None)."""
    text = text.strip()
    match = re.fullmatch(r"(\d{4})-(\d{1,2})(?:-(\d{1,2}))?", text)
    if match:
        year, month, day = int(match.group(1)), int(match.group(2)), match.group(3)
    else:
        words = re.findall(r"[A-Za-z]+|\d+", text)
        months = [_MONTHS[w[:3].lower()] for w in words if w[:3].lower() in _MONTHS and len(w) >= 3]
        numbers = [int(w) for w in words if w.isdigit()]
        years = [n for n in numbers if n >= 1000]
        days = [n for n in numbers if n < 32]
        if len(months) != 1 or len(years) != 1 or len(days) > 1:
            return None
        year, month, day = years[0], months[0], (days[0] if days else None)
    try:
        if day is None:
            following = dt.date(year + (month == 12), month % 12 + 1, 1)
            return following - dt.timedelta(days=1)
        return dt.date(year, month, int(day))
    except ValueError:
        return None


def search_date(raw=None) -> dt.date | None:
    """The date of the latest search written down in ``searches.csv`` (its ``date`` column), or None.

    The publication year that date falls in was not over when the records were
    exported: :func:`peerbib.publication_years` marks it partial.

    Parameters
    ----------
    raw : str or Path, optional
        The raw folder (default: the project's ``data/raw``).
    """
    from ..paths import project_path
    from ..settings import RAW

    searches = read_searches(project_path(RAW if raw is None else raw))
    if not isinstance(searches, pd.DataFrame) or "date" not in searches.columns:
        return None
    dates = [d for d in (_parse_date(text) for text in searches["date"]) if d is not None]
    return max(dates) if dates else None
