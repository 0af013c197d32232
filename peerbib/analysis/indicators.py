"""Bibliometric indicators of the corpus: an overview, top lists, h-indices, local against global citations,
and retracted works (Lotka's and Bradford's laws are in :mod:`.laws`, re-exported here).

Each function returns a DataFrame and has a ``plot_*`` twin here that draws
it (and takes the tables too). Counting is full counting: a work with three
authors counts once for each of them, with all its citations. "Citations"
are OpenAlex's ``cited_by_count`` (global); "local citations" are citations
from the corpus works themselves (``tables.citations`` and the references
among corpus works). What the tables do not hold is shown as missing (an em
dash in tables), never as 0.
"""
from __future__ import annotations

import textwrap

import numpy as np
import pandas as pd

from ..errors import AnalysisError
from .laws import bradford, lotka, plot_bradford, plot_lotka
from .networks.units import (
    corpus_works,
    local_citations_edges,
    references,
    work_labels,
    work_units,
    year_now,
)
from .networks.plots import drawn_label as _cut
from .present import MISSING, PALETTE, legend_as_written, new_axes

__all__ = ["overview", "plot_overview", "top", "plot_top", "h_index", "plot_h_index", "lotka", "plot_lotka",
           "bradford", "plot_bradford", "citation_scores", "plot_citation_scores", "retracted_works",
           "plot_retracted_works", "TOP_WHAT", "H_UNITS"]

#: What :func:`top` ranks.
TOP_WHAT = ("works", "authors", "sources", "institutions", "countries", "keywords", "mesh", "topics")
#: The units :func:`h_index` is computed for.
H_UNITS = ("authors", "sources", "institutions", "countries")
_BY = ("works", "citations", "local_citations")


def _local_citations(tables) -> pd.Series:
    """work_id -> citations from corpus works (every corpus work, 0 where none)."""
    works = corpus_works(tables)
    edges = local_citations_edges(tables)
    ids = works["work_id"].drop_duplicates()
    return edges["cited_id"].value_counts().reindex(ids, fill_value=0).astype("int64")


def _global_citations(works: pd.DataFrame) -> pd.Series:
    """work_id -> OpenAlex's cited_by_count (missing where unknown)."""
    if "cited_by_count" not in works.columns:
        return pd.Series(pd.array([pd.NA] * len(works), dtype="Int64"), index=works["work_id"])
    values = pd.Series(pd.array(works["cited_by_count"], dtype="Int64"), index=works["work_id"])
    return values[~values.index.duplicated()]


def _optional_units(tables, unit: str) -> pd.DataFrame | None:
    try:
        return work_units(tables, unit)
    except AnalysisError:
        return None


# --- overview -------------------------------------------------------------------------------------------


