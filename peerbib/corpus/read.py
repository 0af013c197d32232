"""Reading a corpus: the list of works a researcher wants to study.

A corpus file is a database export (Scopus CSV, Web of Science plain text or
tab-delimited, PubMed/MEDLINE, Zotero CSV, …: see :mod:`.formats`), BibTeX,
RIS or a plain CSV. Each row names a work by DOI, or, when there is no DOI,
by title, or (as in search listings that show neither) by authors and year
plus venue or abstract. Rows without a DOI are matched to OpenAlex later by
title or by authors and year.

The result is a DataFrame with one row per work and a stable local
``work_id`` so the same row gets the same id on every machine and run.
"""
from __future__ import annotations

import hashlib
import logging
import re
from pathlib import Path

import pandas as pd

from ..deprecation import deprecated_positional
from ..errors import CorpusError
from ..ids import is_blank, is_valid_doi, normalize_doi, normalize_title
from .formats import FORMATS, ODD_FIELDS, read_records

logger = logging.getLogger("peerbib")

__all__ = ["read_corpus", "read_corpus_rows", "corpus_frame", "local_work_id", "CORPUS_COLUMNS", "CORPUS_SUFFIXES"]

#: Columns every corpus DataFrame has, in this order; extra columns of a CSV
#: corpus file (e.g. ``seed_file``) are kept after them.
CORPUS_COLUMNS = [
    "work_id",
    "doi",
    "title",
    "authors",
    "publication_year",
    "venue",
    "type",
    "abstract",
    "keywords",
    "type_as_shown",
    "corpus_format",
    "corpus_file",
    "corpus_line",
]

CORPUS_SUFFIXES = (".csv", ".tsv", ".txt", ".bib", ".bibtex", ".ris", ".nbib")
#: Fields compared when the same work appears twice in one file.
_COMPARED = ("title", "authors", "publication_year", "venue", "type", "abstract")


def local_work_id(doi=None, title=None, authors=None, year=None, venue=None, abstract=None) -> str:
    """A stable id for a corpus row that has no OpenAlex id yet.

    The id depends only on what identifies the work (DOI; else title and year;
    else authors, year, venue and abstract), so it is the same
    on every machine and does not change when rows are reordered.
    """
    doi = normalize_doi(doi)
    if doi:
        key = f"doi|{doi}"
    elif not is_blank(title):
        key = f"title|{normalize_title(title)}|{'' if is_blank(year) else int(year)}"
    else:
        key = "|".join(
            [
                "listing",
                normalize_title(authors),
                "" if is_blank(year) else str(int(year)),
                normalize_title(venue),
                normalize_title(abstract),
            ]
        )
    return "L" + hashlib.sha1(key.encode("utf-8")).hexdigest()[:12]


@deprecated_positional("format")
def read_corpus(path, *, format: str | None = None) -> pd.DataFrame:
    """Read a corpus file into a DataFrame of works.

    Parameters
    ----------
    path : str or Path
        A database export (Scopus CSV, Web of Science plain text ``.txt`` or
        tab-delimited, PubMed ``.nbib``/``.txt``, Zotero CSV), a BibTeX or RIS
        file, or a CSV with a ``doi`` and/or ``title`` column (also
        understood: ``authors``, ``year``/``publication_year``,
        ``venue``/``journal``, ``type``, ``abstract``, ``keywords``; other
        columns are kept). The format is recognised from the first lines.
    format : str, optional
        Say the format instead: one of ``scopus``, ``wos``, ``wos-tab``,
        ``pubmed``, ``zotero``, ``bibtex``, ``ris``, ``csv`` (and the others
        the README's table lists).

    Returns
    -------
    DataFrame
        Columns :data:`CORPUS_COLUMNS` (then any extra columns): a stable
        local ``work_id``, the DOI bare and lower case, ``corpus_format``, and
        ``corpus_file`` / ``corpus_line`` saying where each row came from.
        Where the export gives them, also the columns of
        :data:`peerbib.corpus.formats.RAW_COLUMNS`: ``cited_by_count`` (Int64)
        and ``cited_by_source`` ("scopus", "wos-tc", "wos-z9", "lens",
        "dimensions", "openalex"), ``mesh``, the cited references as written
        (``references_raw``, ``references_format``), the affiliations
        (``affiliations_raw``), ``venue_abbrevs``, and ``references_from`` /
        ``affiliations_from`` (file:line).
        The same work twice in one file, agreeing, is kept once
        (``attrs["duplicates"]`` counts them); ``attrs["format"]`` names the format read;
        ``attrs["warnings"]`` names odd values left out (a times cited that is no number).

    Raises
    ------
    CorpusError
        With the file and line (counted from 1), when a DOI is malformed, the
        same work appears twice with different details, a row identifies no
        work, a year is not a year, a required column is missing, a record is
        cut short, or the file holds no records. Nothing is written.
    """
    return corpus_frame(*read_corpus_rows(path, format))


