"""What database exports hold beyond the bibliographic fields: times cited, cited references, affiliations, MeSH.

The reference strings and addresses in the unit tests are written here in the shapes Web of Science and
Scopus export (their quirks as found in public real exports); the end-to-end tests read the repository's
export samples, whose references, affiliations, counts and MeSH headings are SYNTHETIC (made by
tests/fixtures/exports/make_samples.py). Expected values are worked out by hand from those records, and
network weights are checked against counts made directly from the expected reference lists.
"""
from __future__ import annotations

import itertools
import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest

import peerbib as pb
from peerbib.corpus import read_corpora
from peerbib.corpus.affiliations import authorship_rows, scopus_bundle, wos_bundle
from peerbib.corpus.countries import country_code
from peerbib.corpus.names import name_key
from peerbib.corpus.references import (match_references, parse_references, parse_scopus_reference,
                                       parse_wos_reference, reference_key, same_source, split_scopus_references)
from peerbib.tables.from_exports import export_authorships, export_references
from peerbib.tables.merge import corpus_works, merge_snapshot
from peerbib.tables.schema import conform

EXPORTS = Path(__file__).parent / "fixtures" / "exports"
A, B, C, D, E = ("10.1111/hex.13151", "10.1192/apt.bp.113.011940", "10.1007/s10597-015-9843-y",
                 "10.3109/09638237.2015.1124402", "10.1186/1472-6963-13-188")
X1, X3 = "doi:10.5555/synthetic.ref.1", "doi:10.5555/synthetic.ref.3"
X2 = "ref:example k|2005|example j"
#: who cites whom in the samples (make_samples.references), written out again by hand
CITES = {A: [B, C, D, E, X1, X2], B: [E, X1, X3], C: [B, E, X1, X2, "anonymous"], D: [B, C, E, X3], E: [X1, X3]}


# --- Web of Science cited references -------------------------------------------------------------------


def test_a_wos_cited_reference_is_read_field_by_field():
    row = parse_wos_reference("Smith J, 2010, J PSYCHIATR RES, V44, P1, DOI 10.1016/j.jpsychires.2009.01.001")
    assert (row["cited_author"], row["cited_year"], row["cited_venue"], row["cited_volume"], row["cited_page"],
            row["cited_doi"]) == ("Smith J", "2010", "J PSYCHIATR RES", "44", "1", "10.1016/j.jpsychires.2009.01.001")
    anonymous = parse_wos_reference("[Anonymous], 2001, WORLD HLTH REP")
    assert anonymous["cited_author"] is None and anonymous["cited_year"] == "2001"
    assert anonymous["cited_venue"] == "WORLD HLTH REP"
    # two DOIs in brackets (the second often the right one): both kept, in order
    both = parse_wos_reference("Ceh M, 2018, ISPRS INT J GEO-INF, V7, DOI [10.3390/ijgi705168, 10.3390/ijgi7050168]")
    assert both["cited_doi"] == "10.3390/ijgi705168; 10.3390/ijgi7050168" and both["cited_volume"] == "7"
    # "DOI [DOI 10.1111/J.X, 10.1111/j.x]": one DOI in two cases
    bock = parse_wos_reference("Bock R.D., 1997, EDUC MEAS, V16, P21, DOI [DOI 10.1111/J.1745-3992.1997.TB00605.X, "
                               "10.1111/j.1745-3992.1997.tb00605.x]")
    assert bock["cited_doi"] == "10.1111/j.1745-3992.1997.tb00605.x"
    # a SICI DOI holds a semicolon; a page with a letter is written "pD418"
    sici = parse_wos_reference("Stuart TE, 2000, STRATEGIC MANAGE J, V21, P791, "
                               "DOI 10.1002/1097-0266(200008)21:8<791::AID-SMJ121>3.0.CO;2-K")
    assert sici["cited_doi"] == "10.1002/1097-0266(200008)21:8<791::aid-smj121>3.0.co;2-k"
    assert parse_wos_reference("Alfarano C, 2005, NUCLEIC ACIDS RES, V33, pD418")["cited_page"] == "D418"
    # a source that starts with P is the source, not a page
    assert parse_wos_reference("Lee K, 2009, PEDIATRICS, V1, P2")["cited_venue"] == "PEDIATRICS"
    no_year = parse_wos_reference("[Anonymous], ANAL DONNESS ANAL CO")
    assert no_year["cited_year"] is None and no_year["cited_venue"] == "ANAL DONNESS ANAL CO"


