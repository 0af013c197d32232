"""How a literature is cited: citation types per cited work, by section and citing year, with coverage.

Every chart has a data twin that returns the numbers it draws, and every
chart of citation types says how much of the citing literature its
statements cover (a work whose citing papers have no open full text has no
statements: that is missing data, not a work cited without support).

Sources are never summed: peerbib's classification of the statements it
holds and scite's tallies stay separate bars (the ``source`` column of
``tables.tallies``). ``hide_labels=True`` draws the same bars without type
labels or colours, for reviewers screening papers blind to how they are cited.
"""
from __future__ import annotations

import pandas as pd

from ..errors import AnalysisError
from ..statements.coverage import coverage_totals, statement_coverage
from ..statements.sections import CITATION_TYPES, SECTIONS
from ..statements.tallies import corrected_columns, tally_citation_types
# plot_citations_per_year lives beside its twin citations_per_year; imported here so that
# peerbib.analysis.citation_types.plot_citations_per_year, where it used to be, still works.
from .descriptive import plot_citations_per_year, short_work_label
from .present import TYPE_COLORS, new_axes

__all__ = ["TYPE_COLORS", "HIDDEN_COLOR", "citation_type_counts", "plot_citation_types", "citation_types_by",
           "plot_citation_types_by", "plot_citations_per_year", "example_statements", "coverage_note",
           "classifier_figures"]

#: The colour of every bar when the labels are hidden.
HIDDEN_COLOR = "#56678a"
_COUNTS = list(CITATION_TYPES)


def _tables(tables, what: str):
    if not (hasattr(tables, "works") and hasattr(tables, "tallies") and hasattr(tables, "statements")):
        raise AnalysisError(f"{what} needs the built tables (pb.load())")
    return tables


def _cut(text: str, width: int) -> str:
    """A chart label of at most ``width`` characters (tables keep the whole text)."""
    text = str(text)
    return text if len(text) <= width else text[: width - 1].rstrip() + "\u2026"


def coverage_note(tables) -> str:
    """One line on what the statements cover: citing works, with open full text read, statements."""
    totals = coverage_totals(_tables(tables, "coverage_note"))
    citing, read = totals["citing_works"], totals["with_fulltext"]
    share = f" ({read / citing:.0%})" if citing else ""
    imported = totals["statements"] - totals["statements_from_fulltext"]
    parts = [f"open full text read for {read} of {citing} citing works{share}"]
    parts.append(f"{totals['statements_from_fulltext']} statements from full text")
    if imported:
        parts.append(f"{imported} imported")
    return "coverage: " + ", ".join(parts)


def citation_type_counts(tables, *, sources=None, corrected: bool = True) -> pd.DataFrame:
    """The data of :func:`plot_citation_types`: one row per cited work and tally source.

    Parameters
    ----------
    tables : Tables
        The built tables (``pb.load()``).
    sources : list of str, optional
        Keep only these ``source`` values of ``tables.tallies``.

    Returns
    -------
    pandas.DataFrame
        ``cited_id, work, source, supporting, mentioning, contrasting,
        unclassified, classified`` (the sum of the four), ``citing_publications``,
        ``citation_statements``, and the coverage of each cited work's
        statements: ``citing_works``, ``with_fulltext``. Most cited works first;
        within a work, peerbib's rows before others. With ``corrected`` (the
        default), the rows of peerbib's default classifier also carry the shares of
        supporting and contrasting corrected for its measured error, with 95%
        intervals (``supporting_share``, ``supporting_corrected``, ``supporting_low``,
        ``supporting_high``, and the same for contrasting; see
        :func:`peerbib.statements.evaluate.corrected_share`).
    """
    tables = _tables(tables, "citation_type_counts")
    tallies = tables.tallies
    if sources is not None:
        wanted = [sources] if isinstance(sources, str) else list(sources)
        tallies = tallies[tallies["source"].isin(wanted)]
    works = tables.works.set_index("work_id")
    coverage = statement_coverage(tables).set_index("cited_id")
    out = pd.DataFrame({
        "cited_id": tallies["cited_id"].astype("str"),
        "work": [short_work_label(works.loc[w].to_dict()) if w in works.index else str(w)
                 for w in tallies["cited_id"].tolist()],
        "source": tallies["source"].astype("str"),
    })
    for column in _COUNTS:
        out[column] = tallies[column].fillna(0).astype("int64").to_numpy()
    out["classified"] = out[_COUNTS].sum(axis=1)
    out["citing_publications"] = tallies["citing_publications"].astype("Int64").to_numpy()
    out["citation_statements"] = tallies["citation_statements"].astype("Int64").to_numpy()
    out["citing_works"] = out["cited_id"].map(coverage["citing_works"]).fillna(0).astype("int64")
    out["with_fulltext"] = out["cited_id"].map(coverage["with_fulltext"]).fillna(0).astype("int64")
    out["_peerbib"] = ~out["source"].str.startswith("peerbib")
    out["_most"] = out.groupby("cited_id")["classified"].transform("max")
    out = out.sort_values(["_most", "cited_id", "_peerbib", "source"], ascending=[False, True, True, True],
                          kind="mergesort")
    out = out.drop(columns=["_peerbib", "_most"]).reset_index(drop=True)
    if corrected:
        out = corrected_columns(out, total="classified")
    out.attrs["coverage"] = coverage_note(tables)
    return out