def read_corpus_rows(path, format: str | None = None) -> tuple[list[dict], list[str], dict]:
    """:func:`read_corpus` before the DataFrame: (rows, columns, attrs).

    ``read_corpora`` merges many files' rows and makes one DataFrame of the
    result, instead of a DataFrame per file turned back into rows.
    """
    path = Path(path)
    if not path.exists():
        raise CorpusError("file not found; give the path of a corpus file (a database export, CSV, BibTeX or RIS)",
                          path=path)
    if format is not None and format not in FORMATS:
        raise CorpusError(f"unknown format {format!r}; use one of {', '.join(FORMATS)}", path=path)
    name, records = read_records(path, format)
    return _validate(records, path, name)


def corpus_frame(rows: list[dict], columns: list[str], attrs: dict) -> pd.DataFrame:
    """The DataFrame of corpus rows: years, line numbers and times cited as Int64, every other column as strings."""
    frame = pd.DataFrame(rows, columns=columns)
    for column in frame.columns:
        if column in ("publication_year", "corpus_line", "cited_by_count"):
            frame[column] = frame[column].astype("Int64")
        else:
            frame[column] = frame[column].astype("str").where(frame[column].notna(), None)
    frame.attrs.update(attrs)
    return frame


# --- validation, shared by every format --------------------------------------


def _validate(records: list[tuple[int, dict]], path: Path, fmt: str = "csv") -> tuple[list[dict], list[str], dict]:
    rows = []
    seen_doi: dict[str, int] = {}
    seen_id: dict[str, int] = {}
    duplicates = 0
    odd: list[str] = []
    for line, record in records:
        odd += [f"line {line}: {what}" for what in record.pop(ODD_FIELDS, None) or []]
        row = {k: (None if is_blank(v) else (v.strip() if isinstance(v, str) else v)) for k, v in record.items()}
        doi = normalize_doi(row.get("doi"))
        if doi is not None and not is_valid_doi(doi):
            raise CorpusError(
                f"malformed DOI {row.get('doi')!r}: a DOI looks like 10.1234/abcd (prefix 10., a slash, a suffix)",
                path=path,
                line=line,
            )
        row["doi"] = doi
        row["publication_year"] = _parse_year(row.get("publication_year"), path, line)
        if doi is None and row.get("title") is None:
            has_listing = row.get("authors") and row["publication_year"] is not None and (
                row.get("venue") or row.get("abstract")
            )
            if not has_listing:
                raise CorpusError(
                    "this row identifies no work: give a DOI, or a title, or authors and year "
                    "with a venue or abstract",
                    path=path,
                    line=line,
                )
        work_id = local_work_id(
            doi, row.get("title"), row.get("authors"), row["publication_year"], row.get("venue"), row.get("abstract")
        )
        earlier = seen_doi.get(doi) if doi is not None else None
        earlier = earlier if earlier is not None else seen_id.get(work_id)
        if earlier is not None:
            first = rows[earlier]
            differ = [f for f in _COMPARED if first.get(f) is not None and row.get(f) is not None
                      and str(first[f]) != str(row[f])]
            if differ:
                what = f"DOI {doi}" if doi is not None and first["doi"] == doi else "work (same title and year)"
                raise CorpusError(
                    f"the same {what} as line {first['corpus_line']}, with a different {differ[0].replace('_', ' ')}"
                    f" ({str(first[differ[0]])[:40]!r} there, {str(row[differ[0]])[:40]!r} here): keep the right "
                    "one, or correct it",
                    path=path,
                    line=line,
                )
            for key, value in row.items():  # an agreeing repeat: it may fill a field the first left empty
                if first.get(key) is None and value is not None and key not in ("corpus_line",):
                    first[key] = value
            duplicates += 1
            continue
        if doi is not None:
            seen_doi[doi] = len(rows)
        seen_id[work_id] = len(rows)
        row["work_id"] = work_id
        row["corpus_format"] = fmt
        row["corpus_file"] = path.name
        row["corpus_line"] = line
        for raw in ("references", "affiliations"):  # where the raw field came from, for messages after merging
            if row.get(f"{raw}_raw") is not None:
                row[f"{raw}_from"] = f"{path.name}:{line}"
        rows.append(row)
    extra = []
    for _, record in records:
        for key in record:
            if key not in CORPUS_COLUMNS and key not in extra:
                extra.append(key)
    extra += [f"{raw}_from" for raw in ("references", "affiliations") if f"{raw}_raw" in extra]
    warnings = []
    if odd:
        warnings.append(f"{path.name}: {len(odd)} odd value{'s' if len(odd) != 1 else ''} left out "
                        f"({'; '.join(odd[:3])}{'; …' if len(odd) > 3 else ''})")
        logger.warning("corpus: %s", warnings[-1])
    return rows, CORPUS_COLUMNS + extra, {"duplicates": duplicates, "format": fmt, "warnings": warnings}


def _parse_year(value, path, line) -> int | None:
    if is_blank(value):
        return None
    text = str(value).strip()
    if re.fullmatch(r"\d{4}(\.0)?", text):
        year = int(float(text))
        if 1500 <= year <= 2100:
            return year
    raise CorpusError(f"year {text!r} is not a four-digit year; write e.g. 2014", path=path, line=line)