def test_unreadable_references_are_left_out_and_counted():
    rows, skipped = parse_references("Smith J, 2010, J PSYCHIATR RES, V44, P1\n[Anonymous]\n , , ,\n"
                                     "Doe A, 2011, NATURE, V1, P2", "wos")
    assert [r["cited_author"] for r in rows] == ["Smith J", "Doe A"] and skipped == 2
    assert parse_references(None, "wos") == ([], 0)
    with pytest.raises(ValueError, match="unknown reference format"):
        parse_references("x", "ris")


# --- Scopus cited references -------------------------------------------------------------------------------


def test_a_scopus_reference_of_the_older_style():
    row = parse_scopus_reference("Smith, J., Doe, A., Title of the work, (2010) Journal, 44 (1), pp. 1-10.")
    assert (row["cited_author"], row["cited_year"], row["cited_venue"], row["cited_volume"], row["cited_page"],
            row["cited_title"]) == ("Smith, J.", "2010", "Journal", "44", "1", "Title of the work")
    with_doi = parse_scopus_reference("Smith, J., A title (2010) J Synth Stud, 10 (2), pp. 100-110. "
                                      "DOI: 10.5555/Synthetic.1")
    assert with_doi["cited_doi"] == "10.5555/synthetic.1" and with_doi["cited_venue"] == "J Synth Stud"
    link = parse_scopus_reference("Mu, J., Tang, F., Absorptive capacity (2010) Expert Systems and Applications, "
                                  "37, pp. 31-38. , https://doi.org/10.1016/j.eswa.2009.05.019")
    assert link["cited_doi"] == "10.1016/j.eswa.2009.05.019"
    assert link["cited_venue"] == "Expert Systems and Applications"
    untitled = parse_scopus_reference("Kalé, L., Skeel, R., (1999) J Comp Phys, 151, p. 283")
    assert untitled["cited_title"] is None and untitled["cited_page"] == "283"
    assert untitled["cited_author"] == "Kalé, L."


def test_a_scopus_reference_of_the_newer_style():
    row = parse_scopus_reference("Smith J.; Doe A., Title of the work, J Abbrev, 44, 1, pp. 1-10, (2010)")
    assert (row["cited_author"], row["cited_year"], row["cited_venue"], row["cited_volume"], row["cited_page"],
            row["cited_title"]) == ("Smith J.", "2010", "J Abbrev", "44", "1", "Title of the work")
    authorless = parse_scopus_reference("The global epidemic of low back pain, Lancet Rheumatol, 5, (2023)")
    assert authorless["cited_author"] is None and authorless["cited_venue"] == "Lancet Rheumatol"
    assert parse_scopus_reference("Calin GA; Ferracin M, A signature, N Engl J Med, 353, pp. 1793-801, (2005)")[
        "cited_author"] == "Calin GA"


def test_a_scopus_references_cell_is_split_in_either_style():
    old = ("Smith, J., First (2010) Journal, 44 (1), pp. 1-10; Doe, A., Second (2011) Other J, 2, pp. 3-4; "
           "(2001) World Health Report, , WHO, Geneva")
    assert [parse_scopus_reference(r)["cited_year"] for r in split_scopus_references(old)] == ["2010", "2011", "2001"]
    # the newer style joins the authors with "; " too: the references end with their year
    new = ("Smith J.; Doe A.; Roe B., First, J Abbrev, 44, pp. 1-10, (2010); Doe A., Second, Other J, 2, (2011); "
           "Roe B.; Smith J., Third, Third J, 3, 1, (2012)")
    parts = split_scopus_references(new)
    assert len(parts) == 3 and [parse_scopus_reference(p)["cited_author"] for p in parts] == ["Smith J.", "Doe A.",
                                                                                              "Roe B."]


