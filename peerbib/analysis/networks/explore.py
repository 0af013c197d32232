"""A network to explore in a page: :func:`explore_network`, drawn from :func:`.plots.network_map`."""
from __future__ import annotations

import numpy as np
import pandas as pd

from ...errors import AnalysisError
from ..explore import ExploreMap, Group, LegendEntry, clean_text, to_view, work_href
from ..present import CLUSTER_COLORS, TYPE_COLORS, cluster_style
from .build import _KIND_NAMES, Network
from .plots import _TYPE_ORDER, NO_STATEMENTS, NO_STATEMENTS_COLOR, cluster_entries, drawn_label, network_map

__all__ = ["explore_network"]

WIDTH, HEIGHT = 750, 690
#: The static map's view (x from -1.15 to 1.35: room for labels on the right).
LIMITS = (-1.15, 1.35, -1.15, 1.15)
#: SVG units per point of the static map (its nodes' sizes are areas in points²).
PER_POINT = 1.6


def _dois(works) -> pd.Series:
    """DOI of each work id, from a works table or the built tables; empty for None."""
    if works is None:
        return pd.Series(dtype="object")
    frame = works.works if hasattr(works, "works") and not isinstance(works, pd.DataFrame) else works
    if not isinstance(frame, pd.DataFrame) or "work_id" not in frame.columns:
        raise AnalysisError("works= takes the works table (tables.works) or the built tables (pb.load())")
    if "doi" not in frame.columns:
        return pd.Series(dtype="object")
    known = frame.dropna(subset=["doi"]).drop_duplicates("work_id")
    return pd.Series(known["doi"].to_numpy(), index=known["work_id"].astype("str").to_numpy())


def _number(value) -> str:
    value = float(value)
    return f"{int(value):,}" if value.is_integer() else f"{value:,.3g}"


def _tip(node, row) -> list[str]:
    facts = [f"weight {_number(node.weight)}"]
    works = row.get("works")
    if works is not None and pd.notna(works):
        facts.append(f"{int(works):,} work{'s' if int(works) != 1 else ''}")
    citations = row.get("citations")
    if citations is not None and pd.notna(citations):
        facts.append(f"{_number(citations)} citations")
    year = row.get("year")
    if year is not None and pd.notna(year):
        facts.append(str(int(year)))
    return [clean_text(node.label, 300) or clean_text(node.id), ", ".join(facts)]


def explore_network(net: Network, *, works=None, color_by: str = "cluster", labels: int = 20, max_links: int = 2000,
                    title: str | None = None) -> ExploreMap:
    """A network map to explore in a notebook or report page: hover a node, open its work, zoom and pan.

    Nodes and links are those of :func:`plot_network` (the same table,
    :func:`network_map`), in the same colours and sizes, the ``labels`` nodes
    of most weight named. Hovering (or focusing) a node shows its label,
    weight, works, citations, year and cluster; a click or Enter opens a work's
    DOI at https://doi.org/ in a new tab (else its OpenAlex page, else
    nothing). Nothing is loaded from the network, and the map is left out when
    the page is printed (the static map is for print).

    Parameters
    ----------
    net : Network
        From :func:`peerbib.network`, with positions (``layout=True``).
    works : pandas.DataFrame or Tables, optional
        The works table or the built tables: a work node opens its DOI from
        there. Without it a node opens the link of its ``url`` (OpenAlex,
        else the DOI).
    color_by : {"cluster", "type"}
        As in :func:`plot_network`.
    labels : int, default 20
        Name the ``labels`` nodes of most weight.
    max_links : int, default 2000
        Draw the strongest ``max_links`` links.
    title : str, optional

    Returns
    -------
    ExploreMap
        Shown as an interactive map by Jupyter and in reports (its
        ``_repr_html_``); ``points`` holds the nodes drawn.
    """
    table = network_map(net, color_by=color_by, labels=labels, max_links=max_links)
    nodes, links = table[table["element"] == "node"], table[table["element"] == "link"]
    if not len(nodes):
        raise AnalysisError("the network has no nodes to draw")
    x, y = to_view(nodes["x"], nodes["y"], WIDTH, HEIGHT, equal=True, limits=LIMITS)
    entries = cluster_entries(net)
    group_of = {c: i for i, (c, _, _) in enumerate(entries)}
    about = net.nodes.drop_duplicates("id").set_index("id")
    dois = _dois(works)
    ids = nodes["id"].astype("str").to_numpy()
    urls = about["url"].reindex(nodes["id"]).to_numpy() if "url" in about.columns else [None] * len(nodes)
    points = pd.DataFrame({
        "id": ids, "cluster": nodes["group"].to_numpy(),
        "x": np.round(x, 1), "y": np.round(y, 1),
        "group": [group_of.get(int(c), -1) if pd.notna(c) else -1 for c in nodes["group"]],
        "color": nodes["color"].to_numpy(), "marker": "node",
        "radius": np.round(PER_POINT * np.sqrt(nodes["size"].to_numpy(float)) / 2, 1),
        "href": [work_href(dois.get(i), i, u if isinstance(u, str) else None) for i, u in zip(ids, urls)],
    })
    rows = about.reindex(nodes["id"]).to_dict("records")
    tips = [_tip(node, row) for node, row in zip(nodes.itertuples(index=False), rows)]
    groups = [Group(f"Cluster {c}: {clean_text(name)} ({n:,} nodes)") for c, name, n in entries]
    x0, y0 = to_view(links["x"], links["y"], WIDTH, HEIGHT, equal=True, limits=LIMITS)
    x1, y1 = to_view(links["x_end"], links["y_end"], WIDTH, HEIGHT, equal=True, limits=LIMITS)
    drawn = pd.DataFrame({"x": x0, "y": y0, "x_end": x1, "y_end": y1, "color": links["color"].to_numpy(),
                          "width": np.round(1.3 * links["size"].to_numpy(float), 1),
                          "dotted": [isinstance(g, str) and g == NO_STATEMENTS for g in links["group"]]})
    named = points[nodes["labelled"].to_numpy(dtype=bool)]
    label_rows = pd.DataFrame({"x": named["x"], "y": named["y"],
                               "text": [drawn_label(clean_text(t), 40) for t in nodes.loc[nodes["labelled"], "label"]],
                               "color": "#222", "kind": "name", "offset": named["radius"] + 3})
    if color_by == "type":
        present = set(links["group"].dropna())
        legend = [LegendEntry(g, TYPE_COLORS.get(g, NO_STATEMENTS_COLOR), "dotted" if g == NO_STATEMENTS else "line")
                  for g in _TYPE_ORDER if g in present]
    else:
        legend = [LegendEntry(f"{c}: {clean_text(name)} ({n:,})", cluster_style(c)[0], "o")
                  for c, name, n in entries[: len(CLUSTER_COLORS)]]
    kind = _KIND_NAMES.get(net.kind, net.kind)
    heading = title or f"{kind[:1].upper() + kind[1:]} network of {net.unit}"
    return ExploreMap(title=heading, points=points, tips=tips, groups=groups, width=WIDTH, height=HEIGHT,
                      links=drawn, labels=label_rows, legend=legend,
                      note=f"{table.attrs['links']}; node size: weight. {net.note}",
                      link_opacity=0.55 if color_by == "cluster" else 0.85,
                      legend_title="citation type (links)" if color_by == "type" else "cluster (nodes)")
