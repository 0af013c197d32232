"""The works closest to each cluster's centre, with the first words of their abstract."""
from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import sparse

from ..display import display_titles
from .text import clean_text

__all__ = ["representatives"]


def _excerpt(text: str, length: int = 160):
    if not text:
        return pd.NA
    flat = " ".join(clean_text(text).split())
    return flat if len(flat) <= length else flat[: flat.rfind(" ", 0, length)] + " …"


def representatives(space, labels, k, work_ids, titles, texts, n_representative) -> pd.DataFrame:
    """``cluster, rank, work_id, title, excerpt, similarity`` (see :attr:`Clustering.representatives`); titles
    written in capitals in sentence case (:func:`peerbib.analysis.display.display_titles`)."""
    n = space.shape[0]
    titles = display_titles(pd.Series(list(titles), dtype="object")).to_numpy()
    indicator = sparse.csr_matrix((np.ones(n), (labels, np.arange(n))), shape=(k, n))
    sums = indicator @ space
    sums = sums.toarray() if sparse.issparse(sums) else np.asarray(sums)
    norms = np.linalg.norm(sums, axis=1)
    norms[norms == 0] = 1.0
    similarity = np.asarray(space @ (sums / norms[:, None]).T, dtype=np.float64)
    own = similarity[np.arange(n), labels]
    rows = []
    for c in range(k):
        members = np.flatnonzero(labels == c)
        best = members[np.argsort(-own[members], kind="stable")[:n_representative]]
        for rank, i in enumerate(best):
            rows.append(
                {
                    "cluster": c,
                    "rank": rank,
                    "work_id": work_ids[i],
                    "title": titles[i],
                    "excerpt": _excerpt(texts[i]),
                    "similarity": float(own[i]),
                }
            )
    frame = pd.DataFrame(rows, columns=["cluster", "rank", "work_id", "title", "excerpt", "similarity"])
    return frame.astype({"cluster": "int64", "rank": "int64", "work_id": "str", "title": "str", "excerpt": "str"})
