"""Database exports: which format a file is, and how each maps to the corpus columns.

``detect_format`` looks at the file's name and first lines; ``read_records``
returns ``(line, record)`` pairs whose records use the corpus column names
(``doi, title, authors, publication_year, venue, type, type_as_shown,
abstract, keywords`` and the database's own id). The README's "Study your
own literature" table says, per format, which field fills which column; the
tables below are that table in code.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from ..errors import CorpusError
from ..ids import is_blank, issns
from .affiliations import pubmed_bundle, scopus_bundle, wos_bundle
from .csvfile import ALIASES, csv_table, sniff_delimiter
from .tagged import AFFILIATION_OWNERS, medline_records, wos_records
from .text import read_text

__all__ = ["FORMATS", "detect_format", "read_records", "normalize_type_label", "title_case", "mesh_terms",
           "issn_field", "ODD_FIELDS", "RAW_COLUMNS"]

#: The key under which a record lists the odd values left out of it (the reader counts them, per file).
ODD_FIELDS = "_odd"
#: Columns the readers fill where the export has them, beyond the corpus columns: times cited and whose
#: count it is; MeSH descriptors; the cited references as written and their format ("wos", "scopus"); the
#: authors' affiliations as JSON (:mod:`.affiliations`); other names of the venue ("; "); the venue's ISSNs
#: (NNNN-NNNC, "; ": :func:`issn_field`).
RAW_COLUMNS = ("cited_by_count", "cited_by_source", "mesh", "references_raw", "references_format",
               "affiliations_raw", "venue_abbrevs", "issn")

#: Placeholders databases write where a field is empty.
_PLACEHOLDERS = {"[no abstract available]", "no abstract available", "[no abstract]", "n/a", "none"}
_PLACEHOLDER_LENGTH = max(map(len, _PLACEHOLDERS))


def _empty(value) -> bool:
    """Blank, or a placeholder a database writes for an empty field."""
    if is_blank(value):
        return True
    text = str(value).strip()
    return len(text) <= _PLACEHOLDER_LENGTH and text.lower() in _PLACEHOLDERS


# --- types ------------------------------------------------------------------------------------------

_TYPES = {
    # OpenAlex's words, which the works table uses
    "article": "article", "journal article": "article", "journalarticle": "article", "research article": "article",
    "conference paper": "article", "proceedings paper": "article", "conferencepaper": "article",
    "article; proceedings paper": "article", "article; early access": "article", "proceedings article": "article",
    "review": "review", "systematic review": "review", "meta-analysis": "review", "conference review": "review",
    "review; early access": "review", "short survey": "review", "literature review": "review",
    "book chapter": "book-chapter", "booksection": "book-chapter", "chapter": "book-chapter",
    "book-chapter": "book-chapter", "incollection": "book-chapter", "inbook": "book-chapter",
    "book": "book", "monograph": "book", "edited book": "book",
    "thesis": "dissertation", "dissertation": "dissertation", "phdthesis": "dissertation",
    "mastersthesis": "dissertation",
    "report": "report", "techreport": "report", "preprint": "preprint", "posted content": "preprint",
    "editorial": "editorial", "editorial material": "editorial", "letter": "letter", "comment": "letter",
    "note": "other", "erratum": "erratum", "correction": "erratum", "data paper": "dataset", "dataset": "dataset",
    "book review": "other", "meeting abstract": "other", "misc": "other", "other": "other",
}


def normalize_type_label(value) -> str | None:
    """A database's document type in OpenAlex's words ("Conference Paper" -> "article"); None when unknown."""
    if _empty(value):
        return None
    text = re.sub(r"\s+", " ", str(value).strip().lower())
    return _TYPES.get(text) or _TYPES.get(text.split(";")[0].strip())


_SMALL = {"a", "an", "and", "as", "at", "by", "de", "for", "from", "in", "into", "of", "on", "or", "the", "to",
          "with", "la", "le", "des", "du", "und", "der"}


_ACRONYMS = {"BMC", "BMJ", "JAMA", "NEJM", "PLOS", "IEEE", "ACM", "AIDS", "HIV", "USA", "UK", "NHS", "NIHR", "WHO",
             "II", "III", "IV", "EPMA", "MMWR", "ANZ", "BJPSYCH"}


def title_case(text: str | None) -> str | None:
    """Web of Science's upper-case source names as titles: "JOURNAL OF PEER SUPPORT" -> "Journal of Peer Support".

    Known acronyms (BMC, BMJ, JAMA, PLOS, IEEE, …) and words without a vowel stay in capitals.
    """
    if text is None or not text.isupper():
        return text

    def word(i: int, w: str) -> str:
        bare = re.sub(r"\W", "", w)
        if bare in _ACRONYMS or (bare and not re.search(r"[AEIOUY]", bare)):
            return w
        lower = w.lower()
        if i and lower in _SMALL:
            return lower
        return "-".join(part[:1].upper() + part[1:] for part in lower.split("-"))

    return " ".join(word(i, w) for i, w in enumerate(text.split(" ")))


def issn_field(values) -> str | None:
    """The valid ISSNs of some export fields as NNNN-NNNC, "; " joined, each once; None when there is none.

    An ISSN with a wrong check digit is left out (see :func:`peerbib.ids.issns`); a value of five to seven
    digits alone is an ISSN whose leading zeros a spreadsheet dropped ("9638237" -> "0963-8237").
    """
    if isinstance(values, str):
        values = [values]
    found: list[str] = []
    for value in values:
        if _empty(value):
            continue
        text = str(value).strip()
        if text.isdigit() and 5 <= len(text) < 8:
            text = text.zfill(8)
        found += [issn for issn in issns(text) if issn not in found]
    return "; ".join(found) or None


# --- the formats --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Format:
    name: str
    label: str
    #: CSV formats: target column -> the export's column names, first non-empty wins
    columns: dict = field(default_factory=dict)
    #: how the export joins authors
    split_authors: Callable[[str], list[str]] | None = None
    #: columns whose values join into ``keywords``
    keywords: tuple = ()
    #: lines before the header (Dimensions' "About the data" note)
    preamble: Callable[[list[str]], int] | None = None
    #: the column of times cited, and the name of its source (``cited_by_source``)
    cited_by: tuple[str, str] | None = None
    #: columns whose values join into ``mesh``
    mesh: tuple = ()
    #: more fields from the row (header -> value): cited references, affiliations, ...
    extra: Callable[[dict], dict] | None = None
    #: columns whose ISSNs join into ``issn``
    issn: tuple = ()


def _split_semicolons(value: str) -> list[str]:
    return [a.strip() for a in value.split(";") if a.strip()]


def _split_scopus(value: str) -> list[str]:
    # 2023 and later: "Liu F.; Li C."; earlier: "Aguiar L., Gagnepain P." (a comma after each initial's stop)
    if ";" in value:
        return _split_semicolons(value)
    return [a.strip() for a in re.split(r"(?<=\.),\s*", value) if a.strip()]


def _scopus_extra(row: dict) -> dict:
    """Cited references, affiliations and the venue's abbreviation of a Scopus row."""
    # 2023 and later: "Author full names" ("Liu, Fengyuan (60410297700); …"); before: "Authors" alone
    full = [re.sub(r"\s*\(\d+\)\s*$", "", a) for a in _split_semicolons(row.get("Author full names") or "")]
    authors = full or _split_scopus(row.get("Authors") or "")
    references = row.get("References")
    return {
        "references_raw": None if _empty(references) else references,
        "references_format": None if _empty(references) else "scopus",
        "affiliations_raw": scopus_bundle(authors, row.get("Authors with affiliations"), row.get("Affiliations"),
                                          row.get("Correspondence Address")) if not _empty(
            row.get("Authors with affiliations")) or not _empty(row.get("Affiliations")) else None,
        "venue_abbrevs": row.get("Abbreviated Source Title") or None,
    }


