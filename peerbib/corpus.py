"""Reading a corpus: the list of works a researcher wants to study.

A corpus file is CSV, BibTeX or RIS. Each row names a work by DOI, or, when
there is no DOI, by title, or (as in search listings that show neither) by
authors and year plus venue or abstract. Rows without a DOI are matched to
OpenAlex later by title or by authors and year.

The result is a DataFrame with one row per work and a stable local
``work_id`` so the same row gets the same id on every machine and run.
"""
from __future__ import annotations

import csv
import hashlib
import html
import io
import re
import unicodedata
from pathlib import Path

import pandas as pd

from .errors import CorpusError

__all__ = [
    "read_corpus",
    "normalize_doi",
    "is_valid_doi",
    "local_work_id",
    "normalize_title",
    "CORPUS_COLUMNS",
    "CORPUS_SUFFIXES",
    "read_csv_rows",
]

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

_DOI_PREFIXES = re.compile(
    r"^(?:https?://(?:dx\.)?doi\.org/|doi\.org/|doi:\s*|doi\s+)", re.IGNORECASE
)
# Crossref's recommended pattern, which matches ~99% of registered DOIs;
# anything else is far more likely a typo than a real DOI.
_DOI_PATTERN = re.compile(r"^10\.\d{4,9}/\S+$")

# Column names users write for the same thing, mapped to ours.
_ALIASES = {
    "doi": "doi",
    "dois": "doi",
    "title": "title",
    "titles": "title",
    "author": "authors",
    "authors": "authors",
    "year": "publication_year",
    "publication_year": "publication_year",
    "py": "publication_year",
    "venue": "venue",
    "journal": "venue",
    "source": "venue",
    "type": "type",
    "abstract": "abstract",
}


def normalize_doi(value) -> str | None:
    """Return a DOI bare and lower case, or None when the value is empty.

    Removes surrounding whitespace, ``https://doi.org/``, ``http://dx.doi.org/``
    and ``doi:`` prefixes. DOIs are case-insensitive, so lower case is the
    canonical form. The result is not validated: see :func:`is_valid_doi`.

    Examples
    --------
    >>> normalize_doi(" https://doi.org/10.1186/1472-6963-13-188 ")
    '10.1186/1472-6963-13-188'
    >>> normalize_doi("DOI:10.1007/S10488-014-0603-Z")
    '10.1007/s10488-014-0603-z'
    """
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    text = unicodedata.normalize("NFKC", str(value)).strip()
    text = _DOI_PREFIXES.sub("", text).strip()
    if not text:
        return None
    return text.lower()


def is_valid_doi(doi: str | None) -> bool:
    """True when ``doi`` (already normalised) looks like a registered DOI."""
    return bool(doi) and bool(_DOI_PATTERN.match(doi))


def normalize_title(title) -> str:
    """Lower-case, accent- and punctuation-free form of a title for matching."""
    if title is None or (not isinstance(title, str) and pd.isna(title)):
        return ""
    text = unicodedata.normalize("NFKD", html.unescape(str(title)))
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = re.sub(r"[^\w\s]", " ", text.lower())
    return " ".join(text.split())


def _blank(value) -> bool:
    return value is None or (not isinstance(value, str) and pd.isna(value)) or (
        isinstance(value, str) and not value.strip()
    )


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
        records = _read_csv(path)
    elif suffix in (".bib", ".bibtex"):
        records = _read_bibtex(path)
    elif suffix == ".ris":
        records = _read_ris(path)
    else:
        raise CorpusError(
            f"unsupported file type {suffix!r}; use .csv, .bib or .ris", path=path
        )
    return _validate(records, path)


# --- readers: each returns a list of (line, dict) with our column names -----


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CorpusError(
            f"not UTF-8 text (byte {exc.start}); save the file as UTF-8", path=path
        ) from None


def _read_csv(path: Path) -> list[tuple[int, dict]]:
    return read_csv_rows(path, required_any=("doi", "title"), aliases=_ALIASES)


