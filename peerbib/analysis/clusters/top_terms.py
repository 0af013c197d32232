"""The terms that set each cluster apart from the others."""
from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import sparse

__all__ = ["top_terms"]


def _merge_overlapping_terms(order: np.ndarray, features: np.ndarray) -> list[int]:
    """Drop words already said by a listed bigram, keeping the list's order.

    "medium secure" takes the place of "medium" when that came first, and
    "secure" is then not listed again: "high, medium, medium secure, secure"
    becomes "high, medium secure".
    """
    kept: list[int] = []
    for j in order:
        words = features[j].split(" ")
        if len(words) == 1:
            if not any(words[0] in features[i].split(" ") for i in kept):
                kept.append(int(j))
            continue
        covered = [i for i in kept if features[i] in words]
        if covered:
            kept[kept.index(covered[0])] = int(j)
            kept = [i for i in kept if i not in covered[1:]]
        elif not any(features[i] == features[j] for i in kept):
            kept.append(int(j))
    return kept


def top_terms(X, labels, k, features, n_terms) -> pd.DataFrame:
    """``cluster, rank, term, score, in_cluster, elsewhere`` (see :attr:`Clustering.top_terms`)."""
    n = X.shape[0]
    counts = np.bincount(labels, minlength=k).astype(np.float64)
    indicator = sparse.csr_matrix((np.ones(n), (labels, np.arange(n))), shape=(k, n))
    weight_sums = np.asarray((indicator @ X).toarray(), dtype=np.float64)
    presence = X.copy()
    presence.data = np.ones_like(presence.data)
    doc_sums = np.asarray((indicator @ presence).toarray(), dtype=np.float64)
    total_weight, total_docs = weight_sums.sum(axis=0), doc_sums.sum(axis=0)
    rows = []
    for c in range(k):
        rest = max(n - counts[c], 1.0)
        score = weight_sums[c] / counts[c] - (total_weight - weight_sums[c]) / rest
        order = np.argsort(-score, kind="stable")[: 4 * n_terms]
        chosen = _merge_overlapping_terms(order[score[order] > 0], features)[:n_terms]
        for rank, j in enumerate(chosen):
            rows.append(
                {
                    "cluster": c,
                    "rank": rank,
                    "term": str(features[j]),
                    "score": float(score[j]),
                    "in_cluster": float(doc_sums[c, j] / counts[c]),
                    "elsewhere": float((total_docs[j] - doc_sums[c, j]) / rest),
                }
            )
    columns = ["cluster", "rank", "term", "score", "in_cluster", "elsewhere"]
    return pd.DataFrame(rows, columns=columns).astype({"cluster": "int64", "rank": "int64", "term": "str"})
