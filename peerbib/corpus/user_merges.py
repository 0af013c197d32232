"""The user's word on which records are one work: ``same_works.csv`` and ``different_works.csv``.

The corpus merge joins records by DOI, else by title, year and first author
(see :mod:`.collect`). Where it cannot know (one work exported with two DOIs,
one of them mangled; two works the databases gave one DOI), the user says so
in two CSV files next to the exports, in ``data/raw/corpus/``; neither is read
as a corpus file:

``same_works.csv``, a line per work: ``keep,same_as[,…]``
    The records named on a line are one work; the first wins (its fields,
    its DOI), the others fill what it lacks.
``different_works.csv``, a line per set: ``record,different_from[,…]``
    The records named on a line are different works: the merge never joins
    them, and says nothing more about their shared title.

A header line (``keep,same_as,note``; ``record,different_from,note``) is
optional; a ``note`` column (the reason) is kept out of the records, and a
line starting with ``#`` is a comment. A cell may name several records,
separated by ``;``. ``peerbib init`` writes both files as templates (a header
and comments), which merge nothing.

A record is named by its DOI (every record with that DOI) or by
``file:line``, the corpus file and the line its record starts on (as the
build's messages write it, e.g. ``scopus.csv:12``). A row that names no
record of the corpus, or that contradicts the other file, is an error naming
the file and line.
"""
from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import CorpusError
from ..ids import is_valid_doi, normalize_doi

__all__ = ["SAME_WORKS", "DIFFERENT_WORKS", "USER_FILES", "UserMerges", "read_user_merges"]

SAME_WORKS = "same_works.csv"
DIFFERENT_WORKS = "different_works.csv"
#: The files of ``corpus/`` that are the user's merge decisions, not corpus files.
USER_FILES = (SAME_WORKS, DIFFERENT_WORKS)
_COLUMNS = {SAME_WORKS: ("keep", "same_as"), DIFFERENT_WORKS: ("record", "different_from")}
_AT_LINE = re.compile(r"^(?P<file>.+?):(?P<line>\d+)$")


@dataclass
class Rule:
    """One row of a user file: the records it names, in order (the first wins in ``same_works.csv``)."""

    file: Path
    line: int
    refs: list  # ("doi", doi) or ("line", file name, line)

    def where(self) -> str:
        return f"{self.file.name} line {self.line}"


@dataclass
class UserMerges:
    """The rows of ``same_works.csv`` and ``different_works.csv`` (empty lists when a file is absent)."""

    same: list = field(default_factory=list)
    different: list = field(default_factory=list)
    #: the folder holding the two files, for messages (``data/raw/corpus``)
    folder: Path | None = None

    def path(self, name: str) -> Path:
        return (self.folder / name) if self.folder is not None else Path(name)


def read_user_merges(folder) -> UserMerges:
    """The user's merge decisions in ``folder`` (``data/raw/corpus``); none when the files are absent.

    Raises
    ------
    CorpusError
        Naming the file and line of a row that names no record (neither a DOI
        nor ``file:line``), names only one, or lacks a required column.
    """
    folder = Path(folder)
    out = UserMerges(folder=folder)
    for name, target in ((SAME_WORKS, out.same), (DIFFERENT_WORKS, out.different)):
        path = folder / name
        if path.is_file():
            target.extend(_read_rules(path, _COLUMNS[name]))
    return out


def _read_rules(path: Path, columns: tuple[str, str]) -> list[Rule]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        lines = list(enumerate(csv.reader(handle), start=1))
    note = None
    if lines and {c.strip().lower() for c in lines[0][1]} & {*columns, "note"}:
        header = [c.strip().lower() for c in lines[0][1]]
        note = header.index("note") if "note" in header else None
        lines = lines[1:]
    rules = []
    for line, cells in lines:
        cells = [c for k, c in enumerate(cells) if k != note]
        if not any(c.strip() for c in cells) or cells[0].lstrip().startswith("#"):
            continue  # an empty line, or a comment
        refs = [_parse_ref(part.strip(), path, line) for c in cells for part in c.split(";") if part.strip()]
        if len(refs) < 2:
            raise CorpusError(f"name two records or more ({columns[0]}, {columns[1]}), each a DOI or "
                              "file:line such as scopus.csv:12", path=path, line=line)
        rules.append(Rule(path, line, refs))
    return rules


def _parse_ref(text: str, path: Path, line: int) -> tuple:
    doi = normalize_doi(text)
    if doi is not None and is_valid_doi(doi):
        return ("doi", doi)
    match = _AT_LINE.match(text)
    if match:
        return ("line", Path(match["file"].strip()).name, int(match["line"]))
    raise CorpusError(f"{text[:60]!r} names no record: write a DOI (10.1234/abcd) or a corpus file and the line "
                      "its record starts on (scopus.csv:12)", path=path, line=line)


def resolve(rule: Rule, rows: list[dict]) -> list[list[int]]:
    """The row indices each record of ``rule`` names (one list per record, in the rule's order).

    Raises
    ------
    CorpusError
        When a record is in no corpus file.
    """
    out = []
    for ref in rule.refs:
        if ref[0] == "doi":
            found = [i for i, row in enumerate(rows) if row.get("doi") == ref[1]]
            what = f"DOI {ref[1]}"
        else:
            found = [i for i, row in enumerate(rows)
                     if row.get("corpus_file") == ref[1] and row.get("corpus_line") == ref[2]]
            what = f"{ref[1]}:{ref[2]}"
        if not found:
            starts = sorted(row["corpus_line"] for row in rows if ref[0] == "line" and row.get("corpus_file") == ref[1])
            hint = (f" (its records start on lines {', '.join(map(str, starts[:8]))}{', …' if len(starts) > 8 else ''})"
                    if starts else "")
            raise CorpusError(f"{what} is no record of the corpus{hint}: correct the row or remove it",
                              path=rule.file, line=rule.line)
        out.append(found)
    return out


def ref_text(ref: tuple) -> str:
    return ref[1] if ref[0] == "doi" else f"{ref[1]}:{ref[2]}"
