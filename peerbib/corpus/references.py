"""Cited references as database exports write them, read into rows and matched to works.

Web of Science's ``CR`` field gives one reference a line::

    Smith J, 2010, J PSYCHIATR RES, V44, P1, DOI 10.1016/j.jpsychires.2009.01.001
    [Anonymous], 2001, WORLD HLTH REP
    Ceh M, 2018, ISPRS INT J GEO-INF, V7, DOI [10.3390/ijgi705168, 10.3390/ijgi7050168]

(first author, year, source as the 29-character abbreviation, ``V`` volume, ``P`` page, DOIs). Scopus's
"References" cell joins the references with "; ", in one of two styles: before 2023 ::

    Smith, J., Doe, A., Title (2010) Journal, 44 (1), pp. 1-10. , https://doi.org/10.1/x

and since, with the authors themselves joined by "; " and the year last::

    Smith J.; Doe A., Title, J Abbrev, 44, 1, pp. 1-10, (2010)

:func:`parse_references` reads either into rows of :data:`REFERENCE_FIELDS` (what cannot be read is left
out and counted); :func:`match_references` gives each row the id of the cited work: a works id when the
reference is a work of the tables (by DOI, else title and year, else first author, year and source), else
a key shared by every reference to the same work, ``doi:10.…`` or ``ref:surname i|year|source``.
"""
from __future__ import annotations

import re
from collections import Counter, defaultdict

import pandas as pd

from ..ids import is_blank, is_valid_doi, normalize_doi, normalize_title
from .names import name_key, plain, split_name

__all__ = ["REFERENCE_FIELDS", "MATCH_METHODS", "parse_references", "reference_count", "parse_wos_reference",
           "parse_scopus_reference", "split_scopus_references", "reference_key", "match_references",
           "same_source"]

#: What a parsed reference gives (None where the reference does not say).
REFERENCE_FIELDS = ("cited_author", "cited_year", "cited_venue", "cited_volume", "cited_page", "cited_doi",
                    "cited_title", "cited_text")
#: How :func:`match_references` found the work a reference cites (None: no work of the tables).
MATCH_METHODS = ("doi", "title", "author-year-source", "same-reference")

# a DOI ends at a space, comma or bracket; a semicolon not followed by a space is part of it (SICI DOIs:
# "10.1002/1097-0266(200008)21:8<791::AID-SMJ121>3.0.CO;2-K")
_DOI = re.compile(r"10\.\d{4,9}/(?:[^\s,;\[\]]|;(?=[^\s;]))+")
_YEAR = re.compile(r"^(1[5-9]\d\d|20\d\d)[a-z]?$")
_PAREN_YEAR = re.compile(r"\((1[5-9]\d\d|20\d\d)[a-z]?\)")


def _dois(text: str) -> list[str]:
    found = []
    for match in _DOI.finditer(text):
        doi = normalize_doi(match.group(0))
        if doi and is_valid_doi(doi) and doi not in found:
            found.append(doi)
    return found


def _row(**fields) -> dict:
    row = dict.fromkeys(REFERENCE_FIELDS)
    row.update({k: (v.strip(" ,;") or None) if isinstance(v, str) else v for k, v in fields.items()})
    if row["cited_title"]:
        row["cited_title"] = row["cited_title"].rstrip(". ") or None
    return row


# --- Web of Science --------------------------------------------------------------------------------------


def parse_wos_reference(text: str) -> dict | None:
    """One ``CR`` line as a row of :data:`REFERENCE_FIELDS`; None when it names nothing."""
    if not isinstance(text, str) or not text.strip():
        return None
    raw = " ".join(text.split())
    dois = _dois(raw)
    # the DOI part, bracketed or not, is the last field
    body = re.sub(r",?\s*DOI\s*(?:\[[^\]]*\]?|\S+)\s*$", "", raw, flags=re.IGNORECASE) if dois else raw
    parts = [p.strip() for p in body.split(",")]
    author = year = venue = volume = page = None
    rest = parts
    if parts and _YEAR.match(parts[0]):
        year, rest = parts[0][:4], parts[1:]
    else:
        author, rest = parts[0], parts[1:]
        if rest and _YEAR.match(rest[0]):
            year, rest = rest[0][:4], rest[1:]
    if rest:
        venue, rest = rest[0], rest[1:]
    for part in rest:
        if volume is None and re.fullmatch(r"V\s?\S+", part):
            volume = part[1:].strip()
        elif page is None and re.fullmatch(r"[Pp]\s?\S+", part):
            page = part[1:].strip()
    if split_name(author or "") is None:
        author = None
    if not (author or year or venue or dois):
        return None
    return _row(cited_author=author, cited_year=year, cited_venue=venue, cited_volume=volume, cited_page=page,
                cited_doi="; ".join(dois) or None, cited_text=raw)


