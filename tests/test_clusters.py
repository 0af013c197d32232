"""Topic clusters (peerbib.analysis.clusters).

Most tests run on SYNTHETIC corpora with planted topics, made by
``tests/fixtures/synthetic_corpus.py`` (invented words, invented records: never
analysis data). One test runs on the bundled real corpus.
"""
from __future__ import annotations

import warnings

import matplotlib

matplotlib.use("Agg")  # off-screen, set in the test process only

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from sklearn.feature_extraction.text import TfidfVectorizer  # noqa: E402
from sklearn.metrics import adjusted_rand_score, silhouette_samples  # noqa: E402

from fixtures.synthetic_corpus import synthetic_works  # noqa: E402

import peerbib.analysis.clusters as pc  # noqa: E402
from peerbib.analysis.clusters import model as pcm  # noqa: E402
from peerbib.analysis.clusters import silhouette as pcs  # noqa: E402
from peerbib.analysis.clusters import text as pct  # noqa: E402
from peerbib.analysis.clusters import vectors as pcv  # noqa: E402
from peerbib.errors import AnalysisError  # noqa: E402


def works_table(abstracts, titles=None, years=None):
    n = len(abstracts)
    return pd.DataFrame(
        {
            "work_id": [f"W{i}" for i in range(n)],
            "title": pd.array(titles if titles is not None else [None] * n, dtype="str"),
            "abstract": pd.array(abstracts, dtype="str"),
            "publication_year": pd.array(years if years is not None else [2020] * n, dtype="Int64"),
            "is_corpus": pd.array([True] * n, dtype="boolean"),
        }
    )


def planted_agreement(works, topics, clustering):
    labels = clustering.labels.reindex(works["work_id"])
    return adjusted_rand_score(topics, labels.to_numpy())


@pytest.fixture(scope="module")
def synthetic_small():
    """SYNTHETIC: 120 texts, 4 planted topics (exact path)."""
    works, topics = synthetic_works(120, 4, seed=3, words_per_text=80, topic_share=0.2)
    return works, topics, pc.cluster_abstracts(works)


# ---------------------------------------------------------------- behaviour


def test_planted_topics_recovered_and_k_chosen(synthetic_small):
    works, topics, clustering = synthetic_small
    assert clustering.path == "exact"
    assert clustering.k == 4
    assert planted_agreement(works, topics, clustering) > 0.95
    scores = clustering.k_scores
    assert scores["k"].tolist() == list(range(2, 21))
    assert scores.loc[scores["chosen"], "k"].tolist() == [4]
    assert clustering.silhouette == pytest.approx(scores.loc[scores["chosen"], "silhouette"].iloc[0])
    # clusters are numbered by size, largest first
    sizes = clustering.labels.value_counts().sort_index()
    assert sizes.is_monotonic_decreasing


@pytest.mark.parametrize("planted", [3, 6])
def test_k_selection_finds_planted_k(planted):
    works, topics = synthetic_works(40 * planted, planted, seed=planted, words_per_text=80)
    clustering = pc.cluster_abstracts(works)
    assert clustering.k == planted
    assert planted_agreement(works, topics, clustering) > 0.9


def test_same_works_and_seed_give_identical_result(synthetic_small):
    works, _, first = synthetic_small
    again = pc.cluster_abstracts(works)
    pd.testing.assert_series_equal(first.labels, again.labels)
    pd.testing.assert_frame_equal(first.top_terms, again.top_terms)
    pd.testing.assert_frame_equal(first.coords, again.coords)
    pd.testing.assert_frame_equal(first.k_scores, again.k_scores)
    # the row order of the table does not matter either
    shuffled = pc.cluster_abstracts(works.sample(frac=1.0, random_state=7))
    pd.testing.assert_series_equal(first.labels, shuffled.labels.reindex(first.labels.index))
    pd.testing.assert_frame_equal(first.top_terms, shuffled.top_terms)


