"""Statements from other sources, kept apart: a scite citation-statement export and Semantic Scholar
citation pages. Every file here is SYNTHETIC, written by the tests (scite's statement text may not be
redistributed and Semantic Scholar's is not bundled); the DOIs cited are the bundled corpus works'."""
from __future__ import annotations

import csv
import json

import pytest

import peerbib as pb
from peerbib.statements.classify import default_classifier  # noqa: E402

LABEL = default_classifier().label  # what the classifier column says of the default

GILLARD = "10.1007/s10488-014-0603-z"
HEX = "10.1111/hex.13151"


def write_csv(path, header, rows):
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def scite_export(folder, name=f"{GILLARD.replace('/', '_', 1)}.scite.csv"):
    """A SYNTHETIC export in the shape of scite's: its own column names, its own labels."""
    header = ["Citing DOI", "Citation Statement", "Citation Type", "Section", "Type Confidence"]
    return write_csv(folder / name, header, [
        ["10.5555/synthetic.citing1", "Our findings are consistent with the work of Gillard et al. (2014).",
         "supporting", "Discussion", "0.91"],
        ["10.5555/synthetic.citing2", "Peer workers were studied in secure services (Gillard et al., 2014).",
         "mentioning", "Introduction", "0.99"],
        ["10.5555/synthetic.citing3", "Unlike Gillard et al. (2014), we found no change in role clarity.",
         "contradicting", "Discussion", "0.77"],
    ])


def s2_page(contexts, offset=0, following=None):
    """A SYNTHETIC page in the shape of /graph/v1/paper/{id}/citations?fields=contextsWithIntent,..."""
    data = [{"isInfluential": influential, "contextsWithIntent": [{"context": c, "intents": i} for c, i in items],
             "citingPaper": {"paperId": paper, "externalIds": {"DOI": doi} if doi else {}}}
            for paper, doi, influential, items in contexts]
    page = {"offset": offset, "data": data}
    if following is not None:
        page["next"] = following
    return page


def s2_file(folder, name="hex.s2.json", **top):
    pages = [
        s2_page([("a" * 40, "10.5555/synthetic.s2one", True,
                  [("Peer support improved engagement, as Smith et al. reported [4].", ["result"]),
                   ("We followed the interview guide of [4].", ["methodology", "background"])]),
                 ("b" * 40, None, False, [("", ["background"])])], following=2),
        s2_page([("c" * 40, "10.5555/synthetic.s2two", False,
                  [("Our results are in line with [12].", ["result"])])], offset=2),
    ]
    path = folder / name
    path.write_text(json.dumps({"cited_doi": HEX, **top, "pages": pages}), encoding="utf-8")
    return path


def test_a_scite_export_keeps_scites_label_beside_peerbibs_own(project):
    folder = project / "data" / "raw" / "statements"
    scite_export(folder)
    tables = pb.build()
    mine = tables.statements[tables.statements["source"] == "scite (export)"].set_index("citing_id")
    assert len(mine) == 3 and set(mine["cited_id"]) == {tables.works.set_index("doi").loc[GILLARD, "work_id"]}
    assert mine.loc["doi:10.5555/synthetic.citing3", "source_type"] == "contrasting"  # scite's word, peerbib's name
    assert mine.loc["doi:10.5555/synthetic.citing1", "source_type"] == "supporting"
    assert (mine["classifier"] == LABEL).all()  # `type` is always peerbib's own classification
    assert mine.loc["doi:10.5555/synthetic.citing1", "type"] == "supporting"
    assert mine.loc["doi:10.5555/synthetic.citing2", "section"] == "Introduction"
    assert mine["provenance"].str.contains(r"\.scite\.csv:\d").all()
    # tallies: one row per source, never summed with the seed statements or scite's own tallies
    sources = set(tables.tallies["source"])
    assert {f"{LABEL} (scite (export) statements)", f"{LABEL} (scite statements)", "scite"} <= sources
    assert tables.tallies.duplicated(["cited_id", "source"]).sum() == 0


