"""A network written for other tools: VOSviewer (map and network files, or JSON), Gephi (GEXF), GraphML,
Pajek (with a partition of the clusters) and plain CSV.

One writer per format in :data:`FORMATS`; :func:`export_network` picks it by
``format=`` or by the path's suffix and returns the paths it wrote. Every
file is written whole or not at all, and a file already at a path is replaced
only when peerbib wrote it and it is unchanged since
(:func:`peerbib.own_files.write_own_files`).
Text from outside (labels: titles, names, keywords) is written as data:
escaped or quoted as each format requires, with the characters XML cannot
hold (control characters) left out of GEXF and GraphML.
"""
from __future__ import annotations

import html
import io
import json
import math
import re
from pathlib import Path

import pandas as pd

from ...errors import AnalysisError
from ...own_files import write_own_files
from .build import Network

__all__ = ["export_network", "FORMATS", "SUFFIXES", "VOSVIEWER_MAP_COLUMNS"]

#: The columns of a VOSviewer map file, in order (cluster, x and y are left out when the network has none).
VOSVIEWER_MAP_COLUMNS = ["id", "label", "description", "url", "x", "y", "cluster", "weight<Links>",
                         "weight<Total link strength>", "weight<Occurrences>"]
#: VOSviewer's clusters are whole numbers from 1 to 1000: smaller clusters beyond the 1000th share the last.
_VOSVIEWER_MAX_CLUSTER = 1000
#: Characters XML 1.0 cannot hold, even escaped.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
#: Node and edge columns written as attributes to GEXF and GraphML.
_NODE_ATTRIBUTES = ["label", "weight", "works", "citations", "year", "url", "cluster", "degree", "strength",
                    "betweenness", "pagerank", "x", "y"]


def _base(path: Path, suffixes: tuple[str, ...]) -> Path:
    """``path`` without a suffix of its format ("out/map.txt" -> "out/map")."""
    return path.with_suffix("") if path.suffix.lower() in suffixes else path


def _with_suffix(path: Path, suffix: str) -> Path:
    return path if path.suffix.lower() == suffix else path.with_name(path.name + suffix)


#: format -> (the suffixes its path may end with, the endings of the files it writes)
_ENDINGS = {
    "vosviewer": ((".txt",), ("_map.txt", "_network.txt")),
    "vosviewer-json": ((".json",), (".json",)),
    "gexf": ((".gexf",), (".gexf",)),
    "graphml": ((".graphml",), (".graphml",)),
    "pajek": ((".net", ".paj", ".clu"), (".net", ".clu")),
    "csv": ((".csv",), ("_nodes.csv", "_edges.csv")),
}


def _paths(format: str, path: Path) -> list[Path]:
    """The files ``format`` writes for ``path``: "maps/co.txt" -> maps/co_map.txt, maps/co_network.txt."""
    suffixes, endings = _ENDINGS[format]
    if endings == suffixes:
        return [_with_suffix(path, endings[0])]
    base = _base(path, suffixes)
    return [base.with_name(base.name + ending) for ending in endings]


def _one_line(value) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return ""
    return re.sub(r"[\t\r\n]+", " ", str(value))


def _number(value) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(float(value)) if isinstance(value, float) else str(value)


def _link_totals(net: Network) -> tuple[pd.Series, pd.Series]:
    """Links (neighbours) and total link strength (sum of counts) of each node, by id."""
    ends = pd.concat([net.edges[["source", "count"]].rename(columns={"source": "id"}),
                      net.edges[["target", "count"]].rename(columns={"target": "id"})], ignore_index=True)
    totals = ends.groupby("id")["count"].sum()
    ids = net.nodes["id"]
    return (pd.Series(net.nodes["degree"].to_numpy(), index=ids),
            totals.reindex(ids, fill_value=0).astype("int64"))


