"""The OpenAlex requests a fetch sends, built with pyalex.

pyalex's query builder (``Works().filter_or(doi=[...]).select([...])``, its
``.url``) makes every request URL: filters, OR lists, ``.search`` filters,
``search=`` and ``select=`` are encoded as pyalex encodes them. peerbib adds
only what pyalex leaves out of ``.url`` on purpose: the paging parameters
(``per-page``, ``cursor``, the names pyalex's own paginator sends) and
``select`` on a single-work lookup, which pyalex cannot express. The URL is
then sent by :class:`~peerbib.sources.openalex.client.OpenAlexClient`, not
by pyalex: pyalex 0.21 sets no timeout, and its retries neither honour
``Retry-After`` nor tell a spent credit budget from a rate limit.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from urllib.parse import quote_plus, urlencode, urlsplit

from pyalex import Work, Works

__all__ = [
    "WORK_FIELDS",
    "CITING_FIELDS",
    "REQUIRED_WORK_FIELDS",
    "REQUIRED_CITING_FIELDS",
    "MAX_URL",
    "ROLE_CORPUS",
    "ROLE_CANDIDATES",
    "ROLE_CITING",
    "ROLE_REFERENCES",
    "REFERENCE_FIELDS",
    "MAX_ID_BATCH",
    "Query",
    "doi_batches",
    "doi_batch_query",
    "doi_query",
    "id_batch_query",
    "id_batches",
    "references_query",
    "work_query",
    "title_query",
    "listing_query",
    "search_query",
    "cites_query",
    "tei_url",
    "filter_words",
]

#: Fields of the works table's later columns, asked for corpus works only (see :data:`CITING_FIELDS`).
_ANALYSIS_FIELDS = ("keywords", "mesh", "topics", "is_retracted", "fwci")
#: Fields kept for corpus works (``select=``): what the works table needs,
#: plus counts_by_year, reference lists, and keywords, MeSH terms, topics, the
#: retraction flag and FWCI for the analyses of the corpus.
WORK_FIELDS = (
    "id", "doi", "title", "publication_year", "type", "cited_by_count", "counts_by_year",
    "abstract_inverted_index", "referenced_works", "primary_location", "authorships",
    "has_content", "open_access", "ids", *_ANALYSIS_FIELDS,
)
#: Fields kept for citing works: no counts_by_year, keywords, MeSH, topics,
#: retraction flag or FWCI. The analyses read those of corpus works only, and
#: citing works come in bulk (keywords and topics alone add about a kilobyte a
#: record); the citing select staying as it was also keeps the stored ``cites:``
#: queries' keys, so a grown corpus pages its new batches alike.
CITING_FIELDS = tuple(f for f in WORK_FIELDS if f != "counts_by_year" and f not in _ANALYSIS_FIELDS)
#: What a stored query must have selected to be reused: the fields the tables
#: need. ``ids`` (for a work's PMC id) and the analysis fields came later;
#: queries stored without them are still reused (a fetch never pays again for
#: what it has), their works just lack a PMC id, keywords, MeSH terms, topics,
#: retraction flag and FWCI until ``refresh`` asks again.
REQUIRED_WORK_FIELDS = tuple(f for f in WORK_FIELDS if f != "ids" and f not in _ANALYSIS_FIELDS)
REQUIRED_CITING_FIELDS = tuple(f for f in CITING_FIELDS if f != "ids")
#: Fields kept for the works the corpus cites (``fetch --references``): what labels a reference.
REFERENCE_FIELDS = ("id", "doi", "title", "display_name", "publication_year", "primary_location")
#: Most OpenAlex ids one ``openalex_id:`` OR filter holds (OpenAlex allows 100 values).
MAX_ID_BATCH = 100

#: Longest request URL peerbib builds for a batch (OpenAlex allows about 4 kB;
#: the rest is room for a cursor).
MAX_URL = 3500

#: Query roles: what the records of a query are to the corpus.
ROLE_CORPUS = "corpus"  # works the fetch was asked for (DOIs, ids, search results)
ROLE_CANDIDATES = "candidates"  # candidates of a title/abstract match; only the accepted one counts
ROLE_CITING = "citing"  # works citing corpus works (``cites:`` filter)
ROLE_REFERENCES = "references"  # works the corpus works cite, for their labels (``fetch --references``)


@dataclass
class Query:
    """One OpenAlex request, or one cursor-paged series of them.

    Attributes
    ----------
    kind : str
        doi, doi-single, id, work, title, listing, search, cites or references.
    role : str
        :data:`ROLE_CORPUS`, :data:`ROLE_CANDIDATES`, :data:`ROLE_CITING` or :data:`ROLE_REFERENCES`.
    url : str
        The request as pyalex builds it, without ``per-page`` and ``cursor``.
    items : list
        What the query asks about (DOIs, work ids, a search), for the snapshot's bookkeeping.
    select : tuple of str or None
        The fields asked for (None: the whole record).
    per_page : int or None
        Page size of a list query.
    paged : bool
        Cursor-paged to the end (False: one page only).
    max_records : int or None
        Stop after this many records (``max_citing``, ``max_search``).
    context : dict
        Extra facts stored with the query (e.g. the corpus row a title search is for).
    fixed_key : str or None
        The snapshot key of a query read back from a manifest.
    """

    kind: str
    role: str
    url: str
    items: list = field(default_factory=list)
    select: tuple | None = None
    per_page: int | None = None
    paged: bool = True
    max_records: int | None = None
    context: dict = field(default_factory=dict)
    fixed_key: str | None = None

    @property
    def singleton(self) -> bool:
        return not urlsplit(self.url).path.rstrip("/").endswith("/works")

    @property
    def key(self) -> str:
        """The query's name in the snapshot: the same request always gets the same key."""
        if self.fixed_key:
            return self.fixed_key
        return hashlib.sha256(f"{self.kind}\n{self.url}".encode()).hexdigest()[:20]

    def page_url(self, cursor: str | None = None) -> str:
        """The URL of one page: pyalex's URL plus the paging parameters."""
        extra = {}
        if self.singleton:
            if self.select:
                extra["select"] = ",".join(self.select)
        else:
            if self.per_page:
                extra["per-page"] = int(self.per_page)
            if self.paged and cursor is not None:
                extra["cursor"] = cursor
        if not extra:
            return self.url
        joiner = "&" if urlsplit(self.url).query else "?"
        return self.url + joiner + urlencode(extra, safe="*,")

    def describe(self, run: str) -> dict:
        """What the snapshot's manifest records of the query."""
        return {
            "kind": self.kind,
            "role": self.role,
            "url": self.url,
            "items": list(self.items),
            "select": list(self.select) if self.select is not None else None,
            "per_page": self.per_page,
            "paged": self.paged,
            "context": dict(self.context),
            "run": run,
        }

    @classmethod
    def from_entry(cls, entry: dict, max_records=None) -> "Query":
        """The query a manifest entry describes (to resume it)."""
        return cls(entry["kind"], entry["role"], entry["url"], list(entry.get("items", [])),
                   tuple(entry["select"]) if entry.get("select") is not None else None,
                   entry.get("per_page"), entry.get("paged", True), max_records,
                   dict(entry.get("context", {})), fixed_key=entry.get("key"))


