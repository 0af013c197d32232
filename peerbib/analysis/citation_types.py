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

import re

import pandas as pd

from ..errors import AnalysisError
from ..statements.coverage import coverage_totals, statement_coverage
from ..statements.sections import CITATION_TYPES, SECTIONS
from ..statements.tallies import corrected_columns, tally_citation_types
# plot_citations_per_year lives beside its twin citations_per_year; imported here so that
# peerbib.analysis.citation_types.plot_citations_per_year, where it used to be, still works.
from .descriptive import plot_citations_per_year, short_work_label
from .present import TYPE_COLORS, Marked, new_axes

__all__ = ["TYPE_COLORS", "HIDDEN_COLOR", "citation_type_counts", "plot_citation_types", "citation_types_by",
           "plot_citation_types_by", "plot_citations_per_year", "example_statements", "coverage_note",
           "classifier_figures", "evidence_in_words", "source_agreement", "statement_summary"]

#: What the classifier's evidence puts before the type it decided.
ARROW = "\u2192"
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


def statement_summary(tables, *, hide_labels: bool = False) -> str:
    """The statements in one or two sentences with each count labelled: how many, found in open full text
    or imported (from which sources), the citing works and how many were read in open full text, and
    (unless ``hide_labels``) how many are unclassified. Empty when the tables hold no statement."""
    tables = _tables(tables, "statement_summary")
    statements = tables.statements
    if not len(statements):
        return ""
    totals = coverage_totals(tables)
    found = totals["statements_from_fulltext"]
    imported = statements[statements["fulltext_source"].isna()] if "fulltext_source" in statements else statements
    parts = [f"{found:,} found in the open full text of the citing works"]
    if len(imported):
        parts.append(f"{len(imported):,} imported from {_and(sorted(set(imported['source'].astype('str'))))}")
    out = f"**{len(statements):,} citation statement{'s' if len(statements) != 1 else ''}** of the corpus works: " \
        + ", ".join(parts) + "."
    citing, read = totals["citing_works"], totals["with_fulltext"]
    out += (f" The tables hold {citing:,} work{'s' if citing != 1 else ''} citing the corpus; peerbib read the open "
            f"full text of {read:,} of them." if citing else " The tables hold no work citing the corpus.")
    nameless = int(statements["citing_id"].isna().sum())
    if nameless:
        out += (f" {nameless:,} statement{'s do' if nameless != 1 else ' does'} not name the work that wrote "
                f"{'them' if nameless != 1 else 'it'}.")
    if not hide_labels:
        unclassified = int((statements["type"] == "unclassified").sum())
        out += (f" {unclassified:,} of the {len(statements):,} are unclassified (no type reached the probability it "
                "needs)." if unclassified else " None is unclassified: each reached the probability its type needs.")
    return out


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
        One neutral bar per tally, its statement count, with no type colours
        or legend. ``share`` is ignored then: without types every bar would
        be 100 %.
    title : str, optional

    Returns
    -------
    matplotlib Axes
    """

    share = share and not hide_labels
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

    ``df`` is :func:`citation_types_by` (or the tables, with ``by``). With
    ``hide_labels`` the bars are neutral statement counts (``share`` ignored).
    """

    share = share and not hide_labels
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
    """Statements to read, ``per_type`` of each type (most confident first), with who wrote them and why
    they got their type.

    Returns
    -------
    pandas.DataFrame
        ``type, confidence, work`` (the cited work), ``citing_work`` (authors, year and title of the
        citing work, when the data names it), ``citing_doi``, ``section`` (with the citing work's own
        heading when it differs), ``text`` (the statement: a :class:`~peerbib.analysis.present.Marked`
        string whose marked parts are the callouts of the cited work, where the data gives them),
        ``why`` (the evidence in words), ``evidence`` (as the classifier gave it), ``source`` and
        ``source_type``. ``attrs["note"]`` says in words what a reader of the table should know:
        statements whose citing work or callout the data does not give, citations printed without a year.
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
    records = picked.to_dict("records")
    citing = [works.loc[c].to_dict() if isinstance(c, str) and c in works.index else None
              for c in picked["citing_id"]]
    out = pd.DataFrame({
        "type": picked["type"].astype("str"),
        "confidence": picked["confidence"],
        "work": [short_work_label(works.loc[w].to_dict()) if w in works.index else w for w in picked["cited_id"]],
        "citing_work": [_citing_label(c) for c in citing],
        "citing_doi": [_citing_doi(w, c) for w, c in zip(picked["citing_id"], citing)],
        "section": [_section(r) for r in records],
        "text": pd.Series([_marked(r) for r in records], dtype="object"),  # object: a str column drops the marks
        "why": [evidence_in_words(e) for e in picked["evidence"]],
        "evidence": picked["evidence"].astype("str"),
        "source": picked["source"].astype("str"),
        "source_type": picked["source_type"].astype("str"),
    })
    out.attrs["note"] = _reading_note(out)
    return out


def _citing_doi(citing_id, work) -> str | None:
    """The citing work's DOI: from the works table, else from an id made of it ("doi:10.…")."""
    doi = work.get("doi") if work else None
    if isinstance(doi, str) and doi:
        return doi
    if isinstance(citing_id, str) and citing_id.lower().startswith("doi:"):
        return citing_id[4:]
    return None


