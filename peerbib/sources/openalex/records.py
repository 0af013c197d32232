"""OpenAlex Work records read into flat values: abstracts, authors, venue, citations.

Every key of a record is treated as optional: OpenAlex leaves fields out,
sends null, or (with ``select=``) sends only what was asked for.
"""
from __future__ import annotations

import html

from pyalex import invert_abstract

from ...ids import as_int, normalize_doi, short_id

__all__ = [
    "WORK_ROW_DTYPES",
    "decode_abstract",
    "authors_of",
    "venue_of",
    "work_row",
    "light",
    "cited_corpus_works",
    "canonical_work",
]

#: The columns :func:`work_row` fills and their pandas dtypes: the first
#: columns of the works table (``peerbib.tables.schema`` builds on them).
WORK_ROW_DTYPES = {
    "work_id": "str",
    "doi": "str",
    "title": "str",
    "publication_year": "Int64",
    "type": "str",
    "venue": "str",
    "authors": "str",
    "abstract": "str",
    "cited_by_count": "Int64",
}


def decode_abstract(inverted_index) -> str | None:
    """Plain text of an OpenAlex ``abstract_inverted_index`` (pyalex's ``invert_abstract``).

    HTML entities are decoded. None for a missing, null or empty index. An
    index of another shape than ``{word: [positions]}`` (positions given as
    one number, or not whole numbers) is read word by word: odd positions are
    ignored and a position given to two words keeps the later one.

    Examples
    --------
    >>> decode_abstract({"Peer": [0], "work": [1, 3], "and": [2]})
    'Peer work and work'
    >>> decode_abstract({}) is None
    True
    """
    if not isinstance(inverted_index, dict) or not inverted_index:
        return None
    try:
        text = invert_abstract(inverted_index)
    except TypeError:
        text = invert_abstract(_clean_index(inverted_index))
    if "&" in text:
        text = html.unescape(text)
    return text.strip() or None


def _clean_index(inverted_index: dict) -> dict[str, list[int]]:
    """``{word: [positions]}`` from an index of an unexpected shape, one word per position."""
    placed: dict[int, str] = {}
    for word, positions in inverted_index.items():
        if isinstance(positions, int):
            positions = [positions]
        if not isinstance(positions, (list, tuple)):
            continue
        for position in positions:
            if isinstance(position, int) and not isinstance(position, bool) and position >= 0:
                placed[position] = str(word)
    clean: dict[str, list[int]] = {}
    for position, word in placed.items():
        clean.setdefault(word, []).append(position)
    return clean


def authors_of(record: dict) -> str | None:
    """The record's author names joined by "; " (display names, else the raw names)."""
    names = []
    for authorship in record.get("authorships") or []:
        if not isinstance(authorship, dict):
            continue
        author = authorship.get("author") or {}
        name = (author.get("display_name") if isinstance(author, dict) else None) or authorship.get("raw_author_name")
        if name:
            names.append(" ".join(str(name).split()))
    return "; ".join(names) or None


def venue_of(record: dict) -> str | None:
    """The name of the source (journal, repository) of the record's primary location."""
    location = record.get("primary_location")
    source = location.get("source") if isinstance(location, dict) else None
    name = source.get("display_name") if isinstance(source, dict) else None
    return name or None


def work_row(record: dict) -> dict:
    """One flat row (the columns of :data:`WORK_ROW_DTYPES`) from an OpenAlex Work."""
    title = record.get("title") or record.get("display_name")
    return {
        "work_id": short_id(record.get("id")),
        "doi": normalize_doi(record.get("doi")),
        "title": html.unescape(" ".join(str(title).split())) if title else None,
        "publication_year": as_int(record.get("publication_year")),
        "type": record.get("type") or None,
        "venue": venue_of(record),
        "authors": authors_of(record),
        "abstract": decode_abstract(record.get("abstract_inverted_index")),
        "cited_by_count": as_int(record.get("cited_by_count")),
    }


def light(record: dict) -> dict:
    """What a fetch keeps of a corpus work while it runs: id, DOI, cited_by_count."""
    return {
        "id": short_id(record.get("id")),
        "doi": normalize_doi(record.get("doi")),
        "cited_by_count": record.get("cited_by_count"),
    }


def cited_corpus_works(record: dict, wanted: frozenset | set, queried=()) -> list[str]:
    """The corpus works a citing ``record`` cites, from its ``referenced_works``.

    Parameters
    ----------
    record : dict
        An OpenAlex Work.
    wanted : set of str
        Every corpus work id (built once by the caller: this runs per record).
    queried : sequence of str
        The works of the ``cites:`` query that answered the record. When the
        record has no reference list and one work was queried, the answer is
        that work.
    """
    references = record.get("referenced_works")
    if not references:
        return list(queried) if len(queried) == 1 else []
    # Each reference is looked up in ``wanted``: the work per record is the
    # length of its reference list, whatever the size of the corpus. A
    # reference is a work URL (https://openalex.org/W123); its last part is
    # the id, and membership in ``wanted`` is the check that it is one.
    found = set()
    for reference in references:
        if isinstance(reference, str):
            work = reference.rpartition("/")[2]
            if work in wanted:
                found.add(work)
    return sorted(found)


def canonical_work(work_ids, cited_by_count: dict) -> str:
    """Of several OpenAlex records for one DOI, the one to keep (most cited, then smallest id)."""
    return sorted(work_ids, key=lambda w: (-(cited_by_count.get(w) or 0), len(w), w))[0]
