"""Science maps and indicators (peerbib.analysis.networks, peerbib.analysis.indicators).

Every table here is SYNTHETIC: made by code in this file (invented works,
references, authors, institutions, keywords, statements), never analysis
data. Edge weights are checked against counts made directly from the same
records by plain Python (sets and Counters), normalisations against values
worked out by hand, and each export format by reading it back with its
reader.
"""
from __future__ import annotations

import csv
import itertools
import json
import math
import subprocess
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass

import matplotlib

matplotlib.use("Agg")  # off-screen, set in the test process only

import matplotlib.pyplot as plt  # noqa: E402
import networkx as nx  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

import peerbib as pb  # noqa: E402
from peerbib.analysis.networks import build, export, plots  # noqa: E402
from peerbib.analysis.present import cluster_style  # noqa: E402
from peerbib.errors import AnalysisError  # noqa: E402

HOSTILE = "$\\frac{1$ <script>alert(1)</script>, \"quoted\"; semi\ttab"


@dataclass
class SyntheticTables:
    """The shape of pb.Tables with the references and authorships tables (SYNTHETIC content)."""

    works: pd.DataFrame
    citations: pd.DataFrame
    statements: pd.DataFrame
    tallies: pd.DataFrame
    references: pd.DataFrame | None = None
    authorships: pd.DataFrame | None = None


