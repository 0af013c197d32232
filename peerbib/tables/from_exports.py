"""The references and authorships a corpus's database exports hold, as rows of the tables.

A corpus read from Scopus, Web of Science or PubMed exports and never fetched still gets the
science maps: :func:`export_references` reads the cited references the corpus readers kept
(``references_raw``: Web of Science ``CR``, Scopus "References") and matches them to the works;
:func:`export_authorships` reads the authors with their affiliations (``affiliations_raw``: Web of
Science ``C1``/``RP``, Scopus "Authors with affiliations", PubMed ``AD``). Both key their rows by the works table's ``work_id``.

When a fetch gives the same works' references and authorships from OpenAlex, OpenAlex's are kept:
the build adds the export's rows only for the works OpenAlex gave none for (the ``extra`` frames of
:mod:`peerbib.tables.references`). Times cited follow
the same rule: the works table's ``cited_by_count`` is OpenAlex's where the fetch gives it
(``cited_by_source`` "openalex"), else the export's (``"scopus"``, ``"wos-tc"``, ``"wos-z9"``, ``"lens"``,
``"dimensions"``; the highest where several exports give one).

Rows that cannot be read are left out; ``attrs["warnings"]`` says how many, naming the file.
"""
from __future__ import annotations

import logging
from collections import Counter

import pandas as pd

from ..corpus.affiliations import authorship_rows
from ..corpus.names import name_key
from ..corpus.references import match_references, parse_references
from ..ids import is_blank, normalize_doi

__all__ = ["export_references", "export_authorships", "REFERENCE_COLUMNS", "AUTHORSHIP_COLUMNS"]

logger = logging.getLogger("peerbib")

#: The columns of :func:`export_references`: the references table's, then what the reference string says.
REFERENCE_COLUMNS = {
    "citing_id": "str", "cited_id": "str", "position": "Int64", "cited_doi": "str", "cited_title": "str",
    "cited_year": "Int64", "cited_venue": "str", "match_method": "str",
    "cited_author": "str", "cited_volume": "str", "cited_page": "str", "cited_text": "str",
}
#: The columns of :func:`export_authorships` (the authorships table's).
AUTHORSHIP_COLUMNS = {
    "work_id": "str", "position": "Int64", "author_id": "str", "author_name": "str", "institution_ids": "str",
    "institution_names": "str", "country_codes": "str", "is_corresponding": "boolean",
}


def _frame(rows: list[dict], columns: dict[str, str]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=list(columns))
    for column, dtype in columns.items():
        if dtype == "Int64":
            frame[column] = pd.array(pd.to_numeric(frame[column], errors="coerce"), dtype="Float64") \
                .round().astype("Int64") if len(frame) else frame[column].astype("Int64")
        else:
            frame[column] = frame[column].astype(dtype) if dtype == "boolean" else \
                frame[column].astype("str").where(frame[column].notna(), None)
    return frame


def _final_ids(corpus: pd.DataFrame, works: pd.DataFrame, local_ids: dict | None) -> list[str | None]:
    """The works table's id of each corpus row: by the build's map of local ids to OpenAlex ids, by the same
    id, by the files and lines that held it, or by DOI; None when the works table does not have it."""
    ids = set(works["work_id"].astype("str"))
    by_files = {}
    if "corpus_files" in works.columns:
        by_files = {f: w for f, w in zip(works["corpus_files"], works["work_id"].astype("str")) if isinstance(f, str)}
    by_doi = {normalize_doi(d): w for d, w in zip(works.get("doi", pd.Series(dtype="str")),
                                                 works["work_id"].astype("str")) if isinstance(d, str)}
    none = [None] * len(corpus)
    out = []
    for local, files, doi in zip(corpus["work_id"], corpus.get("corpus_files", none), corpus.get("doi", none)):
        found = (local_ids or {}).get(local)
        if found is None and local in ids:
            found = local
        if found is None and isinstance(files, str):
            found = by_files.get(files)
        if found is None and isinstance(doi, str):
            found = by_doi.get(normalize_doi(doi))
        out.append(found)
    return out


def _where(value, fallback) -> str:
    return str(value).rsplit(":", 1)[0] if isinstance(value, str) and value else str(fallback)


def _warn(counts: Counter, what: str) -> list[str]:
    warnings = [f"corpus: {n} {what} in {file} could not be read and {'was' if n == 1 else 'were'} left out"
                for file, n in sorted(counts.items())]
    for warning in warnings:
        logger.warning(warning)
    return warnings


