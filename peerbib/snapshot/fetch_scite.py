"""The scite phase of a fetch: scite's citation-type tallies of the corpus DOIs, each answer a file of the snapshot."""
from __future__ import annotations

import hashlib
import json

from ..files import atomic_write, gzip_bytes
from ..sources.scite import BATCH as SCITE_BATCH
from ..sources.scite import TALLIES_URL as SCITE_URL
from .fetch_inputs import chunks
from .fetch_run import FetchRun
from .model import SciteItem
from .read import scite_tallies
from .store import now_utc

__all__ = ["fetch_scite"]


def _scite_key(dois: list[str]) -> str:
    return hashlib.sha256("\n".join(dois).encode()).hexdigest()[:16]


def fetch_scite(run: FetchRun, dois: list[str]) -> None:
    """scite's tallies of the corpus DOIs, in batches of 500, each answer a file of the snapshot.

    A DOI already answered by an intact batch is not asked again (unless
    ``refresh``), so a grown corpus asks only for its new DOIs.
    """
    snap = run.snapshot
    answered = set()
    for item in snap.scite().values():
        if item.status == 200 and not run.stale(item) and snap.fulltext_intact(item):
            answered.update(item.dois or [])
    todo = [d for d in dois if d not in answered]
    run.progress.phase("scite: tallies")
    if todo:
        run.progress.note(f"scite: tallies of {len(todo)} DOIs ({len(dois) - len(todo)} already in the snapshot)")
    for batch in chunks(todo, SCITE_BATCH):
        run.check_cancelled()
        run.progress.plan(1)
        response = run.scite.get_tallies(batch)
        key = _scite_key(batch)
        relative = f"scite/{key}.json.gz"
        data = json.dumps(response.data, sort_keys=True, ensure_ascii=False).encode()
        snap.set_scite(key, SciteItem.make(url=SCITE_URL, dois=tuple(batch), fetched_at=now_utc(),
                                           status=response.status, run=run.run_id, generation=run.generation,
                                           file=relative, sha256=atomic_write(snap.folder / relative,
                                                                              gzip_bytes(data))))
        run.counters.fetched()
        run.progress.advance()
        snap.save(force=True)
    run.summary.scite_tallies = len(set(scite_tallies(snap)) & set(dois))
