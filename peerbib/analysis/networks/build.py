"""Science maps as tables: the nodes and weighted edges of citation, co-citation, bibliographic coupling,
co-authorship and co-occurrence networks.

Every co-occurrence kind is one computation on a sparse 0/1 incidence matrix
M (documents x units: a 1 where a document carries a unit): the count of
documents carrying both units i and j is (MᵀM)_ij, and a unit's occurrences
s_i are the diagonal. What a document and a unit are makes the kind:

============  ==============================  ======================================
kind          document x unit                 an edge's count
============  ==============================  ======================================
cocitation    corpus work x cited work/venue  corpus works citing both (RᵀR)
coupling      reference x corpus work/unit    references both cite (RRᵀ)
coauthorship  corpus work x author/inst./ctry works written together (AᵀA)
cooccurrence  corpus work x keyword/MeSH/topic works carrying both (KᵀK)
============  ==============================  ======================================

The diagonal is dropped and only the upper triangle kept (one row per pair).
``top`` keeps the N units with most occurrences *before* the product, which
bounds its size; ``min_weight`` drops pairs with a smaller count. A
``citation`` network is the direct citations among corpus works, directed,
with the citation statements' types of each citing-cited pair.

The pairs of each kind are read in :mod:`.kinds`; :func:`edge_works` (from
:mod:`.trace`, re-exported here) lists the works behind one edge.

networkx and scipy are imported inside the functions that need them, so
``import peerbib`` stays light.
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import pandas as pd

from ...errors import AnalysisError
from ...statements.sections import CITATION_TYPES
from .kinds import _BUILDERS, KINDS, _work_details
from .trace import edge_works
from .units import corpus_works, local_citations_edges

__all__ = ["Network", "network", "edge_works", "KINDS", "NORMALIZATIONS", "MAX_PAIRS", "NODE_COLUMNS"]

logger = logging.getLogger("peerbib")

#: kind -> its name in notes and titles.
_KIND_NAMES = {"citation": "citation", "cocitation": "co-citation", "coupling": "bibliographic coupling",
               "coauthorship": "co-authorship", "cooccurrence": "co-occurrence"}


def _association(count, s_i, s_j):
    return count / (s_i * s_j)


def _cosine(count, s_i, s_j):
    return count / np.sqrt(s_i * s_j)


def _jaccard(count, s_i, s_j):
    return count / (s_i + s_j - count)


def _inclusion(count, s_i, s_j):
    return count / np.minimum(s_i, s_j)


#: normalize= -> weight from (count c_ij, occurrences s_i, s_j).
NORMALIZATIONS: dict[str, Callable] = {
    "association": _association,  # VOSviewer's association strength c_ij / (s_i s_j)
    "cosine": _cosine,  # Salton's cosine c_ij / sqrt(s_i s_j)
    "jaccard": _jaccard,  # c_ij / (s_i + s_j - c_ij)
    "inclusion": _inclusion,  # c_ij / min(s_i, s_j)
}

#: The largest number of entries of MᵀM (both triangles) a network may compute; above it, pass ``top=``.
#: 30 million entries take about 0.5 GB while the product is made.
MAX_PAIRS = 30_000_000

#: The columns of ``Network.nodes``, in order.
NODE_COLUMNS = ["id", "label", "weight", "works", "citations", "year", "url", "cluster", "degree", "strength",
                "betweenness", "pagerank", "x", "y"]


@dataclass
class Network:
    """A science map: nodes and edges as DataFrames, with what they are.

    Attributes
    ----------
    nodes : DataFrame
        One row per node: ``id, label, weight`` (occurrences: what the
        normalisations divide by, see :func:`network`), ``works`` (corpus works
        behind the node), ``citations`` (OpenAlex's ``cited_by_count`` of those
        works, summed; missing where unknown), ``year`` (a work's publication
        year), ``url`` (a work's OpenAlex or DOI link), ``cluster`` (0 the
        largest), ``degree, strength, betweenness, pagerank, x, y`` (x and y
        in [-1, 1]). Sorted by weight, most first.
    edges : DataFrame
        One row per pair (``source, target``; directed citing -> cited in a
        citation network): ``weight`` (the count, or its normalised value),
        ``count``. A citation network's edges also carry the citation
        statements of the pair: ``supporting, mentioning, contrasting,
        unclassified, statements`` and the dominant ``type`` (missing where the
        pair has no statement).
    kind, unit : str
    normalize : str or None
    note : str
        What the network covers and how it was made (a sentence for a caption).
    directed : bool
    timings : dict
        Seconds spent in each step (``incidence, pairs, communities, centrality, layout``).
    """

    nodes: pd.DataFrame
    edges: pd.DataFrame
    kind: str
    unit: str
    normalize: str | None = None
    note: str = ""
    directed: bool = False
    resolution: float = 1.0
    random_state: int = 0
    timings: dict = field(default_factory=dict, repr=False, compare=False)

    def __repr__(self) -> str:
        return (f"Network({_KIND_NAMES.get(self.kind, self.kind)} of {self.unit}: {len(self.nodes):,} nodes, "
                f"{len(self.edges):,} edges, weights {self.normalize or 'counts'})")

    def to_networkx(self):
        """The network as a ``networkx.Graph`` (``DiGraph`` when directed) with every node and edge column."""
        from .communities import to_graph

        attributes = {c: [_plain(v) for v in self.nodes[c].tolist()] for c in self.nodes.columns if c != "id"}
        graph = to_graph(self.nodes["id"].tolist(), [], [], [], directed=self.directed, attributes=attributes)
        columns = [c for c in self.edges.columns if c not in ("source", "target")]
        for row in self.edges.itertuples(index=False):
            values = row._asdict()
            graph.add_edge(values["source"], values["target"],
                           **{c: _plain(values[c]) for c in columns if _plain(values[c]) is not None})
        return graph


def _plain(value):
    """A Python value for networkx and its writers: None for missing, int/float/str for numpy and pandas scalars."""
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating,)):
        return float(value)
    if isinstance(value, (np.bool_,)):
        return bool(value)
    return value


# --- the co-occurrence product --------------------------------------------------------------------------


def _rank(ids: np.ndarray, weights: np.ndarray, *tie_breaks) -> np.ndarray:
    """Positions of ``ids`` sorted by weight (most first), then each tie-break (most first), then id."""
    frame = pd.DataFrame({"id": ids, "weight": weights, **{f"t{i}": t for i, t in enumerate(tie_breaks)}})
    keys = ["weight", *[f"t{i}" for i in range(len(tie_breaks))], "id"]
    ordered = frame.sort_values(keys, ascending=[False] * (len(keys) - 1) + [True], kind="mergesort",
                                na_position="last")
    return ordered.index.to_numpy()


def _co_occurrence(pairs: pd.DataFrame, *, top: int | None, min_weight: float, max_pairs: int | None):
    """(unit ids kept, their occurrences, edge rows, edge cols, edge counts, number of units) of MᵀM."""
    from scipy import sparse

    unit_codes, unit_ids = pd.factorize(pairs["unit_id"], sort=False)
    occurrences = np.bincount(unit_codes, minlength=len(unit_ids))
    order = _rank(np.asarray(unit_ids, dtype=object), occurrences)
    if top is not None:
        order = order[:top]
    renumber = np.full(len(unit_ids), -1, dtype=np.int64)
    renumber[order] = np.arange(len(order))
    kept = renumber[unit_codes]
    inside = kept >= 0
    doc_codes, _ = pd.factorize(pairs["doc"].to_numpy()[inside], sort=False)
    kept = kept[inside]
    n = len(order)
    per_doc = np.bincount(doc_codes).astype(np.float64) if len(doc_codes) else np.zeros(0)
    entries = min(float((per_doc * (per_doc - 1)).sum()), float(n) * (n - 1))
    if max_pairs is not None and entries > max_pairs:
        raise AnalysisError(f"this network would hold about {entries / 2:,.0f} pairs of {n:,} nodes, more than "
                            f"max_pairs={max_pairs:,} allows: pass top= (e.g. top=2000) to keep the nodes with most "
                            f"occurrences, or max_pairs=None to compute it anyway")
    matrix = sparse.csr_matrix((np.ones(len(kept), dtype=np.int32), (doc_codes, kept)),
                               shape=(int(doc_codes.max()) + 1 if len(doc_codes) else 0, n))
    matrix.data[:] = 1  # a document carries a unit once
    product = sparse.triu(matrix.T.tocsr() @ matrix, k=1).tocoo()
    strong = product.data >= min_weight
    return (np.asarray(unit_ids, dtype=object)[order], occurrences[order], product.row[strong],
            product.col[strong], product.data[strong].astype(np.int64), len(unit_ids))


def _empty_edges(extra: dict | None = None) -> pd.DataFrame:
    columns = {"source": pd.Series(dtype="str"), "target": pd.Series(dtype="str"),
               "weight": pd.Series(dtype="float64"), "count": pd.Series(dtype="int64")}
    return pd.DataFrame(columns | (extra or {}))


def _check(kind: str, unit: str, normalize, top, min_weight) -> None:
    if kind not in KINDS:
        raise AnalysisError(f"unknown network kind {kind!r}; use one of {', '.join(KINDS)}")
    if unit not in KINDS[kind]:
        raise AnalysisError(f"a {kind} network cannot be drawn for unit={unit!r}; its units are "
                            f"{', '.join(KINDS[kind])}")
    if normalize is not None and normalize not in NORMALIZATIONS:
        raise AnalysisError(f"unknown normalize={normalize!r}; use one of {', '.join(NORMALIZATIONS)} or None "
                            "(counts)")
    if kind == "citation" and normalize is not None:
        raise AnalysisError("a citation network's edges are single citations and are not normalised: "
                            "use normalize=None")
    if top is not None and (not isinstance(top, (int, np.integer)) or top < 1):
        raise AnalysisError(f"top must be a positive whole number of nodes or None, not {top!r}")
    if min_weight is None or min_weight < 1:
        raise AnalysisError(f"min_weight counts documents and must be at least 1, not {min_weight!r}")


def network(tables, kind: str, *, unit: str = "works", min_weight: int = 1, normalize: str | None = None,
            top: int | None = None, communities: bool = True, resolution: float = 1.0, random_state: int = 0,
            layout: bool = True, max_pairs: int | None = MAX_PAIRS) -> Network:
    """A science map of the corpus: nodes, weighted edges, clusters, centralities and positions.

    Parameters
    ----------
    tables : Tables
        The built tables (``pb.load()``). Co-citation and coupling read
        ``tables.references``; co-authorship of institutions and countries
        reads ``tables.authorships`` (authors fall back to the names in
        ``works.authors``); co-occurrence reads ``works.keywords``,
        ``works.mesh`` or ``works.topics``; a citation network reads
        ``tables.citations`` (and the references among corpus works) and
        ``tables.statements``.
    kind : {"citation", "cocitation", "coupling", "coauthorship", "cooccurrence"}
        ``citation``: corpus work -> corpus work it cites (directed).
        ``cocitation``: two cited works (or their sources) are linked by the
        corpus works citing both. ``coupling``: two corpus works (or their
        authors, sources, institutions, countries) by the references both
        cite. ``coauthorship``: authors, institutions or countries by the works
        written together. ``cooccurrence``: keywords, MeSH terms or topics by
        the works carrying both.
    unit : str
        What a node is; the units of each kind are in :data:`KINDS`.
    min_weight : int
        Keep edges whose count is at least this.
    normalize : {None, "association", "cosine", "jaccard", "inclusion"}
        None: an edge's weight is its count. Otherwise count c_ij over the
        occurrences s_i, s_j of its nodes (the ``weight`` column of the nodes):
        association strength c/(s_i s_j) (VOSviewer's), cosine c/sqrt(s_i s_j),
        Jaccard c/(s_i + s_j - c), inclusion c/min(s_i, s_j). The count stays in
        ``count``.
    top : int, optional
        Keep the ``top`` units with most occurrences (ties: more first, then
        id), before the edges are counted: it bounds the size of the work.
    communities : bool
        Find Louvain clusters (``cluster``; missing when False).
    resolution : float
        Louvain's resolution: above 1 more, smaller clusters.
    random_state : int
        Seed of the clusters, the betweenness sample and the layout.
    layout : bool
        Compute ``x, y`` (seeded force-directed layout); missing when False.
    max_pairs : int or None
        Refuse (with a message saying to pass ``top=``) a product that would
        hold more entries than this; None for no limit.

    Returns
    -------
    Network
        ``nodes`` and ``edges`` DataFrames (see :class:`Network`) and a ``note``
        saying what they cover. A node's ``weight`` (occurrences) is: for
        cocitation, the corpus works citing it; for coupling, the distinct
        references cited (by the work, or by the unit's works); for
        co-authorship and co-occurrence, the works carrying it; for citation,
        its local citations (citations from corpus works).

    Raises
    ------
    AnalysisError
        An unknown kind, unit or normalisation (the message names the allowed
        ones), tables lacking what the kind needs, or a product too large.
    """
    _check(kind, unit, normalize, top, min_weight)
    started = time.perf_counter()
    timings: dict[str, float] = {}
    if kind == "citation":
        nodes, edges, note = _citation_network(tables, top=top, min_weight=min_weight)
        timings["incidence"] = time.perf_counter() - started
        timings["pairs"] = 0.0
    else:
        units = _BUILDERS[(kind, unit)](tables)
        timings["incidence"] = time.perf_counter() - started
        clock = time.perf_counter()
        ids, occurrences, rows, cols, counts, n_units = _co_occurrence(units.pairs, top=top, min_weight=min_weight,
                                                                       max_pairs=max_pairs)
        if normalize is None:
            weights = counts.astype(np.float64)
        else:
            weights = NORMALIZATIONS[normalize](counts.astype(np.float64), occurrences[rows].astype(np.float64),
                                                occurrences[cols].astype(np.float64))
        edges = pd.DataFrame({"source": pd.Series(ids[rows], dtype="str"), "target": pd.Series(ids[cols], dtype="str"),
                              "weight": weights, "count": counts})
        described = units.describe(pd.Index(ids, dtype="str"))
        described = described[~described.index.duplicated()].reindex(pd.Index(ids, dtype="str"))
        nodes = pd.DataFrame({"id": pd.Series(ids, dtype="str"), "label": described["label"].to_numpy(),
                              "weight": occurrences.astype("int64")})
        nodes["label"] = nodes["label"].astype("str").where(nodes["label"].notna(), nodes["id"])
        # co-citation: the corpus works citing a node are its occurrences; the other kinds say their own
        nodes["works"] = (pd.array(described["works"].to_numpy(), dtype="Float64").fillna(0).astype("int64")
                          if "works" in described.columns else occurrences.astype("int64"))
        nodes["citations"] = pd.array(described["citations"].to_numpy(), dtype="Float64")
        nodes["year"] = pd.array(described["year"].to_numpy(), dtype="Int64")
        nodes["url"] = pd.Series(described["url"].to_numpy(), dtype="str")
        kept = f"{len(ids):,} of {n_units:,} {units.units}" + (f" (top {top:,} by {units.occurrences})"
                                                                if top is not None and n_units > len(ids) else "")
        note = (f"{_KIND_NAMES[kind]} of {unit}: {kept}; {units.extra}; "
                f"{len(edges):,} pairs with at least {min_weight} {units.pair}")
        timings["pairs"] = time.perf_counter() - clock
    edges = edges.sort_values(["weight", "count"], ascending=False, kind="mergesort").reset_index(drop=True)
    net = _finish(nodes, edges, kind=kind, unit=unit, normalize=normalize, note=note, communities=communities,
                  resolution=resolution, random_state=random_state, layout=layout, timings=timings)
    logger.info("network %s/%s: %d nodes, %d edges in %.1f s (%s)", kind, unit, len(net.nodes), len(net.edges),
                time.perf_counter() - started, ", ".join(f"{k} {v:.2f} s" for k, v in timings.items()))
    return net


def _finish(nodes: pd.DataFrame, edges: pd.DataFrame, *, kind, unit, normalize, note, communities, resolution,
            random_state, layout, timings) -> Network:
    """Clusters, centralities and positions added to the nodes; the columns put in order."""
    from .communities import centralities, louvain_clusters
    from .layout import force_layout

    directed = kind == "citation"
    ids = nodes["id"].tolist()
    sources, targets = edges["source"].tolist(), edges["target"].tolist()
    weights = edges["weight"].to_numpy(dtype=np.float64)
    clock = time.perf_counter()
    if communities and len(ids):
        nodes["cluster"] = pd.array(louvain_clusters(ids, sources, targets, weights, resolution=resolution,
                                                     random_state=random_state), dtype="Int64")
        note += f"; {int(nodes['cluster'].max()) + 1:,} Louvain clusters (resolution {resolution:g}, " \
                f"seed {random_state})"
    else:
        nodes["cluster"] = pd.array([pd.NA] * len(nodes), dtype="Int64")
    timings["communities"] = time.perf_counter() - clock
    clock = time.perf_counter()
    measures, how = centralities(ids, sources, targets, weights, directed=directed, random_state=random_state)
    for column in measures.columns:
        nodes[column] = measures[column].to_numpy()
    note += f"; {how}"
    timings["centrality"] = time.perf_counter() - clock
    clock = time.perf_counter()
    if layout:
        codes = pd.Index(ids)
        positions = force_layout(len(ids), codes.get_indexer(sources), codes.get_indexer(targets), weights,
                                 random_state=random_state)
        nodes["x"], nodes["y"] = positions[:, 0], positions[:, 1]
    else:
        nodes["x"], nodes["y"] = np.nan, np.nan
    timings["layout"] = time.perf_counter() - clock
    if normalize:
        note += f"; weights: {normalize} (counts in 'count')"
    nodes = nodes[NODE_COLUMNS].reset_index(drop=True)
    return Network(nodes=nodes, edges=edges, kind=kind, unit=unit, normalize=normalize, note=note,
                   directed=directed, resolution=resolution, random_state=random_state, timings=timings)


# --- the citation network ---------------------------------------------------------------------------------


def _statement_counts(tables) -> pd.DataFrame:
    """citing_id, cited_id and the number of statements of each type for the pair."""
    statements = getattr(tables, "statements", None)
    columns = ["citing_id", "cited_id", *CITATION_TYPES]
    if statements is None or not len(statements) or "type" not in statements.columns:
        return pd.DataFrame({c: pd.Series(dtype="str" if c.endswith("_id") else "int64") for c in columns})
    typed = pd.DataFrame({"citing_id": statements["citing_id"].astype("str"),
                          "cited_id": statements["cited_id"].astype("str"),
                          "type": statements["type"].astype("str").where(
                              statements["type"].isin(CITATION_TYPES), "unclassified")})
    counts = typed.groupby(["citing_id", "cited_id", "type"]).size().unstack("type", fill_value=0)
    counts = counts.reindex(columns=list(CITATION_TYPES), fill_value=0).reset_index()
    counts.columns.name = None
    return counts


#: Which type wins a tie for the most statements of a pair: the rarer, more telling types first.
_DOMINANCE = ("contrasting", "supporting", "mentioning", "unclassified")


def _citation_network(tables, *, top, min_weight, dated: bool = False):
    """Nodes, edges and note of the citations among corpus works (with ``dated``, only works with a year)."""
    works = corpus_works(tables)
    undated = 0
    if dated:
        has_year = works["publication_year"].notna() if "publication_year" in works.columns \
            else pd.Series(False, index=works.index)
        undated = int((~has_year).sum())
        works = works[has_year].reset_index(drop=True)
    edges = local_citations_edges(tables)
    ids = works["work_id"].drop_duplicates().to_numpy(dtype=object)
    local = edges["cited_id"].value_counts().reindex(ids, fill_value=0).to_numpy()
    cited = pd.array(works.drop_duplicates("work_id")["cited_by_count"], dtype="Float64").fillna(-1).to_numpy() \
        if "cited_by_count" in works.columns else np.zeros(len(ids))
    order = _rank(ids, local, cited)
    if top is not None:
        order = order[:top]
    chosen = pd.Index(ids[order].astype(str))
    edges = edges[edges["citing_id"].isin(chosen) & edges["cited_id"].isin(chosen)]
    edges = pd.DataFrame({"source": edges["citing_id"].astype("str").to_numpy(),
                          "target": edges["cited_id"].astype("str").to_numpy(),
                          "weight": 1.0, "count": np.ones(len(edges), dtype=np.int64)})
    if min_weight > 1:
        edges = edges.iloc[0:0]
    statements = _statement_counts(tables).rename(columns={"citing_id": "source", "cited_id": "target"})
    edges = edges.merge(statements, on=["source", "target"], how="left")
    for column in CITATION_TYPES:
        edges[column] = pd.array(edges[column], dtype="Int64") if len(edges) else pd.array([], dtype="Int64")
    edges["statements"] = edges[list(CITATION_TYPES)].sum(axis=1, min_count=1).astype("Int64")
    dominant = pd.Series(pd.NA, index=edges.index, dtype="str")
    best = pd.Series(0, index=edges.index, dtype="int64")
    for kind in _DOMINANCE:
        counts = edges[kind].fillna(0).astype("int64")
        wins = counts > best
        dominant = dominant.mask(wins, kind)
        best = best.where(~wins, counts)
    edges["type"] = dominant
    details = _work_details(works, chosen).reindex(chosen)
    nodes = pd.DataFrame({"id": pd.Series(chosen, dtype="str"), "label": details["label"].to_numpy(),
                          "weight": local[order].astype("int64"), "works": 1,
                          "citations": details["citations"].to_numpy(), "year": details["year"].to_numpy(),
                          "url": pd.Series(details["url"].to_numpy(), dtype="str")})
    typed = int(edges["statements"].notna().sum())
    note = (f"citation network of corpus works: {len(chosen):,} of {len(ids):,} works"
            + (f" (top {top:,} by local citations)" if top is not None and len(ids) > len(chosen) else "")
            + (f" ({undated:,} without a publication year left out)" if undated else "")
            + f"; {len(edges):,} citations among them, {typed:,} with citation statements")
    return nodes, edges, note
