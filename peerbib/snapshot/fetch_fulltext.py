"""The full-text phase of a fetch: Europe PMC JATS where a citing work has a PMC id, else OpenAlex's GROBID TEI.

A 404 is recorded as "no full text" and not asked again; so is a body still
unusable after the retries, recorded as :data:`~.model.UNREADABLE` with the
reason and a warning naming the work (``refresh`` asks again).
"""
from __future__ import annotations

from ..files import atomic_write, gzip_bytes
from ..sources.europepmc import fulltext_url, normalize_pmcid
from ..sources.openalex.client import CREDIT_COSTS
from ..sources.openalex.queries import tei_url
from .fetch_run import FetchRun
from .model import UNREADABLE, FulltextItem
from .runner import run_parallel
from .store import now_utc

__all__ = ["fetch_fulltext", "JATS", "TEI"]

JATS = "europepmc-jats"
TEI = "openalex-tei"
_SOURCE_NAMES = {JATS: "Europe PMC JATS", TEI: "OpenAlex GROBID TEI"}


def fetch_fulltext(run: FetchRun, scan) -> None:
    """Full text of the citing works of ``scan``: Europe PMC JATS where there is a PMC id, else GROBID TEI."""
    settings, summary = run.settings, run.summary
    citing = sorted(scan.citing)
    pmcids = {w: normalize_pmcid(scan.pmcids.get(w)) for w in citing}
    by_pmc = [w for w in citing if pmcids[w]]
    if settings.max_europepmc is not None:
        by_pmc = by_pmc[: max(0, int(settings.max_europepmc))]
    if by_pmc:
        run.progress.note(f"full text: {len(by_pmc)} citing works have a PMC id: Europe PMC JATS (free)")
        _fetch_all(run, by_pmc, JATS, pmcids)
    fulltext = run.snapshot.fulltext()
    with_jats = {w for w in by_pmc if _status(fulltext, w, JATS) == 200}
    by_tei = [w for w in citing if w in scan.grobid and w not in with_jats][: max(0, int(settings.max_fulltext))]
    new_tei = [w for w in by_tei if not _have(run, w, TEI)]
    summary.fulltext_credits_estimated = float(len(new_tei) * CREDIT_COSTS["content"])
    if by_tei:
        run.progress.note(
            f"full text: {len(by_tei)} GROBID TEI from OpenAlex, {len(new_tei)} to download, about "
            f"{summary.fulltext_credits_estimated:g} credits (max_fulltext={settings.max_fulltext})")
        _fetch_all(run, by_tei, TEI, pmcids)
    _count(run, citing)


def _have(run: FetchRun, work_id: str, source: str) -> bool:
    """True when the snapshot holds a fresh answer of ``source`` for ``work_id`` (a document, a 404, unreadable)."""
    item = run.snapshot.fulltext().get(work_id, {}).get(source)
    # An unreadable answer is kept like a 404: asking again would pay for the same broken body.
    return item is not None and not run.stale(item) and (item.unreadable or run.snapshot.fulltext_intact(item))


def _fetch_all(run: FetchRun, work_ids: list[str], source: str, pmcids: dict) -> None:
    todo = [w for w in work_ids if not _have(run, w, source)]
    run.counters.reused(len(work_ids) - len(todo))
    if todo:
        run_parallel(lambda w: _download(run, w, source, pmcids), todo, run.settings.workers, run.runner.cancel)
        run.snapshot.save(force=True)


def _download(run: FetchRun, work_id: str, source: str, pmcids: dict) -> None:
    run.check_cancelled()
    run.progress.plan(1)
    snap = run.snapshot
    if source == JATS:
        url = fulltext_url(pmcids[work_id])
        response = run.europepmc.get_fulltext(pmcids[work_id], keep_unusable=True)
        relative = f"fulltext/{work_id}.jats.xml.gz"
    else:
        url = tei_url(work_id)
        response = run.client.get_content(url, keep_unusable=True)
        relative = f"tei/{work_id}.tei.xml.gz"
    item = {"source": source, "url": url, "fetched_at": now_utc(), "status": response.status,
            "run": run.run_id, "generation": run.generation, "credits": response.credits}
    if response.unusable is not None:
        item.update(status=UNREADABLE, reason=response.unusable, attempts=response.attempts)
        run.warn(f"the full text of {work_id} from {_SOURCE_NAMES[source]} is unreadable "
                 f"({response.unusable}, {response.attempts} attempts); it counts as no full text and "
                 "is not downloaded again unless the fetch is refreshed")
    elif response.status == 200:
        item.update(file=relative, bytes=len(response.data),
                    sha256=atomic_write(snap.folder / relative, gzip_bytes(response.data)))
    snap.set_fulltext(work_id, source, FulltextItem.make(**item))
    run.counters.fetched()
    run.progress.advance()
    snap.save()


def _count(run: FetchRun, citing: list[str]) -> None:
    """The summary's full-text counts: JATS, TEI of works without JATS, and the unreadable answers."""
    summary = run.summary
    fulltext = run.snapshot.fulltext()
    summary.fulltext_europepmc = sum(1 for w in citing if _status(fulltext, w, JATS) == 200)
    summary.fulltext_tei = sum(1 for w in citing if _status(fulltext, w, TEI) == 200
                               and _status(fulltext, w, JATS) != 200)
    summary.fulltext = summary.fulltext_europepmc + summary.fulltext_tei
    summary.fulltext_unreadable = [
        f"{w} ({source}): {item.reason or 'unusable body'}"
        for w in citing for source, item in sorted(fulltext.get(w, {}).items()) if item.unreadable]


def _status(fulltext: dict, work_id: str, source: str):
    """The status of the full text of ``work_id`` from ``source`` (None when never asked)."""
    item = fulltext.get(work_id, {}).get(source)
    return item.status if item is not None else None
