"""What each cluster of a network is: named by its members of most weight, or by the terms of its works' texts.

A co-citation cluster is read from the works it holds (the most cited first:
"Davidson 1999; Repper 2011; …"); a coupling cluster of corpus works from the
words of their titles and abstracts that set it apart from the other clusters
(the same TF-IDF terms as the topic clusters of abstracts).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ...errors import AnalysisError
from .build import Network
from .units import corpus_works

__all__ = ["network_clusters"]

_BY = ("members", "terms")


def network_clusters(net: Network, tables=None, *, by: str = "members", n: int = 3) -> pd.DataFrame:
    """One row per cluster of ``net``: its size, weight, and a name made of its members or its terms.

    Parameters
    ----------
    net : Network
        From :func:`peerbib.network` (with ``communities=True``).
    tables : Tables, optional
        The tables ``net`` was made from; ``by="terms"`` reads the titles and
        abstracts of its works there.
    by : {"members", "terms"}
        ``members``: the ``n`` nodes of most weight (ties: more citations,
        then label). ``terms``: the ``n`` terms of the titles and abstracts of
        the cluster's works that set it apart from the other clusters; for
        networks whose nodes are corpus works (coupling or citation of works).
    n : int
        Members or terms in a name.

    Returns
    -------
    DataFrame
        ``cluster, nodes, weight`` (the nodes' weights summed), ``links``
        (links inside the cluster), ``name``, and ``members`` (every node's
        label, most weight first, "; " joined). Largest cluster first.
    """
    if not isinstance(net, Network):
        raise AnalysisError("network_clusters reads a Network: pass the result of pb.network(tables, kind)")
    if by not in _BY:
        raise AnalysisError(f"by={by!r}: name clusters by 'members' or 'terms'")
    if not isinstance(n, (int, np.integer)) or n < 1:
        raise AnalysisError(f"n={n!r}: give the number of members or terms in a name, 1 or more")
    nodes = net.nodes
    if "cluster" not in nodes.columns or nodes["cluster"].isna().all():
        raise AnalysisError("this network has no clusters: make it with communities=True")
    ranked = _ranked(nodes)
    out = _sizes(net, ranked)
    names = _member_names(ranked, n) if by == "members" else _term_names(net, ranked, tables, n)
    out["name"] = out["cluster"].map(names).fillna("").astype("str")
    out["members"] = out["cluster"].map(ranked.groupby("cluster", sort=False)["label"].agg("; ".join))
    return out.reset_index(drop=True)


def _ranked(nodes: pd.DataFrame) -> pd.DataFrame:
    """Nodes with a cluster, most weight first (then most citations, then label)."""
    frame = nodes[nodes["cluster"].notna()].copy()
    frame["cluster"] = frame["cluster"].astype("int64")
    frame["label"] = frame["label"].fillna(frame["id"]).astype("str")
    citations = frame["citations"] if "citations" in frame.columns else pd.Series(0.0, index=frame.index)
    frame["_citations"] = pd.to_numeric(citations, errors="coerce").fillna(-1.0)
    return frame.sort_values(["weight", "_citations", "label"], ascending=[False, False, True], kind="stable")


def _sizes(net: Network, ranked: pd.DataFrame) -> pd.DataFrame:
    grouped = ranked.groupby("cluster", sort=True)
    out = pd.DataFrame({"nodes": grouped.size(), "weight": grouped["weight"].sum()}).reset_index()
    of = dict(zip(ranked["id"], ranked["cluster"]))
    edges = net.edges
    source, target = edges["source"].map(of), edges["target"].map(of)
    inside = source[source.notna() & (source == target)].astype("int64").value_counts()
    out["links"] = out["cluster"].map(inside).fillna(0).astype("int64")
    return out.sort_values(["nodes", "weight", "cluster"], ascending=[False, False, True], kind="stable")


def _member_names(ranked: pd.DataFrame, n: int) -> dict:
    return ranked.groupby("cluster", sort=False)["label"].agg(lambda labels: "; ".join(labels.head(n))).to_dict()


def _term_names(net: Network, ranked: pd.DataFrame, tables, n: int) -> dict:
    from ..clusters.top_terms import top_terms
    from ..clusters.vectors import vectorize

    if net.unit != "works" or net.kind not in ("coupling", "citation"):
        raise AnalysisError(f"by='terms' names clusters of corpus works (coupling or citation of works); "
                            f"this is {net.kind} of {net.unit}: use by='members'")
    if tables is None:
        raise AnalysisError("by='terms' reads the works' titles and abstracts: pass the tables too")
    works = corpus_works(tables).drop_duplicates("work_id").set_index("work_id")
    texts = pd.Series("", index=ranked["id"].astype("str"))
    for column in ("title", "abstract"):
        if column in works.columns:
            texts = texts.str.cat(texts.index.map(works[column]).fillna("").astype("str"), sep=" ")
    has_text = texts.str.strip() != ""
    if has_text.sum() < 2:
        raise AnalysisError("too few of the network's works have a title or an abstract to name clusters by terms")
    labels = ranked["cluster"].to_numpy()[has_text.to_numpy()]
    clusters = np.unique(labels)
    codes = np.searchsorted(clusters, labels)
    X, features, _, _ = vectorize(texts[has_text].tolist(), extra_stop_words=(), min_df=1, max_df=1.0)
    terms = top_terms(X, codes, len(clusters), np.asarray(features), n)
    terms["cluster"] = clusters[terms["cluster"].to_numpy()]
    return terms.sort_values(["cluster", "rank"]).groupby("cluster")["term"].agg(", ".join).to_dict()
