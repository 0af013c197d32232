"""Exceptions raised by peerbib.

Every error a user can cause derives from :class:`PeerbibError`; its message
says what went wrong and what to do about it, on one line, so the CLI can
print it without a traceback.
"""
from __future__ import annotations

__all__ = [
    "PeerbibError",
    "CorpusError",
    "BuildError",
    "AnalysisError",
    "ReportError",
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


class AnalysisError(PeerbibError, ValueError):
    """An analysis was asked of data that cannot support it (e.g. too few abstracts)."""


class ReportError(PeerbibError):
    """A notebook failed while the report was being rendered."""


# --- OpenAlex fetching (peerbib.fetching, peerbib.openalex, peerbib.snapshot) ---

__all__ += ["FetchError", "SnapshotError", "OpenAlexError", "OpenAlexAuthError", "BudgetExhaustedError"]


class FetchError(PeerbibError, ValueError):
    """A fetch was asked for something it cannot do (bad arguments, no corpus)."""


class SnapshotError(PeerbibError):
    """An OpenAlex snapshot folder is damaged: a manifest or page file cannot be read."""


class OpenAlexError(PeerbibError):
    """OpenAlex answered with an error that retrying did not cure.

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
    """OpenAlex refused the API key (HTTP 401): set ``OPENALEX_API_KEY``."""


class BudgetExhaustedError(OpenAlexError):
    """The day's OpenAlex credit budget is used up (HTTP 429 "Insufficient budget").

    Attributes
    ----------
    resets_at : datetime.datetime or None
        When the budget resets (midnight UTC unless the server says otherwise).
    summary : peerbib.fetching.FetchSummary or None
        What the interrupted fetch had saved, when raised by :func:`peerbib.fetching.fetch`.
    """

    def __init__(self, message: str, *, resets_at=None, summary=None, status: int | None = 429, url=None):
        self.resets_at = resets_at
        self.summary = summary
        super().__init__(message, status=status, url=url)