def read_csv_rows(path, *, required_any=(), required_all=(), aliases=None) -> list[tuple[int, dict]]:
    """Read a CSV file into ``(line, row)`` pairs, ``line`` being where the row starts.

    Header names are lower-cased, spaces become underscores and ``aliases``
    maps them to canonical names. Raises :class:`CorpusError` naming the file
    and line when the header lacks a required column, a column is repeated, or
    a row has the wrong number of fields.
    """
    path = Path(path)
    aliases = aliases or {}
    text = _read_text(path)
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise CorpusError("the file is empty; it needs a header row", path=path) from None
    except csv.Error as exc:
        raise CorpusError(f"not valid CSV: {exc}", path=path, line=1) from None
    columns = []
    for name in header:
        key = name.strip().lower().replace(" ", "_")
        columns.append(aliases.get(key, key))
    if required_any and not any(c in columns for c in required_any):
        raise CorpusError(
            f"missing required column: the header ({', '.join(header)}) needs "
            + " or ".join(repr(c) for c in required_any),
            path=path,
            line=1,
        )
    missing = [c for c in required_all if c not in columns]
    if missing:
        raise CorpusError(
            f"missing required column(s) {', '.join(missing)} in the header ({', '.join(header)})",
            path=path,
            line=1,
        )
    dupes = sorted({c for c in columns if columns.count(c) > 1})
    if dupes:
        raise CorpusError(f"column(s) {', '.join(dupes)} appear more than once in the header", path=path, line=1)
    records = []
    try:
        for fields in reader:
            line = _record_start(reader.line_num, fields)
            if not any(f.strip() for f in fields):
                continue
            if len(fields) != len(columns):
                raise CorpusError(
                    f"{len(fields)} fields where the header has {len(columns)}; "
                    "quote values that contain commas",
                    path=path,
                    line=line,
                )
            records.append((line, dict(zip(columns, fields))))
    except csv.Error as exc:
        raise CorpusError(f"not valid CSV: {exc}", path=path, line=reader.line_num) from None
    return records


def _record_start(end_line: int, fields: list[str]) -> int:
    # csv reports the line a record ends on; quoted values with newlines make
    # a record span lines, and users look for where it starts.
    return end_line - sum(f.count("\n") for f in fields)


def _read_bibtex(path: Path) -> list[tuple[int, dict]]:
    try:
        import bibtexparser
    except ImportError:  # pragma: no cover - installed with peerbib
        raise CorpusError("reading BibTeX needs bibtexparser>=2: pip install bibtexparser", path=path) from None
    library = bibtexparser.parse_string(_read_text(path))
    for block in library.failed_blocks:
        raise CorpusError(
            f"cannot parse this BibTeX entry ({type(block).__name__}); check its braces and commas",
            path=path,
            line=block.start_line + 1,
        )
    records = []
    for entry in library.entries:
        fields = {k.lower(): _strip_braces(v.value) for k, v in entry.fields_dict.items()}
        authors = fields.get("author")
        records.append(
            (
                entry.start_line + 1,
                {
                    "doi": fields.get("doi"),
                    "title": fields.get("title"),
                    "authors": "; ".join(a.strip() for a in re.split(r"\s+and\s+", authors)) if authors else None,
                    "publication_year": fields.get("year"),
                    "venue": fields.get("journal") or fields.get("booktitle") or fields.get("publisher"),
                    "type": _BIBTEX_TYPES.get(entry.entry_type.lower(), entry.entry_type.lower()),
                    "abstract": fields.get("abstract"),
                    "bibtex_key": entry.key,
                },
            )
        )
    return records


_BIBTEX_TYPES = {
    "article": "article",
    "inbook": "book-chapter",
    "incollection": "book-chapter",
    "book": "book",
    "inproceedings": "article",
    "phdthesis": "dissertation",
    "mastersthesis": "dissertation",
    "techreport": "report",
    "misc": "other",
}


def _strip_braces(value) -> str:
    text = str(value)
    return re.sub(r"[{}]", "", text).strip()


def _read_ris(path: Path) -> list[tuple[int, dict]]:
    try:
        import rispy
    except ImportError:  # pragma: no cover - installed with peerbib
        raise CorpusError("reading RIS needs rispy: pip install rispy", path=path) from None
    text = _read_text(path)
    starts = [i + 1 for i, line in enumerate(text.splitlines()) if re.match(r"^TY  - ", line)]
    try:
        entries = rispy.loads(text)
    except Exception as exc:  # rispy raises bare IOError/ParseError on bad files
        raise CorpusError(f"not valid RIS: {exc}; every record starts with 'TY  - ' and ends with 'ER  - '", path=path) from None
    records = []
    for i, entry in enumerate(entries):
        year = entry.get("year") or entry.get("publication_year") or entry.get("date")
        if year:
            match = re.search(r"\d{4}", str(year))
            year = match.group(0) if match else year
        authors = entry.get("authors") or entry.get("first_authors") or []
        venue = (
            entry.get("journal_name")
            or entry.get("secondary_title")
            or entry.get("alternate_title1")
            or entry.get("alternate_title3")
        )
        records.append(
            (
                starts[i] if i < len(starts) else None,
                {
                    "doi": entry.get("doi"),
                    "title": entry.get("primary_title") or entry.get("title"),
                    "authors": "; ".join(authors) if authors else None,
                    "publication_year": year,
                    "venue": venue,
                    "type": _RIS_TYPES.get(entry.get("type_of_reference", ""), None),
                    "abstract": entry.get("abstract"),
                },
            )
        )
    return records


_RIS_TYPES = {"JOUR": "article", "CHAP": "book-chapter", "BOOK": "book", "THES": "dissertation", "RPRT": "report"}


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
