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
from .document import BibEntry, Callout, Document, Paragraph, Section, TextBuilder
from .structure import resolve_sections

__all__ = ["read_jats"]

_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True, remove_comments=True,
                          remove_pis=True, load_dtd=False)
_YEAR = re.compile(r"\b(1[5-9]\d\d|20\d\d)[a-z]?\b")
_DOI = re.compile(r"\b(10\.\d{4,9}/[^\s<>\"]+[^\s<>\".,;)])")
_SKIP = {"fig", "table-wrap", "fn-group", "fn", "ref-list", "table", "disp-formula", "sec", "title", "label",
         "supplementary-material"}


def _local(tag) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _text(element) -> str:
    return " ".join("".join(element.itertext()).split()) if element is not None else ""


def read_jats(data: bytes, *, source: str = "europepmc-jats") -> Document:
    """Read JATS bytes (an ``<article>``).

    Raises
    ------
    lxml.etree.XMLSyntaxError
        When the XML is malformed or cut off.
    """
    root = etree.fromstring(data, parser=_PARSER)
    for element in root.iter():  # JATS from some converters carries namespaces on the elements
        if isinstance(element.tag, str) and element.tag.startswith("{"):
            element.tag = _local(element.tag)
    document = Document(source=source)
    meta = root.find("front/article-meta")
    if meta is not None:
        document.title = _text(meta.find("title-group/article-title")) or None
        doi = meta.find("article-id[@pub-id-type='doi']")
        document.doi = normalize_doi(_text(doi)) if doi is not None else None
    document.bibliography, order = _bibliography(root)
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
        _read_container(body, document, other, by_sec, order)
    back = root.find("back")
    if back is not None:
        for part in back:
            if part.tag in ("ack", "app-group", "app", "notes", "sec", "glossary"):
                section = Section(heading=_text(part.find("title")) or part.tag, section="Other")
                for paragraph in part.iter("p"):
                    document.paragraphs.append(_paragraph(paragraph, section, "back", order))
            elif part.tag == "fn-group":
                for paragraph in part.iter("p"):
                    document.paragraphs.append(_paragraph(paragraph, other, "footnote", order))
    return document


def _read_container(container, document: Document, other: Section, by_sec: dict, order: dict,
                    section: Section | None = None) -> None:
    for child in container:
        tag = child.tag
        if tag == "sec":
            _read_container(child, document, other, by_sec, order, by_sec.get(id(child), section))
        elif tag == "p":
            document.paragraphs.append(_paragraph(child, section or other, "body", order))
            for nested in child.iter("fig", "table-wrap"):
                _captions(nested, document, other, order)
            for note in child.iter("fn"):
                for paragraph in note.iter("p"):
                    document.paragraphs.append(_paragraph(paragraph, other, "footnote", order))
        elif tag in ("fig", "table-wrap", "fig-group"):
            _captions(child, document, other, order)
        elif tag in ("fn-group", "fn"):
            for paragraph in child.iter("p"):
                document.paragraphs.append(_paragraph(paragraph, other, "footnote", order))
        elif tag in ("list", "disp-quote", "boxed-text"):
            for paragraph in child.iter("p"):
                document.paragraphs.append(_paragraph(paragraph, section or other, "body", order))


def _captions(figure, document: Document, section: Section, order: dict) -> None:
    for caption in figure.iter("caption"):
        paragraphs = list(caption.iter("p")) or [caption]
        for paragraph in paragraphs:
            document.paragraphs.append(_paragraph(paragraph, section, "caption", order))


def _paragraph(element, section: Section, location: str, order: dict) -> Paragraph:
    builder = TextBuilder()
    callouts: list[Callout] = []
    _walk(element, builder, callouts, order)
    text = builder.text().rstrip()
    for callout in callouts:
        callout.end = min(callout.end, len(text))
        callout.start = min(callout.start, callout.end)
    return Paragraph(text=text, callouts=callouts, section=section, location=location)


def _walk(element, builder: TextBuilder, callouts: list, order: dict) -> None:  # noqa: ARG001
    builder.add(element.text)
    for child in element:
        tag = child.tag
        if tag == "xref" and child.get("ref-type") == "bibr":
            start = builder.offset
            printed = _text(child)
            builder.add(printed)
            targets = tuple(child.get("rid", "").split())
            callouts.append(Callout(text=printed, start=start, end=builder.offset, targets=targets))
        elif tag in ("fig", "table-wrap", "fn", "disp-formula", "table"):
            pass  # read on their own (captions, footnotes) or not text
        elif isinstance(tag, str):
            _walk(child, builder, callouts, order)
        builder.add(child.tail)


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
            head = re.match(r"\s*([^\W\d_][\w'\-]+)", raw)
            first_author = head.group(1) if head else None
        entries[key] = BibEntry(key=key, doi=doi, title=title, year=int(match.group(1)) if match else None,
                                first_author=first_author or None, label=_text(ref.find("label")) or None,
                                raw=raw or None)
    return entries, order