def _vosviewer_clusters(net: Network) -> pd.Series | None:
    clusters = net.nodes["cluster"]
    if clusters.isna().all():
        return None
    return (clusters.fillna(_VOSVIEWER_MAX_CLUSTER - 1).astype("int64") + 1).clip(upper=_VOSVIEWER_MAX_CLUSTER)


def _description(row) -> str:
    """The label and what the node stands for, as a VOSviewer description (HTML, so escaped)."""
    parts = [html.escape(str(row["label"]))]
    for column, noun in (("works", "work"), ("citations", "citation")):
        if pd.notna(row[column]):
            count = int(row[column])
            parts.append(f"{count:,} {noun}{'' if count == 1 else 's'}")
    return "; ".join(parts)


def _vosviewer(net: Network, path: Path) -> dict[Path, str]:
    """PATH_map.txt (items) and PATH_network.txt (links): VOSviewer's tab-separated map and network files.

    Items are numbered 1..n in the order of ``net.nodes``; a label or
    description holding a comma, semicolon or double quote is enclosed in
    double quotes (inner quotes doubled), as VOSviewer reads them. A link's
    strength is its count: VOSviewer normalises counts itself, and the map file
    carries peerbib's layout and clusters.
    """
    map_path, network_path = _paths("vosviewer", path)
    nodes = net.nodes
    number = pd.Series(range(1, len(nodes) + 1), index=nodes["id"])
    links, total = _link_totals(net)
    clusters = _vosviewer_clusters(net)
    laid_out = nodes["x"].notna().all() and len(nodes) > 0
    columns = [c for c in VOSVIEWER_MAP_COLUMNS
               if not (c == "cluster" and clusters is None) and not (c in ("x", "y") and not laid_out)]
    buffer = io.StringIO()
    buffer.write("\t".join(columns) + "\n")
    for i, row in enumerate(nodes.to_dict("records")):
        values = {
            "id": number.iloc[i],
            "label": _quoted(_one_line(row["label"])),
            "description": _quoted(_one_line(_description(row))),
            "url": _one_line(row["url"]),
            "x": _number(row["x"]),
            "y": _number(row["y"]),
            "cluster": int(clusters.iloc[i]) if clusters is not None else "",
            "weight<Links>": int(links.iloc[i]),
            "weight<Total link strength>": int(total.iloc[i]),
            "weight<Occurrences>": int(row["weight"]),
        }
        buffer.write("\t".join(str(values[c]) for c in columns) + "\n")
    lines = [f"{number[s]}\t{number[t]}\t{int(c)}" for s, t, c in
             zip(net.edges["source"], net.edges["target"], net.edges["count"])]
    return {map_path: buffer.getvalue(), network_path: "".join(line + "\n" for line in lines)}


def _quoted(text: str) -> str:
    """A VOSviewer label or description: in double quotes (inner ones doubled) when it holds , ; or "."""
    if any(mark in text for mark in ',;"'):
        return '"' + text.replace('"', '""') + '"'
    return text


