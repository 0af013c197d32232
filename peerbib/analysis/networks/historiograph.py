"""A historiograph (Garfield's): the most locally cited corpus works on a time line, with the citations among them.

:func:`historiograph` is the data (a :class:`~.build.Network` whose ``x`` is
the publication year) and :func:`plot_historiograph` draws it: arrows from
citing to cited work, in the colour of the citation statements' dominant
type where the pair has statements.
"""
from __future__ import annotations

import textwrap

import numpy as np
import pandas as pd

from ...errors import AnalysisError
from ..present import TYPE_COLORS, legend_as_written, new_axes
from .build import Network, _citation_network, _finish
from .plots import NO_STATEMENTS, NO_STATEMENTS_COLOR, _type_handles, cluster_colors, drawn_label

__all__ = ["historiograph", "plot_historiograph"]


def _rows(nodes: pd.DataFrame, edges: pd.DataFrame) -> np.ndarray:
    """A vertical position for each node: year by year, oldest first, each work placed near the works it
    cites (the mean of their positions), so that arrows cross less. Works citing none of the others keep
    their order of local citations. Positions within a year are centred on 0."""
    y = pd.Series(np.nan, index=nodes["id"])
    cites = edges.groupby("source")["target"].agg(list) if len(edges) else pd.Series(dtype=object)
    for year in sorted(nodes["year"].dropna().unique()):
        members = nodes[nodes["year"] == year]
        keys = []
        for rank, work in enumerate(members["id"]):
            cited = [y[t] for t in cites.get(work, []) if pd.notna(y.get(t))]
            keys.append((0 if cited else 1, float(np.mean(cited)) if cited else 0.0, rank))
        order = [work for _, work in sorted(zip(keys, members["id"]))]
        offsets = np.arange(len(order)) - (len(order) - 1) / 2
        for work, offset in zip(order, offsets):
            y[work] = offset
    return y.reindex(nodes["id"]).to_numpy(dtype=float)


def historiograph(tables, *, top: int = 30, communities: bool = True, random_state: int = 0) -> Network:
    """The ``top`` most locally cited corpus works and the citations among them, placed by publication year.

    Parameters
    ----------
    tables : Tables
        The built tables (``pb.load()``): citations among corpus works come from
        ``tables.citations`` and ``tables.references``, their types from
        ``tables.statements``.
    top : int
        Works kept, by local citations (citations from corpus works; ties: more
        OpenAlex citations, then id). Works without a publication year are
        left out (the note says how many).
    communities : bool
        Louvain clusters of the citation links (the nodes' colour).
    random_state : int

    Returns
    -------
    Network
        ``kind="historiograph"``: nodes with ``x`` = publication year and ``y``
        a row (works citing each other placed near each other), ``label``
        "Surname Year"; edges citing -> cited with their statement counts and
        dominant ``type`` (as :func:`peerbib.network` of kind "citation").
    """
    if not isinstance(top, (int, np.integer)) or top < 1:
        raise AnalysisError(f"top must be a positive whole number of works, not {top!r}")
    nodes, edges, note = _citation_network(tables, top=top, min_weight=1, dated=True)
    net = _finish(nodes, edges, kind="citation", unit="works", normalize=None, note=note, communities=communities,
                  resolution=1.0, random_state=random_state, layout=False, timings={})
    nodes = net.nodes
    nodes["label"] = nodes["label"].str.split(": ", n=1).str[0]
    nodes["x"] = nodes["year"].astype("float64").to_numpy()
    nodes["y"] = _rows(nodes, net.edges)
    return Network(nodes=nodes, edges=net.edges, kind="historiograph", unit="works", note=net.note.replace(
        "citation network of corpus works", "historiograph: the most locally cited corpus works"), directed=True,
        random_state=random_state, timings=net.timings)


def plot_historiograph(hist, *, ax=None, top: int = 30, color_by: str = "type", title: str | None = None):
    """Draw a historiograph: works by publication year, arrows from citing to cited work.

    Parameters
    ----------
    hist : Network or Tables
        :func:`historiograph`, or the built tables (then ``historiograph(tables, top=top)``).
    ax : matplotlib Axes, optional
    top : int
        With tables: the works kept.
    color_by : {"type", "cluster"}
        Arrows in the colour of their dominant citation statement type (dotted
        grey where the pair has no statement), or in their citing work's
        cluster colour.
    title : str, optional

    Returns
    -------
    matplotlib Axes
    """
    import matplotlib as mpl

    if not isinstance(hist, Network):
        hist = historiograph(hist, top=top)
    if color_by not in ("type", "cluster"):
        raise AnalysisError(f"color_by must be 'type' or 'cluster', not {color_by!r}")
    nodes, edges = hist.nodes, hist.edges
    ax = new_axes(ax, (11, max(4.0, 0.35 * (nodes["y"].max() - nodes["y"].min() + 1) + 2) if len(nodes) else 4))
    with mpl.rc_context({"lines.solid_capstyle": "round"}):
        if not len(nodes):
            ax.text(0.5, 0.5, "no dated corpus works", ha="center", va="center", transform=ax.transAxes)
            ax.set_axis_off()
            ax.set_title(title or "Historiograph", parse_math=False)
            return ax
        where = pd.DataFrame({"x": nodes["x"].to_numpy(), "y": nodes["y"].to_numpy(),
                              "cluster": nodes["cluster"].to_numpy()}, index=nodes["id"])
        colors = cluster_colors(nodes["cluster"])
        groups = []
        for row in edges.itertuples(index=False):
            start, end = where.loc[row.source], where.loc[row.target]
            kind = row.type if isinstance(row.type, str) else NO_STATEMENTS
            groups.append(kind)
            color = (TYPE_COLORS.get(kind, NO_STATEMENTS_COLOR) if color_by == "type"
                     else cluster_colors([start["cluster"]])[0])
            ax.annotate("", xy=(end["x"], end["y"]), xytext=(start["x"], start["y"]), zorder=1,
                        arrowprops={"arrowstyle": "-|>", "color": color, "linewidth": 1.0, "shrinkA": 6,
                                    "shrinkB": 6, "linestyle": ":" if kind == NO_STATEMENTS else "-",
                                    "connectionstyle": "arc3,rad=0.15", "alpha": 0.9})
        heaviest = max(1.0, float(nodes["weight"].max()))
        ax.scatter(nodes["x"], nodes["y"], s=30 + 300 * nodes["weight"].to_numpy(float) / heaviest, c=colors,
                   edgecolors="white", linewidths=0.6, zorder=2)
        for row in nodes.itertuples(index=False):
            ax.text(row.x, row.y, f"  {drawn_label(row.label, 30)}", fontsize="x-small", va="center", ha="left",
                    zorder=3, parse_math=False)
        years = nodes["x"]
        ax.set_xlim(years.min() - 1, years.max() + 2)
        ax.set_ylim(nodes["y"].min() - 1, nodes["y"].max() + 1)
        ax.xaxis.get_major_locator().set_params(integer=True)
        ax.set_yticks([])
        for side in ("left", "right", "top"):
            ax.spines[side].set_visible(False)
        if color_by == "type" and groups:
            legend_as_written(ax.legend(handles=_type_handles(groups), frameon=False, fontsize="x-small",
                                        loc="upper left", bbox_to_anchor=(1.0, 1.0), title="citation type"))
        note = "\n".join(textwrap.wrap(f"node size: local citations. {hist.note}", 140))
        ax.set_xlabel(f"publication year\n{note}", fontsize="small", linespacing=1.5, parse_math=False)
        ax.set_title(title or "Historiograph: the most locally cited corpus works", parse_math=False)
    return ax
