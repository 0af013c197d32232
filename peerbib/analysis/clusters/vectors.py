"""The texts as vectors: TF-IDF of their terms, its LSA reduction (the fast path), 2-D coordinates for the map.

Every matrix stays sparse until LSA: no dense document-term matrix is made.
Rows have unit L2 norm, which the exact silhouette relies on.
"""
from __future__ import annotations

from collections.abc import Iterable

import numpy as np
from scipy import sparse

from ...errors import AnalysisError
from .text import _ENGLISH_STOP_WORDS, _SCHOLARLY_STOP_WORDS, _term_counts, _term_names

__all__ = ["vectorize", "tfidf", "distinct_rows", "lsa", "coordinates", "LSA_COMPONENTS"]

#: Latent dimensions kept on the fast path. Topic structure in TF-IDF lives in
#: far fewer dimensions; 100 is the usual LSA choice for clustering.
LSA_COMPONENTS = 100


def _default_min_df(n: int) -> int:
    # A term found in a single text adds nothing to any similarity between
    # texts. From 15,000 texts on, terms in fewer than 1 in 5,000 texts only
    # add memory and SVD time. Not more: on the SYNTHETIC benchmark corpora,
    # 1 in 2,000 (min_df=5 at 10,000 texts) lost rare but topic-specific
    # bigrams and merged two small planted topics (k=11 of 12, ARI 0.97
    # instead of 1.0), for 3 s saved.
    if n < 10:
        return 1
    return max(2, n // 5_000)


def _default_max_df(n: int) -> float:
    # A term in (nearly) every text separates nothing; in a corpus about peer
    # support, "peer" is such a term.
    return 1.0 if n < 10 else 0.9


def tfidf(counts: sparse.csr_matrix, codes: np.ndarray, words: np.ndarray, min_df, max_df):
    """Prune terms by document frequency and weight by TF-IDF (sublinear tf, l2 rows).

    Returns the TF-IDF matrix with its columns in alphabetical order of term,
    and the terms; (None, None) when no term is left.
    """
    from sklearn.feature_extraction.text import TfidfTransformer

    n = counts.shape[0]
    document_frequency = np.bincount(counts.indices, minlength=counts.shape[1])
    # Same rules as TfidfVectorizer: a float max_df is a share, an int a count.
    low = min_df if isinstance(min_df, (int, np.integer)) else int(np.ceil(min_df * n))
    high = max_df if isinstance(max_df, (int, np.integer)) else int(np.floor(max_df * n))
    keep = np.flatnonzero((document_frequency >= low) & (document_frequency <= high))
    if len(keep) == 0:
        return None, None
    terms = _term_names(codes[keep], words)
    alphabetical = np.argsort(terms, kind="stable")
    keep, terms = keep[alphabetical], terms[alphabetical]
    transformer = TfidfTransformer(sublinear_tf=True)
    X = transformer.fit_transform(counts[:, keep].astype(np.float32))
    return X.tocsr(), terms


def vectorize(texts, *, extra_stop_words: Iterable[str], min_df, max_df):
    """TF-IDF matrix of the texts (a row per text, in their order), its terms, and the min_df and max_df used.

    ``min_df`` and ``max_df`` of None adapt to the number of texts; if those
    defaults leave fewer than three texts with a term, every term is kept.
    """
    stop_words = _ENGLISH_STOP_WORDS | _SCHOLARLY_STOP_WORDS | {str(w).lower() for w in extra_stop_words}
    user_set_df = min_df is not None or max_df is not None
    min_df = _default_min_df(len(texts)) if min_df is None else min_df
    max_df = _default_max_df(len(texts)) if max_df is None else max_df
    counts, codes, words = _term_counts(texts, frozenset(stop_words))
    attempts = [(min_df, max_df)]
    if not user_set_df and (min_df, max_df) != (1, 1.0):
        attempts.append((1, 1.0))  # a tiny or repetitive corpus: keep every term
    for attempt_min, attempt_max in attempts:
        X, features = tfidf(counts, codes, words, attempt_min, attempt_max)
        if X is not None and (np.count_nonzero(np.diff(X.indptr)) >= 3 or attempt_min == 1):
            return X, features, attempt_min, attempt_max
    raise AnalysisError(
        f"none of the {len(texts)} texts has enough words left after removing stop words, "
        "structured-abstract headings and rare or ubiquitous terms to cluster "
        f"(min_df={min_df}, max_df={max_df}); check the abstract column, or pass min_df=1, max_df=1.0."
    )


def distinct_rows(X: sparse.csr_matrix) -> int:
    """How many texts differ in their terms or weights (k-means cannot make more clusters than that)."""
    X.sort_indices()
    ptr = X.indptr
    return len({(X.indices[a:b].tobytes(), X.data[a:b].tobytes()) for a, b in zip(ptr[:-1], ptr[1:])})


def lsa(X, sample, random_state):
    """LSA vectors of every text (unit length), the basis estimated on the sample.

    A random sample of 20,000 texts pins down the main directions of a
    corpus as well as all of them do, at a fifth of the cost at 100,000.
    """
    from sklearn.decomposition import TruncatedSVD
    from sklearn.preprocessing import normalize

    X_sample = X[sample]
    n_components = min(LSA_COMPONENTS, X.shape[1] - 1, len(sample) - 1)
    svd = TruncatedSVD(n_components=n_components, n_iter=5, random_state=random_state).fit(X_sample)
    return normalize(svd.transform(X).astype(np.float32)), n_components


def coordinates(space, random_state) -> np.ndarray:
    """``x, y`` of every text: the first two principal components of its vector (zeros when there are not two)."""
    from sklearn.decomposition import PCA

    if space.shape[1] < 2 or space.shape[0] < 3:
        out = np.zeros((space.shape[0], 2))
        return out
    if sparse.issparse(space):
        pca = PCA(n_components=2, svd_solver="arpack", random_state=random_state)
        return pca.fit_transform(space.astype(np.float64))
    return PCA(n_components=2, svd_solver="full").fit_transform(np.asarray(space, dtype=np.float64))
