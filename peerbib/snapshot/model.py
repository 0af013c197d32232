"""The snapshot's manifest as typed, frozen records: what each entry holds and what its flags mean.

``manifest.json`` is read into a :class:`Manifest` (:meth:`Manifest.from_json`)
and written from one (:meth:`Manifest.to_json`). Every record keeps the set
of keys its JSON had, so a key the fetch never wrote stays absent and one it
wrote as ``null`` stays ``null``: a manifest read and written again is the
same JSON, key for key. Keys this peerbib does not know (a newer one's, a
hand edit's) are kept as they were.

The records are frozen: a change makes a new record (:meth:`Record.with_`,
:meth:`Record.without`), and the :class:`~peerbib.snapshot.store.Snapshot`
holding them swaps it in. Lists are tuples; maps are dicts that are never
changed in place.

Old manifests: a version-1 query entry (``path`` + ``params``) is read in
the version-2 form (:func:`upgrade_v1`), and a full-text entry of the time
before there were two sources (one TEI item per work) as its
``"openalex-tei"`` item.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Mapping
from urllib.parse import quote, urlencode

from ..ids import as_int

__all__ = [
    "FORMAT",
    "FORMAT_VERSION",
    "UNREADABLE",
    "Record",
    "Copies",
    "Page",
    "Short",
    "QueryEntry",
    "FulltextItem",
    "SciteItem",
    "Match",
    "FetchRecord",
    "Requested",
    "Refresh",
    "Manifest",
    "ManifestProblem",
    "upgrade_v1",
    "query_label",
]

FORMAT = "peerbib-openalex-snapshot"
#: 2: queries are stored by URL (built with pyalex) with ``select`` and
#: ``per_page`` beside it, and a fetch generation; pending entries. Version 1
#: manifests (``path`` + ``params``) are read and upgraded in memory.
FORMAT_VERSION = 2
#: The ``status`` of a full-text item whose body stayed unusable after the retries (``reason`` says why).
UNREADABLE = "unreadable"


class ManifestProblem(ValueError):
    """What makes a manifest unreadable (a field of the wrong type, a file outside the folder)."""


# --- the record machinery ----------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Record:
    """A JSON object of the manifest read into typed fields, remembering which keys it had.

    ``_keys`` are the fields the JSON holds (with any value, ``null``
    included); ``_extra`` the keys this peerbib has no field for.
    """

    _keys: frozenset = field(default=frozenset(), repr=False)
    _extra: Mapping = field(default_factory=dict, repr=False)

    #: field name -> ("one" | "list" | "map", record class) for fields holding records
    _NESTED: ClassVar[dict] = {}

    @classmethod
    def _fields(cls) -> dict[str, dataclasses.Field]:
        return {f.name: f for f in dataclasses.fields(cls) if not f.name.startswith("_")}

    @classmethod
    def make(cls, **values):
        """A new record holding exactly ``values`` (as a fetch writes a new entry)."""
        return cls(**values, _keys=frozenset(values))

    @classmethod
    def from_json(cls, data: Mapping):
        """The record of a JSON object (as :func:`json.loads` gives it); values are kept as they are."""
        names = cls._fields()
        values = {name: _decode(cls._NESTED.get(name), value) for name, value in data.items() if name in names}
        extra = {name: value for name, value in data.items() if name not in names}
        return cls(**values, _keys=frozenset(values), _extra=extra)

    def to_json(self) -> dict:
        """The JSON object: the keys the record holds, nothing more."""
        out = {name: _encode(value) for name, value in self._extra.items()}
        for name in self._keys:
            out[name] = _encode(getattr(self, name))
        return out

    def with_(self, **values):
        """A copy with ``values`` set (the keys are then present, ``None`` written as ``null``)."""
        return dataclasses.replace(self, **values, _keys=self._keys | frozenset(values))

    def without(self, *names: str):
        """A copy without the keys ``names`` (their fields back to the defaults)."""
        fields = self._fields()
        defaults = {}
        for name in names:
            f = fields[name]
            defaults[name] = f.default_factory() if f.default_factory is not dataclasses.MISSING else f.default
        return dataclasses.replace(self, **defaults, _keys=self._keys - frozenset(names))

    def has(self, name: str) -> bool:
        """True when the JSON holds the key ``name`` (even as ``null``)."""
        return name in self._keys


def _decode(nested, value):
    """A JSON value as a field holds it: lists as tuples, objects of record fields as records.

    A value of another shape than peerbib writes (a hand edit) is kept as it
    is, for the reader to judge, as it was before there were records.
    """
    if nested is None:
        return tuple(value) if isinstance(value, list) else value
    kind, cls = nested
    if kind == "one":
        return cls.from_json(value) if isinstance(value, Mapping) else value
    if kind == "list" and isinstance(value, list):
        return tuple(cls.from_json(item) if isinstance(item, Mapping) else item for item in value)
    if kind == "map" and isinstance(value, Mapping):
        return {key: cls.from_json(item) if isinstance(item, Mapping) else item for key, item in value.items()}
    return value


def _encode(value):
    if isinstance(value, Record):
        return value.to_json()
    if isinstance(value, (tuple, list)):
        return [_encode(item) for item in value]
    if isinstance(value, Mapping):
        return {key: _encode(item) for key, item in value.items()}
    return value


# --- queries and pages -------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Copies(Record):
    """Records of a page's answer whose work another query already holds in full, in a file beside the page.

    A citing work answers every ``cites:`` batch it cites into; its second
    record goes here, listed by id, so a reader skips it unread and still
    finds it when the other query's copy is gone.
    """

    file: str = ""  #: the file, relative to the snapshot folder (``pages/<key>/<run>-00001.copies.jsonl.gz``)
    sha256: str = ""  #: of the file's bytes
    records: int = 0
    ids: tuple = ()  #: the work ids of the records, in the file's order


@dataclass(frozen=True, kw_only=True)
class Page(Record):
    """One page of a query's answer: a gzip JSON Lines file of records, and what the request said."""

    _NESTED: ClassVar[dict] = {"copies": ("one", Copies)}

    file: str = ""  #: relative to the snapshot folder (``pages/<key>/<run>-00001.jsonl.gz``)
    sha256: str = ""  #: of the file's bytes; a page is part of the snapshot only once listed with it
    records: int = 0  #: records in the file (copies not counted)
    fetched_at: str | None = None
    credits: float | None = None  #: what the request cost, when OpenAlex said
    status: int | None = None  #: the HTTP status (a singleton lookup may be a 404: no record)
    cursor: str | None = None  #: the cursor this page was asked with (paged queries)
    next_cursor: str | None = None  #: the cursor OpenAlex gave for the next page
    count: int | None = None  #: OpenAlex's ``meta.count`` of the whole answer
    redirected_to: str | None = None  #: a singleton lookup that OpenAlex redirected (a merged work)
    duplicates_dropped: int | None = None  #: records of earlier pages OpenAlex sent again, not stored
    #: records cut because ``max_records`` was reached: the page's cursor is asked again when the query goes on
    trimmed: int | None = None
    copies: Copies | None = None  #: the copies kept beside the page, if any


