"""A snapshot read into the flat tables ``build`` merges with the corpus.

Streaming: pages are read one at a time and each record is flattened at
once (abstract decoded, inverted index dropped); raw records are never held
together. A work that several queries answered is parsed once: the queries
are read best first (corpus queries before citing ones, records with
``counts_by_year`` before those without, the newest fetch first), the first
record of a work is kept, and its reference list gives the work's
citations. A later record of the same work (a citing work answers every
``cites:`` batch it cites into) is recognised by the id at the start of its
line and skipped unparsed. Cost grows linearly with the records in the snapshot.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

import pandas as pd

from ..ids import as_int, normalize_doi, short_id
from ..sources.openalex.queries import ROLE_CANDIDATES, ROLE_CITING, ROLE_CORPUS, ROLE_REFERENCES
from ..sources.openalex.records import (WORK_EXTRA_DTYPES, WORK_ROW_DTYPES, canonical_work, cited_corpus_works,
                                        issn_of, work_extras, work_row)
from .corpus_lists import CorpusLists, referenced_works
from .model import QueryEntry, Short
from .pages import LEADING_ID
from .store import Snapshot

__all__ = ["snapshot_tables", "SnapshotTables", "incomplete_queries", "occurrences", "Citations", "citing_scan", "CitingScan", "scite_tallies"]

# What a few fields of a stored record say, read without parsing the record
# (see pages.LEADING_ID: a key inside a string value is escaped and cannot match).
_REFERENCES = re.compile(rb'"referenced_works":\s*\[([^\]]*)\]')
_REFERENCE_ID = re.compile(rb"(W\d+)")
_GROBID = re.compile(rb'"has_content":\s*\{[^{}]*"grobid_xml":\s*true')
_PMCID = re.compile(rb'"ids":\s*\{[^{}]*"pmcid":\s*"([^"]+)"')

_COLUMNS = {**WORK_ROW_DTYPES, **WORK_EXTRA_DTYPES, "requested": "boolean"}


def _frame(rows: list[dict], columns: dict[str, str]) -> pd.DataFrame:
    return _columns_frame({name: [row.get(name) for row in rows] for name in columns}, columns)


def _columns_frame(data: dict[str, list], columns: dict[str, str]) -> pd.DataFrame:
    """A DataFrame from lists, one column at a time, each list dropped once converted (keeps the peak low)."""
    out = {}
    for name, dtype in columns.items():
        values = data.pop(name)
        out[name] = pd.Series(values, dtype="object").astype(dtype)
        del values
    return pd.DataFrame(out, columns=list(columns))


@dataclass
class SnapshotTables:
    """Flat tables from an OpenAlex snapshot, for ``build`` to merge with the corpus.

    Attributes
    ----------
    works : DataFrame
        work_id, doi, title, publication_year, type, venue, authors, abstract,
        cited_by_count, requested (True for works the fetch was asked for,
        False for works that only cite them), one row per work; corpus works
        also keywords, mesh, topics, is_retracted and fwci (empty where a
        stored query did not ask for them).
    citations : DataFrame
        citing_id, cited_id.
    counts_by_year : DataFrame
        work_id, year, citations, as OpenAlex gives them.
    matches : DataFrame
        corpus_work_id, work_id, method, score, title, publication_year,
        authors, abstract (what the corpus row said when it was matched), for
        corpus rows matched without a DOI.
    references : DataFrame
        citing_id, cited_id, position (and the ``cited_*`` columns, empty):
        every reference of the kept record of each corpus work, in order.
    authorships : DataFrame
        One row per author of each corpus work (see
        :func:`peerbib.sources.openalex.records.authorship_rows`).
    referenced : DataFrame
        work_id, doi, title, publication_year, venue of the works ``fetch
        --references`` looked up.
    fulltext : dict
        The full-text files of citing works: work id -> source -> :class:`~.model.FulltextItem`.
    scite : dict
        DOI -> scite's counts (``fetch(scite_tallies=True)``).
    incomplete : list of str
        The queries an interrupted fetch left unfinished, e.g. ``"cites:W1|W2…
        (page 3 of 7)"``; empty when the snapshot is complete. Rerunning the fetch finishes them.
    """

    works: pd.DataFrame
    citations: pd.DataFrame
    counts_by_year: pd.DataFrame
    matches: pd.DataFrame
    references: pd.DataFrame | None = None
    authorships: pd.DataFrame | None = None
    referenced: pd.DataFrame | None = None
    fulltext: dict = field(default_factory=dict)
    scite: dict = field(default_factory=dict)
    incomplete: list = field(default_factory=list)


def snapshot_tables(snapshot) -> SnapshotTables:
    """Flat tables from an OpenAlex snapshot, for ``build`` to merge with the corpus.

    Parameters
    ----------
    snapshot : Snapshot, str or Path
        The snapshot (opened once by the build and handed along), or its
        folder (holding ``manifest.json``).

    Returns
    -------
    SnapshotTables

    Raises
    ------
    SnapshotError
        When the manifest or a page file is missing or damaged.

    Notes
    -----
    When a work appears in several queries, the record of a corpus query
    beats that of a citing query, a record with ``counts_by_year`` one without,
    and a later fetch an earlier one.
    """
    snapshot = snapshot if isinstance(snapshot, Snapshot) else Snapshot.open(snapshot)
    accepted, match_rows = _accepted_matches(snapshot)
    queries = sorted(snapshot.queries(), key=lambda q: (q.generation or 0, q.started or "", q.key))
    requested = _requested(snapshot, queries, accepted)
    rows, citations, lists = _first_records(snapshot, _best_first(queries), accepted, frozenset(requested))
    aliases = _duplicate_dois(rows, requested)
    works, counts_by_year = _work_columns(rows, aliases, requested)
    del rows
    return SnapshotTables(
        works=_columns_frame(works, _COLUMNS),
        citations=_citation_frame(citations, aliases),
        counts_by_year=_columns_frame(counts_by_year, {"work_id": "str", "year": "Int64", "citations": "Int64"}),
        matches=_match_frame(match_rows, aliases),
        references=lists.references(aliases),
        authorships=lists.authorships(aliases),
        referenced=referenced_works(snapshot, [q for q in queries if q.role == ROLE_REFERENCES]),
        fulltext=snapshot.fulltext(),
        scite=scite_tallies(snapshot),
        incomplete=incomplete_queries(queries, snapshot.pending_queries()),
    )


def _accepted_matches(snapshot: Snapshot) -> tuple[dict[str, set[str]], list[dict]]:
    """The works each candidates query had accepted (query key -> work ids), and the match rows."""
    accepted: dict[str, set[str]] = {}
    match_rows = []
    for match in snapshot.manifest.matches:
        work_id = short_id(match.work_id)
        if not work_id:
            continue
        accepted.setdefault(match.query, set()).add(work_id)
        match_rows.append({name: getattr(match, name) for name in _MATCH_COLUMNS} | {"work_id": work_id})
    return accepted, match_rows


def _requested(snapshot: Snapshot, queries: list[QueryEntry], accepted: dict) -> set[str]:
    """The works the fetch was asked for: the corpus queries' (read first: they are small) and accepted matches."""
    requested: set[str] = set()
    for entry in queries:
        if entry.role == ROLE_CORPUS:
            requested.update(work_id for _, work_id, _, _, _ in occurrences(snapshot, [entry]))
        elif entry.role == ROLE_CANDIDATES:
            requested.update(accepted.get(entry.key, set()))
    return requested