def overview(tables, *, as_of: int | None = None) -> pd.DataFrame:
    """The corpus in a dozen figures, each with what it was computed from.

    Parameters
    ----------
    tables : Tables
        The built tables (``pb.load()``).
    as_of : int, optional
        The year ages are counted to (default: this year).

    Returns
    -------
    DataFrame
        ``measure, value, computed_from``: timespan, works, sources, annual
        growth rate (%), mean age (years), citations per work, local citations
        per work, references, references per work, authors, single-authored
        works, co-authors per work, international co-authorship (%),
        retracted works. A value the tables cannot give is "—".
    """
    as_of = year_now() if as_of is None else int(as_of)
    works = corpus_works(tables)
    n = len(works)
    rows: list[tuple[str, object, str]] = []
    years = pd.to_numeric(works["publication_year"], errors="coerce").dropna().astype("int64") \
        if "publication_year" in works.columns else pd.Series(dtype="int64")
    dated = f"publication_year of {len(years):,} of {n:,} corpus works"
    rows.append(("Timespan", f"{years.min()}\u2013{years.max()}" if len(years) else MISSING, dated))
    rows.append(("Works", n, "the works of the corpus files"))
    venues = _optional_units(tables, "sources")
    rows.append(("Sources", int(venues["unit_id"].nunique()) if venues is not None and len(venues) else MISSING,
                 "distinct venues (one however the databases spell it)"))
    growth = MISSING
    if len(years) and years.max() > years.min():
        per_year = years.value_counts()
        first, last = per_year.get(years.min(), 0), per_year.get(years.max(), 0)
        if first > 0:
            growth = round(((last / first) ** (1 / (years.max() - years.min())) - 1) * 100, 2)
    rows.append(("Annual growth rate (%)", growth,
                 "works in the first and last year: ((last / first)^(1 / years between) - 1) x 100"))
    rows.append(("Mean age (years)", round(float((as_of - years).mean()), 2) if len(years) else MISSING,
                 f"{as_of} minus the publication year, over {dated}"))
    cited = _global_citations(works).dropna()
    rows.append(("Citations per work", round(float(cited.mean()), 2) if len(cited) else MISSING,
                 f"OpenAlex's count of citing works, known for {len(cited):,} of {n:,} corpus works"))
    has_links = (getattr(tables, "citations", None) is not None and len(tables.citations)) or \
        getattr(tables, "references", None) is not None
    local = _local_citations(tables)
    rows.append(("Local citations per work", round(float(local.mean()), 2) if n and has_links else MISSING,
                 "citations from corpus works (their citation links and their references to each other)"))
    refs = getattr(tables, "references", None)
    if refs is not None:
        pairs = references(tables)
        citing = pairs["citing_id"].nunique()
        rows.append(("References", int(pairs["cited_id"].nunique()),
                     f"distinct works cited by {citing:,} of {n:,} corpus works (their reference lists)"))
        rows.append(("References per work", round(len(pairs) / citing, 2) if citing else MISSING,
                     "references of the corpus works that have any"))
    else:
        for measure in ("References", "References per work"):
            rows.append((measure, MISSING, "the reference lists (none in these tables)"))
    authors = _optional_units(tables, "authors")
    source = authors.attrs.get("source", "the authors") if authors is not None \
        else "the authors (none in these tables)"
    if authors is not None and len(authors):
        per_work = authors.groupby("work_id")["unit_id"].nunique()
        rows.append(("Authors", int(authors["unit_id"].nunique()), source))
        rows.append(("Single-authored works", int((per_work == 1).sum()),
                     f"{len(per_work):,} corpus works with authors ({source})"))
        rows.append(("Co-authors per work", round(float(per_work.mean()), 2), f"authors per work ({source})"))
    else:
        for measure in ("Authors", "Single-authored works", "Co-authors per work"):
            rows.append((measure, MISSING, source))
    countries = _optional_units(tables, "countries") if getattr(tables, "authorships", None) is not None else None
    if countries is not None and len(countries):
        per_work = countries.groupby("work_id")["unit_id"].nunique()
        rows.append(("International co-authorship (%)", round(float((per_work > 1).mean() * 100), 2),
                     f"works with authors in more than one country, of {len(per_work):,} works with a country "
                     "(the countries of their affiliations)"))
    else:
        rows.append(("International co-authorship (%)", MISSING, "the countries of the affiliations (none in these tables)"))
    if "is_retracted" in works.columns and works["is_retracted"].notna().any():
        flagged = works["is_retracted"].astype("boolean")
        rows.append(("Retracted works", int(flagged.fillna(False).sum()),
                     f"the retraction flag, known for {int(flagged.notna().sum()):,} of {n:,} corpus works"))
    else:
        rows.append(("Retracted works", MISSING, "the retraction flag (none in these tables)"))
    out = pd.DataFrame(rows, columns=["measure", "value", "computed_from"])
    out["value"] = out["value"].astype("object")
    out.attrs["as_of"] = as_of
    return out


def plot_overview(table, *, ax=None, title: str | None = None, as_of: int | None = None):
    """The overview as a figure: one row per measure (``table`` is :func:`overview` or the tables)."""
    import matplotlib as mpl

    if not isinstance(table, pd.DataFrame):
        table = overview(table, as_of=as_of)
    ax = new_axes(ax, (9, 0.32 * len(table) + 1))
    with mpl.rc_context({"font.size": 9}):
        ax.set_axis_off()
        cells = [[str(m), f"{v:,}" if isinstance(v, (int, np.integer)) else
                  (f"{v:,.2f}" if isinstance(v, float) else str(v)), _cut(f, 70)]
                 for m, v, f in table[["measure", "value", "computed_from"]].itertuples(index=False)]
        drawn = ax.table(cellText=cells, colLabels=["measure", "value", "computed from"], cellLoc="left",
                         colWidths=[0.28, 0.14, 0.58], bbox=[0, 0, 1, 1])
        for cell in drawn.get_celld().values():
            cell.get_text().set_parse_math(False)  # values and sources may hold names from outside
            cell.set_edgecolor("#DDDDDD")
        drawn.auto_set_font_size(False)
        drawn.set_fontsize(8)
        ax.set_title(title or "The corpus in figures", parse_math=False)
    return ax