def _citing_label(work) -> str | None:
    """"Moore T.; Holley J. (2021). More 'milk' than …" for a citing work, None when the data names none."""
    if not work:
        return None
    from .descriptive import work_label

    authors = work.get("authors")
    names = [a.strip() for a in authors.split(";") if a.strip()] if isinstance(authors, str) else []
    who = (names[0] + " et al." if len(names) > 2 else " & ".join(names)) if names else None
    year = work.get("publication_year")
    when = f"({int(year)})" if isinstance(year, (int, float)) and year == year else None
    title = work_label({k: v for k, v in work.items() if k != "authors"}) if work.get("title") else None
    return " ".join(p for p in (who, when, title) if p) or None


def _section(row) -> str:
    section, heading = row.get("section"), row.get("section_heading")
    shown = str(section) if isinstance(section, str) and section else "(not stated)"
    if isinstance(heading, str) and heading.strip() and heading.strip().lower() != shown.lower():
        return f"{shown} ({heading.strip()})"
    return shown


_BRACKETS = re.compile(r"[\[\]()]")


def _marked(row) -> Marked:
    """The statement's text with the cited work's callouts marked: each callout as printed, or, for a
    callout the data gives as the first author's name alone, the citation that name begins."""
    text = str(row.get("text") or "")
    callout = row.get("callout")
    if not isinstance(callout, str) or not callout.strip() or not text:
        return Marked(text)
    pieces = [callout.strip()] + [p for p in re.split(r"(?<=[\])])\s+(?=[\[(])", callout.strip()) if p]
    spans = []
    for piece in dict.fromkeys(pieces):
        bare_name = not _BRACKETS.search(piece) and not any(ch.isdigit() for ch in piece)
        pattern = re.escape(piece) + (r"[^();\[\]]*" if bare_name else "")
        for found in re.finditer(pattern, text):
            end = found.end()
            while end > found.start() and text[end - 1] in " ,":  # "Gillard et al., " -> "Gillard et al."
                end -= 1
            spans.append((found.start(), end))
        if spans and piece == pieces[0]:
            break
    return Marked(text, spans)


#: A citation printed without its year: "(Nestor & Galletly, )", "Wright, ; Gillard et al., )".
_NO_YEAR = re.compile(r"(?:\bet al\.?|\b[A-Z][\w'’‐-]+),\s*[;)]")
#: The words a classifier's evidence quotes.
_QUOTED = re.compile(r"^'([^']+)'$")


def evidence_in_words(evidence) -> str | None:
    """The classifier's evidence for a type said in words a reader follows.

    ``"'consistent with' + in the Discussion + 'these findings' → supporting"`` becomes
    ``"the words 'consistent with' and 'these findings'; it stands in the Discussion"``. A decision
    below its threshold says how likely its nearest type was and what it needed. Evidence in another
    form keeps the words it quotes. None when there is no evidence.
    """
    if not isinstance(evidence, str) or not evidence.strip() or evidence.strip() in ("nan", "None"):
        return None
    text = evidence.strip()
    if text == "no text":
        return "no text to read"
    if ARROW not in text:
        quoted = re.findall(r"'([^']+)'", text)
        return ("the words " + _and([f"'{q}'" for q in dict.fromkeys(quoted)])) if quoted else text
    lead, _, decided = text.rpartition(ARROW)
    lead, decided = lead.strip(), decided.strip()
    if lead.startswith("no sign of"):
        return lead
    clues = [c.strip() for c in lead.split(" + ") if c.strip() and c.strip() != "nothing decisive"]
    words = [c for c in clues if _QUOTED.match(c)]
    others = [c for c in clues if not _QUOTED.match(c)]
    places = [c for c in others if c.startswith("in the ")]
    said = []
    if words:
        said.append(("the word " if len(words) == 1 else "the words ") + _and(words))
    said += [c for c in others if c not in places]
    out = "; ".join(said) if said else "nothing decisive in the words"
    if places:
        out += "; it stands " + _and(places)
    below = re.match(r"(\w+) at ([0-9.]+), below the ([0-9.]+) it needs", decided)
    if below:
        out += (f"; {below.group(1)} was the nearest type, at {float(below.group(2)):.0%}, "
                f"below the {float(below.group(3)):.0%} it needs")
    return out