def _best_first(queries: list[QueryEntry]) -> list[QueryEntry]:
    """The queries best first: corpus before citing, with ``counts_by_year`` before without, newest first."""
    def rank(item):
        order, entry = item
        select = entry.selected
        has_counts = select is None or "counts_by_year" in select
        return (entry.role != ROLE_CITING, has_counts, order)

    return [entry for _, entry in sorted(enumerate(queries), key=rank, reverse=True)
            if entry.role != ROLE_REFERENCES]  # labels of references, not works: read apart


def _first_records(snapshot: Snapshot, ordered: list[QueryEntry], accepted: dict,
                   wanted: frozenset) -> tuple[dict[str, tuple[dict, list]], "Citations", CorpusLists]:
    """Every record, best query first: the first record of a work is the one kept (flattened at once, as
    work id -> (row, counts by year)); later ones only add their citations. Returns the rows, the citations
    and the corpus works' reference lists and authorships."""
    rows: dict[str, tuple[dict, list]] = {}
    citations = Citations(wanted)
    lists = CorpusLists(wanted)
    for entry, work_id, first, line, record in occurrences(snapshot, ordered, accepted):
        queried = list(entry.items or []) if entry.role == ROLE_CITING else []
        if not first:
            citations.again(work_id, queried)
            continue
        record = record if record is not None else json.loads(line)
        citations.first(work_id, record.get("referenced_works"), queried)
        counts = [
            (c.get("year"), c.get("cited_by_count"))
            for c in record.get("counts_by_year") or []
            if isinstance(c, dict)
        ]
        lists.add(work_id, record)
        # the later columns are asked for corpus works only (queries.CITING_FIELDS)
        rows[work_id] = ({**work_row(record), **work_extras(record)} if work_id in wanted
                         else {**work_row(record), "issn": issn_of(record)}, counts)
    return rows, citations, lists