def test_fast_path_is_deterministic_too():
    works, _ = synthetic_works(1_200, 5, seed=11, words_per_text=60)
    first, again = pc.cluster_abstracts(works), pc.cluster_abstracts(works)
    assert first.path == "fast"
    pd.testing.assert_series_equal(first.labels, again.labels)
    pd.testing.assert_frame_equal(first.top_terms, again.top_terms)
    np.testing.assert_array_equal(first.coords.to_numpy(), again.coords.to_numpy())


def test_fast_path_above_threshold_recovers_topics():
    works, topics = synthetic_works(2_000, 7, seed=5, words_per_text=100, topic_share=0.15)
    assert len(works) >= pc.FAST_PATH_MIN_TEXTS
    clustering = pc.cluster_abstracts(works)
    assert clustering.path == "fast"
    assert clustering.settings["lsa_components"] == pcm.LSA_COMPONENTS
    assert clustering.k == 7
    assert planted_agreement(works, topics, clustering) > 0.9
    # forced exact on the same texts agrees with the fast path
    exact = pc.cluster_abstracts(works.iloc[:400], fast=False)
    fast = pc.cluster_abstracts(works.iloc[:400], fast=True)
    assert exact.path == "exact" and fast.path == "fast"
    assert adjusted_rand_score(exact.labels, fast.labels.reindex(exact.labels.index)) > 0.9


def test_fewer_than_three_texts_is_a_clear_error():
    works = works_table(["Peer support workers in mental health.", "Youth peer support.", None])
    with pytest.raises(AnalysisError, match="only 2 of 3 works have an abstract or title.*at least 3"):
        pc.cluster_abstracts(works)


def test_title_fallback_is_flagged_and_left_out_works_counted():
    abstracts = [
        "Peer support workers in community mental health teams: recruitment and training.",
        "Recruitment and training of peer support workers for mental health teams.",
        "Physical activity and well-being in schizophrenia: a systematic review.",
        "Physical activity interventions for people with schizophrenia.",
        None,
        None,
        None,
    ]
    titles = [None, None, None, None, "Physical activity and schizophrenia", None, "Training peer workers"]
    works = works_table(abstracts, titles)
    with_titles = pc.cluster_abstracts(works, k=2)
    assert with_titles.text_source.to_dict() == {
        "W0": "abstract", "W1": "abstract", "W2": "abstract", "W3": "abstract", "W4": "title", "W6": "title",
    }
    assert with_titles.left_out.to_dict("records") == [{"work_id": "W5", "reason": "no abstract or title"}]
    assert with_titles.labels["W4"] == with_titles.labels["W2"]  # the title joins its topic
    assert set(with_titles.assignments["text_source"]) == {"abstract", "title"}

    abstracts_only = pc.cluster_abstracts(works, k=2, use_titles=False)
    assert list(abstracts_only.labels.index) == ["W0", "W1", "W2", "W3"]
    assert abstracts_only.left_out.set_index("work_id")["reason"].to_dict() == {
        "W4": "no abstract (use_titles=False)",
        "W5": "no abstract or title",
        "W6": "no abstract (use_titles=False)",
    }


def test_title_and_abstract_are_joined_when_both_exist():
    works = works_table(["Training of peer workers.", "Risk in mental health.", "Risk and peer workers."],
                        titles=["Peer support", None, "Peer risk"])
    clustering = pc.cluster_abstracts(works, k=2)
    assert clustering.text_source.to_dict() == {"W0": "title+abstract", "W1": "abstract", "W2": "title+abstract"}


