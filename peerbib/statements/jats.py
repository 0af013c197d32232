"""Publisher JATS (Europe PMC's ``fullTextXML``) read into a :class:`~peerbib.statements.document.Document`.

JATS nests sections (``sec/title``, numbered by ``label``), marks citations
``<xref ref-type="bibr" rid="b11">`` (``rid`` may list several ids; a
printed range is two xrefs with a dash between, "1–3"), and lists
references as ``ref-list/ref[@id]`` with an ``element-citation`` (fields:
``article-title``, ``year``, ``person-group/name/surname``, ``pub-id``) or a
``mixed-citation`` that may be plain text. The xref's own text can be a
number, the author-year words, or a mere link sign ("▶") beside them.
Printed ranges are expanded by :func:`peerbib.statements.extract.expand_ranges`.
"""
from __future__ import annotations

import re

from lxml import etree

from ..ids import is_valid_doi, normalize_doi
from .document import BibEntry, Document, Paragraph, Section, element_text as _text, flatten, xml_parser
from .structure import resolve_sections

__all__ = ["read_jats"]

_FIRST_WORD = re.compile(r"\s*([^\W\d_][\w'\-]+)")
_YEAR = re.compile(r"\b(1[5-9]\d\d|20\d\d)[a-z]?\b")
_DOI = re.compile(r"\b(10\.\d{4,9}/[^\s<>\"]+[^\s<>\".,;)])")
_SKIP = {"fig", "table-wrap", "fn-group", "fn", "ref-list", "table", "disp-formula", "sec", "title", "label",
         "supplementary-material"}


def _local(tag) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def read_jats(data: bytes, *, source: str = "europepmc-jats", only_citing=None) -> Document:
    """Read JATS bytes (an ``<article>``).

    ``only_citing`` leaves out paragraphs the statement extraction does not
    need, as in :func:`peerbib.statements.tei.read_tei`.

    Raises
    ------
    lxml.etree.XMLSyntaxError
        When the XML is malformed or cut off.
    """
    root = etree.fromstring(data, parser=xml_parser())
    if isinstance(root.tag, str) and root.tag.startswith("{"):
        for element in root.iter():  # JATS from some converters carries a namespace on every element
            if isinstance(element.tag, str) and element.tag.startswith("{"):
                element.tag = _local(element.tag)
    document = Document(source=source)
    meta = root.find("front/article-meta")
    if meta is not None:
        document.title = _text(meta.find("title-group/article-title")) or None
        doi = meta.find("article-id[@pub-id-type='doi']")
        document.doi = normalize_doi(_text(doi)) if doi is not None else None
    document.bibliography, order = _bibliography(root)
    make = _paragraph_maker(only_citing, document.bibliography, order)
    body = root.find("body")
    other = Section(heading=None, section="Other")
    if body is not None:
        secs = [sec for sec in body.iter("sec")]
        headings = [(_text(sec.find("title")) or None, _text(sec.find("label")) or None) for sec in secs]
        sections = resolve_sections(headings)
        by_sec = {id(sec): section for sec, section in zip(secs, sections)}
        # Nesting says more than numbers: a nested sec is a subsection of its parent.
        for sec in secs:
            parent = sec.getparent()
            if parent is not None and parent.tag == "sec" and not by_sec[id(sec)].junk:
                node, up = by_sec[id(sec)], by_sec[id(parent)]
                if node is not up and node.parent is None:
                    node.parent, node.section = up, up.section
        # Paragraphs before the body's first sec open the paper: its untitled introduction,
        # unless a section called Introduction comes later.
        opening = Section(heading=None, section="Other" if any(
            section.section == "Introduction" for section in sections) else "Introduction")
        _read_container(body, document, other, by_sec, order, opening, make=make, top=True)
    back = root.find("back")
    if back is not None:
        for part in back:
            if part.tag in ("ack", "app-group", "app", "notes", "sec", "glossary"):
                section = Section(heading=_text(part.find("title")) or part.tag, section="Other")
                for paragraph in part.iter("p"):
                    document.paragraphs.append(make(paragraph, section, "back", order))
            elif part.tag == "fn-group":
                for paragraph in part.iter("p"):
                    document.paragraphs.append(make(paragraph, other, "footnote", order))
    if only_citing:
        document.paragraphs = [p for p in document.paragraphs if p is not _SKIPPED]
    return document


