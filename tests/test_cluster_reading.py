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
            sentences = [f"In {year}, {int(rng.integers(20, 900))} patients were enrolled in a {int(rng.integers(6, 36))}-month "
                         f"study of {rng.choice(terms)} and {rng.choice(terms)}."]
            for _ in range(5):
                words = list(rng.choice(terms, size=3)) + list(rng.choice(_FILLER, size=4))
                rng.shuffle(words)
                sentences.append(" ".join(words) + f" ({float(rng.uniform(0, 1)):.2f}; n = {int(rng.integers(5, 99))}).")
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