@dataclass(frozen=True, kw_only=True)
class Short(Record):
    """A cursor paging that ended before OpenAlex's count: what arrived of how many."""

    received: int | None = None
    count: int | None = None


def query_label(kind, items, shown: int = 2) -> str:
    """A short name of a query for messages: ``"cites:W1|W2…"``, ``"search:peer support"``."""
    items = [str(i) for i in items or []]
    text = "|".join(items[:shown]) + ("…" if len(items) > shown else "")
    if len(text) > 80:
        text = text[:79] + "…"
    return f"{kind or 'query'}:{text}"


@dataclass(frozen=True, kw_only=True)
class QueryEntry(Record):
    """One OpenAlex query in the snapshot: what was asked, its pages, and how it ended.

    A query is *finished* when it is ``complete``, ``capped`` or ``short``;
    one that is none of these was interrupted and resumes from
    ``next_cursor``. A query asked again while the snapshot holds pages of it
    is ``pending`` until it finishes and replaces the older entry.
    """

    _NESTED: ClassVar[dict] = {"pages": ("list", Page), "short": ("one", Short)}

    key: str = ""  #: the query's key (a hash of what it asks); pages are stored under ``pages/<key>/``
    kind: str | None = None  #: ``doi``, ``doi-single``, ``id``, ``work``, ``title``, ``listing``, ``search``, ``cites``
    role: str | None = None  #: ``corpus``, ``candidates`` (title/abstract matches) or ``citing``
    url: str | None = None  #: the request URL of the first page, without the cursor
    items: tuple = ()  #: what the query is about: DOIs, work ids, a title, search words
    select: tuple | None = None  #: the fields asked for (None: whole records)
    per_page: int | None = None
    paged: bool = True  #: cursor-paged (a singleton lookup is not)
    context: Mapping = field(default_factory=dict)  #: what the query was made from (a corpus row's year, ...)
    run: str | None = None  #: the fetch run that started the entry
    generation: int = 0  #: the number of the fetch that started it; a refresh asks older ones again
    pages: tuple[Page, ...] = ()
    records: int = 0  #: records stored, in pages and copies
    complete: bool = False  #: every record OpenAlex has for the query is stored
    started: str | None = None
    finished: str | None = None
    #: a query asked again while the snapshot holds an older answer: readers see the older one until this finishes
    pending: bool = False
    next_cursor: str | None = None  #: where an interrupted query resumes (None once finished)
    count: int | None = None  #: OpenAlex's count of the whole answer
    received: int | None = None  #: records OpenAlex sent, duplicates and trimmed ones included
    capped: int | None = None  #: the ``max_records`` the query stopped at (finished as asked, not complete)
    short: Short | None = None  #: the paging ended before the count: not complete, asked again by the next fetch

    @property
    def selected(self) -> set[str] | None:
        """The fields the query asked for, as a set (None: whole records)."""
        return None if self.select is None else set(self.select)

    @property
    def per_page_number(self) -> int | None:
        return as_int(self.per_page)

    @property
    def label(self) -> str:
        """A short name for messages: ``"cites:W1|W2…"``."""
        return query_label(self.kind, self.items)


