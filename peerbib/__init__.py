"""peerbib: bibliometric analysis of a scientific literature with OpenAlex data.

The public API (PRODUCT.md) is what this module exports; everything else is
internal and may change. Names are imported on first use, so ``import
peerbib`` and the ``peerbib`` command stay quick: pandas, matplotlib,
scikit-learn and the notebook machinery load only when something needs them.
"""
from __future__ import annotations

import importlib
from importlib.metadata import PackageNotFoundError, version as _version

try:
    __version__ = _version("peerbib")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0+unknown"

# public name -> module that defines it
_EXPORTS = {
    "read_corpus": "corpus",
    "build": "tables",
    "load": "tables",
    "Tables": "tables",
    "publication_years": "analysis",
    "plot_publication_years": "analysis",
    "count_works": "analysis",
    "list_works": "analysis",
    "citations_per_year": "analysis",
    "cluster_abstracts": "clusters",
    "Clustering": "clusters",
    "choose_k": "clusters",
    "cluster_map": "clusters",
    "plot_cluster_map": "clusters",
    "cluster_sizes": "clusters",
    "plot_cluster_sizes": "clusters",
    "clusters_by_year": "clusters",
    "plot_clusters_by_year": "clusters",
    "plot_k_scores": "clusters",
    "fetch": "fetching",
    "FetchSummary": "fetching",
    "report": "reporting",
    "project_root": "paths",
    "project_path": "paths",
    "PeerbibError": "errors",
    "CorpusError": "errors",
    "BuildError": "errors",
    "AnalysisError": "errors",
    "ReportError": "errors",
    "FetchError": "errors",
    "BudgetExhaustedError": "errors",
}

__all__ = ["__version__", *_EXPORTS]


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'peerbib' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__():
    return sorted(set(globals()) | set(__all__))
