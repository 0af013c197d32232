"""How much of a corpus work's citing literature the statements cover.

A chart of citation types means little without it: a work whose citing
papers have no open full text has no statements, and that must read as 0%
covered, not as a work nobody cites.
"""
from __future__ import annotations

import pandas as pd

from ..errors import AnalysisError

__all__ = ["statement_coverage", "coverage_totals"]

COVERAGE_COLUMNS = ["cited_id", "title", "citing_works", "with_fulltext", "with_statements", "statements",
                    "fulltext_share", "statement_share"]


def _table(tables, name: str) -> pd.DataFrame:
    frame = getattr(tables, name, None)
    if not isinstance(frame, pd.DataFrame):
        raise AnalysisError(f"statement_coverage needs the built tables (pb.load()), which have a {name} table")
    return frame


def statement_coverage(tables) -> pd.DataFrame:
    """Per corpus work: its citing works, those with full text, those with a statement found, statements.

    Parameters
    ----------
    tables : Tables
        The built tables (``pb.load()``).

    Returns
    -------
    pandas.DataFrame
        Columns ``cited_id, title, citing_works, with_fulltext, with_statements,
        statements, fulltext_share, statement_share`` (shares of ``citing_works``,
        0 to 1), one row per corpus work, most cited first. Statements from
        full text only (``fulltext_source`` set) count towards
        ``with_statements``; ``statements`` counts every statement of the work
        (imported ones too).
    """
    works, citations, statements = _table(tables, "works"), _table(tables, "citations"), _table(tables, "statements")
    corpus = works[works["is_corpus"].fillna(False).astype(bool)]
    with_text = set(works.loc[works["fulltext_source"].notna(), "work_id"]) if "fulltext_source" in works else set()
    edges = citations[citations["cited_id"].isin(set(corpus["work_id"]))]
    citing = edges.groupby("cited_id")["citing_id"].nunique()
    fulltext = edges[edges["citing_id"].isin(with_text)].groupby("cited_id")["citing_id"].nunique()
    extracted = statements[statements.get("fulltext_source", pd.Series(dtype="str")).notna()] \
        if "fulltext_source" in statements else statements.iloc[0:0]
    found = extracted.groupby("cited_id")["citing_id"].nunique()
    counted = statements.groupby("cited_id").size()
    out = pd.DataFrame({"cited_id": corpus["work_id"].astype("str").to_numpy(),
                        "title": corpus["title"].astype("str").to_numpy()})
    for name, series in (("citing_works", citing), ("with_fulltext", fulltext), ("with_statements", found),
                         ("statements", counted)):
        out[name] = out["cited_id"].map(series).fillna(0).astype("int64")
    denominator = out["citing_works"].where(out["citing_works"] > 0)
    out["fulltext_share"] = (out["with_fulltext"] / denominator).fillna(0.0)
    out["statement_share"] = (out["with_statements"] / denominator).fillna(0.0)
    out = out.sort_values(["citing_works", "cited_id"], ascending=[False, True], kind="mergesort")
    return out[COVERAGE_COLUMNS].reset_index(drop=True)


def coverage_totals(tables) -> dict:
    """The corpus-wide figures ``peerbib build`` prints: citing works, with full text, with statements, statements."""
    citations, works, statements = _table(tables, "citations"), _table(tables, "works"), _table(tables, "statements")
    corpus = set(works.loc[works["is_corpus"].fillna(False).astype(bool), "work_id"])
    citing = set(citations.loc[citations["cited_id"].isin(corpus), "citing_id"])
    with_text = citing & set(works.loc[works["fulltext_source"].notna(), "work_id"])
    extracted = statements[statements["fulltext_source"].notna()] if "fulltext_source" in statements else statements.iloc[0:0]
    return {"citing_works": len(citing), "with_fulltext": len(with_text),
            "with_statements": int(extracted["citing_id"].nunique()), "statements": len(statements),
            "statements_from_fulltext": len(extracted)}
