"""How well texts sit in their clusters: the exact cosine silhouette, and what a clustering with no structure scores.

With L2-normalised rows the mean cosine distance from a text to a cluster is
``1 - x . sum(cluster) / size``, so all silhouettes cost one product with the
k cluster sums instead of all n x n distances: they are computed exactly on
every text, not on a sample.
"""
from __future__ import annotations

import numpy as np
from scipy import sparse

__all__ = ["cosine_silhouette", "baselines", "BASELINE_SAMPLE"]


def cosine_silhouette(X, labels: np.ndarray, k: int) -> np.ndarray:
    """Exact cosine silhouette of every row, in O(n k d) rather than O(n^2 d).

    Rows of ``X`` must have unit L2 norm. The mean cosine distance from row i
    to the members of cluster c is ``1 - x_i . S_c / n_c`` with ``S_c`` the sum
    of the cluster's rows (leaving i out of its own cluster). Singletons get 0,
    as in :func:`sklearn.metrics.silhouette_samples`.
    """
    n = X.shape[0]
    counts = np.bincount(labels, minlength=k).astype(np.float64)
    indicator = sparse.csr_matrix((np.ones(n), (labels, np.arange(n))), shape=(k, n))
    sums = indicator @ X
    sums = sums.toarray() if sparse.issparse(sums) else np.asarray(sums)
    sims = np.asarray(X @ sums.T, dtype=np.float64)
    if sparse.issparse(X):
        self_sim = np.asarray(X.multiply(X).sum(axis=1), dtype=np.float64).ravel()
    else:
        self_sim = np.einsum("ij,ij->i", X, X, dtype=np.float64)
    rows = np.arange(n)
    own_n = counts[labels]
    with np.errstate(divide="ignore", invalid="ignore"):
        a = ((own_n - 1) - (sims[rows, labels] - self_sim)) / (own_n - 1)
        to_other = 1.0 - sims / counts
    to_other[:, counts == 0] = np.inf
    to_other[rows, labels] = np.inf
    b = to_other.min(axis=1)
    denom = np.maximum(a, b)
    with np.errstate(divide="ignore", invalid="ignore"):
        s = np.where(denom > 0, (b - a) / denom, 0.0)
    s[own_n <= 1] = 0.0
    return np.clip(np.nan_to_num(s), -1.0, 1.0)


#: Texts the shuffled-terms baseline is fitted on, at most (a sample of larger corpora).
BASELINE_SAMPLE = 2000


def baselines(space, labels: np.ndarray, k: int, random_state) -> dict:
    """What a clustering with no structure scores, measured on the same vectors.

    ``random_labels``: the mean silhouette of the same cluster sizes given to
    works at random (5 draws). ``shuffled_terms``: the mean silhouette of
    k-means with the same k on the vectors with each term's weights shuffled
    across works (3 draws, at most :data:`BASELINE_SAMPLE` works): the words
    and their frequencies stay, what goes together is gone. Text with no
    topics scores about as well as this; ``shuffled_sd`` is its spread.
    """
    from sklearn.cluster import KMeans
    from sklearn.preprocessing import normalize

    rng = np.random.default_rng(random_state)
    n = space.shape[0]
    random_labels = float(np.mean([cosine_silhouette(space, rng.permutation(labels), k).mean() for _ in range(5)]))
    rows = np.sort(rng.choice(n, size=min(n, BASELINE_SAMPLE), replace=False))
    sample = space[rows]
    scores = []
    for _ in range(3):
        if sparse.issparse(sample):
            columns = sparse.csc_matrix(sample)
            m = columns.shape[0]
            new_rows = np.concatenate([rng.choice(m, size=columns.indptr[j + 1] - columns.indptr[j], replace=False)
                                       for j in range(columns.shape[1])]) if columns.nnz else np.array([], int)
            shuffled = sparse.csc_matrix((columns.data, new_rows, columns.indptr), shape=columns.shape).tocsr()
            shuffled = shuffled[np.diff(shuffled.indptr) > 0]
        else:
            shuffled = rng.permuted(np.asarray(sample), axis=0)
            shuffled = shuffled[np.linalg.norm(shuffled, axis=1) > 0]
        shuffled = normalize(shuffled)
        if shuffled.shape[0] <= k:
            continue
        fitted = KMeans(n_clusters=k, n_init=3, random_state=int(rng.integers(2**31))).fit(shuffled).labels_
        scores.append(float(cosine_silhouette(shuffled, fitted, k).mean()))
    return {"random_labels": random_labels,
            "shuffled_terms": float(np.mean(scores)) if scores else float("nan"),
            "shuffled_sd": float(np.std(scores, ddof=1)) if len(scores) > 1 else 0.0}