def _stacked_bars(ax, labels, table: pd.DataFrame, *, share: bool, hide_labels: bool, horizontal: bool = True):
    """Bars stacked by type (fixed colours), or one neutral bar of the total when labels are hidden."""
    positions = list(range(len(labels)))
    totals = table[_COUNTS].sum(axis=1).to_numpy()
    draw = ax.barh if horizontal else ax.bar
    if hide_labels:
        values = [1.0 if share and t else float(t) for t in totals]
        draw(positions, values, color=HIDDEN_COLOR, **({"height": 0.7} if horizontal else {"width": 0.7}))
    else:
        start = [0.0] * len(labels)
        for kind in _COUNTS:
            values = [(v / t if t else 0.0) if share else float(v) for v, t in zip(table[kind].tolist(), totals)]
            offset = {"left": start} if horizontal else {"bottom": start}
            draw(positions, values, color=TYPE_COLORS[kind], label=kind, edgecolor="white", linewidth=0.5,
                 **offset, **({"height": 0.7} if horizontal else {"width": 0.7}))
            start = [a + b for a, b in zip(start, values)]
    for position, total in zip(positions, totals):
        end = 1.0 if share and total else (0.0 if share else float(total))
        if horizontal:
            ax.text(end, position, f" n={int(total)}", va="center", ha="left", fontsize="small", color="#333")
        else:
            ax.text(position, end, f"n={int(total)}", va="bottom", ha="center", fontsize="small", color="#333")
    # the labels are work titles, sources, sections: drawn as written (see .present)
    if horizontal:
        ax.set_yticks(positions, labels, parse_math=False)
        ax.invert_yaxis()
    else:
        ax.set_xticks(positions, labels, parse_math=False)
    if share:  # shares read as percentages
        from matplotlib.ticker import PercentFormatter

        (ax.xaxis if horizontal else ax.yaxis).set_major_formatter(PercentFormatter(1.0))


def plot_citation_types(counts, *, ax=None, share: bool = True, hide_labels: bool = False,
                        title: str | None = None):
    """Citation types per cited work: one stacked bar per work and source, sources side by side.

    Parameters
    ----------
    counts : DataFrame or Tables
        :func:`citation_type_counts`, or the built tables (counted here).
    ax : matplotlib Axes, optional
        Where to draw; a new figure when None.
    share : bool
        Bars as shares of each tally's statements (default), so a source with
        4 statements and one with 75 compare; ``n`` is printed at each bar.
    hide_labels : bool
        One neutral bar per tally (its statement count), no type colours or legend.
    title : str, optional

    Returns
    -------
    matplotlib Axes
    """

    if not isinstance(counts, pd.DataFrame):
        counts = citation_type_counts(counts)
    ax = new_axes(ax, (10, max(2.5, 0.55 * len(counts) + 1.5)))
    if not len(counts):
        ax.text(0.5, 0.5, "no citation statements or tallies", ha="center", va="center", transform=ax.transAxes)
        ax.set_axis_off()
    else:
        labels = [f"{_cut(w, 60)}\n[{s}]" for w, s in zip(counts["work"], counts["source"])]
        _stacked_bars(ax, labels, counts, share=share, hide_labels=hide_labels)
        ax.set_xlim(0, 1.15 if share else max(1.0, float(counts[_COUNTS].sum(axis=1).max()) * 1.15))
        if not hide_labels:
            ax.legend(ncols=4, loc="lower center", bbox_to_anchor=(0.5, 1.0), frameon=False, fontsize="small")
        ax.tick_params(axis="y", labelsize="small")
    what = "statements" if hide_labels else ("share of statements" if share else "statements")
    ax.set_xlabel(f"{what}\n{counts.attrs.get('coverage', '')}".rstrip(), linespacing=1.6)
    ax.set_title(title or ("Citation statements per cited work" if hide_labels else "Citation types per cited work"),
                 pad=24 if not hide_labels else 6, parse_math=False)
    return ax


