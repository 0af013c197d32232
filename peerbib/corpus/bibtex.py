"""BibTeX corpus files."""
from __future__ import annotations

import re
from pathlib import Path

from ..errors import CorpusError
from .text import read_text

__all__ = ["read_bibtex"]


def read_bibtex(path: Path) -> list[tuple[int, dict]]:
    try:
        import bibtexparser
    except ImportError:  # pragma: no cover - installed with peerbib
        raise CorpusError("reading BibTeX needs bibtexparser>=2: pip install bibtexparser", path=path) from None
    library = bibtexparser.parse_string(read_text(path))
    for block in library.failed_blocks:
        raise CorpusError(
            f"cannot parse this BibTeX entry ({type(block).__name__}); check its braces and commas",
            path=path,
            line=block.start_line + 1,
        )
    records = []
    for entry in library.entries:
        fields = {k.lower(): _strip_braces(v.value) for k, v in entry.fields_dict.items()}
        authors = fields.get("author")
        records.append(
            (
                entry.start_line + 1,
                {
                    "doi": fields.get("doi"),
                    "title": fields.get("title"),
                    "authors": "; ".join(a.strip() for a in re.split(r"\s+and\s+", authors)) if authors else None,
                    "publication_year": fields.get("year"),
                    "venue": fields.get("journal") or fields.get("booktitle") or fields.get("publisher"),
                    "type": _BIBTEX_TYPES.get(entry.entry_type.lower(), entry.entry_type.lower()),
                    "abstract": fields.get("abstract"),
                    "bibtex_key": entry.key,
                },
            )
        )
    return records


_BIBTEX_TYPES = {
    "article": "article",
    "inbook": "book-chapter",
    "incollection": "book-chapter",
    "book": "book",
    "inproceedings": "article",
    "phdthesis": "dissertation",
    "mastersthesis": "dissertation",
    "techreport": "report",
    "misc": "other",
}


def _strip_braces(value) -> str:
    text = str(value)
    return re.sub(r"[{}]", "", text).strip()

