"""The cluster map to explore in a page: :func:`explore_cluster_map`, drawn from :func:`.plots.cluster_map`."""
from __future__ import annotations

import numpy as np
import pandas as pd

from ...errors import AnalysisError
from ..explore import ExploreMap, Group, LegendEntry, clean_text, to_view, work_href
from .plots import _name, _plot_table, _styles, cluster_map
from .result import Clustering

__all__ = ["explore_cluster_map", "works_details"]

WIDTH, HEIGHT = 800, 480
TITLE_WIDTH = 200  # characters of a title kept for its tooltip


def _first_authors(authors, n: int = 2) -> str:
    """The first ``n`` authors of a ``;``-separated list, "et al." when there are more."""
    names = [clean_text(a) for a in clean_text(authors).split(";")]
    names = [a for a in names if a]
    if not names:
        return ""
    return "; ".join(names[:n]) + (" et al." if len(names) > n else "")


def works_details(works, ids=None) -> pd.DataFrame:
    """``title, authors, year, doi`` of each work (of those ``ids``, if given), indexed by ``work_id`` (str),
    from a works table or the built tables (``pb.load()``); an empty table for None."""
    if works is None:
        return pd.DataFrame(columns=["title", "authors", "year", "doi"], index=pd.Index([], name="work_id"))
    frame = works.works if hasattr(works, "works") and not isinstance(works, pd.DataFrame) else works
    if not isinstance(frame, pd.DataFrame) or "work_id" not in frame.columns:
        raise AnalysisError("works= takes the works table (tables.works) or the built tables (pb.load())")
    from ..descriptive import work_label

    frame = frame.drop_duplicates("work_id")
    if ids is not None:
        frame = frame[frame["work_id"].astype("str").isin(set(ids))]
    column = lambda name: frame[name] if name in frame.columns else pd.Series([None] * len(frame),  # noqa: E731
                                                                             index=frame.index)
    return pd.DataFrame({
        "title": [clean_text(work_label(r), TITLE_WIDTH) for r in frame.to_dict("records")],
        "authors": [_first_authors(a) for a in column("authors")],
        "year": pd.array(pd.to_numeric(column("publication_year"), errors="coerce"), dtype="Float64"),
        "doi": column("doi").to_numpy(),
    }, index=pd.Index(frame["work_id"].astype("str").to_numpy(), name="work_id"))


def _point_size(n: int) -> float:
    """A marker's radius in the SVG's units, smaller the more works are drawn (as the static map does)."""
    return 5.0 if n < 300 else 3.2 if n < 5_000 else 2.2


def explore_cluster_map(clustering: Clustering | pd.DataFrame, *, works=None, n_terms: int = 3,
                        max_points: int = 5_000, random_state: int = 0, title: str | None = None) -> ExploreMap:
    """The cluster map to explore in a notebook or report page: hover a work, open its DOI, zoom and pan.

    The points are those of :func:`plot_cluster_map` (the same table,
    :func:`cluster_map`, sampled in the same way when there are more than
    ``max_points``), in the same colours and marker shapes, each cluster's
    number at the centre of all its works. Hovering (or focusing) a point shows the
    work's title, first authors, year and cluster; a click or Enter opens its
    DOI at https://doi.org/ in a new tab (else its OpenAlex page, else
    nothing). Nothing is loaded from the network, and the map is left out when
    the page is printed (the static map is for print).

    Parameters
    ----------
    clustering : Clustering or pandas.DataFrame
        A :class:`Clustering`, or the table from :func:`cluster_map`.
    works : pandas.DataFrame or Tables, optional
        The works table (``tables.works``) or the built tables: titles,
        authors, years and DOIs for the tooltips and links. Without it a point
        shows its work id and year, and links to OpenAlex when its id is an
        OpenAlex id.
    n_terms : int, default 3
        Top terms in each cluster's name.
    max_points : int, default 5000
        Draw at most this many works (a random sample, said in the title).
        Each work drawn adds its title to the page, about 235 bytes for a
        110-character title: 5,000 works make a map of about 1.2 MB, 20,000
        (the static map's default) about 4.7 MB, which zooms slowly in a
        browser without a graphics card.
    random_state : int, default 0
        Seed of that sample (with ``max_points=20_000`` it is the static map's sample).
    title : str, optional
        Instead of the static map's title.

    Returns
    -------
    ExploreMap
        Shown as an interactive map by Jupyter and in reports (its
        ``_repr_html_``); ``points`` holds what is drawn.
    """
    table = _plot_table(clustering, cluster_map, ["work_id", "cluster", "x", "y"], n_terms=n_terms)
    if not len(table):
        raise AnalysisError("the cluster map has no works to draw")
    if max_points < 1:
        raise AnalysisError(f"max_points must be 1 or more, not {max_points}")
    shown = table.sample(n=max_points, random_state=random_state).sort_index() if len(table) > max_points else table
    styles = _styles(table["cluster"])
    order = sorted(styles)
    group_of = {c: i for i, c in enumerate(order)}
    names = table.drop_duplicates("cluster").set_index("cluster")["label"]
    sizes = table["cluster"].value_counts()
    limits = (table["x"].min(), table["x"].max(), table["y"].min(), table["y"].max())
    x, y = to_view(shown["x"], shown["y"], WIDTH, HEIGHT, limits=limits)
    shown_ids = shown["work_id"].astype("str")
    details = works_details(works, shown_ids).reindex(shown_ids)
    if isinstance(clustering, Clustering):
        years = clustering.publication_year.reindex(shown["work_id"]).to_numpy()
        details["year"] = details["year"].fillna(pd.Series(pd.array(years, dtype="Float64"), index=details.index))
    radius = _point_size(len(shown))
    clusters = shown["cluster"].astype("int64").to_numpy()
    points = pd.DataFrame({
        "work_id": shown["work_id"].astype("str").to_numpy(), "cluster": clusters,
        "x": np.round(x, 1), "y": np.round(y, 1),
        "group": [group_of[c] for c in clusters], "color": [styles[c][0] for c in clusters],
        "marker": [styles[c][1] for c in clusters], "radius": radius,
        "href": [work_href(doi, work_id) for doi, work_id in zip(details["doi"], shown["work_id"].astype("str"))],
    })
    tips = [[t if t else w, ", ".join(p for p in (a, "" if pd.isna(yr) else str(int(yr))) if p)]
            for w, t, a, yr in zip(points["work_id"], details["title"].fillna(""), details["authors"].fillna(""),
                                   details["year"])]
    groups = [Group(f"Cluster {clean_text(names[c])}") for c in order]
    legend = [LegendEntry(f"{clean_text(names[c])} ({int(sizes[c]):,})", styles[c][0], styles[c][1]) for c in order]
    centres = table.groupby("cluster", sort=True)[["x", "y"]].median()
    cx, cy = to_view(centres["x"], centres["y"], WIDTH, HEIGHT, limits=limits)
    labels = pd.DataFrame({"x": cx, "y": cy, "text": [str(int(c)) for c in centres.index],
                           "color": [styles[int(c)][0] for c in centres.index], "kind": "number", "offset": 0.0})
    k = table["cluster"].nunique()
    heading = title or f"{_name(clustering)} of {len(table):,} works (k = {k})"
    if len(shown) < len(table):
        heading += f"; {len(shown):,} works drawn at random"
    note = "Position: the first two principal components of the works' TF-IDF vectors."
    return ExploreMap(title=heading, points=points, tips=tips, groups=groups, width=WIDTH, height=HEIGHT,
                      labels=labels, legend=legend, note=note, legend_title="Cluster: top terms (works)")