def citation_types_by(tables, by: str) -> pd.DataFrame:
    """The data of :func:`plot_citation_types_by`: types per ``by`` (section or citing_year) and source.

    Summed over the cited works; one row per value of ``by`` and source
    (sources are never summed). Sections come in the order Introduction,
    Methods, Results, Discussion, Other; years in order.
    """
    tables = _tables(tables, "citation_types_by")
    if by not in ("section", "citing_year", "citing_type"):
        raise AnalysisError(f"citation_types_by: by must be section, citing_year or citing_type, not {by!r}")
    tallied = tally_citation_types(tables.statements, by=[by], tables=tables)
    if not len(tallied):
        out = pd.DataFrame({by: pd.Series(dtype="object"), "source": pd.Series(dtype="str")}
                           | {c: pd.Series(dtype="int64") for c in _COUNTS + ["statements"]})
    else:
        out = tallied.groupby([by, "source"], sort=False)[_COUNTS + ["statements"]].sum().reset_index()
    if by == "section":
        order = {s: i for i, s in enumerate(list(SECTIONS) + ["(not stated)"])}
        out["_order"] = out[by].map(lambda v: order.get(v, len(order)))
    else:
        out["_order"] = out[by].map(lambda v: (1, 0) if v == "(not stated)" else (0, v))
    out = out.sort_values(["source", "_order"], kind="mergesort").drop(columns="_order").reset_index(drop=True)
    out.attrs["coverage"] = coverage_note(tables)
    out.attrs["by"] = by
    return out


def plot_citation_types_by(df, *, by: str | None = None, ax=None, share: bool = False, hide_labels: bool = False,
                           title: str | None = None):
    """Citation types by section or citing year (stacked bars, one group per source).

    ``df`` is :func:`citation_types_by` (or the tables, with ``by``).
    """

    if not isinstance(df, pd.DataFrame):
        if by is None:
            raise AnalysisError("plot_citation_types_by needs by= (section or citing_year) with the tables")
        df = citation_types_by(df, by)
    by = by or df.attrs.get("by") or next(c for c in df.columns if c not in _COUNTS + ["source", "statements"])
    ax = new_axes(ax, (10, 4))
    if not len(df):
        ax.text(0.5, 0.5, "no citation statements", ha="center", va="center", transform=ax.transAxes)
        ax.set_axis_off()
    else:
        several = df["source"].nunique() > 1
        labels = [f"{v}\n[{s}]" if several else str(v) for v, s in zip(df[by], df["source"])]
        _stacked_bars(ax, labels, df, share=share, hide_labels=hide_labels, horizontal=False)
        ax.tick_params(axis="x", labelsize="small")
        top = 1.0 if share else max(1.0, float(df[_COUNTS].sum(axis=1).max()))
        ax.set_ylim(0, top * 1.15)
        if not share or hide_labels:
            ax.yaxis.get_major_locator().set_params(integer=True)
        if not hide_labels:
            ax.legend(ncols=4, loc="lower center", bbox_to_anchor=(0.5, 1.0), frameon=False, fontsize="small")
        if not several:
            ax.set_xlabel(f"source: {df['source'].iloc[0]}")
    names = {"section": "section of the citing work", "citing_year": "citing year", "citing_type": "citing work type"}
    ax.set_ylabel("share of statements" if share and not hide_labels else "statements")
    ax.set_xlabel(f"{ax.get_xlabel() or names.get(by, by)}\n{df.attrs.get('coverage', '')}".rstrip(),
                  linespacing=1.6, parse_math=False)  # holds the source's name
    noun = "Citation statements" if hide_labels else "Citation types"
    ax.set_title(title or f"{noun} by {names.get(by, by)}", pad=24 if not hide_labels else 6, parse_math=False)
    return ax


