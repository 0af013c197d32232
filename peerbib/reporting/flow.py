"""The record of the search on the index: a PRISMA-style flow from the records in the exports to the
classified statements, and the search itself as the researcher wrote it down (``searches.csv`` / ``.md``)."""
from __future__ import annotations

import html
import logging
from pathlib import Path

import pandas as pd

from ..errors import PeerbibError

__all__ = ["search_flow", "flow_html", "searches_html", "FLOW_STYLE"]

logger = logging.getLogger("peerbib")


def _stage(name: str, count, what: str) -> dict:
    return {"stage": name, "count": None if count is None else int(count), "what": what}


def search_flow(tables) -> list[dict]:
    """The stages from the exports to the classified statements, each with its count.

    Parameters
    ----------
    tables : Tables
        The built tables (``pb.load()``).

    Returns
    -------
    list of dict
        One dict per stage, in order: ``stage`` (its name), ``count`` (an int, or None when the stage has
        no data: not fetched, no corpus file listed) and ``what`` (a few words on what is counted, or why
        there is nothing). Citing works are works outside the corpus that cite a corpus work; "with open
        full text" counts those of them whose full text was read; "classified" counts statements with a
        type other than unclassified.
    """
    info = getattr(tables, "info", None) or {}
    files = info.get("corpus") or []
    works = tables.works
    in_corpus = works["is_corpus"].fillna(False).astype(bool)
    corpus = works[in_corpus]
    sources = corpus["source"].fillna("").astype("str") if "source" in corpus else pd.Series("", index=corpus.index)
    fetched = int(sources.str.contains("openalex").sum())
    citations = tables.citations
    citing = set(citations.loc[citations["cited_id"].isin(set(corpus["work_id"])), "citing_id"]) \
        - set(corpus["work_id"])
    with_text = citing & set(works.loc[works["fulltext_source"].notna(), "work_id"]) \
        if "fulltext_source" in works else set()
    statements = tables.statements
    types = statements["type"].fillna("unclassified").astype("str") if "type" in statements \
        else pd.Series("unclassified", index=statements.index)
    classified = int((types != "unclassified").sum())
    per_file = "; ".join(f"{f['file']} ({f['format']}): {int(f['records']):,}" for f in files)
    flow = [
        _stage("records in the exports", sum(int(f["records"]) for f in files) if files else None,
               per_file if files else "no corpus file listed"),
        _stage("duplicates merged", (info.get("corpus_merged") or 0) if files else None,
               "records of a work already counted (the same DOI, or title, year and first author)"
               if files else "no corpus file listed"),
        _stage("works", len(corpus), "the corpus: one row per work"),
    ]
    if fetched:
        flow.append(_stage("fetched from OpenAlex", fetched, "corpus works OpenAlex found"))
        flow.append(_stage("citing works", len(citing), "works outside the corpus that cite it"))
    else:
        flow.append(_stage("fetched from OpenAlex", None, "not fetched: run peerbib fetch"))
        flow.append(_stage("citing works", len(citing) if citing else None,
                           "works outside the corpus that cite it" if citing else "not fetched"))
    flow.append(_stage("with open full text", len(with_text) if with_text else None,
                       "citing works whose open full text was read" if with_text
                       else "no full text read: run peerbib fetch --fulltext"))
    imported = int(statements["fulltext_source"].isna().sum()) if "fulltext_source" in statements \
        else len(statements)
    flow.append(_stage("statements", len(statements) if len(statements) else None,
                       f"sentences citing a corpus work: {len(statements) - imported:,} from full text, "
                       f"{imported:,} imported" if len(statements)
                       else "none: run peerbib fetch --fulltext, or import statements"))
    flow.append(_stage("classified", classified if len(statements) else None,
                       f"statements with a type; {len(statements) - classified:,} unclassified"
                       if len(statements) else "no statements to classify"))
    return flow


#: The CSS of :func:`flow_html`, for the page's head.
FLOW_STYLE = ("ol.flow{list-style:none;padding:0;margin:1em 0;max-width:34em}"
          "ol.flow li{border:2px solid #4a6fa5;border-radius:6px;padding:0.4em 0.8em;margin:0;background:#f4f7fb;"
          "position:relative}"
          "ol.flow li+li{margin-top:1.7em}"
          # the arrow is decoration: the list's order says the same to a screen reader ("" is its alt text)
          'ol.flow li+li::before{content:"\\2193";content:"\\2193"/"";position:absolute;left:1em;top:-1.45em;'
          "color:#4a6fa5;font-size:1.1em;line-height:1.2}"
          "ol.flow li.empty{border-style:dashed;border-color:#888;background:#fafafa;color:#444}"
          "ol.flow li.side{margin-left:2.5em;border-color:#a66;background:#fbf4f4}"
          "ol.flow .n{font-size:1.3em;font-weight:700;margin-right:0.4em}"
          "ol.flow .what{display:block;font-size:0.9em;color:#444;overflow-wrap:anywhere}")


def flow_html(tables) -> str:
    """The flow of :func:`search_flow` as an ordered list of boxes joined by arrows (HTML, styled by
    :data:`FLOW_STYLE`; every text escaped); a stage with no data is a dashed box saying so."""
    e = html.escape
    items = []
    for stage in search_flow(tables):
        side = stage["stage"] == "duplicates merged"
        empty = stage["count"] is None
        count = "—" if empty else (f"−{stage['count']:,}" if side else f"{stage['count']:,}")
        css = " ".join(c for c in ("side" if side else "", "empty" if empty else "") if c)
        attribute = f' class="{css}"' if css else ""
        items.append(f'<li{attribute}><span class="n">{e(count)}</span>'
                     f'<strong>{e(stage["stage"])}</strong><span class="what">{e(stage["what"])}</span></li>')
    return ('<section aria-labelledby="flow-title"><h2 id="flow-title">From the search to the statements</h2>\n'
            f'<ol class="flow">{"".join(items)}</ol></section>\n')


def searches_html(raw) -> str:
    """The search as the researcher wrote it down in ``raw/corpus/`` (a table from ``searches.csv``, the
    text of ``searches.md``), escaped; a sentence on where to write it when neither is there."""
    from ..corpus.searches import read_searches

    e = html.escape
    head = "<h2>The search</h2>\n"
    if not raw or not Path(raw).is_dir():
        return ""
    try:
        searches = read_searches(raw)
    except (PeerbibError, OSError) as exc:
        logger.warning("peerbib report: the search record was not shown: %s", exc)
        return f"{head}<p>The search record could not be read: {e(str(exc))}</p>\n"
    if searches is None:
        return (f"{head}<p>Not written down: list each database, query, date and record count in "
                "<code>data/raw/corpus/searches.csv</code> (or describe the search in "
                "<code>searches.md</code>) and it shows here.</p>\n")
    if isinstance(searches, str):
        return f'{head}<pre style="white-space:pre-wrap;overflow-wrap:anywhere">{e(searches)}</pre>\n'
    header = "".join(f'<th scope="col">{e(c)}</th>' for c in searches.columns)
    rows = "".join("<tr>" + "".join(f"<td>{e(str(v))}</td>" for v in row) + "</tr>"
                   for row in searches.itertuples(index=False))
    return f"{head}<table><thead><tr>{header}</tr></thead><tbody>{rows}</tbody></table>\n"
