"""Citation statements from a full-text document: every sentence that cites a corpus work.

For each bibliography entry of a citing paper, :class:`CorpusIndex` finds
the corpus work it is, by DOI, else by normalised title and year (a title
similarity of at least :data:`peerbib.settings.MATCH_THRESHOLD`, the score kept). Each
paragraph holding a callout to a matched entry is split into sentences
(GROBID's own ``<s>`` when the file has them), and every (citing work, cited
work, sentence) becomes one statement with the sentences around it in the
same paragraph, its section, the callouts as printed, and how the entry was
matched. Paragraphs without such a callout are not split at all.

A "sentence" longer than :data:`MAX_STATEMENT_CHARS` is no sentence but text
the splitter could not split (a table read as prose, a file written without
full stops): the statement keeps the characters around its citation, and
each context the part next to the statement, marked with "…" where cut.
"""
from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

from ..ids import normalize_doi, normalize_title
from ..settings import MATCH_THRESHOLD
from ..sources.openalex.matching import title_score
from .document import Callout, Document, Paragraph
from .sections import statement_id
from .sentences import split_sentences

__all__ = ["CorpusIndex", "Match", "extract_statements", "match_bibliography", "expand_ranges",
           "STATEMENT_COLUMNS", "MAX_STATEMENT_CHARS", "MAX_CONTEXT_CHARS"]

#: The columns of a statement row, in order (the statements table adds its classification columns).
STATEMENT_COLUMNS = (
    "statement_id", "citing_id", "cited_id", "text", "context_before", "context_after", "section",
    "section_heading", "location", "callout", "n_cited_in_sentence", "fulltext_source", "match_method",
    "match_score",
)
#: The longest statement text kept, in characters. The longest of 4,548 sentences in 25 real GROBID TEI and
#: JATS papers (those in tests/fixtures/fulltext and the shared reference set) has 784 characters, 99.9%
#: have under 630: a "sentence" of 2,000 is text the splitter could not split, of which only the words
#: around the citation speak about it. A 50 MB TEI written as one paragraph without a full stop made one
#: 50-million-character statement before this bound.
MAX_STATEMENT_CHARS = 2000
#: The longest ``context_before`` / ``context_after`` kept: the end of the sentence before, the start of the one after.
MAX_CONTEXT_CHARS = 2000
_CUT = "\u2026"  # "…", where a text was cut
_NOT_A_CITATION = re.compile(r"^\W*(?:fig(?:ure)?s?|tables?|tab|eqs?|equation|formula|scheme|supplementary)\b\.?",
                             re.IGNORECASE)
_DASH_ONLY = re.compile(r"^\s*[-\u2010-\u2015\u2212]\s*$")
_STOP = frozenset("a an the of in on and or for to with by from at as is are be its their this that".split())


@dataclass(frozen=True)
class Match:
    work_id: str
    method: str  # "doi" or "title"
    score: float


class CorpusIndex:
    """The corpus works a bibliography entry can be: by DOI, and by title words.

    Parameters
    ----------
    works : iterable of dict
        Each with ``work_id``, ``doi``, ``title``, ``publication_year`` and ``authors``.
    """

    def __init__(self, works):
        self.by_doi: dict[str, str] = {}
        self.by_title: dict[str, list[tuple[str, int | None, str | None, str]]] = {}
        self._postings: dict[str, set[str]] = {}
        for work in works:
            work_id = work.get("work_id")
            if not isinstance(work_id, str):
                continue
            doi = normalize_doi(work.get("doi"))
            if doi:
                self.by_doi.setdefault(doi, work_id)
            title = normalize_title(work.get("title"))
            if len(title) < 10:
                continue
            year = work.get("publication_year")
            year = int(year) if isinstance(year, (int, float)) and year == year else None
            authors = work.get("authors") if isinstance(work.get("authors"), str) else None
            self.by_title.setdefault(title, []).append((work_id, year, authors, work.get("title")))
            for word in set(title.split()) - _STOP:
                self._postings.setdefault(word, set()).add(title)

    def __len__(self) -> int:
        return len(self.by_doi) + len(self.by_title)

    def match(self, doi, title, year, first_author=None) -> Match | None:
        """The corpus work an entry is, or None."""
        doi = normalize_doi(doi)
        if doi and doi in self.by_doi:
            return Match(self.by_doi[doi], "doi", 1.0)
        wanted = normalize_title(title)
        if len(wanted) < 10:
            return None
        best: Match | None = None
        for candidate in self._candidates(wanted):
            for work_id, their_year, authors, raw_title in self.by_title[candidate]:
                if year is not None and their_year is not None and abs(int(year) - their_year) > 1:
                    continue
                score = 1.0 if candidate == wanted else title_score(title, first_author, raw_title, authors)
                if score >= MATCH_THRESHOLD and (best is None or score > best.score):
                    best = Match(work_id, "title", score)
        return best

    def _candidates(self, wanted: str) -> list[str]:
        if wanted in self.by_title:
            return [wanted]
        words = [w for w in set(wanted.split()) - _STOP if w in self._postings]
        if not words:
            return []
        # The two rarest words of the title: a title 90% alike shares them, few others do.
        words.sort(key=lambda w: len(self._postings[w]))
        found = set(self._postings[words[0]])
        if len(words) > 1:
            found &= self._postings[words[1]]
        return sorted(found)[:200]