# --- matching ------------------------------------------------------------------------------------------------


def test_sources_match_as_written_or_abbreviated():
    assert same_source("J PSYCHIATR RES", ["Journal of Psychiatric Research"])
    assert same_source("COMMUNITY MENT HLT J", ["Community Mental Health Journal"])
    assert same_source("J AM SOC INF SCI TEC", ["Journal of the American Society for Information Science and "
                                                "Technology"])
    assert same_source("Health Expect.", ["Health Expectations"])
    assert not same_source("J MENT HEALTH", ["Journal of Mental Health Policy and Economics"])
    assert not same_source("RES POLICY", ["Research Evaluation"]) and not same_source(None, ["Research Policy"])


def _works(*rows):
    return pd.DataFrame(rows, columns=["work_id", "doi", "title", "publication_year", "authors", "venue"])


def test_references_are_matched_by_doi_title_author_year_source_and_share_keys():
    works = _works(("W1", "10.1000/one", "Peer support in practice and theory", 2010, "Smith, John", "Journal of X"),
                   ("W2", None, "Another work entirely", 2012, "Doe A.", "Journal of Psychiatric Research"),
                   ("W3", "10.1000/three", "Third", 2014, "Roe, B", "Community Mental Health Journal"))
    rows = [dict(row, citing_id=citing) for citing, row in [
        ("L1", parse_wos_reference("Smith J, 2010, J X, V1, P1, DOI 10.1000/ONE")),
        ("L1", parse_scopus_reference("Jones, K., Peer support in practice and theory (2010) Other, 1, pp. 1-2")),
        ("L1", parse_wos_reference("Doe A, 2012, J PSYCHIATR RES, V4, P5")),
        ("L2", parse_wos_reference("Roe B, 2014, CMHJ, V9, P9, DOI 10.1000/three")),
        ("L2", parse_wos_reference("Roe B, 2014, CMHJ, V9, P9")),  # the same, without DOI
        ("L2", parse_wos_reference("Ext Q, 2001, OUTSIDE J, V1, P1, DOI [10.9000/a, 10.9000/b]")),
        ("L3", parse_wos_reference("Ext Q, 2001, OUTSIDE J, V1, P1, DOI 10.9000/b")),
        ("L3", parse_scopus_reference("Ext, Q., Outside (2001) Outside J, 1, pp. 1-4")),
        ("L3", parse_wos_reference("Far Z, 1999, NOWHERE J, V1, P1")),
        ("L1", parse_scopus_reference("Far, Z., A far work (1999) Nowhere J, 1, pp. 1-3")),
    ]]
    out = match_references(rows, works)
    got = [(r["citing_id"], r["cited_id"], r["match_method"]) for r in out]
    assert got[:5] == [("L1", "W1", "doi"), ("L1", "W1", "title"), ("L1", "W2", "author-year-source"),
                       ("L2", "W3", "doi"), ("L2", "W3", "same-reference")]
    # DOIs given together are one work's: every reference to it gets one id, whichever DOI it gives
    assert {r["cited_id"] for r in out[5:8]} == {"doi:10.9000/b"} and out[5]["cited_doi"] == "10.9000/b"
    # no DOI anywhere: one key however the database writes the reference
    assert out[8]["cited_id"] == out[9]["cited_id"] == "ref:far z|1999|nowhere j"
    assert reference_key({"cited_author": "[Anonymous]", "cited_year": None, "cited_venue": "X"}) is None


# --- names, countries, affiliations --------------------------------------------------------------------------


def test_names_and_countries_as_the_databases_write_them():
    assert {name_key(n) for n in ("Gillard, Steve", "Gillard S.", "Gillard SG", "S. Gillard", "Steve Gillard",
                                  "GILLARD, S")} == {"gillard s"}
    assert name_key("van Eck N.J.") == name_key("van Eck, Nees Jan") == "van eck n" and name_key("[Anonymous]") is None
    assert [country_code(a) for a in (
        "Univ Michigan, Ann Arbor, MI 48104 USA.", "EBI, Cambridge CB10 1SD, England.",
        "Hangzhou 310053, Peoples R China.", "Sinop Univ, Sinop, Turkiye.", "Natl Canc Inst, Bethesda, MD 20892",
        "Paris, France", "Moscow, Russian Federation",
        "Univ Glasgow, Glasgow, Scotland.", "Univ Montreal, Montreal, PQ H3C 3J7, Canada.", "Nowhere Univ")] == \
        ["US", "GB", "CN", "TR", "US", "FR", "RU", "GB", "CA", None]