SCOPUS = Format(
    "scopus", "Scopus CSV",
    columns={"title": ["Title"], "authors": ["Authors"], "publication_year": ["Year"], "venue": ["Source title"],
             "doi": ["DOI"], "abstract": ["Abstract"], "type_as_shown": ["Document Type"], "scopus_eid": ["EID"],
             "pmid": ["PubMed ID"]},
    split_authors=_split_scopus, keywords=("Author Keywords", "Index Keywords"), cited_by=("Cited by", "scopus"),
    extra=_scopus_extra, issn=("ISSN",))
ZOTERO = Format(
    "zotero", "Zotero CSV",
    columns={"title": ["Title"], "authors": ["Author"], "publication_year": ["Publication Year"],
             "venue": ["Publication Title"], "doi": ["DOI"], "abstract": ["Abstract Note"],
             "type_as_shown": ["Item Type"], "zotero_key": ["Key"]},
    split_authors=_split_semicolons, keywords=("Manual Tags", "Automatic Tags"), issn=("ISSN",))
def _split_pipes(value: str) -> list[str]:
    return [a.strip() for a in value.split("|") if a.strip()]


def _dimensions_preamble(lines: list[str]) -> int:
    """Dimensions writes a note ("About the data: Exported on …") above its header."""
    for i, line in enumerate(lines[:5]):
        cleaned = line.lstrip('\ufeff"').strip()
        if "Publication ID" in line and ("DOI" in line or "PubYear" in line):
            return i
        if not cleaned.startswith("About the data"):
            return 0
    return 0


