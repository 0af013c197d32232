"""Fetch a corpus and its citing works from OpenAlex into a frozen snapshot.

What a fetch does, in order, and what each step costs (OPENALEX_NOTES.md):

1. **Resolve the corpus.** DOIs are looked up ``doi_batch`` (50) at a time
   with one OR filter (``doi:10.1/a|10.2/b|...``): N DOIs cost ceil(N/50) list
   requests (a few more when long DOIs would push a URL past ~3,500 bytes:
   such a batch closes early). OpenAlex ids likewise (``openalex_id:W1|W2``); an id missing
   from the answer (a merged work) is looked up alone, which follows the 301
   and is free. A DOI OpenAlex does not know is listed as unresolved, not an
   error.
2. **Match rows without a DOI** (costs *search* credits, 10 a request; turn
   it off with ``title_match=False`` / ``--no-title-match``). A row with a
   title is searched with a ``title.search`` filter narrowed to its
   publication year (±1, online and issue years differ); the best candidate
   is accepted when its normalised title is at least ``match_threshold``
   similar. A row with no title but authors, year and an abstract (as in
   search listings) is searched by the opening words of its abstract
   (``title_and_abstract.search``) in its year, and accepted when the
   abstracts agree to ``match_threshold`` and at least half of the authors'
   surnames are among the candidate's authors. A row with neither title nor
   abstract is reported as unmatchable. Matches and scores are saved in the
   snapshot; build merges them.
3. **Search** (``search=``): 10 credits a page, so results are capped at
   ``max_search`` (200), and the summary says when the cap cut the results.
4. **Citing works**: ``cites:W1|W2|...`` with up to ``cites_batch`` (100)
   corpus works per query, cursor-paged at ``per_page`` (100; 200 allowed),
   with ``select=`` so pages carry only what the tables need. Which corpus
   work each citing work cites is read from its ``referenced_works``. Works
   OpenAlex counts as never cited are not queried.
5. **Full text** (``fulltext=True``): GROBID TEI of citing works with
   ``has_content.grobid_xml``, ~100 credits each, at most ``max_fulltext``.

Every answer is saved as it arrives (see :mod:`peerbib.snapshot`), so the same
fetch again makes no request, a fetch killed midway resumes where it stopped,
and ``refresh=True`` fetches everything again.
"""
from __future__ import annotations

import hashlib
import math
import os
import re
import secrets
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, fields
from datetime import datetime, timezone
from difflib import SequenceMatcher
from pathlib import Path
from typing import Callable, Iterable
from urllib.parse import quote

from .corpus import CORPUS_SUFFIXES, is_valid_doi, local_work_id, normalize_doi, normalize_title, read_corpus
from .errors import BudgetExhaustedError, FetchError, OpenAlexError
from .openalex import (
    CONTENT_URL,
    MAX_URL,
    ClientSettings,
    FetchCancelled,
    OpenAlexClient,
    encode_value,
    next_budget_reset,
)
from .paths import project_path
from .snapshot import (
    ROLE_CANDIDATES,
    FetchLock,
    ROLE_CITING,
    ROLE_CORPUS,
    Snapshot,
    atomic_write,
    canonical_work,
    citing_edges,
    decode_abstract,
    gzip_bytes,
    now_utc,
    query_label,
    short_id,
)

__all__ = ["fetch", "FetchSummary", "FetchOptions", "add_fetch_command", "WORK_FIELDS", "CITING_FIELDS"]

#: Fields kept for corpus works (``select=``): what the works table needs,
#: plus counts_by_year and reference lists.
WORK_FIELDS = (
    "id", "doi", "title", "publication_year", "type", "cited_by_count", "counts_by_year",
    "abstract_inverted_index", "referenced_works", "primary_location", "authorships",
    "has_content", "open_access",
)
#: Fields kept for citing works: no counts_by_year (not used for them).
CITING_FIELDS = tuple(f for f in WORK_FIELDS if f != "counts_by_year")

_W = re.compile(r"^(?:https?://(?:api\.)?openalex\.org/(?:works/)?)?(W\d+)$", re.IGNORECASE)
_HEADINGS = {"abstract", "purpose", "background", "objective", "objectives", "aim", "aims",
             "introduction", "summary", "context"}


# --- options and results -------------------------------------------------------------


@dataclass
class FetchOptions:
    """Settings of :func:`fetch` passed as keyword ``**options``.

    Attributes
    ----------
    per_page : int
        Page size of cursor-paged queries (1-200; OpenAlex's newest docs say 100).
    doi_batch : int
        DOIs (or OpenAlex ids) per lookup request (at most 100; 50 keeps URLs short).
    cites_batch : int
        Corpus works per ``cites:`` query (at most 100).
    max_citing : int or None
        Keep at most this many citing-work records (a work found by two ``cites:`` batches
        counts twice; None: all).
    max_search : int
        Most results a ``search=`` fetch keeps (search pages cost 10 credits).
    title_match : bool
        Match rows without a DOI by title or abstract (search credits).
    match_threshold : float
        Similarity (0-1) a candidate needs to be accepted as a match.
    max_fulltext : int
        Most TEI files ``fulltext=True`` downloads (~100 credits each).
    refresh : bool
        Fetch every query again instead of reusing the snapshot.
    workers : int
        Independent queries run on this many threads.
    max_rate : float
        Requests per second, all threads together.
    timeout : float or (float, float)
        Seconds to connect / to read, per request.
    max_retries : int
        Retries per request on 403/429/5xx, connection errors and bad bodies.
    backoff : float
        First wait (s) between retries without ``Retry-After``; doubles each time.
    max_retry_after : float
        A ``Retry-After`` longer than this (s) stops the fetch instead of waiting.
    sleep : callable or None
        ``sleep(seconds)`` used for every wait (tests inject a recorder).
    save_interval : float
        Seconds between manifest saves while pages stream in and queries
        finish; it is saved at the end of each phase, on an error and at the
        end whatever happens. A page counts once the manifest lists it: after
        a kill, pages not yet listed are fetched again (and the files left
        unlisted are removed by the next complete fetch).
    """

    per_page: int = 100
    doi_batch: int = 50
    cites_batch: int = 100
    max_citing: int | None = None
    max_search: int = 200
    title_match: bool = True
    match_threshold: float = 0.9
    max_fulltext: int = 100
    refresh: bool = False
    workers: int = 4
    max_rate: float = 20.0
    timeout: float | tuple = (10.0, 60.0)
    max_retries: int = 5
    backoff: float = 1.0
    max_retry_after: float = 900.0
    sleep: Callable | None = None
    save_interval: float = 2.0

    def check(self) -> "FetchOptions":
        if not 1 <= int(self.per_page) <= 200:
            raise FetchError(f"per_page={self.per_page}: OpenAlex pages hold 1 to 200 works")
        for name in ("doi_batch", "cites_batch"):
            if not 1 <= int(getattr(self, name)) <= 100:
                raise FetchError(f"{name}={getattr(self, name)}: an OpenAlex OR filter takes 1 to 100 values")
        if int(self.workers) < 1:
            raise FetchError("workers must be at least 1")
        if self.max_citing is not None and int(self.max_citing) < 0:
            raise FetchError("max_citing must be a positive number or None")
        if not 0 < float(self.match_threshold) <= 1:
            raise FetchError("match_threshold is a similarity between 0 and 1")
        return self


