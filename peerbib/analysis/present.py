"""Tables and sentences as a report shows them: titled, formatted, escaped, never silently cut.

Notebooks end a cell with ``pb.show_table(frame, "Title")`` instead of a bare
DataFrame: no index unless it means something, shares as percentages, missing
values as an em dash, long text wrapped (not cut), and a long table capped with
a line saying how many rows are shown and where the whole table is. Every
value is HTML-escaped: titles, authors and abstracts come from outside.

One colour-blind-safe palette serves every chart (Okabe & Ito's eight
colours), and the citation types always take the same ones. Clusters take
:data:`CLUSTER_COLORS`, those eight and twelve more, each with a marker shape
(:func:`cluster_style`) so that a colour-blind reader tells apart the pairs
whose colours come close.

Charts draw text from outside (titles, venues, author names, terms, sources,
and a ``title=`` given, often made from them) as written, with
``parse_math=False``: matplotlib reads text between two ``$``
as mathtext, so "a $x$ b" would lose its dollars and a title holding malformed
TeX (``$\\frac{1$``) would make the whole figure fail when it is drawn.
"""
from __future__ import annotations

import html
import numbers
import re
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

import numpy as np
import pandas as pd

__all__ = ["show_table", "ReportTable", "Sentences", "PALETTE", "TYPE_COLORS", "CLUSTER_COLORS", "CLUSTER_MARKERS",
           "cluster_style", "doi_url", "MISSING", "new_axes",
           "ensure_fonts", "fallback_fonts", "legend_as_written"]

#: Okabe & Ito's colour-blind-safe palette (black left out: it is the text colour).
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#999999"]
#: A colour per cluster, 20 apart: Okabe & Ito's eight, then twelve picked for peerbib one at a time from a grid of
#: sRGB colours (CIELAB lightness 30-80, chroma above 25, so none is pale on white or a grey) as the one farthest
#: from those already picked, by CIEDE2000, taken as the least of the distances seen with normal vision and (x2.5)
#: as simulated for deuteranopia and protanopia (Machado, Oliveira & Fernandes 2009). Any two differ by at least
#: 19 CIEDE2000 units with normal vision; under either simulation the closest pair is Okabe & Ito's own reddish
#: purple and grey (6.2), and every pair closer than 12 there differs in its marker (CLUSTER_MARKERS).
CLUSTER_COLORS = [*PALETTE,
                  "#4B4B00",  # dark olive
                  "#5A3C69",  # dark purple
                  "#C3003C",  # crimson
                  "#FFB4A5",  # peach
                  "#0000FF",  # pure blue
                  "#9669FF",  # lavender
                  "#006969",  # dark teal
                  "#87D269",  # light green
                  "#87874B",  # khaki
                  "#00D2D2",  # turquoise
                  "#C30096",  # magenta
                  "#0F692D"]  # dark green
#: The marker of each cluster colour on a map (matplotlib's names): a circle, unless the colour comes within 12
#: CIEDE2000 units of an earlier one for a deuteranope or a protanope, then the first shape that one does not have.
CLUSTER_MARKERS = ["o", "o", "o", "o", "o", "o", "s", "s", "o", "o",
                   "o", "o", "s", "s", "s", "^", "s", "s", "^", "s"]
_MORE_MARKERS = ["D", "v", "P", "X", "p", "h"]


def cluster_style(cluster: int) -> tuple[str, str]:
    """The colour and marker of cluster number ``cluster`` (0, 1, ...), the same in every chart.

    Clusters 0-19 each get a colour of their own (:data:`CLUSTER_COLORS`); from 20 on
    the colours repeat, with another marker shape, so that no two of the first 140
    clusters share both.
    """
    cluster = int(cluster)
    if cluster < 0:
        raise ValueError(f"a cluster number is 0 or more, not {cluster}")
    turn, position = divmod(cluster, len(CLUSTER_COLORS))
    marker = CLUSTER_MARKERS[position] if turn == 0 else _MORE_MARKERS[(turn - 1 + position) % len(_MORE_MARKERS)]
    return CLUSTER_COLORS[position], marker


#: The citation types' colours, the same in every chart and table.
TYPE_COLORS = {"supporting": "#009E73", "mentioning": "#999999", "contrasting": "#D55E00",
               "unclassified": "#E0E0E0"}
#: How a missing value is shown.
MISSING = "—"

