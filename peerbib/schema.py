"""Column schemas of the processed tables (PRODUCT.md, "Tables").

One place says which columns each table has, in which order and with which
dtype, so an empty table keeps its columns and every writer agrees.
"""
from __future__ import annotations

import pandas as pd

__all__ = ["SCHEMAS", "TABLE_NAMES", "empty_table", "conform", "SECTIONS", "CITATION_TYPES"]

#: The normalised sections of a citing paper a statement can come from.
SECTIONS = ("Introduction", "Methods", "Results", "Discussion", "Other")
#: scite's citation types, plus statements below the classifier's threshold.
CITATION_TYPES = ("supporting", "mentioning", "contrasting", "unclassified")

SCHEMAS: dict[str, dict[str, str]] = {
    "works": {
        "work_id": "str",
        "doi": "str",
        "title": "str",
        "publication_year": "Int64",
        "type": "str",
        "venue": "str",
        "authors": "str",
        "abstract": "str",
        "cited_by_count": "Int64",
        "is_corpus": "boolean",
        "source": "str",
        # peerbib additions, after the contract's columns
        "abstract_truncated": "boolean",
        "corpus_role": "str",
        "provenance": "str",
    },
    "citations": {
        "citing_id": "str",
        "cited_id": "str",
        "source": "str",
    },
    "citations_per_year": {
        "work_id": "str",
        "year": "Int64",
        "citations": "Int64",
        "definition": "str",
    },
    "statements": {
        "statement_id": "str",
        "citing_id": "str",
        "cited_id": "str",
        "text": "str",
        "section": "str",
        "type": "str",
        "confidence": "Float64",
        "classifier": "str",
        "source": "str",
        "section_as_shown": "str",
        "provenance": "str",
    },
    "tallies": {
        "cited_id": "str",
        "supporting": "Int64",
        "mentioning": "Int64",
        "contrasting": "Int64",
        "unclassified": "Int64",
        "citing_publications": "Int64",
        "source": "str",
        "citation_statements": "Int64",
        "provenance": "str",
    },
}

TABLE_NAMES = tuple(SCHEMAS)


def empty_table(name: str) -> pd.DataFrame:
    """An empty DataFrame with the columns and dtypes of table ``name``."""
    return pd.DataFrame({col: pd.Series(dtype=dtype) for col, dtype in SCHEMAS[name].items()})


def conform(frame: pd.DataFrame, name: str) -> pd.DataFrame:
    """Return ``frame`` with exactly the schema's columns, in order, with its dtypes.

    Missing columns are added empty; columns not in the schema are dropped.
    """
    schema = SCHEMAS[name]
    out = {}
    for col, dtype in schema.items():
        if col in frame.columns:
            series = frame[col]
            if dtype == "boolean" and not pd.api.types.is_bool_dtype(series.dtype):
                series = series.map(_to_bool, na_action="ignore")
            out[col] = series.astype(dtype)
        else:
            out[col] = pd.Series([pd.NA] * len(frame), index=frame.index, dtype=dtype)
    return pd.DataFrame(out).reset_index(drop=True)


def _to_bool(value):
    if isinstance(value, str):
        text = value.strip().lower()
        if text in ("true", "yes", "1"):
            return True
        if text in ("false", "no", "0", ""):
            return False
        raise ValueError(f"not a boolean: {value!r}; write true or false")
    return bool(value)
