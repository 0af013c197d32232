"""Fetch a corpus and its citing works from OpenAlex into a frozen snapshot.

What a fetch does, in order, and what each step costs (OpenAlex's 2026
prices: list pages 1 credit, searches 10, single-work lookups free, full
text about 100):

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
   snapshot with what the row said; build merges them.
3. **Search** (``search=``): 10 credits a page, so results are capped at
   ``max_search`` (200), and the summary says when the cap cut the results.
4. **Citing works**: ``cites:W1|W2|...`` with up to ``cites_batch`` (100)
   corpus works per query, cursor-paged at ``per_page`` (100; 200 allowed),
   with ``select=`` so pages carry only what the tables need. Which corpus
   work each citing work cites is read from its ``referenced_works``. Works
   OpenAlex counts as never cited are not queried.
5. **Full text** (``fulltext=True``): for each citing work, the publisher
   JATS from Europe PMC when OpenAlex gives it a PMC id (free, no key),
   otherwise OpenAlex's GROBID TEI when ``has_content.grobid_xml`` (~100
   credits each, at most ``max_fulltext``; the estimated cost is said before
   downloading). A 404 is recorded as "no full text" and not asked again; so
   is a body still unusable after the retries (cut off, not XML), recorded as
   ``"unreadable"`` with the reason and a warning naming the work, so one
   broken document neither stops the fetch nor is paid for on every rerun
   (``refresh`` asks again).

6. **scite's tallies** (``scite_tallies=True``): the corpus DOIs, 500 a request, free.
7. **Referenced works** (``references=True``): the works the corpus cites
   that the snapshot lacks, 100 ids a list request (see
   :mod:`peerbib.snapshot.referenced`).

Every answer is saved as it arrives (see :mod:`peerbib.snapshot.store`), so the same
fetch again makes no request, a fetch killed midway resumes where it stopped,
and ``refresh=True`` fetches everything again (resuming, too, when interrupted).

This module runs the phases in order over one :class:`~.fetch_run.FetchRun`;
each phase has its module: the arguments (:mod:`.fetch_inputs`), the corpus
(:mod:`.fetch_corpus`, steps 1-3), the citing works (:mod:`.fetch_citing`),
full text (:mod:`.fetch_fulltext`), scite (:mod:`.fetch_scite`), the referenced works
(:mod:`.referenced`), the summary
(:mod:`.fetch_summary`) and the fetch log (:mod:`.fetch_log`).
"""
from __future__ import annotations

import os
import time

from ..errors import BudgetExhaustedError, FetchError
from ..files import FileLock
from ..ids import normalize_doi
from ..paths import project_path
from ..settings import SNAPSHOT, FetchSettings
from ..sources.europepmc import EuropePMCClient
from ..sources.openalex.client import OpenAlexClient
from ..sources.scite import SciteClient
from .fetch_citing import fetch_citing
from .fetch_corpus import fetch_corpus
from .fetch_fulltext import fetch_fulltext
from .fetch_inputs import CorpusRow, corpus_rows
from .fetch_log import log_fetch, next_generation, refresh_start, superseded
from .fetch_run import FetchRun
from .fetch_scite import fetch_scite
from .referenced import fetch_references
from .fetch_summary import FetchSummary, budget_message, finish_summary
from .model import UNREADABLE, Refresh
from .runner import Progress, QueryRunner
from .store import Snapshot, fetch_lock, now_utc

__all__ = ["fetch", "FetchSummary", "UNREADABLE"]