_TABLE_CSS = """<style>
.pb-title{font-weight:600;font-size:14px;margin:0.8em 0 0.3em}
.pb-scroll{overflow-x:auto;max-width:100%;margin:0 0 1.2em}
table.pb-table{border-collapse:collapse;margin:0;font-size:12.5px;width:auto;max-width:none;table-layout:auto}
table.pb-table mark{background:#fff0a8;padding:0 1px}
table.pb-table th,table.pb-table td{border-bottom:1px solid #ddd !important;padding:3px 8px !important;
  vertical-align:top !important;text-align:left !important;white-space:normal !important}
table.pb-table th{background:#f4f4f4;overflow-wrap:break-word}
table.pb-table td.pb-num{text-align:right !important;white-space:nowrap !important}
table.pb-table td.pb-text{min-width:10em;max-width:32em;overflow-wrap:anywhere}
table.pb-table td.pb-long{min-width:24em;max-width:40em}
.pb-note{color:#555;font-size:12px;margin:-0.8em 0 1.2em}
@media print{.pb-scroll{overflow:visible}table.pb-table{font-size:9px;width:100%}
  table.pb-table td.pb-text,table.pb-table td.pb-long{min-width:0;max-width:none}table.pb-table td,table.pb-table th{overflow-wrap:anywhere}
  table.pb-table tr{break-inside:avoid}}
</style>"""


#: Fonts tried, in order, for characters DejaVu Sans lacks (Debian's fonts-noto-cjk, others' names for it).
FALLBACK_FONTS = ("Noto Sans CJK JP", "Noto Sans CJK SC", "Noto Sans CJK TC", "Noto Sans CJK KR",
                  "Source Han Sans", "WenQuanYi Zen Hei", "Noto Sans Thai")
_fonts_ready = False


def ensure_fonts() -> list[str]:
    """The fallback fonts installed, for the glyphs DejaVu Sans lacks (CJK, Thai), in the order tried.

    A font installed after matplotlib built its font cache is added from the
    system's font folders. Returns an empty list when none is installed: such
    characters then draw as boxes, and the report says so. ``matplotlib.rcParams``
    are not changed: :func:`fallback_fonts` and :func:`new_axes` use the fonts.
    """
    global _fonts_ready
    from matplotlib import font_manager

    known = {f.name for f in font_manager.fontManager.ttflist}
    if not _fonts_ready and not any(name in known for name in FALLBACK_FONTS):
        for path in font_manager.findSystemFonts():
            if re.search(r"NotoSans(CJK|Thai)|SourceHanSans|wqy-zenhei", Path(path).name, re.IGNORECASE):
                try:
                    font_manager.fontManager.addfont(path)
                except (OSError, RuntimeError, ValueError):
                    continue
        known = {f.name for f in font_manager.fontManager.ttflist}
    _fonts_ready = True
    return [name for name in FALLBACK_FONTS if name in known]


#: The font family matplotlib gives text by default; text on it gets the fallback fonts.
_DEFAULT_FAMILY = ["sans-serif"]


def _fallback_families() -> list[str] | None:
    """DejaVu Sans, then the fallback fonts (matplotlib falls back glyph by glyph along a list of families
    that are fonts' names, not along a generic family); None when no fallback font is installed."""
    found = ensure_fonts()
    return ["DejaVu Sans", *found] if found else None


@contextmanager
def fallback_fonts():
    """Text made inside the block falls back to a CJK (or Thai) font for glyphs DejaVu Sans lacks.

    For your own figures (peerbib's charts do it themselves); only while the
    font family is matplotlib's default, and ``matplotlib.rcParams`` are as
    before after the block (``matplotlib.rc_context``). The fonts are kept by
    each text made inside, so the figure draws them when it is shown or saved
    later::

        with pb.fallback_fonts():
            fig, ax = plt.subplots()
            ax.set_title("学習支援")
    """
    import matplotlib as mpl

    families = _fallback_families()
    if families is None or list(mpl.rcParams["font.family"]) != _DEFAULT_FAMILY:
        yield
        return
    with mpl.rc_context({"font.family": families}):
        yield


def _give_fallback_fonts(artist) -> None:
    """Every text in ``artist`` (a figure, an axes, a legend) still on the default family gets the fallback
    fonts; a tick made later copies its axis' first tick, which is among them."""
    families = _fallback_families()
    if families is None:
        return
    from matplotlib.text import Text

    for text in artist.findobj(Text):
        if text.get_fontfamily() == _DEFAULT_FAMILY:
            text.set_fontfamily(families)


def new_axes(ax=None, figsize=(9, 4)):
    """``ax``, or the axes of a new figure of ``figsize`` (constrained layout); either way its text falls back
    to a CJK (or Thai) font for glyphs DejaVu Sans lacks, and ``matplotlib.rcParams`` are left as they are.

    A chart adds text after this returns (labels, annotations), outside any
    ``rc_context``, and the figure is drawn later still (when the notebook cell
    ends, when a report saves it): so the fonts are given to the texts
    themselves. A new figure gives every text on matplotlib's default family
    the fallback fonts each time it is drawn, before its layout measures them.
    On an ``ax`` you give, the texts it has (title, axis labels, tick labels)
    get them at once, and the others when the axes are drawn.
    """
    from ._fonts import FallbackFontsFigure, FallbackFontsLater

    if ax is None:
        import matplotlib.pyplot as plt

        with fallback_fonts():  # title, axis labels and first ticks made here are measured right by any layout
            _, ax = plt.subplots(figsize=figsize, layout="constrained", FigureClass=FallbackFontsFigure)
        return ax
    _give_fallback_fonts(ax)
    if _fallback_families() is not None and not isinstance(ax.get_figure(root=True), FallbackFontsFigure) \
            and not any(isinstance(artist, FallbackFontsLater) for artist in ax.get_children()):
        ax.add_artist(FallbackFontsLater())
    return ax