def test_wos_addresses_are_given_to_their_authors_and_rp_marks_the_corresponding():
    tags = {"AF": ["Camison, Cesar", "Fores, Beatriz", "Smith, John"],
            "C1": ["[Camison, Cesar; Fores, Beatriz] Univ Jaume 1, Dept Business, E-12071 Castellon, Spain.",
                   "[Smith, John] Harvard Univ, Cambridge, MA 02138 USA."],
            "RP": ["Fores, B (corresponding author), Univ Jaume 1, Castellon, Spain.; Smith, J (corresponding "
                   "author), Harvard Univ, Cambridge, MA 02138 USA."]}
    rows = authorship_rows(wos_bundle(tags))
    assert [(r["author_id"], r["institution_names"], r["country_codes"], r["is_corresponding"]) for r in rows] == [
        ("camison c", "Univ Jaume 1", "ES", False), ("fores b", "Univ Jaume 1", "ES", True),
        ("smith j", "Harvard Univ", "US", True)]
    # addresses an old export does not tie to authors: every author gets them
    old = authorship_rows(wos_bundle({"AU": ["Owen-Smith, J", "Powell, WW"],
                                      "C1": ["Univ Michigan, Ann Arbor, MI 48104 USA.", "Stanford Univ, Stanford, CA "
                                             "94305 USA."], "RP": ["Owen-Smith, J (reprint author), Univ Michigan."]}))
    assert [r["institution_ids"] for r in old] == ["univ michigan; stanford univ"] * 2
    assert [r["is_corresponding"] for r in old] == [True, False]


def test_scopus_authors_with_two_affiliations_and_the_correspondence_address():
    bundle = scopus_bundle(
        ["Costantini V.", "Leone Sciabolazza V."],
        "Costantini, V., University of Roma Tre, Rome, Italy, SEEDS, Ferrara, Italy; Leone Sciabolazza, V., "
        "Sapienza University of Rome, Rome, Italy",
        "University of Roma Tre, Rome, Italy; Sapienza University of Rome, Rome, Italy; SEEDS, Ferrara, Italy",
        "Leone Sciabolazza, V.; Sapienza University of Rome, Italy; email: v@example.org")
    rows = authorship_rows(bundle)
    assert [(r["institution_names"], r["country_codes"], r["is_corresponding"]) for r in rows] == [
        ("University of Roma Tre; SEEDS", "IT", False), ("Sapienza University of Rome", "IT", True)]
    newer = authorship_rows(scopus_bundle(["Liu, Fengyuan", "Li, Yufei"],
                                          "Liu F., Department of Surgery, Hunan Normal University, Changsha, China; "
                                          "Li Y., School of Medicine, Harvard University, Boston, MA, United States",
                                          None, "Y. Li; Harvard University, Boston; email: y@example.org"))
    assert [(r["author_id"], r["institution_names"], r["country_codes"], r["is_corresponding"]) for r in newer] == [
        ("liu f", "Hunan Normal University", "CN", False), ("li y", "Harvard University", "US", True)]
    with pytest.raises(ValueError, match="not an affiliations bundle"):
        authorship_rows(json.dumps({"format": "ris"}))


# --- the readers keep the raw fields -------------------------------------------------------------------------


def read(name):
    return pb.read_corpus(EXPORTS / name).set_index("doi")


