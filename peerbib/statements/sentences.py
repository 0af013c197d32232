"""Sentences of scientific prose, split around the citations in them.

The splitter works on the paragraph's text with every callout masked (its
characters replaced, offsets kept), so a full stop inside "(Smith et al.,
2010)" never ends a sentence. It ends a sentence at ``. ! ?`` (and closing
quotes or brackets after them) followed by a capital letter, a quote or a
word-like callout ("Smith et al. (2010) found …"), except after
abbreviations scientific text is full of ("et al.", "e.g.", "i.e.", "Fig.",
"vs.", "cf.", "ca.", "No.", "pp."), initials ("J. Smith") and inside
decimals. Numeric callouts printed after the full stop (``… in patients.
[1,4-6] However, …``) stay with the sentence they follow.

``benchmarks/sentence_splitters.py`` compares these rules with two
maintained splitters (pysbd and syntok) on hand-checked paragraphs and on
GROBID's own segmentation; the rules are kept because they are right more
often on citing sentences (the figures are in the README).
"""
from __future__ import annotations

import re

from .document import Callout

__all__ = ["split_sentences", "mask_callouts", "is_marker", "trim_spans"]

MARKER = "\ue000"  # a numeric or symbolic callout: "[3,", "4]", "(12)", "▶"
WORDLIKE = "\ue001"  # an author-year callout: "(Smith et al., 2010)", "Van Dijk 2000;"

# Words whose full stop does not end a sentence (compared in lower case, without the stop).
_ABBREVIATIONS = frozenset("""
al e.g eg i.e ie fig figs eq eqs ref refs vs v cf ca approx no nos vol vols p pp ch chap sec secs
dr mr mrs ms prof st jr sr inc ltd co corp dept univ viz resp ed eds est fl op cit ibid
tab suppl ser jan feb mar apr jun jul aug sep sept oct nov dec mt ft lb oz
u.s u.k e.u u.n n.b a.m p.m ph.d m.d b.sc m.sc
""".split())
_LETTERS = re.compile(r"[^\W\d_]{2,}")
_DOTTED = re.compile(r"(?:[a-z]\.)+[a-z]")
_LIST_NUMBER = re.compile(r"\s*\(?\d{1,2}")
_TERMINAL = re.compile(r"[.!?]+[\"'\u201d\u2019)\]]*")
_BETWEEN_MARKERS = " ,;-\u2010\u2011\u2012\u2013\u2014"
_NOT_SPACE = re.compile(r"\S")
_MARKER_TEXT = re.compile(r"^[\s\[\](){},;:.\-\u2010-\u2015\u25b6\u2192*\u2020\u2021\d a-z]*$")


def is_marker(text: str) -> bool:
    """True for a numeric or symbolic callout ("[1,", "4]", "(4, 5)", "▶"), False for author-year words."""
    stripped = text.strip()
    if not stripped:
        return True
    if _LETTERS.search(stripped):
        return False
    return bool(_MARKER_TEXT.match(stripped.lower()))


def mask_callouts(text: str, callouts: list[Callout]) -> str:
    """``text`` with each callout's characters replaced by :data:`MARKER` or :data:`WORDLIKE` (same length)."""
    if not callouts:
        return text
    ordered = sorted(callouts, key=lambda c: c.start)
    if any(b.start < a.end for a, b in zip(ordered, ordered[1:])):
        # Overlapping callouts (rare): character by character, a later callout's fill winning as it always has.
        chars = list(text)
        for callout in callouts:
            fill = MARKER if is_marker(callout.text) else WORDLIKE
            for i in range(max(0, callout.start), min(len(chars), callout.end)):
                if not chars[i].isspace():
                    chars[i] = fill
        return "".join(chars)
    # The text between callouts is kept as slices: a list of one object per character costs 8 bytes each
    # (400 MB for the 50-million-character paragraph of a TEI written on one line).
    parts, last = [], 0
    for callout in ordered:
        start, end = max(last, callout.start), min(len(text), callout.end)
        if end <= start:
            continue
        fill = MARKER if is_marker(callout.text) else WORDLIKE
        parts.append(text[last:start])
        parts.append(_NOT_SPACE.sub(fill, text[start:end]))
        last = end
    parts.append(text[last:])
    return "".join(parts)


