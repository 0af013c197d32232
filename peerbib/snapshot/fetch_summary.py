"""What a fetch did and what the snapshot now holds: :class:`FetchSummary`, and the text it prints."""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from ..errors import BudgetExhaustedError
from ..sources.openalex.client import next_budget_reset

__all__ = ["FetchSummary", "finish_summary", "budget_message"]


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
    referenced_works : int
        Works the corpus cites (outside the snapshot's corpus and citing works) whose labels
        the snapshot holds (``references=True``).
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
    referenced_works: int = 0
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
        if self.referenced_works:
            out.append(f"  references: {self.referenced_works} works the corpus cites looked up for their labels")
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


def finish_summary(run, started: float, status: str) -> None:
    """Fill ``run.summary`` with what the fetch ``run`` (a :class:`~.fetch_run.FetchRun`) counted."""
    summary, counters = run.summary, run.counters
    stats = run.client.stats
    summary.status = status
    summary.europepmc_requests = run.europepmc.stats.requests if run.europepmc is not None else 0
    summary.scite_requests = run.scite.stats.requests if run.scite is not None else 0
    summary.requests = stats.requests + summary.europepmc_requests + summary.scite_requests
    summary.retries = stats.retries + sum(other.stats.retries for other in run.others())
    summary.credits = round(stats.credits, 4)
    summary.credits_source = stats.credits_source
    summary.credits_remaining = stats.remaining
    summary.pages_fetched = counters.pages_fetched
    used_pages = sum(len(q.pages) for q in run.snapshot.queries() if q.key in counters.used_keys)
    summary.pages_reused = max(counters.pages_reused, used_pages - counters.pages_fetched)
    summary.incomplete = sorted(
        f"{q.kind}:{'|'.join(map(str, (q.items or ())[:2]))}"
        for q in run.snapshot.queries() if q.key in counters.used_keys and q.short)
    summary.seconds = round(time.monotonic() - started, 3)


def budget_message(exc: BudgetExhaustedError, run, folder: Path) -> str:
    """What a fetch stopped by the day's credit budget says: what was saved, when to run it again."""
    resets = exc.resets_at or next_budget_reset()
    left = max(0, int((resets - datetime.now(timezone.utc)).total_seconds()))
    pages = sum(len(q.pages) for q in run.snapshot.queries())
    return (
        f"OpenAlex's daily credit budget is used up, so the fetch stopped. Saved: "
        f"{run.counters.pages_fetched} pages ({run.counters.records_fetched} records) fetched now, "
        f"{pages} pages in all in {folder}. The budget resets at midnight UTC "
        f"({resets:%Y-%m-%d %H:%M} UTC, in {left // 3600} h {left % 3600 // 60} min); "
        "run the same fetch again then and it resumes where it stopped."
    )
