"""The result of :func:`~peerbib.analysis.clusters.cluster_abstracts`: a :class:`Clustering`."""
from __future__ import annotations

import io
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ...own_files import write_own_files

__all__ = ["Clustering", "WEAK_BELOW", "CLEAR_ABOVE"]

#: Below this mean silhouette the structure is weak, from it to :data:`CLEAR_ABOVE` there is some, above it is
#: clear (Kaufman & Rousseeuw's reading of the silhouette coefficient: below 0.25 no substantial structure).
WEAK_BELOW = 0.25
CLEAR_ABOVE = 0.5
#: How each grade of :attr:`Clustering.structure` is read, said once under its figures.
_READING = {
    "clear": "**Clear structure.** {where} Works sit well inside their clusters: read them as topics, named from "
             "their terms.",
    "some": "**Some structure.** {where} The clusters are better than chance and works sit nearer their own "
            "cluster than the next, though not by much: read them as topics with blurred edges, named from their "
            "terms.",
    "weak": "**Weak structure: read the groups as a rough sort, not topics.** {where} The clusters beat text with "
            "no topics, but a mean silhouette below 0.25 means a work sits nearly as close to the next cluster as "
            "to its own; the terms say what each group leans to, not a theme of the literature.",
    "none": "**No topic structure found.** {where} The clusters are no better than those of text with no topics: "
            "they are groups of convenience, not topics; do not read the map or the terms as themes of the "
            "literature.",
}


