"""One model of a full-text document, whichever format it came in (GROBID TEI or JATS).

A :class:`Document` is what the statement extraction needs of a citing
paper: its sections (heading as written, number, normalised section), its
paragraphs as plain text with the in-text citations (callouts) located in
that text, GROBID's own sentence segmentation where the file has it, and the
bibliography the callouts point to.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

__all__ = ["BibEntry", "Callout", "Section", "Paragraph", "Document", "TextBuilder", "LOCATIONS"]

#: Where in a paper a paragraph stands. Callouts outside the body are kept, in section "Other", flagged so.
LOCATIONS = ("body", "caption", "footnote", "back")


@dataclass
class BibEntry:
    """One entry of the bibliography.

    Attributes
    ----------
    key : str
        Its id in the document (TEI ``xml:id`` "b3", JATS ``ref/@id``).
    doi : str or None
        Bare, lower case.
    title : str or None
    year : int or None
    first_author : str or None
        Surname of the first author.
    label : str or None
        The number printed for it in numeric styles ("3"), when the file says.
    raw : str or None
        The reference as printed, when the file keeps it.
    """

    key: str
    doi: str | None = None
    title: str | None = None
    year: int | None = None
    first_author: str | None = None
    label: str | None = None
    raw: str | None = None


@dataclass
class Callout:
    """An in-text citation: the marker as printed and where it points.

    ``start``/``end`` are character offsets in the paragraph's ``text``;
    ``targets`` are bibliography keys (several when one JATS xref lists
    several, or when a printed range "[10–14]" covers several entries), empty
    for a marker GROBID could not resolve.
    """

    text: str
    start: int
    end: int
    targets: tuple[str, ...] = ()


@dataclass
class Section:
    """A section of the paper.

    Attributes
    ----------
    heading : str or None
        As written (None for a division without a heading).
    number : str or None
        Its printed number ("2.1"), when the file has one.
    section : str
        Introduction, Methods, Results, Discussion or Other, after
        inheritance (a subsection takes its parent's).
    parent : Section or None
    junk : bool
        A heading that is no heading (a figure caption, a fragment of text).
    """

    heading: str | None
    number: str | None = None
    section: str = "Other"
    parent: "Section | None" = field(default=None, repr=False)
    junk: bool = False

    @property
    def path(self) -> str:
        """The heading with its parents', "Methods > Data analysis"."""
        parts, node = [], self
        while node is not None:
            if node.heading and not node.junk:
                parts.append(node.heading)
            node = node.parent
        return " > ".join(reversed(parts))


@dataclass
class Paragraph:
    """A paragraph as plain text, its callouts, and (GROBID ``<s>``) its sentences.

    ``sentences`` are (start, end) offsets in ``text`` when the file gives a
    segmentation, else None (peerbib splits the text itself).
    """

    text: str
    callouts: list[Callout]
    section: Section
    location: str = "body"
    sentences: list[tuple[int, int]] | None = None


@dataclass
class Document:
    """A citing paper read from its full text."""

    source: str
    paragraphs: list[Paragraph] = field(default_factory=list)
    bibliography: dict[str, BibEntry] = field(default_factory=dict)
    title: str | None = None
    doi: str | None = None
    warnings: list[str] = field(default_factory=list)

    @property
    def sections(self) -> list[Section]:
        seen, out = set(), []
        for paragraph in self.paragraphs:
            if id(paragraph.section) not in seen:
                seen.add(id(paragraph.section))
                out.append(paragraph.section)
        return out


_SPACES = re.compile(r"\s+")


class TextBuilder:
    """Builds a paragraph's text from XML pieces, whitespace collapsed, offsets kept exact."""

    def __init__(self):
        self._parts: list[str] = []
        self._length = 0
        self._space = True  # at the start, leading whitespace is dropped

    def add(self, text: str | None) -> None:
        if not text:
            return
        text = _SPACES.sub(" ", text.replace("\u00ad", ""))  # soft hyphens are line-break hints
        if self._space and text.startswith(" "):
            text = text[1:]
        if not text:
            return
        self._parts.append(text)
        self._length += len(text)
        self._space = text.endswith(" ")

    @property
    def offset(self) -> int:
        return self._length

    def last(self, n: int) -> str:
        """The last ``n`` characters added (cheap: looks at the last pieces only)."""
        out, need = [], n
        for part in reversed(self._parts):
            out.append(part[-need:])
            need -= len(part)
            if need <= 0:
                break
        return "".join(reversed(out))[-n:] if n > 0 else ""

    def text(self) -> str:
        return "".join(self._parts)