# --- Scopus ------------------------------------------------------------------------------------------------

# "Surname, I., " one author of the older style ("MacKerell Jr., A.D., ", "Leone Sciabolazza, V., ")
_OLD_AUTHOR = re.compile(r"[^,;()]{1,80}?, (?:[A-Z][a-z]?\.\s?-?\s?)+(?:, Jr\.)?,\s*")
# a name of the newer style: "Smith J.", "van Eck N.J.", "Calin GA", "Bucaro J. A."
_NEW_AUTHOR = re.compile(r"[^\W\d][\w'’\-. ]{0,60}? (?:[A-Z]\.?\s?-?){1,4}|\[No author name available\]")


def split_scopus_references(cell: str) -> list[str]:
    """A Scopus "References" cell as one string per reference (either style; see the module notes)."""
    if not isinstance(cell, str) or not cell.strip():
        return []
    text = " ".join(cell.split())
    pieces = [p.strip() for p in text.split("; ") if p.strip()]
    ends = len(re.findall(r"\((?:1[5-9]\d\d|20\d\d)[a-z]?\)\s*;", text)) + 1
    old_starts = sum(1 for p in pieces if _OLD_AUTHOR.match(p))
    if re.search(r"\((?:1[5-9]\d\d|20\d\d)[a-z]?\)\s*\.?$", text) and ends > old_starts:
        # the newer style: each reference ends with its year in brackets
        return [p.strip() for p in re.split(r"(?<=\))\s*;\s+(?=\S)", text)
                if p.strip() and (_PAREN_YEAR.search(p) or p is text)] or [text]
    return pieces


def _pages(part: str) -> str | None:
    match = re.match(r"^pp?\.\s*([\w\-–]+)", part.strip())
    return match.group(1) if match else None


def _parse_new_scopus(text: str, dois: list[str]) -> dict:
    years = list(_PAREN_YEAR.finditer(text))
    year = years[-1].group(1) if years else None
    body = text[: years[-1].start()] if years else text
    body = re.sub(r",?\s*(?:https?://\S+|doi:?\s*10\.\S+)", "", body, flags=re.IGNORECASE)
    parts = [p.strip() for p in body.rstrip(" ,").split(", ")]
    author = None
    names = parts[0].split("; ") if parts else []
    if names and all(_NEW_AUTHOR.fullmatch(n.strip()) for n in names):
        author, parts = names[0], parts[1:]
    page = volume = None
    while parts and (_pages(parts[-1]) or re.fullmatch(r"[\w\-–]{1,12}", parts[-1]) and re.search(r"\d",
                                                                                                  parts[-1])):
        last = parts.pop()
        if _pages(last):
            page = _pages(last)
        else:
            volume = last  # the issue comes after the volume: the last number left is the volume
    venue = parts.pop() if len(parts) > 1 or (parts and author is None and not parts[0].endswith(".")) else None
    title = ", ".join(parts) or None
    return _row(cited_author=author, cited_year=year, cited_venue=venue, cited_volume=volume,
                cited_page=page.split("-")[0] if page else None, cited_doi="; ".join(dois) or None,
                cited_title=title, cited_text=text)


def _parse_old_scopus(text: str, dois: list[str]) -> dict:
    authors = []
    position = 0
    while True:
        match = _OLD_AUTHOR.match(text, position)
        if not match:
            break
        authors.append(match.group(0).strip(" ,"))
        position = match.end()
    rest = text[position:]
    year_match = _PAREN_YEAR.search(rest)
    title = venue = volume = page = year = None
    if year_match:
        year = year_match.group(1)
        title = rest[: year_match.start()].strip(" ,") or None
        after = rest[year_match.end():].strip()
        after = re.sub(r"\.?\s*,?\s*(?:https?://\S+|doi:?\s*10\.\S+).*$", "", after, flags=re.IGNORECASE)
        parts = [p.strip() for p in after.split(", ")]
        venue = parts[0] if parts and parts[0] and not _pages(parts[0]) else None
        for part in parts[1:]:
            if volume is None and re.match(r"^\d+\b", part):
                volume = re.match(r"^\d+", part).group(0)
            elif page is None and _pages(part):
                page = _pages(part).split("-")[0]
    else:
        title = rest.strip(" ,") or None
    return _row(cited_author=authors[0] if authors else None, cited_year=year, cited_venue=venue,
                cited_volume=volume, cited_page=page, cited_doi="; ".join(dois) or None, cited_title=title,
                cited_text=text)