def test_readers_keep_times_cited_mesh_references_and_affiliations():
    scopus, wos, tab, pubmed = (read(n) for n in ("scopus_peer.csv", "wos_peer.txt", "wos_peer_tab_utf16.txt",
                                                   "pubmed_peer.nbib"))
    assert scopus.loc[B, "cited_by_count"] == 40 and scopus.loc[B, "cited_by_source"] == "scopus"
    assert wos.loc[B, "cited_by_count"] == 35 and wos.loc[B, "cited_by_source"] == "wos-tc"  # TC, not Z9
    assert tab.loc[A, "cited_by_count"] == 10 and str(scopus["cited_by_count"].dtype) == "Int64"
    assert scopus.loc[B, "references_format"] == "scopus" and wos.loc[B, "references_format"] == "wos"
    assert len(parse_references(wos.loc[D, "references_raw"], "wos")[0]) == 4
    assert parse_references(tab.loc[E, "references_raw"], "wos")[0] == parse_references(
        wos.loc[E, "references_raw"], "wos")[0]  # tab-delimited and plain text read alike
    assert authorship_rows(tab.loc[E, "affiliations_raw"]) == authorship_rows(wos.loc[E, "affiliations_raw"])
    assert "J MENT HEALTH" in wos.loc[D, "venue_abbrevs"]
    # MeSH descriptors (subheadings and stars dropped), apart from the author keywords
    assert pubmed.loc[A, "mesh"] == "Humans; Peer Group; Mental Health Services; Attitude of Health Personnel"
    assert pd.isna(pubmed.loc[A, "keywords"])
    moore = authorship_rows(pubmed.loc[A, "affiliations_raw"])
    assert [(r["author_name"], r["institution_names"], r["country_codes"]) for r in moore] == [
        ("Moore, Timothy", "Synthetic University", "GB")]


def test_an_odd_times_cited_is_left_out_with_a_warning_naming_the_file(tmp_path, caplog):
    text = (EXPORTS / "scopus_peer.csv").read_text(encoding="utf-8-sig").replace(",40,", ",forty,", 1)
    assert ",forty," in text
    path = tmp_path / "odd_scopus.csv"
    path.write_text(text, encoding="utf-8")
    works = pb.read_corpus(path).set_index("doi")
    assert pd.isna(works.loc[B, "cited_by_count"]) and pd.isna(works.loc[B, "cited_by_source"])
    assert works.attrs["warnings"] == ["odd_scopus.csv: 1 odd value left out (line 3: times cited 'forty')"]
    assert "odd_scopus.csv" in caplog.text
    assert read_corpora([path]).attrs["merge"].warnings == works.attrs["warnings"]


# --- end to end: the samples read together, references and authorships, networks ---------------------------


def _tables_of(files):
    corpus = read_corpora(files)
    works = conform(corpus_works(corpus), "works")
    return corpus, works, export_references(corpus, works), export_authorships(corpus, works)


@pytest.fixture(scope="module")
def everything():
    return _tables_of(sorted(p for p in EXPORTS.iterdir() if p.suffix in (".csv", ".txt", ".nbib")))


def _by_doi(works, refs):
    ids = dict(zip(works["work_id"], works["doi"]))
    back = {v: k for k, v in ids.items()}
    return ids, back


def test_merged_works_keep_the_highest_count_and_its_source(everything):
    _, works, _, _ = everything
    got = works.set_index("doi")[["cited_by_count"]].join(everything[0].set_index("doi")[["cited_by_source"]])
    assert got.loc[[A, B, C, D, E]].to_records().tolist() == [
        (A, 12, "scopus"), (B, 40, "scopus"), (C, 20, "wos-tc"), (D, 25, "scopus"), (E, 150, "wos-tc")]


def test_references_of_the_merged_corpus_equal_the_reference_lists(everything):
    corpus, works, refs, _ = everything
    ids, back = _by_doi(works, refs)
    assert refs.attrs["warnings"] == []
    for citing, cited in CITES.items():
        mine = refs[refs["citing_id"] == back[citing]].sort_values("position")
        expected = [back.get(c, c) for c in cited]
        got = list(mine["cited_id"])
        assert got[:-1] == expected[:-1] if cited[-1] == "anonymous" else got == expected
        if cited[-1] == "anonymous":
            assert got[-1].startswith("ref:|2001|world h") and pd.isna(mine["match_method"].iloc[-1])
        assert list(mine["position"]) == list(range(len(cited)))
    # the Scopus lists win where Scopus and Web of Science give lists equally long: B by DOI, the others by title
    methods = refs[refs["cited_id"].isin(back.values())].groupby("cited_id")["match_method"].agg(set)
    assert methods.to_dict() == {back[B]: {"doi"}, back[C]: {"title"}, back[D]: {"title"}, back[E]: {"title"}}