STRUCTURED = [
    # Emerald style: headings on their own lines, entities escaped twice upstream
    "Purpose\n\nThe purpose of this paper is to examine youth peer support &amp;amp; recovery colleges.\n\n"
    "Design/methodology/approach\n\nQualitative interviews with youth peer workers.\n\n"
    "Findings\n\nYouth peer support helps recovery colleges.\n\n"
    "Originality/value\n\nFirst study of youth peer support.\n\n"
    "Research limitations/implications\n\nSmall sample.\n\nSocial implications\n\nRecovery colleges matter.",
    # BMC style: headings run into the first sentence
    "BackgroundThe employment of peer workers in inpatient wards is growing.MethodsWe interviewed ward staff "
    "about inpatient peer workers.ResultsPeer workers on inpatient wards were valued.ConclusionsInpatient "
    "wards benefit from peer workers.KeywordsInpatient care Peer workers",
    # Wiley style, with HTML tags and an entity
    "<p>Objectives</p><p>To explore what &lt;i&gt;mental health professionals&lt;/i&gt; value.</p>"
    "<p>Design</p><p>Five professionals interviewed twice.</p><p>Results</p><p>Professionals valued "
    "experiential knowledge.</p><p>Patient or Public Contribution</p><p>Groups were consulted.</p>",
    "Youth peer support in recovery colleges: peer workers and young people.",
    "Inpatient wards and peer workers: staff views of inpatient care.",
    "Mental health professionals value experiential knowledge of peer workers.",
]


def test_clean_text_removes_headings_tags_and_entities():
    emerald, bmc, wiley = (pc.clean_text(text) for text in STRUCTURED[:3])
    for heading in ("Purpose", "Design/methodology/approach", "Findings", "Originality/value",
                    "Research limitations/implications", "Social implications"):
        assert heading not in emerald
    assert "& recovery colleges" in emerald
    assert "Recovery colleges matter" in emerald  # text after a heading stays
    for run_in in ("BackgroundThe", "MethodsWe", "ResultsPeer", "ConclusionsInpatient", "KeywordsInpatient"):
        assert run_in not in bmc
    assert "Peer workers on inpatient wards were valued" in bmc
    assert "<" not in wiley and "&lt;" not in wiley and "Objectives" not in wiley
    assert "Patient or Public Contribution" not in wiley
    # a heading word inside a sentence is not a heading
    assert pc.clean_text("Findings suggest that design matters.") == "Findings suggest that design matters."


def test_terms_contain_no_entities_headings_or_boilerplate():
    clustering = pc.cluster_abstracts(works_table(STRUCTURED), k=3, n_terms=500)
    terms = set(clustering.top_terms["term"])
    words = {word for term in terms for word in term.split()}
    assert {"amp", "lt", "gt", "purpose", "finding", "originality", "methodology", "design methodology",
            "backgroundthe", "methodswe", "resultspeer", "paper", "study", "keyword", "implication",
            "contribution", "objective", "result"}.isdisjoint(terms | words)
    assert "youth peer" in terms and "inpatient ward" in terms  # bigrams of adjacent words, plurals folded
    # the three topics (youth / inpatient / professionals) are found
    labels = clustering.labels
    assert labels["W0"] == labels["W3"] and labels["W1"] == labels["W4"] and labels["W2"] == labels["W5"]
    assert labels.nunique() == 3


def test_plural_folding():
    folded = {w: pct._fold_plural(w) for w in
              ["workers", "studies", "approaches", "processes", "analysis", "process", "bias", "status",
               "services", "lives", "ideas", "ethics", "peer"]}
    assert folded == {"workers": "worker", "studies": "study", "approaches": "approach", "processes": "process",
                      "analysis": "analysis", "process": "process", "bias": "bias", "status": "status",
                      "services": "service", "lives": "life", "ideas": "idea", "ethics": "ethics", "peer": "peer"}