def test_scite_export_errors_name_the_file_and_line(project):
    folder = project / "data" / "raw" / "statements"
    write_csv(folder / "mine.scite.csv", ["Citation Statement", "Citation Type"], [["A sentence.", "mentioning"]])
    with pytest.raises(pb.CorpusError, match=r"mine\.scite\.csv, line 1: missing required column\(s\) cited_doi"):
        pb.build()
    (folder / "mine.scite.csv").unlink()
    write_csv(folder / f"{HEX.replace('/', '_', 1)}.scite.csv", ["Snippet", "Citation Type"],
              [["A sentence.", "mentioning"], ["Another.", "refuting"]])
    with pytest.raises(pb.CorpusError, match=r"hex\.13151\.scite\.csv, line 3: type 'refuting' is not one of"):
        pb.build()


def test_semantic_scholar_contexts_become_statements_with_intents_in_their_own_column(project):
    s2_file(project / "data" / "raw" / "statements")
    tables = pb.build()
    s2 = tables.statements[tables.statements["source"] == "semantic scholar"].set_index("text")
    assert len(s2) == 3  # the empty context is not a statement
    hex_id = tables.works.set_index("doi").loc[HEX, "work_id"]
    assert set(s2["cited_id"]) == {hex_id}
    methods = s2.loc["We followed the interview guide of [4]."]
    assert methods["s2_intents"] == "background; methodology" and methods["citing_id"] == "doi:10.5555/synthetic.s2one"
    # intents are a function, not a polarity: never a type, never the source's type
    assert s2["source_type"].isna().all()
    assert s2.loc["Our results are in line with [12].", "type"] == "supporting"  # peerbib's classifier
    assert bool(s2.loc["Peer support improved engagement, as Smith et al. reported [4].", "s2_influential"]) is True
    assert s2["provenance"].str.match(r"hex\.s2\.json: page \d, citation \d, context \d").all()
    pd_tallies = tables.tallies.set_index("source")
    assert pd_tallies.loc[f"{LABEL} (semantic scholar statements)", "citation_statements"] == 3
    again = pb.load()
    assert list(again.statements["s2_intents"].dropna()) == list(tables.statements["s2_intents"].dropna())


def test_a_semantic_scholar_citation_without_a_doi_is_named_by_its_paper_id(project):
    path = project / "data" / "raw" / "statements" / "one.s2.json"
    path.write_text(json.dumps({"_request": "https://api.semanticscholar.org/graph/v1/paper/DOI:"
                                            f"{HEX.replace('/', '%2F')}/citations"
                                            "?fields=contextsWithIntent", **s2_page(
                                    [("d" * 40, None, False, [("As shown before [3].", ["background"])])])}),
                    encoding="utf-8")
    statements = pb.build().statements
    (row,) = statements[statements["source"] == "semantic scholar"].itertuples()
    assert row.citing_id == "s2:" + "d" * 40


@pytest.mark.parametrize("content, message", [
    ("not json", r"bad\.s2\.json: not a JSON file"),
    (json.dumps({"pages": []}), r'the cited work is not named: add "cited_doi"'),
    (json.dumps({"cited_doi": HEX, "pages": [{"offset": 0}]}), r'page 1 has no "data" list'),
    (json.dumps({"cited_doi": HEX, **s2_page([("e", None, False, [("A sentence [1].", ["praise"])])])}),
     r"intent 'praise' is not one of background, methodology, result"),
    (json.dumps({"cited_doi": "10.9999/elsewhere", **s2_page([("e", None, False, [("A [1].", ["result"])])])}),
     r"cited_doi 10\.9999/elsewhere is not a work of the corpus"),
])
def test_semantic_scholar_file_errors_say_what_to_fix(project, content, message):
    (project / "data" / "raw" / "statements" / "bad.s2.json").write_text(content, encoding="utf-8")
    with pytest.raises(pb.CorpusError, match=message):
        pb.build()
    assert not (project / "data" / "processed").exists() or not list((project / "data" / "processed").glob("*.tmp"))
