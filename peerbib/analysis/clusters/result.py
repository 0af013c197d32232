"""The result of :func:`~peerbib.analysis.clusters.cluster_abstracts`: a :class:`Clustering`."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ...files import atomic_write_parquet

__all__ = ["Clustering"]


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

    def describe(self):
        """A few sentences on the clustering for a report, saying plainly when it found no structure."""
        from ..present import Sentences

        b = self.baselines
        figures = (f"mean silhouette {self.silhouette:.3f}, against {b.get('shuffled_terms', float('nan')):.3f} for "
                   f"the same k on the same words shuffled across works and {b.get('random_labels', float('nan')):.3f}"
                   " for random labels") if b else f"mean silhouette {self.silhouette:.3f}"
        where = f"{len(self.labels):,} works in {self.k} clusters ({figures})."
        if self.has_structure:
            return Sentences(f"**{where}** The clusters are clearly better than chance: read them as topics, "
                             "named from their terms.")
        return Sentences(f"**No topic structure found.** {where} The clusters are no better than those of text "
                         "with no topics: they are groups of convenience, not topics; do not read the map or the "
                         "terms as themes of the literature.")

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

    def to_parquet(self, path: str | os.PathLike) -> Path:
        """Write :attr:`assignments` to a Parquet file, atomically.

        The table is written to a hidden temporary file in the target folder
        and renamed over ``path`` (:func:`peerbib.files.atomic_write`), so a
        reader never sees a half-written file.

        Parameters
        ----------
        path : str or os.PathLike
            Target file, e.g. ``data/processed/clusters.parquet``. Missing
            parent folders are created.

        Returns
        -------
        pathlib.Path
            The path written.
        """
        target = Path(path)
        atomic_write_parquet(target, self.assignments)
        return target

