"""Citation statements and citation-type tallies from CSV files in the raw folder.

``data/raw/statements/*.csv`` hold statements (``cited_doi``, ``text``, and
optionally ``citing_doi``, ``section``, ``type``, ``confidence``,
``classifier``, ``source``); ``data/raw/tallies/*.csv`` hold counts per cited
work (``cited_doi``, ``supporting``, ``mentioning``, ``contrasting`` or
scite's ``contradicting``, ``unclassified``, ``citing_publications``). Rows
come back with their DOIs as written (normalised); the build resolves them to
work ids and says which row names a work outside the corpus.
"""
from __future__ import annotations

from pathlib import Path

from ..corpus import read_csv_rows
from ..errors import CorpusError
from ..ids import normalize_doi
from .sections import normalize_section, normalize_type

__all__ = ["read_statement_files", "read_tally_files", "TALLY_COUNTS"]

TALLY_COUNTS = ("supporting", "mentioning", "contrasting", "unclassified", "citing_publications", "citation_statements")


def _number(value, path, line, name, kind=int):
    if value is None or not str(value).strip():
        return None
    try:
        number = kind(str(value).strip())
    except ValueError:
        raise CorpusError(f"{name} {value!r} is not a number", path=path, line=line) from None
    if kind is int and number < 0:
        raise CorpusError(f"{name} {value!r} is negative", path=path, line=line)
    return number


def _provenance(path: Path, line: int, record: dict) -> str:
    where = f"{path.name}:{line}"
    if record.get("seed_file"):
        where += f" (seed {record['seed_file']}:{record.get('seed_line')})"
    return where


def read_statement_files(paths) -> list[dict]:
    """Statement rows of every file in ``paths``, in order, checked.

    Each row has ``cited_doi``, ``citing_doi``, ``text``, ``section``,
    ``section_heading`` (as the file shows it), ``type``, ``confidence``, ``classifier``,
    ``source``, ``provenance``, and ``path``/``line`` for messages.

    Raises
    ------
    CorpusError
        Naming the file and line of an empty text or cited DOI, an unknown
        type, or a confidence outside 0..1.
    """
    rows = []
    for path in map(Path, paths):
        for line, record in read_csv_rows(path, required_all=("cited_doi", "text")):
            cited = normalize_doi(record.get("cited_doi"))
            if cited is None:
                raise CorpusError("cited_doi is empty; every statement cites a corpus work", path=path, line=line)
            try:
                kind = normalize_type(record.get("type"))
            except ValueError as exc:
                raise CorpusError(str(exc), path=path, line=line) from None
            confidence = _number(record.get("confidence"), path, line, "confidence", float)
            if confidence is not None and not 0 <= confidence <= 1:
                raise CorpusError(f"confidence {confidence} is not between 0 and 1", path=path, line=line)
            shown = record.get("section_heading") or record.get("section_as_shown") or record.get("section") or None
            text = (record.get("text") or "").strip()
            if not text:
                raise CorpusError("text is empty", path=path, line=line)
            rows.append({
                "cited_doi": cited,
                "citing_doi": normalize_doi(record.get("citing_doi")),
                "text": text,
                "section": normalize_section(shown),
                "section_heading": shown,
                "type": kind,
                "confidence": confidence,
                "classifier": record.get("classifier") or None,
                "source": record.get("source") or path.stem,
                "provenance": _provenance(path, line, record),
                "path": path,
                "line": line,
            })
    return rows


def read_tally_files(paths) -> list[dict]:
    """Tally rows of every file in ``paths``: ``cited_doi``, the counts of :data:`TALLY_COUNTS`,
    ``source``, ``provenance``, ``path``, ``line``."""
    rows = []
    for path in map(Path, paths):
        for line, record in read_csv_rows(path, required_all=("cited_doi",)):
            if "contradicting" in record and "contrasting" not in record:
                record["contrasting"] = record.pop("contradicting")
            row = {
                "cited_doi": normalize_doi(record.get("cited_doi")),
                "source": record.get("source") or path.stem,
                "provenance": _provenance(path, line, record),
                "path": path,
                "line": line,
            }
            for name in TALLY_COUNTS:
                row[name] = _number(record.get(name), path, line, name)
            rows.append(row)
    return rows
