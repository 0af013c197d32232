"""Notebook 04, "How is this literature connected?", rendered by peerbib report.

On a corpus fetched through the fake OpenAlex (tests/fixtures/mapped_project.py: three real records and
SYNTHETIC works) every part of the page is drawn, the files it carries are the maps pb.network makes, and
nothing says a fetch is missing; on the bundled data (30 works, no references, no countries) the parts
that need them are left out, with one sentence saying what a fetch would add, and no empty table or frame.
"""
from __future__ import annotations

import base64
import html
import io
import re
import shutil

import networkx as nx
import pytest

import peerbib as pb
from conftest import REPO
from fixtures.mapped_project import write_mapped_project

PAGE = "04_literature_connections"
PARTS = ("The literature in numbers", "The most cited works", "Who writes this literature",
         "Lotka's law and Bradford's zones", "Co-citation: which works are cited together",
         "Bibliographic coupling: which corpus works share references", "Co-authorship of countries",
         "Historiograph: how the corpus works cite each other over time", "Who supports and who contrasts whom",
         "Retracted works")
NEEDS_A_FETCH = ("Co-citation", "Bibliographic coupling", "Co-authorship of countries", "Retracted works",
                 "Who supports and who contrasts whom")


def _text(page: str) -> str:
    page = re.sub(r"<(style|script)\b.*?</\1>", " ", page, flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


@pytest.fixture(scope="module")
def mapped(tmp_path_factory):
    root = write_mapped_project(tmp_path_factory.mktemp("mapped") / "project")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PEERBIB_PROJECT", str(root))
        pb.report(only=["04"], progress=False)
        tables = pb.load()
    return root, tables, (root / "reports" / f"{PAGE}.html").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def bundled(tmp_path_factory):
    root = tmp_path_factory.mktemp("bundled") / "project"
    shutil.copytree(REPO / "data" / "raw", root / "data" / "raw")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PEERBIB_PROJECT", str(root))
        pb.report(only=["04"], progress=False)
    return (root / "reports" / f"{PAGE}.html").read_text(encoding="utf-8")


def _downloads(page: str) -> dict[str, bytes]:
    return {name: base64.b64decode(data)
            for name, data in re.findall(r'<a download="([^"]+)" href="data:[^;]+;base64,([^"]+)"', page)}


def test_a_fetched_corpus_gets_every_part_and_no_fetch_hint(mapped):
    _, _, page = mapped
    text = _text(page)
    for part in PARTS:
        assert part in text, part
    assert "Not in these tables" not in text
    assert "celltag_key-figure" in page and page.count("<img") >= 10


def test_the_files_on_the_page_are_the_maps_pb_network_makes(mapped):
    root, tables, page = mapped
    files = _downloads(page)
    for name, kind, unit, top in (("cocitation", "cocitation", "works", 100), ("coupling", "coupling", "works", 150),
                                  ("coauthorship_countries", "coauthorship", "countries", 100)):
        net = pb.network(tables, kind, unit=unit, top=top, random_state=pb.RANDOM_STATE)
        graph = nx.read_gexf(io.BytesIO(files[f"{name}.gexf"]))
        assert set(graph.nodes) == set(net.nodes["id"]), name
        assert graph.number_of_edges() == len(net.edges) > 0, name
        for row in net.edges.head(50).itertuples():
            assert graph.edges[row.source, row.target]["weight"] == row.weight
        links = files[f"{name}_network.txt"].decode("utf-8").splitlines()
        assert len(links) == len(net.edges)
        assert {f"{name}_map.txt", f"{name}.json", f"{name}_nodes.csv", f"{name}_edges.csv"} <= set(files)


def test_co_citation_clusters_are_named_by_their_members_and_the_ids_explained(mapped):
    _, tables, page = mapped
    text = _text(page)
    net = pb.network(tables, "cocitation", top=100, random_state=pb.RANDOM_STATE)
    named = pb.network_clusters(net, by="members")
    for name in named["name"].head(3):
        assert name in text
    assert "`peerbib fetch --references`" not in text and "peerbib fetch --references adds" in text


def test_the_bundled_data_says_what_a_fetch_adds_and_draws_nothing_empty(bundled):
    text = _text(bundled)
    hints = re.findall(r"Not in these tables: [^.]*\.", text)
    assert len(hints) == 1 and "references" in hints[0] and "countries" in hints[0]
    assert "peerbib fetch adds them from OpenAlex for the 30 corpus works" in text
    for part in NEEDS_A_FETCH:
        assert part not in text, part
    assert "no rows" not in text
    assert "Co-authorship of authors" in text and "The literature in numbers" in text
    numbers = text.split("The literature in numbers", 1)[1].split("The most cited works", 1)[0]
    assert "—" not in numbers.split("Counted from", 1)[1]  # measures the data cannot give are left out


def test_the_page_speaks_in_words_not_in_table_columns(mapped, bundled):
    """Issue 21, item 1: what each figure is counted from is said in words ("the countries of their
    affiliations"), never as a table's column ("authorships.country_codes")."""
    for page in (mapped[2], bundled):
        text = _text(page)
        jargon = re.findall(r"\b(?:works|tables|authorships|references|citations|statements)\.[a-z_]+\b", text)
        assert jargon == [], jargon