LENS = Format(
    "lens", "Lens.org CSV",
    columns={"title": ["Title"], "authors": ["Author/s"], "publication_year": ["Publication Year", "Date Published"],
             "venue": ["Source Title", "Publisher"], "doi": ["DOI"], "abstract": ["Abstract"],
             "type_as_shown": ["Publication Type", "Document Type"], "lens_id": ["Lens ID"], "pmid": ["PMID"]},
    split_authors=_split_semicolons, keywords=("Keywords",), mesh=("MeSH Terms",),
    cited_by=("Citing Works Count", "lens"), issn=("ISSNs", "ISSN"))
DIMENSIONS = Format(
    "dimensions", "Dimensions CSV",
    columns={"title": ["Title"], "authors": ["Authors"], "publication_year": ["PubYear", "Publication Date"],
             "venue": ["Source title", "Source title/Anthology title", "Anthology title"], "doi": ["DOI"],
             "abstract": ["Abstract"], "type_as_shown": ["Publication Type", "Document Type"],
             "dimensions_id": ["Publication ID"], "pmid": ["PMID"]},
    split_authors=_split_semicolons, mesh=("MeSH terms",), preamble=_dimensions_preamble,
    cited_by=("Times cited", "dimensions"), issn=("ISSN", "e-ISSN", "eISSN"))
OPENALEX = Format(
    "openalex", "OpenAlex CSV",
    columns={
        # the export service (2024-): the API's fields flattened with dots; before 2025: underscores;
        # the 2026 web export: labels ("Work ID", "Title", "Author", "Year", "Source")
        "title": ["display_name", "title", "Title"],
        "authors": ["authorships.author.display_name", "author_names", "Author"],
        "publication_year": ["publication_year", "Year", "publication_date", "Date"],
        "venue": ["primary_location.source.display_name", "primary_location_display_name", "Source"],
        "doi": ["doi", "DOI"], "abstract": ["abstract", "Abstract"], "type_as_shown": ["type", "Type"],
        "openalex_id": ["id", "Work ID"],
    },
    split_authors=_split_pipes, keywords=("keywords.display_name", "Keyword"),
    cited_by=("cited_by_count", "openalex"),
    issn=("primary_location.source.issn_l", "primary_location.source.issn", "ISSN"))
WOS_TAGS = {"title": "TI", "venue": "SO", "doi": "DI", "abstract": "AB", "type_as_shown": "DT", "wos_ut": "UT",
            "pmid": "PM"}
WOS_TAB = Format("wos-tab", "Web of Science tab-delimited")
WOS = Format("wos", "Web of Science plain text")
PUBMED = Format("pubmed", "PubMed/MEDLINE")
BIBTEX = Format("bibtex", "BibTeX")
RIS = Format("ris", "RIS")
CSV = Format("csv", "CSV")

FORMATS: dict[str, Format] = {f.name: f for f in (SCOPUS, WOS, WOS_TAB, PUBMED, ZOTERO, OPENALEX, LENS, DIMENSIONS,
                                                  BIBTEX, RIS, CSV)}


# --- detection --------------------------------------------------------------------------------------


def _first_lines(text: str, n: int = 5) -> list[str]:
    return [line for line in _head_lines(text, 50) if line.strip()][:n]


