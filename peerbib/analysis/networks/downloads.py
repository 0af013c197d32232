"""A network's exported files as links a report carries inside itself (data URIs), so a shared page still has them."""
from __future__ import annotations

import base64
import html
import re
from pathlib import Path

from ...errors import AnalysisError
from .build import Network
from .export import FORMATS, network_files

__all__ = ["network_downloads", "Downloads"]

_MEDIA = {".txt": "text/plain", ".json": "application/json", ".gexf": "application/xml",
          ".graphml": "application/xml", ".net": "text/plain", ".clu": "text/plain", ".csv": "text/csv"}
_FOR = {"vosviewer": "VOSviewer (map and network files)", "vosviewer-json": "VOSviewer Online (JSON)",
        "gexf": "Gephi (GEXF)", "graphml": "GraphML", "pajek": "Pajek (.net and the clusters' .clu)",
        "csv": "a spreadsheet (nodes and links)"}
_NAME = re.compile(r"[^A-Za-z0-9_-]+")


class Downloads:
    """Files to download from a page: ``files`` is a list of ``(format, file name, bytes)``."""

    def __init__(self, files: list[tuple[str, str, bytes]], title: str):
        self.files, self.title = files, title

    def __repr__(self) -> str:
        return f"{self.title}: " + ", ".join(name for _, name, _ in self.files)

    def _repr_html_(self) -> str:
        items = []
        for format in dict.fromkeys(fmt for fmt, _, _ in self.files):
            links = []
            for _, name, data in (f for f in self.files if f[0] == format):
                media = _MEDIA.get(Path(name).suffix, "application/octet-stream")
                uri = f"data:{media};base64,{base64.b64encode(data).decode('ascii')}"
                links.append(f'<a download="{html.escape(name)}" href="{uri}">{html.escape(name)}</a>')
            items.append(f"<li>{html.escape(_FOR.get(format, format))}: {', '.join(links)}</li>")
        return (f'<p class="pb-title">{html.escape(self.title)}</p>'
                f'<ul class="pb-downloads">{"".join(items)}</ul>')


def network_downloads(net: Network, name: str, *, formats=("vosviewer", "vosviewer-json", "gexf", "csv"),
                      title: str | None = None) -> Downloads:
    """The files :func:`peerbib.export_network` writes for ``net``, as download links kept inside a report.

    Parameters
    ----------
    net : Network
    name : str
        The files' name (``cocitation`` gives ``cocitation_map.txt``, ``cocitation.gexf``, …); letters,
        digits, ``-`` and ``_`` are kept.
    formats : iterable of str
        Formats of :func:`peerbib.export_network`.
    title : str, optional
        The line above the links.

    Returns
    -------
    Downloads
        Shown in a notebook or report as links that save each file; ``files`` holds the bytes.
    """
    if not isinstance(net, Network):
        raise AnalysisError("network_downloads writes a Network: pass the result of pb.network(tables, kind)")
    stem = _NAME.sub("_", str(name)).strip("_") or "network"
    unknown = [f for f in formats if f not in FORMATS]
    if unknown:
        raise AnalysisError(f"unknown format {unknown[0]!r}; use some of {', '.join(FORMATS)}")
    files = [(format, path.name, text.encode("utf-8")) for format in formats
             for path, text in network_files(net, Path(stem), format=format).items()]
    return Downloads(files, title or f"The {stem.replace('_', ' ')} network for other tools")
