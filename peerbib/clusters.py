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

import html
import os
import re
import unicodedata
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import sparse

from .errors import AnalysisError

__all__ = [
    "Clustering",
    "cluster_abstracts",
    "choose_k",
    "cluster_map",
    "plot_cluster_map",
    "cluster_sizes",
    "plot_cluster_sizes",
    "clusters_by_year",
    "plot_clusters_by_year",
    "plot_k_scores",
    "clean_text",
    "FAST_PATH_MIN_TEXTS",
]

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
# Text preparation
# --------------------------------------------------------------------------

# Headings of structured abstracts (Emerald, BMC, Wiley, ...). They are removed
# only where they stand as headings: at the start of the text or of a line, or
# right after the end of a sentence, and followed by a capitalised word, which
# covers both "Findings\n\nThe six peers..." and text where the heading has run
# into the first sentence ("ResultsPeer Workers were...", "KeywordsMental").
# "Social implications" must go as a heading, yet "social" stays a topic word.
_HEADINGS = (
    "Design/methodology/approach",
    "Research limitations/implications",
    "Practical implications",
    "Social implications",
    "Policy implications",
    "Managerial implications",
    "Originality/value",
    "Patient or Public Contribution",
    "Main outcome measures",
    "Purpose",
    "Findings",
    "Background",
    "Methods",
    "Method",
    "Methodology",
    "Results",
    "Conclusions",
    "Conclusion",
    "Objectives",
    "Objective",
    "Aims",
    "Aim",
    "Design",
    "Setting",
    "Settings",
    "Participants",
    "Interventions",
    "Measurements",
    "Keywords",
    "Key words",
    "Abbreviations",
    "Abstract",
    "Introduction",
    "Discussion",
    "Limitations",
    "Implications",
    "Context",
    "Summary",
    "Highlights",
)
_HEADING_ALTERNATIVES = "|".join(
    re.escape(h)
    for h in sorted({*_HEADINGS, *(h.upper() for h in _HEADINGS)}, key=len, reverse=True)
)
_HEADING_RE = re.compile(
    r"(?:^|(?<=[\n\r.!?;:]))[ \t\r\n]*(?:" + _HEADING_ALTERNATIVES + r")[ \t]*[:.\-–—]?"
    r"(?=\s*[A-Z0-9\"“‘'(\[]|\s*$)",
    re.MULTILINE,
)
# A quick first test (a bare alternation scans fast) before the full pattern.
_HEADING_HINT_RE = re.compile(_HEADING_ALTERNATIVES)
_TAG_RE = re.compile(r"<[^>]{0,200}>")
_HYPHENS_RE = re.compile(r"[‐‑‒–—−]")
# Words, keeping hyphenated compounds whole ("co-production", "trauma-informed"),
# and, as separate tokens, the punctuation marks and numbers that end a phrase:
# they never become terms, but no bigram spans them.
_TOKEN_RE = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*|[^\w\s]|\d+")
# The same on lower-cased ASCII text, a third faster.
_ASCII_TOKEN_RE = re.compile(r"[a-z]+(?:-[a-z]+)*|[^\w\s]|\d+")

