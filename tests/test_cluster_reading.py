"""Clusters told honestly: terms kept whole, duplicates clustered once, wording graded by silhouette.

Every corpus here is SYNTHETIC, made by code below: invented PubMed-like
abstracts (gene, protein and virus names among invented filler), never
analysis data.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from fixtures.synthetic_corpus import synthetic_works

import peerbib.analysis.clusters as pc
from peerbib.analysis.clusters import text as pct
from peerbib.analysis.clusters.result import Clustering
from peerbib.errors import AnalysisError

# ---------------------------------------------------------------- a SYNTHETIC PubMed-like corpus

_TOPICS = {
    "leukaemia": ["FLT3", "FLT3-ITD", "NPM1", "acute myeloid leukaemia", "blast", "marrow", "induction",
                  "midostaurin", "relapse", "gilteritinib"],
    "tumour suppression": ["TP53", "BRCA1", "MDM2", "p21", "tumour suppressor", "apoptosis", "mutation carrier",
                           "germline", "ovarian", "breast"],
    "inflammation": ["IL-6", "COVID-19", "H1N1", "SARS-CoV-2", "cytokine storm", "tocilizumab", "ventilation",
                     "influenza", "interleukin", "ferritin"],
}
_FILLER = ["patient", "cohort", "clinical", "outcome", "trial", "treatment", "response", "hospital", "sample",
           "analysis", "level", "risk", "group", "survival", "therapy"]


def pubmed_like(n_per_topic: int = 30, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    """SYNTHETIC abstracts in PubMed's manner: topic terms, filler words, years and counts in the sentences."""
    rng = np.random.default_rng(seed)
    rows, topics = [], []
    for t, (topic, terms) in enumerate(_TOPICS.items()):
        for i in range(n_per_topic):
            year = int(rng.integers(2009, 2023))
            enrolled, months = int(rng.integers(20, 900)), int(rng.integers(6, 36))
            sentences = [f"In {year}, {enrolled} patients were enrolled in a {months}-month "
                         f"study of {rng.choice(terms)} and {rng.choice(terms)}."]
            for _ in range(5):
                words = list(rng.choice(terms, size=3)) + list(rng.choice(_FILLER, size=4))
                rng.shuffle(words)
                p, n = float(rng.uniform(0, 1)), int(rng.integers(5, 99))
                sentences.append(" ".join(words) + f" ({p:.2f}; n = {n}).")
            rows.append({"work_id": f"W{t}{i:03d}", "title": f"{rng.choice(terms)} in {topic}: a {year} cohort",
                         "abstract": " ".join(sentences), "publication_year": year, "is_corpus": True})
            topics.append(t)
    works = pd.DataFrame(rows).astype({"title": "str", "abstract": "str", "publication_year": "Int64",
                                       "is_corpus": "boolean"})
    return works, np.array(topics)


def terms_of(text: str) -> list[str]:
    counts, codes, words = pct._term_counts(np.array([text], dtype=object), frozenset())
    return sorted(pct._term_names(codes, words))


# ---------------------------------------------------------------- tokens kept whole


def test_gene_protein_and_virus_names_stay_whole_terms():
    terms = terms_of("IL-6, TP53 and FLT3 in COVID-19 and H1N1: SARS-CoV-2 raised HbA1c in 2020.")
    for whole in ("il-6", "tp53", "flt3", "covid-19", "h1n1", "sars-cov-2", "hba1c"):
        assert whole in terms
    for stub in ("il", "tp", "flt", "covid", "h", "n", "sars", "hba"):
        assert stub not in terms
    assert not any(term[0].isdigit() for term in terms)  # "2020", "6", "53" are no terms


def test_numbers_and_years_still_dropped_and_break_bigrams():
    terms = terms_of("A 12-month follow-up of 250 adults in 2019 and 2020 (p = 0.05), 3rd wave in the 1990s.")
    assert not any(any(ch.isdigit() for ch in term) for term in terms), terms
    assert "month" in terms and "follow-up" in terms
    assert "adult" in terms and not any(t.startswith("follow-up adult") for t in terms)


def test_non_latin_text_keeps_names_whole_too():
    terms = terms_of("Rôle de l’IL-6 et de TP53 dans la COVID-19 — étude 2021")
    assert {"il-6", "tp53", "covid-19"} <= set(terms)
    assert "2021" not in terms


