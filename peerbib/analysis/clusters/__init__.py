"""Topic clusters of abstracts: TF-IDF + k-means (:mod:`.model`, one module per step: :mod:`.selection`,
:mod:`.vectors`, :mod:`.k_search`, :mod:`.silhouette`, :mod:`.top_terms`, :mod:`.representatives`,
:mod:`.result`), its text preparation (:mod:`.text`) and its figures (:mod:`.plots`; :mod:`.explore`: the map to explore in a page)."""
from .explore import explore_cluster_map
from .model import FAST_PATH_MIN_TEXTS, Clustering, choose_k, cluster_abstracts
from .plots import (
    cluster_map,
    cluster_sizes,
    clusters_by_year,
    plot_cluster_map,
    plot_cluster_sizes,
    plot_clusters_by_year,
    plot_k_scores,
)
from .text import clean_text

__all__ = ["Clustering", "cluster_abstracts", "choose_k", "cluster_map", "plot_cluster_map", "explore_cluster_map", "cluster_sizes",
           "plot_cluster_sizes", "clusters_by_year", "plot_clusters_by_year", "plot_k_scores", "clean_text",
           "FAST_PATH_MIN_TEXTS"]