def legend_as_written(legend):
    """``legend`` (``ax.legend(...)``'s result) with its entries and title drawn as written, never as mathtext.

    ``ax.legend`` takes no text properties for the entries it makes from the artists' labels, which come from data.
    """
    for text in (*legend.get_texts(), legend.get_title()):
        text.set_parse_math(False)
    _give_fallback_fonts(legend)  # now: a layout may measure it before the figure is drawn
    return legend


class Sentences(str):
    """Text that notebooks and reports show as a paragraph (``**bold**`` and ```code``` marked up),
    and Python as plain text. The text is escaped first: it may hold file names and titles.

    ``Sentences(text, missing=True)`` is what a page (or a part of it) shows instead of a chart or a
    table when the data has nothing for them: what is missing and the command that fills it. It
    stands out from the text around it, and the index of the reports shows it on the page's card.
    """

    missing: bool = False

    def __new__(cls, text="", *, missing: bool = False):
        made = super().__new__(cls, text)
        made.missing = bool(missing)
        return made

    def _repr_html_(self) -> str:
        text = html.escape(str(self))
        text = re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", text)
        text = re.sub(r"`(.+?)`", r"<code>\1</code>", text)
        if self.missing:
            return f'<p class="{MISSING_CLASS}" style="{_MISSING_STYLE}">{text}</p>'
        return f"<p>{text}</p>"


#: The class of the paragraph a page shows when its data has nothing to show (see :class:`Sentences`).
MISSING_CLASS = "pb-missing"
_MISSING_STYLE = "font-size:15px;border-left:4px solid #999;padding:0.3em 0.8em"


class Marked(str):
    """Text with parts to mark (a citation statement and its callout): ``Marked(text, spans)``.

    ``spans`` are (start, end) character offsets. A report table shows the text escaped, with each
    span inside ``<mark>``; elsewhere it is the plain text.
    """

    spans: tuple = ()

    def __new__(cls, text="", spans=()):
        made = super().__new__(cls, text)
        made.spans = tuple(sorted((int(a), int(b)) for a, b in spans if 0 <= a < b <= len(text)))
        return made

    def html(self) -> str:
        out, at = [], 0
        for start, end in self.spans:
            if start < at:  # overlapping spans: the first one wins
                continue
            out += [html.escape(self[at:start]), "<mark>", html.escape(self[start:end]), "</mark>"]
            at = end
        out.append(html.escape(self[at:]))
        return "".join(out).replace("\n", "<br>")


def _bare_doi(doi) -> str | None:
    """``10.xxxx/...`` from a DOI as written (bare, ``doi:`` or a doi.org link); None when it is not one."""
    if doi is None or (not isinstance(doi, str) and pd.isna(doi)):
        return None
    bare = re.sub(r"^(https?://(dx\.)?doi\.org/|doi:\s*)", "", str(doi).strip(), flags=re.IGNORECASE)
    return bare if re.match(r"10\.\d{4,9}/\S+$", bare) else None


def doi_url(doi) -> str | None:
    """The https://doi.org/ link of a DOI (bare, ``doi:`` or a doi.org link), percent-encoded; None when the
    value is missing or does not look like a DOI."""
    bare = _bare_doi(doi)
    return None if bare is None else "https://doi.org/" + quote(bare, safe="/:;()._-")


def doi_link(doi) -> str:
    """A DOI as an escaped link to https://doi.org/ (the DOI as text when it does not look like one)."""
    text = str(doi).strip()
    bare = _bare_doi(text)
    if bare is None:
        return html.escape(text)
    return f'<a href="{html.escape(doi_url(bare), quote=True)}">{html.escape(bare)}</a>'