# --- full text and tallies -------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class FulltextItem(Record):
    """A full-text download of one citing work from one source (``europepmc-jats`` or ``openalex-tei``).

    ``status`` 200 with a ``file``: the document is in the snapshot. 404: the
    source has none (recorded, not asked again). :data:`UNREADABLE`: the body
    stayed cut off or not XML after the retries (``reason``, ``attempts``);
    it counts as no full text and is not paid for again unless refreshed.
    """

    source: str | None = None
    url: str | None = None
    fetched_at: str | None = None
    status: int | str | None = None
    run: str | None = None
    generation: int | None = None
    credits: float | None = None
    file: str | None = None  #: relative to the snapshot folder (``tei/W1.tei.xml.gz``)
    bytes: int | None = None  #: of the document, uncompressed
    sha256: str | None = None  #: of the gzip file
    reason: str | None = None  #: why the body is unreadable
    attempts: int | None = None

    @property
    def unreadable(self) -> bool:
        return self.status == UNREADABLE

    @property
    def readable(self) -> bool:
        """A document is in the snapshot (status 200 and a file)."""
        return self.status == 200 and bool(self.file)


@dataclass(frozen=True, kw_only=True)
class SciteItem(Record):
    """scite's answer for one batch of DOIs: a gzip JSON file of its tallies."""

    url: str | None = None
    dois: tuple = ()  #: the DOIs asked
    fetched_at: str | None = None
    status: int | None = None
    run: str | None = None
    generation: int | None = None
    file: str | None = None  #: relative to the snapshot folder (``scite/<batch key>.json.gz``)
    sha256: str | None = None


