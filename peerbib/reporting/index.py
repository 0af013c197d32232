"""The index page of the reports: the corpus in figures, the record of the search (a PRISMA-style flow and
the search as written down), each page with its question and key figure, the provenance."""
from __future__ import annotations

import html
import re
from pathlib import Path

from ..analysis.present import MISSING_CLASS
from .flow import FLOW_STYLE, flow_html, searches_html
from .provenance import provenance_html

__all__ = ["index_html"]

_IMG = re.compile(r'<img\b[^>]*\bsrc="(data:image/png;base64,[^"]+)"')
_TITLE = re.compile(r"<title>(.*?)</title>", re.DOTALL)
#: The paragraph a page shows when its data has nothing to show (``pb.Sentences(..., missing=True)``).
_MISSING = re.compile(rf'<p class="{MISSING_CLASS}"[^>]*>(.*?)</p>', re.DOTALL)


def _facts(tables) -> list[tuple[str, str]]:
    """The corpus in figures: (what, how many) rows of the summary table."""
    from ..statements.coverage import coverage_totals

    works = tables.works
    corpus = works[works["is_corpus"].fillna(False).astype(bool)]
    years = corpus["publication_year"].dropna()
    totals = coverage_totals(tables)
    share = f" ({totals['with_fulltext'] / totals['citing_works']:.0%})" if totals["citing_works"] else ""
    sources = sorted({str(s) for s in corpus["source"].dropna()}
                     | {str(s) for s in tables.statements["source"].dropna()}
                     | {str(s) for s in tables.tallies["source"].dropna()})
    return [
        ("corpus works", f"{len(corpus):,}"),
        ("years covered", f"{int(years.min())}–{int(years.max())}" if len(years) else "no dated work"),
        ("citing works", f"{totals['citing_works']:,}"),
        ("citation statements", f"{totals['statements']:,}; open full text read for {totals['with_fulltext']:,} of "
                                f"{totals['citing_works']:,} citing works{share}"
         if totals["statements"] or totals["citing_works"] else "none yet"),
        ("sources", ", ".join(sources) or "—"),
    ]


def _cards(folder: Path) -> list[str]:
    """A list item per page of ``folder``: its title as a link, and its key figure (else its first)."""
    e = html.escape
    cards = []
    for page in sorted(p for p in folder.glob("*.html") if p.name != "index.html"):
        text = page.read_text(encoding="utf-8")
        title = _TITLE.search(text)
        name = html.unescape(title.group(1).strip()) if title else page.stem
        image, missing = _key_figure(text), _MISSING.search(text)
        if image is None and missing is None:
            image = _IMG.search(text)
        if image is not None:
            shown = (f'<img src="{image.group(1)}" alt="key figure of {e(name, quote=True)}" '
                     'style="max-width:320px;max-height:200px;border:1px solid #ddd">')
        elif missing is not None:  # the page's own sentence on what is missing (already escaped there)
            shown = f'<p style="margin:0.3em 0;color:#444">{missing.group(1).strip()}</p>'
        else:
            shown = ""
        cards.append(f'<li style="margin:0 0 1.5em"><a href="{e(page.name, quote=True)}" style="font-size:1.15em">'
                     f"{e(name)}</a><br>{shown}</li>")
    return cards


def _key_figure(text: str):
    """The first figure of the page's cell tagged key-figure (None when that cell drew none)."""
    key = text.find("celltag_key-figure")
    if key < 0:
        return None
    end = text.find('class="jp-Cell ', key)
    return _IMG.search(text, key, end if end >= 0 else len(text))


def index_html(folder: Path, tables, prov: dict, rendered_at: str, run_command: str, hide_labels: bool) -> str:
    """The index page: the corpus in figures, the flow from the search to the statements and the search as
    written down, each page with its question and key figure, the provenance."""
    from ..analysis.descriptive import describe_corpus

    e = html.escape
    summary = "".join(f"<tr><th>{e(k)}</th><td>{e(v)}</td></tr>" for k, v in _facts(tables))
    cards = _cards(folder)
    record = flow_html(tables) + searches_html((getattr(tables, "info", None) or {}).get("raw"))
    labels = "<p>Citation-type labels are hidden in these reports.</p>" if hide_labels else ""
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>peerbib reports</title>"
        "<style>body{font-family:sans-serif;max-width:60em;margin:2em auto;padding:0 1em;color:#222}"
        "table{border-collapse:collapse}th,td{text-align:left;padding:3px 10px;border-bottom:1px solid #ddd}"
        "dt{font-weight:600;margin-top:0.4em}dd{margin-left:1.5em;overflow-wrap:anywhere}"
        f"ul{{list-style:none;padding:0}}{FLOW_STYLE}</style></head>\n<body>\n"
        f"<h1>peerbib reports</h1>\n{describe_corpus(tables)._repr_html_()}\n"
        f"<table>{summary}</table>\n{record}{labels}<h2>Reports</h2>\n<ul>{''.join(cards)}</ul>\n"
        f"<h2>Provenance</h2>\n{provenance_html(prov, run_command)}\n"
        f"<p style=\"color:#555;font-size:12px\">rendered {e(rendered_at)}</p>\n</body></html>\n"
    )