def _work_columns(rows: dict, aliases: dict, requested: set) -> tuple[dict[str, list], dict[str, list]]:
    """The works' columns and the counts by year, in work id order, each row dropped once copied."""
    columns: dict[str, list] = {name: [] for name in _COLUMNS}
    counts_by_year: dict[str, list] = {"work_id": [], "year": [], "citations": []}
    for work_id in sorted(rows):
        if work_id in aliases:
            continue
        row, counts = rows.pop(work_id)
        row["requested"] = work_id in requested
        for name, values in columns.items():
            values.append(row.get(name))
        by_year: dict[int, int] = {}
        for year, n in counts:
            year, n = as_int(year), as_int(n)
            if year is not None and n is not None:
                by_year.setdefault(year, n)  # a year listed twice: the first listing counts
        for year in sorted(by_year):
            counts_by_year["work_id"].append(work_id)
            counts_by_year["year"].append(year)
            counts_by_year["citations"].append(by_year[year])
    return columns, counts_by_year


def _citation_frame(citations: "Citations", aliases: dict) -> pd.DataFrame:
    """citing_id, cited_id of the edges, a dropped duplicate's id replaced by the kept one's, sorted.

    The edges are taken from ``citations`` (emptied), so they are freed as soon as they are sorted.
    """
    edges, citations.edges = citations.edges, set()
    if aliases:
        edges = {(aliases.get(a, a), aliases.get(b, b)) for a, b in edges}
    pairs = sorted((a, b) for a, b in edges if a != b)
    del edges
    links = {"citing_id": [a for a, _ in pairs], "cited_id": [b for _, b in pairs]}
    del pairs
    return _columns_frame(links, {"citing_id": "str", "cited_id": "str"})


def _match_frame(match_rows: list[dict], aliases: dict) -> pd.DataFrame:
    matches = _frame(match_rows, _MATCH_DTYPES)
    matches["work_id"] = matches["work_id"].map(lambda w: aliases.get(w, w)).astype("str")
    return matches


_MATCH_DTYPES = {"corpus_work_id": "str", "work_id": "str", "method": "str", "score": "Float64",
                 "title": "str", "publication_year": "Int64", "authors": "str", "abstract": "str"}
_MATCH_COLUMNS = tuple(_MATCH_DTYPES)