def test_web_of_science_references_alone_match_by_doi_and_by_author_year_source():
    _, works, refs, _ = _tables_of([EXPORTS / "wos_peer.txt", EXPORTS / "wos_peer_tab_utf16.txt"])
    _, back = _by_doi(works, refs)
    methods = refs[refs["cited_id"].isin(back.values())].groupby("cited_id")["match_method"].agg(set).to_dict()
    assert methods == {back[B]: {"doi"}, back[C]: {"author-year-source"}, back[D]: {"doi"}, back[E]: {"doi"}}
    assert set(refs.loc[refs["citing_id"] == back[C], "cited_id"]) == {back[B], back[E], X1, X2,
                                                                      "ref:|2001|world hlth rep"}


def test_authorships_give_each_work_its_authors_institutions_and_countries(everything):
    _, works, _, authorships = everything
    _, back = _by_doi(works, None)
    countries = authorships.groupby("work_id")["country_codes"].agg(
        lambda c: set(";".join(c.dropna()).replace(" ", "").split(";")) - {""})
    assert {d: countries[back[d]] for d in (A, B, C, D, E)} == {
        A: {"GB"}, B: {"GB", "US"}, C: {"GB", "US"}, D: {"GB", "US", "AU"}, E: {"GB", "US"}}
    e = authorships[authorships["work_id"] == back[E]].sort_values("position")
    assert list(e["author_id"]) == ["gillard s", "edwards c", "gibson s", "owen k", "wright c"]
    assert pd.isna(e["institution_ids"].iloc[3])  # Owen: no address
    assert list(e["is_corresponding"]) == [False, False, False, False, True]
    assert str(authorships["is_corresponding"].dtype) == "boolean"


@dataclass
class ExportTables:
    works: pd.DataFrame
    citations: pd.DataFrame
    statements: pd.DataFrame
    tallies: pd.DataFrame
    references: pd.DataFrame
    authorships: pd.DataFrame


def _pair_counts(sets):
    counts = Counter()
    for items in sets:
        counts.update(frozenset(p) for p in itertools.combinations(sorted(items), 2))
    return counts


def _edges(net):
    return {frozenset((s, t)): w for s, t, w in zip(net.edges["source"], net.edges["target"], net.edges["weight"])}


def test_networks_from_the_exports_count_what_the_reference_lists_say(everything):
    corpus, works, refs, authorships = everything
    _, back = _by_doi(works, refs)
    tables = ExportTables(works=works, citations=pd.DataFrame(columns=["citing_id", "cited_id"]),
                          statements=pd.DataFrame(), tallies=pd.DataFrame(), references=refs,
                          authorships=authorships)
    anonymous = refs.loc[refs["citing_id"] == back[C], "cited_id"].iloc[-1]
    cited = {back[c]: {back.get(x, anonymous if x == "anonymous" else x) for x in xs} for c, xs in CITES.items()}
    cocitation = pb.network(tables, "cocitation", communities=False, layout=False)
    assert _edges(cocitation) == dict(_pair_counts(cited.values()))
    coupling = pb.network(tables, "coupling", communities=False, layout=False)
    shared = {frozenset((a, b)): len(cited[a] & cited[b]) for a, b in itertools.combinations(cited, 2)
              if cited[a] & cited[b]}
    assert _edges(coupling) == shared
    countries = pb.network(tables, "coauthorship", unit="countries", communities=False, layout=False)
    per_work = [{"GB"}, {"GB", "US"}, {"GB", "US"}, {"GB", "US", "AU"}, {"GB", "US"}]
    assert _edges(countries) == dict(_pair_counts(per_work))


# --- OpenAlex first ----------------------------------------------------------------------------------------