def test_term_matrix_matches_scikit_learn_on_the_same_terms():
    """The numpy term counter gives the TF-IDF matrix TfidfVectorizer gives for the same terms."""
    texts = np.array(STRUCTURED + ["Peer workers, peer workers and more peer workers!", "Plain 42 text."],
                     dtype=object)
    stop_words = pct._ENGLISH_STOP_WORDS | pct._SCHOLARLY_STOP_WORDS

    def reference_terms(text):
        tokens = pct._TOKEN_RE.findall(pc.clean_text(text).lower())
        words = [pct._normalise_token(t, stop_words) for t in tokens]
        pairs = [f"{a} {b}" for a, b in zip(words, words[1:]) if a and b]
        return [w for w in words if w] + pairs

    counts, codes, words = pct._term_counts(texts, stop_words)
    X, terms = pcv.tfidf(counts, codes, words, 1, 1.0)
    reference = TfidfVectorizer(analyzer=reference_terms, sublinear_tf=True)
    expected = reference.fit_transform(texts)
    assert list(terms) == list(reference.get_feature_names_out())
    np.testing.assert_allclose(X.toarray(), expected.toarray(), rtol=1e-5, atol=1e-6)
    assert "support mental" not in terms  # no bigram across a dropped stop word


def test_exact_silhouette_matches_scikit_learn():
    works, _ = synthetic_works(90, 3, seed=2, words_per_text=40)
    counts, codes, words = pct._term_counts(works["abstract"].to_numpy(dtype=object), pct._ENGLISH_STOP_WORDS)
    X, _ = pcv.tfidf(counts, codes, words, 2, 1.0)
    X = X.astype(np.float64)
    labels = np.random.default_rng(0).integers(0, 3, X.shape[0])
    labels[0] = 3  # a singleton cluster
    mine = pcs.cosine_silhouette(X, labels, 4)
    np.testing.assert_allclose(mine, silhouette_samples(X, labels, metric="cosine"), atol=1e-6)
    dense = np.asarray(pcv.lsa(X, np.arange(X.shape[0]), 0)[0], dtype=np.float64)
    np.testing.assert_allclose(pcs.cosine_silhouette(dense, labels, 4),
                               silhouette_samples(dense, labels, metric="cosine"), atol=1e-5)
    assert mine[0] == 0.0  # singleton, as scikit-learn defines it


def test_tiny_corpus_of_short_texts_does_not_crash():
    texts = [
        "Peer support workers in mental health services",
        "Peer workers and risk in mental health services",
        "Peer support in youth mental health",
        "Physical activity in schizophrenia",
        "Exercise and schizophrenia: physical activity trial",
        "Physical activity for well-being",
        "Carers of stroke survivors",
        "Stroke survivors and their carers' satisfaction",
        "Ethnic groups of carers",
        "Secure hospitals: long stay patients",
        "Long-stay patients in secure settings",
        "Patients in medium secure hospitals",
    ]
    clustering = pc.cluster_abstracts(works_table(texts))
    assert 2 <= clustering.k <= 4  # at most one cluster per three texts
    assert len(clustering.labels) + len(clustering.left_out) == 12
    assert clustering.settings["min_df"] == 2
    assert (clustering.top_terms.groupby("cluster").size() > 0).all()


def test_explicit_k_and_impossible_requests():
    works, _ = synthetic_works(30, 3, seed=1, words_per_text=40)
    assert pc.cluster_abstracts(works, k=5).k == 5
    assert pc.cluster_abstracts(works, k_range=[3, 4, 99]).k_scores["k"].tolist() == [3, 4]
    with pytest.raises(AnalysisError, match="k=40 is not possible with 30 texts"):
        pc.cluster_abstracts(works, k=40)
    with pytest.raises(AnalysisError, match="no k in k_range"):
        pc.cluster_abstracts(works, k_range=[1, 50])


def test_bad_tables_raise_analysis_errors():
    with pytest.raises(AnalysisError, match="duplicate work_id"):
        pc.cluster_abstracts(pd.concat([works_table(STRUCTURED), works_table(STRUCTURED)]))
    with pytest.raises(AnalysisError, match="columns work_id and abstract"):
        pc.cluster_abstracts(pd.DataFrame({"id": [1, 2, 3]}))
    with pytest.raises(AnalysisError, match="same terms"):
        pc.cluster_abstracts(works_table(["Peer support workers."] * 5))


