"""Text preparation for topic clusters: headings out, tokens, stop words, plurals, term counts.

Abstracts are cleaned of structured-abstract headings, markup and entities,
split into words (hyphenated compounds kept whole), stop words and the words
every abstract has ("study", "findings") dropped, regular plurals folded, and
counted as words and adjacent-word bigrams in a sparse matrix.
"""
from __future__ import annotations

import html
import re
import unicodedata
import numpy as np
import pandas as pd
from scipy import sparse

__all__ = ["clean_text"]


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
# Words, keeping hyphenated compounds whole ("co-production", "trauma-informed")
# and the digits of a word that starts with a letter: gene, protein and virus
# names ("TP53", "FLT3", "H1N1", "IL-6", "COVID-19", "SARS-CoV-2") are one term,
# not a stub ("tp", "il") and a number. As separate tokens, the punctuation marks
# and numbers (years, counts, "12-month"'s 12) that end a phrase: they never
# become terms, but no bigram spans them.
_TOKEN_RE = re.compile(r"[^\W\d_][^\W_]*(?:-[^\W_]+)*|[^\w\s]|\d+")
# The same on lower-cased ASCII text, a third faster.
# Scripts written without spaces between words (Chinese, Japanese kana and kanji, Thai): a run of
# them is one "word" to the token pattern, often a whole sentence. Such runs are cut into
# overlapping character bigrams, the usual unit for these scripts when no segmenter is at hand.
_UNSPACED = "\u0e00-\u0e7f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_UNSPACED_RUN_RE = re.compile(f"[{_UNSPACED}]+|[^{_UNSPACED}]+")
_HAS_UNSPACED_RE = re.compile(f"[{_UNSPACED}]")
# Between two bigrams: a mark that is no term and breaks word pairs (bigrams of bigrams say nothing more).
_BREAK = "."
# Bigrams that carry grammar, not topic, are left out: any with Japanese hiragana (particles and
# inflections: の, に, する, …; content words are written in kanji and katakana) or with one of
# Chinese's commonest function characters.
_HIRAGANA_RE = re.compile("[\u3040-\u309f]")
_CJK_FUNCTION_CHARS = frozenset("的了和是在与及对为等也而或被将把这那其之以于中上下不有")


def _unspaced_bigrams(tokens: list[str]) -> list[str]:
    """Tokens with every run of an unspaced script cut into character bigrams, a break after each."""
    out: list[str] = []
    for token in tokens:
        if not _HAS_UNSPACED_RE.search(token):
            out.append(token)
            continue
        for run in _UNSPACED_RUN_RE.findall(token):
            if not _HAS_UNSPACED_RE.match(run):
                out.append(run)
            elif len(run) == 1:
                out += [run, _BREAK]
            else:
                for i in range(len(run) - 1):
                    pair = run[i:i + 2]
                    if _HIRAGANA_RE.search(pair) or _CJK_FUNCTION_CHARS.intersection(pair):
                        out.append(_BREAK)
                    else:
                        out += [pair, _BREAK]
    return out


_ASCII_TOKEN_RE = re.compile(r"[a-z][a-z0-9]*(?:-[a-z0-9]+)*|[^\w\s]|\d+")

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
        if text.isascii():
            tokens = _ASCII_TOKEN_RE.findall(text)
        else:
            tokens = _TOKEN_RE.findall(text)
            if _HAS_UNSPACED_RE.search(text):
                tokens = _unspaced_bigrams(tokens)
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


