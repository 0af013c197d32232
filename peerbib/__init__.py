"""peerbib: bibliometric analysis of a scientific literature with OpenAlex data.

The public API (the README's "Using peerbib from Python") is what this module exports; everything else is
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

# public name -> module that defines it, grouped by stage as in the README's
# "Using peerbib from Python" (a test keeps the two in the same order). The
# pipeline, in order (no module imports from a later stage): corpus -> sources
# -> snapshot -> statements -> tables -> analysis -> reporting; errors,
# settings, ids, paths, files, ownership, deprecation and project are the
# ground every stage stands on.
_EXPORTS = {
    # corpus: the user's corpus files (database exports, CSV, BibTeX, RIS)
    "read_corpus": "corpus",
    "search_date": "corpus.searches",
    # fetch: OpenAlex (or its full snapshot) -> data/raw/openalex
    "fetch": "snapshot",
    "FetchSummary": "snapshot",
    # build & load: data/raw -> data/processed, the tables
    "build": "tables",
    "load": "tables",
    "Tables": "tables",
    # describe: publication years, venues and types, citations per year
    "describe_corpus": "analysis.descriptive",
    "publication_years": "analysis.descriptive",
    "plot_publication_years": "analysis.descriptive",
    "count_works": "analysis.descriptive",
    "list_works": "analysis.descriptive",
    "disputed_years": "analysis.descriptive",
    "citations_per_year": "analysis.descriptive",
    "plot_citations_per_year": "analysis.descriptive",
    "FETCH_HINT": "analysis.descriptive",
    # citation statements & types: coverage, classifying, hand coding, tallies and their charts
    "statement_coverage": "statements.coverage",
    "classify_statements": "statements.classify",
    "train_classifier": "statements.train",
    "load_classifier": "statements.train",
    "classifier_figures": "analysis.citation_types",
    "export_for_coding": "statements.coding",
    "read_coding": "statements.coding",
    "coding_agreement": "statements.coding",
    "tally_citation_types": "statements.tallies",
    "citation_type_counts": "analysis.citation_types",
    "plot_citation_types": "analysis.citation_types",
    "citation_types_by": "analysis.citation_types",
    "plot_citation_types_by": "analysis.citation_types",
    "example_statements": "analysis.citation_types",
    "coverage_note": "analysis.citation_types",
    # clusters: topic clusters of abstracts and their charts
    "cluster_abstracts": "analysis.clusters",
    "Clustering": "analysis.clusters",
    "choose_k": "analysis.clusters",
    "plot_k_scores": "analysis.clusters",
    "cluster_map": "analysis.clusters",
    "plot_cluster_map": "analysis.clusters",
    "explore_cluster_map": "analysis.clusters",
    "cluster_sizes": "analysis.clusters",
    "plot_cluster_sizes": "analysis.clusters",
    "clusters_by_year": "analysis.clusters",
    "plot_clusters_by_year": "analysis.clusters",
    # science maps & indicators: citation, co-citation, coupling, co-authorship and keyword networks; indicators
    "network": "analysis.networks",
    "Network": "analysis.networks",
    "edge_works": "analysis.networks",
    "export_network": "analysis.networks",
    "network_downloads": "analysis.networks",
    "network_clusters": "analysis.networks",
    "plot_network": "analysis.networks",
    "explore_network": "analysis.networks",
    "historiograph": "analysis.networks",
    "plot_historiograph": "analysis.networks",
    "overview": "analysis.indicators",
    "plot_overview": "analysis.indicators",
    "top": "analysis.indicators",
    "plot_top": "analysis.indicators",
    "h_index": "analysis.indicators",
    "plot_h_index": "analysis.indicators",
    "lotka": "analysis.laws",
    "plot_lotka": "analysis.laws",
    "bradford": "analysis.laws",
    "plot_bradford": "analysis.laws",
    "citation_scores": "analysis.indicators",
    "plot_citation_scores": "analysis.indicators",
    "retracted_works": "analysis.indicators",
    "plot_retracted_works": "analysis.indicators",
    # reports: the HTML reports, and the tables, sentences and colours on their pages
    "report": "reporting",
    "show_table": "analysis.present",
    "Sentences": "analysis.present",
    "PALETTE": "analysis.present",
    "TYPE_COLORS": "analysis.present",
    # project: the project folder and paths inside it
    "init_project": "project",
    "project_root": "paths",
    "project_path": "paths",
    # settings & errors
    "FetchSettings": "settings",
    "RANDOM_STATE": "settings",
    **{name: "errors" for name in (
        "PeerbibError", "CorpusError", "BuildError", "BusyError", "AnalysisError", "ReportError", "FetchError",
        "SnapshotError", "DumpError", "OwnershipError", "OpenAlexError", "OpenAlexAuthError", "BudgetExhaustedError",
        "OpenAlexRequestError",
        "OpenAlexNotFoundError", "OpenAlexUnavailableError", "OpenAlexPagingError", "EuropePMCError",
        "EuropePMCUnavailableError", "SciteError",
    )},
}

__all__ = ["__version__", *_EXPORTS]


def _take_away() -> None:
    """In a report's kernel, write each figure and table as files too (see :mod:`peerbib.analysis.takeaway`)."""
    import os

    if os.environ.get("PEERBIB_REPORT_FILES"):
        from .analysis.takeaway import install

        install()


_take_away()


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'peerbib' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__():
    return sorted(set(globals()) | set(__all__))
