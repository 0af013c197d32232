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

The steps, one module each: the text of each work (:mod:`.selection`), TF-IDF
and LSA vectors and 2-D coordinates (:mod:`.vectors`), the k search
(:mod:`.k_search`), silhouettes and baselines (:mod:`.silhouette`), the top
terms (:mod:`.top_terms`), the representative works (:mod:`.representatives`)
and the result (:class:`Clustering`, :mod:`.result`).

The plots follow the package's convention: each ``plot_*`` takes ``ax=``,
returns the Axes and has a twin that returns the DataFrame behind it
(:func:`cluster_map`, :func:`cluster_sizes`, :func:`clusters_by_year`).
"""
from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from ...deprecation import deprecated_positional
from ...errors import AnalysisError
from .k_search import FAST_SAMPLE_SIZE, MAX_K, MIN_TEXTS_PER_CLUSTER, KSearch, candidate_ks, choose_k, \
    one_openmp_thread, search_k
from .representatives import representatives
from .result import Clustering
from .selection import Selection, select_texts
from .silhouette import BASELINE_SAMPLE, baselines, cosine_silhouette
from .top_terms import top_terms
from .vectors import LSA_COMPONENTS, coordinates, distinct_rows, vectorize

# Clustering, choose_k and the settings of each step live in that step's module; they stay importable
# from here, where they were defined before the steps were split into modules.
__all__ = ["Clustering", "cluster_abstracts", "choose_k", "FAST_PATH_MIN_TEXTS", "LSA_COMPONENTS",
           "FAST_SAMPLE_SIZE", "MAX_K", "MIN_TEXTS_PER_CLUSTER", "BASELINE_SAMPLE"]


#: From this many texts on, ``cluster_abstracts`` takes the fast path (LSA +
#: k chosen on a sample). Below it, k-means on the full sparse TF-IDF matrix is
#: cheap enough (about 4 s for 1,000 abstracts and 19 candidate k) and exact.
FAST_PATH_MIN_TEXTS = 1_000


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
    selected = _merged(select_texts(works, use_titles=use_titles))
    X, features, min_df, max_df = vectorize(selected.texts, extra_stop_words=extra_stop_words, min_df=min_df,
                                            max_df=max_df)
    selected, X = _keep_texts_with_terms(selected, X, min_df)
    candidates = _candidates(X, k, k_range)
    use_fast = X.shape[0] >= FAST_PATH_MIN_TEXTS if fast is None else bool(fast)
    if not use_fast:
        # float64: sklearn's k-means++ takes a slow upcasting route for sparse float32.
        X = X.astype(np.float64)
    found = search_k(X, candidates, random_state, fast=use_fast)
    settings = {"min_df": min_df, "max_df": max_df, "n_features": int(X.shape[1]), "use_titles": use_titles,
                "lsa_components": found.lsa_components, "sample_size": int(found.sample_size)}
    return _clustering(selected, found, top_terms(X, found.labels, found.k, features, n_terms),
                       n_representative=n_representative, random_state=random_state, settings=settings)


def _merged(selected: Selection) -> Selection:
    """The texts with each repeated text once (its copies take its cluster), if three distinct texts are left."""
    merged = selected.merge_duplicates()
    if len(merged) < 3:
        n = len(merged)
        raise AnalysisError(
            f"the {len(selected) + len(selected.duplicates)} works with a text have only {n} different "
            f"text{'s' if n > 1 else ''} (the others repeat {'them' if n > 1 else 'it'}: the same terms); clustering "
            "needs at least 3. Check that the abstract column holds each work's own abstract."
        )
    return merged


def _keep_texts_with_terms(selected: Selection, X, min_df):
    """Leave out the texts left with no term by the stop words and min_df (and their rows of ``X``)."""
    has_terms = np.diff(X.indptr) > 0
    if has_terms.all():
        return selected, X
    selected = selected.without(~has_terms, f"no term shared with other texts (min_df={min_df})")
    X = X[has_terms]
    n = X.shape[0]
    if n < 3:
        raise AnalysisError(
            f"only {n} texts have words left after removing stop words and rare terms; "
            "clustering needs at least 3. Add works with abstracts, or pass min_df=1."
        )
    return selected, X


def _candidates(X, k, k_range) -> list[int]:
    """The k to try, once it is clear the texts are not all the same."""
    n_distinct = distinct_rows(X)
    if n_distinct < 2:
        raise AnalysisError(
            "all texts have the same terms, so there is nothing to cluster; "
            "check that the abstract column holds each work's own abstract."
        )
    return candidate_ks(k, k_range, X.shape[0], n_distinct)


def _clustering(selected: Selection, found: KSearch, terms: pd.DataFrame, *, n_representative: int, random_state,
                settings: dict) -> Clustering:
    """The clusters found, with their silhouettes, baselines, coordinates and representatives.

    Per-work outputs are in the caller's row order.
    """
    space, labels, chosen = found.space, found.labels, found.k
    silhouettes = cosine_silhouette(space, labels, chosen)
    with one_openmp_thread():
        null_scores = baselines(space, labels, chosen, random_state)
    coords = coordinates(space, random_state)

    # Back to the caller's row order for the per-work outputs; a work whose text repeats another's takes
    # that work's cluster and place on the map (it was clustered once, as that work).
    duplicates = selected.duplicates.set_index("work_id")
    caller_ids = pd.Index(selected.caller_ids, dtype="str")
    is_copy = caller_ids.isin(duplicates.index)
    clustered_as = np.where(is_copy, duplicates["same_as"].reindex(caller_ids).to_numpy(), caller_ids.to_numpy())
    position = pd.Index(selected.work_ids).get_indexer(clustered_as)
    index = pd.Index(caller_ids[position >= 0], name="work_id", dtype="str")
    position = position[position >= 0]
    own = pd.Series(selected.sources[position], index=index, dtype="str")
    sources = own.where(~index.isin(duplicates.index), duplicates["text_source"].reindex(index).to_numpy())
    years = pd.Series(pd.array(selected.years, dtype="Int64")[position], index=index, name="publication_year")
    years = years.where(~index.isin(duplicates.index), duplicates["publication_year"].reindex(index).to_numpy())
    return Clustering(
        labels=pd.Series(labels[position], index=index, name="cluster", dtype="int64"),
        k=chosen,
        top_terms=terms,
        silhouette=float(silhouettes.mean()),
        cluster_silhouette=pd.Series(silhouettes, dtype="float64")
        .groupby(labels)
        .mean()
        .rename_axis("cluster")
        .rename("silhouette"),
        coords=pd.DataFrame(coords[position], index=index, columns=["x", "y"]),
        representatives=representatives(space, labels, chosen, selected.work_ids, selected.titles,
                                        selected.abstracts, n_representative),
        left_out=selected.left_out.astype({"work_id": "str", "reason": "str"}),
        k_scores=found.k_scores,
        text_source=sources.rename("text_source"),
        publication_year=years.astype("Int64"),
        path=found.path,
        random_state=random_state,
        settings=settings,
        baselines=null_scores,
        duplicates=selected.duplicates[["work_id", "same_as"]].astype("str"),
    )
