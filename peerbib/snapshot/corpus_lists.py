"""The reference lists and authorships of the corpus works, and the works they cite, read from a snapshot.

:func:`~peerbib.snapshot.read.snapshot_tables` hands the kept record of each
corpus work (the first of its records, best query first) to a
:class:`CorpusLists` as it streams the snapshot; nothing else is parsed for
them. What is kept stays small: a reference as the number of its work id
(8 bytes: a study of 100,000 works citing 30 each holds 3 million, 48 MB with
their positions, where as Python strings they would take ten times that),
an authorship as one tuple. Citing works are not kept: the analyses read the
references and authors of the corpus.

The works the corpus cites, looked up by ``fetch --references`` (queries of
role ``references``), are read apart by :func:`referenced_works`: they label
references and do not join the works table.
"""
from __future__ import annotations

import html
import json
from array import array

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..ids import as_int, normalize_doi
from ..sources.openalex.records import AUTHORSHIP_DTYPES, REFERENCE_DTYPES, authorship_rows, reference_ids, venue_of
from .store import Snapshot

__all__ = ["CorpusLists", "referenced_works", "REFERENCED_DTYPES"]

_AUTHORSHIP_COLUMNS = tuple(AUTHORSHIP_DTYPES)
#: The columns of :func:`referenced_works`.
REFERENCED_DTYPES = {"work_id": "str", "doi": "str", "title": "str", "publication_year": "Int64", "venue": "str"}


class CorpusLists:
    """The references and authorships of the kept record of each corpus work.

    Parameters
    ----------
    wanted : set of str
        The corpus works (the works the fetch was asked for); records of other works are ignored.
    """

    def __init__(self, wanted):
        self.wanted = wanted
        self._references: dict[str, tuple[array, array]] = {}  # work -> (positions, W numbers)
        self._authorships: dict[str, list[tuple]] = {}

    def add(self, work_id: str, record: dict) -> None:
        """Keep the reference list and authorships of ``record``, the kept record of ``work_id``."""
        if work_id not in self.wanted:
            return
        positions, numbers = array("q"), array("q")
        for position, cited in reference_ids(record):
            positions.append(position)
            numbers.append(int(cited[1:]))
        if numbers:
            self._references[work_id] = (positions, numbers)
        rows = authorship_rows(record, work_id)
        if rows:
            self._authorships[work_id] = [tuple(row[c] for c in _AUTHORSHIP_COLUMNS) for row in rows]

    def references(self, aliases: dict[str, str] | None = None) -> pd.DataFrame:
        """``citing_id, cited_id, position`` (and the ``cited_*`` columns, empty), by citing work and position.

        ``aliases`` (a work dropped for another of the same DOI -> the one kept):
        the dropped work's list is left out, and a reference to it names the kept one.
        """
        aliases = aliases or {}
        citing: list[str] = []
        counts: list[int] = []
        positions, numbers = array("q"), array("q")
        for work_id in sorted(self._references):
            if work_id in aliases:
                continue
            where, cited = self._references[work_id]
            citing.append(work_id)
            counts.append(len(cited))
            positions.extend(where)
            numbers.extend(cited)
        # Built as Arrow strings, never as Python objects (3 million references: seconds, not a minute).
        owners = pa.array(citing, type=pa.string()).take(pa.array(np.repeat(np.arange(len(citing)), counts)))
        cited_ids = pc.binary_join_element_wise("W", pc.cast(pa.array(np.frombuffer(numbers, dtype=np.int64)),
                                                             pa.string()), "").to_pandas()
        if aliases:
            moved = cited_ids.isin(aliases)
            if moved.any():
                cited_ids = cited_ids.where(~moved, cited_ids.map(aliases))
        frame = pd.DataFrame({
            "citing_id": owners.to_pandas().astype("str"),
            "cited_id": cited_ids.astype("str"),
            "position": pd.array(np.frombuffer(positions, dtype=np.int64), dtype="Int64"),
        })
        for name, dtype in REFERENCE_DTYPES.items():
            if name not in frame.columns:
                frame[name] = pd.Series(index=frame.index, dtype=dtype)  # all missing
        return frame[list(REFERENCE_DTYPES)]

    def authorships(self, aliases: dict[str, str] | None = None) -> pd.DataFrame:
        """One row per authorship of the corpus works (:data:`AUTHORSHIP_DTYPES`), by work and position."""
        aliases = aliases or {}
        rows = [row for work_id in sorted(self._authorships) if work_id not in aliases
                for row in self._authorships[work_id]]
        columns = {name: [row[i] for row in rows] for i, name in enumerate(_AUTHORSHIP_COLUMNS)}
        return pd.DataFrame({name: pd.Series(values, dtype="object").astype(AUTHORSHIP_DTYPES[name])
                             for name, values in columns.items()}, columns=list(_AUTHORSHIP_COLUMNS))


def referenced_works(snapshot: Snapshot, entries: list) -> pd.DataFrame:
    """What the ``references`` queries ``entries`` say of the works the corpus cites:
    work_id, doi, title, publication_year, venue (one row per work, the newest fetch's record first)."""
    from .read import occurrences  # read imports this module

    rows: dict[str, tuple] = {}
    ordered = sorted(entries, key=lambda q: (q.generation or 0, q.started or "", q.key), reverse=True)
    for _entry, work_id, first, line, record in occurrences(snapshot, ordered):
        if not first:
            continue
        if record is None:
            record = json.loads(line)
        title = record.get("title") or record.get("display_name")
        rows[work_id] = (work_id, normalize_doi(record.get("doi")),
                         html.unescape(" ".join(str(title).split())) if title else None,
                         as_int(record.get("publication_year")), venue_of(record))
    ids = sorted(rows)
    return pd.DataFrame({name: pd.Series([rows[w][i] for w in ids], dtype="object").astype(dtype)
                         for i, (name, dtype) in enumerate(REFERENCED_DTYPES.items())},
                        columns=list(REFERENCED_DTYPES))
