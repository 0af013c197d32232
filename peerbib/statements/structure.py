"""Which section each division of a paper belongs to: hierarchy, inheritance, junk headings.

GROBID writes a paper's sections as a flat list of divisions, each with a
heading (or none) and, sometimes, the heading's printed number; JATS nests
them. :func:`resolve_sections` turns the headings, in reading order, into
:class:`~peerbib.statements.document.Section` objects:

- a numbered heading's parent is the nearest earlier heading whose number is
  a prefix of its own ("2.1" under "2."), and it takes its parent's section;
- an unnumbered heading that names a part of the paper plainly
  ("Methods", "Results and discussion", "Conclusions") starts that section;
  other unnumbered headings are subsections of the current Methods, Results
  or Discussion, and otherwise are read by their own words;
- a heading that is no heading (a figure caption GROBID took for one, a
  fragment such as "right).") does not start a section: its text stays in
  the section before it;
- a division without a heading continues the section before it; the first
  one is the Introduction unless a later heading says where the
  Introduction is.
"""
from __future__ import annotations

import re
from functools import lru_cache

from .document import Section
from .sections import normalize_section

__all__ = ["resolve_sections", "is_junk_heading", "plain_heading"]

# Headings that name a part of the paper and nothing else.
_PLAIN = {
    "introduction": "Introduction", "background": "Introduction", "introduction and background": "Introduction",
    "literature review": "Introduction", "related work": "Introduction", "theoretical background": "Introduction",
    "aims": "Introduction", "objectives": "Introduction", "aim": "Introduction", "objective": "Introduction",
    "methods": "Methods", "method": "Methods", "methodology": "Methods", "materials and methods": "Methods",
    "material and methods": "Methods", "patients and methods": "Methods", "subjects and methods": "Methods",
    "methods and materials": "Methods", "experimental": "Methods", "experimental section": "Methods",
    "experimental procedures": "Methods", "study design": "Methods", "research design": "Methods",
    "design and methods": "Methods", "data and methods": "Methods",
    "results": "Results", "result": "Results", "findings": "Results", "results and analysis": "Results",
    "results and evaluation": "Results", "evaluation": "Results", "experiments": "Results",
    "results and discussion": "Results", "discussion": "Discussion", "general discussion": "Discussion",
    "discussion and conclusion": "Discussion", "discussion and conclusions": "Discussion",
    "conclusion": "Discussion", "conclusions": "Discussion", "concluding remarks": "Discussion",
    "summary and conclusions": "Discussion", "limitations": "Discussion", "implications": "Discussion",
    "strengths and limitations": "Discussion",
}
_INHERITING = ("Methods", "Results", "Discussion")
_JUNK = re.compile(r"^(?:fig(?:ure)?s?|tables?|tab|scheme|chart|plate)\.?\s*\d", re.IGNORECASE)
_NUMBER = re.compile(r"^\s*((?:\d+|[IVX]+|[A-Z])(?:\.\d+)*)\.?\s+(?=\S)")


@lru_cache(maxsize=4096)
def plain_heading(heading: str | None) -> str | None:
    """The section a heading names plainly ("3. Results and Discussion" -> Results), else None."""
    if not heading:
        return None
    text = _NUMBER.sub("", heading).lower()
    text = re.sub(r"[^a-z ]+", " ", text.replace("&", " and "))
    return _PLAIN.get(" ".join(text.split()))


@lru_cache(maxsize=4096)
def is_junk_heading(heading: str) -> bool:
    """True for a heading GROBID made from something else: a caption, a fragment, a lone symbol."""
    text = heading.strip()
    if not re.search(r"[^\W\d_]{2,}", text):
        return True  # no word at all ("4.", "(b)")
    if _JUNK.match(text):
        return True
    words = text.split()
    if len(words) <= 3 and (text.endswith((")", ").", "),", ";")) or text[0].islower() and not plain_heading(text)):
        return True  # "right).", "and controls."
    return False


def _split_number(heading: str | None, number: str | None) -> tuple[str | None, str | None]:
    """The heading without its printed number, and the number ("2.1", or "C.1" for appendices)."""
    if heading and not number:
        match = _NUMBER.match(heading)
        if match:
            found, rest = match.group(1), heading[match.end():].strip()
            numeric = re.match(r"^\d+(?:\.\d+)*$", found)
            # "B AUTOGPT DETAILS", "C.1 ABSTRACT": an appendix letter, not the article "A research agenda"
            lettered = re.match(r"^[A-Z](?:\.\d+)*$", found) and ("." in found or rest.isupper())
            if numeric or lettered:
                return rest, found
    return heading, (number.strip().rstrip(".") or None) if number else None


def resolve_sections(divisions: list[tuple[str | None, str | None]]) -> list[Section]:
    """One :class:`Section` per division, from its (heading, number) and the divisions before it.

    Divisions with a junk heading or none get the Section of the division
    before them (the same object), so their paragraphs stay in that section.
    """
    cleaned = [_split_number(h.strip() if h else None, n) for h, n in divisions]
    later_introduction = [False] * len(cleaned)
    seen = False
    for i in range(len(cleaned) - 1, -1, -1):
        later_introduction[i] = seen
        heading = cleaned[i][0]
        if heading and not is_junk_heading(heading) and (plain_heading(heading) or normalize_section(heading)) \
                == "Introduction":
            seen = True
    out: list[Section] = []
    numbered: list[Section] = []
    current: Section | None = None  # the section text goes to
    top: Section | None = None  # the latest plainly named section
    for i, (heading, number) in enumerate(cleaned):
        if not heading or is_junk_heading(heading):
            if current is None:
                start = "Other" if later_introduction[i] else "Introduction"
                current = Section(heading=None, section=start, junk=bool(heading))
            out.append(current)
            continue
        plain = plain_heading(heading)
        if number:
            parent = next((s for s in reversed(numbered) if number.startswith(s.number + ".")), None)
            section = parent.section if parent is not None else (plain or normalize_section(heading) or "Other")
            node = Section(heading=heading, number=number, section=section, parent=parent)
            numbered.append(node)
            if parent is None and plain:
                top = node
        elif plain:
            node = Section(heading=heading, section=plain)
            top = node
        elif top is not None and top.section in _INHERITING:
            node = Section(heading=heading, section=top.section, parent=top)
        else:
            node = Section(heading=heading, section=normalize_section(heading) or "Other")
        current = node
        out.append(node)
    return out
