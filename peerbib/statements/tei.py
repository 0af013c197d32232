"""GROBID TEI (OpenAlex's ``.grobid-xml``) read into a :class:`~peerbib.statements.document.Document`.

What GROBID writes, as seen in real output from versions 0.5.6 to 0.8.2:
sections are flat ``body/div`` elements with a ``head`` (its number in
``head/@n``, or none) and paragraphs; in-text citations are
``<ref type="bibr" target="#bN">`` (one ref per cited work, brackets kept in
the text: ``[3,`` ``4]``), sometimes without a target; a sentence-segmented
file wraps sentences in ``<s>``; figure captions (``figure/figDesc``),
footnotes (``note[@place="foot"]``) and back matter (acknowledgement, funding,
annex) can hold citations too; the bibliography is
``back//listBibl/biblStruct[@xml:id]``.
"""
from __future__ import annotations

import re

from lxml import etree

from ..ids import is_valid_doi, normalize_doi
from .document import BibEntry, Callout, Document, Paragraph, Section, TextBuilder
from .structure import resolve_sections

__all__ = ["read_tei", "TEI_NS"]

TEI_NS = "http://www.tei-c.org/ns/1.0"
_T = "{%s}" % TEI_NS
_XML_ID = "{http://www.w3.org/XML/1998/namespace}id"
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True, remove_comments=True,
                          remove_pis=True)
_YEAR = re.compile(r"(1[5-9]\d\d|20\d\d)")
_BACK_TYPES = ("acknowledgement", "acknowledgment", "funding", "annex", "availability", "conflict", "contribution")


def _text(element) -> str:
    return " ".join("".join(element.itertext()).split()) if element is not None else ""


def read_tei(data: bytes, *, source: str = "openalex-tei") -> Document:
    """Read GROBID TEI bytes.

    Raises
    ------
    lxml.etree.XMLSyntaxError
        When the XML is malformed or cut off (the caller turns it into a warning).
    """
    root = etree.fromstring(data, parser=_PARSER)
    document = Document(source=source)
    header = root.find(f"{_T}teiHeader")
    if header is not None:
        title = header.find(f".//{_T}titleStmt/{_T}title")
        document.title = _text(title) or None
        doi = header.find(f".//{_T}sourceDesc//{_T}idno[@type='DOI']")
        document.doi = normalize_doi(_text(doi)) if doi is not None else None
    text = root.find(f"{_T}text")
    if text is None:
        return document
    document.bibliography = _bibliography(text)
    body = text.find(f"{_T}body")
    if body is not None:
        _read_body(body, document)
    back = text.find(f"{_T}back")
    if back is not None:
        _read_back(back, document)
    return document


def _read_body(body, document: Document) -> None:
    divisions = [child for child in body if child.tag == f"{_T}div"]
    sections = resolve_sections([(_heading(div), _number(div)) for div in divisions])
    by_div = dict(zip(map(id, divisions), sections))
    current = sections[0] if sections else None
    other = Section(heading=None, section="Other")
    for child in body:
        if child.tag == f"{_T}div":
            current = by_div[id(child)]
            for paragraph in child.iter(f"{_T}p"):
                if _inside(paragraph, (f"{_T}figure", f"{_T}note")):
                    continue
                document.paragraphs.append(_paragraph(paragraph, current, "body"))
            for figure in child.iter(f"{_T}figure"):
                _captions(figure, document, other)
        elif child.tag == f"{_T}figure":
            _captions(child, document, other)
        elif child.tag == f"{_T}note":
            for paragraph in _paragraph_like(child):
                document.paragraphs.append(_paragraph(paragraph, other, "footnote"))
        elif child.tag == f"{_T}p":  # a paragraph straight in the body (rare)
            section = current or other
            document.paragraphs.append(_paragraph(child, section, "body"))


