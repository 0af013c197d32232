"""RIS corpus files, read with rispy after peerbib checks that every record begins and ends.

rispy drops a record whose ``ER  -`` line is missing, without a word; a file
with no ``ER`` at all gives no records. peerbib checks the record structure
first and names the line of a record that does not end.
"""
from __future__ import annotations

import re
from pathlib import Path

from ..errors import CorpusError
from .formats import issn_field
from .text import read_text

__all__ = ["read_ris"]

_TAG = re.compile(r"^([A-Z][A-Z0-9])  -(?: (.*))?$")


def _check_records(text: str, path: Path) -> list[int]:
    """The first line of every record; a CorpusError for a record without its end."""
    starts: list[int] = []
    open_at = None
    for number, line in enumerate(text.split("\n"), 1):
        match = _TAG.match(line.rstrip())
        if match is None:
            continue
        tag = match.group(1)
        if tag == "TY":
            if open_at is not None:
                raise CorpusError(f"the record that starts on line {open_at} has no 'ER  - ' line before the next "
                                  "record: add it", path=path, line=number)
            open_at = number
            starts.append(number)
        elif tag == "ER":
            if open_at is None:
                raise CorpusError("'ER  - ' ends a record that never began: each record starts with 'TY  - '",
                                  path=path, line=number)
            open_at = None
        elif open_at is None:
            raise CorpusError(f"field {tag} outside a record: each record starts with 'TY  - ' and ends with "
                              "'ER  - '", path=path, line=number)
    if open_at is not None:
        raise CorpusError("this record has no 'ER  - ' line: the file looks cut short; add it or export again",
                          path=path, line=open_at)
    return starts


def read_ris(path: Path, text: str | None = None) -> list[tuple[int, dict]]:
    try:
        import rispy
    except ImportError:  # pragma: no cover - installed with peerbib
        raise CorpusError("reading RIS needs rispy: pip install rispy", path=path) from None
    text = read_text(path) if text is None else text
    starts = _check_records(text, path)
    try:
        entries = rispy.loads(text)
    except Exception as exc:  # rispy raises bare IOError/ParseError on bad files
        raise CorpusError(f"not valid RIS: {exc}; every record starts with 'TY  - ' and ends with 'ER  - '",
                          path=path) from None
    if len(entries) != len(starts):
        raise CorpusError(f"{len(starts)} records begin but rispy read {len(entries)}: check the 'TY'/'ER' lines",
                          path=path)
    records = []
    for start, entry in zip(starts, entries):
        year = entry.get("year") or entry.get("publication_year") or entry.get("date")
        if year:
            match = re.search(r"\d{4}", str(year))
            year = match.group(0) if match else year
        authors = entry.get("authors") or entry.get("first_authors") or []
        venue = (
            entry.get("journal_name")
            or entry.get("secondary_title")
            or entry.get("alternate_title1")
            or entry.get("alternate_title3")
        )
        keywords = entry.get("keywords") or []
        kind = entry.get("type_of_reference", "")
        records.append(
            (
                start,
                {
                    "doi": entry.get("doi"),
                    "title": entry.get("primary_title") or entry.get("title"),
                    "authors": "; ".join(authors) if authors else None,
                    "publication_year": year,
                    "venue": venue,
                    "type": _RIS_TYPES.get(kind, "other" if kind else None),
                    "type_as_shown": kind or None,
                    "abstract": entry.get("abstract"),
                    "keywords": "; ".join(keywords) if keywords else None,
                    # SN holds an ISSN or an ISBN: only a valid ISSN is kept
                    "issn": issn_field(entry.get("issn") or []),
                },
            )
        )
    return records


_RIS_TYPES = {"JOUR": "article", "JFULL": "article", "EJOUR": "article", "CONF": "article", "CPAPER": "article",
              "CHAP": "book-chapter", "BOOK": "book", "EBOOK": "book", "EDBOOK": "book", "THES": "dissertation",
              "RPRT": "report", "GEN": "other"}