def test_choose_k_one_standard_error_rule():
    scores = pd.DataFrame({"k": [2, 3, 4, 5], "silhouette": [0.10, 0.20, 0.23, 0.25],
                           "silhouette_se": [0.01, 0.02, 0.03, 0.04]})
    assert pc.choose_k(scores) == 4  # 0.23 >= 0.25 - 0.04 > 0.20
    assert pc.choose_k(scores.drop(columns="silhouette_se")) == 5


def test_representatives_are_members_closest_to_centre(synthetic_small):
    works, _, clustering = synthetic_small
    reps = clustering.representatives
    assert reps.groupby("cluster").size().tolist() == [3] * clustering.k
    assert (clustering.labels.reindex(reps["work_id"]).to_numpy() == reps["cluster"].to_numpy()).all()
    assert (reps.groupby("cluster")["similarity"].apply(lambda s: s.is_monotonic_decreasing)).all()
    assert reps["title"].notna().all() and reps["excerpt"].str.len().gt(0).all()


def test_to_parquet_is_atomic_and_round_trips(synthetic_small, tmp_path):
    _, _, clustering = synthetic_small
    target = tmp_path / "data" / "processed" / "clusters.parquet"
    assert clustering.to_parquet(target) == target
    assert clustering.to_parquet(target) == target  # its own file, replaced (a user's is refused: tests/safety)
    back = pd.read_parquet(target)
    assert list(back.columns) == ["work_id", "cluster", "text_source", "x", "y"]
    pd.testing.assert_frame_equal(back, clustering.assignments, check_dtype=False)
    # no temp file left; the record of what peerbib wrote there
    assert sorted(p.name for p in target.parent.iterdir()) == [".peerbib-files.json", "clusters.parquet"]
    ordinary = tmp_path / "ordinary"
    ordinary.write_text("")
    assert target.stat().st_mode == ordinary.stat().st_mode  # usual permissions, not a temp file's 0600


# ---------------------------------------------------------------- tables and figures


def test_compute_twins(synthetic_small):
    works, _, clustering = synthetic_small
    sizes = pc.cluster_sizes(clustering)
    assert sizes["n_works"].sum() == len(works) and sizes["share"].sum() == pytest.approx(1.0)
    assert sizes["label"].iloc[0].startswith("0: ")
    by_year = pc.clusters_by_year(clustering)
    assert by_year["n_works"].sum() == len(works)
    assert by_year["year"].min() == works["publication_year"].min()
    assert len(by_year) == clustering.k * (by_year["year"].max() - by_year["year"].min() + 1)
    assert by_year.attrs["n_without_year"] == 0
    mapped = pc.cluster_map(clustering)
    assert list(mapped.columns) == ["work_id", "cluster", "label", "text_source", "x", "y"]


def test_clusters_by_year_counts_works_without_year():
    works = works_table(STRUCTURED, years=[2019, None, 2021, 2019, None, 2021])
    table = pc.clusters_by_year(pc.cluster_abstracts(works, k=3))
    assert table.attrs["n_without_year"] == 2
    assert table["year"].unique().tolist() == [2019, 2020, 2021]
    assert table["n_works"].sum() == 4


@pytest.fixture
def no_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield
    plt.close("all")


def test_plot_cluster_map(synthetic_small, no_warnings):
    works, _, clustering = synthetic_small
    fig, ax = plt.subplots()
    assert pc.plot_cluster_map(clustering, ax=ax) is ax
    collections = ax.collections
    assert len(collections) == clustering.k
    assert sum(len(c.get_offsets()) for c in collections) == len(works)
    assert [t.get_text() for t in ax.texts] == [str(c) for c in range(clustering.k)]
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == pc.cluster_sizes(clustering, n_terms=3)["label"].tolist()
    assert ax.get_title() and ax.get_xlabel() and ax.get_ylabel()
    # also from the table read back from Parquet, and with a sample drawn
    ax2 = pc.plot_cluster_map(clustering.assignments, max_points=50)
    assert sum(len(c.get_offsets()) for c in ax2.collections) == 50
    assert "50 works drawn at random" in ax2.get_title()