def detect_format(path: Path, text: str) -> str:
    """The format of a corpus file, from its first lines (and its name where they cannot tell)."""
    lines = _first_lines(text)
    first = lines[0] if lines else ""
    suffix = path.suffix.lower()
    if first.startswith("FN ") or (first.startswith("PT ") and any(line.startswith("AU ") for line in lines)):
        return "wos"
    if first.startswith("PT\t") or first.split("\t")[:2] == ["PT", "AU"]:
        return "wos-tab"
    if first.startswith("PMID-"):
        return "pubmed"
    if any(re.match(r"^TY  -", line) for line in lines[:3]):
        return "ris"
    if re.match(r"^\s*@\w+\s*[{(]", first) or (suffix in (".bib", ".bibtex") and "@" in text):
        return "bibtex"
    if suffix in (".bib", ".bibtex"):
        return "bibtex"
    if suffix == ".ris":
        return "ris"
    if suffix == ".nbib":
        return "pubmed"
    header = set(_header(text, _dimensions_preamble(_head_lines(text, 5))))
    for fmt in CSV_FORMATS:
        if fmt.detect(header, first):
            return fmt.name
    if suffix in (".txt", ".tsv") and not ({"doi", "title", "DOI", "Title"} & {h.strip() for h in header}):
        raise CorpusError(
            "not a corpus format peerbib recognises: Web of Science plain text starts with 'FN', its "
            "tab-delimited export with 'PT<tab>AU', PubMed's with 'PMID-', RIS with 'TY  -', a CSV with a "
            "header naming doi or title; or say the format: read_corpus(path, format=...)", path=path, line=1)
    return "csv"


def _head_lines(text: str, n: int) -> list[str]:
    """The first ``n`` lines of ``text`` (without copying the rest of a large file)."""
    head = text[: 1 << 20]
    return head.split("\n", n)[:n]


def _header(text: str, skip: int = 0) -> list[str]:
    lines = _head_lines(text, skip + 1)[skip:skip + 1]
    if not lines or not lines[0].strip():
        return []
    try:
        columns, _ = csv_table(None, lines[0] + "\n", header_only=True)
    except CorpusError:
        return []
    return [c.strip().lstrip("\ufeff") for c in columns]


@dataclass(frozen=True)
class _Csv:
    name: str
    detect: Callable[[set, str], bool]


CSV_FORMATS = [
    _Csv("scopus", lambda h, first: {"Source title", "EID"} <= h or {"Authors", "Source title", "Document Type"} <= h),
    _Csv("zotero", lambda h, first: {"Item Type", "Publication Title", "Key"} <= h),
    _Csv("lens", lambda h, first: {"Lens ID", "Author/s"} <= h),
    _Csv("dimensions", lambda h, first: {"Publication ID", "PubYear"} <= h
         or first.lstrip('\ufeff"').startswith("About the data")),
    _Csv("openalex", lambda h, first: ("id" in h and any(c.startswith(("authorships.", "primary_location."))
                                                         for c in h))
         or {"display_name", "author_names"} <= h or "Work ID" in h),
]


# --- reading --------------------------------------------------------------------------------------


def read_records(path: Path, fmt: str | None = None) -> tuple[str, list[tuple[int, dict]]]:
    """(format, records) of a corpus file; ``fmt`` overrides the detection."""
    text = read_text(path)
    name = fmt or detect_format(path, text)
    if name not in FORMATS:
        raise CorpusError(f"unknown format {name!r}; use one of {', '.join(FORMATS)}", path=path)
    if name == "bibtex":
        from .bibtex import read_bibtex

        records = read_bibtex(path, text)
    elif name == "ris":
        from .ris import read_ris

        records = read_ris(path, text)
    elif name == "wos":
        records = [(line, _from_wos(tags)) for line, tags in wos_records(text, path)]
    elif name == "wos-tab":
        records = _read_wos_tab(path, text)
    elif name == "pubmed":
        records = [(line, _from_medline(tags)) for line, tags in medline_records(text, path)]
    elif name == "csv":
        records = _read_generic_csv(path, text)
    else:
        records = _read_mapped_csv(path, text, FORMATS[name])
    if not records:
        raise CorpusError(f"no records found in this {FORMATS[name].label} file: is it the export itself, and "
                          "not empty or cut short?", path=path)
    return name, records


def _join(values) -> str | None:
    kept = [v for v in values if not _empty(v)]
    return "; ".join(dict.fromkeys(kept)) if kept else None


def _finish(record: dict) -> dict:
    record = {k: (None if _empty(v) else (v.strip() if isinstance(v, str) else v)) for k, v in record.items()}
    shown = record.get("type_as_shown")
    record["type"] = normalize_type_label(shown) if shown else record.get("type")
    return record


def _year(value) -> str | None:
    if _empty(value):
        return None
    match = re.search(r"(?<!\d)(1[5-9]\d\d|20\d\d)(?!\d)", str(value))
    return match.group(1) if match else str(value).strip()


