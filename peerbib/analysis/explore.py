"""Maps to explore inside a notebook or report page: an inline SVG with a small script, nothing loaded.

:class:`ExploreMap` is what :func:`peerbib.explore_cluster_map` and
:func:`peerbib.explore_network` return. Its HTML is one block: the points (and
links) drawn as SVG in the colours and marker shapes of the static charts, a
legend, and a script (:mod:`._explore_script`) that shows a work on hover or
focus, opens its DOI (else its OpenAlex page) on a click or Enter, zooms with
the wheel or the +/− buttons and pans by dragging. Every text from the data is
escaped: in the SVG as escaped text, for the tooltips as JSON with ``<``, ``>``
and ``&`` written as ``\\u003c`` etc. inside a ``<script type="application/json">``.
Links go only to https://doi.org/ and https://openalex.org/. The block is
hidden when the page is printed: the static PNG beside it is for print.
"""
from __future__ import annotations

import hashlib
import html
import itertools
import json
import math
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ._explore_script import SCRIPT, STYLE
from .present import doi_url

__all__ = ["ExploreMap", "Group", "LegendEntry", "work_href", "clean_text", "to_view"]

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")
_OPENALEX = re.compile(r"https://openalex\.org/[A-Za-z]\d+")
#: Markers drawn as a line cap: a circle, a square.
_CAPS = {"o": "round", "s": "square"}
_blocks = itertools.count(1)  # each block shown gets an id of its own, even the same map shown twice


def clean_text(value, width: int | None = None) -> str:
    """Text from the data on one line (control characters and line breaks become spaces), at most ``width``
    characters; empty for a missing value. It is escaped where it is written, not here."""
    if value is None or (not isinstance(value, (str, list, tuple)) and pd.isna(value)):
        return ""
    text = " ".join(_CONTROL.sub(" ", str(value)).split())
    return text if width is None or len(text) <= width else text[: width - 1].rstrip() + "\u2026"


def work_href(doi=None, work_id=None, url=None) -> str | None:
    """Where a point opens: its https://doi.org/ link, else its https://openalex.org/ page (a ``W`` id or such
    a ``url``), else None. Nothing else is ever linked."""
    by_doi = doi_url(doi)
    if by_doi is None and isinstance(url, str) and url.lower().startswith("https://doi.org/"):
        by_doi = doi_url(url)
    if by_doi:
        return by_doi
    for candidate in (f"https://openalex.org/{clean_text(work_id)}", clean_text(url)):
        if _OPENALEX.fullmatch(candidate):
            return candidate
    return None


