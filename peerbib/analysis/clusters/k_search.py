"""The k search: fit k-means for every candidate number of clusters, score each by silhouette, pick one.

Two paths (chosen in :func:`~peerbib.analysis.clusters.cluster_abstracts`):
**exact** fits every candidate on the sparse TF-IDF matrix itself, ten
initialisations each; **fast** fits each candidate on a sample of the LSA
vectors and scores it on every text, then refits the chosen k on every text
from the sample's centroids. :func:`choose_k` picks the smallest k within one
standard error of the best silhouette.
"""
from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ...errors import AnalysisError
from .silhouette import cosine_silhouette
from .vectors import lsa

__all__ = ["KSearch", "search_k", "choose_k", "candidate_ks", "one_openmp_thread", "FAST_SAMPLE_SIZE", "MAX_K",
           "MIN_TEXTS_PER_CLUSTER"]

#: Texts each candidate k is fitted on during the fast path's choice of k.
FAST_SAMPLE_SIZE = 20_000
#: Largest k tried when ``k_range`` is not given.
MAX_K = 20
#: At least this many texts per cluster, on average, when k is chosen
#: automatically: a "topic" held by one or two works is not a topic.
MIN_TEXTS_PER_CLUSTER = 3


@dataclass
class KSearch:
    """What the k search found.

    Attributes
    ----------
    space : scipy.sparse matrix or numpy.ndarray
        The vectors clustered: the TF-IDF matrix (exact path) or the LSA vectors (fast path).
    labels : numpy.ndarray
        Cluster of every text, numbered by size (0 the largest).
    k : int
        The number of clusters chosen.
    k_scores : pandas.DataFrame
        The scores of every candidate, as :attr:`Clustering.k_scores`.
    lsa_components : int or None
        LSA dimensions (None on the exact path).
    sample_size : int
        Texts the candidates were fitted on.
    path : str
        ``"exact"`` or ``"fast"``.
    """

    space: object
    labels: np.ndarray
    k: int
    k_scores: pd.DataFrame
    lsa_components: int | None
    sample_size: int
    path: str


@contextmanager
def one_openmp_thread():
    """Run k-means on one OpenMP thread inside this block."""
    from threadpoolctl import threadpool_limits

    # k-means on one OpenMP thread: its fits here are small and many, and with
    # two threads on a two-core machine that has anything else running, the
    # threads' spin-waits made them 2-5x slower (24 s instead of 5 s for 800
    # texts); on an idle machine one thread was as fast. BLAS keeps its threads.
    with threadpool_limits(limits=1, user_api="openmp"):
        yield


def search_k(X, candidates: list[int], random_state, *, fast: bool) -> KSearch:
    """Cluster the texts (rows of the TF-IDF matrix ``X``) with the best k of ``candidates``."""
    with one_openmp_thread():
        found = _search_fast(X, candidates, random_state) if fast else _search_exact(X, candidates, random_state)
    found.labels = _renumber_by_size(found.labels, found.k)
    k_scores = found.k_scores
    k_scores["chosen"] = k_scores["k"] == found.k
    k_scores = k_scores.astype({"k": "int64", "smallest_cluster": "int64"})
    found.k_scores = k_scores[["k", "silhouette", "silhouette_se", "inertia", "smallest_cluster", "chosen"]]
    return found


def _search_exact(X, candidates, random_state) -> KSearch:
    k_scores, fits = _fit_exact(X, candidates, random_state)
    chosen = choose_k(k_scores)
    return KSearch(space=X, labels=fits[chosen], k=chosen, k_scores=k_scores, lsa_components=None,
                   sample_size=X.shape[0], path="exact")


def _search_fast(X, candidates, random_state) -> KSearch:
    from sklearn.cluster import KMeans

    sample = _fast_sample(X.shape[0], random_state)
    space, lsa_components = lsa(X, sample, random_state)
    k_scores, centres = _fit_fast(space, sample, candidates, random_state)
    chosen = choose_k(k_scores)
    final = KMeans(n_clusters=chosen, init=centres[chosen], n_init=1, random_state=random_state)
    return KSearch(space=space, labels=final.fit(space).labels_, k=chosen, k_scores=k_scores,
                   lsa_components=lsa_components, sample_size=len(sample), path="fast")