def occurrences(snapshot: Snapshot, entries, accepted: dict | None = None):
    """Every record of ``entries``, in order, as (entry, work id, first, line, record or None).

    ``first`` is True for the first record of a work. Later ones are
    recognised by the id at the start of their line and not parsed (``record``
    is None, and also for first records whose id leads: parse ``line`` when
    needed). Records of candidate queries (title/abstract matches) count only
    when ``accepted`` lists them for that query.

    The copies a fetch kept beside a page (works it already held in full
    under another query) come last, by their listed ids, unread: ``line`` is
    None for them. Only a copy whose work no page holds (the other query was
    replaced since) is read, and comes as that work's first record.
    """
    accepted = accepted or {}
    seen: set[str] = set()
    owners = [(entry, page) for entry in entries for page in entry.pages]
    for (entry, _), data in zip(owners, snapshot.pages_bytes([page for _, page in owners])):
        keep = accepted.get(entry.key, set()) if entry.role == ROLE_CANDIDATES else None
        for line in data.splitlines():
            if not line.strip():
                continue
            leading = LEADING_ID.match(line)
            record = None
            if leading is not None:
                work_id = leading.group(1).decode()
            else:
                record = json.loads(line)
                work_id = short_id(record.get("id"))
            if not work_id or (keep is not None and work_id not in keep):
                continue
            first = work_id not in seen
            seen.add(work_id)
            yield entry, work_id, first, line, record
    for entry, page in owners:
        copies = page.copies
        if not copies:
            continue
        snapshot.check_copies(page)  # hashed, not read: a damaged file is reported like a damaged page
        lines = None
        for work_id in copies.ids or []:
            if not work_id:
                continue
            if work_id in seen:
                yield entry, work_id, False, None, None
                continue
            if lines is None:
                lines = snapshot.copy_lines(page)
            seen.add(work_id)
            yield entry, work_id, True, lines[work_id], None


class Citations:
    """Citation edges from reference lists: the first record of each work gives them.

    A citing work answers every ``cites:`` batch it cites into, with the same
    reference list each time, so one record of it is enough. A record without
    a reference list counts as citing the work its query asked about when the
    query asked about one work only; for such works each record counts.
    """

    def __init__(self, wanted: frozenset):
        self.wanted = wanted
        self.edges: set[tuple[str, str]] = set()
        self._unlisted: set[str] = set()
        # One string object per cited work, whichever record named it (half a
        # million edges would otherwise each hold their own copy of the id).
        self._canonical = {work: work for work in wanted}

    def first(self, work_id: str, references, queried) -> list[str]:
        """Record the citations of a work's first record; returns the corpus works it cites."""
        if not references:
            self._unlisted.add(work_id)
        canonical = self._canonical
        cited = [canonical.get(c, c) for c in cited_corpus_works({"referenced_works": references}, self.wanted,
                                                                 queried) if c != work_id]
        self.edges.update((work_id, c) for c in cited)
        return cited

    def again(self, work_id: str, queried) -> list[str]:
        """Another record of a work: it adds a citation only when the work has no reference list."""
        if work_id in self._unlisted and len(queried) == 1 and queried[0] != work_id:
            self.edges.add((work_id, queried[0]))
            return [queried[0]]
        return []


@dataclass
class CitingScan:
    """What the ``cites:`` queries of a snapshot say about the citing works."""

    citing: set[str] = field(default_factory=set)  #: works citing a corpus work
    edges: set[tuple[str, str]] = field(default_factory=set)  #: (citing, cited) pairs
    grobid: set[str] = field(default_factory=set)  #: citing works OpenAlex has GROBID TEI of
    pmcids: dict[str, str] = field(default_factory=dict)  #: citing work -> its PMC id (ids.pmcid), when known