def test_pubmed_like_corpus_names_its_clusters_by_whole_gene_names():
    works, topics = pubmed_like()
    clusters = pc.cluster_abstracts(works, k=3)
    terms = set(clusters.top_terms["term"])
    words = {word for term in terms for word in term.split()}
    assert {"flt3", "tp53", "il-6"} & words
    assert not {"flt", "tp", "il", "itd"} & words
    assert not any(word[0].isdigit() for word in words)
    from sklearn.metrics import adjusted_rand_score
    assert adjusted_rand_score(topics, clusters.labels.reindex(works["work_id"]).to_numpy()) > 0.9


# ---------------------------------------------------------------- duplicates clustered once


def with_copies(works: pd.DataFrame, copies: dict) -> pd.DataFrame:
    """SYNTHETIC: the works and, for each ``new_id: original_id``, a copy of the original's record under a new
    id, its title in capitals and its punctuation changed (as a second database would give it)."""
    rows = []
    for new_id, original in copies.items():
        row = works.loc[works["work_id"] == original].iloc[0].copy()
        row["work_id"] = new_id
        row["title"] = str(row["title"]).upper().replace(":", " -")
        row["abstract"] = str(row["abstract"]).replace(".", " .").replace(",", "")
        row["publication_year"] = row["publication_year"] + 1
        rows.append(row)
    return pd.concat([works, pd.DataFrame(rows)], ignore_index=True).astype(works.dtypes.to_dict())


def test_duplicates_are_clustered_once_and_take_their_originals_cluster():
    works, _ = pubmed_like(n_per_topic=12, seed=2)
    doubled = with_copies(works, {"X1": "W0003", "X2": "W1005", "X3": "W1005"})
    alone, together = pc.cluster_abstracts(works, k=3), pc.cluster_abstracts(doubled, k=3)
    assert sorted(together.duplicates["work_id"]) == ["X1", "X2", "X3"]
    assert dict(zip(together.duplicates["work_id"], together.duplicates["same_as"])) == \
        {"X1": "W0003", "X2": "W1005", "X3": "W1005"}
    # clustered once: the same clusters, silhouettes and terms as without the copies
    assert together.silhouette == pytest.approx(alone.silhouette)
    pd.testing.assert_frame_equal(together.top_terms, alone.top_terms)
    assert (together.labels.reindex(works["work_id"]) == alone.labels.reindex(works["work_id"])).all()
    for copy, original in {"X1": "W0003", "X2": "W1005", "X3": "W1005"}.items():
        assert together.labels[copy] == together.labels[original]
        assert tuple(together.coords.loc[copy]) == tuple(together.coords.loc[original])
        assert together.publication_year[copy] == together.publication_year[original] + 1  # its own year
    assert list(together.labels.index) == list(doubled["work_id"])  # every work, in the caller's order
    assert set(together.assignments["work_id"]) == set(doubled["work_id"])
    assert not set(together.representatives["work_id"]) & {"X1", "X2", "X3"}
    assert "3 works repeat the title and abstract of another" in together.describe()
    assert "repeat" not in alone.describe()


def test_a_duplicate_pair_no_longer_makes_a_cluster_of_its_own(monkeypatch):
    """A pair of copies shares its rare words (two texts pass min_df): unmerged, it splits off as a cluster
    with silhouette 1.0; merged, its words are in one text only, and the text is left out like any other
    with no term shared."""
    works, _ = synthetic_works(60, 3, seed=4, words_per_text=60, topic_share=0.2)
    odd = works.iloc[0].copy()
    odd["work_id"], odd["title"] = "ODD", "Zyxwv qorbl plimt"
    odd["abstract"] = "Zyxwv qorbl plimt vantrecu hobsil dranquet. Mellor zyxwv qorbl gastrifon plimt hobsil."
    works = pd.concat([works, odd.to_frame().T], ignore_index=True).astype(works.dtypes.to_dict())
    doubled = with_copies(works, {"ODD2": "ODD"})

    clusters = pc.cluster_abstracts(doubled)
    assert {"ODD", "ODD2"} <= set(clusters.left_out["work_id"])
    assert not (clusters.cluster_silhouette > 0.999).any()

    from peerbib.analysis.clusters.selection import Selection
    monkeypatch.setattr(Selection, "merge_duplicates", lambda self: self)
    unmerged = pc.cluster_abstracts(doubled)
    own = unmerged.labels[unmerged.labels == unmerged.labels["ODD"]]
    assert set(own.index) == {"ODD", "ODD2"}
    assert unmerged.cluster_silhouette[unmerged.labels["ODD"]] == pytest.approx(1.0)


