"""One model of a full-text document, whichever format it came in (GROBID TEI or JATS).

A :class:`Document` is what the statement extraction needs of a citing
paper: its sections (heading as written, number, normalised section), its
paragraphs as plain text with the in-text citations (callouts) located in
that text, GROBID's own sentence segmentation where the file has it, and the
bibliography the callouts point to.
"""
from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field

from lxml import etree

__all__ = ["xml_parser", "BibEntry", "Callout", "Section", "Paragraph", "Document", "LOCATIONS", "flatten", "element_text"]

_PARSERS = threading.local()


def xml_parser() -> etree.XMLParser:
    """The parser every full text is read with (one per thread: lxml parsers are not shared between threads).

    No network and no entity resolution (a document cannot make peerbib fetch
    or expand anything), large files allowed. Ids are collected: with lxml 6
    (libxml2 2.14), ``collect_ids=False`` makes the parser try to load a
    DOCTYPE's external DTD, so every PLOS JATS (``"http://dtd.nlm.nih.gov/…"``)
    failed to parse ("Attempt to load network entity").
    """
    parser = getattr(_PARSERS, "parser", None)
    if parser is None:
        parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True, remove_comments=True,
                                 remove_pis=True, load_dtd=False)
        _PARSERS.parser = parser
    return parser

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


_OTHER_SPACES = re.compile(r"[^\S ]+")


def _collapse_spaces(text: str) -> str:
    """``text`` with every run of whitespace made one space (as ``re.sub(r"\\s+", " ", text)``).

    Done as two passes that leave alone the single spaces between words,
    nearly every run there is: rewriting each of them costs 3-4 s on the
    50-million-character paragraph of a TEI written on one line, this about 1 s.
    """
    text = _OTHER_SPACES.sub(" ", text)
    while "  " in text:
        text = text.replace("  ", " ")
    return text


_CALLOUT_OPEN, _CALLOUT_CLOSE, _SENTENCE_OPEN, _SENTENCE_CLOSE = "\ue010", "\ue011", "\ue012", "\ue013"
_MARKS = re.compile("\ue010(\\d+)\ue011|\ue012|\ue013")


def _detach(element) -> None:
    """Remove ``element`` from its tree, keeping the text that follows it (its tail)."""
    parent = element.getparent()
    if parent is None:
        return
    tail = element.tail or ""
    previous = element.getprevious()
    if tail:
        if previous is not None:
            previous.tail = (previous.tail or "") + tail
        else:
            parent.text = (parent.text or "") + tail
    parent.remove(element)


def element_text(element) -> str:
    """An element's text, whitespace collapsed ("" for None); a leaf is read without walking a tree."""
    if element is None:
        return ""
    if len(element) == 0:
        text = element.text
        return " ".join(text.split()) if text else ""
    return " ".join("".join(element.itertext()).split())


def flatten(element, targets_of, *, sentence_tag=None, skip=frozenset()) -> tuple[str, list[Callout], list]:
    """A paragraph element as (text, callouts, sentence spans), whitespace collapsed, offsets exact.

    ``targets_of(child)`` returns the bibliography keys of a citation element
    (None for any other element); ``sentence_tag`` is the tag of a sentence
    (GROBID's ``<s>``); elements tagged in ``skip`` (footnotes, figures inside
    a paragraph) are left out. The element is changed in place (citations are
    replaced by markers while the text is read in one pass), so pass one you
    no longer need.
    """
    printed: list[tuple[str, tuple]] = []
    for child in list(element.iter()):
        if child is element:
            continue
        tag = child.tag
        if not isinstance(tag, str) or tag in skip:
            if isinstance(tag, str):
                _detach(child)
            continue
        targets = targets_of(child)
        if targets is not None:
            printed.append((element_text(child), targets))
            for grandchild in list(child):
                child.remove(grandchild)
            child.text = f"{_CALLOUT_OPEN}{len(printed) - 1}{_CALLOUT_CLOSE}"
        elif sentence_tag is not None and tag == sentence_tag:
            child.text = _SENTENCE_OPEN + (child.text or "")
            child.tail = _SENTENCE_CLOSE + " " + (child.tail or "")
    raw = "".join(element.itertext())
    if "\u00ad" in raw:
        raw = raw.replace("\u00ad", "")  # soft hyphens are line-break hints
    raw = _collapse_spaces(raw).strip()
    parts: list[str] = []
    length = 0
    last = 0
    callouts: list[Callout] = []
    sentences: list[tuple[int, int]] = []
    opened = None
    for match in _MARKS.finditer(raw):
        piece = raw[last:match.start()]
        parts.append(piece)
        length += len(piece)
        last = match.end()
        if match.group(1) is not None:
            text, targets = printed[int(match.group(1))]
            callouts.append(Callout(text=text, start=length, end=length + len(text), targets=targets))
            parts.append(text)
            length += len(text)
        elif match.group(0) == _SENTENCE_OPEN:
            opened = length
        elif opened is not None:
            sentences.append((opened, length))
            opened = None
    parts.append(raw[last:])
    text = "".join(parts)
    # markers next to a space leave a double or a trailing one behind: tidy without moving offsets left of them
    return text, callouts, sentences
