"""Collecting the corpus: which corpus files a raw folder holds, and reading them together (overlapping
exports merged).

Researchers search several databases and export each: the same work then
comes in a Scopus file and a Web of Science file. Read together, it is one
work: records are the same work when they share a DOI, or, when one of them
has none, the same normalised title, year and first author's surname. Each
field comes from the most complete record (the one with most fields filled),
the others filling what it lacks; ``corpus_files`` lists every file and line
that held the work. Conflicts (the same DOI with different years; the same
title, year and first author with different DOIs, which are kept apart) are
reported, not hidden. The user settles what the merge cannot know in
``same_works.csv`` and ``different_works.csv`` (see :mod:`.user_merges`).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..errors import CorpusError
from ..ids import is_blank, normalize_title
from .affiliations import bundle_size
from .formats import FORMATS, issn_field
from .references import reference_count
from .searches import is_search_file
from .read import CORPUS_SUFFIXES, corpus_frame, local_work_id, read_corpus_rows
from .user_merges import DIFFERENT_WORKS, SAME_WORKS, USER_FILES, UserMerges, read_user_merges, ref_text, resolve

__all__ = ["corpus_files", "unread_files", "unread_warning", "read_corpora", "MergeReport"]

#: The fields that say how complete a record is, and that merging fills.
_FIELDS = ("doi", "title", "authors", "publication_year", "venue", "type", "abstract", "keywords")


def corpus_files(raw) -> list[Path]:
    """The corpus files of a raw folder: every export, CSV, BibTeX or RIS file in ``corpus/``
    and any such file directly in ``raw`` whose name contains "corpus".
    ``raw`` may also be one corpus file. Hidden files, READMEs, the user's merge decisions
    (``same_works.csv``, ``different_works.csv``: see :mod:`.user_merges`) and the record of the search
    (``searches.csv``, ``searches.md``: see :mod:`.searches`) are left out."""
    raw = Path(raw)
    if raw.is_file():
        return [raw]
    if not raw.is_dir():
        return []

    def wanted(path: Path) -> bool:
        return (path.is_file() and path.suffix.lower() in CORPUS_SUFFIXES and not path.name.startswith(".")
                and not path.stem.lower().startswith("readme") and path.name.lower() not in USER_FILES
                and not is_search_file(path))

    found = []
    if (raw / "corpus").is_dir():
        found += [p for p in (raw / "corpus").iterdir() if wanted(p)]
    found += [p for p in raw.iterdir() if wanted(p) and "corpus" in p.stem.lower()]
    return sorted(found)


def unread_files(raw) -> list[str]:
    """The entries of ``raw/corpus/`` that :func:`corpus_files` leaves out (hidden files, READMEs and the
    record of the search aside):
    files of another format (``.ciw``, ``.enw``, …), folders, and symlinks that lead nowhere."""
    folder = Path(raw) / "corpus"
    if not folder.is_dir():
        return []
    read = set(corpus_files(raw))
    return sorted(p.name + ("/" if p.is_dir() else "") for p in folder.iterdir()
                  if p not in read and not p.name.startswith(".") and not p.stem.lower().startswith("readme")
                  and p.name.lower() not in USER_FILES and not is_search_file(p))


def unread_warning(raw) -> str | None:
    """A warning naming the files of ``raw/corpus/`` that are not read, and the formats that are."""
    names = unread_files(raw)
    if not names:
        return None
    shown = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
    return (f"corpus: not read: {shown} in {Path(raw) / 'corpus'} (peerbib reads files ending in "
            f"{', '.join(CORPUS_SUFFIXES)}: export Scopus CSV, Web of Science plain text or tab-delimited, PubMed, "
            "BibTeX or RIS; a broken symlink leads nowhere)")


@dataclass
class MergeReport:
    """What reading several corpus files together did."""

    files: int = 0
    records: int = 0
    works: int = 0
    #: records folded into another record of the same work (across files, or agreeing repeats in one file)
    merged: int = 0
    conflicts: list = field(default_factory=list)
    #: one dict per file: ``file`` (name), ``format`` (e.g. "Scopus CSV"), ``records``
    sources: list = field(default_factory=list)
    #: values the readers left out, one line per file that had some ("scopus.csv: 2 odd values left out (…)")
    warnings: list = field(default_factory=list)
    #: what ``same_works.csv`` and ``different_works.csv`` merged or kept apart, one line per row
    user: list = field(default_factory=list)

    def lines(self) -> list[str]:
        out = [f"corpus: {self.records} records in {self.files} file{'s' if self.files != 1 else ''}, "
               f"{self.works} works ({self.merged} duplicate record{'s' if self.merged != 1 else ''} merged)"]
        out += [f"corpus: {u}" for u in self.user]
        out += [f"corpus: {c}" for c in self.conflicts]
        return out


_INITIALS = re.compile(r"^(?:[A-Z]\.?-?){1,3}$|^[A-Z]\.(?:-?[A-Z]\.)*$")


def _surname(authors) -> str:
    """The first author's surname, however the database writes names.

    "Smith, John" (WoS, PubMed FAU, Zotero), "Smith J." / "Smith JA" (Scopus,
    PubMed AU), "John Smith" / "J. Smith" (OpenAlex, Lens).
    """
    if not isinstance(authors, str) or not authors.strip():
        return ""
    first = authors.split(";")[0].strip()
    if "," in first:
        name = first.split(",")[0]
    else:
        words = first.split()
        trailing = len(words)
        while trailing and _INITIALS.match(words[trailing - 1]):
            trailing -= 1
        if trailing == 0:
            return ""
        # initials after the name ("Holley J.", "Leone Sciabolazza V.") leave the surname before them;
        # else it comes last ("Jess Holley", "J. Holley")
        name = " ".join(words[:trailing]) if trailing < len(words) else words[-1]
    return normalize_title(name)


def _title_key(row: dict) -> str | None:
    title = normalize_title(row.get("title"))
    year = row.get("publication_year")
    if not title or year is None or year != year:
        return None
    return f"{title}|{int(year)}|{_surname(row.get('authors'))}"


def read_corpora(paths, *, user_merges=None) -> pd.DataFrame:
    """Every corpus file in ``paths`` as one DataFrame of works (columns of :func:`read_corpus`).

    The same work in several files is one row (see the module notes); the
    DataFrame's ``attrs["merge"]`` is the :class:`MergeReport`, and its
    ``corpus_files`` column names every file and line that held the work.

    Parameters
    ----------
    paths : iterable of str or Path
        The corpus files.
    user_merges : str, Path or UserMerges, optional
        The folder holding ``same_works.csv`` and ``different_works.csv``
        (``data/raw/corpus``), or those files read: records they name as one
        work are merged (the first named wins), records they name as different
        works are never merged. Without it, the merge is the build's alone.

    Raises
    ------
    CorpusError
        A corpus file cannot be read, or a row of the two files is bad (names
        no record of the corpus, or contradicts the other file), with its file and line.
    """
    paths = list(paths)
    if user_merges is not None and not isinstance(user_merges, UserMerges):
        user_merges = read_user_merges(user_merges)
    read = [read_corpus_rows(path) for path in paths]
    report = MergeReport(files=len(read))
    if not read:
        empty = pd.DataFrame(columns=["work_id", "doi"])
        empty.attrs["merge"] = report
        return empty
    report.sources = [{"file": Path(path).name, "format": FORMATS[attrs.get("format", "csv")].label,
                       "records": len(rows) + attrs.get("duplicates", 0)} for path, (rows, _, attrs) in zip(paths, read)]
    report.records = sum(s["records"] for s in report.sources)
    report.warnings = [w for _, _, attrs in read for w in attrs.get("warnings", [])]
    report.merged = sum(attrs.get("duplicates", 0) for _, _, attrs in read)
    columns = list(dict.fromkeys(c for _, cols, _ in read for c in cols))
    rows = [row for file_rows, _, _ in read for row in file_rows]
    groups = _group(rows, report, user_merges)
    merged = [_merge([rows[i] for i in members], report) for members in groups]
    report.works = len(merged)
    report.merged += len(rows) - len(merged)
    out = corpus_frame(merged, columns + [c for c in ("corpus_files", "year_doubt") if c not in columns], {})
    out.attrs["merge"] = report
    return out


class _Groups:
    """Union-find over the rows, with the pairs the user said are different works kept apart."""

    def __init__(self, rows: list[dict]):
        self.rows = rows
        self.parent = list(range(len(rows)))
        for row in rows:
            row["_dois"] = {row["doi"]} if isinstance(row.get("doi"), str) else set()
            row.setdefault("_apart", {})  # rule number -> which of its records this row is

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def apart(self, a: int, b: int) -> bool:
        """True when joining a's and b's works would join records a ``different_works.csv`` row keeps apart."""
        ta, tb = self.rows[self.find(a)]["_apart"], self.rows[self.find(b)]["_apart"]
        return any(k in tb and tb[k] != v for k, v in ta.items())

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return
        keep, other = (ra, rb) if ra < rb else (rb, ra)
        self.parent[other] = keep
        rows = self.rows
        rows[keep]["_dois"] = rows[keep]["_dois"] | rows[other]["_dois"]
        rows[keep]["_apart"] = {**rows[other]["_apart"], **rows[keep]["_apart"]}


def _group(rows: list[dict], report: MergeReport, user: UserMerges | None = None) -> list[list[int]]:
    """Indices of rows that are the same work, in the order each work first appears."""
    sets = _Groups(rows)
    if user is not None:
        _apply_user(sets, user, report)

    def join(a: int, b: int) -> None:
        if not sets.apart(a, b):
            sets.union(a, b)

    by_doi: dict[str, int] = {}
    for i, row in enumerate(rows):
        if isinstance(row.get("doi"), str):
            if row["doi"] in by_doi:
                join(by_doi[row["doi"]], i)
            else:
                by_doi[row["doi"]] = i
    # rows identical in what identifies a work (e.g. DOI-less listing rows repeated in two files) share
    # their local work_id: one work
    by_id: dict[str, int] = {}
    for i, row in enumerate(rows):
        work_id = row.get("work_id")
        if work_id in by_id:
            join(by_id[work_id], i)
        elif work_id is not None:
            by_id[work_id] = i
    by_title: dict[str, int] = {}
    for i, row in enumerate(rows):
        key = _title_key(row)
        if key is None:
            continue
        if key not in by_title:
            by_title[key] = i
            continue
        a, b = sets.find(by_title[key]), sets.find(i)
        if a == b or sets.apart(a, b):
            continue
        dois_a, dois_b = rows[a]["_dois"], rows[b]["_dois"]
        if dois_a and dois_b and not (dois_a & dois_b):
            report.conflicts.append(_suspicious_pair(rows[by_title[key]], row, user))
            continue
        sets.union(a, b)
    groups: dict[int, list[int]] = {}
    for i in range(len(rows)):
        groups.setdefault(sets.find(i), []).append(i)
    for row in rows:
        row.pop("_dois", None)
        row.pop("_apart", None)
    return sorted(groups.values(), key=lambda members: members[0])


def _apply_user(sets: _Groups, user: UserMerges, report: MergeReport) -> None:
    """Mark the records each ``different_works.csv`` row keeps apart, then join each ``same_works.csv`` row's."""
    rows = sets.rows
    for number, rule in enumerate(user.different):
        for side, found in enumerate(resolve(rule, rows)):
            for i in found:
                rows[i]["_apart"][number] = side
        report.user.append(f"{rule.where()}: {' and '.join(ref_text(r) for r in rule.refs)} kept as different works")
    for rule in user.same:
        named = resolve(rule, rows)
        for i in named[0]:
            rows[i]["_keep"] = True
        found = [i for indices in named for i in indices]
        for i in found[1:]:
            if sets.apart(found[0], i):
                ta, tb = rows[sets.find(found[0])]["_apart"], rows[sets.find(i)]["_apart"]
                k = next(k for k, v in ta.items() if k in tb and tb[k] != v)
                raise CorpusError(f"names as one work records that {user.different[k].where()} names as different "
                                  "works: remove one of the two rows", path=rule.file, line=rule.line)
            sets.union(found[0], i)
        report.user.append(f"{rule.where()}: {' and '.join(ref_text(r) for r in rule.refs)} merged into one work "
                           f"({ref_text(rule.refs[0])} kept)")


