"""Reading a corpus: the list of works a researcher wants to study.

A corpus file is CSV, BibTeX or RIS. Each row names a work by DOI, or, when
there is no DOI, by title, or (as in search listings that show neither) by
authors and year plus venue or abstract. Rows without a DOI are matched to
OpenAlex later by title or by authors and year.

The result is a DataFrame with one row per work and a stable local
``work_id`` so the same row gets the same id on every machine and run.
"""
from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pandas as pd

from ..errors import CorpusError
from ..ids import is_blank as _blank, is_valid_doi, normalize_doi, normalize_title
from .bibtex import read_bibtex
from .csvfile import read_csv_corpus
from .ris import read_ris

__all__ = ["read_corpus", "local_work_id", "CORPUS_COLUMNS", "CORPUS_SUFFIXES"]

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
    "corpus_file",
    "corpus_line",
]

CORPUS_SUFFIXES = (".csv", ".bib", ".bibtex", ".ris")


def local_work_id(doi=None, title=None, authors=None, year=None, venue=None, abstract=None) -> str:
    """A stable id for a corpus row that has no OpenAlex id yet.

    The id depends only on what identifies the work (DOI; else title and year;
    else authors, year, venue and abstract), so it is the same
    on every machine and does not change when rows are reordered.
    """
    doi = normalize_doi(doi)
    if doi:
        key = f"doi|{doi}"
    elif not _blank(title):
        key = f"title|{normalize_title(title)}|{'' if _blank(year) else int(year)}"
    else:
        key = "|".join(
            [
                "listing",
                normalize_title(authors),
                "" if _blank(year) else str(int(year)),
                normalize_title(venue),
                normalize_title(abstract),
            ]
        )
    return "L" + hashlib.sha1(key.encode("utf-8")).hexdigest()[:12]


def read_corpus(path) -> pd.DataFrame:
    """Read a corpus file (CSV, BibTeX or RIS) into a DataFrame of works.

    Parameters
    ----------
    path : str or Path
        A ``.csv`` file with a ``doi`` and/or ``title`` column (also understood:
        ``authors``, ``year``/``publication_year``, ``venue``/``journal``,
        ``type``, ``abstract``; other columns are kept), a ``.bib`` file, or a
        ``.ris`` file.

    Returns
    -------
    DataFrame
        Columns :data:`CORPUS_COLUMNS` (then any extra CSV columns): a stable
        local ``work_id``, the DOI bare and lower case, and ``corpus_file`` /
        ``corpus_line`` saying where each row came from.

    Raises
    ------
    CorpusError
        With the file and line, when a DOI is malformed, a DOI or work appears
        twice, a row identifies no work, a year is not a year, or a required
        column is missing. Nothing is written.
    """
    path = Path(path)
    if not path.exists():
        raise CorpusError("file not found; give the path of a CSV, BibTeX or RIS corpus file", path=path)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        records = read_csv_corpus(path)
    elif suffix in (".bib", ".bibtex"):
        records = read_bibtex(path)
    elif suffix == ".ris":
        records = read_ris(path)
    else:
        raise CorpusError(
            f"unsupported file type {suffix!r}; use .csv, .bib or .ris", path=path
        )
    return _validate(records, path)



# --- validation, shared by every format --------------------------------------


def _validate(records: list[tuple[int, dict]], path: Path) -> pd.DataFrame:
    rows = []
    seen_doi: dict[str, int] = {}
    seen_id: dict[str, int] = {}
    for line, record in records:
        row = {k: (None if _blank(v) else (v.strip() if isinstance(v, str) else v)) for k, v in record.items()}
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
        if doi is not None:
            if doi in seen_doi:
                raise CorpusError(
                    f"duplicate DOI {doi} (first on line {seen_doi[doi]}); keep one row per work",
                    path=path,
                    line=line,
                )
            seen_doi[doi] = line
        work_id = local_work_id(
            doi, row.get("title"), row.get("authors"), row["publication_year"], row.get("venue"), row.get("abstract")
        )
        if work_id in seen_id:
            raise CorpusError(
                f"duplicate work (same title and year, or same authors, year, venue and abstract as line "
                f"{seen_id[work_id]}); keep one row per work",
                path=path,
                line=line,
            )
        seen_id[work_id] = line
        row["work_id"] = work_id
        row["corpus_file"] = path.name
        row["corpus_line"] = line
        rows.append(row)
    extra = []
    for _, record in records:
        for key in record:
            if key not in CORPUS_COLUMNS and key not in extra:
                extra.append(key)
    frame = pd.DataFrame(rows, columns=CORPUS_COLUMNS + extra)
    for column in frame.columns:
        if column in ("publication_year", "corpus_line"):
            frame[column] = frame[column].astype("Int64")
        else:
            frame[column] = frame[column].astype("str").where(frame[column].notna(), None)
    return frame


def _parse_year(value, path, line) -> int | None:
    if _blank(value):
        return None
    text = str(value).strip()
    if re.fullmatch(r"\d{4}(\.0)?", text):
        year = int(float(text))
        if 1500 <= year <= 2100:
            return year
    raise CorpusError(f"year {text!r} is not a four-digit year; write e.g. 2014", path=path, line=line)

