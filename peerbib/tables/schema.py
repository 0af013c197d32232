"""The processed tables: their columns, in order, with their dtypes, and the :class:`Tables` holding them.

One place says which columns each table has, so an empty table keeps its
columns and every writer agrees. The first columns of each table are the
public contract (the README's "Tables"); peerbib's own additions follow.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from ..sources.openalex.records import AUTHORSHIP_DTYPES, REFERENCE_DTYPES, WORK_EXTRA_DTYPES, WORK_ROW_DTYPES

__all__ = ["SCHEMAS", "TABLE_NAMES", "ADDED_TABLES", "Tables", "empty_table", "conform"]

SCHEMAS: dict[str, dict[str, str]] = {
    "works": {
        # work_id, doi, title, publication_year, type, venue, authors,
        # abstract, cited_by_count: what a work record flattens to
        **WORK_ROW_DTYPES,
        "is_corpus": "boolean",
        "source": "str",
        # peerbib additions, after the contract's columns
        "abstract_truncated": "boolean",
        "corpus_role": "str",
        "provenance": "str",
        # the source of the full text statements were read from (europepmc-jats, openalex-tei)
        "fulltext_source": "str",
        # keywords ("; "): the corpus file's, else OpenAlex's (see peerbib.tables.merge); and every
        # file:line that held the work
        "keywords": "str",
        "corpus_files": "str",
        # what the data says against the publication year (corpus notes, files or OpenAlex disagreeing)
        "year_doubt": "str",
        # from OpenAlex: MeSH terms and topics ("; "; MeSH also from PubMed and other exports), the
        # retraction flag, field-weighted citation impact
        **{name: dtype for name, dtype in WORK_EXTRA_DTYPES.items() if name not in ("keywords", "issn")},
        # whose count cited_by_count is: openalex, else a database export's (scopus, wos-tc, wos-z9, lens, ...)
        "cited_by_source": "str",
        # the venue's ISSNs (NNNN-NNNC, "; "): every export's and OpenAlex's, which venue_names groups by
        "issn": "str",
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
        # peerbib additions, after the contract's columns
        "context_before": "str",
        "context_after": "str",
        "section_heading": "str",
        "location": "str",
        "callout": "str",
        "n_cited_in_sentence": "Int64",
        "fulltext_source": "str",
        "match_method": "str",
        "match_score": "Float64",
        "evidence": "str",
        # the type the statement's own source gave it (scite's label of an imported statement)
        "source_type": "str",
        # Semantic Scholar's intents of an imported context (background; methodology; result: a
        # function, not a polarity) and its "influential" flag
        "s2_intents": "str",
        "s2_influential": "boolean",
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
    # one row per reference of every corpus work (inside the corpus or not), in its order
    "references": {
        # citing_id, cited_id (OpenAlex W id), position (from 0), cited_doi, cited_title, cited_year,
        # cited_venue (where known: a work of the tables, or one `fetch --references` looked up)
        **REFERENCE_DTYPES,
        # peerbib additions: where the reference list came from (openalex, or a database export)
        "source": "str",
        # a database export's reference: how it was matched to a work (doi, title-year,
        # author-year-source, same-reference; missing when unmatched or from OpenAlex) and what it says
        "match_method": "str",
        "cited_author": "str",
        "cited_volume": "str",
        "cited_page": "str",
        "cited_text": "str",
    },
    # one row per author of every corpus work, in byline order
    "authorships": {
        # work_id, position (from 0), author_id (OpenAlex A id, else a name key), author_name,
        # institution_ids, institution_names (parallel "; " lists), country_codes ("; "), is_corresponding
        **AUTHORSHIP_DTYPES,
        # peerbib additions: openalex, a database export, or "corpus" (names of works.authors only)
        "source": "str",
    },
}

TABLE_NAMES = tuple(SCHEMAS)
#: Tables added after the first release: a tables folder written before them is read with them empty
#: (and counts as stale while its raw data is there, so ``load`` builds them).
ADDED_TABLES = ("references", "authorships")


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
            out[col] = pd.Series(index=frame.index, dtype=dtype)  # all missing (a list of NAs is 20x slower)
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


@dataclass
class Tables:
    """The processed tables, each a pandas DataFrame with the columns of :data:`SCHEMAS`.

    Attributes
    ----------
    works, citations, citations_per_year, statements, tallies, references, authorships : DataFrame
    warnings : list of str
        Problems with the inputs that did not stop the build (an interrupted
        fetch, a corpus row edited since it was matched, corpus files that
        disagree about a work); also recorded in ``build_info.json``.
    notes : list of str
        What the build did that a user should know (e.g. how many duplicate
        records of overlapping corpus files were merged); printed by
        ``peerbib build``, recorded in ``build_info.json``.
    info : dict
        The build's record (``build_info.json``): when and from what it was
        built, ``raw_sha256``, and ``corpus``, the corpus files read with their
        format and record count.
    """

    works: pd.DataFrame
    citations: pd.DataFrame
    citations_per_year: pd.DataFrame
    statements: pd.DataFrame
    tallies: pd.DataFrame
    references: pd.DataFrame = field(default_factory=lambda: empty_table("references"))
    authorships: pd.DataFrame = field(default_factory=lambda: empty_table("authorships"))
    warnings: list = field(default_factory=list, repr=False, compare=False)
    notes: list = field(default_factory=list, repr=False, compare=False)
    info: dict = field(default_factory=dict, repr=False, compare=False)

    def items(self):
        """(name, DataFrame) pairs in schema order."""
        return [(name, getattr(self, name)) for name in SCHEMAS]

    def __repr__(self) -> str:
        sizes = ", ".join(f"{name}={len(frame)} rows" for name, frame in self.items())
        return f"Tables({sizes})"