# --- top lists ------------------------------------------------------------------------------------------


def top(tables, what: str = "works", *, by: str | None = None, n: int = 20) -> pd.DataFrame:
    """The ``n`` works, authors, sources, institutions, countries or keywords with most works or citations.

    Parameters
    ----------
    tables : Tables
    what : {"works", "authors", "sources", "institutions", "countries", "keywords", "mesh", "topics"}
    by : {"works", "citations", "local_citations"}, optional
        Rank by corpus works (not for ``what="works"``), OpenAlex citations, or
        local citations. Default: citations for works, works otherwise.
    n : int
        Rows returned (None for all).

    Returns
    -------
    DataFrame
        ``rank, id, label, works, citations, local_citations`` (works also
        ``publication_year``), ranked by ``by``, then works, citations, label.
        Full counting: every author of a work gets the whole work.
    """
    if what not in TOP_WHAT:
        raise AnalysisError(f"top: what must be one of {', '.join(TOP_WHAT)}, not {what!r}")
    by = by or ("citations" if what == "works" else "works")
    if by not in _BY:
        raise AnalysisError(f"top: by must be one of {', '.join(_BY)}, not {by!r}")
    if what == "works" and by == "works":
        raise AnalysisError("top works are ranked by citations or local_citations: pass by='citations'")
    works = corpus_works(tables).drop_duplicates("work_id")
    cited = _global_citations(works)
    local = _local_citations(tables)
    if what == "works":
        out = pd.DataFrame({"id": works["work_id"].to_numpy(), "label": work_labels(works).to_numpy(),
                            "publication_year": pd.array(works["publication_year"], dtype="Int64")
                            if "publication_year" in works.columns else pd.NA,
                            "works": 1, "citations": cited.reindex(works["work_id"]).to_numpy(),
                            "local_citations": local.reindex(works["work_id"]).to_numpy()})
    else:
        carried = work_units(tables, what)
        carried = carried.assign(citations=carried["work_id"].map(cited),
                                 local_citations=carried["work_id"].map(local))
        grouped = carried.groupby("unit_id", sort=False)
        out = pd.DataFrame({"label": grouped["label"].first(), "works": grouped["work_id"].nunique(),
                            "citations": grouped["citations"].sum(min_count=1),
                            "local_citations": grouped["local_citations"].sum()}).rename_axis("id").reset_index()
    out["citations"] = pd.array(out["citations"], dtype="Int64")
    out["local_citations"] = pd.array(out["local_citations"], dtype="Int64")
    keys = [by] + [k for k in ("works", "citations", "local_citations") if k != by]
    out = out.sort_values(keys + ["label", "id"], ascending=[False] * len(keys) + [True, True], kind="mergesort",
                          na_position="last").reset_index(drop=True)
    if n is not None:
        out = out.head(n)
    out.insert(0, "rank", np.arange(1, len(out) + 1))
    out.attrs.update(what=what, by=by,
                     counting="full counting: each unit of a work gets the whole work and its citations")
    return out


_BY_NAMES = {"works": "corpus works", "citations": "citations (OpenAlex)", "local_citations": "local citations"}


def plot_top(table, *, ax=None, what: str = "works", by: str | None = None, n: int = 20, title: str | None = None):
    """Horizontal bars of :func:`top` (``table`` is its result, or the tables with ``what``, ``by``, ``n``)."""
    if not isinstance(table, pd.DataFrame):
        table = top(table, what, by=by, n=n)
    what, by = table.attrs.get("what", what), table.attrs.get("by", by or "works")
    ax = new_axes(ax, (9, max(2.5, 0.3 * len(table) + 1.2)))
    if not len(table):
        ax.text(0.5, 0.5, f"no {what} in these tables", ha="center", va="center", transform=ax.transAxes)
        ax.set_axis_off()
        return ax
    values = pd.array(table[by], dtype="Float64").fillna(0).to_numpy(float)
    positions = np.arange(len(table))
    ax.barh(positions, values, color=PALETTE[0], height=0.7)
    ax.set_yticks(positions, [_cut(label, 50) for label in table["label"]], parse_math=False)
    ax.invert_yaxis()
    ax.tick_params(axis="y", labelsize="small")
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.set_xlabel(f"{_BY_NAMES.get(by, by)}; {table.attrs.get('counting', '')}", fontsize="small",
                  parse_math=False)
    ax.set_title(title or f"Top {what} by {_BY_NAMES.get(by, by)}", parse_math=False)
    return ax