def _renumber_by_size(labels: np.ndarray, k: int) -> np.ndarray:
    """Renumber clusters 0..k-1 by decreasing size (ties: first occurrence)."""
    counts = np.bincount(labels, minlength=k)
    first = np.full(k, len(labels))
    np.minimum.at(first, labels, np.arange(len(labels)))
    order = np.lexsort((first, -counts))
    new_number = np.empty(k, dtype=np.int64)
    new_number[order] = np.arange(k)
    return new_number[labels]


def choose_k(scores: pd.DataFrame) -> int:
    """Pick k from candidate scores by the one-standard-error rule on silhouette.

    The chosen k is the smallest whose mean silhouette is within one standard
    error of the best mean silhouette. Plain "highest silhouette" keeps
    rewarding more clusters on small corpora, where splitting off pairs of
    near-identical abstracts raises the mean; the standard error (standard
    deviation of the texts' silhouettes over the square root of their number)
    says how much of that rise is noise. On a large corpus the standard error
    is tiny and the rule picks the maximum.

    Parameters
    ----------
    scores : pandas.DataFrame
        Columns ``k``, ``silhouette`` and, optionally, ``silhouette_se``
        (without it, the highest silhouette wins), e.g.
        :attr:`Clustering.k_scores`.

    Returns
    -------
    int
        The chosen number of clusters.
    """
    if scores.empty:
        raise AnalysisError("no candidate k to choose from; widen k_range.")
    best = scores["silhouette"].idxmax()
    margin = scores["silhouette_se"].loc[best] if "silhouette_se" in scores.columns else 0.0
    good_enough = scores[scores["silhouette"] >= scores["silhouette"].loc[best] - margin]
    return int(good_enough["k"].min())


def candidate_ks(k, k_range, n: int, n_distinct: int) -> list[int]:
    """The k to try: ``[k]`` when given, else ``k_range`` or 2.. within what ``n`` texts allow."""
    upper = min(n - 1, n_distinct)
    if k is not None:
        if not 2 <= int(k) <= upper:
            raise AnalysisError(
                f"k={k} is not possible with {n} texts ({n_distinct} distinct): "
                f"choose k between 2 and {upper}, or k=None to choose it by silhouette."
            )
        return [int(k)]
    if k_range is None:
        top = min(MAX_K, max(2, n // MIN_TEXTS_PER_CLUSTER), upper)
        return list(range(2, top + 1))
    candidates = sorted({int(c) for c in k_range if 2 <= int(c) <= upper})
    if not candidates:
        raise AnalysisError(
            f"no k in k_range={list(k_range)} is possible with {n} texts ({n_distinct} "
            f"distinct): use values between 2 and {upper}."
        )
    return candidates


def _fit_exact(X, candidates, random_state):
    from sklearn.cluster import KMeans

    rows, fits = [], {}
    for k in candidates:
        model = KMeans(n_clusters=k, n_init=10, random_state=random_state).fit(X)
        labels = model.labels_
        fits[k] = labels
        rows.append(_score_row(k, X, labels, model.inertia_))
    return pd.DataFrame(rows), fits


def _score_row(k, X, labels, inertia):
    silhouettes = cosine_silhouette(X, labels, k)
    return {
        "k": k,
        "silhouette": float(silhouettes.mean()),
        "silhouette_se": float(silhouettes.std(ddof=1) / np.sqrt(len(silhouettes))),
        "inertia": float(inertia),
        "smallest_cluster": int(np.bincount(labels, minlength=k).min()),
    }


def _fast_sample(n: int, random_state) -> np.ndarray:
    rng = np.random.default_rng(random_state)
    return np.sort(rng.choice(n, size=min(n, FAST_SAMPLE_SIZE), replace=False))


def _fit_fast(Z, sample, candidates, random_state):
    """Fit each candidate k on the sample; score it on every text."""
    from sklearn.cluster import KMeans

    Z_sample = Z[sample]
    rows, centres = [], {}
    for k in candidates:
        model = KMeans(n_clusters=k, n_init=3, random_state=random_state).fit(Z_sample)
        labels = model.predict(Z)
        centres[k] = model.cluster_centers_
        inertia = float(((Z - model.cluster_centers_[labels]) ** 2).sum())
        rows.append(_score_row(k, Z, labels, inertia))
    return pd.DataFrame(rows), centres
