"""The figures of a clustering, each with the table behind it.

Each ``plot_*`` takes ``ax=`` (keyword only), returns the Axes, and has a
twin that returns the DataFrame it draws (:func:`cluster_map`,
:func:`cluster_sizes`, :func:`clusters_by_year`).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ...errors import AnalysisError
from ..present import cluster_style, legend_as_written, new_axes
from .result import Clustering

__all__ = ["cluster_map", "plot_cluster_map", "cluster_sizes", "plot_cluster_sizes", "clusters_by_year",
           "plot_clusters_by_year", "plot_k_scores"]

# --------------------------------------------------------------------------
# Tables behind the figures, and the figures
# --------------------------------------------------------------------------


def _cluster_names(clustering: Clustering, n_terms: int) -> pd.Series:
    terms = clustering.terms(n_terms)
    return pd.Series([f"{c}: {t}" if t else str(c) for c, t in terms.items()], index=terms.index, name="label")


def _styles(clusters) -> dict:
    """Colour and marker of each cluster number (:func:`~peerbib.analysis.present.cluster_style`): 20 colours,
    then colours again with other markers."""
    return {int(c): cluster_style(c) for c in sorted(int(c) for c in pd.unique(pd.Series(clusters)))}


def _colours(clusters) -> dict:
    return {c: style[0] for c, style in _styles(clusters).items()}


def _name(clustering, *, singular: bool = False) -> str:
    """ "Topic clusters" only for a clustering with some structure or clear structure (see
    :attr:`Clustering.structure`); the title says when it is weak or absent."""
    structure = clustering.structure if isinstance(clustering, Clustering) else None
    topical = structure in ("some", "clear")
    if singular:
        return "topic cluster" if topical else "cluster"
    return {"none": "Clusters (no topic structure found)", "weak": "Clusters (weak structure)"}.get(
        structure, "Topic clusters" if topical else "Clusters")


def _require(frame: pd.DataFrame, columns: list[str], made_by: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise AnalysisError(
            f"the table lacks column(s) {missing}; pass a Clustering or the DataFrame from {made_by}()."
        )


def _plot_table(clustering, compute, columns: list[str], *, n_terms: int) -> pd.DataFrame:
    """The table a plot draws: computed from a Clustering, or checked when given.

    A table without a ``label`` column (e.g. assignments read back from
    Parquet) is labelled by cluster number.
    """
    table = compute(clustering, n_terms=n_terms) if isinstance(clustering, Clustering) else clustering
    _require(table, columns, compute.__name__)
    if "label" not in table.columns:
        table = table.assign(label=table["cluster"].astype("str"))
    return table



def _cluster_legend(ax, **options) -> None:
    """Legend of clusters and their top terms (drawn as written: terms come from the abstracts), outside the
    plot on the right."""
    legend_as_written(ax.legend(title="Cluster: top terms", fontsize=8, title_fontsize=8,
                                loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False, **options))


def cluster_map(clustering: Clustering, *, n_terms: int = 3) -> pd.DataFrame:
    """Table behind :func:`plot_cluster_map`: each clustered work's 2-D position.

    Parameters
    ----------
    clustering : Clustering
        Result of :func:`cluster_abstracts`.
    n_terms : int, default 3
        Top terms in each cluster's label.

    Returns
    -------
    pandas.DataFrame
        Columns ``work_id, cluster, label, text_source, x, y``; ``label`` is
        the cluster number with its top terms, e.g. ``"0: youth, clinical"``.
    """
    table = clustering.assignments
    names = _cluster_names(clustering, n_terms)
    table.insert(2, "label", names.reindex(table["cluster"]).to_numpy())
    return table.astype({"label": "str"})


def plot_cluster_map(
    clustering: Clustering | pd.DataFrame,
    *,
    ax=None,
    n_terms: int = 3,
    annotate: bool = True,
    max_points: int = 20_000,
    random_state: int = 0,
):
    """Scatter the clustered works in 2-D, coloured by cluster, with its top terms.

    Parameters
    ----------
    clustering : Clustering or pandas.DataFrame
        A :class:`Clustering`, or the table from :func:`cluster_map` (or
        :attr:`Clustering.assignments`, read back from Parquet).
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure is made if None.
    n_terms : int, default 3
        Top terms in each cluster's label.
    annotate : bool, default True
        Write each cluster's number at the centre of its works (the legend
        gives the number's top terms). Numbers that would overlap are moved
        apart when the figure is drawn, each with a line to its centre.
    max_points : int, default 20000
        Draw at most this many works (a random sample, stated in the title);
        every work still counts for the label positions.
    random_state : int, default 0
        Seed of that sample.

    Returns
    -------
    matplotlib.axes.Axes
    """
    table = _plot_table(clustering, cluster_map, ["cluster", "x", "y"], n_terms=n_terms)
    ax = new_axes(ax, (10, 6))
    shown = table
    if len(table) > max_points:
        shown = table.sample(n=max_points, random_state=random_state).sort_index()
    styles = _styles(table["cluster"])
    size = 40 if len(shown) < 300 else 12 if len(shown) < 5_000 else 3
    for cluster, members in shown.groupby("cluster", sort=True):
        colour, marker = styles[int(cluster)]
        ax.scatter(
            members["x"], members["y"], s=size, alpha=0.75, color=colour, marker=marker,
            label=members["label"].iloc[0], linewidths=0,
        )
    if annotate:
        _number_the_clusters(ax, table, styles)
    _cluster_legend(ax, markerscale=max(1.0, float(np.sqrt(50 / size))))  # legend markers big enough to show shape
    k = table["cluster"].nunique()
    title = f"{_name(clustering)} of {len(table):,} works (k = {k})"
    if len(shown) < len(table):
        title += f"\n{len(shown):,} works drawn at random"
    ax.set_title(title)
    ax.set_xlabel("Component 1 (principal component of the TF-IDF vectors)")
    ax.set_ylabel("Component 2")
    return ax


def _number_the_clusters(ax, table: pd.DataFrame, styles: dict) -> None:
    """Each cluster's number at the median of its works, the largest clusters' first; whole labels at the
    centres would hide the very points of small clusters. Numbers are moved apart when drawn (no overlap)."""
    from ..placement import SpreadLabels

    centres = table.groupby("cluster", sort=True)[["x", "y"]].median()
    sizes = table["cluster"].value_counts()
    order = sorted(centres.index, key=lambda c: (-int(sizes.get(c, 0)), int(c)))
    labels = []
    for cluster in order:
        colour = styles[int(cluster)][0]
        labels.append(ax.annotate(
            str(cluster), (centres.at[cluster, "x"], centres.at[cluster, "y"]), xytext=(0, 0),
            textcoords="offset points", fontsize=9, fontweight="bold", ha="center", va="center", zorder=4,
            bbox={"boxstyle": "circle,pad=0.2", "fc": "white", "ec": colour, "lw": 1.5, "alpha": 0.9},
            arrowprops={"arrowstyle": "-", "color": colour, "lw": 1.0, "shrinkA": 0, "shrinkB": 0},
        ))
    ax.add_artist(SpreadLabels(labels))


def cluster_sizes(clustering: Clustering, *, n_terms: int = 5) -> pd.DataFrame:
    """Table behind :func:`plot_cluster_sizes`: size, silhouette and terms of each cluster.

    Parameters
    ----------
    clustering : Clustering
        Result of :func:`cluster_abstracts`.
    n_terms : int, default 5
        Top terms listed per cluster.

    Returns
    -------
    pandas.DataFrame
        Columns ``cluster, label, n_works, share, silhouette, terms``, one row
        per cluster, largest first.
    """
    sizes = clustering.labels.value_counts().reindex(range(clustering.k), fill_value=0)
    table = pd.DataFrame(
        {
            "cluster": np.arange(clustering.k, dtype="int64"),
            "label": _cluster_names(clustering, n_terms).to_numpy(),
            "n_works": sizes.to_numpy(dtype="int64"),
            "share": (sizes / max(sizes.sum(), 1)).to_numpy(dtype="float64"),
            "silhouette": clustering.cluster_silhouette.reindex(range(clustering.k)).to_numpy(),
            "terms": clustering.terms(n_terms).to_numpy(),
        }
    )
    return table.astype({"label": "str", "terms": "str"})


def plot_cluster_sizes(clustering: Clustering | pd.DataFrame, *, ax=None, n_terms: int = 4):
    """Horizontal bars: works per cluster, each bar named by its top terms.

    Parameters
    ----------
    clustering : Clustering or pandas.DataFrame
        A :class:`Clustering`, or the table from :func:`cluster_sizes`.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure is made if None.
    n_terms : int, default 4
        Top terms in each bar's label.

    Returns
    -------
    matplotlib.axes.Axes
    """
    import seaborn as sns

    table = _plot_table(clustering, cluster_sizes, ["cluster", "n_works"], n_terms=n_terms)
    ax = new_axes(ax, (8, 0.45 * len(table) + 1.5))
    colours = _colours(table["cluster"])
    palette = {label: colours[int(c)] for c, label in zip(table["cluster"], table["label"])}
    sns.barplot(
        data=table, x="n_works", y="label", hue="label", palette=palette, legend=False,
        order=list(table["label"]), orient="h", ax=ax,
    )
    # seaborn names the bars by category: fixed ticks instead, so the terms are drawn as written
    ax.set_yticks(range(len(table)), list(table["label"]), parse_math=False)
    for container in ax.containers:
        ax.bar_label(container, fontsize=8, padding=2)
    ax.set_title(f"Works per {_name(clustering, singular=True)} ({int(table['n_works'].sum()):,} works)")
    ax.set_xlabel("Works")
    ax.set_ylabel("Cluster: top terms")
    return ax


def plot_k_scores(clustering: Clustering | pd.DataFrame, *, ax=None):
    """Mean silhouette of each candidate k, with the chosen k marked.

    The table behind it is :attr:`Clustering.k_scores`. Error bars are one
    standard error; the dotted line is the best mean minus one standard error,
    the bar the chosen k had to clear (see :func:`choose_k`).

    Parameters
    ----------
    clustering : Clustering or pandas.DataFrame
        A :class:`Clustering`, or its ``k_scores`` table.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure is made if None.

    Returns
    -------
    matplotlib.axes.Axes
    """
    from matplotlib.ticker import MaxNLocator

    scores = clustering.k_scores if isinstance(clustering, Clustering) else clustering
    _require(scores, ["k", "silhouette"], "Clustering.k_scores")
    ax = new_axes(ax, (7, 4))
    errors = scores["silhouette_se"] if "silhouette_se" in scores.columns else None
    ax.errorbar(scores["k"], scores["silhouette"], yerr=errors, marker="o", markersize=4, capsize=2,
                label="mean silhouette ± 1 standard error")
    if errors is not None and len(scores) > 1:
        best = scores["silhouette"].idxmax()
        bar = scores["silhouette"].loc[best] - errors.loc[best]
        ax.axhline(bar, color="grey", linestyle=":", linewidth=1, label="best mean − 1 standard error")
    if "chosen" in scores.columns and scores["chosen"].any():
        chosen = scores[scores["chosen"]].iloc[0]
        ax.scatter([chosen["k"]], [chosen["silhouette"]], s=120, facecolors="none", edgecolors="crimson",
                   linewidths=2, zorder=3, label=f"chosen k = {int(chosen['k'])}")
    ax.set_title("Choosing the number of clusters")
    ax.set_xlabel("Number of clusters k")
    ax.set_ylabel("Mean silhouette (cosine)")
    ks = sorted(int(k) for k in scores["k"])
    if len(ks) <= 25:  # the candidates themselves (one candidate would get ticks 1.9, 2.0, 2.1)
        ax.set_xticks(ks)
        if len(ks) == 1:
            ax.set_xlim(ks[0] - 1, ks[0] + 1)
    else:
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.legend(fontsize=8, frameon=False, loc="best")
    return ax


def clusters_by_year(clustering: Clustering, *, n_terms: int = 3) -> pd.DataFrame:
    """Table behind :func:`plot_clusters_by_year`: works per cluster and publication year.

    Years between the first and last are filled with zeros. Works without a
    publication year are not in the table; their number is in
    ``table.attrs["n_without_year"]``.

    Parameters
    ----------
    clustering : Clustering
        Result of :func:`cluster_abstracts`.
    n_terms : int, default 3
        Top terms in each cluster's label.

    Returns
    -------
    pandas.DataFrame
        Columns ``year`` (int64), ``cluster``, ``label``, ``n_works``, in
        year then cluster order.
    """
    years = clustering.publication_year.reindex(clustering.labels.index)
    known = years.notna().to_numpy()
    names = _cluster_names(clustering, n_terms)
    clusters = np.arange(clustering.k, dtype="int64")
    if known.any():
        counted = pd.crosstab(years[known].astype("int64").to_numpy(), clustering.labels[known].to_numpy())
        year_range = np.arange(counted.index.min(), counted.index.max() + 1, dtype="int64")
        counted = counted.reindex(index=year_range, columns=clusters, fill_value=0)
        table = (
            counted.rename_axis(index="year", columns="cluster").stack().rename("n_works").reset_index()
        )
    else:
        table = pd.DataFrame({"year": [], "cluster": [], "n_works": []})
    table = table.astype({"year": "int64", "cluster": "int64", "n_works": "int64"})
    table.insert(2, "label", names.reindex(table["cluster"]).to_numpy())
    table = table.astype({"label": "str"})
    table.attrs["n_without_year"] = int((~known).sum())
    return table


def plot_clusters_by_year(clustering: Clustering | pd.DataFrame, *, ax=None, n_terms: int = 3):
    """Stacked bars: works of each cluster by publication year.

    Each cluster's number is written in its tallest bar when it fits there,
    so a cluster is found without matching colours to the legend.

    Parameters
    ----------
    clustering : Clustering or pandas.DataFrame
        A :class:`Clustering`, or the table from :func:`clusters_by_year`.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure is made if None.
    n_terms : int, default 3
        Top terms in each cluster's legend entry.

    Returns
    -------
    matplotlib.axes.Axes
    """
    from matplotlib.ticker import MaxNLocator

    from ..placement import LabelsInside, text_colour_on

    table = _plot_table(clustering, clusters_by_year, ["year", "cluster", "n_works"], n_terms=n_terms)
    ax = new_axes(ax, (10, 4.5))
    colours = _colours(table["cluster"]) if len(table) else {}
    bottom = None
    numbers = []
    for cluster, rows in table.groupby("cluster", sort=True):
        rows = rows.sort_values("year")
        counts = rows["n_works"].to_numpy(dtype=float)
        if bottom is None:
            bottom = np.zeros_like(counts)
        bars = ax.bar(rows["year"].to_numpy(), counts, bottom=bottom, width=0.85,
                      color=colours[int(cluster)], label=rows["label"].iloc[0])
        if counts.max(initial=0) > 0:  # the cluster's number in its tallest bar, shown when it fits there
            tallest = int(np.argmax(counts))
            numbers.append((ax.text(rows["year"].iloc[tallest], bottom[tallest] + counts[tallest] / 2, str(cluster),
                                    ha="center", va="center", fontsize=7, fontweight="bold",
                                    color=text_colour_on(colours[int(cluster)])), bars.patches[tallest]))
        bottom = bottom + counts
    if numbers:
        ax.add_artist(LabelsInside(numbers))
    n_without = int(table.attrs.get("n_without_year", 0))
    title = f"{_name(clustering)} by publication year"
    if n_without:
        title += f"\n({n_without:,} works without a publication year not shown)"
    if not len(table):
        ax.text(0.5, 0.5, "No clustered work has a publication year", ha="center", va="center",
                transform=ax.transAxes)
    else:
        _cluster_legend(ax, reverse=True)  # in the order of the stack, the first cluster at the bottom
    ax.set_title(title)
    ax.set_xlabel("Publication year")
    ax.set_ylabel("Works")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    return ax