@dataclass
class FetchSummary:
    """What a fetch did and what the snapshot now holds.

    Attributes
    ----------
    snapshot : str
        The snapshot folder.
    status : str
        ``"complete"``, or ``"capped"`` when ``max_citing``/``max_search`` cut it short.
    requests : int
        HTTP requests sent, retries and redirects included (0 on a warm rerun).
    retries : int
    credits : float
        Credits used: from OpenAlex's ``X-RateLimit-*`` headers or ``meta.cost_usd``
        when present, else estimated from the cost table (list 1, search 10,
        singleton 0, content 100); ``credits_source`` says which.
    credits_source : str
    credits_remaining : int or None
        The day's remaining credits, when OpenAlex said.
    works : int
        Corpus works found in OpenAlex (DOIs, ids, matches, search results).
    citing_works : int
        Distinct works citing them.
    citations : int
        Citing -> cited pairs.
    unresolved_dois : list of str
        DOIs OpenAlex does not know.
    matched : int
        Corpus rows without a DOI matched by title or abstract.
    unmatched : list of str
        Local ids of corpus rows that stay unmatched, each with the reason.
    search_results : int or None
    search_capped : bool
    fulltext : int
        TEI files in the snapshot for citing works of this corpus.
    pages_fetched, pages_reused : int
    seconds : float
    """

    snapshot: str
    status: str = "complete"
    requests: int = 0
    retries: int = 0
    credits: float = 0.0
    credits_source: str = "none"
    credits_remaining: int | None = None
    works: int = 0
    citing_works: int = 0
    citations: int = 0
    unresolved_dois: list = field(default_factory=list)
    matched: int = 0
    unmatched: list = field(default_factory=list)
    search_results: int | None = None
    search_capped: bool = False
    fulltext: int = 0
    pages_fetched: int = 0
    pages_reused: int = 0
    seconds: float = 0.0

    def lines(self) -> list[str]:
        """The summary as short lines of text, as the CLI prints it."""
        credit_note = {
            "measured": "as OpenAlex reported",
            "estimated": "estimated from the cost table",
            "measured+estimated": "partly reported by OpenAlex, partly estimated",
            "none": "nothing was requested",
        }[self.credits_source]
        out = [f"OpenAlex snapshot {self.snapshot} ({self.status}, {self.seconds:.1f} s)"]
        credits = f"{self.credits:g} credits ({credit_note})"
        if self.credits_remaining is not None:
            credits += f", {self.credits_remaining} left today"
        out.append(f"  requests:   {self.requests} ({self.retries} retries); {credits}")
        out.append(f"  pages:      {self.pages_fetched} fetched, {self.pages_reused} reused from the snapshot")
        out.append(f"  corpus:     {self.works} works in OpenAlex ({self.matched} matched without a DOI)")
        if self.unresolved_dois:
            shown = ", ".join(self.unresolved_dois[:5]) + (" ..." if len(self.unresolved_dois) > 5 else "")
            out.append(f"  unresolved: {len(self.unresolved_dois)} DOIs not in OpenAlex: {shown}")
        if self.unmatched:
            out.append(f"  unmatched:  {len(self.unmatched)} rows without a DOI not matched (see .unmatched)")
        if self.search_results is not None:
            out.append(f"  search:     {self.search_results} results" + (" (capped by max_search)" if self.search_capped else ""))
        out.append(f"  citing:     {self.citing_works} citing works, {self.citations} citations")
        if self.fulltext:
            out.append(f"  full text:  {self.fulltext} GROBID TEI files")
        return out

    def __str__(self) -> str:
        return "\n".join(self.lines())

    def __repr__(self) -> str:
        return "FetchSummary:\n" + "\n".join(self.lines())

    def _repr_pretty_(self, printer, cycle):  # IPython
        printer.text(repr(self))


# --- corpus input ---------------------------------------------------------------------


@dataclass
class _Entry:
    corpus_work_id: str
    doi: str | None = None
    openalex_id: str | None = None
    title: str | None = None
    authors: str | None = None
    year: int | None = None
    venue: str | None = None
    abstract: str | None = None


def _text(value) -> str | None:
    if value is None:
        return None
    try:
        if value != value:  # NaN / NA
            return None
    except (TypeError, ValueError):
        return None
    text = str(value).strip()
    return text or None


def _year(value) -> int | None:
    text = _text(value)
    if text is None:
        return None
    try:
        return int(float(text))
    except ValueError:
        return None


def _from_frame(frame) -> list[_Entry]:
    entries = []
    columns = set(frame.columns)
    for row in frame.to_dict("records"):
        doi = normalize_doi(_text(row.get("doi")))
        if doi is not None and not is_valid_doi(doi):
            raise FetchError(f"malformed DOI {row.get('doi')!r}: a DOI looks like 10.1234/abcd")
        wid = None
        for column in ("openalex_id", "openalex"):
            if column in columns and _text(row.get(column)):
                wid = short_id(_text(row.get(column)))
        year = _year(row.get("publication_year", row.get("year")))
        corpus_id = _text(row.get("work_id")) or local_work_id(
            doi, _text(row.get("title")), _text(row.get("authors")), year, _text(row.get("venue")), _text(row.get("abstract"))
        )
        entries.append(
            _Entry(corpus_id, doi, wid, _text(row.get("title")), _text(row.get("authors")), year,
                   _text(row.get("venue")), _text(row.get("abstract")))
        )
    return entries


def _from_strings(values: Iterable) -> list[_Entry]:
    entries = []
    for value in values:
        text = _text(value)
        if text is None:
            continue
        match = _W.match(text)
        if match:
            wid = match.group(1).upper()
            entries.append(_Entry(corpus_work_id=wid, openalex_id=wid))
            continue
        doi = normalize_doi(text)
        if not is_valid_doi(doi):
            raise FetchError(
                f"{text!r} is neither a DOI (like 10.1234/abcd) nor an OpenAlex work id (like W2741809807)"
            )
        entries.append(_Entry(corpus_work_id=local_work_id(doi), doi=doi))
    return entries


def _corpus_entries(dois, search) -> tuple[list[_Entry], list[str]]:
    """The corpus rows a fetch is asked for, and where they came from."""
    import pandas as pd

    if dois is None:
        if search is not None:
            return [], []
        from .tables import corpus_files

        paths = corpus_files(project_path("data/raw"))
        if not paths:
            raise FetchError(
                "no corpus to fetch: pass dois=[...] or a corpus file, or put a corpus file in data/raw/corpus/"
            )
        frames = [read_corpus(p) for p in paths]
        return _dedupe(_from_frame(pd.concat(frames, ignore_index=True))), [str(p) for p in paths]
    if isinstance(dois, pd.DataFrame):
        return _dedupe(_from_frame(dois)), ["DataFrame"]
    if isinstance(dois, (str, os.PathLike)):
        path = Path(dois)
        looks_like_file = path.suffix.lower() in CORPUS_SUFFIXES or isinstance(dois, os.PathLike)
        if looks_like_file or path.exists():
            if not path.exists():
                path = project_path(path)
            return _dedupe(_from_frame(read_corpus(path))), [str(path)]
        return _dedupe(_from_strings([dois])), ["argument"]
    if isinstance(dois, pd.Series):
        dois = dois.tolist()
    return _dedupe(_from_strings(dois)), ["argument"]


