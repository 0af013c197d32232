"""A network drawn as a map: nodes by cluster colour, sized by weight, the strongest links under them.

:func:`network_map` is the table :func:`plot_network` draws: one row per
node and per link drawn, with its position, size and colour. With
``color_by="type"`` a citation network's links take the colour of their
dominant citation statement type (the colours of every other chart of
citation types); links whose pair has no statement are drawn dotted.
"""
from __future__ import annotations

import re
import textwrap

import numpy as np
import pandas as pd

from ...errors import AnalysisError
from ..present import CLUSTER_COLORS, TYPE_COLORS, cluster_style, legend_as_written, new_axes
from .build import _KIND_NAMES, Network

__all__ = ["network_map", "plot_network", "drawn_label", "cluster_colors", "cluster_entries", "NO_STATEMENTS", "NO_STATEMENTS_COLOR",
           "LINK_COLOR"]

#: The group of a citation link whose pair has no citation statement.
NO_STATEMENTS = "no statements"
NO_STATEMENTS_COLOR = "#BBBBBB"
#: Links between two clusters (and of a network without clusters).
LINK_COLOR = "#C8C8C8"
#: The colour of nodes when the links carry the colours (color_by="type").
NODE_COLOR = "#56678a"
_TYPE_ORDER = ("supporting", "contrasting", "mentioning", "unclassified", NO_STATEMENTS)


def drawn_label(text, width: int | None = None) -> str:
    """A label as a chart draws it: on one line (tabs and line breaks, which fonts have no glyph for, become
    spaces) and at most ``width`` characters. The text itself is drawn as written (``parse_math=False``)."""
    text = re.sub(r"\s+", " ", str(text)).strip()
    return text if width is None or len(text) <= width else text[: width - 1].rstrip() + "\u2026"


def cluster_colors(clusters) -> list[str]:
    """Each cluster's colour, as in the topic clusters' charts (no colour repeats for the first twenty, see
    :func:`~peerbib.analysis.present.cluster_style`)."""
    return [cluster_style(c)[0] if pd.notna(c) else CLUSTER_COLORS[0] for c in clusters]


def network_map(net: Network, *, color_by: str = "cluster", labels: int = 20, max_links: int = 2000) -> pd.DataFrame:
    """What :func:`plot_network` draws, one row per link and node.

    Parameters
    ----------
    net : Network
    color_by : {"cluster", "type"}
        ``cluster``: nodes by cluster, a link in its cluster's colour when both
        ends are in it. ``type`` (citation networks): links by their dominant
        citation statement type.
    labels : int
        How many nodes are labelled (those of most weight).
    max_links : int
        The strongest links drawn (the others are in ``net.edges``).

    Returns
    -------
    DataFrame
        ``element`` ("link" or "node"), ``id`` (a node's), ``source, target``
        (a link's), ``label``, ``labelled``, ``group`` (the cluster, or the
        link's type), ``color``, ``x, y`` (a link's start), ``x_end, y_end``,
        ``size`` (a node's marker area in points², a link's width), ``weight``.
        Links first (drawn under the nodes), strongest last.
    """
    if not isinstance(net, Network):
        raise AnalysisError("network_map draws a Network: pass the result of pb.network(tables, kind)")
    if color_by not in ("cluster", "type"):
        raise AnalysisError(f"color_by must be 'cluster' or 'type', not {color_by!r}")
    if color_by == "type" and "type" not in net.edges.columns:
        raise AnalysisError("color_by='type' colours citation links by their statements: make the network with "
                            "pb.network(tables, 'citation')")
    nodes = net.nodes
    if len(nodes) and nodes["x"].isna().any():
        raise AnalysisError("this network has no positions: make it with layout=True")
    position = pd.DataFrame({"x": nodes["x"].to_numpy(), "y": nodes["y"].to_numpy(),
                             "cluster": nodes["cluster"].to_numpy()}, index=nodes["id"])
    links = net.edges.nlargest(max_links, "weight", keep="first") if len(net.edges) > max_links else net.edges
    links = links.iloc[::-1]  # strongest drawn last, on top
    start, end = position.reindex(links["source"]), position.reindex(links["target"])
    if color_by == "type":
        group = links["type"].astype("str").fillna(NO_STATEMENTS).to_numpy()
        link_colors = [TYPE_COLORS.get(g, NO_STATEMENTS_COLOR) for g in group]
    else:
        same = (start["cluster"].to_numpy() == end["cluster"].to_numpy())
        same = np.asarray(pd.array(same, dtype="boolean").fillna(False), dtype=bool)
        group = pd.array(np.where(same, start["cluster"].to_numpy(), pd.NA), dtype="Int64")
        colors = cluster_colors(start["cluster"].to_numpy())
        link_colors = [c if s else LINK_COLOR for c, s in zip(colors, same)]
    strongest = float(links["weight"].max()) if len(links) else 1.0
    link_rows = pd.DataFrame({
        "element": "link", "id": pd.NA, "source": links["source"].to_numpy(), "target": links["target"].to_numpy(),
        "label": pd.NA, "labelled": False, "group": pd.Series(group, dtype="object").to_numpy(),
        "color": link_colors, "x": start["x"].to_numpy(), "y": start["y"].to_numpy(),
        "x_end": end["x"].to_numpy(), "y_end": end["y"].to_numpy(),
        "size": 0.3 + 2.2 * links["weight"].to_numpy(dtype=float) / (strongest or 1.0),
        "weight": links["weight"].to_numpy(dtype=float)})
    heaviest = float(nodes["weight"].max()) if len(nodes) else 1.0
    shown = set(nodes.nlargest(labels, "weight", keep="first")["id"]) if labels else set()
    node_rows = pd.DataFrame({
        "element": "node", "id": nodes["id"].to_numpy(), "source": pd.NA, "target": pd.NA,
        "label": nodes["label"].to_numpy(), "labelled": nodes["id"].isin(shown).to_numpy(),
        "group": pd.Series(nodes["cluster"].to_numpy(), dtype="object").to_numpy(),
        "color": [NODE_COLOR] * len(nodes) if color_by == "type" else cluster_colors(nodes["cluster"]),
        "x": nodes["x"].to_numpy(), "y": nodes["y"].to_numpy(), "x_end": np.nan, "y_end": np.nan,
        "size": 12 + 400 * nodes["weight"].to_numpy(dtype=float) / (heaviest or 1.0),
        "weight": nodes["weight"].to_numpy(dtype=float)})
    table = pd.concat([link_rows, node_rows], ignore_index=True)
    table.attrs["note"] = net.note
    table.attrs["color_by"] = color_by
    table.attrs["links"] = f"{len(links):,} of {len(net.edges):,} links drawn"
    return table