def _from_wos(tags: dict[str, list[str]]) -> dict:
    def joined(tag):
        values = tags.get(tag)
        return " ".join(values) if values else None

    authors = tags.get("AF") or tags.get("AU") or []
    keywords = []
    for tag in ("DE", "ID"):
        if tags.get(tag):
            keywords += _split_semicolons(" ".join(tags[tag]))
    record = {target: joined(tag) for target, tag in WOS_TAGS.items()}
    record["venue"] = title_case(record["venue"])
    if record["title"] and record["title"].endswith(" *"):
        record["title"] = record["title"][:-2].rstrip()  # a footnote mark Web of Science keeps in titles
    # an early-access record has no PY yet: its year is the early-access date's
    record["publication_year"] = _year(joined("PY")) or _year(joined("EA"))
    record["authors"] = "; ".join(a.strip() for a in authors if a.strip()) or None
    record["keywords"] = _join(keywords)
    # times cited in the Web of Science Core Collection (TC), else in all its databases (Z9)
    for tag, source in (("TC", "wos-tc"), ("Z9", "wos-z9")):
        if tags.get(tag):
            _cited_by(record, joined(tag), source)
            if record.get("cited_by_count") is not None:
                break
    references = [line for line in tags.get("CR", []) if line.strip()]
    record["references_raw"] = "\n".join(references) or None
    record["references_format"] = "wos" if references else None
    record["affiliations_raw"] = wos_bundle(tags) if tags.get("C1") or tags.get("RP") else None
    record["venue_abbrevs"] = _join([joined("J9"), joined("JI")])
    record["issn"] = issn_field(tags.get("SN", []) + tags.get("EI", []))  # print, electronic
    return _finish(record)


def _cited_by(record: dict, value, source: str) -> None:
    """``cited_by_count`` and ``cited_by_source`` from a times-cited field; an odd value is left out, noted."""
    if _empty(value):
        return
    text = str(value).strip().replace(",", "")
    if re.fullmatch(r"\d+(\.0)?", text):
        record["cited_by_count"] = int(float(text))
        record["cited_by_source"] = source
    else:
        record.setdefault(ODD_FIELDS, []).append(f"times cited {str(value)[:20]!r}")


def _read_wos_tab(path: Path, text: str) -> list[tuple[int, dict]]:
    header, rows = csv_table(path, text, delimiter="\t", quoting=False)
    records = []
    width = len(header)
    for line, fields in rows:
        if len(fields) == width + 1 and not fields[-1].strip():
            fields = fields[:-1]  # every row ends with a tab
        if len(fields) != width:
            raise CorpusError(f"{len(fields)} fields where the header has {width}", path=path, line=line)
        row = dict(zip(header, fields))
        tags = {tag: [value] for tag, value in row.items() if value.strip()}
        for tag in ("AU", "AF"):
            if tag in tags:
                tags[tag] = _split_semicolons(tags[tag][0])
        if "CR" in tags:  # "; " between references (a SICI DOI holds a ";" with no space after it)
            tags["CR"] = [r.strip() for r in tags["CR"][0].split("; ") if r.strip()]
        if "C1" in tags:  # "[A; B] address; [C] address": the semicolons inside brackets stay
            tags["C1"] = [a.strip() for a in re.split(r";\s*(?![^\[]*\])", tags["C1"][0]) if a.strip()]
        records.append((line, _from_wos(tags)))
    return records