def _dedupe(entries: list[_Entry]) -> list[_Entry]:
    seen, out = set(), []
    for entry in entries:
        key = entry.doi or entry.openalex_id or entry.corpus_work_id
        if key not in seen:
            seen.add(key)
            out.append(entry)
    return out


# --- queries -------------------------------------------------------------------------------


@dataclass
class _Query:
    kind: str  # doi, doi-single, id, work, title, listing, search, cites
    role: str
    path: str
    params: dict
    items: list = field(default_factory=list)
    paged: bool = True
    max_records: int | None = None
    context: dict = field(default_factory=dict)

    @property
    def singleton(self) -> bool:
        return not self.path.rstrip("/").endswith("/works")

    def key(self, client: OpenAlexClient) -> str:
        return hashlib.sha256(f"{self.kind}\n{client.url(self.path, self.params)}".encode()).hexdigest()[:20]

    def describe(self, client: OpenAlexClient, run: str) -> dict:
        # No "url": it is path + params (a batch's filter would be stored twice).
        return {
            "kind": self.kind,
            "role": self.role,
            "path": self.path,
            "params": dict(self.params),
            "items": list(self.items),
            "paged": self.paged,
            "context": dict(self.context),
            "run": run,
        }

    @classmethod
    def from_entry(cls, entry: dict, max_records=None) -> "_Query":
        return cls(entry["kind"], entry["role"], entry["path"], dict(entry["params"]), list(entry.get("items", [])),
                   entry.get("paged", True), max_records, dict(entry.get("context", {})))


def _filter_value(text: str, max_words: int) -> str:
    """Words safe inside an OpenAlex filter value (no , | : which are filter syntax)."""
    words = re.sub(r"[^\w\s'-]", " ", text).split()
    return " ".join(words[:max_words])


def _chunks(items: list, size: int) -> list[list]:
    return [items[i:i + size] for i in range(0, len(items), size)]


# --- progress -------------------------------------------------------------------------------