def expand_ranges(paragraph: Paragraph, order: dict[str, int]) -> None:
    """A printed range ("[10]–[14]", two callouts with only a dash between) cites every entry it spans.

    ``order`` is each bibliography key's position. GROBID often expands
    ranges itself; JATS never does.
    """
    callouts = paragraph.callouts
    for previous, callout in zip(callouts, callouts[1:]):
        gap = paragraph.text[previous.end:callout.start]
        if not previous.targets or not callout.targets or not _DASH_ONLY.match(gap):
            continue
        first, last = order.get(previous.targets[-1]), order.get(callout.targets[0])
        if first is None or last is None or last - first <= 1:
            continue
        between = tuple(key for key, position in order.items() if first < position < last)
        callout.targets = tuple(dict.fromkeys(between + callout.targets))


def _excerpt(text: str, start: int, end: int, focus: tuple[int, int], limit: int) -> tuple[str, bool]:
    """``text[start:end]``, or when that is longer than ``limit``, at most ``limit`` characters of it
    around ``focus`` (offsets in ``text``), cut between words and marked "…"; and whether it was cut.

    Only the excerpt is copied: slicing a 50-million-character span whole would copy it.
    """
    if end - start <= limit:
        return text[start:end], False
    room = limit - 2 * len(_CUT)
    low = min(max(start, focus[0]), end)
    high = min(max(low, focus[1]), end)
    if high - low > room:
        high = low  # callouts further apart than the room: the text around the first one
    spare = room - (high - low)
    a = max(start, low - spare // 2)
    b = min(end, a + room)
    a = max(start, b - room)  # against an end of the span: the room goes to the other side
    # Cut between words, when a space is near, so that no half word stands at either end.
    if a > start:
        space = text.find(" ", a, min(low, a + 80))
        a = space + 1 if space >= 0 else a
    if b < end:
        space = text.rfind(" ", max(high, b - 80), b)
        b = space if space >= 0 else b
    return (_CUT if a > start else "") + text[a:b].strip() + (_CUT if b < end else ""), True


def _sentence_of(starts: list[int], spans: list[tuple[int, int]], offset: int) -> int:
    i = bisect.bisect_right(starts, offset) - 1
    return max(0, min(i, len(spans) - 1))


def match_bibliography(bibliography: dict, index: CorpusIndex, citing_id: str, matches: dict | None = None
                       ) -> dict[str, Match]:
    """Bibliography key -> the corpus work the entry is (a work never cites itself).

    ``matches`` caches entry matches (``(doi, title, year) -> Match``) across documents.
    """
    matches = {} if matches is None else matches
    matched: dict[str, Match] = {}
    for key, entry in bibliography.items():
        cache_key = (entry.doi, entry.title, entry.year)
        if cache_key not in matches:
            matches[cache_key] = index.match(entry.doi, entry.title, entry.year, entry.first_author)
        found = matches[cache_key]
        if found is not None and found.work_id != citing_id:
            matched[key] = found
    return matched


def extract_statements(document: Document, index: CorpusIndex | None, citing_id: str, *,
                       matches: dict | None = None, matched: dict | None = None) -> tuple[list[dict], dict]:
    """Statement rows of one citing document, and counts of what was found.

    Parameters
    ----------
    document : Document
    index : CorpusIndex
    citing_id : str
        The citing work's id (its OpenAlex W-id).
    matches : dict, optional
        A cache of entry matches (``(doi, title, year) -> Match``) shared across documents.
    matched : dict, optional
        The entries already matched (bibliography key -> :class:`Match`), instead of matching them
        against ``index`` (e.g. every entry, to take every citation statement of a paper).

    Returns
    -------
    (list of dict, dict)
        Rows with :data:`STATEMENT_COLUMNS`; and counts: ``callouts``,
        ``unresolved`` (callouts without a bibliography target),
        ``entries_matched``, ``capped`` (statements whose text or context
        was cut to :data:`MAX_STATEMENT_CHARS` / :data:`MAX_CONTEXT_CHARS`).
    """
    if matched is None:
        matched = match_bibliography(document.bibliography, index, citing_id, matches)
    order = {key: i for i, key in enumerate(document.bibliography)}
    counts = {"callouts": 0, "unresolved": 0, "entries_matched": len(matched), "capped": 0}
    rows: list[dict] = []
    seen: set[tuple] = set()
    for paragraph in document.paragraphs:
        callouts = [c for c in paragraph.callouts if not _NOT_A_CITATION.match(c.text)]
        counts["callouts"] += len(callouts)
        counts["unresolved"] += sum(1 for c in callouts if not c.targets)
        if not any(t in matched for c in callouts for t in c.targets):
            continue
        expand_ranges(paragraph, order)
        spans = paragraph.sentences or split_sentences(paragraph.text, callouts)
        if not spans:
            continue
        starts = [a for a, _ in spans]
        by_sentence: dict[int, list[Callout]] = {}
        for callout in callouts:
            by_sentence.setdefault(_sentence_of(starts, spans, callout.start), []).append(callout)
        for i, sentence_callouts in sorted(by_sentence.items()):
            entries = {t for c in sentence_callouts for t in c.targets}
            cited_here = {}
            for callout in sentence_callouts:
                for target in callout.targets:
                    if target in matched:
                        cited_here.setdefault(matched[target].work_id, []).append((callout, matched[target]))
            if not cited_here:
                continue
            a, b = spans[i]
            citing_callouts = [c for found in cited_here.values() for c, _ in found]
            focus = (min(c.start for c in citing_callouts), max(c.end for c in citing_callouts))
            text, cut = _excerpt(paragraph.text, a, b, focus, MAX_STATEMENT_CHARS)
            before = after = None
            if i > 0:
                start, end = spans[i - 1]
                before, cut_before = _excerpt(paragraph.text, start, end, (end, end), MAX_CONTEXT_CHARS)
                cut = cut or cut_before
            if i + 1 < len(spans):
                start, end = spans[i + 1]
                after, cut_after = _excerpt(paragraph.text, start, end, (start, start), MAX_CONTEXT_CHARS)
                cut = cut or cut_after
            in_body = paragraph.location == "body"
            for cited_id, found in cited_here.items():
                key = (cited_id, text)
                if key in seen:
                    continue
                seen.add(key)
                counts["capped"] += int(cut)
                match = max((m for _, m in found), key=lambda m: m.score)
                rows.append({
                    "statement_id": statement_id(cited_id, citing_id, text),
                    "citing_id": citing_id,
                    "cited_id": cited_id,
                    "text": text,
                    "context_before": before,
                    "context_after": after,
                    "section": paragraph.section.section if in_body else "Other",
                    "section_heading": paragraph.section.path or None,
                    "location": paragraph.location,
                    "callout": " ".join(dict.fromkeys(c.text for c, _ in found)),
                    "n_cited_in_sentence": len(entries),
                    "fulltext_source": document.source,
                    "match_method": match.method,
                    "match_score": match.score,
                })
    return rows, counts
