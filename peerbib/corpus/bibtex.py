"""BibTeX corpus files, read with bibtexparser 2 and its LaTeX-decoding middleware.

Strict where a silent half-read would mislead: an entry bibtexparser cannot
parse, and a field whose value ran into the next field (a missing comma:
``author = {…}`` followed by ``year = …`` on the next line without a comma,
which bibtexparser reads as one long author), are errors naming the line.
bibtexparser's own log messages are kept from the user; peerbib says it in
one line.
"""
from __future__ import annotations

import logging
import re
from contextlib import contextmanager
from pathlib import Path

from ..errors import CorpusError
from .formats import issn_field
from .text import read_text

__all__ = ["read_bibtex"]

# A value that holds "\n  year = {" ran into the next field.
_RUN_ON = re.compile(r"\n\s*([A-Za-z][\w-]*)\s*=\s*[{\"\d]")


@contextmanager
def _quiet():
    """bibtexparser logs parse errors (multi-line, lines counted from 0): keep them from the user."""
    logger = logging.getLogger("bibtexparser")
    level, propagate = logger.level, logger.propagate
    logger.setLevel(logging.CRITICAL + 1)
    logger.propagate = False
    try:
        yield
    finally:
        logger.setLevel(level)
        logger.propagate = propagate


def read_bibtex(path: Path, text: str | None = None) -> list[tuple[int, dict]]:
    try:
        import bibtexparser
        from bibtexparser.middlewares import LatexDecodingMiddleware
    except ImportError:  # pragma: no cover - installed with peerbib
        raise CorpusError("reading BibTeX needs bibtexparser>=2: pip install bibtexparser", path=path) from None
    text = read_text(path) if text is None else text
    with _quiet():
        raw = bibtexparser.parse_string(text)
    for block in raw.failed_blocks:
        raise CorpusError(
            "this BibTeX entry cannot be read: a closing brace or a comma between fields is missing "
            "(every field ends with ',' and the entry with '}')",
            path=path,
            line=block.start_line + 1,
        )
    for entry in raw.entries:
        for item in entry.fields:
            found = _RUN_ON.search(str(item.value))
            if found:
                raise CorpusError(
                    f"a comma is missing after the field '{item.key}' of entry '{entry.key}': its value runs into "
                    f"'{found.group(1)} = …'; add the comma",
                    path=path,
                    line=item.start_line + 1,
                )
    with _quiet():
        library = bibtexparser.parse_string(text, append_middleware=[LatexDecodingMiddleware()])
    records = []
    for entry in library.entries:
        fields = {k.lower(): _clean(v.value) for k, v in entry.fields_dict.items()}
        authors = fields.get("author")
        keywords = fields.get("keywords") or fields.get("keyword")
        records.append(
            (
                entry.start_line + 1,
                {
                    "doi": fields.get("doi"),
                    "title": fields.get("title"),
                    "authors": "; ".join(a.strip() for a in re.split(r"\s+and\s+", authors)) if authors else None,
                    "publication_year": fields.get("year") or _year_of(fields.get("date")),
                    "venue": fields.get("journal") or fields.get("journaltitle") or fields.get("booktitle")
                    or fields.get("publisher"),
                    "type": _BIBTEX_TYPES.get(entry.entry_type.lower(), "other"),
                    "type_as_shown": entry.entry_type.lower(),
                    "abstract": fields.get("abstract"),
                    "keywords": "; ".join(k.strip() for k in re.split(r"[;,]", keywords) if k.strip())
                    if keywords else None,
                    "bibtex_key": entry.key,
                    "issn": issn_field([fields.get("issn"), fields.get("eissn")]),
                },
            )
        )
    return records


def _year_of(date) -> str | None:
    match = re.match(r"\s*(\d{4})", date or "")
    return match.group(1) if match else None


_BIBTEX_TYPES = {
    "article": "article",
    "inbook": "book-chapter",
    "incollection": "book-chapter",
    "book": "book",
    "inproceedings": "article",
    "conference": "article",
    "phdthesis": "dissertation",
    "mastersthesis": "dissertation",
    "thesis": "dissertation",
    "techreport": "report",
    "report": "report",
    "misc": "other",
    "online": "other",
    "unpublished": "other",
}


def _clean(value) -> str:
    """Braces the LaTeX decoding left (protected capitals "{NHS}") and runs of whitespace removed."""
    text = re.sub(r"[{}]", "", str(value))
    return re.sub(r"\s+", " ", text).strip()
