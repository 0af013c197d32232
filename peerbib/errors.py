"""Exceptions raised by peerbib.

Every error a user can cause derives from :class:`PeerbibError`; its message
says what went wrong and what to do about it, on one line, so the CLI can
print it without a traceback. There is one class per kind of failure, so a
script can catch exactly the case it handles::

    PeerbibError
    ├── CorpusError              a corpus (or statements/tallies) file cannot be read
    ├── BuildError               raw data cannot be turned into tables
    ├── BusyError                another build or fetch holds the folder
    ├── AnalysisError            an analysis asked of data that cannot support it
    ├── ReportError              a notebook failed while rendering
    ├── FetchError               a fetch asked for something it cannot do
    ├── SnapshotError            peerbib's snapshot of API answers (data/raw/openalex) is damaged
    ├── DumpError                OpenAlex's full data dump, or peerbib's index of it, cannot be used
    ├── OwnershipError           a path to delete or replace is not one peerbib wrote
    └── OpenAlexError            OpenAlex answered with an error
        ├── OpenAlexAuthError        401, or no usable API key
        ├── BudgetExhaustedError     429 "Insufficient budget": the day's credits are gone
        ├── OpenAlexRequestError     400 and other refusals of the request itself
        ├── OpenAlexNotFoundError    404 where a record was required
        ├── OpenAlexUnavailableError retries exhausted (5xx, 403/429 slow-downs, timeouts)
        └── OpenAlexPagingError      cursor paging that repeats or overruns
    EuropePMCError               Europe PMC refused a full-text request
        └── EuropePMCUnavailableError  no usable answer after every retry
    SciteError                   scite refused a tallies request, or gave no usable answer
"""
from __future__ import annotations

__all__ = [
    "PeerbibError",
    "CorpusError",
    "BuildError",
    "BusyError",
    "AnalysisError",
    "ReportError",
    "FetchError",
    "SnapshotError",
    "DumpError",
    "OwnershipError",
    "OpenAlexError",
    "OpenAlexAuthError",
    "BudgetExhaustedError",
    "OpenAlexRequestError",
    "OpenAlexNotFoundError",
    "OpenAlexUnavailableError",
    "OpenAlexPagingError",
    "EuropePMCError",
    "EuropePMCUnavailableError",
    "SciteError",
]


class PeerbibError(Exception):
    """Base class of every error peerbib raises for a problem the user can fix."""


class CorpusError(PeerbibError, ValueError):
    """A corpus file cannot be read: bad DOI, duplicate, missing column.

    Attributes
    ----------
    path : str or None
        The corpus file.
    line : int or None
        1-based line in that file where the problem is, when known.
    reason : str
        What is wrong and what to do.
    """

    def __init__(self, reason: str, *, path=None, line: int | None = None):
        self.path = None if path is None else str(path)
        self.line = line
        self.reason = reason
        where = self.path or "corpus"
        if line is not None:
            where = f"{where}, line {line}"
        super().__init__(f"{where}: {reason}")


class BuildError(PeerbibError):
    """The raw data cannot be turned into processed tables."""


class BusyError(PeerbibError):
    """Another process holds a folder peerbib needs (a build or a fetch); wait for it."""


class AnalysisError(PeerbibError, ValueError):
    """An analysis was asked of data that cannot support it (e.g. too few abstracts)."""


class ReportError(PeerbibError):
    """A notebook failed while the report was being rendered."""


class FetchError(PeerbibError, ValueError):
    """A fetch was asked for something it cannot do (bad arguments, no corpus)."""


class SnapshotError(PeerbibError):
    """peerbib's snapshot of OpenAlex answers (``data/raw/openalex``) is damaged: a manifest or page file
    cannot be read."""


class DumpError(PeerbibError):
    """OpenAlex's full data dump (what OpenAlex calls its snapshot), or peerbib's index of it, cannot be used:
    a download that is missing parts or is damaged, an index folder that is not one, a memory limit or
    thread count that is no usable value, DuckDB or PySpark not installed."""


class OwnershipError(PeerbibError, ValueError):
    """peerbib refused to delete, replace or overwrite something it did not write.

    Raised before any work is done: an output folder that is the project, the
    raw data or a folder holding them; a folder without peerbib's marker, or
    holding files it did not write; a coded file an export would overwrite.
    """


class OpenAlexError(PeerbibError):
    """OpenAlex answered with an error; the subclass says which kind.

    The message carries the server's own message (with any API key removed).

    Attributes
    ----------
    status : int or None
        HTTP status of the last answer, None for a connection failure.
    url : str or None
        The request, without credentials.
    """

    def __init__(self, message: str, *, status: int | None = None, url: str | None = None):
        self.status = status
        self.url = url
        super().__init__(message)


class OpenAlexAuthError(OpenAlexError):
    """OpenAlex refused the API key (HTTP 401), or there is no usable key: set ``OPENALEX_API_KEY``."""


class BudgetExhaustedError(OpenAlexError):
    """The day's OpenAlex credit budget is used up (HTTP 429 "Insufficient budget").

    Attributes
    ----------
    resets_at : datetime.datetime or None
        When the budget resets (midnight UTC unless the server says otherwise).
    summary : peerbib.FetchSummary or None
        What the interrupted fetch had saved, when raised by :func:`peerbib.fetch`.
    """

    def __init__(self, message: str, *, resets_at=None, summary=None, status: int | None = 429, url=None):
        self.resets_at = resets_at
        self.summary = summary
        super().__init__(message, status=status, url=url)


class OpenAlexRequestError(OpenAlexError):
    """OpenAlex refused the request itself (HTTP 400 or another 4xx), or it could not be sent.

    Retrying the same request will not help; an expired cursor is one case
    (the fetch then starts that query again).
    """


class OpenAlexNotFoundError(OpenAlexError):
    """OpenAlex has no record at that address (HTTP 404) where one was required."""


class OpenAlexUnavailableError(OpenAlexError):
    """OpenAlex gave no usable answer after every retry (5xx, slow-downs, timeouts,
    truncated bodies), or asked to wait longer than the fetch allows. Run it again later."""


class OpenAlexPagingError(OpenAlexError):
    """A query's cursor paging went wrong (a repeated cursor, pages of records already
    fetched, more pages than the count allows); the query starts again on the next run."""


class EuropePMCError(PeerbibError):
    """Europe PMC refused a full-text request (a 4xx other than 404, which means "no open full text").

    Attributes
    ----------
    status : int or None
    url : str or None
    """

    def __init__(self, message: str, *, status: int | None = None, url: str | None = None):
        self.status = status
        self.url = url
        super().__init__(message)


class EuropePMCUnavailableError(EuropePMCError):
    """Europe PMC gave no usable answer after every retry; run the fetch again later to resume."""


class SciteError(PeerbibError):
    """scite's free tallies API refused the request or gave no usable answer after every retry."""

    def __init__(self, message: str, *, status: int | None = None, url: str | None = None):
        self.status = status
        self.url = url
        super().__init__(message)
