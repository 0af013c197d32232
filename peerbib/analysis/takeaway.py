"""Figures and tables to take away: while ``peerbib report`` runs a page, each figure is also written as SVG
and 300-dpi PNG and each report table as CSV, into ``reports/files/<page>/``, and linked under it.

The report runner tells the page's kernel where, through two environment
variables: :data:`FILES_ENV` (the folder, inside the reports folder being
written) and :data:`HREF_ENV` (the same folder relative to the page, for the
links). Outside a report neither is set and nothing here runs: a notebook in
Jupyter shows its figures and tables as before.

In the kernel, ``import peerbib`` calls :func:`install`, which wraps the
function IPython's inline backend draws a figure's PNG with: whenever a figure
is shown (at the end of a cell, or by ``plt.show()``), its SVG and 300-dpi PNG
are written too, numbered in the order the figures are shown, which is the
order of the page's images; the page's renderer puts each figure's links under
its image (:func:`links_under_figures`).
:class:`peerbib.analysis.present.ReportTable` writes its CSV and link itself
(:func:`table_links`) when it is shown.
"""
from __future__ import annotations

import html
import os
import re
import unicodedata
from pathlib import Path

from ..files import atomic_write, atomic_write_text, spreadsheet_text

__all__ = ["FILES_ENV", "HREF_ENV", "install", "table_links", "write_figure", "links_under_figures"]

FILES_ENV = "PEERBIB_REPORT_FILES"
HREF_ENV = "PEERBIB_REPORT_FILES_HREF"
#: Resolution of the PNG written for print.
PRINT_DPI = 300
_LINKS_CSS = ("<style>.pb-files{font:12px/1.4 sans-serif;color:#555;margin:0.2em 0 1em}"
              ".pb-files a{color:#1a5fb4}@media print{.pb-files{display:none}}</style>")
_counters: dict[str, int] = {}


def _target() -> tuple[Path, str] | None:
    folder, href = os.environ.get(FILES_ENV), os.environ.get(HREF_ENV)
    if not folder or not href:
        return None
    return Path(folder), href.rstrip("/")


def _slug(text: str, fallback: str) -> str:
    plain = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode("ascii").lower()
    slug = re.sub(r"[^a-z0-9]+", "-", plain).strip("-")[:60].rstrip("-")
    return slug or fallback


def _next_name(kind: str, title: str) -> str:
    _counters[kind] = _counters.get(kind, 0) + 1
    return f"{kind}-{_counters[kind]:02d}-{_slug(title, kind)}"


def _links(parts: list[tuple[str, str]], what: str) -> str:
    shown = " · ".join(f'<a href="{html.escape(href, quote=True)}" download>{html.escape(label)}</a>'
                       for label, href in parts)
    return f'{_LINKS_CSS}<p class="pb-files">{html.escape(what)}: {shown}</p>'


def _figure_title(fig) -> str:
    if getattr(fig, "_suptitle", None) is not None and fig._suptitle.get_text():
        return fig._suptitle.get_text()
    for ax in fig.get_axes():
        for loc in ("center", "left", "right"):
            if ax.get_title(loc):
                return ax.get_title(loc)
    return "figure"


def write_figure(fig) -> str | None:
    """Write ``fig`` as SVG and 300-dpi PNG into the page's files folder; the files' name without suffix
    (None outside a report)."""
    target = _target()
    if target is None:
        return None
    import io

    folder, _ = target
    name = _next_name("figure", _figure_title(fig))
    for suffix, options in ((".svg", {"format": "svg"}), (".png", {"format": "png", "dpi": PRINT_DPI})):
        buffer = io.BytesIO()
        fig.savefig(buffer, bbox_inches="tight", metadata=_metadata(suffix), **options)
        atomic_write(folder / f"{name}{suffix}", buffer.getvalue())
    return name


#: An image nbconvert wrote for a PNG output (a figure), not one inside an HTML output.
_IMAGE = re.compile(r'<div class="jp-RenderedImage[^"]*"[^>]*>\s*<img\b[^>]*\bsrc="data:image/png;base64,[^"]*"[^>]*>')


def links_under_figures(page: str, folder: Path, href: str) -> str:
    """``page`` with the links of figure N's files (``figure-NN-*``, as :func:`write_figure` named them in the
    order the figures were shown) put right under its N-th embedded image."""
    names = {}
    for path in sorted(folder.glob("figure-*.svg")) if folder.is_dir() else []:
        match = re.match(r"figure-(\d+)-", path.name)
        if match and path.with_suffix(".png").is_file():
            names[int(match.group(1))] = path.stem
    if not names:
        return page
    numbers = iter(range(1, 100_000))

    def add(match: re.Match) -> str:
        name = names.get(next(numbers))
        if name is None:
            return match.group(0)
        return match.group(0) + _links([("SVG", f"{href}/{name}.svg"), (f"PNG, {PRINT_DPI} dpi", f"{href}/{name}.png")],
                                       "This figure to download")

    return _IMAGE.sub(add, page)


def _metadata(suffix: str) -> dict:
    # no creation date, so the same figure gives the same file; the creator says what drew it
    return {"Date": None, "Creator": "peerbib"} if suffix == ".svg" else {"Software": "peerbib"}


def table_links(frame, title: str) -> str | None:
    """Write ``frame`` (every row) as CSV into the page's files folder; the HTML of its link (None outside
    a report). Cells a spreadsheet would run as a formula get a leading apostrophe."""
    target = _target()
    if target is None:
        return None
    folder, href = target
    name = _next_name("table", title) + ".csv"
    import pandas as pd

    safe = frame.apply(lambda column: column if pd.api.types.is_numeric_dtype(column)
                       else column.map(spreadsheet_text))
    atomic_write_text(folder / name, safe.to_csv(index=False))
    rows = f"{len(frame):,} row{'s' if len(frame) != 1 else ''}"
    return _links([(f"CSV, {rows}", f"{href}/{name}")], "This table to download")


def install() -> bool:
    """Inside a report's kernel (IPython, :data:`FILES_ENV` set): write each figure's files as it is shown.
    True when installed."""
    if _target() is None:
        return False
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    if shell is None:
        return False
    import matplotlib
    import matplotlib.pyplot as plt
    from matplotlib.figure import Figure

    # load the kernel's backend now (pyplot loads it at the first figure): the inline backend registers
    # the PNG formatter wrapped below as it loads
    plt.switch_backend(matplotlib.rcParams["backend"])

    formatter = shell.display_formatter.formatters["image/png"]
    try:
        draw = formatter.lookup_by_type(Figure)
    except KeyError:
        return False  # figures are not drawn as PNG here: nothing is shown, nothing to write
    if getattr(draw, "_peerbib_takeaway", False):
        return True

    def png(fig, *args, **kwargs):
        data = draw(fig, *args, **kwargs)
        if data:
            write_figure(fig)
        return data

    png._peerbib_takeaway = True
    formatter.for_type(Figure, png)
    return True
