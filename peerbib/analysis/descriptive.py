"""Descriptive analyses: how the literature grew, what it is, how often its works are cited per year.

Each ``plot_*`` function has a twin without the prefix that returns the
DataFrame behind the picture, in this module: :func:`publication_years` and
:func:`plot_publication_years`, :func:`citations_per_year` and
:func:`plot_citations_per_year`.
"""
from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from ..errors import AnalysisError
from ..ids import normalize_title, venue_key
from .display import display_author, display_authors, display_title, title_acronyms
from .present import PALETTE, Sentences, legend_as_written, new_axes

__all__ = ["publication_years", "plot_publication_years", "count_works", "venue_names", "list_works", "work_label",
           "short_work_label", "citations_per_year", "plot_citations_per_year", "describe_corpus", "FETCH_HINT",
           "disputed_years"]

NOT_STATED = "(not stated)"

#: What a corpus read from DOIs or bare exports lacks until it is fetched, and how to get it.
FETCH_HINT = "run `peerbib fetch` for titles, years, abstracts and the works that cite them"


def _n(count: int, noun: str, plural: str | None = None) -> str:
    return f"{count:,} {noun if count == 1 else (plural or noun + 's')}"


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def describe_corpus(tables) -> Sentences:
    """A few sentences on what the corpus holds, from the data itself.

    How many works, from which corpus files (with their format and records)
    and how many duplicates were merged, the years covered, how many have a
    title and an abstract, whether they were fetched from OpenAlex and how
    many citing works the tables hold, and what to do about what is missing.

    Parameters
    ----------
    tables : Tables
        The built tables (``pb.load()``).

    Returns
    -------
    Sentences
        A ``str`` that notebooks show as Markdown.
    """
    works = getattr(tables, "works", None)
    if works is None:
        raise AnalysisError("describe_corpus needs the built tables (pb.load())")
    info = getattr(tables, "info", None) or {}
    corpus = _corpus(works, True)
    n = len(corpus)
    out = []
    files = info.get("corpus") or []
    if files:
        listed = [f"`{f['file']}` ({f['format']}, {_n(f['records'], 'record')})" for f in files[:8]]
        if len(files) > 8:
            listed.append(f"{len(files) - 8} more")
        merged = info.get("corpus_merged") or 0
        out.append(f"**{_n(n, 'corpus work')}**, read from {_n(len(files), 'corpus file')}: {_join(listed)}"
                   + (f"; {_n(merged, 'duplicate record')} merged into the work{'s' if merged != 1 else ''} "
                      f"{'they repeat' if merged != 1 else 'it repeats'}." if merged else "."))
    else:
        out.append(f"**{_n(n, 'corpus work')}**.")
    if n == 0:
        return Sentences(" ".join(out))
    years = corpus["publication_year"].dropna()
    if len(years):
        span = f"{int(years.min())}" if years.min() == years.max() else f"{int(years.min())}–{int(years.max())}"
        undated = n - len(years)
        out.append(f"Published {span}" + (f" ({_n(undated, 'work')} without a year)." if undated else "."))
    titled = int(corpus["title"].notna().sum())
    abstracts = int(corpus["abstract"].notna().sum())
    out.append(f"{titled:,} of {n:,} have a title and {abstracts:,} an abstract.")
    sources = corpus["source"].fillna("") if "source" in corpus.columns else pd.Series("", index=corpus.index)
    fetched = int(sources.str.contains("openalex").sum())
    citing = int((~works["is_corpus"].fillna(False).astype(bool)).sum()) if "is_corpus" in works.columns else 0
    if fetched:
        out.append(f"{fetched:,} of {n:,} were found in OpenAlex; the tables hold "
                   f"{_n(citing, 'work')} citing them and {_n(len(tables.citations), 'citation link')}.")
    else:
        if len(tables.citations):
            out.append(f"The corpus files' reference lists give {_n(len(tables.citations), 'citation link')}.")
        out.append(f"Not fetched from OpenAlex yet: {FETCH_HINT}.")
    raw = info.get("raw")
    if raw and (Path(raw) / "README.md").is_file():
        out.append("`data/raw/README.md` says where the raw data came from.")
    return Sentences(" ".join(out))


def _require(frame: pd.DataFrame, columns, what: str, table: str = "the works table (pb.load().works)") -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise AnalysisError(f"{what} needs column(s) {', '.join(missing)}; pass {table}")