def filter_words(text: str, max_words: int) -> str:
    """Words safe inside an OpenAlex filter value (no , | : which are filter syntax)."""
    words = re.sub(r"[^\w\s'-]", " ", text).split()
    return " ".join(words[:max_words])


def _list_query(kind, role, works: Works, items, select, per_page, **options) -> Query:
    works = works.select(list(select))
    return Query(kind, role, works.url, list(items), tuple(select), per_page, **options)


def doi_batch_query(dois: list[str], per_page: int) -> Query:
    """Works with any of ``dois`` (one OR filter; at most 100 values)."""
    return _list_query("doi", ROLE_CORPUS, Works().filter_or(doi=list(dois)), dois, WORK_FIELDS,
                       max(per_page, len(dois)))


def doi_query(doi: str) -> Query:
    """The work with ``doi``, looked up alone (free): for DOIs a filter cannot hold (commas, bars)."""
    return Query("doi-single", ROLE_CORPUS, Works(f"doi:{doi}").url, [doi], WORK_FIELDS, paged=False)


def id_batch_query(ids: list[str], per_page: int) -> Query:
    """Works with any of the OpenAlex ids ``ids``."""
    return _list_query("id", ROLE_CORPUS, Works().filter_or(openalex_id=list(ids)), ids, WORK_FIELDS,
                       max(per_page, len(ids)))


