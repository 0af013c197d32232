"""Statements from the full text a snapshot holds: one document at a time, never all at once.

For every citing work with a full-text file in the snapshot (Europe PMC JATS
preferred, else GROBID TEI), the document is read, its bibliography matched
to the corpus, and its citing sentences extracted. A file that cannot be
read (damaged, malformed, cut off) is reported by name and skipped: the
build goes on and loses nothing else. A full text the fetch recorded as
unreadable has no file: it counts as no full text. Statements cut to
:data:`~peerbib.statements.extract.MAX_STATEMENT_CHARS` (a paragraph without
sentence ends) are reported by citing work.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

from ..errors import SnapshotError
from ..snapshot.store import Snapshot
from .extract import MAX_STATEMENT_CHARS, CorpusIndex, extract_statements, match_bibliography
from .jats import read_jats
from .tei import read_tei

__all__ = ["FulltextStatements", "fulltext_statements", "SOURCES"]

#: Full-text sources in the order they are preferred for one work.
SOURCES = ("europepmc-jats", "openalex-tei")


@dataclass
class FulltextStatements:
    """What the full text of a snapshot gave.

    Attributes
    ----------
    rows : list of dict
        Statement rows (see :data:`peerbib.statements.extract.STATEMENT_COLUMNS`).
    documents : dict
        Citing work -> the source of the full text read for it.
    warnings : list of str
        Files that could not be read, and documents whose statements were
        cut to a bounded length, one line each.
    callouts, unresolved : int
        In-text citations seen, and those without a bibliography target.
    """

    rows: list = field(default_factory=list)
    documents: dict = field(default_factory=dict)
    warnings: list = field(default_factory=list)
    callouts: int = 0
    unresolved: int = 0


def _read(source: str, data: bytes, wanted):
    reader = read_jats if source == "europepmc-jats" else read_tei
    return reader(data, only_citing=wanted)


def fulltext_statements(snapshot, corpus_works) -> FulltextStatements:
    """Statements of every full-text document in the snapshot that cites a work of ``corpus_works``.

    Parameters
    ----------
    snapshot : Snapshot, str or Path
        The snapshot (opened once by the build and handed along), or its folder.
    corpus_works : iterable of dict
        The corpus works (``work_id``, ``doi``, ``title``, ``publication_year``, ``authors``).
    """
    snapshot = snapshot if isinstance(snapshot, Snapshot) else Snapshot.open(Path(snapshot))
    result = FulltextStatements()
    items = snapshot.fulltext()
    if not items:
        return result
    index = CorpusIndex(corpus_works)
    matches: dict = {}
    for work_id in sorted(items):
        sources = items[work_id]
        chosen = next(((s, sources[s]) for s in SOURCES if s in sources and sources[s].readable), None)
        if chosen is None:
            continue
        source, item = chosen
        def wanted(bibliography, work_id=work_id):
            return match_bibliography(bibliography, index, work_id, matches)

        try:
            data = snapshot.fulltext_bytes(item)
            document = _read(source, data, wanted)
        except (SnapshotError, etree.XMLSyntaxError, ValueError) as exc:
            result.warnings.append(
                f"the full text of {work_id} ({item.file}, {source}) cannot be read "
                f"({' '.join(str(exc).split())[:200]}); its statements are left out")
            continue
        rows, counts = extract_statements(document, index, work_id, matches=matches)
        if counts["capped"]:
            result.warnings.append(
                f"the full text of {work_id} ({item.file}, {source}) has {counts['capped']} statement"
                f"{'' if counts['capped'] == 1 else 's'} in or next to a sentence longer than "
                f"{MAX_STATEMENT_CHARS:,} characters (text without sentence ends?); kept as the "
                f"{MAX_STATEMENT_CHARS:,} characters around the citation")
        result.rows.extend(rows)
        result.documents[work_id] = source
        result.callouts += counts["callouts"]
        result.unresolved += counts["unresolved"]
    return result