# --- h-index ------------------------------------------------------------------------------------------


def h_index(tables, *, unit: str = "authors", citations: str = "global", as_of: int | None = None) -> pd.DataFrame:
    """h-, g- and m-index of each author, source, institution or country, from its corpus works.

    Parameters
    ----------
    tables : Tables
    unit : {"authors", "sources", "institutions", "countries"}
    citations : {"global", "local"}
        OpenAlex's ``cited_by_count`` (works without one count 0), or citations
        from corpus works.
    as_of : int, optional
        The year the m-index counts to (default: this year).

    Returns
    -------
    DataFrame
        ``id, label, works, citations, h, g, m, first_year``. h: the largest h
        with h works cited at least h times each; g: the largest g whose g most
        cited works have at least g² citations together (g <= works); m: h over
        the years since the first work (as_of - first_year + 1). A work without
        a citation count counts 0; a unit none of whose works has one has no
        index (missing). Sorted by h, g, citations (most first), then label.
    """
    if unit not in H_UNITS:
        raise AnalysisError(f"h_index: unit must be one of {', '.join(H_UNITS)}, not {unit!r}")
    if citations not in ("global", "local"):
        raise AnalysisError(f"h_index: citations must be 'global' or 'local', not {citations!r}")
    as_of = year_now() if as_of is None else int(as_of)
    works = corpus_works(tables).drop_duplicates("work_id")
    counts = _local_citations(tables) if citations == "local" else _global_citations(works)
    years = pd.Series(pd.to_numeric(works["publication_year"], errors="coerce").to_numpy(),
                      index=works["work_id"]) if "publication_year" in works.columns else pd.Series(dtype=float)
    carried = work_units(tables, unit)
    known = carried["work_id"].map(counts).notna()
    frame = carried.assign(c=carried["work_id"].map(counts).fillna(0).astype("int64"),
                           year=carried["work_id"].map(years), known=known.to_numpy())
    frame = frame.sort_values(["unit_id", "c"], ascending=[True, False], kind="mergesort").reset_index(drop=True)
    frame["r"] = frame.groupby("unit_id").cumcount() + 1
    frame["total"] = frame.groupby("unit_id")["c"].cumsum()
    grouped = frame.groupby("unit_id", sort=False)
    out = pd.DataFrame({"label": grouped["label"].first(), "works": grouped["r"].max(),
                        "citations": grouped["c"].sum(), "first_year": grouped["year"].min()})
    out["h"] = frame[frame["c"] >= frame["r"]].groupby("unit_id")["r"].max().reindex(out.index, fill_value=0)
    out["g"] = frame[frame["total"] >= frame["r"] ** 2].groupby("unit_id")["r"].max().reindex(out.index,
                                                                                                fill_value=0)
    out["first_year"] = pd.array(out["first_year"].round(), dtype="Int64")
    span = (as_of - out["first_year"] + 1).astype("Float64")
    out["m"] = (out["h"] / span.where(span > 0)).round(3)
    # a unit none of whose works has a citation count has no index (missing, not 0)
    counted = grouped["known"].any().reindex(out.index)
    for column, dtype in (("citations", "Int64"), ("h", "Int64"), ("g", "Int64"), ("m", "Float64")):
        out[column] = out[column].astype(dtype).where(counted, pd.NA)
    out = out.rename_axis("id").reset_index()
    out = out[["id", "label", "works", "citations", "h", "g", "m", "first_year"]]
    out = out.sort_values(["h", "g", "citations", "label"], ascending=[False, False, False, True],
                          kind="mergesort", na_position="last").reset_index(drop=True)
    out.attrs.update(unit=unit, citations=citations, as_of=as_of, source=carried.attrs.get("source", unit))
    return out