# --- what the fetch recorded beside the queries ------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Match(Record):
    """A corpus row matched to an OpenAlex work without a DOI (by title, abstract and authors, or its id).

    ``title``, ``publication_year``, ``authors`` and ``abstract`` are what the
    row said when it was matched: build recognises the row by them after an edit.
    """

    corpus_work_id: str | None = None
    work_id: str | None = None
    method: str | None = None  #: ``title``, ``abstract+authors`` or ``openalex_id``
    score: float | None = None
    query: str | None = None  #: the key of the candidates query that found it (None for an id)
    title: str | None = None
    publication_year: int | None = None
    authors: str | None = None
    abstract: str | None = None


@dataclass(frozen=True, kw_only=True)
class FetchRecord(Record):
    """One fetch in the manifest's log (the last 50 are kept)."""

    run: str | None = None
    generation: int | None = None
    started: str | None = None
    finished: str | None = None
    status: str | None = None  #: ``complete``, ``capped``, ``interrupted``, ``budget exhausted``
    requests: int | None = None
    retries: int | None = None
    credits: float | None = None
    credits_source: str | None = None
    pages_fetched: int | None = None
    pages_reused: int | None = None
    options: Mapping | None = None  #: the fetch's options and settings (never a key or an email)
    peerbib_version: str | None = None
    pyalex_version: str | None = None

    @property
    def search(self) -> str | None:
        """The search the fetch was asked for (``options["search"]``), if any."""
        return self.options.get("search") if isinstance(self.options, Mapping) else None


@dataclass(frozen=True, kw_only=True)
class Requested(Record):
    """Everything fetches into this snapshot were asked for."""

    dois: tuple = ()
    ids: tuple = ()
    searches: tuple = ()


@dataclass(frozen=True, kw_only=True)
class Refresh(Record):
    """A refresh under way: entries older than ``from_generation`` are asked again."""

    from_generation: int | None = None


@dataclass(frozen=True, kw_only=True)
class Manifest(Record):
    """The whole manifest: the snapshot's queries, matches, full text, tallies and fetch log."""

    _NESTED: ClassVar[dict] = {
        "queries": ("list", QueryEntry), "pending": ("list", QueryEntry), "matches": ("list", Match),
        "scite": ("map", SciteItem), "fetches": ("list", FetchRecord), "requested": ("one", Requested),
        "refresh": ("one", Refresh),
    }

    format: str = FORMAT
    format_version: int = FORMAT_VERSION
    created: str | None = None
    updated: str | None = None
    api: str | None = None
    generation: int = 0  #: the number of the last fetch that wrote the snapshot
    queries: tuple[QueryEntry, ...] = ()  #: what readers see, by key
    pending: tuple[QueryEntry, ...] = ()  #: queries asked again, not finished (see :attr:`QueryEntry.pending`)
    matches: tuple[Match, ...] = ()
    #: work id -> source -> the download
    fulltext: Mapping[str, Mapping[str, FulltextItem]] = field(default_factory=dict)
    scite: Mapping[str, SciteItem] = field(default_factory=dict)  #: batch key -> scite's answer
    fetches: tuple[FetchRecord, ...] = ()
    requested: Requested | None = None
    unresolved_dois: tuple = ()  #: DOIs OpenAlex did not know, at the last fetch
    refresh: Refresh | None = None
    source: Mapping | None = None  #: the OpenAlex dump a fetch answered from (release, engine), else absent
    peerbib_version: str | None = None
    pyalex_version: str | None = None

    @classmethod
    def from_json(cls, data: Mapping) -> "Manifest":
        """The manifest of parsed JSON, checked (:class:`ManifestProblem`) and version 1 entries upgraded."""
        problem = manifest_problem(data)
        if problem:
            raise ManifestProblem(problem)
        data = dict(data)
        if "queries" in data:
            data["queries"] = [upgrade_v1(entry) for entry in data["queries"]]
        manifest = super().from_json(data)
        if "fulltext" in data:
            manifest = dataclasses.replace(manifest, fulltext=_fulltext(data["fulltext"]))
        return manifest


