"""RIS corpus files."""
from __future__ import annotations

import re
from pathlib import Path

from ..errors import CorpusError
from .text import read_text

__all__ = ["read_ris"]


def read_ris(path: Path) -> list[tuple[int, dict]]:
    try:
        import rispy
    except ImportError:  # pragma: no cover - installed with peerbib
        raise CorpusError("reading RIS needs rispy: pip install rispy", path=path) from None
    text = read_text(path)
    starts = [i + 1 for i, line in enumerate(text.splitlines()) if re.match(r"^TY  - ", line)]
    try:
        entries = rispy.loads(text)
    except Exception as exc:  # rispy raises bare IOError/ParseError on bad files
        raise CorpusError(f"not valid RIS: {exc}; every record starts with 'TY  - ' and ends with 'ER  - '", path=path) from None
    records = []
    for i, entry in enumerate(entries):
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
        records.append(
            (
                starts[i] if i < len(starts) else None,
                {
                    "doi": entry.get("doi"),
                    "title": entry.get("primary_title") or entry.get("title"),
                    "authors": "; ".join(authors) if authors else None,
                    "publication_year": year,
                    "venue": venue,
                    "type": _RIS_TYPES.get(entry.get("type_of_reference", ""), None),
                    "abstract": entry.get("abstract"),
                },
            )
        )
    return records


_RIS_TYPES = {"JOUR": "article", "CHAP": "book-chapter", "BOOK": "book", "THES": "dissertation", "RPRT": "report"}