def plot_h_index(table, *, ax=None, unit: str = "authors", n: int = 20, title: str | None = None):
    """The ``n`` highest h-indices as bars, with each g-index as a mark (``table``: :func:`h_index` or the tables)."""
    if not isinstance(table, pd.DataFrame):
        table = h_index(table, unit=unit)
    unit = table.attrs.get("unit", unit)
    shown = table.dropna(subset=["h"]).head(n)
    ax = new_axes(ax, (9, max(2.5, 0.3 * len(shown) + 1.2)))
    if not len(shown):
        ax.text(0.5, 0.5, f"no {unit} with citation counts in these tables", ha="center", va="center",
                transform=ax.transAxes)
        ax.set_axis_off()
        return ax
    positions = np.arange(len(shown))
    ax.barh(positions, shown["h"].to_numpy(dtype=float), color=PALETTE[0], height=0.7, label="h-index")
    ax.scatter(shown["g"].to_numpy(dtype=float), positions, color=PALETTE[1], marker="D", s=22, zorder=3, label="g-index")
    ax.set_yticks(positions, [_cut(label, 45) for label in shown["label"]], parse_math=False)
    ax.invert_yaxis()
    ax.tick_params(axis="y", labelsize="small")
    ax.xaxis.get_major_locator().set_params(integer=True)
    legend_as_written(ax.legend(frameon=False, fontsize="small", loc="lower right"))
    which = "local citations" if table.attrs.get("citations") == "local" else "OpenAlex citations"
    ax.set_xlabel(f"index, from the corpus works' {which}", parse_math=False)
    ax.set_title(title or f"h-index of {unit}", parse_math=False)
    return ax


# --- local and global citations ---------------------------------------------------------------------------


def citation_scores(tables) -> pd.DataFrame:
    """Local against global citations of each corpus work.

    Returns
    -------
    DataFrame
        ``work_id, label, publication_year, local_citations`` (from corpus
        works), ``global_citations`` (OpenAlex's ``cited_by_count``),
        ``local_share`` (local / global; missing where global is unknown or 0)
        and ``fwci`` where the works table has it. Most locally cited first.
    """
    works = corpus_works(tables).drop_duplicates("work_id")
    local = _local_citations(tables)
    cited = _global_citations(works)
    out = pd.DataFrame({"work_id": works["work_id"].to_numpy(), "label": work_labels(works).to_numpy(),
                        "publication_year": pd.array(works["publication_year"], dtype="Int64")
                        if "publication_year" in works.columns else pd.NA,
                        "local_citations": local.reindex(works["work_id"]).to_numpy(),
                        "global_citations": pd.array(cited.reindex(works["work_id"]).to_numpy(), dtype="Int64")})
    share = out["local_citations"] / out["global_citations"].astype("Float64")
    out["local_share"] = share.where(out["global_citations"] > 0).round(3)
    if "fwci" in works.columns:
        out["fwci"] = pd.array(pd.to_numeric(works["fwci"], errors="coerce"), dtype="Float64")
    out = out.sort_values(["local_citations", "global_citations", "work_id"], ascending=[False, False, True],
                          kind="mergesort", na_position="last").reset_index(drop=True)
    return out


def plot_citation_scores(table, *, ax=None, labels: int = 8, title: str | None = None):
    """Each corpus work's local against global citations (symmetric log scales), the most locally cited named."""
    if not isinstance(table, pd.DataFrame):
        table = citation_scores(table)
    ax = new_axes(ax, (8, 5))
    known = table[table["global_citations"].notna()]
    if not len(known):
        ax.text(0.5, 0.5, "no OpenAlex citation counts in these tables", ha="center", va="center",
                transform=ax.transAxes)
        ax.set_axis_off()
        return ax
    x = known["global_citations"].astype("float64")
    y = known["local_citations"].astype("float64")
    ax.scatter(x, y, s=18, color=PALETTE[0], alpha=0.7)
    for row in known.head(labels).itertuples(index=False):
        ax.annotate(_cut(row.label, 30), (float(row.global_citations), float(row.local_citations)),
                    xytext=(4, 2), textcoords="offset points", fontsize="x-small").set_parse_math(False)
    ax.set_xscale("symlog", linthresh=1)
    ax.set_yscale("symlog", linthresh=1)
    ax.set_xlabel(f"global citations (OpenAlex cited_by_count)\n{len(known):,} of {len(table):,} corpus works "
                  "with a count", parse_math=False)
    ax.set_ylabel("local citations (from corpus works)")
    ax.set_title(title or "Local and global citations", parse_math=False)
    return ax