def _vosviewer_json(net: Network, path: Path) -> dict[Path, str]:
    """PATH (.json): VOSviewer's JSON network (items, links, clusters), clusters numbered from 1."""
    (path,) = _paths("vosviewer-json", path)
    nodes = net.nodes
    number = pd.Series(range(1, len(nodes) + 1), index=nodes["id"])
    links, total = _link_totals(net)
    clusters = _vosviewer_clusters(net)
    items = []
    for i, row in enumerate(nodes.to_dict("records")):
        item = {"id": int(number.iloc[i]), "label": str(row["label"]), "description": _description(row)}
        if isinstance(row["url"], str) and row["url"]:
            item["url"] = row["url"]
        if pd.notna(row["x"]):
            item["x"], item["y"] = float(row["x"]), float(row["y"])
        if clusters is not None:
            item["cluster"] = int(clusters.iloc[i])
        item["weights"] = {"Links": int(links.iloc[i]), "Total link strength": int(total.iloc[i]),
                           "Occurrences": int(row["weight"])}
        if pd.notna(row["citations"]):
            item["weights"]["Citations"] = float(row["citations"])
        item["scores"] = {"PageRank": float(row["pagerank"]), "Betweenness": float(row["betweenness"])}
        if pd.notna(row["year"]):
            item["scores"]["Pub. year"] = int(row["year"])
        items.append(item)
    link_rows = [{"source_id": int(number[s]), "target_id": int(number[t]), "strength": float(w)}
                 for s, t, w in zip(net.edges["source"], net.edges["target"], net.edges["count"])]
    document = {"network": {"items": items, "links": link_rows}}
    if clusters is not None:
        first = nodes.assign(_c=clusters.to_numpy()).drop_duplicates("_c").sort_values("_c")
        document["network"]["clusters"] = [{"cluster": int(c), "label": str(label)}
                                           for c, label in zip(first["_c"], first["label"])]
    document["info"] = {"title": f"peerbib {net.kind} network of {net.unit}", "description": net.note}
    return {path: json.dumps(document, ensure_ascii=False, indent=1, allow_nan=False) + "\n"}


def _xml_safe(value):
    return _NOT_XML.sub("", value) if isinstance(value, str) else value


def _xml_graph(net: Network):
    """A networkx graph whose string attributes XML can hold."""
    from .build import _plain
    from .communities import to_graph

    attributes = {c: [_xml_safe(_plain(v)) for v in net.nodes[c].tolist()] for c in _NODE_ATTRIBUTES}
    ids = [_xml_safe(i) for i in net.nodes["id"].tolist()]
    graph = to_graph(ids, [], [], [], directed=net.directed, attributes=attributes)
    columns = [c for c in net.edges.columns if c not in ("source", "target")]
    for row in net.edges.to_dict("records"):
        data = {c: _xml_safe(_plain(row[c])) for c in columns}
        graph.add_edge(_xml_safe(row["source"]), _xml_safe(row["target"]),
                       **{c: v for c, v in data.items() if v is not None})
    return graph


def _gexf(net: Network, path: Path) -> dict[Path, str]:
    """PATH (.gexf) for Gephi: node attributes label, weight, cluster, x, y (and the centralities), edge weight."""
    import networkx as nx

    (path,) = _paths("gexf", path)
    return {path: "\n".join(nx.generate_gexf(_xml_graph(net))) + "\n"}


def _graphml(net: Network, path: Path) -> dict[Path, str]:
    """PATH (.graphml): the same attributes as GEXF."""
    import networkx as nx

    (path,) = _paths("graphml", path)
    return {path: "\n".join(nx.generate_graphml(_xml_graph(net))) + "\n"}


def _pajek(net: Network, path: Path) -> dict[Path, str]:
    """PATH.net (vertices named by node id, with x and y; edges or arcs with their weight) and PATH.clu
    (``*Vertices n``, then each vertex's cluster, from 1, in the same order; 0 where it has none)."""
    import networkx as nx

    net_path, clu_path = _paths("pajek", path)
    graph = nx.DiGraph() if net.directed else nx.Graph()
    # a vertex name is one quoted string in Pajek: no double quote or line break can be inside it
    name = {i: re.sub(r'["\r\n\t]', " ", str(i)) for i in net.nodes["id"]}
    for row in net.nodes.to_dict("records"):
        graph.add_node(name[row["id"]], **({"x": float(row["x"]), "y": float(row["y"])} if pd.notna(row["x"])
                                          else {}))
    graph.add_weighted_edges_from((name[s], name[t], float(w)) for s, t, w in
                                  zip(net.edges["source"], net.edges["target"], net.edges["weight"]))
    clusters = net.nodes["cluster"]
    numbers = (clusters.fillna(-1).astype("int64") + 1).tolist()
    return {net_path: "\n".join(nx.generate_pajek(graph)) + "\n",
            clu_path: f"*Vertices {len(numbers)}\n" + "".join(f"{c}\n" for c in numbers)}