class _Progress:
    """A tqdm bar of requests, or nothing when progress is off.

    ``tqdm.auto`` is avoided: without ipywidgets it writes a warning into
    notebooks, with them it embeds stale widget state in reports
    (TOOLING_NOTES.md). The notebook bar is used only when ipywidgets is there.
    """

    def __init__(self, enabled: bool):
        self.bar = None
        self._lock = threading.Lock()
        if not enabled:
            return
        bar_class = None
        if "ipykernel" in sys.modules:
            try:
                import ipywidgets  # noqa: F401
                from tqdm.notebook import tqdm as bar_class
            except ImportError:
                bar_class = None
        if bar_class is None:
            from tqdm.std import tqdm as bar_class
        self.bar = bar_class(total=0, desc="OpenAlex", unit="req", file=sys.stderr, leave=True, dynamic_ncols=True)

    def plan(self, n: int) -> None:
        if self.bar is not None and n > 0:
            with self._lock:
                self.bar.total = (self.bar.total or 0) + n
                self.bar.refresh()

    def advance(self, n: int = 1) -> None:
        if self.bar is not None:
            with self._lock:
                if self.bar.n + n > (self.bar.total or 0):
                    self.bar.total = self.bar.n + n
                self.bar.update(n)

    def phase(self, text: str) -> None:
        if self.bar is not None:
            with self._lock:
                self.bar.set_description(text, refresh=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


# --- the fetch ---------------------------------------------------------------------------------


class _Fetcher:
    def __init__(self, snapshot: Snapshot, client: OpenAlexClient, options: FetchOptions, progress: _Progress):
        self.snapshot = snapshot
        self.client = client
        self.options = options
        self.progress = progress
        self.run_id = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S") + "-" + secrets.token_hex(3)
        self.cancel = client.cancel
        self.pages_fetched = 0
        self.pages_reused = 0
        self.records_fetched = 0
        self.used_keys: set[str] = set()
        self._lock = threading.Lock()

    # --- one query ---------------------------------------------------------------

    def _done(self, entry: dict, query: _Query) -> bool:
        if self.options.refresh and entry.get("run") != self.run_id:
            return False
        if entry.get("complete"):
            return True
        capped = entry.get("capped")
        return capped is not None and query.max_records is not None and entry.get("records", 0) >= query.max_records

    def run(self, query: _Query) -> dict:
        """Make sure ``query`` is in the snapshot (fetching what is missing); return its entry."""
        if self.cancel.is_set():
            raise FetchCancelled()
        key = query.key(self.client)
        with self._lock:
            self.used_keys.add(key)
        entry = self.snapshot.query(key)
        if entry is not None and self._done(entry, query) and self.snapshot.pages_intact(entry):
            with self._lock:
                self.pages_reused += len(entry.get("pages", []))
            return entry
        resumable = (
            entry is not None
            and query.paged
            and entry.get("next_cursor")
            and entry.get("pages")
            and not (self.options.refresh and entry.get("run") != self.run_id)
            and self.snapshot.pages_intact(entry)
        )
        if resumable:
            try:
                return self._page(key, entry, entry["next_cursor"], query)
            except OpenAlexError as exc:
                if exc.status != 400:
                    raise
                # An expired cursor: start this query again from the first page.
        entry = self.snapshot.start_query(key, query.describe(self.client, self.run_id))
        return self._page(key, entry, "*", query)

    def _page(self, key: str, entry: dict, cursor: str, query: _Query) -> dict:
        per_page = int(query.params.get("per_page") or 25)
        total = entry.get("records", 0)
        # What this query already holds (a resumed one has pages): cursors
        # asked, and record ids, so a broken paging neither loops nor stores
        # a record twice.
        # (A page cut short by max_records is asked again when the query goes on.)
        asked = {p.get("cursor") for p in entry.get("pages", []) if p.get("cursor") and not p.get("trimmed")}
        seen = set() if query.singleton else {
            short_id(r.get("id")) for r in self.snapshot.query_records(entry)} - {None}
        self.progress.plan(1)
        while True:
            if query.max_records is not None and total >= query.max_records:
                self.snapshot.finish_query(key, capped=query.max_records)
                return entry
            params = dict(query.params)
            if query.paged:
                count = entry.get("count")
                if cursor in asked:
                    self._broken_paging(key, query, f"gave the cursor of an earlier page again "
                                                    f"after {len(entry['pages'])} pages")
                if isinstance(count, int) and len(entry["pages"]) >= math.ceil(count / per_page) + 1:
                    self._broken_paging(key, query, f"kept paging: {len(entry['pages'])} pages of {per_page} "
                                                    f"hold only {total} of the {count} records it counts")
                params["cursor"] = cursor
            response = self.client.get_json(query.path, params, allow_404=query.singleton)
            fetched_at = now_utc()
            info = {"fetched_at": fetched_at, "credits": response.credits, "status": response.status}
            if query.singleton:
                records = [response.data] if response.status == 200 and response.data else []
                if response.redirected:
                    info["redirected_to"] = response.final_url
                self._store(key, records, info, {})
                self.snapshot.finish_query(key, complete=True, count=len(records), next_cursor=None)
                return entry
            meta = response.data.get("meta") or {}
            results = response.data.get("results") or []
            next_cursor = meta.get("next_cursor") if query.paged else None
            count = meta.get("count")
            info.update(cursor=cursor if query.paged else None, next_cursor=next_cursor, count=count)
            if query.paged:
                asked.add(cursor)
            fresh = []
            for record in results:
                wid = short_id(record.get("id")) if isinstance(record, dict) else None
                if wid is None or wid not in seen:
                    fresh.append(record)
                    seen.add(wid)
            if results and not fresh:
                self._broken_paging(key, query, f"answered page {len(entry['pages']) + 1} with only records "
                                                "of earlier pages")
            if len(fresh) < len(results):
                info["duplicates_dropped"] = len(results) - len(fresh)
            # max_records: keep only what is still allowed. The cut page stays the
            # query's next cursor, so a larger cap later asks it again (the
            # records kept now are not stored twice) and loses nothing.
            allowed = None if query.max_records is None else max(0, query.max_records - total)
            trimmed = allowed is not None and len(fresh) > allowed
            if trimmed:
                info["trimmed"] = len(fresh) - allowed
                fresh = fresh[:allowed]
            self._store(key, fresh, info, {"next_cursor": cursor if trimmed else next_cursor, "count": count})
            total += len(fresh)
            first_page = len(entry["pages"]) == 1
            if first_page and isinstance(count, int) and count > per_page:
                self.progress.plan(math.ceil(min(count, query.max_records or count) / per_page) - 1)
            # Stop on a null cursor or an empty page, and as soon as the count
            # is reached: that saves the empty last page of an exact multiple.
            exhausted = not trimmed and (not next_cursor or not results or (isinstance(count, int) and total >= count))
            if exhausted:
                self.snapshot.finish_query(key, complete=True, next_cursor=None, capped=None)
                return entry
            cursor = next_cursor

    def _broken_paging(self, key: str, query: _Query, what: str):
        """Stop a query whose cursor paging goes wrong; a rerun starts it again from its first page."""
        self.snapshot.update_query(key, next_cursor=None)
        self.snapshot.save(force=True)
        raise OpenAlexError(
            f"OpenAlex {what} for {query_label({'kind': query.kind, 'items': query.items})}; stopped instead "
            "of storing the same records again. What was fetched is kept; run the fetch again later and this "
            "query starts again from its first page.",
            url=self.client.url(query.path, query.params),
        )

    def _store(self, key, records, info, updates) -> None:
        self.snapshot.add_page(key, records, info, run=self.run_id, updates=updates)
        with self._lock:
            self.pages_fetched += 1
            self.records_fetched += len(records)
        self.progress.advance()

    def run_all(self, queries: list[_Query], workers: int | None = None) -> list[dict]:
        """Run independent queries, on a small thread pool when there are several."""
        workers = self.options.workers if workers is None else workers
        # Two corpus rows can ask the same thing (e.g. one listing shown twice):
        # each distinct query runs once.
        keys = [q.key(self.client) for q in queries]
        unique = list({key: q for key, q in zip(keys, queries)}.items())
        if workers <= 1 or len(unique) <= 1:
            done = {key: self.run(q) for key, q in unique}
            return [done[key] for key in keys]
        results: dict = {}
        errors: list[BaseException] = []
        with ThreadPoolExecutor(max_workers=min(workers, len(unique)), thread_name_prefix="peerbib-fetch") as pool:
            futures = [(key, pool.submit(self.run, q)) for key, q in unique]
            try:
                for key, future in futures:
                    try:
                        results[key] = future.result()
                    except FetchCancelled:
                        pass
                    except BaseException as exc:  # noqa: BLE001 - re-raised below
                        errors.append(exc)
                        self.cancel.set()
            except BaseException:
                self.cancel.set()
                raise
        if errors:
            budget = [e for e in errors if isinstance(e, BudgetExhaustedError)]
            raise (budget or errors)[0]
        return [results.get(key) for key in keys]

    # --- reading back -------------------------------------------------------------------

    def covered(self, kind: str, fields_needed) -> tuple[set, list[dict]]:
        """Items covered by finished queries of ``kind``; and unfinished ones that could resume."""
        done, partial = set(), []
        for entry in self.snapshot.queries():
            if entry.get("kind") != kind:
                continue
            select = set(str(entry.get("params", {}).get("select", "")).split(","))
            if not set(fields_needed) <= select:
                continue
            if self.options.refresh and entry.get("run") != self.run_id:
                continue
            if not self.snapshot.pages_intact(entry):
                # A page file went missing or changed: forget the query, fetch its items again.
                self.snapshot.drop_queries([entry["key"]])
                continue
            if entry.get("complete"):
                done.update(entry.get("items", []))
            elif entry.get("next_cursor") and entry.get("pages"):
                partial.append(entry)
        return done, partial

    def records_of(self, kinds: tuple[str, ...], items: set) -> Iterable[tuple[dict, dict]]:
        """(entry, record) for the queries of ``kinds`` in the snapshot that touch ``items``."""
        for entry in sorted(self.snapshot.queries(), key=lambda q: (q.get("started") or "", q["key"])):
            if entry.get("kind") not in kinds or not (set(entry.get("items", [])) & items):
                continue
            if self.options.refresh and entry.get("run") != self.run_id:
                continue
            with self._lock:
                self.used_keys.add(entry["key"])
            for record in self.snapshot.query_records(entry):
                yield entry, record


def _surnames(authors) -> set[str]:
    names = set()
    for name in re.split(r";|\band\b", str(authors or "")):
        if "," in name:  # "Gillard, Steve"
            name = name.split(",")[0]
        parts = normalize_title(name).split()
        if parts:
            names.add(parts[-1])
    return {n for n in names if len(n) > 1}


def _without_heading(text: str) -> str:
    words = normalize_title(text).split()
    while words and words[0] in _HEADINGS:
        words = words[1:]
    return " ".join(words)


def _title_score(entry: _Entry, record: dict) -> float:
    mine = normalize_title(entry.title)
    theirs = normalize_title(record.get("title") or record.get("display_name"))
    if not mine or not theirs:
        return 0.0
    score = SequenceMatcher(None, mine, theirs, autojunk=False).ratio()
    if entry.authors:
        theirs_names = _surnames("; ".join(
            ((a.get("author") or {}).get("display_name") or a.get("raw_author_name") or "")
            for a in record.get("authorships") or [] if isinstance(a, dict)))
        if theirs_names and not (_surnames(entry.authors) & theirs_names):
            score *= 0.8
    return round(score, 4)


def _listing_score(entry: _Entry, record: dict) -> tuple[float, float]:
    """(abstract similarity, share of the row's author surnames among the candidate's)."""
    theirs = decode_abstract(record.get("abstract_inverted_index"))
    mine = _without_heading(entry.abstract or "")
    theirs = _without_heading(theirs or "")
    if len(mine) < 80 or len(theirs) < 80:
        abstract = 0.0  # too little text to tell two abstracts apart
    else:
        n = min(len(mine), len(theirs), 400)
        abstract = SequenceMatcher(None, mine[:n], theirs[:n], autojunk=False).ratio()
    wanted = _surnames(entry.authors)
    found = _surnames("; ".join(
        ((a.get("author") or {}).get("display_name") or a.get("raw_author_name") or "")
        for a in record.get("authorships") or [] if isinstance(a, dict)))
    authors = len(wanted & found) / len(wanted) if wanted else 0.0
    return round(abstract, 4), round(authors, 4)


def fetch(
    dois=None,
    *,
    search: str | None = None,
    snapshot="data/raw/openalex",
    citing: bool = True,
    fulltext: bool = False,
    api_key: str | None = None,
    email: str | None = None,
    progress: bool = True,
    **options,
) -> FetchSummary:
    """Fetch corpus works and the works citing them from OpenAlex into a snapshot.

    Parameters
    ----------
    dois : list of str, DataFrame, str or Path, optional
        The corpus: DOIs and/or OpenAlex work ids (``W…``), a corpus DataFrame
        as :func:`peerbib.read_corpus` returns, or a corpus file. Default: the
        corpus files in ``data/raw/corpus/`` (none when ``search`` is given).
    search : str, optional
        An OpenAlex full-text search whose results join the corpus (10 credits
        a page; capped at ``max_search`` results).
    snapshot : str or Path
        Snapshot folder; relative paths are taken from the project root.
    citing : bool
        Also fetch the works citing each corpus work.
    fulltext : bool
        Also download GROBID TEI full text of citing works that have it.
    api_key : str, optional
        OpenAlex API key; default ``$OPENALEX_API_KEY``. Sent as a header, never stored.
    email : str, optional
        Contact address sent in the request headers.
    progress : bool
        Show a progress bar of requests.
    **options
        See :class:`FetchOptions` (``per_page``, ``doi_batch``, ``max_citing``,
        ``title_match``, ``refresh``, ``workers``, ``sleep``, ...).

    Returns
    -------
    FetchSummary

    Raises
    ------
    BudgetExhaustedError
        When the day's credits run out; what was fetched is kept and the same
        call resumes after midnight UTC.
    OpenAlexAuthError
        When OpenAlex refuses the key.
    OpenAlexError
        When OpenAlex keeps failing; rerunning resumes.
    FetchError
        For arguments that cannot work.
    """
    unknown = sorted(set(options) - {f.name for f in fields(FetchOptions)})
    if unknown:
        valid = ", ".join(f.name for f in fields(FetchOptions))
        raise FetchError(f"unknown fetch option(s) {', '.join(unknown)}; valid options: {valid}")
    opts = FetchOptions(**options).check()
    if search is not None and not str(search).strip():
        raise FetchError("search is empty; give search words or leave search=None")
    entries, _sources = _corpus_entries(dois, search)
    if not entries and search is None:
        raise FetchError("the corpus is empty: give at least one DOI or OpenAlex id")
    api_key = api_key or os.environ.get("OPENALEX_API_KEY") or None
    folder = project_path(snapshot)
    started = time.monotonic()
    started_at = now_utc()
    settings = ClientSettings(timeout=opts.timeout, max_retries=opts.max_retries, backoff=opts.backoff,
                              max_retry_after=opts.max_retry_after, max_rate=opts.max_rate)
    # Before the snapshot is touched: a key that cannot be sent is an error here.
    client = OpenAlexClient(api_key, email, settings=settings, sleep=opts.sleep)
    # The lock first, then the manifest: another fetch may be writing it.
    lock = FetchLock(folder)
    lock.acquire()
    try:
        snap = Snapshot.open(folder, create=True, save_interval=opts.save_interval)
    except BaseException:
        lock.release()
        raise
    bar = _Progress(progress)
    fetcher = _Fetcher(snap, client, opts, bar)
    summary = FetchSummary(snapshot=str(folder))
    status = "interrupted"
    try:
        try:
            status = _fetch(fetcher, entries, search, citing, fulltext, summary)
        except BudgetExhaustedError as exc:
            status = "budget exhausted"
            _finish_summary(summary, fetcher, started, status)
            raise BudgetExhaustedError(_budget_message(exc, fetcher, folder), resets_at=exc.resets_at,
                                       summary=summary, url=exc.url) from None
        _finish_summary(summary, fetcher, started, status)
        if status in ("complete", "capped"):
            if opts.refresh and status == "complete":
                snap.drop_queries(_superseded(snap, fetcher.used_keys))
            snap.save(force=True)
            snap.sweep()
        return summary
    finally:
        # A rerun that fetched nothing and changed nothing leaves the snapshot
        # byte for byte as it was (so build and git see no change).
        # Nor does a first fetch that failed before saving anything create a snapshot.
        fresh = not (folder / "manifest.json").exists() and not any(q.get("pages") for q in snap.queries())
        if not fresh and (snap.changed or fetcher.client.stats.requests or status not in ("complete", "capped")):
            _log_fetch(snap, fetcher, started_at, status, citing, fulltext, search)
        try:
            if not fresh:
                snap.save(force=True)
        finally:
            lock.release()
            client.close()
            bar.close()


def _superseded(snap: Snapshot, used_keys: set[str]) -> list[str]:
    """Queries a completed refresh replaced: not used by it, asking about what it asked again.

    Queries about other works (another corpus fetched into the same folder) stay.
    """
    used = {(q["kind"], item) for q in snap.queries() if q["key"] in used_keys for item in q.get("items", [])}
    return [
        q["key"] for q in snap.queries()
        if q["key"] not in used_keys and any((q["kind"], item) in used for item in q.get("items", []))
    ]


def _finish_summary(summary: FetchSummary, fetcher: _Fetcher, started: float, status: str) -> None:
    stats = fetcher.client.stats
    summary.status = status
    summary.requests = stats.requests
    summary.retries = stats.retries
    summary.credits = round(stats.credits, 4)
    summary.credits_source = stats.credits_source
    summary.credits_remaining = stats.remaining
    summary.pages_fetched = fetcher.pages_fetched
    used_pages = sum(len(q.get("pages", [])) for q in fetcher.snapshot.queries() if q["key"] in fetcher.used_keys)
    summary.pages_reused = max(fetcher.pages_reused, used_pages - fetcher.pages_fetched)
    summary.seconds = round(time.monotonic() - started, 3)


def _budget_message(exc: BudgetExhaustedError, fetcher: _Fetcher, folder: Path) -> str:
    resets = exc.resets_at or next_budget_reset()
    left = max(0, int((resets - datetime.now(timezone.utc)).total_seconds()))
    pages = sum(len(q.get("pages", [])) for q in fetcher.snapshot.queries())
    return (
        f"OpenAlex's daily credit budget is used up, so the fetch stopped. Saved: "
        f"{fetcher.pages_fetched} pages ({fetcher.records_fetched} records) fetched now, "
        f"{pages} pages in all in {folder}. The budget resets at midnight UTC "
        f"({resets:%Y-%m-%d %H:%M} UTC, in {left // 3600} h {left % 3600 // 60} min); "
        "run the same fetch again then and it resumes where it stopped."
    )


def _log_fetch(snap: Snapshot, fetcher: _Fetcher, started_at: str, status: str, citing, fulltext, search) -> None:
    from importlib.metadata import PackageNotFoundError, version

    from . import __version__

    try:
        pyalex_version = version("pyalex")
    except PackageNotFoundError:  # pragma: no cover
        pyalex_version = None
    stats = fetcher.client.stats
    opts = fetcher.options
    log = list(snap.manifest.get("fetches", []))
    log.append({
        "run": fetcher.run_id,
        "started": started_at,
        "finished": now_utc(),
        "status": status,
        "requests": stats.requests,
        "retries": stats.retries,
        "credits": round(stats.credits, 4),
        "credits_source": stats.credits_source,
        "pages_fetched": fetcher.pages_fetched,
        "pages_reused": fetcher.pages_reused,
        "options": {
            "citing": citing, "fulltext": fulltext, "search": search, "per_page": opts.per_page,
            "doi_batch": opts.doi_batch, "cites_batch": opts.cites_batch, "max_citing": opts.max_citing,
            "max_search": opts.max_search, "title_match": opts.title_match,
            "match_threshold": opts.match_threshold, "refresh": opts.refresh,
        },
        "peerbib_version": __version__,
        "pyalex_version": pyalex_version,
    })
    snap.update(fetches=log[-50:], peerbib_version=__version__, pyalex_version=pyalex_version)


def _fetch(fetcher: _Fetcher, entries: list[_Entry], search, citing, fulltext, summary: FetchSummary) -> str:
    opts = fetcher.options
    corpus: dict[str, dict] = {}  # work id -> light record (id, doi, cited_by_count)
    status = "complete"

    # 1. DOIs and ids, batched
    fetcher.progress.phase("OpenAlex: resolving")
    dois = sorted({e.doi for e in entries if e.doi})
    found_by_doi = _resolve_dois(fetcher, dois)
    for doi, work in found_by_doi.items():
        corpus[work["id"]] = work
    summary.unresolved_dois = [d for d in dois if d not in found_by_doi]
    ids = sorted({e.openalex_id for e in entries if e.openalex_id})
    found_by_id = _resolve_ids(fetcher, ids)
    for work in found_by_id.values():
        corpus[work["id"]] = work
    unresolved_ids = [w for w in ids if w not in found_by_id]
    fetcher.snapshot.save(force=True)  # the end of a phase: what it fetched is listed

    # 2. rows without a (known) DOI
    fetcher.progress.phase("OpenAlex: matching")
    matches, unmatched = _match_rows(fetcher, entries, set(summary.unresolved_dois))
    for match in matches:
        corpus[match["work_id"]] = match["work"]
    summary.matched = len(matches)
    summary.unmatched = unmatched + [f"{w}: OpenAlex id not found" for w in unresolved_ids]
    # Rows given by an OpenAlex id are matches too, so build merges the row
    # (by its local work_id) into the work, the one a merged id now points to.
    id_matches = [
        {"corpus_work_id": e.corpus_work_id, "work_id": found_by_id[e.openalex_id]["id"], "method": "openalex_id",
         "score": 1.0, "query": None}
        for e in entries
        if e.openalex_id in found_by_id and e.corpus_work_id != found_by_id[e.openalex_id]["id"]
    ]
    _save_matches(fetcher, matches + id_matches, entries)
    fetcher.snapshot.save(force=True)

    # 3. search
    if search is not None:
        fetcher.progress.phase("OpenAlex: search")
        per_page = min(opts.per_page, max(1, opts.max_search))
        query = _Query("search", ROLE_CORPUS, "/works",
                       {"search": str(search).strip(), "select": ",".join(WORK_FIELDS), "per_page": per_page},
                       items=[str(search).strip()], max_records=opts.max_search)
        entry = fetcher.run(query)
        n = 0
        for record in fetcher.snapshot.query_records(entry):
            wid = short_id(record.get("id"))
            if wid:
                n += 1
                corpus[wid] = _light(record)
        summary.search_results = n
        summary.search_capped = entry.get("capped") is not None or (
            isinstance(entry.get("count"), int) and entry["count"] > n)
        if summary.search_capped:
            status = "capped"
        fetcher.snapshot.save(force=True)

    summary.works = len(corpus)
    _save_requested(fetcher, dois, ids, search, summary)

    # 4. citing works
    tei_candidates: list[str] = []
    if citing and corpus:
        fetcher.progress.phase("OpenAlex: citing works")
        capped, tei_candidates = _fetch_citing(fetcher, corpus, summary)
        if capped:
            status = "capped"
        fetcher.snapshot.save(force=True)

    # 5. full text
    if fulltext:
        fetcher.progress.phase("OpenAlex: full text")
        summary.fulltext = _fetch_fulltext(fetcher, tei_candidates)
    fetcher.progress.phase("OpenAlex")
    return status


def _light(record: dict) -> dict:
    return {
        "id": short_id(record.get("id")),
        "doi": normalize_doi(record.get("doi")),
        "cited_by_count": record.get("cited_by_count"),
    }


def _resolve_dois(fetcher: _Fetcher, dois: list[str]) -> dict[str, dict]:
    opts = fetcher.options
    select = ",".join(WORK_FIELDS)
    done, partial = fetcher.covered("doi", WORK_FIELDS)
    done_single, _ = fetcher.covered("doi-single", WORK_FIELDS)
    todo = [d for d in dois if d not in done and d not in done_single]
    # A comma or bar inside a DOI would break the OR filter: look those up alone (free).
    unsafe = [d for d in todo if "," in d or "|" in d]
    safe = [d for d in todo if d not in unsafe]
    queries = [
        _Query("doi", ROLE_CORPUS, "/works",
               {"filter": "doi:" + "|".join(batch), "select": select, "per_page": max(opts.per_page, len(batch))},
               items=batch)
        for batch in _url_batches(fetcher.client, safe, opts.doi_batch, "doi:", select)
    ]
    queries += [
        _Query("doi-single", ROLE_CORPUS, "/works/doi:" + quote(d, safe="/:"), {"select": select},
               items=[d], paged=False)
        for d in unsafe
    ]
    fetcher.run_all(queries)
    wanted = set(dois)
    candidates: dict[str, dict[str, dict]] = {}
    for _entry, record in fetcher.records_of(("doi", "doi-single"), wanted):
        light = _light(record)
        if light["id"] and light["doi"] in wanted:
            candidates.setdefault(light["doi"], {})[light["id"]] = light
    found = {}
    for doi, works in candidates.items():
        keep = canonical_work(list(works), {w: works[w]["cited_by_count"] for w in works})
        found[doi] = works[keep]
    return found


def _url_batches(client: OpenAlexClient, values: list[str], size: int, prefix: str, select: str) -> list[list[str]]:
    """``values`` in batches of at most ``size`` whose OR filter keeps the URL within :data:`MAX_URL`.

    Long DOIs (SICI DOIs run past 60 characters, and their ``<>;()`` triple
    when percent-encoded) close a batch early; a value too long even alone
    goes alone.
    """
    # The URL without the values: path, select, per_page, a first cursor.
    base = len(client.url("/works", {"filter": prefix, "select": select, "per_page": 200, "cursor": "*"}))
    batches: list[list[str]] = []
    batch: list[str] = []
    length = base
    for value in values:
        extra = len(encode_value(value))
        # requests sends each "|" between values as %7C: three bytes.
        if batch and (len(batch) >= size or length + 3 + extra > MAX_URL):
            batches.append(batch)
            batch, length = [], base
        length += extra + (3 if batch else 0)
        batch.append(value)
    if batch:
        batches.append(batch)
    return batches


def _resolve_ids(fetcher: _Fetcher, ids: list[str]) -> dict[str, dict]:
    if not ids:
        return {}
    opts = fetcher.options
    select = ",".join(WORK_FIELDS)
    done, _ = fetcher.covered("id", WORK_FIELDS)
    todo = [w for w in ids if w not in done]
    fetcher.run_all([
        _Query("id", ROLE_CORPUS, "/works",
               {"filter": "openalex_id:" + "|".join(batch), "select": select,
                "per_page": max(opts.per_page, len(batch))}, items=batch)
        for batch in _chunks(todo, opts.doi_batch)
    ])
    wanted = set(ids)
    found: dict[str, dict] = {}
    for _entry, record in fetcher.records_of(("id",), wanted):
        light = _light(record)
        if light["id"] in wanted:
            found[light["id"]] = light
    # Ids missing from the filter's answer are usually merged works: a
    # singleton lookup (free) follows OpenAlex's 301 to the work that remains.
    missing = sorted(wanted - set(found))
    fetcher.run_all([
        _Query("work", ROLE_CORPUS, f"/works/{w}", {"select": select}, items=[w], paged=False) for w in missing
    ])
    for entry, record in fetcher.records_of(("work",), set(missing)):
        light = _light(record)
        if light["id"]:
            found[entry["items"][0]] = light
    return found


def _match_rows(fetcher: _Fetcher, entries: list[_Entry], unresolved: set[str]):
    """Search for corpus rows without a resolvable DOI; returns (matches, unmatched reasons)."""
    opts = fetcher.options
    select = ",".join(WORK_FIELDS)
    todo, unmatched = [], []
    for entry in entries:
        if entry.openalex_id or (entry.doi and entry.doi not in unresolved):
            continue
        if entry.doi and not entry.title:
            continue  # an unresolved DOI with nothing else to go on: listed as unresolved
        if not opts.title_match:
            unmatched.append(f"{entry.corpus_work_id}: not searched (title_match is off)")
            continue
        if entry.title:
            # a title can carry a year typed one off (online vs issue year)
            kind, words = "title", _filter_value(entry.title, 30)
            flt = f"title.search:{words}"
            years = f"{entry.year - 1}-{entry.year + 1}" if entry.year else None
            problem = None if words else "title has no searchable words"
        elif entry.abstract and entry.authors:
            # a listing row (no title, no DOI): its abstract's first words, its exact year
            kind, words = "listing", _filter_value(_without_heading(entry.abstract), 12)
            flt = f"title_and_abstract.search:{words}"
            years = str(entry.year) if entry.year else None
            problem = None if len(words.split()) >= 5 else "abstract too short to search by"
        else:
            kind, problem = None, "no DOI, title or abstract to search OpenAlex by"
        if problem:
            unmatched.append(f"{entry.corpus_work_id}: {problem}")
            continue
        if years:
            flt += f",publication_year:{years}"
        todo.append((entry, _Query(kind, ROLE_CANDIDATES, "/works", {"filter": flt, "select": select, "per_page": 10},
                                   items=[entry.corpus_work_id], paged=False,
                                   context={"corpus_work_id": entry.corpus_work_id})))
    results = fetcher.run_all([query for _, query in todo])
    matches = []
    for (entry, query), result in zip(todo, results):
        best = None
        for record in fetcher.snapshot.query_records(result):
            wid = short_id(record.get("id"))
            if not wid:
                continue
            if query.kind == "title":
                score = _title_score(entry, record)
                ok = score >= opts.match_threshold
                method = "title"
            else:
                score, authors = _listing_score(entry, record)
                ok = score >= opts.match_threshold and authors >= 0.5
                method = "abstract+authors"
            rank = (score, record.get("cited_by_count") or 0, -len(wid), wid)
            if ok and (best is None or rank > best[0]):
                best = (rank, wid, method, score, record)
        if best is None:
            unmatched.append(f"{entry.corpus_work_id}: no OpenAlex work similar enough (threshold {opts.match_threshold})")
            continue
        _, wid, method, score, record = best
        matches.append({"corpus_work_id": entry.corpus_work_id, "work_id": wid, "method": method,
                        "score": score, "query": result["key"], "work": _light(record)})
    return matches, unmatched


def _save_matches(fetcher: _Fetcher, matches: list[dict], entries: list[_Entry]) -> None:
    mine = {e.corpus_work_id for e in entries}
    kept = [m for m in fetcher.snapshot.manifest.get("matches", []) if m.get("corpus_work_id") not in mine]
    kept += [{k: m[k] for k in ("corpus_work_id", "work_id", "method", "score", "query")} for m in matches]
    fetcher.snapshot.update(matches=sorted(kept, key=lambda m: (m["corpus_work_id"], m["work_id"])))


def _save_requested(fetcher: _Fetcher, dois, ids, search, summary: FetchSummary) -> None:
    old = dict(fetcher.snapshot.manifest.get("requested", {}))
    requested = {
        "dois": sorted(set(old.get("dois", [])) | set(dois)),
        "ids": sorted(set(old.get("ids", [])) | set(ids)),
        "searches": sorted(set(old.get("searches", [])) | ({str(search).strip()} if search else set())),
    }
    fetcher.snapshot.update(requested=requested, unresolved_dois=list(summary.unresolved_dois))


def _fetch_citing(fetcher: _Fetcher, corpus: dict[str, dict], summary: FetchSummary) -> tuple[bool, list[str]]:
    """Page through the works citing ``corpus``; returns (capped, citing works with GROBID full text).

    A citing work that cites two corpus works in different batches is paged
    twice; batching the most cited works together keeps most citations
    inside one batch, so fewer citing works straddle two.
    """
    opts = fetcher.options
    counts = {w: work.get("cited_by_count") for w, work in corpus.items()}
    # A work OpenAlex counts as never cited has no citing works to page through.
    targets = sorted(w for w in corpus if counts[w] != 0)
    done, partial = fetcher.covered("cites", CITING_FIELDS)
    needed = set(targets) - done
    queries = []
    for entry in sorted(partial, key=lambda e: e["key"]):
        items = set(entry.get("items", []))
        if items and items <= needed:
            queries.append(_Query.from_entry(entry))
            needed -= items
    ranked = sorted(needed, key=lambda w: (-(counts[w] or 0), len(w), w))
    queries += [_citing_query(batch, opts.per_page) for batch in _chunks(ranked, opts.cites_batch)]
    cap = _CitingCap(fetcher, targets) if opts.max_citing is not None else None
    capped = _run_citing(fetcher, queries, cap)
    corpus_ids = set(corpus)
    citing_ids: set[str] = set()
    edges: set[tuple[str, str]] = set()
    candidates: set[str] = set()
    for entry, record in fetcher.records_of(("cites",), set(targets)):
        wid = short_id(record.get("id"))
        if not wid:
            continue
        cited = [c for c in citing_edges(record, entry.get("items", []), corpus_ids) if c != wid]
        if not cited:
            continue
        citing_ids.add(wid)
        edges.update((wid, c) for c in cited)
        content = record.get("has_content") or {}
        if isinstance(content, dict) and content.get("grobid_xml"):
            candidates.add(wid)
    summary.citing_works = len(citing_ids)
    summary.citations = len(edges)
    return capped, sorted(candidates)


def _citing_query(batch: list[str], per_page: int) -> _Query:
    return _Query("cites", ROLE_CITING, "/works",
                  {"filter": "cites:" + "|".join(sorted(batch)), "select": ",".join(CITING_FIELDS),
                   "per_page": per_page},
                  items=sorted(batch))


class _CitingCap:
    """``max_citing``: a total number of citing records, spent in a fixed order."""

    def __init__(self, fetcher: _Fetcher, targets):
        self.left = int(fetcher.options.max_citing)
        targets = set(targets)
        for entry in fetcher.snapshot.queries():
            if entry.get("kind") == "cites" and set(entry.get("items", [])) & targets:
                self.left -= entry.get("records", 0)


def _run_citing(fetcher: _Fetcher, queries: list[_Query], cap: _CitingCap | None) -> bool:
    """Run citing queries; with a cap, one after another until it is spent. True when capped."""
    if cap is None:
        fetcher.run_all(queries)
        return False
    capped = False
    for query in sorted(queries, key=lambda q: q.items):
        if cap.left <= 0:
            return True
        known = fetcher.snapshot.query(query.key(fetcher.client))
        already = (known or {}).get("records", 0) if not (known or {}).get("complete") else 0
        query.max_records = already + cap.left
        entry = fetcher.run(query)
        cap.left -= entry.get("records", 0) - already
        capped = capped or entry.get("capped") is not None
    return capped


def _fetch_fulltext(fetcher: _Fetcher, candidates: list[str]) -> int:
    """Download GROBID TEI of ``candidates`` (at most ``max_fulltext``) into ``tei/``."""
    opts = fetcher.options
    snap = fetcher.snapshot
    chosen = candidates[: max(0, int(opts.max_fulltext))]
    lock = threading.Lock()

    def have(wid: str) -> bool:
        item = snap.manifest.get("fulltext", {}).get(wid)
        if not item or (opts.refresh and item.get("run") != fetcher.run_id):
            return False
        if item.get("status") == 404:
            return True
        path = snap.folder / item["file"]
        return path.is_file() and hashlib.sha256(path.read_bytes()).hexdigest() == item["sha256"]

    def download(wid: str) -> None:
        if fetcher.cancel.is_set():
            raise FetchCancelled()
        # pyalex 0.21's Works()[id].tei.url is this URL, but its .tei.get()
        # drops the extension; so it is fetched here, with the same auth and retries.
        url = f"{CONTENT_URL}/works/{wid}.grobid-xml"
        fetcher.progress.plan(1)
        response = fetcher.client.get_content(url)
        item = {"url": url, "fetched_at": now_utc(), "status": response.status, "run": fetcher.run_id,
                "credits": response.credits}
        if response.status == 200:
            relative = f"tei/{wid}.tei.xml.gz"
            item.update(file=relative, bytes=len(response.data),
                        sha256=atomic_write(snap.folder / relative, gzip_bytes(response.data)))
        with lock:
            fulltext = dict(snap.manifest.get("fulltext", {}))
            fulltext[wid] = item
            snap.update(fulltext=fulltext)
        with fetcher._lock:
            fetcher.pages_fetched += 1
        fetcher.progress.advance()
        snap.save()

    todo = [w for w in chosen if not have(w)]
    with fetcher._lock:
        fetcher.pages_reused += len(chosen) - len(todo)
    if todo:
        workers = fetcher.options.workers
        if workers <= 1 or len(todo) == 1:
            for wid in todo:
                download(wid)
        else:
            errors = []
            with ThreadPoolExecutor(max_workers=min(workers, len(todo))) as pool:
                for future in [pool.submit(download, w) for w in todo]:
                    try:
                        future.result()
                    except FetchCancelled:
                        pass
                    except BaseException as exc:  # noqa: BLE001
                        errors.append(exc)
                        fetcher.cancel.set()
            if errors:
                budget = [e for e in errors if isinstance(e, BudgetExhaustedError)]
                raise (budget or errors)[0]
        snap.save(force=True)
    return sum(1 for w in chosen if snap.manifest.get("fulltext", {}).get(w, {}).get("status") == 200)


# --- command line -------------------------------------------------------------------------------


def add_fetch_command(subparsers) -> None:
    """Add the ``fetch`` subcommand to the ``peerbib`` command line.

    Parameters
    ----------
    subparsers : argparse._SubParsersAction
        What ``ArgumentParser.add_subparsers()`` returned; the new parser's
        ``run`` default is the function the CLI calls with the parsed arguments.
    """
    import argparse

    parser = subparsers.add_parser(
        "fetch",
        help="fetch the corpus and its citing works from OpenAlex into data/raw/openalex",
        description="Fetch corpus works and the works citing them from OpenAlex into a frozen snapshot "
        "(data/raw/openalex). The same fetch again makes no request; an interrupted one resumes. "
        "The API key is read from OPENALEX_API_KEY.",
    )
    parser.add_argument("corpus", nargs="*",
                        help="corpus files (CSV/BibTeX/RIS) or DOIs; default: the files in data/raw/corpus/")
    parser.add_argument("--snapshot", default="data/raw/openalex", help="snapshot folder (default: data/raw/openalex)")
    parser.add_argument("--search", help="add the results of an OpenAlex search to the corpus (10 credits a page)")
    parser.add_argument("--max-search", type=int, default=200, help="most search results kept (default: 200)")
    parser.add_argument("--citing", action=argparse.BooleanOptionalAction, default=True,
                        help="fetch the works citing the corpus (default: yes)")
    parser.add_argument("--max-citing", type=int, default=None, help="stop after about this many citing works")
    parser.add_argument("--per-page", type=int, default=100, help="page size of paged queries, 1-200 (default: 100)")
    parser.add_argument("--fulltext", action="store_true", help="download GROBID TEI of citing works (~100 credits each)")
    parser.add_argument("--max-fulltext", type=int, default=100, help="most TEI files to download (default: 100)")
    parser.add_argument("--refresh", action="store_true", help="fetch everything again instead of reusing the snapshot")
    parser.add_argument("--email", help="contact address sent to OpenAlex in the request headers")
    parser.add_argument("--api-key", help="OpenAlex API key (better: set OPENALEX_API_KEY)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.add_argument("--no-title-match", action="store_true",
                        help="do not search OpenAlex for corpus rows without a DOI (saves search credits)")
    parser.set_defaults(run=_run_cli)


def _run_cli(args) -> int:
    corpus = None
    if args.corpus:
        files = [c for c in args.corpus if Path(c).suffix.lower() in CORPUS_SUFFIXES or Path(c).exists()]
        others = [c for c in args.corpus if c not in files]
        if files and others:
            raise FetchError("give either corpus files or DOIs on the command line, not both")
        if files:
            import pandas as pd

            corpus = pd.concat([read_corpus(_cli_path(f)) for f in files], ignore_index=True)
        else:
            corpus = others
    summary = fetch(
        corpus,
        search=args.search,
        snapshot=args.snapshot,
        citing=args.citing,
        fulltext=args.fulltext,
        api_key=args.api_key,
        email=args.email,
        progress=not args.no_progress,
        per_page=args.per_page,
        max_search=args.max_search,
        max_citing=args.max_citing,
        max_fulltext=args.max_fulltext,
        refresh=args.refresh,
        title_match=not args.no_title_match,
    )
    print(summary)
    return 0


def _cli_path(name: str) -> Path:
    path = Path(name)
    return path if path.exists() else project_path(path)
