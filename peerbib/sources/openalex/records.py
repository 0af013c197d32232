"""OpenAlex Work records read into flat values: abstracts, authors, venue, citations, reference lists,
authorships with their institutions and countries, keywords, MeSH terms and topics.

Every key of a record is treated as optional: OpenAlex leaves fields out,
sends null, or (with ``select=``) sends only what was asked for. Lists inside
one cell are joined by "; " (what the analyses split on); a ";" inside one
value (an institution's name) becomes "," so that it stays one value.
"""
from __future__ import annotations

import html

from pyalex import invert_abstract

from ...corpus.names import name_key
from ...ids import as_int, issns, normalize_doi, short_id

__all__ = [
    "WORK_ROW_DTYPES",
    "decode_abstract",
    "authors_of",
    "venue_of",
    "work_row",
    "WORK_EXTRA_DTYPES",
    "work_extras",
    "issn_of",
    "REFERENCE_DTYPES",
    "reference_ids",
    "AUTHORSHIP_DTYPES",
    "authorship_rows",
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


def issn_of(record: dict) -> str | None:
    """The ISSNs of the source of the record's primary location, ISSN-L first, "; " joined; None without one.

    Examples
    --------
    >>> issn_of({"primary_location": {"source": {"issn_l": "1369-6513", "issn": ["1369-7625", "1369-6513"]}}})
    '1369-6513; 1369-7625'
    """
    location = record.get("primary_location")
    source = location.get("source") if isinstance(location, dict) else None
    if not isinstance(source, dict):
        return None
    listed = source.get("issn") if isinstance(source.get("issn"), list) else [source.get("issn")]
    found: list[str] = []
    for value in [source.get("issn_l"), *listed]:
        if isinstance(value, str):
            found += [issn for issn in issns(value) if issn not in found]
    return "; ".join(found) or None


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


#: The columns :func:`work_extras` fills: what OpenAlex says of a work beyond
#: :data:`WORK_ROW_DTYPES` (later columns of the works table).
WORK_EXTRA_DTYPES = {
    "keywords": "str",
    "mesh": "str",
    "topics": "str",
    "is_retracted": "boolean",
    "fwci": "Float64",
    "issn": "str",
}


def _joined(values) -> str | None:
    """Distinct non-blank values, in order, joined by "; " (a ";" inside a value becomes ",")."""
    out: list[str] = []
    for value in values:
        if value is None:
            continue
        text = " ".join(str(value).replace(";", ",").split())
        if text and text not in out:
            out.append(text)
    return "; ".join(out) or None


def _names(items, key: str = "display_name") -> list:
    return [item.get(key) for item in items or [] if isinstance(item, dict)]


def work_extras(record: dict) -> dict:
    """Keywords, MeSH terms, topics, the retraction flag, the FWCI and the venue's ISSNs of an OpenAlex Work.

    ``keywords`` and ``topics`` are the display names of OpenAlex's keywords
    and topics, ``mesh`` the distinct descriptor names of its MeSH terms (a
    descriptor comes once per qualifier; qualifiers are left out), each
    joined by "; " in OpenAlex's order; ``is_retracted`` and ``fwci`` (field-weighted
    citation impact) as OpenAlex gives them, ``issn`` as :func:`issn_of`. None where the record lacks the
    field (a stored query that did not ask for it) or gives nothing.

    Examples
    --------
    >>> work_extras({"mesh": [{"descriptor_name": "Humans", "qualifier_name": "psychology"},
    ...                       {"descriptor_name": "Humans", "qualifier_name": None}], "fwci": 1.5})["mesh"]
    'Humans'
    """
    retracted = record.get("is_retracted")
    fwci = record.get("fwci")
    return {
        "keywords": _joined(_names(record.get("keywords"))),
        "mesh": _joined(_names(record.get("mesh"), "descriptor_name")),
        "topics": _joined(_names(record.get("topics"))),
        "is_retracted": retracted if isinstance(retracted, bool) else None,
        "fwci": float(fwci) if isinstance(fwci, (int, float)) and not isinstance(fwci, bool) else None,
        "issn": issn_of(record),
    }


#: The columns of one reference row (the first columns of ``tables.references``).
REFERENCE_DTYPES = {
    "citing_id": "str",
    "cited_id": "str",
    "position": "Int64",
    "cited_doi": "str",
    "cited_title": "str",
    "cited_year": "Int64",
    "cited_venue": "str",
}


def reference_ids(record: dict) -> list[tuple[int, str]]:
    """``(position, W id)`` of every work in the record's ``referenced_works``, in OpenAlex's order.

    ``position`` counts from 0 over the list as OpenAlex gives it; an entry
    that is no work id is left out (its position stays unused).

    Examples
    --------
    >>> reference_ids({"referenced_works": ["https://openalex.org/W2", None, "https://openalex.org/W1"]})
    [(0, 'W2'), (2, 'W1')]
    """
    out = []
    for position, reference in enumerate(record.get("referenced_works") or []):
        work = short_id(reference) if isinstance(reference, str) else None
        if work:
            out.append((position, work))
    return out


#: The columns of one authorship row (the first columns of ``tables.authorships``).
AUTHORSHIP_DTYPES = {
    "work_id": "str",
    "position": "Int64",
    "author_id": "str",
    "author_name": "str",
    "institution_ids": "str",
    "institution_names": "str",
    "country_codes": "str",
    "is_corresponding": "boolean",
}


def _author_id(value) -> str | None:
    """``https://openalex.org/A123`` -> ``A123`` (None for anything else)."""
    if not isinstance(value, str):
        return None
    tail = value.strip().rstrip("/").rpartition("/")[2].upper()
    return tail if tail[:1] == "A" and tail[1:].isdigit() else None


def _institution_id(value) -> str | None:
    if not isinstance(value, str):
        return None
    tail = value.strip().rstrip("/").rpartition("/")[2].upper()
    return tail if tail[:1] == "I" and tail[1:].isdigit() else None


def authorship_rows(record: dict, work_id: str | None = None) -> list[dict]:
    """One row per authorship of an OpenAlex Work (the columns of :data:`AUTHORSHIP_DTYPES`).

    ``position`` counts from 0 in OpenAlex's order of authors (the order of
    the byline). ``author_id`` is the OpenAlex author id (``A…``), else a key
    made from the name (:func:`peerbib.corpus.names.name_key`: "hadjas i", as the exports' authors);
    ``author_name`` the display name, else the raw name. ``institution_ids`` and
    ``institution_names`` are parallel "; " lists (institutions without an
    OpenAlex id are left out of both); ``country_codes`` the authorship's
    ``countries``, else its institutions' country codes. An authorship with
    neither id nor name is left out (its position stays unused).
    """
    work_id = work_id or short_id(record.get("id"))
    rows = []
    for position, authorship in enumerate(record.get("authorships") or []):
        if not isinstance(authorship, dict):
            continue
        author = authorship.get("author") if isinstance(authorship.get("author"), dict) else {}
        name = author.get("display_name") or authorship.get("raw_author_name")
        name = " ".join(str(name).split()) if name else None
        author_id = _author_id(author.get("id")) or name_key(name)
        if not author_id:
            continue
        ids, names, codes = [], [], []
        for institution in authorship.get("institutions") or []:
            if not isinstance(institution, dict):
                continue
            institution_id = _institution_id(institution.get("id"))
            if institution_id and institution_id not in ids:
                ids.append(institution_id)
                names.append(institution.get("display_name") or institution_id)
            if institution.get("country_code"):
                codes.append(institution["country_code"])
        countries = [c for c in authorship.get("countries") or [] if isinstance(c, str)] or codes
        corresponding = authorship.get("is_corresponding")
        rows.append({
            "work_id": work_id,
            "position": position,
            "author_id": author_id,
            "author_name": name,
            "institution_ids": "; ".join(ids) or None,
            "institution_names": "; ".join(" ".join(str(n).replace(";", ",").split()) for n in names) or None,
            "country_codes": _joined(c.upper() for c in countries),
            "is_corresponding": corresponding if isinstance(corresponding, bool) else None,
        })
    return rows


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