def citing_scan(snapshot: Snapshot, entries, wanted: frozenset) -> CitingScan:
    """The citing works, edges, GROBID and PMC ids of ``cites:`` entries.

    Reads the reference list, ``has_content`` and ``ids.pmcid`` of each work's
    first record without parsing it (a warm rerun of a large fetch reads every
    citing page for its summary); later records of the same work are skipped by their id.
    """
    citations = Citations(wanted)
    scan = CitingScan()
    for entry, work_id, first, line, record in occurrences(snapshot, entries):
        queried = list(entry.items or [])
        if not first:
            if citations.again(work_id, queried):
                scan.citing.add(work_id)
            continue
        if record is None:
            references, has_text = _references_of_line(line), _GROBID.search(line) is not None
            found = _PMCID.search(line)
            pmcid = found.group(1).decode() if found else None
        else:
            content, ids = record.get("has_content"), record.get("ids")
            references = record.get("referenced_works")
            has_text = bool(content.get("grobid_xml")) if isinstance(content, dict) else False
            pmcid = ids.get("pmcid") if isinstance(ids, dict) else None
        if citations.first(work_id, references, queried):
            scan.citing.add(work_id)
            if has_text:
                scan.grobid.add(work_id)
            if isinstance(pmcid, str) and pmcid:
                scan.pmcids[work_id] = pmcid
    scan.edges = citations.edges
    return scan


def _references_of_line(line: bytes):
    """The reference list of an unparsed record (None when it has none)."""
    found = _REFERENCES.search(line)
    if found is None:
        return None
    return [ref.decode() for ref in _REFERENCE_ID.findall(found.group(1))]


def incomplete_queries(queries: list[QueryEntry], pending: list[QueryEntry] = ()) -> list[str]:
    """Short descriptions of the queries an interrupted fetch left unfinished.

    A query cut short by ``max_citing``/``max_search`` finished as asked and is
    not listed; nor is one whose items later queries of its kind answered in
    full. A query whose pages ended before OpenAlex's count is listed with
    what it got; so is a refresh that did not finish (the older data is kept).
    """
    covered = {(q.kind, item) for q in queries if q.complete for item in q.items or []}
    out = []
    for entry in queries:
        if entry.complete or entry.capped is not None:
            continue
        items = entry.items or []
        if items and all((entry.kind, item) in covered for item in items):
            continue
        pages = len(entry.pages or [])
        count = entry.count
        per_page = entry.per_page_number
        short = entry.short
        if isinstance(short, Short):
            where = f"its pages ended after {short.received} of the {short.count} records it counts"
        elif isinstance(count, int) and per_page:
            where = f"page {pages} of {max(pages, -(-count // per_page))}"
        else:
            where = f"{pages} page{'s' if pages != 1 else ''} fetched, total unknown"
        out.append(f"{entry.label} ({where})")
    for entry in pending:
        out.append(f"{entry.label} (asked again and not finished; the older answer is kept)")
    return sorted(out)


def _duplicate_dois(rows: dict, requested: set[str]) -> dict[str, str]:
    """Work ids to drop because another requested work has the same DOI -> the one kept.

    OpenAlex sometimes holds two records for one DOI; a DOI lookup answers
    both. The corpus keeps one: the most cited, then the smallest id.
    """
    by_doi: dict[str, list[str]] = {}
    for work_id in requested:
        doi = rows[work_id][0]["doi"] if work_id in rows else None
        if doi:
            by_doi.setdefault(doi, []).append(work_id)
    aliases = {}
    for work_ids in by_doi.values():
        if len(work_ids) < 2:
            continue
        keep = canonical_work(work_ids, {w: rows[w][0]["cited_by_count"] for w in work_ids})
        for work_id in work_ids:
            if work_id != keep:
                aliases[work_id] = keep
    return aliases


def scite_tallies(snapshot: Snapshot) -> dict[str, dict]:
    """DOI -> scite's counts (and ``fetched_at``), from the newest intact answer that has the DOI."""
    out: dict[str, dict] = {}
    items = sorted(snapshot.scite().values(), key=lambda item: (item.generation or 0, item.fetched_at or ""))
    for item in items:
        if item.status != 200 or not snapshot.fulltext_intact(item):
            continue
        tallies = (json.loads(snapshot.fulltext_bytes(item)).get("tallies") or {})
        for doi, counts in tallies.items():
            normalized = normalize_doi(doi)
            if normalized and isinstance(counts, dict):
                out[normalized] = {**counts, "fetched_at": item.fetched_at}
    return out
