"""Topic clusters of abstracts: TF-IDF + k-means, small-corpus safe and fast at scale.

:func:`cluster_abstracts` turns the abstracts (or, for works without one, the
titles) of a ``works`` table into TF-IDF vectors, groups them with k-means,
chooses the number of clusters by silhouette when it is not given (the
smallest k within one standard error of the best, see :func:`choose_k`), and returns
a :class:`Clustering` with everything a reader needs to judge the result: the
cluster of every work, the terms that set each cluster apart, silhouettes,
2-D coordinates, the works closest to each cluster's centre, and the works
that were left out and why.

Two paths, chosen by corpus size (see :data:`FAST_PATH_MIN_TEXTS`):

* **exact** (fewer than 1,000 texts): k-means runs on the sparse TF-IDF matrix
  itself, ten initialisations per candidate k. Nothing is approximated; a
  few hundred abstracts take about two seconds for 19 candidate k.
* **fast** (1,000 texts and more): the TF-IDF matrix is reduced to
  :data:`LSA_COMPONENTS` latent dimensions (truncated SVD, i.e. latent semantic
  analysis, its basis estimated on a random sample of at most
  :data:`FAST_SAMPLE_SIZE` texts); each candidate k is fitted on that sample
  and scored on every text; the chosen k is refitted on every text, starting
  from the sample's centroids. 100,000 abstracts take about 30 s and 1.6 GB
  (``benchmarks/cluster_scale.py``).

Both paths stay sparse (no dense document-term matrix is ever made) and both
compute the silhouette **exactly on every text**, not on a sample: with
L2-normalised rows the mean cosine distance from a text to a cluster is
``1 - x . sum(cluster) / size``, so all silhouettes cost one product with the
k cluster sums instead of all n x n distances.

The plots follow the package's convention: each ``plot_*`` takes ``ax=``,
returns the Axes and has a twin that returns the DataFrame behind it
(:func:`cluster_map`, :func:`cluster_sizes`, :func:`clusters_by_year`).
"""
from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import sparse

from ...deprecation import deprecated_positional
from ...errors import AnalysisError
from ...files import atomic_write_parquet
from ...ids import is_blank
from .text import _ENGLISH_STOP_WORDS, _SCHOLARLY_STOP_WORDS, _term_counts, _term_names, clean_text

__all__ = ["Clustering", "cluster_abstracts", "choose_k", "FAST_PATH_MIN_TEXTS"]


#: From this many texts on, ``cluster_abstracts`` takes the fast path (LSA +
#: k chosen on a sample). Below it, k-means on the full sparse TF-IDF matrix is
#: cheap enough (about 4 s for 1,000 abstracts and 19 candidate k) and exact.
FAST_PATH_MIN_TEXTS = 1_000
#: Latent dimensions kept on the fast path. Topic structure in TF-IDF lives in
#: far fewer dimensions; 100 is the usual LSA choice for clustering.
LSA_COMPONENTS = 100
#: Texts each candidate k is fitted on during the fast path's choice of k.
FAST_SAMPLE_SIZE = 20_000
#: Largest k tried when ``k_range`` is not given.
MAX_K = 20
#: At least this many texts per cluster, on average, when k is chosen
#: automatically: a "topic" held by one or two works is not a topic.
MIN_TEXTS_PER_CLUSTER = 3


# --------------------------------------------------------------------------
# Result
# --------------------------------------------------------------------------


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


# --------------------------------------------------------------------------
# Clustering
# --------------------------------------------------------------------------


def _present(values: pd.Series) -> np.ndarray:
    """True where a text value is present and not blank."""
    return ~np.fromiter(map(is_blank, values), dtype=bool, count=len(values))


