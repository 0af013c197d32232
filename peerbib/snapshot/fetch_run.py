"""One fetch's context: the snapshot, the clients, the settings, the progress bar, what it counted.

Every phase of a fetch (:mod:`.fetch_corpus`, :mod:`.fetch_citing`,
:mod:`.fetch_fulltext`, :mod:`.fetch_scite`) takes the :class:`FetchRun` and
nothing else of the fetch's state.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

from ..settings import FetchSettings
from ..sources.europepmc import EuropePMCClient
from ..sources.openalex.client import FetchCancelled
from ..sources.scite import SciteClient
from .fetch_summary import FetchSummary
from .runner import FetchCounters, Progress, QueryRunner
from .store import Snapshot

__all__ = ["FetchRun"]

logger = logging.getLogger("peerbib.snapshot.fetching")


@dataclass
class FetchRun:
    """The state one fetch shares between its phases.

    Attributes
    ----------
    runner : QueryRunner
        Runs the OpenAlex queries (it holds the OpenAlex client, the snapshot and the counters).
    europepmc : EuropePMCClient or None
        The Europe PMC client of a fetch with full text.
    scite : SciteClient or None
        The scite client of a fetch with scite's tallies.
    summary : FetchSummary
        What the phases found, filled in as they go.
    """

    runner: QueryRunner
    summary: FetchSummary
    europepmc: EuropePMCClient | None = None
    scite: SciteClient | None = None

    @property
    def snapshot(self) -> Snapshot:
        return self.runner.snapshot

    @property
    def settings(self) -> FetchSettings:
        return self.runner.settings

    @property
    def progress(self) -> Progress:
        return self.runner.progress

    @property
    def client(self):
        """The OpenAlex client (the API's, or the dump index's)."""
        return self.runner.client

    @property
    def counters(self) -> FetchCounters:
        return self.runner.counters

    @property
    def run_id(self) -> str:
        return self.runner.run_id

    @property
    def generation(self) -> int:
        return self.runner.generation

    def stale(self, item) -> bool:
        """True for an entry or item a refresh must fetch again."""
        return self.runner.stale(item)

    def others(self) -> list:
        """The clients of services other than OpenAlex this fetch uses."""
        return [c for c in (self.europepmc, self.scite) if c is not None]

    def check_cancelled(self) -> None:
        """Raise :class:`FetchCancelled` when another worker failed and the fetch is stopping."""
        if self.runner.cancel.is_set():
            raise FetchCancelled()

    def warn(self, message: str) -> None:
        """Log a warning; above the progress bar when it is shown and nobody set up logging.

        Python prints an unhandled warning to stderr as it comes, into the middle
        of the bar's line; the bar writes it on a line of its own instead.
        """
        if self.progress.bar is not None and not logger.hasHandlers():
            self.progress.note(message)
        else:
            logger.warning(message)