def fetch(
    dois=None,
    *,
    search: str | None = None,
    snapshot=SNAPSHOT,
    citing: bool = True,
    fulltext: bool = False,
    scite_tallies: bool = False,
    references: bool = False,
    api_key: str | None = None,
    email: str | None = None,
    progress: bool = True,
    source=None,
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
        Also download the full text of citing works: Europe PMC JATS where
        OpenAlex gives a PMC id (free), else OpenAlex's GROBID TEI (credits).
    scite_tallies : bool
        Also ask scite (free, no key) for its citation-type tallies of the
        corpus DOIs, stored in the snapshot like every other answer; the build
        puts them in ``tables.tallies`` with source "scite (api)", beside
        peerbib's own classification and never summed with it.
    references : bool
        Also look up the works the corpus cites that the snapshot does not
        hold (title, year, venue, DOI), 100 to a list request (1 credit; the
        number of requests is said first), so that co-citation maps have
        labels; the build puts them in ``tables.references``.
    api_key : str, optional
        OpenAlex API key; default ``$OPENALEX_API_KEY``. Sent as a header, never stored.
    email : str, optional
        Contact address sent in the request headers.
    progress : bool
        Show a progress bar of requests.
    source : str or Path, optional
        An index of OpenAlex's full data dump (``peerbib dump index``) to
        answer every query from, offline, instead of the API: the same corpus
        resolution, citing works and snapshot, with the release, engine and
        XPAC filter in the manifest's ``source``. No key is needed;
        ``fulltext`` is not possible.
    **options
        Any field of :class:`peerbib.settings.FetchSettings` (``per_page``,
        ``doi_batch``, ``max_citing``, ``title_match``, ``refresh``,
        ``workers``, ``max_retries``, ...).

    Returns
    -------
    FetchSummary

    Raises
    ------
    BudgetExhaustedError
        When the day's credits run out; what was fetched is kept and the same
        call resumes after midnight UTC.
    OpenAlexAuthError
        When OpenAlex refuses the key, or there is none.
    OpenAlexUnavailableError, OpenAlexRequestError, OpenAlexPagingError
        When OpenAlex keeps failing or refuses a request; rerunning resumes.
    BusyError
        When another fetch is writing the snapshot.
    FetchError
        For arguments that cannot work.
    """
    settings = FetchSettings.from_options(options)
    if search is not None and not str(search).strip():
        raise FetchError("search is empty; give search words or leave search=None")
    rows = corpus_rows(dois, search)
    if not rows and search is None:
        raise FetchError("the corpus is empty: give at least one DOI or OpenAlex id")
    folder = project_path(snapshot)
    started, started_at = time.monotonic(), now_utc()
    client = _openalex_client(settings, rows, api_key=api_key, email=email, source=source, fulltext=fulltext)
    # The lock first, then the manifest: another fetch may be writing it.
    lock = fetch_lock(folder)
    lock.acquire()
    try:
        snap = Snapshot.open(folder, create=True, save_interval=settings.save_interval)
    except BaseException:
        lock.release()
        raise
    run = _start(snap, client, settings, progress, fulltext=fulltext, scite_tallies=scite_tallies, source=source)
    asked = {"citing": citing, "fulltext": fulltext, "scite_tallies": scite_tallies, "references": references,
             "search": search}
    status = "interrupted"
    try:
        try:
            status = _phases(run, rows, search, citing=citing, fulltext=fulltext, scite=scite_tallies,
                             references=references)
        except BudgetExhaustedError as exc:
            status = "budget exhausted"
            finish_summary(run, started, status)
            raise BudgetExhaustedError(budget_message(exc, run, folder), resets_at=exc.resets_at,
                                       summary=run.summary, url=exc.url) from None
        finish_summary(run, started, status)
        if status in ("complete", "capped"):
            _complete(run, status)
        return run.summary
    finally:
        _close(run, lock, started_at, status, asked)


def _openalex_client(settings: FetchSettings, rows: list[CorpusRow], *, api_key, email, source, fulltext):
    """The client answering the OpenAlex queries: the API's, or the dump index's (``source``)."""
    if source is not None:
        if fulltext:
            raise FetchError("full text is not in the OpenAlex dump: fetch --fulltext from the API")
        from ..sources.openalex_dump.query import DumpIndex, LocalOpenAlex

        index = DumpIndex(project_path(source), memory_limit=f"{settings.dump_memory_gb:g}GB",
                          threads=settings.dump_threads, include_xpac=settings.include_xpac)
        client = LocalOpenAlex(index)
        client.expect([row.doi for row in rows if getattr(row, "doi", None)])
        return client
    # Before the snapshot is touched: a key that cannot be sent is an error here.
    api_key = api_key or os.environ.get("OPENALEX_API_KEY") or None
    return OpenAlexClient(api_key, email, settings=settings)


def _start(snap: Snapshot, client, settings: FetchSettings, progress: bool, *, fulltext: bool, scite_tallies: bool,
           source) -> FetchRun:
    """The fetch's context over the opened snapshot: its generation, a refresh noted, the other clients."""
    generation = next_generation(snap)
    refresh_from = refresh_start(snap, generation) if settings.refresh else None
    runner = QueryRunner(snap, client, settings, Progress(progress), generation=generation,
                         refresh_from=refresh_from)
    run = FetchRun(
        runner=runner,
        summary=FetchSummary(snapshot=str(snap.folder)),
        europepmc=EuropePMCClient(settings=settings, cancel=client.cancel, rate=settings.europepmc_rate)
        if fulltext else None,
        scite=SciteClient(settings=settings, cancel=client.cancel, rate=settings.scite_rate) if scite_tallies else None,
    )
    if refresh_from is not None:
        snap.update(refresh=Refresh.make(from_generation=refresh_from))
    if source is not None:
        snap.update(source=client.index.provenance())
    return run


def _phases(run: FetchRun, rows: list[CorpusRow], search, *, citing: bool, fulltext: bool, scite: bool,
            references: bool = False) -> str:
    """Every phase the fetch asks for, in order; the status: ``complete`` or ``capped``."""
    corpus, status = fetch_corpus(run, rows, search)  # 1-3: DOIs and ids, matches, search
    scan = None
    if citing and corpus:  # 4. citing works
        run.progress.phase("OpenAlex: citing works")
        capped, scan = fetch_citing(run, corpus)
        if capped:
            status = "capped"
        run.snapshot.save(force=True)
    if fulltext and scan is not None:  # 5. full text
        run.progress.phase("full text")
        fetch_fulltext(run, scan)
    if references and corpus:  # the works the corpus cites, for their labels
        run.summary.referenced_works = fetch_references(run.runner, set(corpus),
                                                        scan.citing if scan is not None else set())
    if scite:  # 6. scite's tallies of the corpus works
        fetch_scite(run, sorted({d for d in (normalize_doi(w.get("doi")) for w in corpus.values()) if d}))
    run.progress.phase("OpenAlex")
    return status


def _complete(run: FetchRun, status: str) -> None:
    """After a fetch that finished: a complete refresh drops what it replaced; unlisted files are swept."""
    snap = run.snapshot
    if run.settings.refresh and status == "complete":
        snap.drop_queries(superseded(snap, run.counters.used_keys))
        snap.update(refresh=None)
    snap.save(force=True)
    snap.sweep()


def _close(run: FetchRun, lock: FileLock, started_at: str, status: str, asked: dict) -> None:
    """Log the fetch when it wrote or asked anything, save, and let go of the lock and the clients.

    A rerun that fetched nothing and changed nothing leaves the snapshot byte
    for byte as it was (so build and git see no change), and a first fetch
    that failed before saving anything creates no snapshot.
    """
    snap = run.snapshot
    try:
        written = (snap.folder / "manifest.json").exists() or any(
            q.pages for q in snap.queries() + snap.pending_queries())
        requests = run.client.stats.requests + sum(other.stats.requests for other in run.others())
        if written and (snap.changed or requests or status not in ("complete", "capped")):
            log_fetch(run, started_at, status, asked)
            snap.save(force=True)
    finally:
        lock.release()
        run.client.close()
        for other in run.others():
            other.close()
        run.progress.close()
