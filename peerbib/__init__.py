"""peerbib: bibliometric analysis of a scientific literature with OpenAlex data.

The public API (PRODUCT.md) is what this module exports; everything else is
internal and may change.
"""
from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version as _version

try:
    __version__ = _version("peerbib")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0+unknown"

from .analysis import count_works, list_works, plot_publication_years, publication_years
from .build import Tables, build, load
from .corpus import read_corpus
from .errors import (
    AnalysisError,
    BuildError,
    CorpusError,
    PeerbibError,
    ReportError,
)
from .paths import project_path, project_root
from .reporting import report


__all__ = [
    "__version__",
    "read_corpus",
    "build",
    "load",
    "Tables",
    "publication_years",
    "plot_publication_years",
    "count_works",
    "list_works",
    "report",
    "project_root",
    "project_path",
    "PeerbibError",
    "CorpusError",
    "BuildError",
    "AnalysisError",
    "ReportError",
]