# sklearn's English list, less a few entries that are topic words in health and
# social research ("system", "interest", "fire", "bill").
_ENGLISH_STOP_WORDS = frozenset(
    {
        "a", "about", "above", "across", "after", "afterwards", "again", "against", "all",
        "almost", "alone", "along", "already", "also", "although", "always", "am", "among",
        "amongst", "amoungst", "amount", "an", "and", "another", "any", "anyhow", "anyone",
        "anything", "anyway", "anywhere", "are", "around", "as", "at", "back", "be", "became",
        "because", "become", "becomes", "becoming", "been", "before", "beforehand", "behind",
        "being", "below", "beside", "besides", "between", "beyond", "both", "bottom", "but",
        "by", "call", "can", "cannot", "cant", "co", "con", "could", "couldnt", "cry", "de",
        "describe", "detail", "do", "done", "down", "due", "during", "each", "eg", "eight",
        "either", "eleven", "else", "elsewhere", "empty", "enough", "etc", "even", "ever",
        "every", "everyone", "everything", "everywhere", "except", "few", "fifteen", "fifty",
        "fill", "find", "first", "five", "for", "former", "formerly", "forty", "found",
        "four", "from", "front", "full", "further", "get", "give", "go", "had", "has", "hasnt",
        "have", "he", "hence", "her", "here", "hereafter", "hereby", "herein", "hereupon",
        "hers", "herself", "him", "himself", "his", "how", "however", "hundred", "i", "ie",
        "if", "in", "inc", "indeed", "into", "is", "it", "its", "itself", "keep", "last",
        "latter", "latterly", "least", "less", "ltd", "made", "many", "may", "me", "meanwhile",
        "might", "mill", "mine", "more", "moreover", "most", "mostly", "move", "much", "must",
        "my", "myself", "name", "namely", "neither", "never", "nevertheless", "next", "nine",
        "no", "nobody", "none", "noone", "nor", "not", "nothing", "now", "nowhere", "of",
        "off", "often", "on", "once", "one", "only", "onto", "or", "other", "others",
        "otherwise", "our", "ours", "ourselves", "out", "over", "own", "part", "per",
        "perhaps", "please", "put", "rather", "re", "same", "see", "seem", "seemed", "seeming",
        "seems", "serious", "several", "she", "should", "show", "side", "since", "sincere",
        "six", "sixty", "so", "some", "somehow", "someone", "something", "sometime",
        "sometimes", "somewhere", "still", "such", "take", "ten", "than", "that", "the",
        "their", "them", "themselves", "then", "thence", "there", "thereafter", "thereby",
        "therefore", "therein", "thereupon", "these", "they", "thick", "thin", "third", "this",
        "those", "though", "three", "through", "throughout", "thru", "thus", "to", "together",
        "too", "top", "toward", "towards", "twelve", "twenty", "two", "un", "under", "until",
        "up", "upon", "us", "very", "via", "was", "we", "well", "were", "what", "whatever",
        "when", "whence", "whenever", "where", "whereafter", "whereas", "whereby", "wherein",
        "whereupon", "wherever", "whether", "which", "while", "whither", "who", "whoever",
        "whole", "whom", "whose", "why", "will", "with", "within", "without", "would", "yet",
        "you", "your", "yours", "yourself", "yourselves",
        # contractions split at the apostrophe, and the odd leftovers of it
        "s", "t", "don", "doesn", "isn", "didn", "won", "ll", "ve",
    }
)

# Words that say what kind of document an abstract is (a paper, a study, its
# aims, methods and findings, what it explores or reports), not what it is
# about. They occur in most abstracts of every field, so they carry no topic,
# yet in a corpus of fifteen abstracts max_df cannot remove them and they would
# top every cluster's terms. Heading words are here too because headings are
# not always where the heading pattern can see them. Listed in the folded
# (singular) form that _fold_plural produces.
_SCHOLARLY_STOP_WORDS = frozenset(
    {
        "paper", "study", "article", "research", "researcher", "author", "chapter",
        "abstract", "purpose", "aim", "objective", "background", "method", "methodology",
        "finding", "result", "conclusion", "conclude", "keyword", "originality",
        "implication", "limitation", "introduction", "discussion", "summary", "highlight",
        "present", "presented", "presents", "report", "reported", "reporting", "reports",
        "describe", "described", "describes", "explore", "explored", "explores", "exploring",
        "examine", "examined", "examines", "examining", "investigate", "investigated",
        "investigates", "investigating", "discuss", "discussed", "discusses", "suggest",
        "suggested", "suggests", "show", "showed", "shown", "shows", "provide", "provided",
        "provides", "providing", "use", "used", "uses", "using", "based", "include",
        "included", "includes", "including", "new", "current", "currently", "paper",
        "et", "al", "ii", "iii", "doi", "http", "https", "www", "org", "copyright",
        "rights", "reserved", "elsevier", "springer", "wiley", "ltd", "published", "publisher",
    }
)

_IRREGULAR_PLURALS = {"lives": "life", "children": "child", "analyses": "analysis", "women": "woman"}
_KEEP_AS_IS = frozenset(
    {
        "bias", "alias", "atlas", "canvas", "gas", "whereas", "has", "was", "series",
        "species", "news", "always", "perhaps", "towards", "afterwards", "besides",
        "sometimes", "overseas", "lens", "yes", "covid", "aids", "ms", "ethics", "politics",
        "physics", "economics", "statistics", "diabetes", "hiv", "means", "whereas",
    }
)