def test_plot_cluster_sizes(synthetic_small, no_warnings):
    _, _, clustering = synthetic_small
    ax = pc.plot_cluster_sizes(clustering)
    widths = [p.get_width() for p in ax.patches]
    assert widths == pc.cluster_sizes(clustering)["n_works"].tolist()
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels == pc.cluster_sizes(clustering, n_terms=4)["label"].tolist()
    assert ax.get_title() and ax.get_xlabel() == "Works"


def test_plot_clusters_by_year(synthetic_small, no_warnings):
    _, _, clustering = synthetic_small
    table = pc.clusters_by_year(clustering)
    fig, ax = plt.subplots()
    assert pc.plot_clusters_by_year(table, ax=ax) is ax
    assert len(ax.patches) == len(table)
    assert sum(p.get_height() for p in ax.patches) == table["n_works"].sum()
    assert len(ax.get_legend().get_texts()) == clustering.k
    assert ax.get_xlabel() == "Publication year" and ax.get_ylabel() == "Works"


def test_plot_k_scores(synthetic_small, no_warnings):
    _, _, clustering = synthetic_small
    ax = pc.plot_k_scores(clustering)
    line = ax.get_lines()[0]
    assert list(line.get_xdata()) == clustering.k_scores["k"].tolist()
    assert list(line.get_ydata()) == pytest.approx(clustering.k_scores["silhouette"].tolist())
    assert any(t.get_text() == f"chosen k = {clustering.k}" for t in ax.get_legend().get_texts())
    assert ax.get_xlabel() == "Number of clusters k" and ax.get_title()


def test_plot_rejects_unrelated_table():
    with pytest.raises(AnalysisError, match="cluster_sizes"):
        pc.plot_cluster_sizes(pd.DataFrame({"a": [1]}))


# ---------------------------------------------------------------- the bundled real corpus


def test_bundled_corpus_clusters_into_readable_topics(project):
    import peerbib as pb

    tables = pb.load()
    corpus = tables.works[tables.works["is_corpus"]]
    clustering = pc.cluster_abstracts(corpus)
    assert len(clustering.labels) + len(clustering.left_out) == len(corpus)
    assert 2 <= clustering.k <= len(corpus) // 3
    terms = set(clustering.top_terms["term"])
    assert terms.isdisjoint(pct._SCHOLARLY_STOP_WORDS | {"purpose", "finding", "originality", "amp"})
    assert (clustering.top_terms.groupby("cluster").size() >= 3).all()
    assert (clustering.text_source == "title").any()  # title-only works are clustered by title


def test_unspaced_scripts_are_cut_into_bigrams_without_grammar():
    """Chinese and Japanese abstracts (SYNTHETIC: two phrases, their characters shuffled per text) cluster
    by character bigrams; bigrams with hiragana or Chinese function characters are not terms."""
    import random
    import re

    rng = random.Random(0)
    phrases = ["同伴支持工作者在精神卫生服务中的作用研究表明患者康复",
               "地域の精神保健サービスにおけるピアサポートの役割について調査する"]
    rows = [{"work_id": f"C{i}", "title": phrases[i % 2][:8], "publication_year": 2020,
             "abstract": phrases[i % 2] + "".join(rng.sample(phrases[i % 2], len(phrases[i % 2])))}
            for i in range(40)]
    clusters = pc.cluster_abstracts(pd.DataFrame(rows), random_state=0)
    assert clusters.k == 2 and clusters.has_structure
    terms = set(clusters.top_terms["term"])
    assert {"同伴", "支持", "地域", "保健"} <= terms
    assert all(len(t) <= 5 for t in terms)  # bigrams (and pairs of them), never whole sentences
    assert not any(re.search("[\u3040-\u309f]", t) or "的" in t for t in terms)