def _select_texts(works: pd.DataFrame, use_titles: bool):
    """Choose each work's text.

    Returns (kept rows, their work_ids, texts, abstracts ("" if none), text
    sources, left-out table).
    """
    if not isinstance(works, pd.DataFrame):
        raise AnalysisError(
            f"cluster_abstracts needs a pandas DataFrame of works, got {type(works).__name__}; "
            "pass tables.works (from pb.load())."
        )
    if "work_id" not in works.columns or not ({"abstract", "title"} & set(works.columns)):
        raise AnalysisError(
            "cluster_abstracts needs a works table with columns work_id and abstract "
            f"(and title); this one has {list(works.columns)}. Pass tables.works from pb.load()."
        )
    work_ids = works["work_id"].astype("str")
    duplicated = work_ids[work_ids.duplicated()]
    if len(duplicated):
        raise AnalysisError(
            f"works has {len(duplicated)} duplicate work_id values (e.g. {duplicated.iloc[0]!r}); "
            "drop them first, e.g. works.drop_duplicates('work_id')."
        )
    n = len(works)
    empty = pd.Series([pd.NA] * n, index=works.index, dtype="str")
    abstracts = works["abstract"] if "abstract" in works.columns else empty
    titles = works["title"] if ("title" in works.columns and use_titles) else empty
    has_abstract, has_title = _present(abstracts), _present(titles)

    source = np.full(n, "", dtype=object)
    source[has_abstract & has_title] = "title+abstract"
    source[has_abstract & ~has_title] = "abstract"
    source[~has_abstract & has_title] = "title"
    kept = source != ""

    has_any_title = _present(works["title"]) if "title" in works.columns else np.zeros(n, dtype=bool)
    reasons = np.where(
        has_any_title & ~has_title, "no abstract (use_titles=False)", "no abstract or title"
    )
    left_out = pd.DataFrame({"work_id": work_ids[~kept].to_numpy(), "reason": reasons[~kept]})

    abstract_text = abstracts.fillna("").astype("str").to_numpy(dtype=object)
    title_text = titles.fillna("").astype("str").to_numpy(dtype=object)
    # The title is a sentence of its own: a separator stops bigrams across it.
    texts = np.where(has_title & has_abstract, title_text + " | " + abstract_text,
                     np.where(has_abstract, abstract_text, title_text))
    abstract_text[~has_abstract] = ""
    return (works[kept], work_ids[kept].to_numpy(dtype=object), texts[kept], abstract_text[kept],
            source[kept], left_out)


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


def _tfidf(counts: sparse.csr_matrix, codes: np.ndarray, words: np.ndarray, min_df, max_df):
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


def _vectorize(texts, stop_words, min_df, max_df, user_set_df):
    counts, codes, words = _term_counts(texts, stop_words)
    attempts = [(min_df, max_df)]
    if not user_set_df and (min_df, max_df) != (1, 1.0):
        attempts.append((1, 1.0))  # a tiny or repetitive corpus: keep every term
    for attempt_min, attempt_max in attempts:
        X, features = _tfidf(counts, codes, words, attempt_min, attempt_max)
        if X is not None and (np.count_nonzero(np.diff(X.indptr)) >= 3 or attempt_min == 1):
            return X, features, attempt_min, attempt_max
    raise AnalysisError(
        f"none of the {len(texts)} texts has enough words left after removing stop words, "
        "structured-abstract headings and rare or ubiquitous terms to cluster "
        f"(min_df={min_df}, max_df={max_df}); check the abstract column, or pass min_df=1, max_df=1.0."
    )


def _distinct_rows(X: sparse.csr_matrix) -> int:
    X.sort_indices()
    ptr = X.indptr
    return len({(X.indices[a:b].tobytes(), X.data[a:b].tobytes()) for a, b in zip(ptr[:-1], ptr[1:])})


def _cosine_silhouette(X, labels: np.ndarray, k: int) -> np.ndarray:
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


def _baselines(space, labels: np.ndarray, k: int, random_state) -> dict:
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
    random_labels = float(np.mean([_cosine_silhouette(space, rng.permutation(labels), k).mean() for _ in range(5)]))
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
        scores.append(float(_cosine_silhouette(shuffled, fitted, k).mean()))
    return {"random_labels": random_labels,
            "shuffled_terms": float(np.mean(scores)) if scores else float("nan"),
            "shuffled_sd": float(np.std(scores, ddof=1)) if len(scores) > 1 else 0.0}


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


def _candidate_ks(k, k_range, n: int, n_distinct: int) -> list[int]:
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
    silhouettes = _cosine_silhouette(X, labels, k)
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


def _lsa(X, sample, random_state):
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


def _coordinates(space, random_state) -> np.ndarray:
    from sklearn.decomposition import PCA

    if space.shape[1] < 2 or space.shape[0] < 3:
        out = np.zeros((space.shape[0], 2))
        return out
    if sparse.issparse(space):
        pca = PCA(n_components=2, svd_solver="arpack", random_state=random_state)
        return pca.fit_transform(space.astype(np.float64))
    return PCA(n_components=2, svd_solver="full").fit_transform(np.asarray(space, dtype=np.float64))


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


def _top_terms(X, labels, k, features, n_terms) -> pd.DataFrame:
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


def _excerpt(text: str, length: int = 160):
    if not text:
        return pd.NA
    flat = " ".join(clean_text(text).split())
    return flat if len(flat) <= length else flat[: flat.rfind(" ", 0, length)] + " …"


def _representatives(space, labels, k, work_ids, titles, texts, n_representative) -> pd.DataFrame:
    n = space.shape[0]
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


