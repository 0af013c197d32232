"""A fetch's bookkeeping in the manifest: its generation, a refresh under way, the queries it replaced, its log."""
from __future__ import annotations

from .fetch_run import FetchRun
from .model import FetchRecord, Refresh
from .store import Snapshot, now_utc

__all__ = ["next_generation", "refresh_start", "superseded", "log_fetch"]


def next_generation(snap: Snapshot) -> int:
    """This fetch's generation: one more than any the snapshot holds (a killed fetch logged none)."""
    seen = [snap.generation] + [int(q.generation or 0) for q in snap.queries() + snap.pending_queries()]
    return max(seen) + 1


def refresh_start(snap: Snapshot, generation: int) -> int:
    """The generation a refresh counts from: an unfinished refresh goes on, a new one starts now."""
    unfinished = snap.manifest.refresh
    if isinstance(unfinished, Refresh) and isinstance(unfinished.from_generation, int):
        return unfinished.from_generation
    return generation


def superseded(snap: Snapshot, used_keys: set[str]) -> list[str]:
    """Queries a completed refresh replaced: not used by it, every item of them asked again.

    Queries about other works (another corpus fetched into the same folder)
    stay, also a batch that shares some works with this corpus: its other
    works are answered nowhere else.
    """
    used = {(q.kind, item) for q in snap.queries() if q.key in used_keys for item in q.items}
    return [
        q.key for q in snap.queries()
        if q.key not in used_keys and q.items and all((q.kind, item) in used for item in q.items)
    ]


def log_fetch(run: FetchRun, started_at: str, status: str, options: dict) -> None:
    """Add this fetch to the manifest's log (the last 50 are kept), with what it asked and what it cost."""
    from importlib.metadata import PackageNotFoundError, version

    from .. import __version__

    try:
        pyalex_version = version("pyalex")
    except PackageNotFoundError:  # pragma: no cover
        pyalex_version = None
    stats = run.client.stats
    snap = run.snapshot
    log = list(snap.manifest.fetches)
    log.append(FetchRecord.make(**{
        "run": run.run_id,
        "generation": run.generation,
        "started": started_at,
        "finished": now_utc(),
        "status": status,
        "requests": stats.requests,
        "retries": stats.retries,
        "credits": round(stats.credits, 4),
        "credits_source": stats.credits_source,
        "pages_fetched": run.counters.pages_fetched,
        "pages_reused": run.counters.pages_reused,
        "options": {**options, **run.settings.logged()},
        "peerbib_version": __version__,
        "pyalex_version": pyalex_version,
    }))
    snap.update(fetches=log[-50:], generation=run.generation, peerbib_version=__version__,
                pyalex_version=pyalex_version)