# --- retracted works ---------------------------------------------------------------------------------------


def retracted_works(tables) -> pd.DataFrame:
    """Retracted works in the corpus or among its references (``works.is_retracted``).

    Returns
    -------
    DataFrame
        ``work_id, label, publication_year, in_corpus, cited_by_corpus``
        (corpus works citing it), ``citing_ids`` ("W1; W2"). Empty when
        nothing is flagged; ``attrs["note"]`` says what was looked at, or that
        the tables do not say which works are retracted.
    """
    columns = {"work_id": "str", "label": "str", "publication_year": "Int64", "in_corpus": "boolean",
               "cited_by_corpus": "int64", "citing_ids": "str"}
    empty = pd.DataFrame({c: pd.Series(dtype=d) for c, d in columns.items()})
    works = getattr(tables, "works", None)
    if works is None:
        raise AnalysisError("retracted_works needs the built tables (pb.load())")
    if "is_retracted" not in works.columns or not works["is_retracted"].notna().any():
        empty.attrs["note"] = ("the works table does not say which works are retracted: "
                               "fetch the corpus from OpenAlex (peerbib fetch, then peerbib build)")
        return empty
    corpus = set(corpus_works(tables)["work_id"])
    flagged = works[works["is_retracted"].astype("boolean").fillna(False)].drop_duplicates("work_id")
    flagged = flagged.assign(work_id=flagged["work_id"].astype("str"))
    links = [local_citations_edges(tables)]
    if getattr(tables, "references", None) is not None:
        links.append(references(tables))
    citing = pd.concat(links, ignore_index=True).drop_duplicates()
    citing = citing[citing["cited_id"].isin(flagged["work_id"])]
    by_cited = citing.sort_values("citing_id").groupby("cited_id")["citing_id"].agg(list)
    flagged = flagged[flagged["work_id"].isin(corpus) | flagged["work_id"].isin(by_cited.index)]
    out = pd.DataFrame({
        "work_id": flagged["work_id"].to_numpy(),
        "label": work_labels(flagged).to_numpy(),
        "publication_year": pd.array(flagged["publication_year"], dtype="Int64")
        if "publication_year" in flagged.columns else pd.NA,
        "in_corpus": pd.array(flagged["work_id"].isin(corpus).to_numpy(), dtype="boolean"),
        "cited_by_corpus": [len(by_cited.get(w, [])) for w in flagged["work_id"]],
        "citing_ids": ["; ".join(by_cited.get(w, [])) for w in flagged["work_id"]],
    }).astype(columns)
    out = out.sort_values(["cited_by_corpus", "work_id"], ascending=[False, True], kind="mergesort")
    out = out.reset_index(drop=True)
    known = int(works["is_retracted"].notna().sum())
    out.attrs["note"] = (f"{len(out):,} retracted works in the corpus or cited by it; the retraction flag known for "
                         f"{known:,} of {len(works):,} works")
    return out


def plot_retracted_works(table, *, ax=None, title: str | None = None):
    """Retracted works by how many corpus works cite them (``table``: :func:`retracted_works` or the tables)."""
    if not isinstance(table, pd.DataFrame):
        table = retracted_works(table)
    ax = new_axes(ax, (9, max(2.0, 0.3 * len(table) + 1.2)))
    note = table.attrs.get("note", "")
    if not len(table):
        ax.text(0.5, 0.5, "\n".join(textwrap.wrap(f"no retracted works found: {note}", 80)), ha="center",
                va="center", transform=ax.transAxes, parse_math=False)
        ax.set_axis_off()
        ax.set_title(title or "Retracted works", parse_math=False)
        return ax
    positions = np.arange(len(table))
    colors = [PALETTE[5] if in_corpus else PALETTE[7] for in_corpus in table["in_corpus"].fillna(False)]
    ax.barh(positions, table["cited_by_corpus"], color=colors, height=0.7)
    ax.set_yticks(positions, [_cut(label, 50) + (" [corpus]" if c else "")
                              for label, c in zip(table["label"], table["in_corpus"].fillna(False))],
                  parse_math=False)
    ax.invert_yaxis()
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.set_xlabel(f"corpus works citing it\n{note}", parse_math=False)
    ax.set_title(title or "Retracted works in the corpus or cited by it", parse_math=False)
    return ax
