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

Every answer is saved as it arrives (see :mod:`peerbib.snapshot.store`), so the same
fetch again makes no request, a fetch killed midway resumes where it stopped,
and ``refresh=True`` fetches everything again (resuming, too, when interrupted).
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterable

from ..corpus import CORPUS_SUFFIXES, corpus_files, local_work_id, read_corpora, read_corpus
from ..errors import BudgetExhaustedError, FetchError
from ..ids import as_int, is_blank, is_valid_doi, normalize_doi, short_id
from ..paths import project_path
from ..settings import RAW, SNAPSHOT, FetchSettings
from ..sources.europepmc import EuropePMCClient, fulltext_url, normalize_pmcid
from ..sources.scite import BATCH as SCITE_BATCH
from ..sources.scite import TALLIES_URL as SCITE_URL
from ..sources.scite import SciteClient
from ..sources.openalex.client import CREDIT_COSTS, FetchCancelled, OpenAlexClient, next_budget_reset
from ..sources.openalex.matching import listing_score, title_score, without_heading
from ..sources.openalex.queries import (
    REQUIRED_CITING_FIELDS,
    REQUIRED_WORK_FIELDS,
    Query,
    cites_query,
    doi_batch_query,
    doi_batches,
    doi_query,
    filter_words,
    id_batch_query,
    listing_query,
    search_query,
    tei_url,
    title_query,
    work_query,
)
from ..sources.openalex.records import authors_of, canonical_work, decode_abstract, light
from .runner import Progress, QueryRunner, run_parallel
from .model import UNREADABLE, FetchRecord, FulltextItem, Match, Refresh, Requested, SciteItem
from .store import Snapshot, fetch_lock, now_utc
from .read import scite_tallies
from ..files import atomic_write, gzip_bytes

__all__ = ["fetch", "FetchSummary", "UNREADABLE"]

logger = logging.getLogger(__name__)


# --- results ---------------------------------------------------------------------


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
        Citing works of this corpus with full text in the snapshot.
    fulltext_europepmc, fulltext_tei : int
        Of those, with Europe PMC JATS / with OpenAlex GROBID TEI (and no JATS).
    fulltext_credits_estimated : float
        What the TEI downloads were expected to cost before they started.
    fulltext_unreadable : list of str
        Full-text answers of these citing works the snapshot records as
        unreadable (a body still cut off or not XML after the retries), one
        ``"W… (source): reason"`` each; they count as no full text.
    scite_tallies : int
        Corpus DOIs with scite's tallies in the snapshot (``scite_tallies=True``).
    scite_requests : int
    incomplete : list of str
        Queries that ended badly (e.g. a cursor that stopped before the count); the next fetch asks them again.
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
    fulltext_europepmc: int = 0
    fulltext_tei: int = 0
    fulltext_credits_estimated: float = 0.0
    fulltext_unreadable: list = field(default_factory=list)
    europepmc_requests: int = 0
    scite_tallies: int = 0
    scite_requests: int = 0
    incomplete: list = field(default_factory=list)
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
        if self.fulltext or self.europepmc_requests:
            share = f" of {self.citing_works} citing works" if self.citing_works else ""
            out.append(f"  full text:  {self.fulltext}{share} ({self.fulltext_europepmc} Europe PMC JATS, "
                       f"{self.fulltext_tei} OpenAlex GROBID TEI); {self.europepmc_requests} Europe PMC requests")
        if self.fulltext_unreadable:
            shown = "; ".join(self.fulltext_unreadable[:3]) + (" ..." if len(self.fulltext_unreadable) > 3 else "")
            out.append(f"  unreadable: {len(self.fulltext_unreadable)} full-text answer"
                       f"{'' if len(self.fulltext_unreadable) == 1 else 's'} kept as no full text, not asked again "
                       f"unless refreshed: {shown}")
        if self.scite_tallies or self.scite_requests:
            out.append(f"  scite:      tallies of {self.scite_tallies} of {self.works} corpus works; "
                       f"{self.scite_requests} scite requests")
        if self.incomplete:
            out.append(f"  unfinished: {len(self.incomplete)} quer{'y' if len(self.incomplete) == 1 else 'ies'} "
                       f"ended badly and will be asked again: {'; '.join(self.incomplete[:2])}")
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
    return None if is_blank(value) else str(value).strip() or None


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
        year = as_int(row.get("publication_year", row.get("year")))
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
        wid = short_id(text)
        if wid:
            entries.append(_Entry(corpus_work_id=wid, openalex_id=wid))
            continue
        doi = normalize_doi(text)
        if not is_valid_doi(doi):
            raise FetchError(
                f"{text!r} is neither a DOI (like 10.1234/abcd) nor an OpenAlex work id (like W2741809807)"
            )
        entries.append(_Entry(corpus_work_id=local_work_id(doi), doi=doi))
    return entries