def test_copies_of_a_text_left_out_leave_with_it():
    works = pd.DataFrame({"work_id": ["A", "B", "C", "D", "E", "F"],
                          "title": pd.array([None] * 6, dtype="str"),
                          "abstract": ["alpha beta gamma", "alpha beta delta", "gamma delta beta",
                                       "The and of.", "THE AND OF", "alpha gamma delta"]})
    clusters = pc.cluster_abstracts(works, k=2)
    left = dict(zip(clusters.left_out["work_id"], clusters.left_out["reason"]))
    assert set(left) == {"D", "E"} and left["D"] == left["E"]
    assert clusters.duplicates.empty  # E left with D, no longer a copy of a clustered work


def test_too_few_different_texts_is_a_clear_error():
    works = pd.DataFrame({"work_id": list("ABCD"), "abstract": ["Peer support.", "peer support", "PEER SUPPORT!",
                                                                "Peer work."]})
    with pytest.raises(AnalysisError, match="only 2 different texts"):
        pc.cluster_abstracts(works)




# ---------------------------------------------------------------- wording graded by silhouette


def clustering_with(silhouette: float, *, per_cluster=(0.1, 0.2), shuffled: float = 0.01) -> Clustering:
    """A Clustering with the given silhouettes and baselines (no texts behind it), for its sentences."""
    k = len(per_cluster)
    labels = pd.Series(np.arange(20) % k, index=pd.Index([f"W{i}" for i in range(20)], name="work_id"))
    scores = pd.DataFrame({"k": [k], "silhouette": [silhouette], "silhouette_se": [0.01], "inertia": [1.0],
                           "smallest_cluster": [10], "chosen": [True]})
    return Clustering(labels=labels, k=k, top_terms=pd.DataFrame(columns=["cluster", "rank", "term"]),
                      silhouette=silhouette, cluster_silhouette=pd.Series(per_cluster, index=range(k)),
                      coords=pd.DataFrame(), representatives=pd.DataFrame(), left_out=pd.DataFrame(),
                      k_scores=scores, text_source=pd.Series(dtype="str"), publication_year=pd.Series(dtype="Int64"),
                      path="exact", random_state=0,
                      baselines={"random_labels": -0.05, "shuffled_terms": shuffled, "shuffled_sd": 0.005})


@pytest.mark.parametrize("silhouette,structure,opening", [
    (0.056, "weak", "**Weak structure: read the groups as a rough sort, not topics.**"),
    (0.249, "weak", "**Weak structure"),
    (0.25, "some", "**Some structure.**"),
    (0.5, "some", "**Some structure.**"),
    (0.62, "clear", "**Clear structure.**"),
])
def test_wording_graded_by_silhouette(silhouette, structure, opening):
    clustering = clustering_with(silhouette)
    assert clustering.has_structure and clustering.structure == structure
    text = clustering.describe()
    assert text.startswith(opening)
    assert "clearly better than chance: read them as topics" not in text
    assert ("rough sort" in clustering.caveat()) == (structure == "weak")


def test_no_better_than_the_baseline_is_no_structure_whatever_the_silhouette():
    clustering = clustering_with(0.30, shuffled=0.29)
    assert not clustering.has_structure and clustering.structure == "none"
    assert clustering.describe().startswith("**No topic structure found.**")
    assert "not topics" in clustering.caveat()


def test_clusters_with_negative_silhouette_are_named():
    one = clustering_with(0.056, per_cluster=(0.12, -0.008, 0.09)).describe()
    assert "Cluster 1 (\u22120.008): its works are, on average, nearer another cluster than their own." in one
    two = clustering_with(0.056, per_cluster=(-0.02, 0.3, -0.008)).describe()
    assert "Clusters 0 (\u22120.020) and 2 (\u22120.008): their works are" in two
    assert "nearer another cluster" not in clustering_with(0.056, per_cluster=(0.0, 0.1)).describe()


def test_plot_titles_follow_the_grade():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    works, _ = pubmed_like(n_per_topic=10, seed=5)
    clusters = pc.cluster_abstracts(works, k=3)
    clusters.silhouette = 0.056
    ax = pc.plot_cluster_map(clusters)
    assert ax.get_title().startswith("Clusters (weak structure)")
    assert "topic cluster" not in pc.plot_cluster_sizes(clusters).get_title()
    clusters.silhouette = 0.6
    assert pc.plot_cluster_map(clusters).get_title().startswith("Topic clusters")
    plt.close("all")