def _read_container(container, document: Document, other: Section, by_sec: dict, order: dict,
                    section: Section | None = None, *, make, top: bool = False) -> None:
    for child in container:
        tag = child.tag
        if tag == "sec":
            _read_container(child, document, other, by_sec, order, by_sec.get(id(child), section), make=make)
            if top:
                section = None  # body paragraphs after a sec belong to no section
        elif tag == "p":
            # Figures and footnotes inside the paragraph first: reading the paragraph takes them out.
            for nested in child.iter("fig", "table-wrap"):
                _captions(nested, document, other, order, make)
            for note in child.iter("fn"):
                for paragraph in note.iter("p"):
                    document.paragraphs.append(make(paragraph, other, "footnote", order))
            document.paragraphs.append(make(child, section or other, "body", order))
        elif tag in ("fig", "table-wrap", "fig-group"):
            _captions(child, document, other, order, make)
        elif tag in ("fn-group", "fn"):
            for paragraph in child.iter("p"):
                document.paragraphs.append(make(paragraph, other, "footnote", order))
        elif tag in ("list", "disp-quote", "boxed-text"):
            for paragraph in child.iter("p"):
                document.paragraphs.append(make(paragraph, section or other, "body", order))


def _captions(figure, document: Document, section: Section, order: dict, make) -> None:
    for caption in figure.iter("caption"):
        paragraphs = list(caption.iter("p")) or [caption]
        for paragraph in paragraphs:
            document.paragraphs.append(make(paragraph, section, "caption", order))


_SKIPPED = Paragraph(text="", callouts=[], section=Section(heading=None))


def _paragraph_maker(only_citing, bibliography, order):
    """The function reading a paragraph: all of them, or only those citing (some of) the bibliography.

    A paragraph citing the entries on both sides of a wanted one ("1–3") is read too: the range covers it.
    """
    if not only_citing:
        return _paragraph
    keys = None if only_citing is True else set(only_citing(bibliography))
    wanted = None if keys is None else sorted(order[k] for k in keys if k in order)

    def make(element, section: Section, location: str, order_: dict) -> Paragraph:
        cited = [rid for xref in element.iter("xref") if xref.get("ref-type") == "bibr"
                 for rid in xref.get("rid", "").split()]
        if cited and (keys is None or any(rid in keys for rid in cited) or _spans(cited, order_, wanted)):
            return _paragraph(element, section, location, order_)
        return _SKIPPED
    return make


def _spans(cited: list[str], order: dict, wanted: list[int]) -> bool:
    positions = sorted(order[rid] for rid in cited if rid in order)
    return bool(positions) and any(positions[0] < w < positions[-1] for w in wanted)


def _targets(element):
    """The reference ids of an ``<xref ref-type="bibr">``, else None."""
    if element.tag != "xref" or element.get("ref-type") != "bibr":
        return None
    return tuple(element.get("rid", "").split())


_SKIP_IN_PARAGRAPH = frozenset({"fig", "table-wrap", "fn", "disp-formula", "table"})


def _paragraph(element, section: Section, location: str, order: dict) -> Paragraph:  # noqa: ARG001
    text, callouts, _ = flatten(element, _targets, skip=_SKIP_IN_PARAGRAPH)
    return Paragraph(text=text, callouts=callouts, section=section, location=location)


def _bibliography(root) -> tuple[dict[str, BibEntry], dict[str, int]]:
    entries: dict[str, BibEntry] = {}
    order: dict[str, int] = {}
    for position, ref in enumerate(root.iter("ref")):
        key = ref.get("id")
        if not key:
            continue
        order[key] = position
        citation = next((c for c in ref if c.tag in ("element-citation", "mixed-citation", "citation",
                                                     "nlm-citation")), ref)
        raw = _text(citation)
        doi = None
        for pub_id in citation.iter("pub-id"):
            if (pub_id.get("pub-id-type") or "").lower() == "doi":
                doi = normalize_doi(_text(pub_id))
        if doi is None:
            match = _DOI.search(raw)
            doi = normalize_doi(match.group(1)) if match else None
        if doi is not None and not is_valid_doi(doi):
            doi = None
        title = _text(citation.find("article-title")) or _text(citation.find("chapter-title")) or None
        if title is None and citation.get("publication-type") in ("book",) and citation.find("source") is not None:
            title = _text(citation.find("source")) or None
        year_element = citation.find("year")
        match = _YEAR.search(_text(year_element) if year_element is not None else raw)
        surname = citation.find(".//name/surname")
        first_author = _text(surname) if surname is not None else None
        if not first_author and raw:
            head = _FIRST_WORD.match(raw)
            first_author = head.group(1) if head else None
        entries[key] = BibEntry(key=key, doi=doi, title=title, year=int(match.group(1)) if match else None,
                                first_author=first_author or None, label=_text(ref.find("label")) or None,
                                raw=raw or None)
    return entries, order
