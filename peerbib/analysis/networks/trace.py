"""The works behind an edge of a network: what makes two nodes linked, listed work by work."""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ...errors import AnalysisError
from .kinds import _BUILDERS, _cited_work_details
from .units import local_citations_edges, require_table, work_labels

if TYPE_CHECKING:
    from .build import Network

__all__ = ["edge_works"]


def _work_rows(tables, ids) -> pd.DataFrame:
    works = require_table(tables, "works", "edge_works")
    found = works[works["work_id"].astype("str").isin(pd.Index(ids))].drop_duplicates("work_id")
    found = found.assign(work_id=found["work_id"].astype("str"), label=work_labels(found))
    columns = [c for c in ("work_id", "label", "publication_year", "title", "venue", "doi", "cited_by_count")
               if c in found.columns]
    order = [c for c in ("publication_year", "work_id") if c in found.columns]
    return found[columns].sort_values(order, kind="mergesort", na_position="last").reset_index(drop=True)


def edge_works(tables, net: Network, source: str, target: str) -> pd.DataFrame:
    """The works behind the edge between ``source`` and ``target`` (node ids of ``net``).

    Parameters
    ----------
    tables : Tables
        The tables ``net`` was made from.
    net : Network
    source, target : str
        Two node ids (either order, except in a citation network: citing, cited).

    Returns
    -------
    DataFrame
        co-citation: the corpus works citing both (``work_id, label,
        publication_year, title, venue, doi, cited_by_count``); coupling: the
        references both cite (``cited_id, label, year, url``); co-authorship and
        co-occurrence: the corpus works carrying both; citation: one row per
        citation statement of the citing work about the cited one
        (``citing_id, cited_id, citing, statement_id, type, section, text``),
        or one row without a statement when it has none.
    """
    known = set(net.nodes["id"])
    missing = [node for node in (source, target) if node not in known]
    if missing:
        raise AnalysisError(f"{', '.join(map(repr, missing))} is not a node of this network: use ids from net.nodes.id")
    if net.kind == "citation" or net.kind == "historiograph":
        return _citation_edge(tables, source, target)
    units = _BUILDERS[(net.kind, net.unit)](tables)
    pairs = units.pairs
    both = np.intersect1d(pairs.loc[pairs["unit_id"] == source, "doc"].astype("str").unique(),
                          pairs.loc[pairs["unit_id"] == target, "doc"].astype("str").unique())
    if net.kind != "coupling":
        return _work_rows(tables, both)
    details = _cited_work_details(tables, pd.Index(both, dtype="str")).reindex(pd.Index(both, dtype="str"))
    out = pd.DataFrame({"cited_id": pd.Series(both, dtype="str"), "label": details["label"].to_numpy(),
                        "year": pd.array(details["year"].to_numpy(), dtype="Int64"),
                        "url": pd.Series(details["url"].to_numpy(), dtype="str")})
    return out.sort_values(["year", "cited_id"], kind="mergesort", na_position="last").reset_index(drop=True)


def _citation_edge(tables, citing: str, cited: str) -> pd.DataFrame:
    edges = local_citations_edges(tables)
    if not ((edges["citing_id"] == citing) & (edges["cited_id"] == cited)).any():
        raise AnalysisError(f"{citing!r} does not cite {cited!r} in these tables: a citation edge goes from the "
                            "citing work (source) to the cited one (target)")
    label = _work_rows(tables, [citing])
    citing_label = label["label"].iloc[0] if len(label) else citing
    statements = getattr(tables, "statements", None)
    columns = ["statement_id", "type", "section", "text"]
    if statements is not None and len(statements):
        chosen = statements[(statements["citing_id"].astype("str") == citing)
                            & (statements["cited_id"].astype("str") == cited)]
        rows = pd.DataFrame({c: chosen[c].astype("str").to_numpy() if c in chosen.columns
                             else pd.Series([pd.NA] * len(chosen), dtype="str") for c in columns})
    else:
        rows = pd.DataFrame({c: pd.Series(dtype="str") for c in columns})
    if not len(rows):
        rows = pd.DataFrame({c: pd.Series([pd.NA], dtype="str") for c in columns})
    rows.insert(0, "citing", citing_label)
    rows.insert(0, "cited_id", cited)
    rows.insert(0, "citing_id", citing)
    return rows.sort_values("statement_id", kind="mergesort", na_position="last").reset_index(drop=True)