def export_references(corpus: pd.DataFrame, works: pd.DataFrame, *, local_ids: dict | None = None
                      ) -> pd.DataFrame:
    """The cited references the corpus files give, one row per reference of each corpus work.

    Parameters
    ----------
    corpus : DataFrame
        The corpus as :func:`peerbib.corpus.read_corpora` reads it (``references_raw``,
        ``references_format``, ``venue_abbrevs`` where the exports give them).
    works : DataFrame
        The works table (``work_id``, ``doi``, ``title``, ``publication_year``, ``authors``, ``venue``,
        ``corpus_files``): references are matched to its works, and citing works named by its ids.
    local_ids : dict, optional
        The corpus's local work ids -> the works table's ids (the build's map to OpenAlex ids).

    Returns
    -------
    DataFrame
        Columns :data:`REFERENCE_COLUMNS`: ``citing_id``, ``cited_id`` (a works id; else ``doi:<doi>`` or
        ``ref:<first author|year|source>``, the same for every reference to one cited work written alike),
        ``position`` (from 0, in the order the export lists them), ``cited_doi``, ``cited_title``,
        ``cited_year``, ``cited_venue``, ``match_method`` (see
        :func:`peerbib.corpus.references.match_references`), then the first author, volume, page and the
        reference as written. ``attrs["warnings"]``: references that could not be read, per file.
    """
    rows, venues, skipped = [], {}, Counter()
    if "references_raw" in corpus.columns:
        none = [None] * len(corpus)
        finals = _final_ids(corpus, works, local_ids)
        seen = set()
        for final, raw, fmt, source, abbrevs in zip(
                finals, corpus["references_raw"], corpus.get("references_format", none),
                corpus.get("references_from", corpus.get("corpus_file", none)), corpus.get("venue_abbrevs", none)):
            if final is None:
                continue
            if isinstance(abbrevs, str):
                venues.setdefault(final, []).extend(a.strip() for a in abbrevs.split(";") if a.strip())
            if is_blank(raw) or final in seen:
                continue
            seen.add(final)
            parsed, bad = parse_references(raw, fmt if fmt in ("wos", "scopus") else "wos")
            if bad:
                skipped[_where(source, "the corpus")] += bad
            rows += [{**row, "citing_id": final, "position": i} for i, row in enumerate(parsed)]
    matched = match_references(rows, works, venues=venues) if rows else []
    frame = _frame(matched, REFERENCE_COLUMNS)
    frame.attrs["warnings"] = _warn(skipped, "cited references")
    return frame


def export_authorships(corpus: pd.DataFrame, works: pd.DataFrame, *, local_ids: dict | None = None
                       ) -> pd.DataFrame:
    """The authors of each corpus work with their institutions and countries, as the corpus files give them.

    Parameters are those of :func:`export_references` (``corpus`` with ``affiliations_raw`` where the
    exports give affiliations).

    Returns
    -------
    DataFrame
        Columns :data:`AUTHORSHIP_COLUMNS`, one row per author of each corpus work: ``position`` (from 0),
        ``author_id`` (a name key, "gillard s": surname and first initial), ``author_name`` as written,
        ``institution_ids`` (name keys) and ``institution_names``, ``country_codes`` (ISO 3166-1 alpha-2),
        lists joined by "; ", and ``is_corresponding`` (missing where the export does not say). A work
        without affiliations in its files has no rows here: the build gives it its authors' names
        (:func:`peerbib.tables.references.authorships_table`), keyed the same way.
        ``attrs["warnings"]``: affiliations that could not be read, per file.
    """
    rows, skipped = [], Counter()
    none = [None] * len(corpus)
    finals = _final_ids(corpus, works, local_ids)
    seen = set()
    for final, raw, source in zip(finals, corpus.get("affiliations_raw", none),
                                  corpus.get("affiliations_from", corpus.get("corpus_file", none))):
        if final is None or final in seen or is_blank(raw):
            continue
        try:
            found = authorship_rows(raw)
        except (ValueError, TypeError, KeyError, AttributeError):
            skipped[_where(source, "the corpus")] += 1
            continue
        found = [{**row, "work_id": final} for row in found if row["author_id"]]
        if found:
            seen.add(final)
            rows += found
    frame = _frame(rows, AUTHORSHIP_COLUMNS)
    frame.attrs["warnings"] = _warn(skipped, "affiliation fields")
    return frame
