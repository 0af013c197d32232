"""How similar a corpus row without a DOI is to an OpenAlex work.

Used twice: by the fetch, to accept a search candidate, and by the build, to
recognise a corpus row edited after its match was stored. Both compare plain
strings (titles, abstracts, author lists), so the two agree.
"""
from __future__ import annotations

import re
from difflib import SequenceMatcher

from ...ids import normalize_title

__all__ = ["surnames", "without_heading", "title_score", "listing_score"]

_HEADINGS = {"abstract", "purpose", "background", "objective", "objectives", "aim", "aims",
             "introduction", "summary", "context"}


def surnames(authors) -> set[str]:
    """Lower-case surnames of an author list ("Gillard, Steve; Holley, J" or "Steve Gillard and Jess Holley")."""
    names = set()
    for name in re.split(r";|\band\b", str(authors or "")):
        if "," in name:  # "Gillard, Steve"
            name = name.split(",")[0]
        parts = normalize_title(name).split()
        if parts:
            names.add(parts[-1])
    return {n for n in names if len(n) > 1}


def without_heading(text: str) -> str:
    """``text`` normalised, without a leading structured-abstract heading ("Purpose", "Background")."""
    words = normalize_title(text).split()
    while words and words[0] in _HEADINGS:
        words = words[1:]
    return " ".join(words)


def title_score(title, authors, their_title, their_authors) -> float:
    """Similarity (0-1) of two titles; 0.8 times that when both author lists are known and share no surname."""
    mine, theirs = normalize_title(title), normalize_title(their_title)
    if not mine or not theirs:
        return 0.0
    score = SequenceMatcher(None, mine, theirs, autojunk=False).ratio()
    if authors:
        theirs_names = surnames(their_authors)
        if theirs_names and not (surnames(authors) & theirs_names):
            score *= 0.8
    return round(score, 4)


def listing_score(abstract, authors, their_abstract, their_authors) -> tuple[float, float]:
    """(abstract similarity, share of the row's author surnames among the candidate's).

    Abstracts shorter than 80 characters score 0: too little text to tell two apart.
    """
    mine, theirs = without_heading(abstract or ""), without_heading(their_abstract or "")
    if len(mine) < 80 or len(theirs) < 80:
        similarity = 0.0
    else:
        n = min(len(mine), len(theirs), 400)
        similarity = SequenceMatcher(None, mine[:n], theirs[:n], autojunk=False).ratio()
    wanted = surnames(authors)
    share = len(wanted & surnames(their_authors)) / len(wanted) if wanted else 0.0
    return round(similarity, 4), round(share, 4)
