"""The vocabulary every source of statements shares: sections, citation types, statement ids."""
from __future__ import annotations

import hashlib
import re
from functools import lru_cache

from ..ids import is_blank

__all__ = ["SECTIONS", "CITATION_TYPES", "normalize_section", "normalize_type", "statement_id"]

#: The normalised sections of a citing paper a statement can come from.
SECTIONS = ("Introduction", "Methods", "Results", "Discussion", "Other")
#: scite's citation types, plus statements below the classifier's threshold.
CITATION_TYPES = ("supporting", "mentioning", "contrasting", "unclassified")

# First match wins, so the more specific headings come first: "Data analysis"
# is a Methods heading although "analysis" alone says little.
_SECTION_RULES = [
    ("Methods", r"method|data collection|data analysis|participant|procedure|material|design|"
                r"setting|sample|measure|recruit|intervention|ethic|statistic|interview"),
    ("Results", r"result|finding|outcome"),
    ("Discussion", r"discussion|conclu|implication|limitation|strength|future"),
    ("Introduction", r"introduc|background|literature|rationale|aim|objective|context"),
]


@lru_cache(maxsize=4096)
def normalize_section(heading) -> str | None:
    """Map a section heading to Introduction / Methods / Results / Discussion / Other.

    Returns None for an empty heading (unknown section), ``"Other"`` for a
    heading that names none of the four (e.g. "Acknowledgements").

    Examples
    --------
    >>> normalize_section("Data Collection")
    'Methods'
    >>> normalize_section("4. DISCUSSION AND CONCLUSIONS")
    'Discussion'
    """
    if heading is None or not isinstance(heading, str) or not heading.strip():
        return None
    text = heading.strip().lower()
    for section in SECTIONS:
        if text == section.lower():
            return section
    for section, pattern in _SECTION_RULES:
        if re.search(pattern, text):
            return section
    return "Other"


def statement_id(cited_id, citing_id, text) -> str:
    """A stable id from what a statement is: who cites whom, with which words."""
    key = "|".join("" if v is None or v != v else str(v) for v in (cited_id, citing_id, " ".join(str(text).split())))
    return "S" + hashlib.sha1(key.encode("utf-8")).hexdigest()[:12]


def normalize_type(value) -> str | None:
    """A citation type in peerbib's words: lower case, scite's API "contradicting" as "contrasting".

    Returns None for an empty value; raises ValueError for a word that is not
    one of :data:`CITATION_TYPES`.
    """
    if is_blank(value):
        return None
    kind = str(value).strip().lower() or None
    if kind == "contradicting":  # scite's API word for the website's "contrasting"
        kind = "contrasting"
    if kind is not None and kind not in CITATION_TYPES:
        raise ValueError(f"type {kind!r} is not one of {', '.join(CITATION_TYPES)}")
    return kind