def _corpus(works: pd.DataFrame, corpus_only: bool) -> pd.DataFrame:
    if corpus_only and "is_corpus" in works.columns:
        return works[works["is_corpus"].fillna(False).astype(bool)]
    return works


def publication_years(works: pd.DataFrame, *, by: str | None = None, corpus_only: bool = True,
                      fill_gaps: bool = True, collected=None) -> pd.DataFrame:
    """Count works per publication year.

    Parameters
    ----------
    works : DataFrame
        The works table (needs ``publication_year``; ``is_corpus`` is used when present).
    by : str, optional
        A column to split each year's count by (e.g. ``"type"`` or ``"corpus_role"``);
        missing values count as ``"(not stated)"``.
    corpus_only : bool, default True
        Count only the corpus (``is_corpus``), not works that only cite it.
    fill_gaps : bool, default True
        Add years with no work as zero rows, so a bar chart shows the gaps.
    collected : date or str, optional
        When the records were collected (the search's date, e.g.
        :func:`peerbib.search_date`, or today for a live corpus). The year it
        falls in had not ended: when that year is counted and the date is not
        its last day, ``.attrs["partial_year"]`` holds it and
        ``.attrs["collected"]`` the date (ISO), and the chart marks it.

    Returns
    -------
    DataFrame
        Columns ``year``, (``by``,) ``n_works``, sorted by year. Works without a
        year are not counted; their number is in ``.attrs["n_without_year"]``.
        ``.attrs["n_year_doubts"]`` counts the dated works whose year the data
        disputes and ``.attrs["disputed_years"]`` lists their years (the chart
        marks them).
    """
    _require(works, ["publication_year"] + ([by] if by else []), "publication_years")
    selected = _corpus(works, corpus_only)
    years = selected["publication_year"]
    dated = selected[years.notna()]
    keys = ["year"] + ([by] if by else [])
    frame = dated.assign(year=dated["publication_year"].astype("int64"))
    if by:
        frame = frame.assign(**{by: frame[by].astype("object").where(frame[by].notna(), NOT_STATED)})
    counts = frame.groupby(keys, sort=True).size().rename("n_works").reset_index()
    if fill_gaps and len(counts):
        all_years = range(int(counts["year"].min()), int(counts["year"].max()) + 1)
        if by:
            index = pd.MultiIndex.from_product([all_years, sorted(counts[by].unique())], names=keys)
        else:
            index = pd.Index(all_years, name="year")
        counts = counts.set_index(keys)["n_works"].reindex(index, fill_value=0).reset_index()
    counts["year"] = counts["year"].astype("int64")
    counts["n_works"] = counts["n_works"].astype("int64")
    if not len(counts):
        counts = pd.DataFrame({k: pd.Series(dtype="int64" if k == "year" else "object") for k in keys}
                              | {"n_works": pd.Series(dtype="int64")})
    counts.attrs["n_without_year"] = int(years.isna().sum())
    if "year_doubt" in selected.columns:
        doubted = selected["year_doubt"].notna() & years.notna()
        counts.attrs["n_year_doubts"] = int(doubted.sum())
        counts.attrs["disputed_years"] = sorted({int(y) for y in years[doubted]})
    if "source" in selected.columns:
        counts.attrs["sources"] = sorted(str(v) for v in selected["source"].dropna().unique())
    if collected is not None:
        day = pd.Timestamp(collected).date()
        if len(counts) and day.year in set(counts["year"]) and (day.month, day.day) != (12, 31):
            counts.attrs["partial_year"], counts.attrs["collected"] = day.year, day.isoformat()
    return counts


_LEGEND_TITLES = {"corpus_role": "Role in its source", "type": "Type of work", "venue": "Venue"}