def cluster_entries(net: Network) -> list[tuple[int, str, int]]:
    """(cluster, its name, its nodes) of each cluster, in order: a cluster is named by its node of most weight
    (the map's legend and an explorable map's tooltips)."""
    clusters = net.nodes.dropna(subset=["cluster"]).drop_duplicates("cluster").sort_values("cluster")
    sizes = net.nodes["cluster"].value_counts().reindex(clusters["cluster"]).to_numpy()
    return [(int(c), drawn_label(label, 32), int(n)) for c, label, n in zip(clusters["cluster"], clusters["label"], sizes)]


def _cluster_handles(net: Network):
    from matplotlib.lines import Line2D

    return [Line2D([], [], marker="o", linestyle="", markersize=7, color=cluster_style(cluster)[0],
                   label=f"{cluster}: {name} ({size})")
            for cluster, name, size in cluster_entries(net)[: len(CLUSTER_COLORS)]]


def _type_handles(groups):
    from matplotlib.lines import Line2D

    present = [g for g in _TYPE_ORDER if g in set(groups)]
    return [Line2D([], [], color=TYPE_COLORS.get(g, NO_STATEMENTS_COLOR), linewidth=2,
                   linestyle=":" if g == NO_STATEMENTS else "-", label=g) for g in present]


def plot_network(net: Network, *, ax=None, color_by: str = "cluster", labels: int = 20, max_links: int = 2000,
                 title: str | None = None):
    """Draw a network as a map: nodes coloured by cluster and sized by weight, links under them.

    Parameters
    ----------
    net : Network
        From :func:`peerbib.network`.
    ax : matplotlib Axes, optional
        Where to draw; a new figure when None.
    color_by : {"cluster", "type"}
        ``type`` draws a citation network's links in the colour of their
        dominant citation statement type (supporting, contrasting,
        mentioning; dotted where the pair has no statement).
    labels : int
        Label the ``labels`` nodes of most weight (0 for none).
    max_links : int
        Draw the strongest ``max_links`` links.
    title : str, optional

    Returns
    -------
    matplotlib Axes
    """
    import matplotlib as mpl
    from matplotlib.collections import LineCollection

    table = network_map(net, color_by=color_by, labels=labels, max_links=max_links)
    ax = new_axes(ax, (9, 8))
    with mpl.rc_context({"lines.solid_capstyle": "round"}):
        links = table[table["element"] == "link"]
        nodes = table[table["element"] == "node"]
        if not len(nodes):
            ax.text(0.5, 0.5, "no nodes", ha="center", va="center", transform=ax.transAxes)
        if len(links):
            segments = np.stack([links[["x", "y"]].to_numpy(float), links[["x_end", "y_end"]].to_numpy(float)],
                                axis=1)
            styles = [":" if isinstance(g, str) and g == NO_STATEMENTS else "-" for g in links["group"]]
            ax.add_collection(LineCollection(segments, colors=links["color"].tolist(),
                                             linewidths=links["size"].to_numpy(float), linestyles=styles,
                                             alpha=0.55 if color_by == "cluster" else 0.85, zorder=1))
        if len(nodes):
            ax.scatter(nodes["x"], nodes["y"], s=nodes["size"], c=nodes["color"].tolist(), edgecolors="white",
                       linewidths=0.6, zorder=2)
            for row in nodes[nodes["labelled"]].itertuples(index=False):
                ax.text(row.x, row.y, f" {drawn_label(row.label, 40)}", fontsize="x-small", va="center",
                        ha="left", zorder=3, parse_math=False, clip_on=True)
            ax.set_xlim(-1.15, 1.35)
            ax.set_ylim(-1.15, 1.15)
        ax.set_aspect("equal", adjustable="box")
        ax.set_xticks([])
        ax.set_yticks([])
        for spine in ax.spines.values():
            spine.set_visible(False)
        handles = _type_handles(links["group"]) if color_by == "type" else _cluster_handles(net)
        if handles:
            legend_as_written(ax.legend(handles=handles, frameon=False, fontsize="x-small", loc="upper left",
                                        bbox_to_anchor=(1.0, 1.0),
                                        title="citation type" if color_by == "type" else "cluster (nodes)"))
        kind = _KIND_NAMES.get(net.kind, net.kind)
        ax.set_title(title or f"{kind[:1].upper() + kind[1:]} network of {net.unit}", parse_math=False)
        note = f"{table.attrs['links']}; node size: weight. {net.note}"
        ax.set_xlabel("\n".join(textwrap.wrap(note, 130)), fontsize="x-small", color="#555", parse_math=False)
    return ax