def parse_scopus_reference(text: str) -> dict | None:
    """One Scopus reference (either style) as a row of :data:`REFERENCE_FIELDS`; None when it names nothing."""
    if not isinstance(text, str) or not text.strip():
        return None
    text = " ".join(text.split())
    dois = _dois(text)
    if _OLD_AUTHOR.match(text) or not re.search(r"\((?:1[5-9]\d\d|20\d\d)[a-z]?\)\s*\.?$", text):
        row = _parse_old_scopus(text, dois)
    else:
        row = _parse_new_scopus(text, dois)
    if not (row["cited_author"] or row["cited_year"] or row["cited_venue"] or row["cited_title"] or dois):
        return None
    return row


def reference_count(raw, fmt) -> int:
    """How many references a raw reference list holds (without reading them)."""
    if is_blank(raw):
        return 0
    if fmt == "wos":
        return sum(1 for line in str(raw).split("\n") if line.strip())
    return len(split_scopus_references(str(raw)))


def parse_references(raw, fmt: str) -> tuple[list[dict], int]:
    """(rows, skipped) of a work's raw reference list: ``fmt`` "wos" (``CR`` lines joined by newlines) or
    "scopus" (the "References" cell). ``skipped`` counts the references that could not be read."""
    if is_blank(raw):
        return [], 0
    if fmt == "wos":
        items, parse = [line for line in str(raw).split("\n") if line.strip()], parse_wos_reference
    elif fmt == "scopus":
        items, parse = split_scopus_references(str(raw)), parse_scopus_reference
    else:
        raise ValueError(f"unknown reference format {fmt!r}; use 'wos' or 'scopus'")
    rows, skipped = [], 0
    for item in items:
        try:
            row = parse(item)
        except (ValueError, IndexError, AttributeError):
            row = None
        if row is None:
            skipped += 1
        else:
            rows.append(row)
    return rows, skipped


# --- matching -------------------------------------------------------------------------------------------

_STOP = {"of", "the", "and", "for", "in", "on", "de", "la", "et", "y", "und", "fur", "a", "an", "to", "du", "des"}


def _abbreviates(short: list[str], full: list[str]) -> bool:
    """True when the words of ``short`` abbreviate those of ``full`` in order ("j psychiatr res" and
    "journal of psychiatric research"; "community ment hlt j" and "community mental health journal")."""
    short = [w for w in short if w not in _STOP]
    full = [w for w in full if w not in _STOP]
    if not short or len(short) > len(full):
        return False
    for s, f in zip(short, full):
        if s[0] != f[0]:
            return False
        it = iter(f)
        if not f.startswith(s) and not all(ch in it for ch in s):
            return False
    # a 29-character abbreviation is cut short: words may be left over only at its end
    return len(short) == len(full) or len(" ".join(short)) >= 18


def same_source(source, names) -> bool:
    """True when a reference's ``source`` names the same venue as one of ``names`` (full names or
    abbreviations), compared without case, accents and punctuation, abbreviations word by word."""
    if is_blank(source):
        return False
    ref = plain(str(source)).split()
    for name in names:
        if is_blank(name):
            continue
        other = plain(str(name)).split()
        if ref == other or _abbreviates(ref, other) or _abbreviates(other, ref):
            return True
    return False


def reference_key(row: dict) -> str | None:
    """"smith j|2010|j psychiatr res": the first author's name key, the year and the source, for references
    that give at least two of them (else None)."""
    author = name_key(row.get("cited_author"), surname_first=True) or ""
    year = str(row.get("cited_year") or "")
    venue = plain(str(row.get("cited_venue") or ""))
    if sum(map(bool, (author, year, venue))) < 2:
        return None
    return f"{author}|{year}|{venue}"


def _canonical_dois(rows: list[dict]) -> dict[str, str]:
    """DOI -> the DOI that stands for its work: DOIs given together for one reference are one work's,
    and the one most often given (then the first in order) stands for all."""
    parent: dict[str, str] = {}

    def find(doi):
        while parent.setdefault(doi, doi) != doi:
            parent[doi] = parent[parent[doi]]
            doi = parent[doi]
        return doi

    counts = Counter()
    for row in rows:
        dois = (row.get("cited_doi") or "").split("; ") if row.get("cited_doi") else []
        counts.update(dois)
        for doi in dois:
            find(doi)
        for other in dois[1:]:
            a, b = find(dois[0]), find(other)
            if a != b:
                parent[b] = a
    groups = defaultdict(list)
    for doi in parent:
        groups[find(doi)].append(doi)
    best = {}
    for members in groups.values():
        chosen = sorted(members, key=lambda d: (-counts[d], d))[0]
        best.update(dict.fromkeys(members, chosen))
    return best