def synthetic_tables(n_corpus: int = 40, n_cited: int = 70, seed: int = 0) -> SyntheticTables:
    """SYNTHETIC tables: ``n_corpus`` corpus works citing a skewed pool of works (some of them corpus works,
    some unmatched reference strings with local keys), with authors, institutions, countries, keywords, MeSH
    terms and topics, citation statements for some corpus -> corpus citations, and a few retracted works."""
    rng = np.random.default_rng(seed)
    corpus = [f"W{i}" for i in range(1, n_corpus + 1)]
    outside = [f"W{1000 + i}" for i in range(n_cited)] + [f"ref:{i}" for i in range(5)]
    pool = outside + corpus[: n_corpus // 2]
    popularity = 1 / (np.arange(len(pool)) + 3.0)
    popularity /= popularity.sum()
    venues = ["Journal A", "journal  a", "Journal B", "Journal C", "Journal D"]
    keywords = ["peer support", "Peer Support", "recovery", "mental health", "trial", "qualitative", HOSTILE]
    works, references, authorships = [], [], []
    for i, work in enumerate(corpus):
        year = int(rng.integers(2000, 2021))
        works.append({
            "work_id": work, "doi": f"10.5555/synthetic.{i}", "title": f"Synthetic work {i} {HOSTILE}" if i % 7 == 0
            else f"Synthetic work {i}", "publication_year": year, "type": "article",
            "venue": venues[int(rng.integers(0, len(venues)))] if i % 11 else None,
            "authors": None, "abstract": None, "cited_by_count": int(rng.integers(0, 60)) if i % 13 else None,
            "is_corpus": True,
            "keywords": "; ".join(rng.choice(keywords, int(rng.integers(1, 4)), replace=False)) if i % 9 else None,
            "mesh": "; ".join(rng.choice(["Humans", "Peer Group", "Mental Disorders"], 2, replace=False)),
            "topics": "; ".join(rng.choice(["T1", "T2", "T3", "T4"], int(rng.integers(1, 3)), replace=False)),
            "is_retracted": i == 3, "fwci": float(rng.random() * 3),
        })
        cited = rng.choice(len(pool), int(rng.integers(3, 12)), replace=False, p=popularity)
        for position, c in enumerate(cited):
            if pool[c] != work:
                references.append({"citing_id": work, "cited_id": pool[c], "position": position})
        names = []
        for position, a in enumerate(rng.choice(12, int(rng.integers(1, 4)), replace=False)):
            institutions = [f"I{a % 5}"] + ([f"I{(a + 1) % 5}"] if a % 3 == 0 else [])
            countries = sorted({["GB", "US", "FR", "DE", "NL"][int(x[1:]) % 5] for x in institutions})
            name = f"Author{a}, {'ABCDEFGHIJKL'[a]}." if a != 5 else HOSTILE
            names.append(name)
            authorships.append({"work_id": work, "position": position, "author_id": f"A{a}", "author_name": name,
                                "institution_ids": "; ".join(institutions),
                                "institution_names": "; ".join(f"Institute {x} ({HOSTILE})" if x == "I2"
                                                               else f"Institute {x}" for x in institutions),
                                "country_codes": "; ".join(countries), "is_corresponding": position == 0})
        works[-1]["authors"] = "; ".join(names)
    for i, cited in enumerate(outside[:n_cited]):  # some cited works are in the works table (fetched), most not
        if i % 4 == 0:
            works.append({"work_id": cited, "doi": f"10.5555/cited.{i}", "title": f"Cited work {i}",
                          "publication_year": 1990 + i % 20, "type": "article", "venue": venues[i % 5],
                          "authors": f"Cited{i}, Z.", "abstract": None, "cited_by_count": 100 + i,
                          "is_corpus": False, "keywords": None, "mesh": None, "topics": None,
                          "is_retracted": i == 8, "fwci": None})
    works = pd.DataFrame(works).astype({"publication_year": "Int64", "cited_by_count": "Int64",
                                        "is_corpus": "boolean", "is_retracted": "boolean", "fwci": "Float64"})
    references = pd.DataFrame(references)
    references["cited_doi"] = None
    references["cited_title"] = "Reference " + references["cited_id"]
    references["cited_year"] = 1995
    references["cited_venue"] = [None if c.startswith("ref:") else ["Journal A", "Journal E", None][k % 3]
                                 for k, c in enumerate(references["cited_id"])]
    references["match"] = "synthetic"
    citations = references[references["cited_id"].isin(corpus)][["citing_id", "cited_id"]].reset_index(drop=True)
    citations = pd.concat([citations, pd.DataFrame({"citing_id": ["W9999"], "cited_id": [corpus[0]]})],
                          ignore_index=True)  # a citing work outside the corpus
    kinds = ["supporting", "mentioning", "contrasting", "mentioning", "unclassified"]
    statements = [{"statement_id": f"S{k}", "citing_id": c, "cited_id": d, "text": f"statement {k} {HOSTILE}",
                   "section": "Introduction", "type": kinds[k % 5]}
                  for k, (c, d) in enumerate(zip(citations["citing_id"][:12], citations["cited_id"][:12]))]
    statements += [{"statement_id": "S100", "citing_id": citations["citing_id"][0],
                    "cited_id": citations["cited_id"][0], "text": "another", "section": "Discussion",
                    "type": "contrasting"}]
    return SyntheticTables(works=works, citations=citations, statements=pd.DataFrame(statements),
                           tallies=pd.DataFrame(), references=references,
                           authorships=pd.DataFrame(authorships))


@pytest.fixture(scope="module")
def tables():
    return synthetic_tables()


# --- brute-force counts from the records ------------------------------------------------------------------


def key(text: str) -> str:
    """The same name normalisation, written independently: case, punctuation and spacing ignored."""
    for mark in ".,;:'\"()[]":
        text = text.replace(mark, " ")
    return " ".join(text.casefold().split())


def corpus_of(t) -> list[str]:
    return list(t.works.loc[t.works["is_corpus"].fillna(False).astype(bool), "work_id"])


def refs_by_work(t) -> dict[str, set[str]]:
    corpus = set(corpus_of(t))
    out = defaultdict(set)
    for citing, cited in zip(t.references["citing_id"], t.references["cited_id"]):
        if citing in corpus:
            out[citing].add(cited)
    return out


def split(value) -> list[str]:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return []
    return [p.strip() for p in str(value).split(";") if p.strip()]


def units_by_work(t, unit: str) -> dict[str, set[str]]:
    corpus = set(corpus_of(t))
    out = defaultdict(set)
    if unit in ("authors", "institutions", "countries"):
        column = {"authors": "author_id", "institutions": "institution_ids", "countries": "country_codes"}[unit]
        for row in t.authorships.to_dict("records"):
            if row["work_id"] in corpus:
                values = [row[column]] if unit == "authors" else split(row[column])
                out[row["work_id"]].update(values)
        return out
    column = {"sources": "venue"}.get(unit, unit)
    for row in t.works.to_dict("records"):
        if row["work_id"] in corpus:
            out[row["work_id"]].update(key(v) for v in split(row[column]))
    return out


def pair_counts(documents: dict) -> tuple[Counter, Counter]:
    """(pair -> documents carrying both, unit -> documents carrying it) of document -> set of units."""
    pairs, occurrences = Counter(), Counter()
    for units in documents.values():
        occurrences.update(units)
        for a, b in itertools.combinations(sorted(units), 2):
            pairs[frozenset((a, b))] += 1
    return pairs, occurrences


def invert(documents: dict) -> dict:
    out = defaultdict(set)
    for document, units in documents.items():
        for unit in units:
            out[unit].add(document)
    return out


def edge_counts(net) -> dict:
    return {frozenset((s, t)): int(c) for s, t, c in zip(net.edges["source"], net.edges["target"],
                                                          net.edges["count"])}


def cited_venues(t) -> dict[str, str]:
    venue = {}
    works_venue = dict(zip(t.works["work_id"], t.works["venue"]))
    for cited, given in zip(t.references["cited_id"], t.references["cited_venue"]):
        if isinstance(given, str) and given:
            venue.setdefault(cited, key(given))
    for cited in set(t.references["cited_id"]):
        if cited not in venue and isinstance(works_venue.get(cited), str):
            venue[cited] = key(works_venue[cited])
    return venue


def expected(t, kind: str, unit: str) -> tuple[Counter, Counter]:
    """Pair counts and occurrences of a network, counted from the records."""
    if kind == "cocitation" and unit == "works":
        return pair_counts(refs_by_work(t))
    if kind == "cocitation":
        venue = cited_venues(t)
        return pair_counts({w: {venue[c] for c in refs if c in venue} for w, refs in refs_by_work(t).items()})
    if kind == "coupling":
        refs = refs_by_work(t)
        if unit == "works":
            return pair_counts(invert(refs))
        carried = invert(units_by_work(t, unit))  # unit -> its works
        return pair_counts(invert({u: set().union(*(refs.get(w, set()) for w in ws)) for u, ws in carried.items()}))
    return pair_counts(units_by_work(t, unit))


ALL_KINDS = [(kind, unit) for kind, units in build.KINDS.items() if kind != "citation" for unit in units]


@pytest.mark.parametrize("kind, unit", ALL_KINDS)
def test_edge_counts_and_occurrences_equal_counts_made_from_the_records(tables, kind, unit):
    net = pb.network(tables, kind, unit=unit, communities=False, layout=False)
    pairs, occurrences = expected(tables, kind, unit)
    assert edge_counts(net) == dict(pairs)
    assert dict(zip(net.nodes["id"], net.nodes["weight"])) == dict(occurrences)
    assert (net.edges["weight"] == net.edges["count"]).all()
    assert len(net.edges) == len({frozenset(p) for p in zip(net.edges["source"], net.edges["target"])})
    assert not (net.edges["source"] == net.edges["target"]).any()  # no diagonal
    assert net.nodes["weight"].is_monotonic_decreasing


def test_coupling_of_works_with_top_and_min_weight_keeps_the_counts_of_the_chosen_nodes(tables):
    pairs, occurrences = expected(tables, "coupling", "works")
    ranked = sorted(occurrences, key=lambda w: (-occurrences[w], w))[:12]
    net = pb.network(tables, "coupling", top=12, min_weight=2, communities=False, layout=False)
    assert list(net.nodes["id"]) == ranked
    chosen = set(ranked)
    assert edge_counts(net) == {p: c for p, c in pairs.items() if p <= chosen and c >= 2}
    assert net.edges["count"].min() >= 2
    assert "top 12" in net.note


def test_citation_network_is_directed_among_corpus_works_with_statement_types(tables):
    net = pb.network(tables, "citation", communities=False, layout=False)
    corpus = set(corpus_of(tables))
    edges = {(c, d) for c, d in zip(tables.citations["citing_id"], tables.citations["cited_id"])
             if c in corpus and d in corpus}
    edges |= {(c, d) for c, d in zip(tables.references["citing_id"], tables.references["cited_id"])
              if c in corpus and d in corpus and c != d}
    assert set(zip(net.edges["source"], net.edges["target"])) == edges
    assert net.directed and set(net.nodes["id"]) == corpus
    local = Counter(d for _, d in edges)
    assert dict(zip(net.nodes["id"], net.nodes["weight"])) == {w: local.get(w, 0) for w in corpus}
    typed = Counter((s["citing_id"], s["cited_id"], s["type"]) for s in tables.statements.to_dict("records"))
    for row in net.edges.to_dict("records"):
        counts = {k: typed.get((row["source"], row["target"], k), 0)
                  for k in ("supporting", "mentioning", "contrasting", "unclassified")}
        if sum(counts.values()):
            assert {k: row[k] for k in counts} == counts
            assert row["statements"] == sum(counts.values())
            best = max(counts.values())
            assert counts[row["type"]] == best
        else:
            assert pd.isna(row["statements"]) and pd.isna(row["type"])
    first = tables.citations.iloc[0]
    pair = net.edges[(net.edges["source"] == first["citing_id"]) & (net.edges["target"] == first["cited_id"])]
    # one supporting and one contrasting statement: the tie goes to the rarer, more telling type
    assert pair["type"].iloc[0] == "contrasting"


# --- normalisations, by hand ------------------------------------------------------------------------------


def keyword_tables(rows: list[str | None]) -> SyntheticTables:
    """SYNTHETIC: one corpus work per row of "a; b" keywords."""
    n = len(rows)
    works = pd.DataFrame({"work_id": [f"W{i}" for i in range(n)], "title": [f"Synthetic {i}" for i in range(n)],
                          "publication_year": pd.array([2020] * n, dtype="Int64"), "keywords": rows,
                          "is_corpus": pd.array([True] * n, dtype="boolean")})
    return SyntheticTables(works=works, citations=pd.DataFrame({"citing_id": [], "cited_id": []}),
                           statements=pd.DataFrame(), tallies=pd.DataFrame())


HAND = keyword_tables(["a; b", "a; b; c", "a; c"])  # s_a = 3, s_b = 2, s_c = 2; c_ab = 2, c_ac = 2, c_bc = 1


@pytest.mark.parametrize("normalize, ab, bc", [
    (None, 2.0, 1.0),
    ("association", 2 / 6, 1 / 4),
    ("cosine", 2 / math.sqrt(6), 1 / 2),
    ("jaccard", 2 / 3, 1 / 3),
    ("inclusion", 1.0, 1 / 2),
])
def test_normalisations_equal_hand_computed_values(normalize, ab, bc):
    net = pb.network(HAND, "cooccurrence", unit="keywords", normalize=normalize, communities=False)
    weight = {frozenset((s, t)): w for s, t, w in zip(net.edges["source"], net.edges["target"], net.edges["weight"])}
    assert weight[frozenset("ab")] == pytest.approx(ab)
    assert weight[frozenset("bc")] == pytest.approx(bc)
    assert edge_counts(net) == {frozenset("ab"): 2, frozenset("ac"): 2, frozenset("bc"): 1}
    assert dict(zip(net.nodes["id"], net.nodes["weight"])) == {"a": 3, "b": 2, "c": 2}
    assert net.normalize == normalize


# --- communities, centralities, layout --------------------------------------------------------------------


def test_communities_and_layout_are_deterministic_for_a_seed_and_find_planted_groups():
    # SYNTHETIC: two groups of keywords that never meet, and a third joined to the first by one work
    rows = [f"a{i % 4}; a{(i + 1) % 4}; a{(i + 2) % 4}" for i in range(12)]
    rows += [f"b{i % 3}; b{(i + 1) % 3}" for i in range(9)]
    t = keyword_tables(rows)
    first = pb.network(t, "cooccurrence", unit="keywords", random_state=7)
    again = pb.network(t, "cooccurrence", unit="keywords", random_state=7)
    pd.testing.assert_frame_equal(first.nodes, again.nodes)
    clusters = dict(zip(first.nodes["id"], first.nodes["cluster"]))
    assert len({clusters[f"a{i}"] for i in range(4)}) == 1 and len({clusters[f"b{i}"] for i in range(3)}) == 1
    assert clusters["a0"] == 0 and clusters["b0"] == 1  # numbered by size: 0 the largest
    assert first.nodes["x"].between(-1, 1).all() and first.nodes["y"].between(-1, 1).all()
    assert max(first.nodes["x"].abs().max(), first.nodes["y"].abs().max()) == pytest.approx(1.0)
    sizes = first.nodes["cluster"].value_counts().sort_index()
    assert sizes.is_monotonic_decreasing
    b = first.nodes.set_index("id").loc[["b0", "b1", "b2"]]
    assert (b["degree"] == 2).all() and (b["betweenness"] == 0).all()
    assert first.nodes["pagerank"].sum() == pytest.approx(1.0)


def test_communities_off_and_layout_off_leave_them_missing(tables):
    net = pb.network(tables, "coauthorship", unit="authors", communities=False, layout=False)
    assert net.nodes["cluster"].isna().all() and net.nodes["x"].isna().all()
    assert list(net.nodes.columns) == build.NODE_COLUMNS


# --- the works behind an edge -----------------------------------------------------------------------------


def test_edge_works_are_the_records_behind_each_kind_of_edge(tables):
    refs = refs_by_work(tables)
    cocitation = pb.network(tables, "cocitation", communities=False, layout=False)
    a, b = cocitation.edges.iloc[0][["source", "target"]]
    behind = pb.edge_works(tables, cocitation, a, b)
    assert set(behind["work_id"]) == {w for w, r in refs.items() if a in r and b in r}
    assert len(behind) == cocitation.edges.iloc[0]["count"]

    coupling = pb.network(tables, "coupling", communities=False, layout=False)
    a, b = coupling.edges.iloc[0][["source", "target"]]
    assert set(pb.edge_works(tables, coupling, a, b)["cited_id"]) == refs[a] & refs[b]

    coauthors = pb.network(tables, "coauthorship", unit="authors", communities=False, layout=False)
    a, b = coauthors.edges.iloc[0][["source", "target"]]
    by_work = units_by_work(tables, "authors")
    assert set(pb.edge_works(tables, coauthors, a, b)["work_id"]) == {w for w, u in by_work.items() if {a, b} <= u}

    citation = pb.network(tables, "citation", communities=False, layout=False)
    first = tables.statements.iloc[0]
    rows = pb.edge_works(tables, citation, first["citing_id"], first["cited_id"])
    mine = tables.statements[(tables.statements["citing_id"] == first["citing_id"])
                             & (tables.statements["cited_id"] == first["cited_id"])]
    assert set(rows["statement_id"]) == set(mine["statement_id"])
    assert set(rows["type"]) == set(mine["type"])
    edges = set(zip(citation.edges["source"], citation.edges["target"]))
    citing, cited = next((s, t) for s, t in edges if (t, s) not in edges)
    with pytest.raises(AnalysisError, match="does not cite"):
        pb.edge_works(tables, citation, cited, citing)
    with pytest.raises(AnalysisError, match="not a node"):
        pb.edge_works(tables, coupling, "W404", a)


# --- what cannot be done says so -------------------------------------------------------------------------


def test_a_kind_or_unit_that_cannot_be_done_names_what_can(tables):
    with pytest.raises(AnalysisError, match="works, sources"):
        pb.network(tables, "cocitation", unit="authors")
    with pytest.raises(AnalysisError, match="citation, cocitation, coupling"):
        pb.network(tables, "bibliographic")
    with pytest.raises(AnalysisError, match="association, cosine, jaccard, inclusion"):
        pb.network(tables, "cooccurrence", unit="keywords", normalize="salton")
    with pytest.raises(AnalysisError, match="normalize=None"):
        pb.network(tables, "citation", normalize="cosine")
    without = SyntheticTables(works=tables.works, citations=tables.citations, statements=tables.statements,
                              tallies=tables.tallies)
    with pytest.raises(AnalysisError, match="tables.references"):
        pb.network(without, "cocitation")
    with pytest.raises(AnalysisError, match="tables.authorships"):
        pb.network(without, "coauthorship", unit="countries")
    # authors without the authorships table: the names in works.authors
    names = pb.network(without, "coauthorship", unit="authors", communities=False, layout=False)
    assert "the author names of the corpus files" in names.note and len(names.nodes)
    with pytest.raises(AnalysisError, match="pass top="):
        pb.network(tables, "coupling", max_pairs=10)


# --- exports, read back by their readers -----------------------------------------------------------------


@pytest.fixture(scope="module")
def exported_net(tables):
    # keywords hold the hostile label (commas, semicolons, quotes, a tab, <script>, TeX) and a control character
    t = SyntheticTables(**{**tables.__dict__, "works": tables.works.assign(
        keywords=tables.works["keywords"].where(tables.works["work_id"] != "W2", "control\x01char; recovery"))})
    return pb.network(t, "cooccurrence", unit="keywords", normalize="association")


def net_edges(net, weight="weight") -> dict:
    return {frozenset((s, t)): w for s, t, w in zip(net.edges["source"], net.edges["target"], net.edges[weight])}


def read_vosviewer(map_path, network_path):
    """A small reader of VOSviewer's map and network files (tab-separated; quoted labels)."""
    with open(map_path, encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t", quotechar='"'))
    with open(network_path, encoding="utf-8") as handle:
        links = [line.rstrip("\n").split("\t") for line in handle if line.strip()]
    return rows, [(int(a), int(b), float(s)) for a, b, s in links]


def test_vosviewer_map_and_network_files_read_back(exported_net, tmp_path):
    net = exported_net
    paths = pb.export_network(net, tmp_path / "keywords.txt")
    assert [p.name for p in paths] == ["keywords_map.txt", "keywords_network.txt"]
    header = paths[0].read_text(encoding="utf-8").splitlines()[0]
    assert header == "\t".join(export.VOSVIEWER_MAP_COLUMNS)
    rows, links = read_vosviewer(*paths)
    assert [int(r["id"]) for r in rows] == list(range(1, len(net.nodes) + 1))
    label = {int(r["id"]): r["label"] for r in rows}
    expected_labels = [str(v).replace("\t", " ") for v in net.nodes["label"]]
    assert [label[i + 1] for i in range(len(net.nodes))] == expected_labels
    assert any("<script>" in v and '"quoted"' in v for v in label.values())
    by_label = dict(zip(net.nodes["id"], expected_labels))
    assert {frozenset((label[a], label[b])): s for a, b, s in links} == \
        {frozenset((by_label[s], by_label[t])): float(c) for s, t, c in
         zip(net.edges["source"], net.edges["target"], net.edges["count"])}
    assert [int(r["cluster"]) for r in rows] == list(net.nodes["cluster"] + 1)
    assert [int(r["weight<Occurrences>"]) for r in rows] == list(net.nodes["weight"])
    assert [int(r["weight<Links>"]) for r in rows] == list(net.nodes["degree"])
    assert [float(r["x"]) for r in rows] == pytest.approx(list(net.nodes["x"]))


def test_vosviewer_json_reads_back(exported_net, tmp_path):
    net = exported_net
    (path,) = pb.export_network(net, tmp_path / "keywords", format="vosviewer-json")
    document = json.loads(path.read_text(encoding="utf-8"))
    items, links = document["network"]["items"], document["network"]["links"]
    assert [i["label"] for i in items] == list(net.nodes["label"])
    assert [i["cluster"] for i in items] == list(net.nodes["cluster"] + 1)
    assert [i["weights"]["Occurrences"] for i in items] == list(net.nodes["weight"])
    ids = {i["id"]: label for i, label in zip(items, net.nodes["id"])}
    assert {frozenset((ids[k["source_id"]], ids[k["target_id"]])): k["strength"] for k in links} == \
        net_edges(net, "count")


@pytest.mark.parametrize("fmt, reader", [("gexf", nx.read_gexf), ("graphml", nx.read_graphml)])
def test_gexf_and_graphml_read_back(exported_net, tmp_path, fmt, reader):
    net = exported_net
    (path,) = pb.export_network(net, tmp_path / f"keywords.{fmt}")
    graph = reader(path)
    assert set(graph.nodes) == set(net.nodes["id"].str.replace("\x01", ""))
    for row in net.nodes.to_dict("records"):
        data = graph.nodes[row["id"].replace("\x01", "")]
        assert data["label"] == row["label"].replace("\x01", "")
        assert data["weight"] == row["weight"] and data["cluster"] == row["cluster"]
        assert data["x"] == pytest.approx(row["x"]) and data["y"] == pytest.approx(row["y"])
    read = {frozenset((a, b)): d["weight"] for a, b, d in graph.edges(data=True)}
    assert read == pytest.approx({frozenset(x.replace("\x01", "") for x in p): w
                                  for p, w in net_edges(net).items()})


def test_pajek_with_its_partition_reads_back(exported_net, tmp_path):
    net = exported_net
    net_path, clu_path = pb.export_network(net, tmp_path / "keywords.net")
    graph = nx.read_pajek(net_path)
    names = [str(i).replace('"', " ").replace("\t", " ") for i in net.nodes["id"]]
    assert list(graph.nodes) == names
    read = {frozenset((a, b)): d["weight"] for a, b, d in graph.edges(data=True)}
    rename = dict(zip(net.nodes["id"], names))
    assert read == pytest.approx({frozenset(rename[x] for x in p): w for p, w in net_edges(net).items()})
    lines = clu_path.read_text().splitlines()
    assert lines[0] == f"*Vertices {len(net.nodes)}"
    assert [int(v) for v in lines[1:]] == list(net.nodes["cluster"] + 1)


def test_csv_reads_back(exported_net, tmp_path):
    net = exported_net
    nodes_path, edges_path = pb.export_network(net, tmp_path / "keywords", format="csv")
    nodes = pd.read_csv(nodes_path, keep_default_na=False, na_values=[""])
    edges = pd.read_csv(edges_path, keep_default_na=False, na_values=[""])
    assert list(nodes["id"]) == list(net.nodes["id"]) and list(nodes["label"]) == list(net.nodes["label"])
    assert list(nodes["weight"]) == list(net.nodes["weight"])
    assert {frozenset((s, t)): w for s, t, w in zip(edges["source"], edges["target"], edges["weight"])} == \
        pytest.approx(net_edges(net))


def test_export_says_what_format_to_give(exported_net, tmp_path):
    with pytest.raises(AnalysisError, match="format="):
        pb.export_network(exported_net, tmp_path / "keywords.xyz")
    with pytest.raises(AnalysisError, match="vosviewer, vosviewer-json, gexf"):
        pb.export_network(exported_net, tmp_path / "keywords", format="dot")


def test_citation_network_exports_directed(tables, tmp_path):
    net = pb.network(tables, "citation")
    (path,) = pb.export_network(net, tmp_path / "citations.graphml")
    graph = nx.read_graphml(path)
    assert graph.is_directed()
    assert set(graph.edges) == set(zip(net.edges["source"], net.edges["target"]))
    typed = net.edges.dropna(subset=["type"]).iloc[0]
    assert graph.edges[typed["source"], typed["target"]]["type"] == typed["type"]


# --- historiograph -----------------------------------------------------------------------------------------


def test_historiograph_places_the_most_locally_cited_works_by_year(tables):
    hist = pb.historiograph(tables, top=10)
    assert len(hist.nodes) == 10 and hist.kind == "historiograph"
    years = tables.works.set_index("work_id")["publication_year"]
    assert list(hist.nodes["x"]) == [float(years[w]) for w in hist.nodes["id"]]
    citation = pb.network(tables, "citation", communities=False, layout=False)
    local = dict(zip(citation.nodes["id"], citation.nodes["weight"]))
    assert sorted(hist.nodes["weight"], reverse=True) == sorted(local.values(), reverse=True)[:10]
    chosen = set(hist.nodes["id"])
    assert set(zip(hist.edges["source"], hist.edges["target"])) == {
        (s, t) for s, t in zip(citation.edges["source"], citation.edges["target"]) if {s, t} <= chosen}


# --- plots ---------------------------------------------------------------------------------------------------


def test_every_plot_returns_its_axes_and_draws_hostile_labels(tables):
    cooccurrence = pb.network(tables, "cooccurrence", unit="keywords")
    citation = pb.network(tables, "citation")
    drawn = [
        pb.plot_network(cooccurrence),
        pb.plot_network(citation, color_by="type", labels=50),
        pb.plot_network(pb.network(tables, "coauthorship", unit="institutions"), labels=100),
        pb.plot_historiograph(tables, top=15),
        pb.plot_historiograph(pb.historiograph(tables), color_by="cluster"),
        pb.plot_overview(tables),
        pb.plot_top(tables, what="authors"),
        pb.plot_top(tables, what="keywords", by="citations"),
        pb.plot_h_index(tables, unit="institutions"),
        pb.plot_lotka(tables),
        pb.plot_bradford(tables),
        pb.plot_citation_scores(tables),
        pb.plot_retracted_works(tables),
    ]
    for ax in drawn:
        assert isinstance(ax, matplotlib.axes.Axes)
        ax.figure.canvas.draw()  # malformed TeX in a label would fail here
    texts = [t.get_text() for ax in drawn for t in ax.texts + ax.get_yticklabels()]
    assert any("$\\frac{1$" in t for t in texts)
    plt.close("all")
    ax = plt.figure().add_subplot()
    assert pb.plot_network(cooccurrence, ax=ax) is ax
    plt.close("all")


def test_network_map_is_the_table_the_plot_draws(tables):
    citation = pb.network(tables, "citation")
    table = plots.network_map(citation, color_by="type", labels=5, max_links=4)
    links, nodes = table[table["element"] == "link"], table[table["element"] == "node"]
    assert len(links) == min(4, len(citation.edges)) and len(nodes) == len(citation.nodes)
    assert nodes["labelled"].sum() == 5
    assert set(links["group"]) <= {"supporting", "mentioning", "contrasting", "unclassified", "no statements"}
    assert set(links.loc[links["group"] == "supporting", "color"]) <= {pb.TYPE_COLORS["supporting"]}
    clustered = plots.network_map(pb.network(tables, "cooccurrence", unit="keywords"))
    nodes = clustered[clustered["element"] == "node"]
    for cluster, color in zip(nodes["group"], nodes["color"]):
        assert color == cluster_style(int(cluster))[0]  # the topic clusters' colours
    with pytest.raises(AnalysisError, match="citation"):
        plots.network_map(pb.network(tables, "cooccurrence", unit="keywords"), color_by="type")


# --- indicators on small hand-checkable tables --------------------------------------------------------------


def indicator_tables() -> SyntheticTables:
    """SYNTHETIC: nine works by two authors and a third, in known venues, with known citation counts."""
    cited = [10, 8, 5, 4, 3, 0, 0, 2, 1]
    venues = ["V1"] * 4 + ["V2", "V2", "V3", "V4", "V5"]
    works = pd.DataFrame({
        "work_id": [f"W{i}" for i in range(9)], "title": [f"Synthetic {i}" for i in range(9)],
        "publication_year": pd.array([2010, 2012, 2014, 2016, 2018, 2020, 2020, 2011, 2019], dtype="Int64"),
        "venue": venues, "authors": None, "cited_by_count": pd.array(cited, dtype="Int64"),
        "is_corpus": pd.array([True] * 9, dtype="boolean"),
        "is_retracted": pd.array([False] * 8 + [True], dtype="boolean")})
    works = pd.concat([works, pd.DataFrame({"work_id": ["W100"], "title": ["Retracted reference"],
                                            "is_corpus": pd.array([False], dtype="boolean"),
                                            "is_retracted": pd.array([True], dtype="boolean")})],
                      ignore_index=True)
    # X wrote W0-W4 (citations 10, 8, 5, 4, 3); Y wrote W5, W6 (0, 0); Z wrote W0 and W7, W8
    authorships = [("W0", "X", "GB"), ("W1", "X", "GB"), ("W2", "X", "GB"), ("W3", "X", "GB"), ("W4", "X", "GB"),
                   ("W5", "Y", "US"), ("W6", "Y", "US"), ("W0", "Z", "US"), ("W7", "Z", "FR"), ("W8", "Z", "FR")]
    authorships = pd.DataFrame([{"work_id": w, "position": 0, "author_id": a, "author_name": f"Author {a}",
                                 "institution_ids": f"I{a}", "institution_names": f"Institute {a}",
                                 "country_codes": c, "is_corresponding": True} for w, a, c in authorships])
    references = pd.DataFrame({"citing_id": ["W1", "W2", "W2", "W3", "W5"],
                               "cited_id": ["W0", "W0", "W1", "W100", "W100"], "position": [0, 0, 1, 0, 0]})
    return SyntheticTables(works=works, citations=references[["citing_id", "cited_id"]].iloc[:3],
                           statements=pd.DataFrame(), tallies=pd.DataFrame(), references=references,
                           authorships=authorships)


def test_h_g_and_m_index_of_known_citation_counts():
    table = pb.h_index(indicator_tables(), unit="authors", as_of=2020).set_index("id")
    # X: 10, 8, 5, 4, 3 -> four works cited at least 4 times: h = 4; 30 citations >= 5²: g = 5
    assert table.loc["X", "h"] == 4 and table.loc["X", "g"] == 5
    assert table.loc["X", "m"] == pytest.approx(4 / (2020 - 2010 + 1), abs=1e-3)
    assert table.loc["Y", "h"] == 0 and table.loc["Y", "g"] == 0
    # Z: 10, 2, 1 -> h 2; g: 10 >= 1, 12 >= 4, 13 >= 9 -> 3
    assert table.loc["Z", "h"] == 2 and table.loc["Z", "g"] == 3
    assert list(table.index) == ["X", "Z", "Y"]
    local = pb.h_index(indicator_tables(), unit="countries", citations="local").set_index("id")
    assert local.loc["GB", "citations"] == 3  # W0 cited by W1, W2; W1 by W2
    # Y's works without a citation count: no index, not 0
    uncounted = indicator_tables()
    uncounted.works.loc[uncounted.works["work_id"].isin(["W5", "W6"]), "cited_by_count"] = pd.NA
    table = pb.h_index(uncounted, as_of=2020).set_index("id")
    assert pd.isna(table.loc["Y", "h"]) and pd.isna(table.loc["Y", "citations"]) and table.loc["X", "h"] == 4
    assert list(table.index) == ["X", "Z", "Y"]
    pb.plot_h_index(table.reset_index()).figure.canvas.draw()
    plt.close("all")


def test_lotka_counts_authors_by_works_and_fits_the_exponent():
    table = pb.lotka(indicator_tables())
    assert list(table["works"]) == [2, 3, 5] and list(table["authors"]) == [1, 1, 1]
    slope, intercept = np.polyfit(np.log10([2, 3, 5]), np.log10([1 / 3] * 3), 1)
    assert table.attrs["exponent"] == pytest.approx(-slope, abs=1e-9)
    assert table["lotka_share"].iloc[0] == pytest.approx(6 / math.pi ** 2 / 4)


def test_bradford_zones_of_known_source_counts():
    works = pd.DataFrame({"work_id": [f"W{i}" for i in range(25)], "title": "Synthetic",
                          "venue": ["S1"] * 10 + ["S2"] * 5 + ["S3"] * 3 + ["S4"] * 2 + ["S5", "S6", "S7", "S8", "S9"],
                          "is_corpus": pd.array([True] * 25, dtype="boolean")})
    table = pb.bradford(SyntheticTables(works=works, citations=pd.DataFrame(), statements=pd.DataFrame(),
                                        tallies=pd.DataFrame()))
    # 25 works: S1 (0 before) zone 1; S2 (10 before, >= 25/3) and S3 (15 before, < 50/3) zone 2; the rest zone 3
    assert list(table["source"]) == ["S1", "S2", "S3", "S4", "S5", "S6", "S7", "S8", "S9"]
    assert list(table["zone"]) == [1, 2, 2, 3, 3, 3, 3, 3, 3]
    assert table.attrs["zones"] == {1: {"sources": 1, "works": 10}, 2: {"sources": 2, "works": 8},
                                    3: {"sources": 6, "works": 7}}


def test_top_citation_scores_and_retracted_works_of_a_known_table():
    t = indicator_tables()
    authors = pb.top(t, "authors", n=None)
    assert list(authors["id"]) == ["X", "Z", "Y"]
    assert list(authors["works"]) == [5, 3, 2] and list(authors["citations"]) == [30, 13, 0]
    assert list(pb.top(t, "works", n=2)["id"]) == ["W0", "W1"]
    assert list(pb.top(t, "works", by="local_citations", n=1)["local_citations"]) == [2]
    scores = pb.citation_scores(t).set_index("work_id")
    assert scores.loc["W0", "local_citations"] == 2 and scores.loc["W0", "global_citations"] == 10
    assert scores.loc["W0", "local_share"] == pytest.approx(0.2)
    assert pd.isna(scores.loc["W5", "local_share"])  # 0 global citations: no share
    retracted = pb.retracted_works(t).set_index("work_id")
    assert set(retracted.index) == {"W8", "W100"}
    assert retracted.loc["W100", "cited_by_corpus"] == 2 and not retracted.loc["W100", "in_corpus"]
    assert retracted.loc["W100", "citing_ids"] == "W3; W5"
    assert retracted.loc["W8", "in_corpus"]
    with pytest.raises(AnalysisError, match="by='citations'"):
        pb.top(t, "works", by="works")


def test_overview_figures_and_what_the_data_lacks():
    t = indicator_tables()
    table = pb.overview(t, as_of=2020).set_index("measure")["value"]
    assert table["Timespan"] == "2010\u20132020" and table["Works"] == 9 and table["Sources"] == 5
    # one work in 2010, two in 2020: (2 / 1)^(1/10) - 1
    assert table["Annual growth rate (%)"] == pytest.approx(round((2 ** 0.1 - 1) * 100, 2))
    assert table["Citations per work"] == pytest.approx(round(33 / 9, 2))
    assert table["References"] == 3 and table["Authors"] == 3
    assert table["Single-authored works"] == 8 and table["Co-authors per work"] == pytest.approx(round(10 / 9, 2))
    assert table["International co-authorship (%)"] == pytest.approx(round(100 / 9, 2))  # W0: GB and US
    assert table["Retracted works"] == 1
    bare = keyword_tables(["a", "b"])
    lacking = pb.overview(bare).set_index("measure")["value"]
    for measure in ("References", "Authors", "International co-authorship (%)", "Retracted works",
                    "Citations per work", "Sources"):
        assert lacking[measure] == "\u2014", measure


# --- the import stays light --------------------------------------------------------------------------------


def test_networkx_and_scipy_load_only_when_a_network_is_made():
    code = ("import sys, peerbib, peerbib.analysis.networks, peerbib.analysis.indicators, peerbib.analysis.laws\n"
            "print(','.join(m for m in ('networkx', 'scipy') if m in sys.modules))")
    loaded = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout.strip()
    assert loaded == ""


# --- naming clusters, and the files as links inside a report --------------------------------------------------


def test_network_clusters_by_members_lists_each_cluster_heaviest_first():
    tables = synthetic_tables()
    net = pb.network(tables, "cocitation")
    named = pb.network_clusters(net, by="members", n=2)
    nodes = net.nodes.dropna(subset=["cluster"])
    assert sorted(named["cluster"]) == sorted(nodes["cluster"].astype(int).unique())
    assert named["nodes"].sum() == len(nodes)
    assert list(named["nodes"]) == sorted(named["nodes"], reverse=True)
    of = dict(zip(nodes["id"], nodes["cluster"].astype(int)))
    for row in named.itertuples():
        members = nodes[nodes["cluster"] == row.cluster]
        assert row.weight == members["weight"].sum()
        heaviest = members["weight"].max()
        assert row.name.split("; ")[0] in set(members.loc[members["weight"] == heaviest, "label"])
        assert len(row.name.split("; ")) == min(2, len(members))
        inside = sum(1 for e in net.edges.itertuples() if of.get(e.source) == of.get(e.target) == row.cluster)
        assert row.links == inside


def test_network_clusters_by_terms_reads_the_works_texts():
    """SYNTHETIC: two groups of works that cite disjoint references and speak of different things."""
    works, refs = [], []
    for i in range(12):
        group = i % 2
        words = "peer workers recovery hospital wards" if group else "housing tenancy homelessness outreach"
        works.append({"work_id": f"W{i}", "title": f"Study {i}", "abstract": f"{words} study {i}",
                      "publication_year": 2010 + i, "is_corpus": True, "doi": None, "venue": None, "authors": None,
                      "cited_by_count": 1})
        refs += [{"citing_id": f"W{i}", "cited_id": f"W{100 + 10 * group + r}", "position": r} for r in range(4)]
    tables = SyntheticTables(pd.DataFrame(works).astype({"is_corpus": "boolean"}), pd.DataFrame(
        columns=["citing_id", "cited_id"]), pd.DataFrame(), pd.DataFrame(), references=pd.DataFrame(refs))
    net = pb.network(tables, "coupling")
    named = pb.network_clusters(net, tables, by="terms", n=3).set_index("cluster")
    assert len(named) == 2
    cluster_of = dict(zip(net.nodes["id"], net.nodes["cluster"]))
    peer, housing = cluster_of["W1"], cluster_of["W0"]
    peer_words = {"peer", "worker", "workers", "recovery", "hospital", "ward", "wards"}
    housing_words = {"housing", "tenancy", "homelessness", "outreach"}
    for cluster, words in ((peer, peer_words), (housing, housing_words)):
        terms = named.loc[cluster, "name"].split(", ")
        assert len(terms) == 3 and all(set(term.split()) <= words for term in terms), terms
    with pytest.raises(AnalysisError, match="by='members'"):
        pb.network_clusters(pb.network(tables, "cocitation"), tables, by="terms")
    with pytest.raises(AnalysisError, match="pass the tables"):
        pb.network_clusters(net, by="terms")


def test_network_downloads_carry_the_exported_files():
    import base64
    import re as regex

    tables = synthetic_tables()
    net = pb.network(tables, "coupling", top=25)
    links = pb.network_downloads(net, "coupling map", formats=("vosviewer", "gexf", "csv"))
    names = [name for _, name, _ in links.files]
    assert names == ["coupling_map_map.txt", "coupling_map_network.txt", "coupling_map.gexf",
                     "coupling_map_nodes.csv", "coupling_map_edges.csv"]
    page = links._repr_html_()
    found = dict(regex.findall(r'<a download="([^"]+)" href="data:[^;]+;base64,([^"]+)"', page))
    assert list(found) == names
    gexf = base64.b64decode(found["coupling_map.gexf"])
    import io

    graph = nx.read_gexf(io.BytesIO(gexf))
    assert set(graph.nodes) == set(net.nodes["id"]) and graph.number_of_edges() == len(net.edges)
    edges = pd.read_csv(io.BytesIO(base64.b64decode(found["coupling_map_edges.csv"])), dtype={"source": str,
                                                                                            "target": str})
    assert len(edges) == len(net.edges)
    assert "<script>" not in page  # labels are inside the base64 files, never raw in the page
    with pytest.raises(AnalysisError, match="unknown format"):
        pb.network_downloads(net, "x", formats=("svg",))
