"""Counts of citation types: per cited work, section, citing year, citing publication type, source.

Tallies from different sources are never summed: peerbib's classification of
the statements it extracted, scite's counts, and statements imported from a
file each keep their own rows (the ``source`` column), side by side.
"""
from __future__ import annotations

import pandas as pd

from ..errors import AnalysisError
from .coverage import statement_coverage
from .sections import CITATION_TYPES

__all__ = ["tally_citation_types", "FACETS", "tally_source", "corrected_columns"]

#: What a tally can be split by, besides the cited work.
FACETS = ("section", "citing_year", "citing_type", "source")


def tally_source(statements: pd.DataFrame) -> pd.Series:
    """Who gave each statement its type, and where the statement came from: "peerbib-cues/2 (scite statements)"."""
    origin = statements["source"].astype("object").where(statements["source"].notna(), "statements") \
        if "source" in statements else pd.Series("statements", index=statements.index)
    if "classifier" not in statements:
        return origin.astype("str")
    labels = [f"{c} ({o if o.endswith('statements') else o + ' statements'})" if isinstance(c, str) and c else o
              for c, o in zip(statements["classifier"].tolist(), origin.astype("str").tolist())]
    return pd.Series(labels, index=statements.index, dtype="str")


def tally_citation_types(statements, by=None, *, tables=None, corrected: bool = False) -> pd.DataFrame:
    """Statements counted by citation type, per cited work (and ``by``).

    Parameters
    ----------
    statements : pandas.DataFrame or Tables
        A statements table, or the built tables (then the citing works' year
        and type are known, and the coverage of the extraction is added).
    by : str or list of str, optional
        Split further by ``section``, ``citing_year``, ``citing_type`` and/or ``source``.
    tables : Tables, optional
        The built tables, when ``statements`` is a DataFrame: for citing year,
        citing type and coverage.
    corrected : bool
        Add, beside the raw counts, the share of supporting and of contrasting
        statements corrected for the classifier's measured error (adjusted
        classify-and-count, :func:`peerbib.statements.evaluate.corrected_share`),
        with a 95% interval: ``supporting_share`` (raw), ``supporting_corrected``,
        ``supporting_low``, ``supporting_high``, and the same for contrasting.
        Only rows whose statements were typed by a classifier with measured
        error rates (the default, ``peerbib-linear/3``) get them; others stay NA.

    Returns
    -------
    pandas.DataFrame
        ``cited_id``, the ``by`` columns, ``source``, ``supporting``,
        ``mentioning``, ``contrasting``, ``unclassified``, ``statements``,
        ``citing_publications`` (distinct citing works with a statement; NA
        when no statement of the row names its citing work); with
        tables, also ``citing_works`` and ``with_fulltext`` (the cited work's
        citing works, and those whose full text was read), the coverage of
        the extraction beside each tally.
    """
    if hasattr(statements, "statements") and hasattr(statements, "works"):
        tables, statements = statements, statements.statements
    if not isinstance(statements, pd.DataFrame):
        raise AnalysisError("tally_citation_types needs a statements table or the built tables (pb.load())")
    for column in ("cited_id", "type"):
        if column not in statements.columns:
            raise AnalysisError(f"tally_citation_types needs a {column!r} column; pass the statements table")
    facets = [by] if isinstance(by, str) else list(by or [])
    unknown = [f for f in facets if f not in FACETS]
    if unknown:
        raise AnalysisError(f"cannot tally by {', '.join(unknown)}; use one or more of {', '.join(FACETS)}")
    frame = statements.assign(source=tally_source(statements))
    if any(f in ("citing_year", "citing_type") for f in facets):
        if tables is None:
            raise AnalysisError("tallies by citing year or type need the built tables: "
                                "tally_citation_types(tables, by=...)")
        works = tables.works.set_index("work_id")
        frame = frame.assign(citing_year=frame["citing_id"].map(works["publication_year"]),
                             citing_type=frame["citing_id"].map(works["type"]))
    keys = ["cited_id"] + [f for f in facets if f != "source"] + ["source"]
    for key in keys:
        frame[key] = frame[key].astype("object").where(frame[key].notna(), "(not stated)")
    kinds = frame["type"].where(frame["type"].isin(CITATION_TYPES), "unclassified")
    counts = pd.crosstab([frame[k] for k in keys], kinds).reindex(columns=list(CITATION_TYPES), fill_value=0)
    counts["statements"] = counts.sum(axis=1)
    grouped = frame.groupby(keys)["citing_id"]
    # statements whose citing work is not known (a seed page that does not name it) leave it unknown, not 0
    counts["citing_publications"] = grouped.nunique().where(grouped.count() > 0)
    out = counts.reset_index()
    out.columns.name = None
    for column in list(CITATION_TYPES) + ["statements"]:
        out[column] = out[column].fillna(0).astype("int64")
    out["citing_publications"] = out["citing_publications"].astype("Int64")
    if tables is not None:
        coverage = statement_coverage(tables).set_index("cited_id")
        out["citing_works"] = out["cited_id"].map(coverage["citing_works"]).fillna(0).astype("int64")
        out["with_fulltext"] = out["cited_id"].map(coverage["with_fulltext"]).fillna(0).astype("int64")
    out = out.sort_values(keys, kind="mergesort").reset_index(drop=True)
    if corrected:
        out = _corrected(out)
    return out


def _corrected(out: pd.DataFrame) -> pd.DataFrame:
    return corrected_columns(out, total="statements")


def corrected_columns(frame: pd.DataFrame, *, total: str, source: str = "source") -> pd.DataFrame:
    """``frame`` (counts of types per row) with the raw and corrected shares of supporting and contrasting.

    Rows whose ``source`` begins with the default classifier's label get the correction (its error rates
    were measured on the gold corpus's test split); others keep NA. Adds ``<type>_share``,
    ``<type>_corrected``, ``<type>_low``, ``<type>_high`` for supporting and contrasting.
    """
    from .classify import default_classifier
    from .evaluate import corrected_share

    out = frame.copy()
    clf = default_classifier()
    rates, prevalence = clf.meta.get("rates"), clf.meta.get("prevalence")
    mine = out[source].astype("str").str.startswith(clf.label + " ") if len(out) else pd.Series(dtype=bool)
    for kind in ("supporting", "contrasting"):
        share = out[kind] / out[total].where(out[total] > 0)
        out[f"{kind}_share"] = share.astype("Float64")
        values = {"corrected": [], "low": [], "high": []}
        for labelled, n, is_mine in zip(out[kind].tolist(), out[total].tolist(), mine.tolist()):
            if is_mine and rates and prevalence and n:
                point, low, high = corrected_share(int(labelled), int(n), kind, rates, prevalence)
            else:
                point = low = high = float("nan")
            values["corrected"].append(point)
            values["low"].append(low)
            values["high"].append(high)
        for name, column in values.items():
            out[f"{kind}_{name}"] = pd.array(column, dtype="Float64")
    return out