def plot_publication_years(df: pd.DataFrame, *, ax=None, by: str | None = None, title: str | None = None):
    """Bar chart of works per publication year.

    Parameters
    ----------
    df : DataFrame
        The result of :func:`publication_years`, or a works table (counted
        with ``publication_years(df, by=by)``).
    ax : matplotlib Axes, optional
        Where to draw; a new figure when None.
    by : str, optional
        With a works table: the column to stack bars by.
    title : str, optional

    Returns
    -------
    matplotlib Axes
    """

    if "n_works" not in df.columns:
        df = publication_years(df, by=by)
    ax = new_axes(ax, (9, 4))
    group = next((c for c in df.columns if c not in ("year", "n_works")), None)
    if len(df) == 0:
        ax.text(0.5, 0.5, "no dated works", ha="center", va="center", transform=ax.transAxes)
        ax.set_axis_off()
    elif group is None:
        ax.bar(df["year"], df["n_works"], color=PALETTE[0], width=0.8)
    else:
        table = df.pivot_table(index="year", columns=group, values="n_works", aggfunc="sum", fill_value=0)
        bottom = None
        for i, column in enumerate(table.columns):
            ax.bar(table.index, table[column], bottom=bottom, width=0.8, label=str(column),
                   color=PALETTE[i % len(PALETTE)])
            bottom = table[column] if bottom is None else bottom + table[column]
        # beside the bars, never on them
        legend_as_written(ax.legend(title=_LEGEND_TITLES.get(group, group.replace("_", " ")), frameon=False,
                                    fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1.0)))
    ax.set_xlabel("Publication year")
    ax.set_ylabel("Works")
    ax.yaxis.get_major_locator().set_params(integer=True)
    if len(df):
        years = df["year"]
        step = max(1, round((years.max() - years.min()) / 12))
        ax.set_xticks(range(int(years.min()), int(years.max()) + 1, step))
    ax.set_title(title or "Works per publication year", parse_math=False)
    disputed = [y for y in df.attrs.get("disputed_years", []) if len(df) and y in set(df["year"])]
    if disputed:  # a mark over each year a work of which has a year the data disputes
        tops = df.groupby("year")["n_works"].sum()
        for year in disputed:
            ax.annotate("?", (year, tops.get(year, 0)), xytext=(0, 2), textcoords="offset points", ha="center",
                        va="bottom", fontsize="large", fontweight="bold", color="#D55E00")
        ax.set_ylim(top=max(ax.get_ylim()[1], float(tops.max()) * 1.12))
    notes = []
    partial = df.attrs.get("partial_year")
    if partial is not None and len(df) and partial in set(df["year"]):
        for bar in ax.patches:  # the partial year's bars hatched: its count is not final
            if abs(bar.get_x() + bar.get_width() / 2 - partial) < 0.5:
                bar.set_hatch("///")
                bar.set_edgecolor("white")
        day = pd.Timestamp(df.attrs["collected"])
        notes.append(f"{partial} is partial (hatched): records to {day.day} {day.strftime('%b %Y')}")
    if df.attrs.get("n_without_year"):
        notes.append(f"{df.attrs['n_without_year']} work(s) without a year not shown")
    if df.attrs.get("n_year_doubts"):
        notes.append(f"{df.attrs['n_year_doubts']} work(s) with a year the data disputes (? over their years)")
    if df.attrs.get("sources"):
        notes.append("data: " + ", ".join(df.attrs["sources"]))
    if notes:
        ax.set_xlabel("Publication year\n" + "; ".join(notes), linespacing=1.6, parse_math=False)
    return ax


def disputed_years(works: pd.DataFrame, *, corpus_only: bool = True) -> pd.DataFrame:
    """The dated works whose year the data disputes, and why.

    A doubt comes from the corpus file's own notes on the year (a page giving
    an online and a print date, a year read from a volume number), from
    corpus files that disagree, or from OpenAlex giving another year than the
    corpus file. Columns ``publication_year, label, doi, year_doubt``:
    ``year_doubt`` as a reader of a report needs it, the notes' pointers to
    lines and to other documents of whoever wrote the corpus file ("(line
    20)", "and NOTES.md's 'Smith 2013'") left out and column names said in
    words; the works table keeps the notes as written.
    """
    _require(works, ["publication_year"], "disputed_years")
    selected = _corpus(works, corpus_only)
    if "year_doubt" not in selected.columns:
        return pd.DataFrame(columns=["publication_year", "label", "doi", "year_doubt"])
    doubted = selected[selected["year_doubt"].notna() & selected["publication_year"].notna()]
    table = doubted.assign(label=[work_label(r) for r in doubted.to_dict("records")],
                           year_doubt=[_doubt_in_words(d) for d in doubted["year_doubt"]])
    return table[["publication_year", "label", "doi", "year_doubt"]].sort_values(
        ["publication_year", "label"], kind="mergesort").reset_index(drop=True)


#: A pointer to a line of a document: "(line 20)", "(lines 3-4)", "(seed a.txt:20)".
_LINE_POINTER = re.compile(r"\s*\((?:lines? \d+(?:\s*[-–]\s*\d+)?|seed [^()]*?:\d+)\)")
#: A clause naming another document: "and NOTES.md's 'Smith et al. 2013'", "(see notes.txt)".
_FILE_CLAUSE = re.compile(r"\s*(?:\band\b|\(see\b)?\s*[\w./-]+\.(?:md|txt|docx?|pdf)\b(?:'s)?(?:\s+'[^']*')?\)?")