def test_openalex_count_wins_and_says_so():
    corpus = corpus_works(pb.read_corpus(EXPORTS / "scopus_peer.csv"))
    fetched = pd.DataFrame({"work_id": ["W1", "W2"], "doi": [B, "10.5555/other"], "title": ["t", "u"],
                            "publication_year": [2014, 2001], "cited_by_count": [77, 5], "requested": [True, False]})
    from peerbib.snapshot.read import SnapshotTables

    works, _, _ = merge_snapshot(corpus, SnapshotTables(
        works=fetched, citations=pd.DataFrame(columns=["citing_id", "cited_id"]), counts_by_year=pd.DataFrame(),
        matches=pd.DataFrame(columns=["corpus_work_id", "work_id"])))
    got = works.set_index("doi")
    assert (got.loc[B, "cited_by_count"], got.loc[B, "cited_by_source"]) == (77, "openalex")
    assert (got.loc[D, "cited_by_count"], got.loc[D, "cited_by_source"]) == (25, "scopus")
    assert got.loc["10.5555/other", "cited_by_source"] == "openalex"


def test_unreadable_affiliations_and_rows_not_in_the_works_are_left_out(caplog):
    corpus = pd.DataFrame({"work_id": ["L1", "L2", "L3"], "doi": [None, None, None],
                           "authors": ["Smith, J; Doe, A", "Roe, B", "Nobody, N"],
                           "affiliations_raw": ["{not json", None, None],
                           "affiliations_from": ["bad.csv:2", None, None],
                           "corpus_file": ["bad.csv", "bad.csv", "bad.csv"]})
    works = pd.DataFrame({"work_id": ["L1", "L2"], "doi": [None, None]})
    rows = export_authorships(corpus, works)
    # no rows from unreadable or missing affiliations (the build gives those works their names); L3 is not a
    # work of the tables
    assert len(rows) == 0
    assert rows.attrs["warnings"] == ["corpus: 1 affiliation fields in bad.csv could not be read and was left out"]
    assert "bad.csv" in caplog.text


def test_the_build_keeps_what_the_exports_hold(tmp_path):
    """A project of the export samples, never fetched: pb.build's references, authorships, times cited and
    MeSH are what the export functions give for the same files."""
    import shutil

    import peerbib as pb

    raw = tmp_path / "raw"
    (raw / "corpus").mkdir(parents=True)
    files = sorted(p for p in EXPORTS.iterdir() if p.suffix in (".csv", ".txt", ".nbib"))
    for path in files:
        shutil.copy(path, raw / "corpus" / path.name)
    tables = pb.build(raw, tmp_path / "processed")
    _, works, refs, authors = _tables_of(sorted((raw / "corpus").iterdir()))
    key = ["citing_id", "position"]
    built = tables.references.sort_values(key).reset_index(drop=True)
    expected = refs.sort_values(key).reset_index(drop=True)
    assert len(built) == len(expected) > 0
    assert built[["citing_id", "cited_id", "position", "match_method"]].astype("object").fillna("").values.tolist() \
        == expected[["citing_id", "cited_id", "position", "match_method"]].astype("object").fillna("").values.tolist()
    assert set(built["source"]) == {"export"}
    got = tables.authorships.sort_values(["work_id", "position"]).reset_index(drop=True)
    want = authors.sort_values(["work_id", "position"]).reset_index(drop=True)
    assert got[["work_id", "author_id", "country_codes"]].astype("object").fillna("").values.tolist() == \
        want[["work_id", "author_id", "country_codes"]].astype("object").fillna("").values.tolist()
    assert got["country_codes"].notna().any()
    by_doi = tables.works.set_index("doi")
    assert (by_doi.loc[C, "cited_by_count"], by_doi.loc[C, "cited_by_source"]) == (20, "wos-tc")
    assert tables.works["mesh"].notna().any()
    again = pb.load(tmp_path / "processed")  # and read back from Parquet the same
    pd.testing.assert_frame_equal(again.references, tables.references)
    pd.testing.assert_frame_equal(again.authorships, tables.authorships)