@dataclass(repr=False)
class Clustering:
    """Topic clusters of a set of works, as returned by :func:`cluster_abstracts`.

    Clusters are numbered by size, 0 being the largest.

    Attributes
    ----------
    labels : pandas.Series
        Cluster (int) of each clustered work, indexed by ``work_id``, in the
        order of the input table.
    k : int
        Number of clusters.
    top_terms : pandas.DataFrame
        Columns ``cluster, rank, term, score, in_cluster, elsewhere``: the terms
        that most set each cluster apart. ``score`` is the cluster's mean TF-IDF
        weight of the term minus its mean weight in the other clusters;
        ``in_cluster`` and ``elsewhere`` are the shares of texts containing it.
        A word is not listed again when a listed bigram contains it
        ("medium secure" rather than "medium, medium secure, secure").
    silhouette : float
        Mean cosine silhouette over all clustered texts (-1..1; above ~0.25
        texts sit clearly nearer their own cluster than the next one; TF-IDF of
        real abstracts typically gives 0.02-0.15).
    cluster_silhouette : pandas.Series
        Mean silhouette of each cluster, indexed by cluster.
    coords : pandas.DataFrame
        ``x, y`` of each clustered work (first two principal components of
        its TF-IDF or LSA vector), indexed by ``work_id``.
    representatives : pandas.DataFrame
        Columns ``cluster, rank, work_id, title, excerpt, similarity``: the
        works whose vectors are closest (cosine) to each cluster's centre, with
        the first words of the abstract (NA for works clustered by title).
    left_out : pandas.DataFrame
        Columns ``work_id, reason``: works not clustered and why.
    k_scores : pandas.DataFrame
        Columns ``k, silhouette, silhouette_se, inertia, smallest_cluster,
        chosen``: the candidates considered when k was chosen (one row when k
        was given); ``silhouette_se`` is the standard error of the mean
        silhouette, used by :func:`choose_k`.
        On the fast path these are scores of the sample fit applied to every
        text, so the chosen row can differ slightly from ``silhouette``.
    text_source : pandas.Series
        What was clustered for each work: ``"title+abstract"``, ``"abstract"``
        (no title) or ``"title"`` (no abstract), indexed by ``work_id``.
    publication_year : pandas.Series
        ``publication_year`` of each clustered work (Int64, may be NA).
    path : str
        ``"exact"`` or ``"fast"`` (see the module's documentation).
    random_state : int or None
        Seed the clustering was made with.
    settings : dict
        What was used: ``min_df``, ``max_df``, ``n_features``, ``use_titles``,
        ``lsa_components``, ``sample_size``.
    baselines : dict
        What text with no structure scores (see :func:`.silhouette.baselines`).
    duplicates : pandas.DataFrame
        Columns ``work_id, same_as``: works whose text (title and abstract,
        case and punctuation aside) repeats that of work ``same_as``. Each text
        was clustered once; the copies are in :attr:`labels` with its cluster
        and place, but count in no silhouette, term or representative.
    """

    labels: pd.Series
    k: int
    top_terms: pd.DataFrame
    silhouette: float
    cluster_silhouette: pd.Series
    coords: pd.DataFrame
    representatives: pd.DataFrame
    left_out: pd.DataFrame
    k_scores: pd.DataFrame
    text_source: pd.Series
    publication_year: pd.Series
    path: str
    random_state: int | None
    settings: dict = field(default_factory=dict)
    baselines: dict = field(default_factory=dict)
    duplicates: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame({"work_id": pd.Series(dtype="str"), "same_as": pd.Series(dtype="str")}))

    @property
    def has_structure(self) -> bool:
        """True when the clusters score clearly better than clusters of the same text with no structure.

        That is: the mean silhouette beats random labels, and beats k-means on
        the shuffled-terms vectors by more than twice the larger of that
        baseline's spread and the silhouette's standard error (see
        :attr:`baselines`). Without it, the clusters are not topics.
        """
        if not self.baselines:
            return True
        real_se = float(self.k_scores.loc[self.k_scores["chosen"], "silhouette_se"].iloc[0]) \
            if "chosen" in self.k_scores and self.k_scores["chosen"].any() else 0.0
        null = self.baselines.get("shuffled_terms", float("nan"))
        margin = 2 * max(self.baselines.get("shuffled_sd", 0.0), real_se, 0.005)
        beats_null = np.isnan(null) or self.silhouette > null + margin
        return bool(self.silhouette > self.baselines.get("random_labels", -1.0) and beats_null)

    @property
    def structure(self) -> str:
        """How much structure the clusters show: ``"none"``, ``"weak"``, ``"some"`` or ``"clear"``.

        ``"none"`` when they do not beat the baselines (:attr:`has_structure`);
        else by the mean silhouette: below :data:`WEAK_BELOW` (0.25) weak, up
        to :data:`CLEAR_ABOVE` (0.5) some, above it clear.
        """
        if not self.has_structure:
            return "none"
        if self.silhouette < WEAK_BELOW:
            return "weak"
        return "some" if self.silhouette <= CLEAR_ABOVE else "clear"

    def describe(self):
        """A few sentences on the clustering for a report: what its silhouette and the baselines say it is worth,
        the clusters whose works sit nearer another cluster, and the works clustered once as repeats."""
        from ..present import Sentences

        b = self.baselines
        figures = (f"mean silhouette {_signed(self.silhouette)}, against {_signed(b.get('shuffled_terms', np.nan))} "
                   f"for the same k on the same words shuffled across works and "
                   f"{_signed(b.get('random_labels', np.nan))} for random labels") if b \
            else f"mean silhouette {_signed(self.silhouette)}"
        where = f"{len(self.labels):,} works in {self.k} clusters ({figures})."
        sentences = [_READING[self.structure].format(where=where)]
        negative = self.cluster_silhouette[self.cluster_silhouette < 0].sort_index()
        if len(negative):
            named = _and([f"{int(c)} ({_signed(v)})" for c, v in negative.items()])
            sentences.append(f"Cluster {named}: its works are, on average, nearer another cluster than their own."
                             if len(negative) == 1 else
                             f"Clusters {named}: their works are, on average, nearer another cluster than their own.")
        n_copies = len(self.duplicates)
        if n_copies:
            sentences.append(f"{n_copies:,} work{'s' if n_copies > 1 else ''} repeat{'' if n_copies > 1 else 's'} the "
                             "title and abstract of another (the same record from two databases, say) and "
                             f"{'were' if n_copies > 1 else 'was'} clustered once with it, taking its cluster.")
        return Sentences(" ".join(sentences))

    def caveat(self):
        """One sentence to put beside a figure of clusters without clear structure; empty when there is some."""
        from ..present import Sentences

        if self.structure == "none":
            return Sentences("No topic structure found: the groups on this page are of convenience, not topics.")
        if self.structure == "weak":
            return Sentences(f"Weak structure (mean silhouette {_signed(self.silhouette)}): read the groups as a "
                             "rough sort, not topics.")
        return Sentences("")

    def __repr__(self) -> str:
        return (
            f"Clustering(k={self.k}, works={len(self.labels)}, left_out={len(self.left_out)}, "
            f"silhouette={self.silhouette:.3f}, path={self.path!r})"
        )

    @property
    def assignments(self) -> pd.DataFrame:
        """Flat table of the clustered works, suitable for Parquet.

        Returns
        -------
        pandas.DataFrame
            Columns ``work_id`` (str), ``cluster`` (int64), ``text_source``
            (str), ``x``, ``y`` (float64), one row per clustered work.
        """
        return pd.DataFrame(
            {
                "work_id": self.labels.index.astype("str"),
                "cluster": self.labels.to_numpy(dtype="int64"),
                "text_source": self.text_source.reindex(self.labels.index).to_numpy(),
                "x": self.coords["x"].reindex(self.labels.index).to_numpy(dtype="float64"),
                "y": self.coords["y"].reindex(self.labels.index).to_numpy(dtype="float64"),
            }
        ).astype({"text_source": "str"})

    def terms(self, n: int = 5, *, sep: str = ", ") -> pd.Series:
        """Top terms of each cluster joined into one string.

        Parameters
        ----------
        n : int, default 5
            Terms per cluster.
        sep : str, default ", "
            Separator between terms.

        Returns
        -------
        pandas.Series
            Indexed by cluster (0..k-1), e.g. ``"youth, clinical service, ..."``.
        """
        top = self.top_terms[self.top_terms["rank"] < n]
        joined = top.groupby("cluster", sort=True)["term"].agg(sep.join)
        return joined.reindex(range(self.k), fill_value="").rename("terms")

    def to_parquet(self, path: str | os.PathLike, *, force: bool = False) -> Path:
        """Write :attr:`assignments` to a Parquet file, atomically.

        The table is written to a hidden temporary file in the target folder
        and renamed over ``path``, so a reader never sees a half-written file.
        A file already at ``path`` is replaced only when peerbib wrote it and
        it is unchanged since (:func:`peerbib.own_files.write_own_files`).

        Parameters
        ----------
        path : str or os.PathLike
            Target file, e.g. ``data/processed/clusters.parquet``. Missing
            parent folders are created.
        force : bool
            Replace a file peerbib did not write, keeping it as ``NAME.bak``.

        Returns
        -------
        pathlib.Path
            The path written.

        Raises
        ------
        OwnershipError
            ``path`` is a folder, a symbolic link, in the raw data, or a file
            peerbib did not write (without ``force``).
        """
        buffer = io.BytesIO()
        self.assignments.to_parquet(buffer, index=False)
        return write_own_files({Path(path): buffer.getvalue()}, force=force)[0]


def _signed(value: float) -> str:
    """A silhouette with three decimals and a true minus sign."""
    return "n/a" if np.isnan(value) else f"{value:.3f}".replace("-", "\u2212")


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]
