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
