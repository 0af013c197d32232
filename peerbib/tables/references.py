"""The ``references`` and ``authorships`` tables: the reference lists and authors of the corpus works.

Each table is made from frames of its rows, best source first: OpenAlex's
(from the snapshot), then any ``extra`` frames (a database export's cited
references or affiliations), then, for authorships, the names of
``works.authors``. A work takes its rows from the first frame that has any
for it, so a work is never counted twice from two sources that spell the
same reference or author differently.

The hook for other readers of references and authors (Scopus and WoS exports,
:mod:`peerbib.corpus`): pass their frames as ``extra``. A frame has the
table's columns (:data:`peerbib.tables.schema.SCHEMAS`; those it lacks are
left empty), ``source`` saying where its rows come from, and the corpus work
as the corpus reader names it (``citing_id`` / ``work_id``): a local id that
OpenAlex resolved is replaced by the OpenAlex id, as in the works table.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..corpus.names import name_key
from .schema import conform, empty_table

__all__ = ["references_table", "authorships_table", "OPENALEX"]

#: The ``source`` of the rows read from the OpenAlex snapshot.
OPENALEX = "openalex"
#: The ``source`` of authorships made from the names in ``works.authors`` (no ids, no affiliations).
CORPUS_NAMES = "corpus"

_CITED = {"cited_doi": "doi", "cited_title": "title", "cited_year": "publication_year", "cited_venue": "venue"}


def _isin(column: pd.Series, values) -> pd.Series:
    """``column.isin(values)`` for a column of strings, by Arrow's ``is_in``: pandas' own makes a pyarrow
    scalar of every value first (2 s for a corpus of 100,000 works)."""
    values = [v for v in values if isinstance(v, str)]
    if not values or not len(column):
        return pd.Series(False, index=column.index)
    found = pc.is_in(pa.array(column.astype("str"), type=pa.string(), from_pandas=True),
                     value_set=pa.array(values, type=pa.string()))
    return pd.Series(np.asarray(found.fill_null(False), dtype=bool), index=column.index)


def _first_source(frames: list[pd.DataFrame], key: str) -> pd.DataFrame:
    """``frames`` concatenated, each ``key`` value keeping only the rows of the first frame that has it."""
    kept, seen = [], set()
    for frame in frames:
        if frame is None or not len(frame):
            continue
        mine = frame[~_isin(frame[key], seen)] if seen else frame
        seen.update(mine[key].dropna().unique().tolist())
        kept.append(mine)
    return pd.concat(kept, ignore_index=True) if kept else pd.DataFrame(columns=[key])


def _renamed(frame: pd.DataFrame, column: str, local_to_final: dict[str, str], default_source: str) -> pd.DataFrame:
    """An extra frame with its works named as in the works table, and a source."""
    frame = frame.copy()
    if local_to_final and column in frame.columns:
        frame[column] = frame[column].map(lambda w: local_to_final.get(w, w))
    if "source" not in frame.columns:
        frame["source"] = default_source
    frame["source"] = frame["source"].fillna(default_source)
    return frame


def _corpus_ids(works: pd.DataFrame) -> list[str]:
    """The corpus works' ids."""
    corpus = works["is_corpus"].fillna(False).astype(bool) if "is_corpus" in works.columns else True
    return works.loc[corpus, "work_id"].astype("str").tolist()