def example_statements(tables, *, per_type: int = 2, source: str | None = None) -> pd.DataFrame:
    """Statements to read, ``per_type`` of each type (most confident first), with the evidence for their type.

    Returns
    -------
    pandas.DataFrame
        ``type, confidence, work, section, text, evidence, source, source_type``.
    """
    tables = _tables(tables, "example_statements")
    statements = tables.statements
    if source is not None:
        statements = statements[statements["source"] == source]
    works = tables.works.set_index("work_id")
    rows = []
    for kind in _COUNTS:
        chosen = statements[statements["type"] == kind].sort_values(["confidence", "statement_id"],
                                                                    ascending=[False, True], kind="mergesort")
        rows.append(chosen.head(per_type))
    picked = pd.concat(rows, ignore_index=True) if rows else statements.iloc[0:0]
    return pd.DataFrame({
        "type": picked["type"].astype("str"),
        "confidence": picked["confidence"],
        "work": [short_work_label(works.loc[w].to_dict()) if w in works.index else w for w in picked["cited_id"]],
        "section": picked["section"].astype("str"),
        "text": picked["text"].astype("str"),
        "evidence": picked["evidence"].astype("str"),
        "source": picked["source"].astype("str"),
        "source_type": picked["source_type"].astype("str"),
    })


def classifier_figures(classifier=None, *, formatted: bool = False) -> pd.DataFrame:
    """How far to trust the citation types: the classifier's per-class figures on held-out papers.

    Parameters
    ----------
    classifier : optional
        A classifier from :func:`peerbib.train_classifier` / :func:`peerbib.load_classifier`;
        default peerbib's own (``peerbib-linear/3``).
    formatted : bool
        Return the table to show: each figure with its interval as text ("0.71 (0.59-0.83)").

    Returns
    -------
    pandas.DataFrame
        One row per type and the macro average: ``precision``, ``recall``, ``f1`` with their 95%
        intervals (``*_low``, ``*_high``) and ``support`` (coded statements of the type). For the
        default these are measured once, on the gold corpus's test split (papers no choice was made
        on), weighted as a user meets statements. ``attrs["note"]`` says it in a sentence and
        ``attrs["measured_on"]`` on what.
    """
    from ..statements.classify import default_classifier

    clf = classifier or default_classifier()
    figures = getattr(clf, "evaluation", None)
    if figures is None or not len(figures):
        raise AnalysisError(f"{getattr(clf, 'label', clf)} carries no measured figures")
    figures = figures.copy()
    meta = getattr(clf, "meta", {}) or {}
    test = meta.get("test", {}).get("test_split", {})
    measured_on = (f"the gold corpus's test split: {test.get('statements')} statements of {test.get('papers')} "
                   "papers held out before anything was fitted, weighted as a user meets statements"
                   if test else "held-out papers of the coded statements (cross-validation grouped by citing paper)")
    parts = []
    for kind in ("supporting", "contrasting"):
        if kind in figures.index:
            row = figures.loc[kind]
            parts.append(f"of the statements it calls {kind}, {row['precision']:.0%} are; it finds "
                         f"{row['recall']:.0%} of the {kind} ones")
    note = f"{clf.label}, measured on {measured_on}: " + "; ".join(parts) + "."
    if formatted:
        shown = pd.DataFrame(index=figures.index)
        for name in ("precision", "recall", "f1"):
            low, high = f"{name}_low", f"{name}_high"
            shown[name] = [f"{r[name]:.2f} ({r[low]:.2f}\u2013{r[high]:.2f})" if low in figures.columns
                           else f"{r[name]:.2f}" for _, r in figures.iterrows()]
        shown["coded statements"] = figures["support"].astype(int)
        shown.index.name = "type"
        figures = shown.reset_index()
    figures.attrs["note"] = note
    figures.attrs["measured_on"] = measured_on
    return figures
