"""The citing phase of a fetch: the works citing the corpus, ``cites:W1|W2|...`` batches, cursor-paged."""
from __future__ import annotations

from ..sources.openalex.queries import REQUIRED_CITING_FIELDS, Query, cites_query
from .fetch_inputs import chunks
from .fetch_run import FetchRun
from .read import CitingScan

__all__ = ["fetch_citing"]


def fetch_citing(run: FetchRun, corpus: dict[str, dict]) -> tuple[bool, CitingScan]:
    """Page through the works citing ``corpus``; returns (capped, what the citing works are).

    A citing work that cites two corpus works in different batches is paged
    twice; batching the most cited works together keeps most citations
    inside one batch, so fewer citing works straddle two.
    """
    settings, runner = run.settings, run.runner
    counts = {w: work.get("cited_by_count") for w, work in corpus.items()}
    # A work OpenAlex counts as never cited has no citing works to page through.
    targets = sorted(w for w in corpus if counts[w] != 0)
    done, partial = runner.covered("cites", REQUIRED_CITING_FIELDS)
    needed = set(targets) - done
    queries = []
    for entry in sorted(partial, key=lambda e: e.key):
        items = set(entry.items)
        if items and items <= needed:
            queries.append(Query.from_entry(entry.to_json()))
            needed -= items
    ranked = sorted(needed, key=lambda w: (-(counts[w] or 0), len(w), w))
    queries += [cites_query(batch, settings.per_page) for batch in chunks(ranked, settings.cites_batch)]
    cap = _CitingCap(run, targets) if settings.max_citing is not None else None
    capped = _run_citing(run, queries, cap)
    scan = runner.citing_of(set(targets), frozenset(corpus))
    run.summary.citing_works = len(scan.citing)
    run.summary.citations = len(scan.edges)
    return capped, scan


class _CitingCap:
    """``max_citing``: a total number of citing records, spent in a fixed order."""

    def __init__(self, run: FetchRun, targets):
        self.left = int(run.settings.max_citing)
        targets = set(targets)
        for entry in run.snapshot.queries():
            if entry.kind == "cites" and set(entry.items) & targets:
                self.left -= entry.records


def _run_citing(run: FetchRun, queries: list[Query], cap: _CitingCap | None) -> bool:
    """Run citing queries; with a cap, one after another until it is spent. True when capped."""
    if cap is None:
        run.runner.run_all(queries)
        return False
    capped = False
    for query in sorted(queries, key=lambda q: q.items):
        if cap.left <= 0:
            return True
        known = run.snapshot.query(query.key)
        already = known.records if known is not None and not known.complete else 0
        query.max_records = already + cap.left
        entry = run.runner.run(query)
        cap.left -= entry.records - already
        capped = capped or entry.capped is not None
    return capped