def references_table(snapshot: dict, works: pd.DataFrame, *, local_to_final: dict | None = None,
                     extra=()) -> pd.DataFrame:
    """``tables.references``: every reference of every corpus work, in order.

    Parameters
    ----------
    snapshot : SnapshotTables or None
        What :func:`peerbib.snapshot.read.snapshot_tables` read (``references``,
        ``referenced``), or None without a snapshot.
    works : DataFrame
        The works table (conformed): which works are the corpus, and the
        DOI, title, year and venue of the cited works it holds.
    local_to_final : dict, optional
        Local corpus id -> OpenAlex id, for the works of ``extra`` frames.
    extra : sequence of DataFrame
        More reference rows (e.g. a database export's cited references; see
        the module notes), used for the corpus works OpenAlex gave no references.

    Returns
    -------
    DataFrame
        The columns of ``SCHEMAS["references"]``, by citing work and position.
        ``cited_doi``, ``cited_title``, ``cited_year`` and ``cited_venue`` are
        what the frame gave, else the works table's (a cited work in the
        corpus or among the citing works), else what ``fetch --references``
        looked up.
    """
    found = getattr(snapshot, "references", None)
    frames = [found.assign(source=OPENALEX) if found is not None and len(found) else None]
    frames += [_renamed(frame, "citing_id", local_to_final or {}, "export") for frame in extra]
    refs = _first_source(frames, "citing_id")
    if not len(refs):
        return empty_table("references")
    refs = conform(refs, "references")
    refs = refs[_isin(refs["citing_id"], _corpus_ids(works))]
    labels = [works[["work_id", *_CITED.values()]].drop_duplicates("work_id")]
    referenced = getattr(snapshot, "referenced", None)
    if referenced is not None and len(referenced):
        labels.append(referenced[["work_id", *_CITED.values()]])
    for known in labels:
        known = known.set_index(known["work_id"].astype("str"))
        # only the rows naming a known work are looked up (most references are of works the tables lack)
        hit = _isin(refs["cited_id"], known.index.tolist())
        if not hit.any():
            continue
        cited = refs.loc[hit, "cited_id"]
        for column, source in _CITED.items():
            missing = refs.loc[hit, column].isna()
            if missing.any():
                rows = missing[missing].index
                refs.loc[rows, column] = cited.loc[rows].map(known[source]).astype(refs[column].dtype)
    if len(frames) == 1 or refs["source"].eq(OPENALEX).all():
        return refs.reset_index(drop=True)  # OpenAlex's rows come by citing work and position
    return refs.sort_values(["citing_id", "position"], kind="mergesort", na_position="last").reset_index(drop=True)


def authorships_table(snapshot: dict, works: pd.DataFrame, *, local_to_final: dict | None = None,
                      extra=()) -> pd.DataFrame:
    """``tables.authorships``: the authors of every corpus work, in byline order.

    Parameters
    ----------
    snapshot : SnapshotTables or None
        What :func:`peerbib.snapshot.read.snapshot_tables` read (``authorships``), or None.
    works : DataFrame
        The works table (conformed).
    local_to_final : dict, optional
        Local corpus id -> OpenAlex id, for the works of ``extra`` frames.
    extra : sequence of DataFrame
        More authorship rows (e.g. a database export's authors with affiliations;
        see the module notes), used for the corpus works OpenAlex gave no authorships.

    Returns
    -------
    DataFrame
        The columns of ``SCHEMAS["authorships"]``, by work and position. A
        corpus work no source gives authorships of gets one row per name of
        its ``works.authors`` (``author_id`` a key of the name, see
        :func:`peerbib.corpus.names.name_key`: surname and first initial, as the
        exports' authors are keyed; source "corpus").
    """
    found = getattr(snapshot, "authorships", None)
    frames = [found.assign(source=OPENALEX) if found is not None and len(found) else None]
    frames += [_renamed(frame, "work_id", local_to_final or {}, "export") for frame in extra]
    frames.append(_named_authorships(works))
    rows = _first_source(frames, "work_id")
    if not len(rows):
        return empty_table("authorships")
    rows = conform(rows, "authorships")
    rows = rows[_isin(rows["work_id"], _corpus_ids(works))]
    return rows.sort_values(["work_id", "position"], kind="mergesort", na_position="last").reset_index(drop=True)


def _named_authorships(works: pd.DataFrame) -> pd.DataFrame:
    """Authorships of the corpus works from their ``authors`` names ("a; b"): no ids, no affiliations."""
    corpus = works[_isin(works["work_id"], _corpus_ids(works)) & works["authors"].notna()]
    rows = []
    for work_id, authors in zip(corpus["work_id"], corpus["authors"]):
        position = 0
        for name in str(authors).split(";"):
            name = " ".join(name.split())
            key = name_key(name)
            if key:
                rows.append({"work_id": work_id, "position": position, "author_id": key, "author_name": name,
                             "source": CORPUS_NAMES})
                position += 1
    return pd.DataFrame(rows) if rows else None
