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
from ..sources.openalex.queries import Query
from .store import Snapshot, entry_select, now_utc, query_label

__all__ = ["QueryRunner", "Progress", "run_parallel"]


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
        self.pages_fetched = 0
        self.pages_reused = 0
        self.records_fetched = 0
        self.used_keys: set[str] = set()
        self._lock = threading.Lock()

    # --- what counts as fetched -----------------------------------------------------

    def stale(self, entry: dict) -> bool:
        """True for an entry a refresh must fetch again."""
        return self.refresh_from is not None and int(entry.get("generation") or 0) < self.refresh_from

    def _done(self, entry: dict, query: Query) -> bool:
        if self.stale(entry):
            return False
        if entry.get("complete"):
            return True
        capped = entry.get("capped")
        return capped is not None and query.max_records is not None and entry.get("records", 0) >= query.max_records

    def _resumable(self, entry: dict | None, query: Query) -> bool:
        return (
            entry is not None
            and query.paged
            and bool(entry.get("next_cursor"))
            and bool(entry.get("pages"))
            and not self.stale(entry)
            and self.snapshot.pages_intact(entry)
        )

    # --- one query ---------------------------------------------------------------

    def run(self, query: Query) -> dict:
        """Make sure ``query`` is in the snapshot (fetching what is missing); return its entry."""
        if self.cancel.is_set():
            raise FetchCancelled()
        key = query.key
        with self._lock:
            self.used_keys.add(key)
        entry = self.snapshot.query(key)
        if entry is not None and self._done(entry, query) and self.snapshot.pages_intact(entry):
            with self._lock:
                self.pages_reused += len(entry.get("pages", []))
            return entry
        for candidate in (self.snapshot.pending(key), entry):
            if self._resumable(candidate, query):
                try:
                    return self._pages(candidate, candidate["next_cursor"], query)
                except OpenAlexRequestError as exc:
                    if exc.status != 400:
                        raise
                    break  # an expired cursor: start this query again from the first page
        fresh = self.snapshot.start_query(key, {**query.describe(self.run_id), "generation": self.generation})
        self._pages(fresh, "*", query)
        # What readers see now: the new entry once finished, else the older one it will replace.
        return self.snapshot.query(key)

    def _pages(self, entry: dict, cursor: str, query: Query) -> dict:
        per_page = int(query.per_page or 25)
        total = entry.get("records", 0)
        received = entry.get("received", total)
        # What this query already holds (a resumed one has pages): cursors
        # asked, and record ids, so a broken paging neither loops nor stores
        # a record twice. (A page cut short by max_records is asked again
        # when the query goes on.)
        asked = {p.get("cursor") for p in entry.get("pages", []) if p.get("cursor") and not p.get("trimmed")}
        seen = set() if query.singleton else {
            short_id(r.get("id")) for r in self.snapshot.query_records(entry)} - {None}
        self.progress.plan(1)
        while True:
            if query.max_records is not None and total >= query.max_records:
                self.snapshot.finish_query(entry, capped=query.max_records)
                return entry
            if query.paged and not query.singleton:
                count = entry.get("count")
                if cursor in asked:
                    self._broken_paging(entry, query, f"gave the cursor of an earlier page again "
                                                      f"after {len(entry['pages'])} pages")
                if isinstance(count, int) and len(entry["pages"]) >= math.ceil(count / per_page) + 1:
                    self._broken_paging(entry, query, f"kept paging: {len(entry['pages'])} pages of {per_page} "
                                                      f"hold only {total} of the {count} records it counts")
            response = self.client.get_json(query.page_url(cursor), allow_404=query.singleton)
            info = {"fetched_at": now_utc(), "credits": response.credits, "status": response.status}
            if query.singleton:
                records = [response.data] if response.status == 200 and response.data else []
                if response.redirected:
                    info["redirected_to"] = response.final_url
                self._store(entry, records, info, {})
                self.snapshot.finish_query(entry, complete=True, count=len(records), next_cursor=None)
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
                self._broken_paging(entry, query, f"answered page {len(entry['pages']) + 1} with only records "
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
            self._store(entry, fresh, info, {"next_cursor": cursor if trimmed else next_cursor, "count": count,
                                             "received": received})
            total += len(fresh)
            if len(entry["pages"]) == 1 and isinstance(count, int) and count > per_page:
                self.progress.plan(math.ceil(min(count, query.max_records or count) / per_page) - 1)
            if trimmed:
                cursor = next_cursor
                continue
            counted = isinstance(count, int)
            if counted and total >= count:
                # Reached the count: done, which also saves the empty last page
                # of an exact multiple.
                self.snapshot.finish_query(entry, complete=True, next_cursor=None, capped=None)
                return entry
            if not query.paged or not next_cursor or not results:
                if query.paged and counted and received < count:
                    # The cursor ended before the count: not complete. Kept, so the
                    # records are not lost, and asked again by the next fetch.
                    self.snapshot.finish_query(entry, complete=False, next_cursor=None, capped=None,
                                               short={"received": received, "count": count})
                else:
                    self.snapshot.finish_query(entry, complete=True, next_cursor=None, capped=None)
                return entry
            cursor = next_cursor

    def _broken_paging(self, entry: dict, query: Query, what: str):
        """Stop a query whose cursor paging goes wrong; a rerun starts it again from its first page."""
        self.snapshot.update_query(entry, next_cursor=None)
        self.snapshot.save(force=True)
        raise OpenAlexPagingError(
            f"OpenAlex {what} for {query_label({'kind': query.kind, 'items': query.items})}; stopped instead "
            "of storing the same records again. What was fetched is kept; run the fetch again later and this "
            "query starts again from its first page.",
            url=query.url,
        )

    def _store(self, entry, records, info, updates) -> None:
        self.snapshot.add_page(entry, records, info, run=self.run_id, updates=updates)
        with self._lock:
            self.pages_fetched += 1
            self.records_fetched += len(records)
        self.progress.advance()

    def run_all(self, queries: list[Query], workers: int | None = None) -> list[dict]:
        """Run independent queries, on a small thread pool when there are several."""
        workers = self.settings.workers if workers is None else workers
        # Two corpus rows can ask the same thing (e.g. one listing shown twice):
        # each distinct query runs once.
        unique = list({q.key: q for q in queries}.values())
        done = dict(zip((q.key for q in unique), run_parallel(self.run, unique, workers, self.cancel)))
        return [done[q.key] for q in queries]

    # --- reading back -------------------------------------------------------------------

    def covered(self, kind: str, fields_needed) -> tuple[set, list[dict]]:
        """Items covered by finished queries of ``kind``; and unfinished ones that could resume."""
        done, partial = set(), []
        pending = {q["key"]: q for q in self.snapshot.pending_queries()}
        for entry in self.snapshot.queries():
            if entry.get("kind") != kind:
                continue
            select = entry_select(entry)
            if select is not None and not set(fields_needed) <= select:
                continue
            newer = pending.get(entry["key"])
            if not self.stale(entry) and entry.get("complete"):
                if self.snapshot.pages_intact(entry):
                    done.update(entry.get("items", []))
                    continue
                # A page file went missing or changed: forget the query, fetch its items again.
                self.snapshot.drop_queries([entry["key"]])
                continue
            for candidate in (newer, entry):
                if candidate is not None and candidate.get("next_cursor") and candidate.get("pages") \
                        and not self.stale(candidate):
                    partial.append(candidate)
                    break
        return done, partial

    def records_of(self, kinds: tuple[str, ...], items: set) -> Iterable[tuple[dict, dict]]:
        """(entry, record) for the queries of ``kinds`` in the snapshot that touch ``items``."""
        for entry in sorted(self.snapshot.queries(), key=lambda q: (q.get("generation") or 0, q.get("started") or "",
                                                                   q["key"])):
            if entry.get("kind") not in kinds or not (set(entry.get("items", [])) & items):
                continue
            if self.stale(entry):
                continue
            with self._lock:
                self.used_keys.add(entry["key"])
            for record in self.snapshot.query_records(entry):
                yield entry, record