def _starts_sentence(masked: str, i: int) -> bool:
    """True when a sentence can begin at ``i`` (after whitespace has been skipped)."""
    if i >= len(masked):
        return False
    char = masked[i]
    if char == WORDLIKE or char.isupper():
        return True
    if char in "\"'\u201c\u2018([":
        rest = masked[i + 1:i + 2]
        return bool(rest) and (rest.isupper() or rest == WORDLIKE or rest.isdigit())
    return char.isdigit()


def _abbreviation_before(masked: str, end: int) -> str | None:
    """The word that the full stop at ``end - 1`` closes, when it is an abbreviation or an initial."""
    stop = end - 1
    start = stop
    while start > 0 and not masked[start - 1].isspace() and masked[start - 1] not in "([\"'\u201c\u2018":
        start -= 1  # back to the start of the word (a scan, not a regex from the paragraph's start)
    if start == stop:
        return None
    word = masked[start:stop]
    bare = word.lower().rstrip(".")
    if bare in _ABBREVIATIONS:
        return word
    if len(bare) == 1 and bare.isalpha():
        return word  # an initial: "J. Smith", "S.-H. Kim"
    if _DOTTED.fullmatch(bare):
        return word  # "e.g", "i.e", "u.s"
    return None


def split_sentences(text: str, callouts: list[Callout] = ()) -> list[tuple[int, int]]:
    """(start, end) offsets of the sentences of ``text``, whitespace trimmed.

    Parameters
    ----------
    text : str
        A paragraph.
    callouts : list of Callout
        Its in-text citations (masked while splitting).

    Examples
    --------
    >>> text = "Peers help (Smith et al., 2010). Fig. 2 shows e.g. more. Yes."
    >>> [text[a:b] for a, b in split_sentences(text)]
    ['Peers help (Smith et al., 2010).', 'Fig. 2 shows e.g. more.', 'Yes.']
    """
    masked = mask_callouts(text, list(callouts))
    boundaries = []
    for match in _TERMINAL.finditer(masked):
        end = match.end()
        stop = match.group(0)
        i = end
        # Numeric callouts after the full stop belong to the sentence before: "patients. [1,4-6] However",
        # "rhabdomyolysis.2–4 Another" (two callouts and the dash printed between them).
        j = i
        while j < len(masked) and (masked[j] == MARKER or masked[j] in _BETWEEN_MARKERS):
            j += 1
        if j > i and MARKER in masked[i:j]:
            k = j
            while k < len(masked) and masked[k].isspace():
                k += 1
            if k >= len(masked) or _starts_sentence(masked, k):
                last = masked.rfind(MARKER, i, j) + 1
                boundaries.append(last)
            continue
        if i < len(masked) and not masked[i].isspace():
            continue  # "2.5", "e.g.," or a stop inside a token
        k = i
        while k < len(masked) and masked[k].isspace():
            k += 1
        if k >= len(masked):
            continue  # the paragraph's end
        if not _starts_sentence(masked, k):
            continue
        last = boundaries[-1] if boundaries else 0
        if stop == "." and match.start() - last <= 5 and _LIST_NUMBER.fullmatch(masked, last, match.start()):
            continue  # "2. In our previous work": a list number opens the sentence, it does not end one
        if stop.startswith(".") and len(stop.rstrip("\"'\u201d\u2019)]")) == 1:
            word = _abbreviation_before(masked, match.start() + 1)
            if word is not None:
                # After "et al." or an initial a capital is usually a name, not a new sentence;
                # after "Fig."/"No."/"p." a digit is a number.
                continue
        boundaries.append(end)
    starts = [0] + boundaries
    return trim_spans(text, list(zip(starts, boundaries + [len(text)])))


def trim_spans(text: str, spans) -> list[tuple[int, int]]:
    """``spans`` of ``text`` without the whitespace at their ends; empty spans dropped."""
    out = []
    for a, b in spans:
        while a < b and text[a].isspace():
            a += 1
        while b > a and text[b - 1].isspace():
            b -= 1
        if b > a:
            out.append((a, b))
    return out