def _csv(net: Network, path: Path) -> dict[Path, str]:
    """PATH_nodes.csv and PATH_edges.csv: every column of ``net.nodes`` and ``net.edges``."""
    nodes_path, edges_path = _paths("csv", path)
    return {nodes_path: net.nodes.to_csv(index=False), edges_path: net.edges.to_csv(index=False)}


#: format -> writer(net, path) -> {path: text} of the files to write.
FORMATS = {
    "vosviewer": _vosviewer,
    "vosviewer-json": _vosviewer_json,
    "gexf": _gexf,
    "graphml": _graphml,
    "pajek": _pajek,
    "csv": _csv,
}
#: A path's suffix -> the format it means when ``format=`` is not given.
SUFFIXES = {".txt": "vosviewer", ".json": "vosviewer-json", ".gexf": "gexf", ".graphml": "graphml",
            ".net": "pajek", ".paj": "pajek", ".csv": "csv"}


def export_network(net: Network, path, *, format: str | None = None, force: bool = False) -> list[Path]:
    """Write ``net`` for VOSviewer, Gephi, Pajek or a spreadsheet.

    Parameters
    ----------
    net : Network
        From :func:`peerbib.network`.
    path : str or Path
        Where to write. Formats of two files take it as a stem: ``maps/cocit``
        (or ``maps/cocit.txt``) with ``format="vosviewer"`` writes
        ``maps/cocit_map.txt`` and ``maps/cocit_network.txt``.
    format : str, optional
        ``"vosviewer"`` (PATH_map.txt + PATH_network.txt), ``"vosviewer-json"``
        (.json), ``"gexf"``, ``"graphml"``, ``"pajek"`` (PATH.net + PATH.clu, the
        clusters as a partition), ``"csv"`` (PATH_nodes.csv + PATH_edges.csv).
        By default the path's suffix says (.txt, .json, .gexf, .graphml, .net,
        .csv).
    force : bool
        Replace files at those paths that peerbib did not write, or that
        changed since it wrote them, keeping each old file as ``NAME.bak``.
        Without it such a file is refused and nothing is written.

    Returns
    -------
    list of Path
        The files written.

    Raises
    ------
    OwnershipError
        A path that is a folder, a symbolic link, the project folder, in the
        raw data, or a file peerbib did not write (without ``force``).
    """
    return write_own_files(network_files(net, path, format=format), force=force)


def _format(path: Path, format: str | None) -> str:
    """The format to write ``path`` in: ``format``, else the one its suffix names; refuses a folder."""
    if path.is_dir():
        example = path / ("network" + (_ENDINGS[format][1][0] if format in _ENDINGS else ".gexf"))
        raise AnalysisError(f"{path} is a folder: give a file name (a stem for formats of two files), "
                            f"such as {example}")
    if format is None:
        format = SUFFIXES.get(path.suffix.lower())
        if format is None:
            raise AnalysisError(f"cannot tell the format of {path.name!r} from its suffix: pass format= one of "
                                f"{', '.join(FORMATS)} (or end the name with {', '.join(SUFFIXES)})")
    if format not in FORMATS:
        raise AnalysisError(f"unknown format {format!r}; use one of {', '.join(FORMATS)}")
    return format


def network_paths(path, *, format: str | None = None) -> list[Path]:
    """The files :func:`export_network` writes for ``path`` and ``format``, before any network is made."""
    path = Path(path)
    return _paths(_format(path, format), path)


def network_files(net: Network, path, *, format: str | None = None) -> dict[Path, str]:
    """The files :func:`export_network` writes, as ``{path: text}``, written nowhere."""
    if not isinstance(net, Network):
        raise AnalysisError("export_network writes a Network: pass the result of pb.network(tables, kind)")
    path = Path(path)
    return FORMATS[_format(path, format)](net, path)