def _suspicious_pair(first: dict, second: dict, user: UserMerges | None) -> str:
    """The warning about two records with one title and different DOIs, with the line that merges them."""
    a, b = first["doi"], second["doi"]
    folder = user.folder if user is not None else None
    same, different = (Path(name) if folder is None else folder / name for name in (SAME_WORKS, DIFFERENT_WORKS))
    return (f"{_where(first)} and {_where(second)} have the same title, year and first author but different DOIs "
            f"({a}, {b}): kept as two works. If they are one work, add the line \"{a},{b}\" to {same} (the first "
            f"listed wins); if they are two works, add it to {different} and this warning goes")


def _where(row: dict) -> str:
    return f"{row['corpus_file']} line {row['corpus_line']}"


def _filled(row: dict) -> int:
    return sum(1 for f in _FIELDS if not is_blank(row.get(f)))


#: Fields that go together (a value and what says how to read it), each pair taken from the one record
#: that says most: the longest reference list, the affiliations naming most author-address pairs, the
#: highest times-cited count (databases index different citing works; the highest misses fewest).
_RICHEST = (
    (("references_raw", "references_format", "references_from"),
     lambda r: reference_count(r.get("references_raw"), r.get("references_format"))),
    (("affiliations_raw", "affiliations_from"), lambda r: bundle_size(r.get("affiliations_raw"))),
    (("cited_by_count", "cited_by_source"), lambda r: -1 if is_blank(r.get("cited_by_count"))
     else int(r["cited_by_count"])),
)