def _fold_plural(word: str) -> str:
    """Fold a regular English plural to its singular (workers -> worker).

    Deliberately light: a term and its plural should count as one term
    ("peer worker" and "peer workers"), but a stemmer's stubs ("servic",
    "commun") would not read as topics.
    """
    if word in _IRREGULAR_PLURALS:
        return _IRREGULAR_PLURALS[word]
    if len(word) <= 3 or not word.endswith("s") or word in _KEEP_AS_IS:
        return word
    if word.endswith(("ss", "us", "is", "ics", "ous")):
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("sses", "ches", "shes", "xes")):
        return word[:-2]
    return word[:-1]


def clean_text(text: str) -> str:
    """Prepare one title or abstract for term extraction.

    Decodes HTML entities (twice, for text escaped twice upstream), drops HTML
    and JATS tags, unifies hyphens and removes the headings of structured
    abstracts ("Purpose", "Design/methodology/approach", "Findings", ...).

    Parameters
    ----------
    text : str
        A title or an abstract.

    Returns
    -------
    str
        The text, still in its original case and wording.
    """
    # Each step only when it can change something: this runs on every abstract.
    if "&" in text:
        text = html.unescape(html.unescape(text))
    if "<" in text:
        text = _TAG_RE.sub(" ", text)
    if not text.isascii():
        text = _HYPHENS_RE.sub("-", unicodedata.normalize("NFKC", text))
    if _HEADING_HINT_RE.search(text) is None:
        return text
    return _HEADING_RE.sub(" ", text)


def _normalise_token(token: str, stop_words: frozenset[str]) -> str | None:
    """The term a lower-case token stands for, or None (stop word, punctuation, number)."""
    if len(token) < 2 or not token[0].isalpha() or token in stop_words:
        return None
    folded = _fold_plural(token)
    return None if folded in stop_words else folded


def _term_counts(texts, stop_words: frozenset[str]) -> tuple[sparse.csr_matrix, np.ndarray, np.ndarray]:
    """Count the unigrams and bigrams of every text.

    Bigrams are pairs of adjacent words: a stop word, a number or a
    punctuation mark between two words breaks the pair, so "peer support in
    mental health services: a qualitative study" gives "peer support",
    "mental health" and "health service" but not "support mental" or "service
    qualitative" (which scikit-learn's n-grams, formed after stop words are
    dropped, would produce).

    scikit-learn's vectorizers look up every unigram and bigram in a Python
    dict; at 100,000 abstracts (24 million terms) that alone takes ~30 s. Here
    each distinct token is normalised once (memoised), texts become arrays
    of word ids, and bigrams are integer pairs counted with numpy.

    Returns
    -------
    (scipy.sparse.csr_matrix, numpy.ndarray, numpy.ndarray)
        Counts (texts x terms, int32), the code of each column (see
        :func:`_term_names`) and the words the codes refer to.
    """
    word_ids: dict[str, int] = {}

    class TokenIds(dict):
        # Word id of each distinct token, -1 for stop words; filled on first sight.
        def __missing__(self, token: str) -> int:
            word = _normalise_token(token, stop_words)
            word_id = self[token] = -1 if word is None else word_ids.setdefault(word, len(word_ids))
            return word_id

    token_ids = TokenIds()
    lookup = token_ids.__getitem__
    chunks: list[np.ndarray] = []
    flat: list[int] = []
    lengths = np.zeros(len(texts), dtype=np.int64)
    for i, text in enumerate(texts):
        text = clean_text(text).lower()
        tokens = (_ASCII_TOKEN_RE if text.isascii() else _TOKEN_RE).findall(text)
        flat.extend(map(lookup, tokens))  # no per-token Python code once a token is known
        lengths[i] = len(tokens)
        if len(flat) > 1_000_000:
            chunks.append(np.array(flat, dtype=np.int32))
            flat.clear()
    chunks.append(np.array(flat, dtype=np.int32))
    del flat
    ids = np.concatenate(chunks)
    del chunks
    docs = np.repeat(np.arange(len(texts), dtype=np.int32), lengths)
    words = np.array(list(word_ids), dtype=object)
    n_words = len(words)
    is_word = ids >= 0
    pair = is_word[:-1] & is_word[1:] & (docs[1:] == docs[:-1])
    # Bigram (a, b) gets code n_words + a * n_words + b, above every unigram code.
    first, second = ids[:-1][pair].astype(np.int64), ids[1:][pair]
    codes = np.concatenate([ids[is_word].astype(np.int64), n_words + first * n_words + second])
    del first, second
    code_docs = np.concatenate([docs[is_word], docs[:-1][pair]])
    del ids, docs, is_word, pair
    columns, unique_codes = pd.factorize(codes, sort=False)
    del codes
    columns = columns.astype(np.int32)
    counts = sparse.csr_matrix(
        (np.ones(len(columns), dtype=np.int32), (code_docs, columns)),
        shape=(len(texts), len(unique_codes)),
    )
    counts.sum_duplicates()
    return counts, np.asarray(unique_codes, dtype=np.int64), words