def to_view(x, y, width: float, height: float, *, pad: float = 16.0, equal: bool = False,
            limits: tuple | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Data coordinates to the SVG's (y down), filling ``width`` x ``height`` less ``pad``; with ``equal``
    one unit is as long on both axes. ``limits`` are ``(x0, x1, y0, y1)`` (default: the data's range)."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if limits is None:
        finite_x, finite_y = x[np.isfinite(x)], y[np.isfinite(y)]
        limits = (finite_x.min(initial=0.0), finite_x.max(initial=1.0), finite_y.min(initial=0.0),
                  finite_y.max(initial=1.0))
    x0, x1, y0, y1 = limits
    sx = (width - 2 * pad) / ((x1 - x0) or 1.0)
    sy = (height - 2 * pad) / ((y1 - y0) or 1.0)
    if equal:
        sx = sy = min(sx, sy)
    ox = pad + ((width - 2 * pad) - sx * (x1 - x0)) / 2
    oy = pad + ((height - 2 * pad) - sy * (y1 - y0)) / 2
    return ox + (x - x0) * sx, height - (oy + (y - y0) * sy)


@dataclass(frozen=True)
class Group:
    """What points share: the tooltip line naming it (a cluster and its terms)."""
    name: str


@dataclass(frozen=True)
class LegendEntry:
    """One legend line: a marker (``"o"``, ``"s"``, ``"^"`` ... as in matplotlib) or a link (``"line"``,
    ``"dotted"``) in ``color``, then ``text``."""
    text: str
    color: str
    marker: str = "o"


def _num(value: float) -> str:
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def _polygon(corners) -> str:
    return "M" + "L".join(f"{_num(x)} {_num(y)}" for x, y in corners) + "Z"


def _regular(n: int, r: float, turn: float = -math.pi / 2):
    return [(r * math.cos(turn + 2 * math.pi * i / n), r * math.sin(turn + 2 * math.pi * i / n)) for i in range(n)]


def marker_path(marker: str, r: float) -> str:
    """SVG path data of a matplotlib marker around (0, 0), about ``r`` in radius (y down)."""
    t = 0.38 * r  # half the thickness of a plus or a cross
    plus = [(-t, -r), (t, -r), (t, -t), (r, -t), (r, t), (t, t), (t, r), (-t, r), (-t, t), (-r, t), (-r, -t), (-t, -t)]
    shapes = {
        "s": lambda: _polygon([(-0.9 * r, -0.9 * r), (0.9 * r, -0.9 * r), (0.9 * r, 0.9 * r), (-0.9 * r, 0.9 * r)]),
        "^": lambda: _polygon([(0, -1.15 * r), (1.05 * r, 0.85 * r), (-1.05 * r, 0.85 * r)]),
        "v": lambda: _polygon([(0, 1.15 * r), (1.05 * r, -0.85 * r), (-1.05 * r, -0.85 * r)]),
        "D": lambda: _polygon([(0, -1.2 * r), (1.2 * r, 0), (0, 1.2 * r), (-1.2 * r, 0)]),
        "P": lambda: _polygon(plus),
        "X": lambda: _polygon([((x - y) * 0.7071, (x + y) * 0.7071) for x, y in plus]),
        "p": lambda: _polygon(_regular(5, 1.1 * r)),
        "h": lambda: _polygon(_regular(6, 1.1 * r)),
    }
    if marker in shapes:
        return shapes[marker]()
    return f"M{_num(-r)} 0a{_num(r)} {_num(r)} 0 1 0 {_num(2 * r)} 0a{_num(r)} {_num(r)} 0 1 0 {_num(-2 * r)} 0Z"


def _json_for_html(value) -> str:
    """JSON that cannot end the script element it sits in, nor open a comment or an entity."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    for char, escaped in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("\u2028", "\\u2028"),
                          ("\u2029", "\\u2029")):
        text = text.replace(char, escaped)
    return text


def _attr(value) -> str:
    return html.escape(str(value), quote=True)


class ExploreMap:
    """A map to explore in a notebook or a report page (its ``_repr_html_``); ``points`` holds what it draws.

    Parameters
    ----------
    title : str
    points : DataFrame
        One row per point, in the order of ``tips``: ``x, y`` (SVG units, y
        down), ``group`` (index into ``groups``, -1 for none), ``color``,
        ``marker`` (matplotlib's name, or ``"node"``: a circle of the row's
        own radius), ``radius`` (SVG units), ``href`` (a doi.org or
        openalex.org link, or None).
    tips : list of list of str
        The tooltip lines of each point, the first in bold.
    groups : list of Group
    width, height : int
        Size of the SVG's view box.
    links : DataFrame, optional
        ``x, y, x_end, y_end, color, width`` (pixels), ``dotted`` (bool).
    labels : DataFrame, optional
        ``x, y, text, color, kind, offset``: ``kind`` ``"name"`` writes the
        text ``offset`` units right of the point, ``"number"`` a number in a
        ring of ``color``; both keep their size on the screen when zoomed.
    legend : list of LegendEntry
    note : str
        A line under the legend.
    link_opacity : float
    """

    def __init__(self, *, title: str, points: pd.DataFrame, tips: list, groups: list, width: int, height: int,
                 links: pd.DataFrame | None = None, labels: pd.DataFrame | None = None, legend=(), note: str = "",
                 link_opacity: float = 0.55, legend_title: str = ""):
        self.title, self.points, self.tips, self.groups = title, points.reset_index(drop=True), tips, list(groups)
        self.width, self.height, self.note, self.legend = int(width), int(height), note, list(legend)
        self.links = links if links is not None else pd.DataFrame(columns=["x", "y", "x_end", "y_end", "color",
                                                                           "width", "dotted"])
        self.labels = labels if labels is not None else pd.DataFrame(columns=["x", "y", "text", "color", "kind"])
        self.link_opacity, self.legend_title = link_opacity, legend_title

    def __repr__(self) -> str:
        linked = int(self.points["href"].notna().sum())
        lines = [f"{self.title}",
                 f"  explorable map: {len(self.points):,} points ({linked:,} with a link), {len(self.links):,} links, "
                 f"{len(self.groups)} groups; shown as HTML in a notebook or report page (hover, click, zoom)"]
        lines += [f"  {entry.text}" for entry in self.legend[:20]]
        if len(self.legend) > 20:
            lines.append(f"  … {len(self.legend) - 20} more")
        return "\n".join(lines)

    # -- the SVG ------------------------------------------------------------------------------------------

    def _defs(self, block: str) -> tuple[str, dict]:
        """Shapes of the markers drawn with ``<use>`` (those no line cap draws), and their ids by (marker,
        radius). They keep their size on the screen by a scale the script sets when the map is zoomed."""
        ids, shapes = {}, []
        shaped = self.points[~self.points["marker"].isin(_CAPS) & (self.points["marker"] != "node")]
        for n, (marker, radius) in enumerate(sorted(set(zip(shaped["marker"], shaped["radius"])))):
            ids[(marker, radius)] = f"{block}m{n}"
            shapes.append(f'<path id="{block}m{n}" class="pb-ex-shape" d="{marker_path(marker, radius)}"/>')
        return '<defs data-s="">' + "".join(shapes) + "</defs>", ids

    def _drawing_order(self) -> list[tuple[tuple, np.ndarray]]:
        """((group, colour, marker, radius), row numbers) of each ``<g>`` of points: the groups in their first
        row's order, each holding its points in table order. The script finds a point's tooltip by its place in
        this order."""
        table = self.points
        keys = ["group", "color", "marker", "radius"]
        members = table.groupby(keys, sort=False).indices
        return [(key, members[key]) for key in dict.fromkeys(zip(*(table[k] for k in keys)))]

    def _points_svg(self, ids: dict, order) -> str:
        """Circles and squares as a line of no length with a round or square cap, whose width stays the same
        on the screen as the map is zoomed (``vector-effect``): zooming restyles none of them. Other shapes
        are ``<use>`` of a shape in ``<defs>``; a network's nodes are circles of their own size."""
        out = ['<g class="pb-ex-pts">']
        table = self.points
        for (group, color, marker, radius), rows in order:
            named = f' data-g="{int(group)}"' if group >= 0 else ""
            if marker in _CAPS:
                out.append(f'<g{named} fill="{_attr(color)}" stroke="{_attr(color)}" stroke-linecap="{_CAPS[marker]}" '
                           f'stroke-width="{_num(2 * radius * (0.9 if marker == "s" else 1.0))}">')
            else:
                out.append(f'<g{named} fill="{_attr(color)}" data-s="">')
            for row in table.iloc[rows].itertuples(index=False):
                if marker in _CAPS:
                    shape = f'<path d="M{_num(row.x)} {_num(row.y)}h0"/>'
                elif marker == "node":
                    shape = (f'<circle cx="{_num(row.x)}" cy="{_num(row.y)}" r="{_num(row.radius)}" '
                             'stroke="#fff" stroke-width="0.6"/>')
                else:
                    shape = f'<use href="#{ids[(row.marker, row.radius)]}" x="{_num(row.x)}" y="{_num(row.y)}"/>'
                out.append(f'<a href="{_attr(row.href)}">{shape}</a>' if isinstance(row.href, str) else shape)
            out.append("</g>")
        out.append("</g>")
        return "".join(out)

    def _links_svg(self) -> str:
        if not len(self.links):
            return ""
        out = [f'<g class="pb-ex-links" fill="none" opacity="{self.link_opacity:.2f}">']
        for (color, dotted), lines in self.links.groupby(["color", "dotted"], sort=False):
            dash = ' stroke-dasharray="1.5 3"' if dotted else ""
            out.append(f'<g stroke="{_attr(color)}"{dash}>')
            out += [f'<line x1="{_num(r.x)}" y1="{_num(r.y)}" x2="{_num(r.x_end)}" y2="{_num(r.y_end)}" '
                    f'stroke-width="{r.width:.1f}"/>' for r in lines.itertuples(index=False)]
            out.append("</g>")
        out.append("</g>")
        return "".join(out)

    def _labels_svg(self) -> str:
        out = ['<g class="pb-ex-labels" data-s="">']
        for row in self.labels.itertuples(index=False):
            where = f'<g transform="translate({_num(row.x)} {_num(row.y)})">'
            if row.kind == "number":
                out.append(where + f'<circle r="9" fill="#fff" fill-opacity="0.9" stroke="{_attr(row.color)}" '
                           f'stroke-width="1.5"/><text class="pb-ex-num">{html.escape(row.text)}</text></g>')
            else:
                out.append(where + f'<text x="{_num(float(row.offset))}" dy="0.35em">'
                           f'{html.escape(row.text)}</text></g>')
        out.append("</g>")
        return "".join(out)

    def _legend_html(self) -> str:
        if not self.legend:
            return ""
        items = []
        for entry in self.legend:
            if entry.marker in ("line", "dotted"):
                dash = ' stroke-dasharray="2 2"' if entry.marker == "dotted" else ""
                swatch = (f'<line x1="-6" y1="0" x2="6" y2="0" stroke="{_attr(entry.color)}" stroke-width="2.5"'
                          f'{dash}/>')
            else:
                swatch = f'<path d="{marker_path(entry.marker, 4.5)}" fill="{_attr(entry.color)}"/>'
            items.append(f'<li><svg width="14" height="14" viewBox="-7 -7 14 14" aria-hidden="true">{swatch}</svg>'
                         f'{html.escape(entry.text)}</li>')
        title = f'<p class="pb-ex-hint"><b>{html.escape(self.legend_title)}</b></p>' if self.legend_title else ""
        return title + f'<ul class="pb-ex-legend">{"".join(items)}</ul>'

    def _repr_html_(self) -> str:
        digest = hashlib.sha1(f"{self.title}|{len(self.points)}|{len(self.links)}".encode()).hexdigest()[:4]
        block = f"pbm{digest}-{next(_blocks)}"
        defs, ids = self._defs(block)
        order = self._drawing_order()
        tips = [self.tips[i] for _, rows in order for i in rows]  # in the order the points are drawn
        data = {"w": self.width, "h": self.height, "tips": tips, "groups": [g.name for g in self.groups]}
        svg = (f'<svg class="pb-ex-svg" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {self.width} {self.height}" '
               f'role="group" aria-label="{_attr(self.title)}">{defs}'
               f'<rect width="{self.width}" height="{self.height}" fill="#fff"/><g class="pb-ex-view">'
               f'{self._links_svg()}{self._points_svg(ids, order)}{self._labels_svg()}</g></svg>')
        tools = ('<div class="pb-ex-tools" hidden>'
                 '<button type="button" data-zoom="in" title="Zoom in" aria-label="Zoom in">+</button>'
                 '<button type="button" data-zoom="out" title="Zoom out" aria-label="Zoom out">\u2212</button>'
                 '<button type="button" data-zoom="reset" title="Reset the view" aria-label="Reset the view">'
                 '\u21ba</button></div>')
        hint = ("Hover over a point (or Tab to it, then the arrow keys) to see what it is; click it or press Enter to "
                "open its DOI (else its OpenAlex page) in a new tab. Zoom with the wheel or the + and \u2212 buttons; "
                "drag to pan.")
        note = f'<p class="pb-ex-note">{html.escape(self.note)}</p>' if self.note else ""
        return (f'<div class="pb-explore" id="{block}">{STYLE}'
                f'<p class="pb-ex-title">{html.escape(self.title)}</p>'
                f'<div class="pb-ex-frame">{svg}{tools}<div class="pb-ex-tip" role="status" hidden></div></div>'
                f'<p class="pb-ex-hint">{hint}</p>{self._legend_html()}{note}'
                f'<script type="application/json" id="{block}-data">{_json_for_html(data)}</script>'
                f'<script>{SCRIPT.replace("ID_JSON", json.dumps(block))}</script></div>')