def _fulltext(value) -> dict[str, dict[str, FulltextItem]]:
    """Work id -> source -> item; an entry of one TEI item per work (older manifests) as its "openalex-tei" one."""
    out = {}
    for work_id, sources in (value or {}).items():
        if isinstance(sources, dict) and "url" in sources and "status" in sources:
            sources = {"openalex-tei": sources}
        out[work_id] = {source: FulltextItem.from_json(item) for source, item in sources.items()} \
            if isinstance(sources, dict) else {}
    return out


def upgrade_v1(entry: dict) -> dict:
    """A version-1 query entry (``path`` + ``params``) in the version-2 form, keeping its key."""
    if "url" in entry or "path" not in entry:
        return entry
    params = dict(entry.get("params") or {})
    select = params.get("select")
    items = sorted((k, str(v)) for k, v in params.items() if v is not None)
    url = "https://api.openalex.org/" + str(entry["path"]).lstrip("/")
    if items:
        url += "?" + urlencode(items, quote_via=quote, safe=":,|!*/")
    out = {k: v for k, v in entry.items() if k not in ("path", "params")}
    out.update(url=url, select=str(select).split(",") if select else None,
               per_page=int(params["per_page"]) if params.get("per_page") else None)
    out.setdefault("generation", 0)
    return out


def manifest_problem(manifest: Mapping) -> str | None:
    """What makes parsed manifest JSON unreadable (a field of the wrong type, a file outside the folder), or None.

    peerbib writes the manifest; a hand edit or a damaged copy could hold
    anything, and would otherwise end a build with a traceback or name a file
    outside the snapshot folder.
    """
    shapes = {"queries": list, "pending": list, "matches": list, "fulltext": dict, "scite": dict, "fetches": list}
    for name, kind in shapes.items():
        if name in manifest and not isinstance(manifest[name], kind):
            return f"{name} is a {type(manifest[name]).__name__}, not a {kind.__name__}"
    files = []
    for name in ("queries", "pending"):
        for n, entry in enumerate(manifest.get(name) or []):
            problem = _entry_problem(name, n, entry, files)
            if problem:
                return problem
    for work_id, sources in (manifest.get("fulltext") or {}).items():
        if not isinstance(sources, dict) or not all(isinstance(item, dict) for item in sources.values()):
            return f"the full-text entry of {work_id!r} is not a record per source"
        files += [item["file"] for item in sources.values() if "file" in item]
    for key, item in (manifest.get("scite") or {}).items():
        if not isinstance(item, dict):
            return f"the scite entry {key!r} is not a record"
        if "file" in item:
            files.append(item["file"])
    for name in files:
        if not isinstance(name, str) or not inside(name):
            return f"it names the file {name!r}, which is not a path inside the snapshot folder"
    return None


def _entry_problem(name: str, n: int, entry, files: list) -> str | None:
    """What is wrong with query entry ``n`` of ``name`` (its files added to ``files``), or None."""
    if not isinstance(entry, dict) or not isinstance(entry.get("key"), str):
        return f"{name}[{n}] is not a query entry with a key"
    if not isinstance(entry.get("pages", []), list):
        return f"the pages of query {entry['key']!r} are not a list"
    for page in entry.get("pages", []):
        if not isinstance(page, dict) or not isinstance(page.get("file"), str) \
                or not isinstance(page.get("sha256"), str):
            return f"a page of query {entry['key']!r} has no file name and sha256"
        files.append(page["file"])
        copies = page.get("copies")
        if copies is not None:
            if not isinstance(copies, dict) or not isinstance(copies.get("file"), str):
                return f"the copies of a page of query {entry['key']!r} have no file name"
            files.append(copies["file"])
    return None


def inside(relative: str) -> bool:
    """True for a relative path that stays inside the folder it is relative to (no ``..``, not absolute)."""
    path = Path(relative)
    return bool(relative) and not path.is_absolute() and ".." not in path.parts and "\\" not in relative