def _corpus_entries(dois, search) -> list[_Entry]:
    """The corpus rows a fetch is asked for."""
    import pandas as pd

    if dois is None:
        if search is not None:
            return []
        paths = corpus_files(project_path(RAW))
        if not paths:
            raise FetchError(
                "no corpus to fetch: pass dois=[...] or a corpus file, or put a corpus file in data/raw/corpus/"
            )
        return _dedupe(_from_frame(read_corpora(paths)))
    if isinstance(dois, pd.DataFrame):
        return _dedupe(_from_frame(dois))
    if isinstance(dois, (str, os.PathLike)):
        path = Path(dois)
        looks_like_file = path.suffix.lower() in CORPUS_SUFFIXES or isinstance(dois, os.PathLike)
        if looks_like_file or path.exists():
            if not path.exists():
                path = project_path(path)
            return _dedupe(_from_frame(read_corpus(path)))
        return _dedupe(_from_strings([dois]))
    if isinstance(dois, pd.Series):
        dois = dois.tolist()
    return _dedupe(_from_strings(dois))


def _dedupe(entries: list[_Entry]) -> list[_Entry]:
    seen, out = set(), []
    for entry in entries:
        key = entry.doi or entry.openalex_id or entry.corpus_work_id
        if key not in seen:
            seen.add(key)
            out.append(entry)
    return out


def _chunks(items: list, size: int) -> list[list]:
    return [items[i:i + size] for i in range(0, len(items), size)]


# --- the fetch ------------------------------------------------------------------------


