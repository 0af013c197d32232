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
from .document import BibEntry, Document, Paragraph, Section, element_text as _text, flatten, xml_parser
from .structure import resolve_sections

__all__ = ["read_tei", "TEI_NS"]

TEI_NS = "http://www.tei-c.org/ns/1.0"
_T = "{%s}" % TEI_NS
_REF, _S = f"{_T}ref", f"{_T}s"
_SKIP = frozenset({f"{_T}note", f"{_T}figure"})  # read on their own, as footnotes and captions
_XML_ID = "{http://www.w3.org/XML/1998/namespace}id"
_YEAR = re.compile(r"(1[5-9]\d\d|20\d\d)")
_DOI_LABEL = re.compile(r"^doi:?\s*", re.IGNORECASE)
_BACK_TYPES = ("acknowledgement", "acknowledgment", "funding", "annex", "availability", "conflict", "contribution")


def read_tei(data: bytes, *, source: str = "openalex-tei", only_citing=None) -> Document:
    """Read GROBID TEI bytes.

    ``only_citing`` leaves out paragraphs the statement extraction does not
    need (a statement's context is its own paragraph): ``True`` keeps the
    paragraphs with an in-text citation; a function of the bibliography
    (``{key: BibEntry}``) returning keys keeps those citing one of them. It
    saves most of the work.

    Raises
    ------
    lxml.etree.XMLSyntaxError
        When the XML is malformed or cut off (the caller turns it into a warning).
    """
    root = etree.fromstring(data, parser=xml_parser())
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
    make = _paragraph_maker(only_citing, document.bibliography)
    if body is not None:
        _read_body(body, document, make)
    back = text.find(f"{_T}back")
    if back is not None:
        _read_back(back, document, make)
    if only_citing:
        document.paragraphs = [p for p in document.paragraphs if p is not _SKIPPED]
    return document


def _read_body(body, document: Document, make) -> None:
    divisions = [child for child in body if child.tag == f"{_T}div"]
    sections = resolve_sections([(_heading(div), _number(div)) for div in divisions])
    by_div = dict(zip(map(id, divisions), sections))
    current = sections[0] if sections else None
    other = Section(heading=None, section="Other")
    for child in body:
        if child.tag == f"{_T}div":
            current = by_div[id(child)]
            # Figures and notes inside the division first: reading a paragraph takes out what it holds.
            for figure in child.iter(f"{_T}figure"):
                _captions(figure, document, other, make)
            for note in child.iter(f"{_T}note"):
                for paragraph in _paragraph_like(note):
                    document.paragraphs.append(make(paragraph, other, "footnote"))
            for paragraph in child.iter(f"{_T}p"):
                if _inside(paragraph, (f"{_T}figure", f"{_T}note")):
                    continue
                document.paragraphs.append(make(paragraph, current, "body"))
        elif child.tag == f"{_T}figure":
            _captions(child, document, other, make)
        elif child.tag == f"{_T}note":
            for paragraph in _paragraph_like(child):
                document.paragraphs.append(make(paragraph, other, "footnote"))
        elif child.tag == f"{_T}p":  # a paragraph straight in the body (rare)
            section = current or other
            document.paragraphs.append(make(child, section, "body"))


def _read_back(back, document: Document, make) -> None:
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
            document.paragraphs.append(make(paragraph, section, "back"))


def _captions(figure, document: Document, section, make) -> None:
    for description in figure.iter(f"{_T}figDesc"):
        for paragraph in _paragraph_like(description):
            document.paragraphs.append(make(paragraph, section, "caption"))


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


_SKIPPED = Paragraph(text="", callouts=[], section=Section(heading=None))


def _paragraph_maker(only_citing, bibliography):
    """The function reading a paragraph: all of them, or only those citing (some of) the bibliography."""
    if not only_citing:
        return _paragraph
    keys = None if only_citing is True else set(only_citing(bibliography))

    def make(element, section, location: str) -> Paragraph:
        for ref in element.iter(_REF):
            if ref.get("type") == "bibr" and (keys is None or any(
                    t.lstrip("#") in keys for t in (ref.get("target") or "").split())):
                return _paragraph(element, section, location)
        return _SKIPPED
    return make


def _targets(element):
    """The bibliography keys of a ``<ref type="bibr">`` (empty for one without target), else None."""
    if element.tag != _REF or element.get("type") != "bibr":
        return None
    return tuple(t.lstrip("#") for t in (element.get("target") or "").split() if t.startswith("#"))


def _paragraph(element, section, location: str) -> Paragraph:
    text, callouts, sentences = flatten(element, _targets, sentence_tag=_S, skip=_SKIP)
    return Paragraph(text=text, callouts=callouts, section=section, location=location,
                     sentences=sentences or None)


_ANALYTIC, _MONOGR, _TITLE, _IDNO = f"{_T}analytic", f"{_T}monogr", f"{_T}title", f"{_T}idno"
_DATE_PATH = f"{_T}monogr/{_T}imprint/{_T}date"
_SURNAME_PATHS = (f"{_T}analytic/{_T}author/{_T}persName/{_T}surname",
                  f"{_T}monogr/{_T}author/{_T}persName/{_T}surname")


def _bibliography(text) -> dict[str, BibEntry]:
    entries: dict[str, BibEntry] = {}
    for bibl in text.iter(f"{_T}biblStruct"):
        key = bibl.get(_XML_ID)
        if not key:
            continue
        doi = None
        for idno in bibl.iter(_IDNO):
            kind = idno.get("type")
            if kind is not None and kind.upper() != "DOI":
                continue  # ISSN, arXiv, PMID ...
            candidate = normalize_doi(_DOI_LABEL.sub("", _text(idno)))
            if candidate and (kind is not None or candidate.startswith("10.")):
                candidate = candidate.replace(" ", "")
                if is_valid_doi(candidate):
                    doi = candidate
                    break
        title = None
        for part in (bibl.find(_ANALYTIC), bibl.find(_MONOGR)):
            found = part.find(_TITLE) if part is not None else None
            title = _text(found) if found is not None else ""
            if title:
                break
        year = None
        date = bibl.find(_DATE_PATH)
        if date is not None:
            match = _YEAR.search(date.get("when") or _text(date))
            year = int(match.group(1)) if match else None
        surname = next((found for found in map(bibl.find, _SURNAME_PATHS) if found is not None), None)
        if surname is None:
            surname = bibl.find(f".//{_T}surname")
        raw = bibl.find(f"{_T}note")
        entries[key] = BibEntry(key=key, doi=doi, title=title or None, year=year,
                                first_author=_text(surname) or None,
                                raw=_text(raw) or None if raw is not None and raw.get("type") == "raw_reference"
                                else None)
    return entries