@deprecated_positional("k", "random_state")
def cluster_abstracts(
    works: pd.DataFrame,
    *,
    k: int | None = None,
    random_state: int | None = 0,
    k_range: Iterable[int] | None = None,
    use_titles: bool = True,
    min_df: int | float | None = None,
    max_df: int | float | None = None,
    extra_stop_words: Iterable[str] = (),
    n_terms: int = 10,
    n_representative: int = 3,
    fast: bool | None = None,
) -> Clustering:
    """Group works into topic clusters by the words of their abstracts.

    Each work's text is its title and abstract (or its title alone when it has
    no abstract and ``use_titles`` is true). Texts are cleaned (HTML entities
    decoded, tags and structured-abstract headings removed), reduced to
    unigrams and bigrams without English stop words and without words that
    only describe the document ("paper", "study", "findings", ...), weighted
    by TF-IDF with sublinear term frequency, and clustered by k-means.

    Parameters
    ----------
    works : pandas.DataFrame
        At least ``work_id`` and ``abstract``; ``title`` and
        ``publication_year`` are used when present. Other columns are ignored.
        Filter it first, e.g. ``works[works.is_corpus]``.
    k : int, optional
        Number of clusters. By default it is chosen over ``k_range``: the
        smallest k whose mean silhouette is within one standard error of the
        best (see :func:`choose_k`).
    random_state : int or None, default 0
        Seed for k-means, sampling and SVD. The same works and seed give the
        same clusters, terms and coordinates.
    k_range : iterable of int, optional
        Candidate k when ``k`` is None. Default ``2..min(20, n // 3)``, bounded
        by the number of distinct texts, so a cluster holds three texts on
        average.
    use_titles : bool, default True
        Use titles: prepended to abstracts, and alone for works without an
        abstract (``text_source == "title"``). If False only abstracts are
        clustered and works without one are listed in ``left_out``.
    min_df, max_df : int or float, optional
        Keep only terms found in at least ``min_df`` and at most ``max_df``
        texts: an int is a number of texts, a float a share of them (as in
        scikit-learn's ``TfidfVectorizer``; peerbib counts the terms itself and
        weights them with ``TfidfTransformer``). By default they adapt to
        corpus size: ``min_df`` is 1 below 10 texts, else ``max(2, n // 5000)``;
        ``max_df`` is 1.0 below 10 texts, else 0.9. If the defaults leave fewer
        than three texts with a term, every term is kept instead.
    extra_stop_words : iterable of str
        More words to ignore (lower case, singular), e.g. the corpus's own
        subject ``("peer", "mental", "health")``.
    n_terms : int, default 10
        Top terms kept per cluster.
    n_representative : int, default 3
        Representative works kept per cluster.
    fast : bool, optional
        Force the fast (LSA + sampled k choice) or exact path. By default the
        fast path is used from :data:`FAST_PATH_MIN_TEXTS` (1,000) texts on.

    Returns
    -------
    Clustering
        Labels, top terms, silhouettes, coordinates, representatives, the
        works left out and the scores of every candidate k.

    Raises
    ------
    AnalysisError
        If the table lacks the needed columns, has duplicate ``work_id``, or
        fewer than three works have a usable text; if ``k`` or ``k_range`` is
        impossible for the number of texts.

    Examples
    --------
    >>> import peerbib as pb
    >>> tables = pb.load()
    >>> clusters = pb.cluster_abstracts(tables.works[tables.works.is_corpus])
    >>> clusters.terms(5)
    """
    kept, work_ids, texts, abstracts, sources, left_out = _select_texts(works, use_titles)
    if len(texts) < 3:
        raise AnalysisError(
            f"only {len(texts)} of {len(works)} works have an abstract"
            f"{' or title' if use_titles else ''}; clustering needs at least 3. "
            "Add works with abstracts to the corpus"
            f"{'' if use_titles else ' or pass use_titles=True'}."
        )

    # Sorting by work_id makes the result independent of the table's row order.
    order = np.argsort(work_ids.astype(str), kind="stable")
    work_ids, texts, abstracts, sources = work_ids[order], texts[order], abstracts[order], sources[order]
    titles_all = (
        kept["title"].astype("str").to_numpy(dtype=object)[order]
        if "title" in kept.columns
        else np.full(len(order), "", dtype=object)
    )
    years_all = (
        kept["publication_year"].astype("Int64").to_numpy()[order]
        if "publication_year" in kept.columns
        else pd.array([pd.NA] * len(order), dtype="Int64")
    )

    n = len(texts)
    stop_words = _ENGLISH_STOP_WORDS | _SCHOLARLY_STOP_WORDS | {str(w).lower() for w in extra_stop_words}
    user_set_df = min_df is not None or max_df is not None
    min_df = _default_min_df(n) if min_df is None else min_df
    max_df = _default_max_df(n) if max_df is None else max_df
    X, features, min_df, max_df = _vectorize(texts, frozenset(stop_words), min_df, max_df, user_set_df)

    has_terms = np.diff(X.indptr) > 0
    if not has_terms.all():
        no_terms = pd.DataFrame(
            {"work_id": work_ids[~has_terms], "reason": f"no term shared with other texts (min_df={min_df})"}
        )
        left_out = pd.concat([left_out, no_terms], ignore_index=True)
        X = X[has_terms]
        work_ids, texts, sources = work_ids[has_terms], texts[has_terms], sources[has_terms]
        abstracts = abstracts[has_terms]
        titles_all, years_all = titles_all[has_terms], years_all[has_terms]
        n = X.shape[0]
        if n < 3:
            raise AnalysisError(
                f"only {n} texts have words left after removing stop words and rare terms; "
                "clustering needs at least 3. Add works with abstracts, or pass min_df=1."
            )

    n_distinct = _distinct_rows(X)
    if n_distinct < 2:
        raise AnalysisError(
            "all texts have the same terms, so there is nothing to cluster; "
            "check that the abstract column holds each work's own abstract."
        )
    candidates = _candidate_ks(k, k_range, n, n_distinct)
    use_fast = n >= FAST_PATH_MIN_TEXTS if fast is None else bool(fast)

    from threadpoolctl import threadpool_limits

    # k-means on one OpenMP thread: its fits here are small and many, and with
    # two threads on a two-core machine that has anything else running, the
    # threads' spin-waits made them 2-5x slower (24 s instead of 5 s for 800
    # texts); on an idle machine one thread was as fast. BLAS keeps its threads.
    with threadpool_limits(limits=1, user_api="openmp"):
        if use_fast:
            from sklearn.cluster import KMeans

            sample = _fast_sample(n, random_state)
            space, lsa_components = _lsa(X, sample, random_state)
            k_scores, centres = _fit_fast(space, sample, candidates, random_state)
            sample_size = len(sample)
            chosen = choose_k(k_scores)
            final = KMeans(n_clusters=chosen, init=centres[chosen], n_init=1, random_state=random_state)
            labels = final.fit(space).labels_
        else:
            # float64: sklearn's k-means++ takes a slow upcasting route for sparse float32.
            X = X.astype(np.float64)
            space, lsa_components, sample_size = X, None, n
            k_scores, fits = _fit_exact(X, candidates, random_state)
            chosen = choose_k(k_scores)
            labels = fits[chosen]

    labels = _renumber_by_size(labels, chosen)
    k_scores["chosen"] = k_scores["k"] == chosen
    k_scores = k_scores.astype({"k": "int64", "smallest_cluster": "int64"})
    silhouettes = _cosine_silhouette(space, labels, chosen)
    with threadpool_limits(limits=1, user_api="openmp"):
        baselines = _baselines(space, labels, chosen, random_state)
    coords = _coordinates(space, random_state)

    # Back to the caller's row order for the per-work outputs.
    position = pd.Index(work_ids).get_indexer(kept["work_id"].astype("str"))
    position = position[position >= 0]
    index = pd.Index(work_ids[position], name="work_id", dtype="str")
    return Clustering(
        labels=pd.Series(labels[position], index=index, name="cluster", dtype="int64"),
        k=chosen,
        top_terms=_top_terms(X, labels, chosen, features, n_terms),
        silhouette=float(silhouettes.mean()),
        cluster_silhouette=pd.Series(silhouettes, dtype="float64")
        .groupby(labels)
        .mean()
        .rename_axis("cluster")
        .rename("silhouette"),
        coords=pd.DataFrame(coords[position], index=index, columns=["x", "y"]),
        representatives=_representatives(space, labels, chosen, work_ids, titles_all, abstracts, n_representative),
        left_out=left_out.astype({"work_id": "str", "reason": "str"}),
        k_scores=k_scores[["k", "silhouette", "silhouette_se", "inertia", "smallest_cluster", "chosen"]],
        text_source=pd.Series(sources[position], index=index, name="text_source", dtype="str"),
        publication_year=pd.Series(pd.array(years_all, dtype="Int64")[position], index=index,
                                   name="publication_year"),
        path="fast" if use_fast else "exact",
        random_state=random_state,
        settings={
            "min_df": min_df,
            "max_df": max_df,
            "n_features": int(X.shape[1]),
            "use_titles": use_titles,
            "lsa_components": lsa_components,
            "sample_size": int(sample_size),
        },
        baselines=baselines,
    )