def references_query(ids: list[str]) -> Query:
    """The works ``ids`` (at most :data:`MAX_ID_BATCH`), referenced by corpus works: their labels only."""
    ids = sorted(ids)
    return _list_query("references", ROLE_REFERENCES, Works().filter_or(openalex_id=list(ids)), ids,
                       REFERENCE_FIELDS, len(ids))


def id_batches(ids: list[str], size: int = MAX_ID_BATCH) -> list[list[str]]:
    """Sorted ``ids`` in batches of at most ``size`` (and :data:`MAX_ID_BATCH`) whose ``references_query``
    URL stays within :data:`MAX_URL` (W ids run to 11 characters: 100 of them fit)."""
    base = len(references_query(["W1"]).page_url()) - 2
    return _url_batches(sorted(ids), max(1, min(int(size), MAX_ID_BATCH)), base)


def work_query(work_id: str) -> Query:
    """One work by id (free); a merged id answers 301 and is followed to the work that remains."""
    return Query("work", ROLE_CORPUS, Works(work_id).url, [work_id], WORK_FIELDS, paged=False)


def title_query(corpus_work_id: str, title: str, year: int | None) -> Query | None:
    """Candidates for a corpus row with a title: ``title.search`` within its year ±1 (online and issue years differ)."""
    words = filter_words(title, 30)
    if not words:
        return None
    works = Works().search_filter(title=words)
    if year:
        works = works.filter(publication_year=f"{year - 1}-{year + 1}")
    return _list_query("title", ROLE_CANDIDATES, works, [corpus_work_id], WORK_FIELDS, 10, paged=False,
                       context={"corpus_work_id": corpus_work_id})


def listing_query(corpus_work_id: str, abstract_words: str, year: int | None) -> Query:
    """Candidates for a listing row (no title, no DOI): its abstract's first words, in its year."""
    works = Works().search_filter(title_and_abstract=abstract_words)
    if year:
        works = works.filter(publication_year=str(year))
    return _list_query("listing", ROLE_CANDIDATES, works, [corpus_work_id], WORK_FIELDS, 10, paged=False,
                       context={"corpus_work_id": corpus_work_id})


def search_query(text: str, per_page: int, max_records: int) -> Query:
    """An OpenAlex full-text search (10 credits a page), capped at ``max_records`` results."""
    text = str(text).strip()
    return _list_query("search", ROLE_CORPUS, Works().search(text), [text], WORK_FIELDS, per_page,
                       max_records=max_records)


def cites_query(batch: list[str], per_page: int) -> Query:
    """Works citing any of the corpus works ``batch``, cursor-paged."""
    batch = sorted(batch)
    return _list_query("cites", ROLE_CITING, Works().filter_or(cites=batch), batch, CITING_FIELDS, per_page)


def tei_url(work_id: str) -> str:
    """Where OpenAlex serves the GROBID TEI of a work.

    pyalex 0.21's ``Work.tei.url`` gives this URL, but its ``.tei.get()``
    requests it without the ``.grobid-xml`` extension; so peerbib sends the
    ``.url`` itself, with its own auth and retries.
    """
    return Work({"id": f"https://openalex.org/{work_id}"}).tei.url


def doi_batches(dois: list[str], size: int) -> list[list[str]]:
    """``dois`` in batches of at most ``size`` whose request URL stays within :data:`MAX_URL`.

    Long DOIs (SICI DOIs run past 60 characters, and their ``<>;()`` triple
    when percent-encoded) close a batch early; a DOI too long even alone goes alone.
    """
    # The URL without the values: the filter's name, select, paging with a first cursor.
    base = len(doi_batch_query(["x"], 200).page_url("*")) - 1
    return _url_batches(dois, size, base)


def _url_batches(values, size: int, base: int) -> list[list[str]]:
    """``values`` in batches of at most ``size`` whose OR filter keeps a URL of ``base`` characters without
    values within :data:`MAX_URL` (a value too long even alone goes alone)."""
    batches: list[list[str]] = []
    batch: list[str] = []
    length = base
    for value in values:
        extra = len(quote_plus(value))
        # requests sends each "|" between values as %7C: three bytes.
        if batch and (len(batch) >= size or length + 3 + extra > MAX_URL):
            batches.append(batch)
            batch, length = [], base
        length += extra + (3 if batch else 0)
        batch.append(value)
    if batch:
        batches.append(batch)
    return batches
