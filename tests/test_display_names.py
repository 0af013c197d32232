"""Titles and author names in one style on the pages, whichever database wrote them; the data keeps each
database's text. Names and titles are the forms of the repo's export samples (tests/fixtures/exports/) and
SYNTHETIC titles in the shapes Web of Science writes."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import peerbib as pb
from peerbib.analysis.descriptive import list_works, short_work_label, work_label
from peerbib.analysis.display import display_author, display_authors, display_title, display_titles, title_acronyms
from peerbib.analysis.networks.units import work_labels, work_units
from peerbib.corpus import read_corpora

EXPORTS = Path(__file__).resolve().parent / "fixtures" / "exports"


# --- titles -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("title, shown", [
    # Web of Science's capitals: sentence case, the first word after a colon or a full stop capitalised
    ("PEER WORKERS IN MENTAL HEALTH SERVICES: LITERATURE OVERVIEW",
     "Peer workers in mental health services: Literature overview"),
    ("RECOVERY IN THE NHS. A QUALITATIVE STUDY", "Recovery in the NHS. A qualitative study"),
    # words with digits (genes, cytokines, strains) and known acronyms keep their capitals
    ("TP53 AND IL-6 IN COVID-19 PATIENTS WITH PTSD IN THE UK",
     "TP53 and IL-6 in COVID-19 patients with PTSD in the UK"),
    ("EFFECTS OF pH ON H1N1", "Effects of pH on H1N1"),  # a word already in mixed case stays as written
    ("PART II OF A TRIAL", "Part II of a trial"),
    ("MÜZİK VE MİMARİ TASARIM", "Müzik ve mimari tasarim"),  # Turkish "İ" lowers to a plain "i"
    ('"NOTHING ABOUT US WITHOUT US": PEER SUPPORT', '"Nothing about us without us": Peer support'),
    # "WHO" and "AIDS" are words too: lowered unless the corpus shows them as acronyms
    ("PATIENTS WHO USE HEARING AIDS", "Patients who use hearing aids"),
])
def test_a_title_in_capitals_is_shown_in_sentence_case(title, shown):
    assert display_title(title) == shown


@pytest.mark.parametrize("title", [
    "Peer workers in mental health services: literature overview",  # Scopus, PubMed: as written
    "Peer Workers in Mental Health Services: A Literature Overview",  # title case: as written
    "The NHS and the WHO",  # mixed case with acronyms: as written
    "A", "", None,
])
def test_a_title_not_in_capitals_is_left_as_it_is(title):
    assert display_title(title) == title


def test_the_corpus_tells_which_capitalised_words_are_acronyms():
    titles = pd.Series(["Peer support in CAMHS teams", "The WHO guidance on peer work", "Patients who recover",
                        "PEER SUPPORT IN CAMHS: WHAT THE WHO SAYS", "Ward-based RCT designs"])
    assert title_acronyms(titles) >= {"CAMHS", "RCT"} and "WHO" not in title_acronyms(titles)  # "who" is a word
    shown = display_titles(titles)
    assert shown[3] == "Peer support in CAMHS: What the who says"
    assert shown[[0, 1, 2, 4]].tolist() == titles[[0, 1, 2, 4]].tolist()


def test_pages_show_titles_in_one_style_and_the_data_keeps_the_source_text():
    # SYNTHETIC: the same literature as Scopus (sentence case) and Web of Science (capitals) write it
    works = pd.DataFrame({
        "work_id": ["L1", "L2", "L3"], "is_corpus": True, "publication_year": [2014, 2015, None],
        "title": ["Peer workers in mental health services: literature overview",
                  "PEER WORKER ROLES AND RISK IN MENTAL HEALTH SERVICES IN THE NHS", None],
        "authors": ["Gillard S.; Holley J.", "HOLLEY, J; Gillard, Steve", "Moore, Timothy"],
        "venue": ["Advances in Psychiatric Treatment", "COMMUNITY MENTAL HEALTH JOURNAL", "Health Expectations"]})
    table = list_works(works).set_index("publication_year", drop=False)
    assert table.loc[2015, "label"] == "Peer worker roles and risk in mental health services in the NHS"
    assert table.loc[2014, "authors"] == "Gillard, S.; Holley, J."
    assert table.loc[2015, "authors"] == "Holley, J.; Gillard, S."
    assert table["label"].iloc[-1] == "[untitled] Moore, T., Health Expectations"  # no title: authors, venue
    assert works["title"][1].isupper() and works["authors"][1] == "HOLLEY, J; Gillard, Steve"  # data as written
    assert work_label(works.iloc[1].to_dict()).startswith("Peer worker roles")
    assert short_work_label(works.iloc[1].to_dict(), width=20) == "Holley 2015: Peer worker roles a…"
    labels = work_labels(works)  # the networks' and top()'s labels
    assert labels[1] == "Holley 2015: Peer worker roles and risk in mental health servi…"


# --- authors ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name, shown", [
    ("Holley J.", "Holley, J."),  # Scopus
    ("Gillard S.G.", "Gillard, S. G."),  # Scopus, initials without spaces
    ("Mehreen H.", "Mehreen, H."),
    ("Li, Zihanxin", "Li, Z."),  # Web of Science AF, PubMed FAU
    ("Gillard, Steve G", "Gillard, S. G."),
    ("HOLLEY, J", "Holley, J."),  # Web of Science AU of old records, in capitals
    ("O'BRIEN, MARY", "O'Brien, M."),
    ("Gibson SL", "Gibson, S. L."),  # PubMed AU
    ("Steve G. Gillard", "Gillard, S. G."),  # OpenAlex, Lens
    ("van Eck N.J.", "van Eck, N. J."),
    ("Nees Jan van Eck", "van Eck, N. J."),
    ("Leone Sciabolazza V.", "Leone Sciabolazza, V."),
    ("*World Health Organization", "World Health Organization"),  # an organisation as author
    ("Mental Health Foundation", "Mental Health Foundation"),
    ("[Anonymous]", "[Anonymous]"),
])
def test_every_databases_form_of_a_name_is_shown_as_surname_and_initials(name, shown):
    assert display_author(name) == shown


def test_the_same_authors_from_each_export_are_shown_alike():
    files = [EXPORTS / n for n in ("scopus_peer.csv", "wos_peer.txt", "pubmed_peer.nbib", "lens_peer.csv",
                                   "openalex_peer.csv", "zotero_peer.csv", "dimensions_peer.csv")]
    shown: dict[str, set] = {}
    for path in files:
        for authors in read_corpora([path])["authors"].dropna():
            for name in authors.split(";"):
                shown.setdefault(display_author(name.strip()).split(",")[0], set()).add(display_author(name.strip()))
    assert shown["Holley"] == {"Holley, J."}
    assert shown["Moore"] == {"Moore, T."}
    # the databases give one or two of Steve G Gillard's initials: those are the forms, nothing else
    assert shown["Gillard"] <= {"Gillard, S.", "Gillard, S. G."} and len(shown["Gillard"]) >= 1
    assert display_authors(None) is None and display_authors("Holley J.;  Gillard, Steve ") == "Holley, J.; Gillard, S."


def test_top_authors_show_one_form_and_count_one_author_once():
    # SYNTHETIC: works.authors only (no authorships table), as Scopus and Web of Science write the names
    works = pd.DataFrame({"work_id": ["L1", "L2", "L3"], "is_corpus": True, "publication_year": [2014, 2015, 2016],
                          "title": ["One", "Two", "Three"], "cited_by_count": [1, 2, 3],
                          "authors": ["Gillard S.; Holley J.", "Gillard, Steve; HOLLEY, J", "Steve Gillard"]})
    top = pb.top({"works": works}, "authors")
    assert top.set_index("label")["works"].to_dict() == {"Gillard, S.": 3, "Holley, J.": 2}
    units = work_units({"works": works}, "authors")
    assert units["unit_id"].nunique() == 2


@pytest.mark.parametrize("name", ["a $x$ b", "Doe, a $x$ b", r"$\frac{1$", "<b>Roe</b>, A", "Agent 007",
                                  "山田 太郎", "a 日本語の雑誌", "Иванов, Иван"])
def test_what_is_not_a_latin_name_is_shown_as_written(name):
    """Markup, digits and dollars are not rewritten into initials (which would drop them), nor are names in
    a script without initials."""
    assert display_author(name) == name


def test_latin_letters_beyond_ascii_are_names():
    assert display_author("Łukasz Nowak") == "Nowak, Ł."
    assert display_author("Dvořák, Antonín") == "Dvořák, A."