def _term_names(codes: np.ndarray, words: np.ndarray) -> np.ndarray:
    """Terms of the codes made by :func:`_term_counts` (word id, or pair of ids)."""
    n_words = len(words)
    is_bigram = codes >= n_words
    bigram = codes[is_bigram] - n_words
    terms = np.empty(len(codes), dtype=object)
    terms[~is_bigram] = words[codes[~is_bigram]]
    terms[is_bigram] = [f"{a} {b}" for a, b in zip(words[bigram // n_words], words[bigram % n_words])]
    return terms.astype(str)


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

        The table is written to a temporary file in the target folder and
        renamed over ``path``, so a reader never sees a half-written file.

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
        target.parent.mkdir(parents=True, exist_ok=True)
        # A unique name beside the target (same file system, so the rename is
        # atomic), opened normally so the file gets the usual permissions.
        tmp_name = target.with_name(f".{target.name}.{os.getpid()}.{uuid.uuid4().hex}.tmp")
        try:
            self.assignments.to_parquet(tmp_name, index=False)
            os.replace(tmp_name, target)
        except BaseException:
            Path(tmp_name).unlink(missing_ok=True)
            raise
        return target


# --------------------------------------------------------------------------
# Clustering
# --------------------------------------------------------------------------


def _present(values: pd.Series) -> np.ndarray:
    """True where a text value is present and not blank."""
    as_text = values.astype("str")
    return (values.notna() & as_text.str.strip().ne("")).to_numpy(dtype=bool)


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


def cluster_abstracts(
    works: pd.DataFrame,
    k: int | None = None,
    random_state: int | None = 0,
    *,
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
        Passed to :class:`sklearn.feature_extraction.text.TfidfVectorizer`.
        By default they adapt to corpus size: ``min_df`` is 1 below 10 texts,
        else ``max(2, n // 5000)``; ``max_df`` is 1.0 below 10 texts, else 0.9.
        If the defaults leave fewer than three texts with a term, every term is
        kept instead.
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
    )


# --------------------------------------------------------------------------
# Tables behind the figures, and the figures
# --------------------------------------------------------------------------


def _cluster_names(clustering: Clustering, n_terms: int) -> pd.Series:
    terms = clustering.terms(n_terms)
    return pd.Series([f"{c}: {t}" if t else str(c) for c, t in terms.items()], index=terms.index, name="label")


def _colours(clusters) -> dict:
    import seaborn as sns

    clusters = sorted(int(c) for c in pd.unique(pd.Series(clusters)))
    n = max(clusters, default=0) + 1
    palette = sns.color_palette("tab10" if n <= 10 else "tab20" if n <= 20 else "husl", n)
    return {c: palette[c] for c in clusters}


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


def _new_axes(ax, figsize):
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=figsize, layout="constrained")
    return ax


def _cluster_legend(ax, **options) -> None:
    """Legend of clusters and their top terms, outside the plot on the right."""
    ax.legend(title="Cluster: top terms", fontsize=8, title_fontsize=8,
              loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False, **options)


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
        Write each cluster's number at the centre of its works; the legend
        gives the number's top terms.
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
    ax = _new_axes(ax, (10, 6))
    shown = table
    if len(table) > max_points:
        shown = table.sample(n=max_points, random_state=random_state).sort_index()
    colours = _colours(table["cluster"])
    size = 40 if len(shown) < 300 else 12 if len(shown) < 5_000 else 3
    for cluster, members in shown.groupby("cluster", sort=True):
        ax.scatter(
            members["x"], members["y"], s=size, alpha=0.75, color=colours[int(cluster)],
            label=members["label"].iloc[0], linewidths=0,
        )
    if annotate:
        # The cluster's number at the median of its works; the legend says
        # which terms the number stands for. Whole labels at the centres
        # would hide the very points of small clusters.
        centres = table.groupby("cluster", sort=True)[["x", "y"]].median()
        for cluster, centre in centres.iterrows():
            ax.annotate(
                str(cluster), (centre["x"], centre["y"]), fontsize=9, fontweight="bold",
                ha="center", va="center",
                bbox={"boxstyle": "circle,pad=0.2", "fc": "white", "ec": colours[int(cluster)], "alpha": 0.9},
            )
    _cluster_legend(ax, markerscale=1.0 if size >= 12 else 2.5)
    k = table["cluster"].nunique()
    title = f"Topic clusters of {len(table):,} works (k = {k})"
    if len(shown) < len(table):
        title += f"\n{len(shown):,} works drawn at random"
    ax.set_title(title)
    ax.set_xlabel("Component 1 (principal component of the TF-IDF vectors)")
    ax.set_ylabel("Component 2")
    return ax


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
    ax = _new_axes(ax, (8, 0.45 * len(table) + 1.5))
    colours = _colours(table["cluster"])
    palette = {label: colours[int(c)] for c, label in zip(table["cluster"], table["label"])}
    sns.barplot(
        data=table, x="n_works", y="label", hue="label", palette=palette, legend=False,
        order=list(table["label"]), orient="h", ax=ax,
    )
    for container in ax.containers:
        ax.bar_label(container, fontsize=8, padding=2)
    ax.set_title(f"Works per topic cluster ({int(table['n_works'].sum()):,} works)")
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
    ax = _new_axes(ax, (7, 4))
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
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.legend(fontsize=8, frameon=False)
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

    table = _plot_table(clustering, clusters_by_year, ["year", "cluster", "n_works"], n_terms=n_terms)
    ax = _new_axes(ax, (10, 4.5))
    colours = _colours(table["cluster"]) if len(table) else {}
    bottom = None
    for cluster, rows in table.groupby("cluster", sort=True):
        rows = rows.sort_values("year")
        counts = rows["n_works"].to_numpy(dtype=float)
        if bottom is None:
            bottom = np.zeros_like(counts)
        ax.bar(rows["year"].to_numpy(), counts, bottom=bottom, width=0.85,
               color=colours[int(cluster)], label=rows["label"].iloc[0])
        bottom = bottom + counts
    n_without = int(table.attrs.get("n_without_year", 0))
    title = "Topic clusters by publication year"
    if n_without:
        title += f"\n({n_without:,} works without a publication year not shown)"
    if not len(table):
        ax.text(0.5, 0.5, "No clustered work has a publication year", ha="center", va="center",
                transform=ax.transAxes)
    else:
        _cluster_legend(ax)
    ax.set_title(title)
    ax.set_xlabel("Publication year")
    ax.set_ylabel("Works")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    return ax


# --------------------------------------------------------------------------
# SYNTHETIC corpora for tests and benchmarks only
# --------------------------------------------------------------------------


def _synthetic_works(
    n: int,
    n_topics: int,
    *,
    seed: int = 0,
    words_per_text: int = 120,
    topic_share: float = 0.25,
    function_share: float = 0.0,
    balanced: bool = True,
    structured: bool = True,
) -> tuple[pd.DataFrame, np.ndarray]:
    """Make a SYNTHETIC works table with planted topics (tests and benchmarks only).

    Never use it for analysis: every record is invented. Words are made-up
    syllable strings. Each text draws ``topic_share`` of its words from its
    planted topic's 60-word vocabulary (a fifth of those borrowed from the
    next topic, so topics overlap) and the rest from a 3,000-word Zipfian
    background shared by all topics. ``function_share`` of all tokens are
    English function words ("the", "of", ...), with a full stop about every
    twenty words, so that texts are as long to read as real abstracts (about
    45% of an abstract's words are stop words). With ``structured`` some texts
    carry structured-abstract headings and HTML entities, as real abstracts do.
    Titles are four words, two from the text's topic. Topics are equally
    common when ``balanced``, else topic t is drawn with weight 1/sqrt(t+1)
    (the largest about 3.5 times the smallest of twelve).

    Returns
    -------
    (pandas.DataFrame, numpy.ndarray)
        The works (``work_id``, ``title``, ``abstract``, ``publication_year``,
        ``is_corpus``) and the planted topic of each row.
    """
    rng = np.random.default_rng(seed)
    syllables = np.array([c + v for c in "bdfgklmnprtvz" for v in "aeiou"])
    n_words = 3_000 + 60 * n_topics
    words: list[str] = []
    seen: set[str] = set()
    while len(words) < n_words:
        word = "".join(rng.choice(syllables, size=int(rng.integers(2, 5))))
        if word not in seen and word not in _ENGLISH_STOP_WORDS:
            seen.add(word)
            words.append(word)
    vocabulary = np.array(words, dtype=object)
    background = np.arange(3_000)
    zipf = 1.0 / np.arange(1, 3_001) ** 0.9
    zipf /= zipf.sum()
    topic_words = [3_000 + 60 * t + np.arange(60) for t in range(n_topics)]
    for t in range(n_topics):  # overlap: a fifth of each topic's words come from the next topic
        neighbour = topic_words[(t + 1) % n_topics]
        topic_words[t] = np.concatenate([topic_words[t][:48], neighbour[48:]])
    topic_p = 1.0 / np.arange(1, 61) ** 0.7
    topic_p /= topic_p.sum()

    if balanced:
        topics = rng.integers(0, n_topics, size=n)
    else:
        weights = 1.0 / np.sqrt(np.arange(1, n_topics + 1))
        topics = rng.choice(n_topics, size=n, p=weights / weights.sum())
    lengths = np.maximum(rng.poisson(words_per_text, size=n), 10)
    total = int(lengths.sum())
    from_topic = rng.random(total) < topic_share
    tokens = background[rng.choice(3_000, size=total, p=zipf)]
    doc_of_token = np.repeat(np.arange(n), lengths)
    topic_rank = rng.choice(60, size=total, p=topic_p)
    topic_table = np.stack(topic_words)
    tokens = np.where(from_topic, topic_table[topics[doc_of_token], topic_rank], tokens)
    token_words = vocabulary[tokens]
    if function_share > 0:
        function_words = np.array(
            ["the", "of", "and", "in", "to", "a", "with", "for", "was", "were", "that", "is", "on",
             "as", "by", "this", "from", "are", "be", "an", "their", "which", "these", "or"], dtype=object)
        is_function = rng.random(total) < function_share
        token_words[is_function] = function_words[rng.integers(0, len(function_words), int(is_function.sum()))]
        sentence_end = rng.random(total) < 0.05
        token_words[sentence_end] = token_words[sentence_end] + "."
    bounds = np.concatenate([[0], np.cumsum(lengths)])
    abstracts = [" ".join(token_words[a:b]) for a, b in zip(bounds[:-1], bounds[1:])]
    if structured:
        for i in range(0, n, 3):
            half = len(abstracts[i]) // 2
            cut = abstracts[i].find(" ", half)
            abstracts[i] = "Purpose\n\n" + abstracts[i][:cut] + " &amp;\n\nFindings\n\n" + abstracts[i][cut + 1:]
    title_topic = topic_table[topics[:, None], rng.choice(60, size=(n, 2), p=topic_p)]
    title_background = background[rng.choice(3_000, size=(n, 2), p=zipf)]
    title_ids = np.concatenate([title_topic, title_background], axis=1)
    titles = [" ".join(vocabulary[row]).capitalize() for row in rng.permuted(title_ids, axis=1)]
    works = pd.DataFrame(
        {
            "work_id": [f"SYN{i:07d}" for i in range(n)],
            "title": pd.array(titles, dtype="str"),
            "abstract": pd.array(abstracts, dtype="str"),
            "publication_year": pd.array(rng.integers(2000, 2025, size=n), dtype="Int64"),
            "is_corpus": np.ones(n, dtype=bool),
        }
    )
    return works, topics