def _keep_richest(row: dict, records: list[dict]) -> None:
    for fields, size in _RICHEST:
        having = [r for r in records if not is_blank(r.get(fields[0]))]
        if having:
            best = max(having, key=size)  # ties: the first in file order
            row.update({f: best.get(f) for f in fields})


def _merge(records: list[dict], report: MergeReport) -> dict:
    """One work from its records: the most complete record, its gaps filled from the others."""
    if len(records) == 1:
        row = dict(records[0])
        row["corpus_files"] = f"{row['corpus_file']}:{row['corpus_line']}"
        return row
    # the record same_works.csv names first wins; else the most complete (stable: ties keep file order)
    ranked = sorted(records, key=lambda r: (not r.get("_keep"), -_filled(r)))
    row = dict(ranked[0])
    for other in ranked[1:]:
        for key, value in other.items():
            if is_blank(row.get(key)) and not is_blank(value):
                row[key] = value
    _keep_richest(row, records)
    if any(not is_blank(r.get("issn")) for r in records):  # every record's ISSNs: print, electronic, linking
        row["issn"] = issn_field([r.get("issn") for r in ranked])
    years = sorted({int(r["publication_year"]) for r in records if not is_blank(r.get("publication_year"))})
    if len(years) > 1:
        shown = ", ".join(f"{r['publication_year']} in {_where(r)}" for r in records
                          if not is_blank(r.get("publication_year")))
        report.conflicts.append(f"{row.get('doi') or row.get('title')}: different years ({shown}); "
                                f"kept {row['publication_year']}")
        row["year_doubt"] = f"the corpus files disagree: {shown}"
    row["work_id"] = local_work_id(row.get("doi"), row.get("title"), row.get("authors"), row.get("publication_year"),
                                   row.get("venue"), row.get("abstract"))
    row["corpus_files"] = "; ".join(f"{r['corpus_file']}:{r['corpus_line']}" for r in records)
    return row