def _doubt_in_words(doubt) -> str:
    """A year doubt for a reader: no pointers to lines or other documents, column names in words."""
    text = _LINE_POINTER.sub("", str(doubt))
    text = _FILE_CLAUSE.sub("", text)
    text = text.replace("publication_year", "the year shown")
    return re.sub(r"\s+([;:,.)])", r"\1", re.sub(r"\s{2,}", " ", text)).strip()


def count_works(works: pd.DataFrame, by: str, *, corpus_only: bool = True) -> pd.DataFrame:
    """Number and share of works per value of ``by`` (e.g. ``"type"``, ``"venue"``).

    Missing values are counted as ``"(not stated)"``. Venues count as one
    when their works share an ISSN (``works.issn``) or, without one, when the
    databases' spellings meet (see :func:`venue_names`), shown as written most
    often. Returns columns ``by``, ``n_works``, ``share`` sorted
    by count, then name.
    """
    _require(works, [by], "count_works")
    selected = _corpus(works, corpus_only)
    column = venue_names(selected[by], issns=selected.get("issn")) if by == "venue" else selected[by]
    values = column.astype("object").where(column.notna(), NOT_STATED)
    counts = values.value_counts().rename_axis(by).rename("n_works").reset_index()
    counts = counts.sort_values(["n_works", by], ascending=[False, True], kind="mergesort").reset_index(drop=True)
    total = counts["n_works"].sum()
    counts["share"] = (counts["n_works"] / total).round(3) if total else 0.0
    return counts


def venue_names(values: pd.Series, *, issns: pd.Series | None = None) -> pd.Series:
    """Each venue name as the spelling written most often among those that name the same venue.

    With ``issns`` (``works.issn``: each work's ISSNs, "; "), works whose
    ISSNs meet are one venue, whatever their names: Scopus's "Sustainability
    (Switzerland)" and Web of Science's "SUSTAINABILITY" by ISSN 2071-1050,
    and an abbreviation or a former name too. Names without an ISSN are one
    venue when their :func:`peerbib.ids.venue_key` is the same (case,
    "&"/"and", a leading "The", a trailing "(Switzerland)"-style qualifier),
    and join the venue with ISSNs whose names share that key when there is
    just one. Two venues with the same name and different ISSNs (one name used
    by two publishers: "Medicine" of Wolters Kluwer and of Elsevier) stay two:
    when they would show one name (but for case), each is shown with its first ISSN,
    "Medicine (ISSN 0025-7974)". A journal whose exports each give a different
    one of its ISSNs (print here, electronic there), with no record giving
    both, counts twice: OpenAlex and Web of Science and PubMed give both.

    Ties go to a name not all in capitals, then one not abbreviated ("Health
    Expect."), then the first in alphabetical order. Missing values stay missing; ``works.venue`` keeps what each source
    wrote.
    """
    known = values.dropna().astype("str")
    if not len(known):
        return values
    keys = known.map(venue_key)
    listed = _issn_lists(issns, known.index)
    group = _venue_groups(keys.to_numpy(), listed)
    frame = pd.DataFrame({"group": group, "name": known.to_numpy()})
    counts = frame.groupby(["group", "name"], sort=False).size().rename("n").reset_index()
    counts["capitals"] = counts["name"].str.isupper()
    counts["abbreviated"] = counts["name"].str.contains(r"[^\W\d_]\.", regex=True)  # "Health Expect."
    counts = counts.sort_values(["group", "n", "capitals", "abbreviated", "name"],
                                ascending=[True, False, True, True, True], kind="mergesort")
    shown = counts.drop_duplicates("group").set_index("group")["name"]
    # two venues (different ISSNs) that would show one spelling: each shown with its first ISSN
    twice = shown[shown.map(normalize_title).duplicated(keep=False)]  # the same but for case and punctuation
    for g in twice.index:
        if g.startswith("issn:"):
            shown[g] = f"{shown[g]} (ISSN {g[5:]})"
    out = values.astype("object").copy()
    named = frame["group"].map(shown).to_numpy()
    out.loc[known.index] = [name if key else raw for name, key, raw in zip(named, keys, known)]
    return out


