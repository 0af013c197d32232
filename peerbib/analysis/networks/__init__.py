"""Science maps: citation, co-citation, bibliographic coupling, co-authorship and co-occurrence networks.

:mod:`.units` reads what nodes are made of, :mod:`.kinds` turns them into the
(document, unit) pairs of each kind, :mod:`.build` counts the edges (sparse
incidence matrices) and makes a :class:`Network`, :mod:`.trace` lists the works
behind an edge, :mod:`.communities` finds clusters and centralities,
:mod:`.layout` places the nodes, :mod:`.plots` and :mod:`.historiograph` draw
them (:mod:`.explore`: as a map to explore in a page), :mod:`.labels` names their clusters, :mod:`.export` writes them for
VOSviewer, Gephi, Pajek and spreadsheets (:mod:`.downloads`: as links inside a
report). networkx and scipy load only when a network is made.
"""
from .build import KINDS, NORMALIZATIONS, Network, edge_works, network
from .downloads import Downloads, network_downloads
from .explore import explore_network
from .export import FORMATS, export_network
from .historiograph import historiograph, plot_historiograph
from .labels import network_clusters
from .plots import network_map, plot_network

__all__ = ["Network", "network", "edge_works", "KINDS", "NORMALIZATIONS", "export_network", "FORMATS", "network_downloads", "Downloads", "network_clusters",
           "historiograph", "plot_historiograph", "network_map", "plot_network", "explore_network"]