def _read_back(back, document: Document) -> None:
    for div in back.iter(f"{_T}div"):
        kind = (div.get("type") or "").lower()
        if kind == "references" or _inside(div, (f"{_T}listBibl",)):
            continue
        if not any(kind.startswith(t) for t in _BACK_TYPES) and kind:
            continue
        if div.getparent() is not back and (div.getparent().get("type") or ""):
            continue  # an inner div of a typed back div: read with its parent
        section = Section(heading=_heading(div) or kind or None, section="Other")
        for paragraph in div.iter(f"{_T}p"):
            document.paragraphs.append(_paragraph(paragraph, section, "back"))


def _captions(figure, document: Document, section) -> None:
    for description in figure.iter(f"{_T}figDesc"):
        for paragraph in _paragraph_like(description):
            document.paragraphs.append(_paragraph(paragraph, section, "caption"))


def _paragraph_like(element):
    """The paragraphs of a caption or note: its <p>s, or the element itself when it has none."""
    paragraphs = list(element.iter(f"{_T}p"))
    return paragraphs or [element]


def _inside(element, tags) -> bool:
    parent = element.getparent()
    while parent is not None:
        if parent.tag in tags:
            return True
        parent = parent.getparent()
    return False


def _heading(div) -> str | None:
    head = div.find(f"{_T}head")
    text = _text(head)
    return text or None


def _number(div) -> str | None:
    head = div.find(f"{_T}head")
    return head.get("n") if head is not None else None


def _paragraph(element, section, location: str) -> Paragraph:
    builder = TextBuilder()
    callouts: list[Callout] = []
    sentences: list[tuple[int, int]] = []
    _walk(element, builder, callouts, sentences, top=True)
    text = builder.text()
    stripped = text.rstrip()
    for callout in callouts:
        callout.end = min(callout.end, len(stripped))
        callout.start = min(callout.start, callout.end)
    return Paragraph(text=stripped, callouts=callouts, section=section, location=location,
                     sentences=[(a, min(b, len(stripped))) for a, b in sentences] or None)


def _walk(element, builder: TextBuilder, callouts: list, sentences: list, top: bool = False) -> None:
    builder.add(element.text)
    for child in element:
        tag = child.tag
        if tag == f"{_T}ref" and child.get("type") == "bibr":
            start = builder.offset
            builder.add(_text(child))
            target = (child.get("target") or "").strip()
            targets = tuple(t.lstrip("#") for t in target.split() if t.startswith("#"))
            callouts.append(Callout(text=_text(child), start=start, end=builder.offset, targets=targets))
        elif tag == f"{_T}s":
            start = builder.offset
            _walk(child, builder, callouts, sentences)
            sentences.append((start, builder.offset))
            if not (child.tail or "").strip():
                builder.add(" ")  # "</s><s>" has no space between the sentences; the text needs one
        elif tag in (f"{_T}note", f"{_T}figure"):
            pass  # read on their own, as footnotes and captions
        elif isinstance(tag, str):
            _walk(child, builder, callouts, sentences)
        builder.add(child.tail)


def _bibliography(text) -> dict[str, BibEntry]:
    entries: dict[str, BibEntry] = {}
    for bibl in text.iter(f"{_T}biblStruct"):
        key = bibl.get(_XML_ID)
        if not key:
            continue
        doi = None
        for idno in bibl.iter(f"{_T}idno"):
            kind = (idno.get("type") or "").upper()
            candidate = normalize_doi(re.sub(r"^doi:?\s*", "", _text(idno), flags=re.IGNORECASE))
            if (kind == "DOI" or (not kind and candidate and candidate.startswith("10."))) and is_valid_doi(candidate):
                doi = candidate.replace(" ", "")
                break
        title = None
        for path in (f"{_T}analytic/{_T}title", f"{_T}monogr/{_T}title"):
            found = bibl.find(path)
            if found is not None and _text(found):
                title = _text(found)
                break
        year = None
        date = bibl.find(f".//{_T}imprint/{_T}date")
        if date is not None:
            match = _YEAR.search(date.get("when") or _text(date))
            year = int(match.group(1)) if match else None
        surname = bibl.find(f".//{_T}author//{_T}surname")
        raw = bibl.find(f"{_T}note[@type='raw_reference']")
        entries[key] = BibEntry(key=key, doi=doi, title=title, year=year,
                                first_author=_text(surname) or None, raw=_text(raw) or None)
    return entries