def fetch(
    dois=None,
    *,
    search: str | None = None,
    snapshot=SNAPSHOT,
    citing: bool = True,
    fulltext: bool = False,
    scite_tallies: bool = False,
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
    entries = _corpus_entries(dois, search)
    if not entries and search is None:
        raise FetchError("the corpus is empty: give at least one DOI or OpenAlex id")
    api_key = api_key or os.environ.get("OPENALEX_API_KEY") or None
    folder = project_path(snapshot)
    started = time.monotonic()
    started_at = now_utc()
    if source is not None:
        if fulltext:
            raise FetchError("full text is not in the OpenAlex dump: fetch --fulltext from the API")
        from ..sources.openalex_dump.query import DumpIndex, LocalOpenAlex

        index = DumpIndex(project_path(source), memory_limit=f"{settings.dump_memory_gb:g}GB",
                          threads=settings.dump_threads, include_xpac=settings.include_xpac)
        client = LocalOpenAlex(index)
        client.expect([e.doi for e in entries if getattr(e, "doi", None)])
    else:
        # Before the snapshot is touched: a key that cannot be sent is an error here.
        client = OpenAlexClient(api_key, email, settings=settings)
    # The lock first, then the manifest: another fetch may be writing it.
    lock = fetch_lock(folder)
    lock.acquire()
    try:
        snap = Snapshot.open(folder, create=True, save_interval=settings.save_interval)
    except BaseException:
        lock.release()
        raise
    bar = Progress(progress)
    generation = _next_generation(snap)
    refresh_from = _refresh_start(snap, generation) if settings.refresh else None
    runner = QueryRunner(snap, client, settings, bar, generation=generation, refresh_from=refresh_from)
    runner.europepmc = EuropePMCClient(settings=settings, cancel=client.cancel, rate=settings.europepmc_rate) \
        if fulltext else None
    runner.scite = SciteClient(settings=settings, cancel=client.cancel, rate=settings.scite_rate) \
        if scite_tallies else None
    summary = FetchSummary(snapshot=str(folder))
    status = "interrupted"
    if refresh_from is not None:
        snap.update(refresh=Refresh.make(from_generation=refresh_from))
    if source is not None:
        snap.update(source=client.index.provenance())
    try:
        try:
            status = _fetch(runner, entries, search, citing, fulltext, summary, scite=scite_tallies)
        except BudgetExhaustedError as exc:
            status = "budget exhausted"
            _finish_summary(summary, runner, started, status)
            raise BudgetExhaustedError(_budget_message(exc, runner, folder), resets_at=exc.resets_at,
                                       summary=summary, url=exc.url) from None
        _finish_summary(summary, runner, started, status)
        if status in ("complete", "capped"):
            if settings.refresh and status == "complete":
                snap.drop_queries(_superseded(snap, runner.used_keys))
                snap.update(refresh=None)
            snap.save(force=True)
            snap.sweep()
        return summary
    finally:
        # A rerun that fetched nothing and changed nothing leaves the snapshot
        # byte for byte as it was (so build and git see no change), and a
        # first fetch that failed before saving anything creates no snapshot.
        written = (folder / "manifest.json").exists() or any(
            q.pages for q in snap.queries() + snap.pending_queries())
        requests = client.stats.requests + sum(other.stats.requests for other in _others(runner))
        if written and (snap.changed or requests or status not in ("complete", "capped")):
            _log_fetch(snap, runner, started_at, status, citing, fulltext, search, scite_tallies)
            snap.save(force=True)
        lock.release()
        client.close()
        for other in _others(runner):
            other.close()
        bar.close()


def _others(runner: QueryRunner) -> list:
    """The clients of services other than OpenAlex this fetch uses."""
    return [c for c in (runner.europepmc, runner.scite) if c is not None]


def _next_generation(snap: Snapshot) -> int:
    """This fetch's generation: one more than any the snapshot holds (a killed fetch logged none)."""
    seen = [snap.generation] + [int(q.generation or 0) for q in snap.queries() + snap.pending_queries()]
    return max(seen) + 1


def _refresh_start(snap: Snapshot, generation: int) -> int:
    """The generation a refresh counts from: an unfinished refresh goes on, a new one starts now."""
    unfinished = snap.manifest.refresh
    if isinstance(unfinished, Refresh) and isinstance(unfinished.from_generation, int):
        return unfinished.from_generation
    return generation


def _superseded(snap: Snapshot, used_keys: set[str]) -> list[str]:
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


def _finish_summary(summary: FetchSummary, runner: QueryRunner, started: float, status: str) -> None:
    stats = runner.client.stats
    summary.status = status
    summary.europepmc_requests = runner.europepmc.stats.requests if runner.europepmc is not None else 0
    summary.scite_requests = runner.scite.stats.requests if runner.scite is not None else 0
    summary.requests = stats.requests + summary.europepmc_requests + summary.scite_requests
    summary.retries = stats.retries + sum(other.stats.retries for other in _others(runner))
    summary.credits = round(stats.credits, 4)
    summary.credits_source = stats.credits_source
    summary.credits_remaining = stats.remaining
    summary.pages_fetched = runner.pages_fetched
    used_pages = sum(len(q.pages) for q in runner.snapshot.queries() if q.key in runner.used_keys)
    summary.pages_reused = max(runner.pages_reused, used_pages - runner.pages_fetched)
    summary.incomplete = sorted(
        f"{q.kind}:{'|'.join(map(str, (q.items or ())[:2]))}"
        for q in runner.snapshot.queries() if q.key in runner.used_keys and q.short)
    summary.seconds = round(time.monotonic() - started, 3)


def _budget_message(exc: BudgetExhaustedError, runner: QueryRunner, folder: Path) -> str:
    resets = exc.resets_at or next_budget_reset()
    left = max(0, int((resets - datetime.now(timezone.utc)).total_seconds()))
    pages = sum(len(q.pages) for q in runner.snapshot.queries())
    return (
        f"OpenAlex's daily credit budget is used up, so the fetch stopped. Saved: "
        f"{runner.pages_fetched} pages ({runner.records_fetched} records) fetched now, "
        f"{pages} pages in all in {folder}. The budget resets at midnight UTC "
        f"({resets:%Y-%m-%d %H:%M} UTC, in {left // 3600} h {left % 3600 // 60} min); "
        "run the same fetch again then and it resumes where it stopped."
    )


def _log_fetch(snap: Snapshot, runner: QueryRunner, started_at: str, status: str, citing, fulltext, search,
               scite_tallies=False) -> None:
    from importlib.metadata import PackageNotFoundError, version

    from .. import __version__

    try:
        pyalex_version = version("pyalex")
    except PackageNotFoundError:  # pragma: no cover
        pyalex_version = None
    stats = runner.client.stats
    log = list(snap.manifest.fetches)
    log.append(FetchRecord.make(**{
        "run": runner.run_id,
        "generation": runner.generation,
        "started": started_at,
        "finished": now_utc(),
        "status": status,
        "requests": stats.requests,
        "retries": stats.retries,
        "credits": round(stats.credits, 4),
        "credits_source": stats.credits_source,
        "pages_fetched": runner.pages_fetched,
        "pages_reused": runner.pages_reused,
        "options": {"citing": citing, "fulltext": fulltext, "scite_tallies": scite_tallies, "search": search,
                    **runner.settings.logged()},
        "peerbib_version": __version__,
        "pyalex_version": pyalex_version,
    }))
    snap.update(fetches=log[-50:], generation=runner.generation, peerbib_version=__version__,
                pyalex_version=pyalex_version)


def _fetch(runner: QueryRunner, entries: list[_Entry], search, citing, fulltext, summary: FetchSummary, *,
           scite: bool = False) -> str:
    settings = runner.settings
    corpus: dict[str, dict] = {}  # work id -> light record (id, doi, cited_by_count)
    status = "complete"

    # 1. DOIs and ids, batched
    runner.progress.phase("OpenAlex: resolving")
    dois = sorted({e.doi for e in entries if e.doi})
    found_by_doi = _resolve_dois(runner, dois)
    for work in found_by_doi.values():
        corpus[work["id"]] = work
    summary.unresolved_dois = [d for d in dois if d not in found_by_doi]
    ids = sorted({e.openalex_id for e in entries if e.openalex_id})
    found_by_id = _resolve_ids(runner, ids)
    for work in found_by_id.values():
        corpus[work["id"]] = work
    unresolved_ids = [w for w in ids if w not in found_by_id]
    runner.snapshot.save(force=True)  # the end of a phase: what it fetched is listed

    # 2. rows without a (known) DOI
    runner.progress.phase("OpenAlex: matching")
    matches, unmatched = _match_rows(runner, entries, set(summary.unresolved_dois))
    for match in matches:
        corpus[match["work_id"]] = match["work"]
    summary.matched = len(matches)
    summary.unmatched = unmatched + [f"{w}: OpenAlex id not found" for w in unresolved_ids]
    # Rows given by an OpenAlex id are matches too, so build merges the row
    # (by its local work_id) into the work, the one a merged id now points to.
    id_matches = [
        {"corpus_work_id": e.corpus_work_id, "work_id": found_by_id[e.openalex_id]["id"], "method": "openalex_id",
         "score": 1.0, "query": None, **_row_facts(e)}
        for e in entries
        if e.openalex_id in found_by_id and e.corpus_work_id != found_by_id[e.openalex_id]["id"]
    ]
    _save_matches(runner, matches + id_matches, entries)
    runner.snapshot.save(force=True)

    # 3. search
    if search is not None:
        runner.progress.phase("OpenAlex: search")
        per_page = min(settings.per_page, max(1, settings.max_search))
        entry = runner.run(search_query(search, per_page, settings.max_search))
        n = 0
        for record in runner.snapshot.query_records(entry):
            wid = short_id(record.get("id"))
            if wid:
                n += 1
                corpus[wid] = light(record)
        summary.search_results = n
        summary.search_capped = entry.capped is not None or (isinstance(entry.count, int) and entry.count > n)
        if summary.search_capped:
            status = "capped"
        runner.snapshot.save(force=True)

    summary.works = len(corpus)
    _save_requested(runner, dois, ids, search, summary)

    # 4. citing works
    scan = None
    if citing and corpus:
        runner.progress.phase("OpenAlex: citing works")
        capped, scan = _fetch_citing(runner, corpus, summary)
        if capped:
            status = "capped"
        runner.snapshot.save(force=True)

    # 5. full text
    if fulltext and scan is not None:
        runner.progress.phase("full text")
        _fetch_fulltext(runner, scan, summary)

    # 6. scite's tallies of the corpus works
    if scite:
        _fetch_scite(runner, sorted({d for d in (normalize_doi(w.get("doi")) for w in corpus.values()) if d}),
                     summary)
    runner.progress.phase("OpenAlex")
    return status


def _resolve_dois(runner: QueryRunner, dois: list[str]) -> dict[str, dict]:
    settings = runner.settings
    done, _ = runner.covered("doi", REQUIRED_WORK_FIELDS)
    done_single, _ = runner.covered("doi-single", REQUIRED_WORK_FIELDS)
    todo = [d for d in dois if d not in done and d not in done_single]
    # A comma or bar inside a DOI would break the OR filter: look those up alone (free).
    unsafe = [d for d in todo if "," in d or "|" in d]
    safe = [d for d in todo if d not in unsafe]
    queries = [doi_batch_query(batch, settings.per_page) for batch in doi_batches(safe, settings.doi_batch)]
    queries += [doi_query(d) for d in unsafe]
    runner.run_all(queries)
    wanted = set(dois)
    candidates: dict[str, dict[str, dict]] = {}
    for _entry, record in runner.records_of(("doi", "doi-single"), wanted):
        found = light(record)
        if found["id"] and found["doi"] in wanted:
            candidates.setdefault(found["doi"], {})[found["id"]] = found
    resolved = {}
    for doi, works in candidates.items():
        keep = canonical_work(list(works), {w: works[w]["cited_by_count"] for w in works})
        resolved[doi] = works[keep]
    return resolved


def _resolve_ids(runner: QueryRunner, ids: list[str]) -> dict[str, dict]:
    if not ids:
        return {}
    settings = runner.settings
    done, _ = runner.covered("id", REQUIRED_WORK_FIELDS)
    todo = [w for w in ids if w not in done]
    runner.run_all([id_batch_query(batch, settings.per_page) for batch in _chunks(todo, settings.doi_batch)])
    wanted = set(ids)
    found: dict[str, dict] = {}
    for _entry, record in runner.records_of(("id",), wanted):
        work = light(record)
        if work["id"] in wanted:
            found[work["id"]] = work
    # Ids missing from the filter's answer are usually merged works: a
    # singleton lookup (free) follows OpenAlex's 301 to the work that remains.
    missing = sorted(wanted - set(found))
    runner.run_all([work_query(w) for w in missing])
    for entry, record in runner.records_of(("work",), set(missing)):
        work = light(record)
        if work["id"]:
            found[entry.items[0]] = work
    return found


def _row_facts(entry: _Entry) -> dict:
    """What a corpus row said when it was matched: lets build recognise it after an edit."""
    return {"title": entry.title, "publication_year": entry.year, "authors": entry.authors,
            "abstract": entry.abstract}


def _match_rows(runner: QueryRunner, entries: list[_Entry], unresolved: set[str]):
    """Search for corpus rows without a resolvable DOI; returns (matches, unmatched reasons)."""
    settings = runner.settings
    todo, unmatched = [], []
    for entry in entries:
        if entry.openalex_id or (entry.doi and entry.doi not in unresolved):
            continue
        if entry.doi and not entry.title:
            continue  # an unresolved DOI with nothing else to go on: listed as unresolved
        if not settings.title_match:
            unmatched.append(f"{entry.corpus_work_id}: not searched (title_match is off)")
            continue
        query, problem = None, None
        if entry.title:
            query = title_query(entry.corpus_work_id, entry.title, entry.year)
            problem = None if query else "title has no searchable words"
        elif entry.abstract and entry.authors:
            words = filter_words(without_heading(entry.abstract), 12)
            if len(words.split()) >= 5:
                query = listing_query(entry.corpus_work_id, words, entry.year)
            else:
                problem = "abstract too short to search by"
        else:
            problem = "no DOI, title or abstract to search OpenAlex by"
        if problem:
            unmatched.append(f"{entry.corpus_work_id}: {problem}")
            continue
        todo.append((entry, query))
    results = runner.run_all([query for _, query in todo])
    matches = []
    for (entry, query), result in zip(todo, results):
        best = None
        for record in runner.snapshot.query_records(result):
            wid = short_id(record.get("id"))
            if not wid:
                continue
            their_authors = authors_of(record)
            if query.kind == "title":
                score = title_score(entry.title, entry.authors, record.get("title") or record.get("display_name"),
                                    their_authors)
                ok = score >= settings.match_threshold
                method = "title"
            else:
                score, authors = listing_score(entry.abstract, entry.authors,
                                               decode_abstract(record.get("abstract_inverted_index")), their_authors)
                ok = score >= settings.match_threshold and authors >= 0.5
                method = "abstract+authors"
            rank = (score, record.get("cited_by_count") or 0, -len(wid), wid)
            if ok and (best is None or rank > best[0]):
                best = (rank, wid, method, score, record)
        if best is None:
            unmatched.append(f"{entry.corpus_work_id}: no OpenAlex work similar enough "
                             f"(threshold {settings.match_threshold})")
            continue
        _, wid, method, score, record = best
        matches.append({"corpus_work_id": entry.corpus_work_id, "work_id": wid, "method": method,
                        "score": score, "query": result.key, "work": light(record), **_row_facts(entry)})
    return matches, unmatched


_MATCH_FIELDS = ("corpus_work_id", "work_id", "method", "score", "query", "title", "publication_year", "authors",
                 "abstract")


def _save_matches(runner: QueryRunner, matches: list[dict], entries: list[_Entry]) -> None:
    mine = {e.corpus_work_id for e in entries}
    kept = [m for m in runner.snapshot.manifest.matches if m.corpus_work_id not in mine]
    kept += [Match.make(**{k: m.get(k) for k in _MATCH_FIELDS}) for m in matches]
    runner.snapshot.update(matches=sorted(kept, key=lambda m: (m.corpus_work_id, m.work_id)))


def _save_requested(runner: QueryRunner, dois, ids, search, summary: FetchSummary) -> None:
    old = runner.snapshot.manifest.requested or Requested()
    requested = Requested.make(
        dois=tuple(sorted(set(old.dois) | set(dois))),
        ids=tuple(sorted(set(old.ids) | set(ids))),
        searches=tuple(sorted(set(old.searches) | ({str(search).strip()} if search else set()))),
    )
    runner.snapshot.update(requested=requested, unresolved_dois=list(summary.unresolved_dois))


def _fetch_citing(runner: QueryRunner, corpus: dict[str, dict], summary: FetchSummary) -> tuple[bool, list[str]]:
    """Page through the works citing ``corpus``; returns (capped, what the citing works are).

    A citing work that cites two corpus works in different batches is paged
    twice; batching the most cited works together keeps most citations
    inside one batch, so fewer citing works straddle two.
    """
    settings = runner.settings
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
    queries += [cites_query(batch, settings.per_page) for batch in _chunks(ranked, settings.cites_batch)]
    cap = _CitingCap(runner, targets) if settings.max_citing is not None else None
    capped = _run_citing(runner, queries, cap)
    scan = runner.citing_of(set(targets), frozenset(corpus))
    summary.citing_works = len(scan.citing)
    summary.citations = len(scan.edges)
    return capped, scan


class _CitingCap:
    """``max_citing``: a total number of citing records, spent in a fixed order."""

    def __init__(self, runner: QueryRunner, targets):
        self.left = int(runner.settings.max_citing)
        targets = set(targets)
        for entry in runner.snapshot.queries():
            if entry.kind == "cites" and set(entry.items) & targets:
                self.left -= entry.records


def _run_citing(runner: QueryRunner, queries: list[Query], cap: _CitingCap | None) -> bool:
    """Run citing queries; with a cap, one after another until it is spent. True when capped."""
    if cap is None:
        runner.run_all(queries)
        return False
    capped = False
    for query in sorted(queries, key=lambda q: q.items):
        if cap.left <= 0:
            return True
        known = runner.snapshot.query(query.key)
        already = known.records if known is not None and not known.complete else 0
        query.max_records = already + cap.left
        entry = runner.run(query)
        cap.left -= entry.records - already
        capped = capped or entry.capped is not None
    return capped


JATS = "europepmc-jats"
TEI = "openalex-tei"
_SOURCE_NAMES = {JATS: "Europe PMC JATS", TEI: "OpenAlex GROBID TEI"}


def _fetch_fulltext(runner: QueryRunner, scan, summary: FetchSummary) -> None:
    """Full text of the citing works: Europe PMC JATS where there is a PMC id, else GROBID TEI."""
    settings = runner.settings
    snap = runner.snapshot
    citing = sorted(scan.citing)
    pmcids = {w: normalize_pmcid(scan.pmcids.get(w)) for w in citing}
    by_pmc = [w for w in citing if pmcids[w]]
    if settings.max_europepmc is not None:
        by_pmc = by_pmc[: max(0, int(settings.max_europepmc))]

    def have(work_id: str, source: str) -> bool:
        item = snap.fulltext().get(work_id, {}).get(source)
        # An unreadable answer is kept like a 404: asking again would pay for the same broken body.
        return item is not None and not runner.stale(item) and (item.unreadable or snap.fulltext_intact(item))

    def download(work_id: str, source: str) -> None:
        if runner.cancel.is_set():
            raise FetchCancelled()
        runner.progress.plan(1)
        if source == JATS:
            url = fulltext_url(pmcids[work_id])
            response = runner.europepmc.get_fulltext(pmcids[work_id], keep_unusable=True)
            relative = f"fulltext/{work_id}.jats.xml.gz"
        else:
            url = tei_url(work_id)
            response = runner.client.get_content(url, keep_unusable=True)
            relative = f"tei/{work_id}.tei.xml.gz"
        item = {"source": source, "url": url, "fetched_at": now_utc(), "status": response.status,
                "run": runner.run_id, "generation": runner.generation, "credits": response.credits}
        if response.unusable is not None:
            item.update(status=UNREADABLE, reason=response.unusable, attempts=response.attempts)
            _warn(runner, f"the full text of {work_id} from {_SOURCE_NAMES[source]} is unreadable "
                          f"({response.unusable}, {response.attempts} attempts); it counts as no full text and "
                          "is not downloaded again unless the fetch is refreshed")
        elif response.status == 200:
            item.update(file=relative, bytes=len(response.data),
                        sha256=atomic_write(snap.folder / relative, gzip_bytes(response.data)))
        snap.set_fulltext(work_id, source, FulltextItem.make(**item))
        with runner._lock:
            runner.pages_fetched += 1
        runner.progress.advance()
        snap.save()

    def fetch_all(work_ids: list[str], source: str) -> None:
        todo = [w for w in work_ids if not have(w, source)]
        with runner._lock:
            runner.pages_reused += len(work_ids) - len(todo)
        if todo:
            run_parallel(lambda w: download(w, source), todo, settings.workers, runner.cancel)
            snap.save(force=True)

    if by_pmc:
        runner.progress.note(f"full text: {len(by_pmc)} citing works have a PMC id: Europe PMC JATS (free)")
        fetch_all(by_pmc, JATS)
    fulltext = snap.fulltext()
    with_jats = {w for w in by_pmc if _status(fulltext, w, JATS) == 200}
    by_tei = [w for w in citing if w in scan.grobid and w not in with_jats][: max(0, int(settings.max_fulltext))]
    new_tei = [w for w in by_tei if not have(w, TEI)]
    summary.fulltext_credits_estimated = float(len(new_tei) * CREDIT_COSTS["content"])
    if by_tei:
        runner.progress.note(
            f"full text: {len(by_tei)} GROBID TEI from OpenAlex, {len(new_tei)} to download, about "
            f"{summary.fulltext_credits_estimated:g} credits (max_fulltext={settings.max_fulltext})")
        fetch_all(by_tei, TEI)
    fulltext = snap.fulltext()
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


def _warn(runner: QueryRunner, message: str) -> None:
    """Log a warning; above the progress bar when it is shown and nobody set up logging.

    Python prints an unhandled warning to stderr as it comes, into the middle
    of the bar's line; the bar writes it on a line of its own instead.
    """
    if runner.progress.bar is not None and not logger.hasHandlers():
        runner.progress.note(message)
    else:
        logger.warning(message)


# --- scite tallies -----------------------------------------------------------------------


def _scite_key(dois: list[str]) -> str:
    return hashlib.sha256("\n".join(dois).encode()).hexdigest()[:16]


def _fetch_scite(runner: QueryRunner, dois: list[str], summary: FetchSummary) -> None:
    """scite's tallies of the corpus DOIs, in batches of 500, each answer a file of the snapshot.

    A DOI already answered by an intact batch is not asked again (unless
    ``refresh``), so a grown corpus asks only for its new DOIs.
    """
    snap = runner.snapshot
    answered = set()
    for item in snap.scite().values():
        if item.status == 200 and not runner.stale(item) and snap.fulltext_intact(item):
            answered.update(item.dois or [])
    todo = [d for d in dois if d not in answered]
    runner.progress.phase("scite: tallies")
    if todo:
        runner.progress.note(f"scite: tallies of {len(todo)} DOIs ({len(dois) - len(todo)} already in the snapshot)")
    for batch in _chunks(todo, SCITE_BATCH):
        if runner.cancel.is_set():
            raise FetchCancelled()
        runner.progress.plan(1)
        response = runner.scite.get_tallies(batch)
        key = _scite_key(batch)
        relative = f"scite/{key}.json.gz"
        data = json.dumps(response.data, sort_keys=True, ensure_ascii=False).encode()
        snap.set_scite(key, SciteItem.make(url=SCITE_URL, dois=tuple(batch), fetched_at=now_utc(),
                                           status=response.status, run=runner.run_id, generation=runner.generation,
                                           file=relative, sha256=atomic_write(snap.folder / relative,
                                                                              gzip_bytes(data))))
        with runner._lock:
            runner.pages_fetched += 1
        runner.progress.advance()
        snap.save(force=True)
    summary.scite_tallies = len(set(scite_tallies(snap)) & set(dois))