def _issn_lists(issns: pd.Series | None, index: pd.Index) -> list[list[str]]:
    """Per venue name (``index``), its work's ISSNs."""
    if issns is None:
        return [[] for _ in index]
    given = issns.reindex(index) if isinstance(issns, pd.Series) else pd.Series(list(issns), index=index)
    return [[i.strip() for i in v.split(";") if i.strip()] if isinstance(v, str) else [] for v in given]


def _venue_groups(keys, issns: list[list[str]]) -> list[str]:
    """One group per venue: "issn:<its smallest ISSN>" for works linked by their ISSNs, "name:<key>" else."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for listed in issns:
        for other in listed[1:]:
            a, b = find(listed[0]), find(other)
            if a != b:
                parent[max(a, b)] = min(a, b)
    by_key: dict[str, set[str]] = {}
    for key, listed in zip(keys, issns):
        if listed and key:
            by_key.setdefault(key, set()).add(find(listed[0]))
    groups = []
    for key, listed in zip(keys, issns):
        if listed:
            groups.append("issn:" + find(listed[0]))
        elif len(by_key.get(key, ())) == 1:  # a name without ISSNs: the one venue with ISSNs of that name
            groups.append("issn:" + next(iter(by_key[key])))
        else:
            groups.append("name:" + key)
    return groups


def work_label(row, *, acronyms=None) -> str:
    """A readable name for a work: its title (in sentence case when written in capitals: see
    :func:`peerbib.analysis.display.display_title`, which ``acronyms`` goes to), else authors (as
    "Surname, I."), year and venue."""
    title = row.get("title")
    if isinstance(title, str) and title:
        return display_title(title, acronyms=acronyms)
    parts = [display_authors(row.get("authors")), row.get("publication_year"), row.get("venue")]
    shown = [str(p) for p in parts if p is not None and p == p and str(p)]
    return "[untitled] " + ", ".join(shown) if shown else "[untitled]"


def short_work_label(row, *, width: int | None = None) -> str:
    """First author, year and the start of the title: "Gillard 2014: Introducing New Peer Worker…"."""
    authors = row.get("authors")
    first = authors.split(";")[0].strip() if isinstance(authors, str) and authors.strip() else None
    surname = display_author(first).split(",")[0].strip() if first else None
    year = row.get("publication_year")
    head = " ".join(str(p) for p in (surname, int(year) if isinstance(year, (int, float)) and year == year else None)
                    if p)
    title = work_label(row)
    if width is not None and len(title) > width:
        title = title[: width - 1].rstrip() + "\u2026"
    return f"{head}: {title}" if head else title


def list_works(works: pd.DataFrame, *, corpus_only: bool = True,
               columns=("publication_year", "label", "authors", "venue", "type", "doi")) -> pd.DataFrame:
    """The works as a table to read: newest first, a ``label`` for works without a title.

    What is shown is in one style whichever database a work came from: ``label``
    is the title, in sentence case where it was written in capitals (keeping
    the acronyms the corpus's other titles write in capitals); ``authors`` as
    "Surname, I."; ``venue`` as :func:`venue_names` shows it. The works table
    keeps what each database wrote.
    """
    selected = _corpus(works, corpus_only)
    acronyms = title_acronyms(selected["title"]) if "title" in selected.columns else None
    table = selected.assign(label=[work_label(r, acronyms=acronyms) for r in selected.to_dict("records")])
    if "authors" in table.columns:
        table["authors"] = table["authors"].map(display_authors)
    if "venue" in table.columns:
        table["venue"] = venue_names(table["venue"], issns=table.get("issn"))
    # newest first whichever columns are shown
    order = [c for c in ("publication_year", "label") if c in table.columns]
    table = table.sort_values(order, ascending=[c != "publication_year" for c in order], na_position="last",
                              kind="mergesort")
    extra = [c for c in ("corpus_role",) if c in table.columns and c not in columns]
    return table[[c for c in columns if c in table.columns] + extra].reset_index(drop=True)


def citations_per_year(tables, *, definition: str | None = None) -> pd.DataFrame:
    """Citations each work received per year, under one definition.

    The built ``citations_per_year`` table can hold two definitions (see
    :func:`peerbib.build`): ``"openalex counts_by_year"`` (OpenAlex's counts,
    about the last ten years, for fetched corpus works) and ``"counted citing
    works"`` (the citing works in the ``citations`` table, by their
    publication year). Zero years are filled in both.

    Parameters
    ----------
    tables : Tables or pandas.DataFrame
        The built tables (``pb.load()``) or their ``citations_per_year`` table.
    definition : str, optional
        Which definition to return. By default OpenAlex's counts where the
        tables have them, else the counted citing works.

    Returns
    -------
    pandas.DataFrame
        Columns ``work_id, year, citations, definition``, sorted by work and
        year; empty (with these columns) when the tables hold no citations.
    """
    from ..tables.per_year import DEF_COUNTED, DEF_OPENALEX

    per_year = tables if isinstance(tables, pd.DataFrame) else getattr(tables, "citations_per_year", None)
    if per_year is None:
        raise AnalysisError("citations_per_year needs the built tables (pb.load()) or their citations_per_year table")
    _require(per_year, ["work_id", "year", "citations", "definition"], "citations_per_year",
             "the built tables (pb.load()) or their citations_per_year table")
    known = (DEF_OPENALEX, DEF_COUNTED)
    if definition is None:
        present = set(per_year["definition"].dropna())
        definition = next((d for d in known if d in present), DEF_OPENALEX)
    elif definition not in known:
        raise AnalysisError(f"unknown definition {definition!r}; use one of {', '.join(map(repr, known))}")
    chosen = per_year[per_year["definition"] == definition]
    out = chosen[["work_id", "year", "citations", "definition"]].sort_values(
        ["work_id", "year"], kind="mergesort").reset_index(drop=True)
    out.attrs["definition"] = definition
    return out


def plot_citations_per_year(per_year: pd.DataFrame, *, works: pd.DataFrame | None = None, ax=None, top: int = 6,
                            title: str | None = None):
    """Citations per year of the most cited corpus works (one line each) and of all of them together.

    Parameters
    ----------
    per_year : DataFrame
        :func:`citations_per_year` (one definition).
    works : DataFrame, optional
        The works table, to name the lines.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure when None.
    top : int
        Works drawn as their own line (the most cited); "all corpus works" is the sum of every work.
    title : str, optional
        The chart's title; by default it names the definition.

    Returns
    -------
    matplotlib.axes.Axes

    Raises
    ------
    AnalysisError
        When ``per_year`` holds more than one definition.
    """
    ax = new_axes(ax, (13, 4.5))
    definitions = sorted(per_year["definition"].dropna().unique()) if "definition" in per_year else []
    if len(definitions) > 1:
        raise AnalysisError("plot_citations_per_year draws one definition: "
                            "pb.citations_per_year(tables, definition=...)")
    definition = definitions[0] if definitions else per_year.attrs.get("definition", "citations")
    if not len(per_year) or per_year["citations"].sum() == 0:
        hint = "\n(OpenAlex's counts come with peerbib fetch)" if definition == "openalex counts_by_year" else ""
        ax.text(0.5, 0.5, f"no citations in these tables ({definition}){hint}", ha="center", va="center",
                transform=ax.transAxes, parse_math=False)
        ax.set_axis_off()
    else:
        frame = per_year.assign(citations=per_year["citations"].astype("int64"), year=per_year["year"].astype("int64"))
        total = frame.groupby("year")["citations"].sum()
        ax.plot(total.index, total.to_numpy(), color="#222", linewidth=2.2, marker="o", markersize=3,
                label="all corpus works")
        ranked = frame.groupby("work_id")["citations"].sum().sort_values(ascending=False, kind="mergesort")
        names = works.set_index("work_id") if works is not None else None
        colors = lambda i: PALETTE[i % len(PALETTE)]  # noqa: E731
        for i, work_id in enumerate([w for w, n in ranked.items() if n > 0][:top]):
            line = frame[frame["work_id"] == work_id].sort_values("year")
            named = names is not None and work_id in names.index
            name = short_work_label(names.loc[work_id].to_dict(), width=40) if named else str(work_id)
            ax.plot(line["year"], line["citations"], color=colors(i % 10), linewidth=1.2, marker="o", markersize=2.5,
                    label=name)
        # works' titles, beside the lines (never on them) and legible
        legend_as_written(ax.legend(frameon=False, fontsize="medium", loc="upper left", bbox_to_anchor=(1.01, 1.0)))
        ax.yaxis.get_major_locator().set_params(integer=True)
        ax.xaxis.get_major_locator().set_params(integer=True)
        cited = int((ranked > 0).sum())
        ax.set_xlabel(f"year\n{definition}: {int(total.sum())} citations of {cited} corpus works "
                      f"({len(ranked)} with a row)", linespacing=1.6, parse_math=False)
    ax.set_ylabel("citations")
    ax.set_title(title or f"Citations per year ({definition})", parse_math=False)
    return ax