class ReportTable:
    """A formatted table: :func:`show_table`'s result. ``frame`` holds every row; Jupyter shows the first ``max_rows``."""

    def __init__(self, frame: pd.DataFrame, title: str, *, percent=(), decimals: int = 3, max_rows: int = 50,
                 full: str | None = None, index: bool = False, note: str | None = None):
        self.frame, self.title, self.percent, self.decimals = frame, title, tuple(percent), decimals
        self.max_rows, self.full, self.index, self.note = max_rows, full, index, note
        self._whole: set = set()
        self._files: str | None = None  # the CSV's link, once written (in a report only)

    def __repr__(self) -> str:
        return f"{self.title}\n{self.frame.to_string(index=self.index, max_rows=self.max_rows)}"

    def _cell(self, column, value) -> tuple[str, str]:
        """(css class, escaped text) of one value."""
        if value is None or (not isinstance(value, (list, tuple, dict)) and pd.isna(value)):
            return "pb-num", MISSING
        if column in self.percent:
            share = float(value)
            return "pb-num", f"{share:.0%}" if share == 0 or share >= 0.01 else f"{share:.1%}"
        if isinstance(value, (bool, np.bool_)):
            return "", "yes" if value else "no"
        if isinstance(value, numbers.Integral):  # years and ranks without a thousands separator
            plain = "year" in str(column).lower() or str(column).lower() in ("k", "rank", "cluster")
            return "pb-num", f"{int(value)}" if plain else f"{int(value):,}"
        if isinstance(value, numbers.Real):
            if column in self._whole:  # a count held as float (a column with gaps): no decimals
                return "pb-num", f"{int(value):,}"
            return "pb-num", f"{float(value):,.{self.decimals}f}"
        text = str(value)
        kind = "pb-text pb-long" if len(text) > 200 else ("pb-text" if len(text) > 30 else "")
        if isinstance(value, Marked):
            return kind, value.html()
        if str(column).lower() in _DOI_COLUMNS:
            return kind, doi_link(text)
        return kind, html.escape(text).replace("\n", "<br>")

    def _repr_html_(self) -> str:
        frame = self.frame.reset_index() if self.index else self.frame
        shown = frame.head(self.max_rows)
        self._whole = {c for c in frame.columns if c not in self.percent and pd.api.types.is_float_dtype(frame[c])
                       and frame[c].notna().any() and bool((frame[c].dropna() % 1 == 0).all())}
        head = "".join(f"<th>{html.escape(_header(c))}</th>" for c in frame.columns)
        rows = []
        for values in shown.itertuples(index=False, name=None):
            cells = [self._cell(c, v) for c, v in zip(frame.columns, values)]
            rows.append("<tr>" + "".join(f'<td class="{k}">{t}</td>' if k else f"<td>{t}</td>" for k, t in cells)
                        + "</tr>")
        out = [_TABLE_CSS, f'<p class="pb-title">{html.escape(self.title)}</p>'
               '<div class="pb-scroll"><table class="pb-table">',
               f"<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table></div>"]
        notes = []
        if len(frame) > len(shown):
            notes.append(f"showing {len(shown):,} of {len(frame):,} rows"
                         + (f" — the full table is in {self.full}" if self.full else ""))
        elif not len(frame):
            notes.append("no rows")
        if self.note:
            notes.append(self.note)
        if notes:
            out.append(f'<p class="pb-note">{html.escape("; ".join(notes))}</p>')
        if self._files is None and len(frame):
            from .takeaway import table_links

            self._files = table_links(frame, self.title) or ""
        out.append(self._files or "")
        return "".join(out)


def _header(column) -> str:
    if isinstance(column, tuple):
        column = " / ".join(str(c) for c in column)
    text = str(column).replace("_", " ")
    if text.lower() in _UPPER:
        return text.upper()
    return text if len(text) == 1 else text[:1].upper() + text[1:]


_UPPER = {"doi", "pmid", "pmcid", "id", "url"}
#: Columns whose values a report table shows as links to https://doi.org/.
_DOI_COLUMNS = {"doi", "citing doi", "citing_doi", "cited doi", "cited_doi"}


def show_table(frame: pd.DataFrame, title: str, *, percent=(), decimals: int = 3, max_rows: int = 50,
               full: str | None = None, index: bool = False, note: str | None = None) -> ReportTable:
    """A DataFrame as a report table: a title, formatted values, at most ``max_rows`` rows shown.

    A column named ``doi`` (or ``citing doi``, ``cited doi``) shows its DOIs as links to
    https://doi.org/; a :class:`Marked` value shows its marked parts inside ``<mark>``. Everything
    else is escaped. A table wider than the page scrolls inside it, and prints at the page's width.

    Parameters
    ----------
    frame : DataFrame
    title : str
        Shown above the table.
    percent : iterable of str
        Columns holding shares (0-1), shown as percentages.
    decimals : int
        Decimals of other non-integer numbers.
    max_rows : int
        Rows shown; a longer table says "showing 50 of 20,000 rows" and, with
        ``full``, where the whole table is.
    full : str, optional
        Where the whole table is, in words (e.g. ``"the works table"``).
    index : bool
        Show the index as columns (when it means something).
    note : str, optional
        A line under the table.
    """
    return ReportTable(frame, title, percent=percent, decimals=decimals, max_rows=max_rows, full=full, index=index,
                       note=note)