def _and(items: list[str]) -> str:
    items = list(items)
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _reading_note(examples: pd.DataFrame) -> str | None:
    """What a reader of the example statements should know, from the statements themselves."""
    if not len(examples):
        return None
    notes = []
    nameless = examples["citing_work"].isna() & examples["citing_doi"].isna()
    unnamed = int(nameless.sum())
    if unnamed:
        sources = _and(sorted(set(examples.loc[nameless, "source"])))
        notes.append((f"{unnamed} of these {len(examples)} statements" if unnamed < len(examples)
                      else "These statements") + f" come from {sources} without the work that wrote them")
    unmarked = sum(1 for t in examples["text"] if not getattr(t, "spans", ()))
    if unmarked:
        notes.append("the data does not say which citation is the cited work's in "
                     + (f"{unmarked} of them" if unmarked < len(examples) else "any of them")
                     + ", so nothing is marked there" if unmarked < len(examples) else
                     "the data does not say which citation in them is the cited work's, so none is marked")
    yearless = examples[[bool(_NO_YEAR.search(str(t))) for t in examples["text"]]]
    if len(yearless):
        example = _NO_YEAR.search(str(yearless["text"].iloc[0]))
        shown = str(yearless["text"].iloc[0])
        start = shown.rfind("(", 0, example.start())
        quote = shown[start if start >= 0 and example.start() - start < 60 else example.start():example.end()]
        sources = _and(sorted(set(yearless["source"])))
        notes.append(f"{len(yearless)} show citations without their year (e.g. \u201c{quote}\u201d): "
                     f"that is how {sources} printed them, and no word was changed")
    return "; ".join(notes) + "." if notes else None


def source_agreement(tables) -> pd.DataFrame:
    """The statements imported with their source's label, beside peerbib's type, and what agreeing means.

    Returns
    -------
    pandas.DataFrame
        ``section, source, source_type, type, confidence, why, text`` of each statement whose source
        labelled it. ``attrs["note"]`` says in a sentence how often the two agree and what that can
        show: when the source gives one type only, agreement shows how often peerbib keeps that type,
        not whether it finds the others. None when no statement carries its source's label.
    """
    tables = _tables(tables, "source_agreement")
    statements = tables.statements
    labelled = statements[statements["source_type"].notna()] if "source_type" in statements else statements.iloc[0:0]
    out = pd.DataFrame({
        "section": [_section(r) for r in labelled.to_dict("records")],
        "source": labelled["source"].astype("str"),
        "source_type": labelled["source_type"].astype("str"),
        "type": labelled["type"].astype("str"),
        "confidence": labelled["confidence"],
        "why": [evidence_in_words(e) for e in labelled["evidence"]],
        "text": pd.Series([_marked(r) for r in labelled.to_dict("records")], dtype="object", index=labelled.index),
    }).reset_index(drop=True)
    out.attrs["note"] = _agreement_note(out) if len(out) else None
    return out


def _agreement_note(labelled: pd.DataFrame) -> str:
    n = len(labelled)
    agree = int((labelled["source_type"] == labelled["type"]).sum())
    theirs = list(dict.fromkeys(k for k in _COUNTS if k in set(labelled["source_type"])))
    theirs += sorted(set(labelled["source_type"]) - set(theirs))
    parts = []
    for kind in theirs:
        ours = labelled.loc[labelled["source_type"] == kind, "type"].value_counts()
        called = _and([f"{c} {t}" for t, c in ours.items()])
        total = int(ours.sum())
        parts.append(f"of the {total} their source calls {kind}, peerbib calls {called}")
    sentence = f"{agree} of {n} statements get the same type from peerbib as from their source: " + "; ".join(parts)
    if len(theirs) == 1:
        others = [k for k in ("supporting", "contrasting", "mentioning") if k != theirs[0]]
        sentence += (f". Their source calls every one {theirs[0]}, so this shows how often peerbib keeps that type, "
                     f"not whether it finds {_and(others).replace(' and ', ' or ')} statements")
    return sentence + "."


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