def _from_medline(tags: dict[str, list[str]]) -> dict:
    def first(tag):
        values = tags.get(tag)
        return values[0] if values else None

    doi = None
    for tag in ("LID", "AID"):
        for value in tags.get(tag, []):
            if value.endswith("[doi]"):
                doi = value[: -len("[doi]")].strip()
                break
        if doi:
            break
    title = first("TI") or first("BTI")
    if title and title.endswith(".") and not title.endswith(".."):
        title = title[:-1]  # MEDLINE ends every title with a full stop
    if title and title.startswith("[") and title.endswith("]"):
        title = title[1:-1]  # a translated title
    types = tags.get("PT", [])
    kind = next((normalize_type_label(t) for t in types if normalize_type_label(t) in ("review", "editorial",
                                                                                          "letter", "erratum")), None)
    authors = tags.get("FAU") or tags.get("AU") or []
    addresses: list[list[str]] = [[] for _ in authors]
    for address, owner in zip(tags.get("AD", []), tags.get(AFFILIATION_OWNERS, [])):
        if 0 <= int(owner) < len(addresses):
            addresses[int(owner)].append(address)
    record = {
        "doi": doi, "title": title, "authors": "; ".join(authors) or None,
        "publication_year": _year(first("DP")), "venue": first("JT") or first("TA"), "abstract": first("AB"),
        "type_as_shown": "; ".join(types) or None, "keywords": _join(tags.get("OT", [])),
        "mesh": mesh_terms(tags.get("MH", [])), "pmid": first("PMID"),
        "affiliations_raw": pubmed_bundle(authors, addresses) if any(addresses) else None,
        "venue_abbrevs": first("TA"),
        "issn": issn_field(tags.get("IS", [])),  # "1533-4406 (Electronic)", "0028-4793 (Print)"
    }
    record = _finish(record)
    record["type"] = kind or ("article" if "Journal Article" in types else record["type"])
    return record


def mesh_terms(headings) -> str | None:
    """MeSH headings as MEDLINE writes them ("Peer Group/*organization & administration", "*Mentors") as
    their descriptors, "; " joined: the subheadings and the major-topic stars left out, each once."""
    terms = []
    for heading in headings:
        descriptor = str(heading).split("/")[0].strip().lstrip("*").strip()
        if descriptor and descriptor not in terms:
            terms.append(descriptor)
    return "; ".join(terms) or None


def _read_mapped_csv(path: Path, text: str, fmt: Format) -> list[tuple[int, dict]]:
    header, rows = csv_table(path, text, skip=fmt.preamble(_head_lines(text, 5)) if fmt.preamble else 0)
    header = [h.strip() for h in header]
    index = {name: i for i, name in enumerate(header)}
    width = len(header)
    # Scopus writes an extra "Funding Text n" field that its header does not name: the columns up to
    # the funding block stay in place, the ones after it are read from the row's end.
    funding = next((i for i, name in enumerate(header) if name.startswith("Funding Text")), None)
    targets = [(target, [index[n] for n in names if n in index]) for target, names in fmt.columns.items()]
    keyword_columns = [index[name] for name in fmt.keywords if name in index]
    mesh_columns = [index[name] for name in fmt.mesh if name in index]
    issn_columns = [index[name] for name in fmt.issn if name in index]
    records = []
    for line, fields in rows:
        if len(fields) != width:
            if not (fmt is SCOPUS and funding is not None and len(fields) > width):
                raise CorpusError(f"{len(fields)} fields where the header has {width}; export the file again "
                                  "or quote values that contain the separator", path=path, line=line)
            shift = len(fields) - width
            fields = fields[: funding + 1] + fields[funding + 1 + shift:]
        record = {target: next((fields[i] for i in columns if not _empty(fields[i])), None)
                  for target, columns in targets}
        if record.get("authors") and fmt.split_authors:
            record["authors"] = "; ".join(fmt.split_authors(record["authors"]))
        record["keywords"] = _join(k for i in keyword_columns if fields[i] for k in _split_semicolons(fields[i]))
        record["publication_year"] = _year(record.get("publication_year"))
        if mesh_columns:
            record["mesh"] = mesh_terms(k for i in mesh_columns if fields[i] for k in _split_semicolons(fields[i]))
        if issn_columns:
            record["issn"] = issn_field([fields[i] for i in issn_columns])
        if fmt.cited_by and fmt.cited_by[0] in index:
            record["cited_by_count"] = record["cited_by_source"] = None
            _cited_by(record, fields[index[fmt.cited_by[0]]], fmt.cited_by[1])
        if fmt.extra:
            record.update(fmt.extra(dict(zip(header, fields))))
        records.append((line, _finish(record)))
    return records


def _read_generic_csv(path: Path, text: str) -> list[tuple[int, dict]]:
    from .csvfile import read_csv_rows

    records = read_csv_rows(path, required_any=("doi", "title"), aliases=ALIASES, text=text)
    names = ("issn", "issns", "eissn", "e_issn", "issn_l", "print_issn", "electronic_issn")
    if records and any(name in records[0][1] for name in names):
        for _, record in records:
            record["issn"] = issn_field([record.get(name) for name in names])
    return records


def sniffed(path: Path) -> str:
    """The separator of a CSV file (for messages)."""
    return sniff_delimiter(read_text(path).split("\n", 1)[0])
