"""Running OpenAlex queries into the snapshot: paging, resuming, refreshing, a thread pool.

:class:`QueryRunner` makes sure a query is in the snapshot, fetching only
what is missing: a finished query is reused (no request), an interrupted one
resumes from its stored cursor, a query asked again (``refresh``, or one that
ended badly) is fetched into a pending entry that replaces the old one only
when it finishes. Records already stored under a query are never stored
again, and a cursor paging that loops or ends before OpenAlex's count is
caught instead of being taken as complete.
"""
from __future__ import annotations

import math
import secrets
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from typing import Iterable

from ..errors import BudgetExhaustedError, OpenAlexPagingError, OpenAlexRequestError
from ..ids import short_id
from ..settings import FetchSettings
from ..sources.openalex.client import FetchCancelled, OpenAlexClient
from ..sources.openalex.queries import ROLE_CITING, Query
from .read import CitingScan, citing_scan
from .model import QueryEntry, Short, query_label
from .store import Snapshot, now_utc

__all__ = ["QueryRunner", "FetchCounters", "Progress", "run_parallel"]


class Progress:
    """A tqdm bar of requests, or nothing when progress is off.

    ``tqdm.auto`` is avoided: without ipywidgets it writes a warning into
    notebooks, with them it embeds stale widget state in rendered reports.
    The notebook bar is used only when ipywidgets is there.
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

    def note(self, text: str) -> None:
        """A line above the bar (e.g. what the full text will cost); nothing when progress is off."""
        if self.bar is not None:
            with self._lock:
                self.bar.write(text, file=sys.stderr)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def run_parallel(function, items: list, workers: int, cancel: threading.Event) -> list:
    """``[function(item) for item in items]`` on up to ``workers`` threads.

    The first failure cancels the rest (``cancel`` is set; workers raise
    :class:`FetchCancelled` at their next request) and is raised, a spent
    credit budget before any other error. Results of cancelled items are None.
    """
    if workers <= 1 or len(items) <= 1:
        return [function(item) for item in items]
    results: list = [None] * len(items)
    errors: list[BaseException] = []
    with ThreadPoolExecutor(max_workers=min(workers, len(items)), thread_name_prefix="peerbib-fetch") as pool:
        futures = [pool.submit(function, item) for item in items]
        try:
            for i, future in enumerate(futures):
                try:
                    results[i] = future.result()
                except FetchCancelled:
                    pass
                except BaseException as exc:  # noqa: BLE001 - re-raised below
                    errors.append(exc)
                    cancel.set()
        except BaseException:
            cancel.set()
            raise
    if errors:
        budget = [e for e in errors if isinstance(e, BudgetExhaustedError)]
        raise (budget or errors)[0]
    return results


class FetchCounters:
    """What one fetch did, counted across its worker threads (each change under a lock)."""

    def __init__(self):
        self._lock = threading.Lock()
        self.pages_fetched = 0  #: pages, full texts and tally answers downloaded
        self.pages_reused = 0  #: answers the snapshot already held
        self.records_fetched = 0
        self.used_keys: set[str] = set()  #: the queries this fetch ran or read

    def fetched(self, pages: int = 1, records: int = 0) -> None:
        with self._lock:
            self.pages_fetched += pages
            self.records_fetched += records

    def reused(self, pages: int) -> None:
        with self._lock:
            self.pages_reused += pages

    def used(self, key: str) -> None:
        with self._lock:
            self.used_keys.add(key)


class QueryRunner:
    """Runs queries against OpenAlex into a snapshot, for one fetch.

    Parameters
    ----------
    snapshot : Snapshot
    client : OpenAlexClient
    settings : FetchSettings
    progress : Progress
    generation : int
        This fetch's number; the entries it writes carry it.
    refresh_from : int or None
        With ``refresh``: entries of an older fetch generation than this are
        stale (asked again); entries of this refresh, also of an earlier
        interrupted run of it, count as fresh, so an interrupted refresh
        resumes instead of starting over.
    """

    def __init__(self, snapshot: Snapshot, client: OpenAlexClient, settings: FetchSettings, progress: Progress,
                 *, generation: int = 1, refresh_from: int | None = None):
        self.snapshot = snapshot
        self.client = client
        self.settings = settings
        self.progress = progress
        self.generation = generation
        self.refresh_from = refresh_from
        self.run_id = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S") + "-" + secrets.token_hex(3)
        self.cancel = client.cancel
        self.counters = FetchCounters()
        # work id -> key of the citing query whose pages hold its full record
        # (fresh entries readers see); built on the first citing page stored.
        self._owners: dict[str, str] | None = None
        self._owned: dict[str, set[str]] = {}  # the same, by query key
        self._owners_lock = threading.Lock()

    # --- what counts as fetched -----------------------------------------------------

    def stale(self, entry) -> bool:
        """True for an entry (a query, a full-text or tally item) a refresh must fetch again."""
        return self.refresh_from is not None and int(entry.generation or 0) < self.refresh_from

    def _done(self, entry: QueryEntry, query: Query) -> bool:
        if self.stale(entry):
            return False
        if entry.complete:
            return True
        return entry.capped is not None and query.max_records is not None and entry.records >= query.max_records

    def _resumable(self, entry: QueryEntry | None, query: Query) -> bool:
        return (
            entry is not None
            and query.paged
            and bool(entry.next_cursor)
            and bool(entry.pages)
            and not self.stale(entry)
            and self.snapshot.pages_intact(entry)
        )

    # --- one query ---------------------------------------------------------------

    def run(self, query: Query) -> QueryEntry:
        """Make sure ``query`` is in the snapshot (fetching what is missing); return its entry."""
        if self.cancel.is_set():
            raise FetchCancelled()
        key = query.key
        self.counters.used(key)
        entry = self.snapshot.query(key)
        if entry is not None and self._done(entry, query) and self.snapshot.pages_intact(entry):
            self.counters.reused(len(entry.pages))
            return entry
        for candidate in (self.snapshot.pending(key), entry):
            if self._resumable(candidate, query):
                try:
                    return self._pages(candidate, candidate.next_cursor, query)
                except OpenAlexRequestError as exc:
                    if exc.status != 400:
                        raise
                    break  # an expired cursor: start this query again from the first page
        fresh = self.snapshot.start_query(key, {**query.describe(self.run_id), "generation": self.generation})
        self._pages(fresh, "*", query)
        # What readers see now: the new entry once finished, else the older one it will replace.
        return self.snapshot.query(key)

    def _pages(self, entry: QueryEntry, cursor: str, query: Query) -> QueryEntry:
        per_page = int(query.per_page or 25)
        total = entry.records
        received = entry.received if entry.has("received") else total
        # What this query already holds (a resumed one has pages): cursors
        # asked, and record ids, so a broken paging neither loops nor stores
        # a record twice. (A page cut short by max_records is asked again
        # when the query goes on.)
        asked = {p.cursor for p in entry.pages if p.cursor and not p.trimmed}
        seen = set() if query.singleton else self.snapshot.entry_ids(entry)
        self.progress.plan(1)
        while True:
            if query.max_records is not None and total >= query.max_records:
                return self._finished(entry, capped=query.max_records)
            if query.paged and not query.singleton:
                count = entry.count
                if cursor in asked:
                    self._broken_paging(entry, query, f"gave the cursor of an earlier page again "
                                                      f"after {len(entry.pages)} pages")
                if isinstance(count, int) and len(entry.pages) >= math.ceil(count / per_page) + 1:
                    self._broken_paging(entry, query, f"kept paging: {len(entry.pages)} pages of {per_page} "
                                                      f"hold only {total} of the {count} records it counts")
            response = self.client.get_json(query.page_url(cursor), allow_404=query.singleton)
            info = {"fetched_at": now_utc(), "credits": response.credits, "status": response.status}
            if query.singleton:
                records = [response.data] if response.status == 200 and response.data else []
                if response.redirected:
                    info["redirected_to"] = response.final_url
                entry = self._store(entry, records, info, {})
                return self._finished(entry, complete=True, count=len(records), next_cursor=None)
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
                self._broken_paging(entry, query, f"answered page {len(entry.pages) + 1} with only records "
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
            received += len(results)
            entry = self._store(entry, fresh, info, {"next_cursor": cursor if trimmed else next_cursor,
                                                     "count": count, "received": received},
                                citing=query.role == ROLE_CITING)
            total += len(fresh)
            if len(entry.pages) == 1 and isinstance(count, int) and count > per_page:
                self.progress.plan(math.ceil(min(count, query.max_records or count) / per_page) - 1)
            if trimmed:
                cursor = next_cursor
                continue
            counted = isinstance(count, int)
            if counted and total >= count:
                # Reached the count: done, which also saves the empty last page
                # of an exact multiple.
                return self._finished(entry, complete=True, next_cursor=None, capped=None)
            if not query.paged or not next_cursor or not results:
                if query.paged and counted and received < count:
                    # The cursor ended before the count: not complete. Kept, so the
                    # records are not lost, and asked again by the next fetch.
                    return self._finished(entry, complete=False, next_cursor=None, capped=None,
                                          short=Short.make(received=received, count=count))
                return self._finished(entry, complete=True, next_cursor=None, capped=None)
            cursor = next_cursor

    def _broken_paging(self, entry: QueryEntry, query: Query, what: str):
        """Stop a query whose cursor paging goes wrong; a rerun starts it again from its first page."""
        self.snapshot.update_query(entry, next_cursor=None)
        self.snapshot.save(force=True)
        raise OpenAlexPagingError(
            f"OpenAlex {what} for {query_label(query.kind, query.items)}; stopped instead "
            "of storing the same records again. What was fetched is kept; run the fetch again later and this "
            "query starts again from its first page.",
            url=query.url,
        )

    def _store(self, entry: QueryEntry, records, info, updates, *, citing: bool = False) -> QueryEntry:
        """Store one page of ``entry``; the entry now."""
        copies = []
        if citing and records:
            records, copies = self._split_copies(entry, records)
        entry = self.snapshot.add_page(entry, records, info, run=self.run_id, updates=updates, copies=copies)
        self.counters.fetched(records=len(records) + len(copies))
        self.progress.advance()
        return entry

    def _owner_index(self) -> dict[str, str]:
        with self._owners_lock:
            if self._owners is None:
                self._owners = {}
                for entry in self.snapshot.queries():
                    if entry.role == ROLE_CITING and not self.stale(entry) and self.snapshot.pages_intact(entry):
                        for page in entry.pages:
                            self._own(entry.key, self.snapshot.page_ids(page))
            return self._owners

    def _split_copies(self, entry: QueryEntry, records: list[dict]) -> tuple[list[dict], list[dict]]:
        """The records to store in the page, and those another query already holds in full.

        Only queries readers already see count as holding a work: a pending
        entry's records count once it replaces the old one (see :meth:`_finished`).
        """
        owners = self._owner_index()
        key = entry.key
        keep, copies = [], []
        with self._owners_lock:
            for record in records:
                work_id = short_id(record.get("id"))
                owner = owners.get(work_id) if work_id else None
                if owner is not None and owner != key:
                    copies.append(record)
                    continue
                keep.append(record)
                if work_id and not entry.pending:
                    self._own(key, [work_id])
        return keep, copies

    def _own(self, key: str, work_ids) -> None:
        """Record that query ``key`` holds these works in full (the caller holds the owners lock)."""
        owned = self._owned.setdefault(key, set())
        for work_id in work_ids:
            if self._owners.setdefault(work_id, key) == key:
                owned.add(work_id)

    def _finished(self, entry: QueryEntry, **info) -> QueryEntry:
        """Finish ``entry`` (the entry now); a citing entry that replaced an older one now holds its own works."""
        replaced = entry.pending
        entry = self.snapshot.finish_query(entry, **info)
        if replaced and entry.role == ROLE_CITING and self._owners is not None:
            key = entry.key
            mine = {work_id for page in entry.pages for work_id in self.snapshot.page_ids(page)}
            with self._owners_lock:
                for work_id in self._owned.pop(key, set()) - mine:
                    del self._owners[work_id]  # the older answer held it; this one does not
                self._own(key, mine)
        return entry

    def run_all(self, queries: list[Query], workers: int | None = None) -> list[QueryEntry]:
        """Run independent queries, on a small thread pool when there are several."""
        workers = self.settings.workers if workers is None else workers
        # Two corpus rows can ask the same thing (e.g. one listing shown twice):
        # each distinct query runs once.
        unique = list({q.key: q for q in queries}.values())
        done = dict(zip((q.key for q in unique), run_parallel(self.run, unique, workers, self.cancel)))
        return [done[q.key] for q in queries]

    # --- reading back -------------------------------------------------------------------

    def covered(self, kind: str, fields_needed) -> tuple[set, list[QueryEntry]]:
        """Items covered by finished queries of ``kind``; and unfinished ones that could resume."""
        done, partial = set(), []
        pending = {q.key: q for q in self.snapshot.pending_queries()}
        for entry in self.snapshot.queries():
            if entry.kind != kind:
                continue
            select = entry.selected
            if select is not None and not set(fields_needed) <= select:
                continue
            newer = pending.get(entry.key)
            if not self.stale(entry) and entry.complete:
                if self.snapshot.pages_intact(entry):
                    done.update(entry.items)
                    continue
                # A page file went missing or changed: forget the query, fetch its items again.
                self.snapshot.drop_queries([entry.key])
                continue
            for candidate in (newer, entry):
                if candidate is not None and candidate.next_cursor and candidate.pages and not self.stale(candidate):
                    partial.append(candidate)
                    break
        return done, partial

    def _entries_of(self, kinds: tuple[str, ...], items: set) -> Iterable[QueryEntry]:
        for entry in sorted(self.snapshot.queries(), key=lambda q: (q.generation or 0, q.started or "", q.key)):
            if entry.kind not in kinds or not (set(entry.items) & items):
                continue
            if self.stale(entry):
                continue
            self.counters.used(entry.key)
            yield entry

    def records_of(self, kinds: tuple[str, ...], items: set) -> Iterable[tuple[QueryEntry, dict]]:
        """(entry, record) for the queries of ``kinds`` in the snapshot that touch ``items``."""
        for entry in self._entries_of(kinds, items):
            for record in self.snapshot.query_records(entry):
                yield entry, record

    def citing_of(self, items: set, wanted: frozenset) -> CitingScan:
        """Citing works, edges, GROBID and PMC ids of the ``cites:`` queries touching ``items``."""
        return citing_scan(self.snapshot, list(self._entries_of(("cites",), items)), wanted)
