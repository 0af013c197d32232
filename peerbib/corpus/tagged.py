"""Tagged-field exports: Web of Science plain text and PubMed/MEDLINE (.nbib, .txt).

Both write one field a line as a tag and its value, with continuation lines
indented:

- **Web of Science** ("Plain text file" export): a ``FN``/``VR`` header, then
  records of two-letter tags (``PT J``, ``AU Aguiar, L``, ``TI …``) ending
  with ``ER``, the file with ``EF``; continuation lines start with three
  spaces (for ``AU``/``AF`` each line is one author).
- **MEDLINE** (PubMed's "PubMed format" .txt and the .nbib citation file):
  records separated by a blank line and starting with ``PMID-``; tags padded
  to four characters and followed by ``- `` (``TI  - …``); continuation lines
  start with six spaces.

Each reader returns ``(line, {tag: [values]})`` pairs, line counted from 1 at
the record's first line (a MEDLINE record also says which author each ``AD``
line follows, under :data:`AFFILIATION_OWNERS`), and raises :class:`CorpusError` naming the line of a
record that does not end, or of a line that is no field.
"""
from __future__ import annotations

import re
from pathlib import Path

from ..errors import CorpusError

__all__ = ["wos_records", "medline_records", "AFFILIATION_OWNERS"]

#: The key of a MEDLINE record's tags that says, for each ``AD`` line, the index of its author.
AFFILIATION_OWNERS = "AD author"

_WOS_TAG = re.compile(r"^([A-Z][A-Z0-9]) (.*)$")
_MEDLINE_TAG = re.compile(r"^([A-Z][A-Z0-9 ]{1,3})- ?(.*)$")


def wos_records(text: str, path: Path) -> list[tuple[int, dict[str, list[str]]]]:
    """The records of a Web of Science plain-text export."""
    records: list[tuple[int, dict[str, list[str]]]] = []
    current: dict[str, list[str]] | None = None
    start = 0
    tag = None
    for number, line in enumerate(text.split("\n"), 1):
        if not line.strip():
            continue
        if line.startswith("   ") and current is not None and tag is not None:
            current[tag].append(line.strip())
            continue
        if line.rstrip() in ("ER", "EF"):
            if line.rstrip() == "ER":
                if current is None:
                    raise CorpusError("'ER' ends a record that never began (no 'PT' line before it)", path=path,
                                      line=number)
                records.append((start, current))
                current, tag = None, None
            continue
        match = _WOS_TAG.match(line.rstrip()) or (re.match(r"^([A-Z][A-Z0-9])$", line.rstrip()) and
                                                  _WOS_TAG.match(line.rstrip() + " "))
        if match is None:
            raise CorpusError(f"not a Web of Science field line ({line[:40]!r}); each line starts with a "
                              "two-letter tag, or three spaces to continue the field above", path=path, line=number)
        tag, value = match.group(1), match.group(2).strip()
        if tag in ("FN", "VR") and current is None:
            continue  # the file's header
        if tag == "PT":
            if current is not None:
                raise CorpusError("this record begins before the one above ended: its 'ER' line is missing",
                                  path=path, line=number)
            current, start = {}, number
        elif current is None:
            raise CorpusError(f"field {tag} outside a record: a record starts with 'PT' and ends with 'ER'",
                              path=path, line=number)
        current.setdefault(tag, []).append(value)
    if current is not None:
        raise CorpusError("the last record has no 'ER' line: the file looks cut short; export it again",
                          path=path, line=start)
    return records


def medline_records(text: str, path: Path) -> list[tuple[int, dict[str, list[str]]]]:
    """The records of a PubMed/MEDLINE export (.nbib or "PubMed format" .txt)."""
    records: list[tuple[int, dict[str, list[str]]]] = []
    current: dict[str, list[str]] | None = None
    start = 0
    tag = None
    for number, line in enumerate(text.split("\n"), 1):
        if not line.strip():
            if current is not None:
                records.append((start, current))
            current, tag = None, None
            continue
        if line.startswith("      ") and current is not None and tag is not None:
            current[tag][-1] = f"{current[tag][-1]} {line.strip()}".strip()
            continue
        match = _MEDLINE_TAG.match(line)
        if match is None:
            raise CorpusError(f"not a MEDLINE field line ({line[:40]!r}); each line starts with a tag such as "
                              "'TI  - ', or six spaces to continue the field above", path=path, line=number)
        tag, value = match.group(1).strip(), match.group(2).strip()
        if current is None:
            if tag != "PMID":
                raise CorpusError(f"a record starts with 'PMID- ', not {tag!r}; records are separated by a blank "
                                  "line", path=path, line=number)
            current, start = {}, number
        current.setdefault(tag, []).append(value)
        if tag == "AD":  # an affiliation belongs to the author whose FAU/AU lines came before it
            owner = max(len(current.get("FAU", [])), len(current.get("AU", []))) - 1
            current.setdefault(AFFILIATION_OWNERS, []).append(str(owner))
    if current is not None:
        records.append((start, current))
    return records