class _WorkIndex:
    """The works a reference may cite: by DOI, by title, by first author's surname and year."""

    def __init__(self, works: pd.DataFrame, venues: dict[str, list[str]] | None = None):
        self.by_doi, self.by_title, self.by_author = {}, defaultdict(list), defaultdict(list)
        self.venues = defaultdict(list)
        none = [None] * len(works)
        for wid, doi, title, year, authors, venue in zip(
                works["work_id"], works.get("doi", none), works.get("title", none),
                works.get("publication_year", none), works.get("authors", none), works.get("venue", none)):
            wid = str(wid)
            doi = normalize_doi(doi) if isinstance(doi, str) else None
            if doi:
                self.by_doi.setdefault(doi, wid)
            year = None if is_blank(year) else int(year)
            if not is_blank(title) and year is not None:
                self.by_title[(normalize_title(title), year)].append(wid)
            first = str(authors).split(";")[0] if not is_blank(authors) else ""
            surname = split_name(first)
            if surname and year is not None:
                self.by_author[(plain(surname[0]), year)].append(wid)
            if not is_blank(venue):
                self.venues[wid].append(str(venue))
        for wid, names in (venues or {}).items():
            self.venues[wid].extend(names)

    def find(self, row: dict, dois: list[str]) -> tuple[str | None, str | None]:
        for doi in dois:
            if doi in self.by_doi:
                return self.by_doi[doi], "doi"
        year = row.get("cited_year")
        year = int(year) if isinstance(year, str) and year.isdigit() else None
        if year is None:
            return None, None
        title = normalize_title(row.get("cited_title"))
        if len(title) >= 20:
            found = {w for y in (year, year - 1, year + 1) for w in self.by_title.get((title, y), [])}
            if len(found) == 1:
                return found.pop(), "title"
        author = split_name(row.get("cited_author"), surname_first=True)
        if author and row.get("cited_venue"):
            found = {w for w in self.by_author.get((plain(author[0]), year), [])
                     if same_source(row["cited_venue"], self.venues.get(w, []))}
            if len(found) == 1:
                return found.pop(), "author-year-source"
        return None, None


def match_references(rows: list[dict], works: pd.DataFrame, *, venues: dict[str, list[str]] | None = None
                     ) -> list[dict]:
    """Give each parsed reference row the id of the work it cites: ``cited_id`` and ``match_method``.

    Parameters
    ----------
    rows : list of dict
        Rows of :data:`REFERENCE_FIELDS` (plus whatever else, e.g. ``citing_id``), in any number of citing
        works: the ids of references to the same work agree across all of them.
    works : DataFrame
        The works (``work_id``, ``doi``, ``title``, ``publication_year``, ``authors``, ``venue``).
    venues : dict, optional
        work id -> other names of its venue (the abbreviations the exports give), for matching sources.

    Returns
    -------
    list of dict
        New rows: ``cited_id`` is the matched work's id (``match_method`` "doi", "title",
        "author-year-source", or "same-reference": another reference written with the same first author,
        year and source gives the DOI of a work); else ``doi:<doi>`` or ``ref:<author|year|source>`` (the
        same for every reference to one work written alike) with ``match_method`` None; ``cited_doi``
        the one DOI that stands for the cited work.
    """
    index = _WorkIndex(works, venues)
    canonical = _canonical_dois(rows)
    by_key: dict[str, set] = defaultdict(set)
    keys = [reference_key(row) for row in rows]
    for row, key in zip(rows, keys):
        if key and row.get("cited_doi"):
            by_key[key].add(canonical[row["cited_doi"].split("; ")[0]])
    out = []
    for row, key in zip(rows, keys):
        given = row["cited_doi"].split("; ") if row.get("cited_doi") else []
        dois = list(dict.fromkeys([canonical[d] for d in given] + given))
        work, method = index.find(row, dois)
        inferred = by_key.get(key) if key and not dois else None
        if work is None and inferred and len(inferred) == 1:
            (doi,) = inferred
            work = index.by_doi.get(doi)
            method = "same-reference" if work else None
            dois = [doi]
        if work is None:
            if dois:
                work = f"doi:{dois[0]}"
            elif key:
                work = f"ref:{key}"
            else:
                text = normalize_title(row.get("cited_title") or row.get("cited_text"))
                work = f"ref:{text}" if text else None
        if work is None:
            continue
        out.append({**row, "cited_id": work, "cited_doi": dois[0] if dois else None, "match_method": method})
    return out
