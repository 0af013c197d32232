"""tables.references and tables.authorships: built from what the fetch keeps, equal to the records' own lists,
and the co-citation, coupling and co-authorship counts of pb.network equal to counts made here from the records.

The corpus is the three real OpenAlex records of tests/fixtures/reference/ (see SOURCES.md there) and SYNTHETIC
works made by tests/fixtures/openalex.py (science_map_works), served by the fake OpenAlex.
"""
from __future__ import annotations

import json
import logging
import re
import shutil
from collections import Counter
from itertools import combinations

import pandas as pd
import pytest

import peerbib as pb
from fixtures.openalex import make_work, reference_list, reference_work, science_map_works
from peerbib.cli import main
from peerbib.sources.openalex import queries
from peerbib.tables.references import authorships_table, references_table
from peerbib.tables.schema import SCHEMAS, empty_table

FAST = dict(progress=False, max_rate=0, sleep=lambda s: None)


# --- the records, and what they say, read here with plain loops ---------------------------------------


def _short(url: str) -> str:
    return url.rsplit("/", 1)[1]


def _key(name: str) -> str:
    """A name without an id as the tables key it: surname and first initial, as the exports' authors."""
    from peerbib.corpus.names import name_key

    return name_key(name)


def _corpus_records() -> list[dict]:
    return [reference_work(), *reference_list()["results"], *science_map_works()]


def _citing_records(corpus: list[dict]) -> list[dict]:
    """SYNTHETIC works citing corpus works: their own references must not enter tables.references."""
    ids = [_short(w["id"]) for w in corpus]
    return [make_work(7900 + k, references=[ids[k], ids[-1 - k], f"W{8_700_000 + k}"], authors=("Zed Citer",))
            for k in range(5)]


def _expected_references(records) -> list[tuple]:
    rows = []
    for record in records:
        for position, ref in enumerate(record["referenced_works"]):
            rows.append((_short(record["id"]), _short(ref), position))
    return sorted(rows)


def _author_id(authorship: dict) -> str:
    author = authorship["author"]
    return _short(author["id"]) if author.get("id") else _key(author.get("display_name") or authorship["raw_author_name"])


def _expected_authorships(records) -> list[tuple]:
    rows = []
    for record in records:
        for position, a in enumerate(record["authorships"]):
            institutions = [_short(i["id"]) for i in a["institutions"]]
            rows.append((_short(record["id"]), position, _author_id(a),
                         "; ".join(institutions) or None, "; ".join(a["countries"]) or None, a["is_corresponding"]))
    return sorted(rows)


def _pair_counts(groups) -> dict:
    """frozenset({a, b}) -> how many groups hold both (each group a set)."""
    counts = Counter()
    for group in groups:
        for a, b in combinations(sorted(group), 2):
            counts[frozenset((a, b))] += 1
    return dict(counts)


def _edge_counts(net) -> dict:
    edges = net.edges
    return {frozenset((s, t)): int(w) for s, t, w in zip(edges["source"], edges["target"], edges["weight"])}


def _na(value):
    return None if pd.isna(value) else value


def _fetch_and_build(api, tmp_path, records, *, name="api", **options):
    raw = tmp_path / name / "raw"
    (raw / "corpus").mkdir(parents=True)
    pd.DataFrame({"doi": [w["doi"].removeprefix("https://doi.org/") for w in records]}).to_csv(
        raw / "corpus" / "corpus.csv", index=False)
    summary = pb.fetch(raw / "corpus" / "corpus.csv", snapshot=raw / "openalex", api_key=api.api_key, **FAST,
                       **options)
    return pb.build(raw, tmp_path / name / "processed"), summary, raw


@pytest.fixture
def fetched(api, tmp_path):
    corpus = _corpus_records()
    api.add(corpus + _citing_records(corpus))
    tables, summary, raw = _fetch_and_build(api, tmp_path, corpus)
    return corpus, tables, raw


# --- the tables equal the records ----------------------------------------------------------------------


def test_references_are_every_reference_of_every_corpus_work_in_order(fetched):
    corpus, tables, _ = fetched
    refs = tables.references
    assert list(refs.columns) == list(SCHEMAS["references"])
    got = sorted(zip(refs["citing_id"], refs["cited_id"], refs["position"].astype(int)))
    assert got == _expected_references(corpus)
    assert len(got) > 300 and refs["source"].eq("openalex").all()
    # the rows come in each work's order
    for _, group in refs.groupby("citing_id"):
        assert group["position"].is_monotonic_increasing
    # a cited work of the tables (here a corpus work) is described by it; the others are not known
    by_id = {_short(w["id"]): w for w in corpus}
    inside = refs[refs["cited_id"].isin(by_id)]
    assert len(inside) > 5
    for cited, title, year, doi in zip(inside["cited_id"], inside["cited_title"], inside["cited_year"],
                                       inside["cited_doi"]):
        assert title == by_id[cited]["title"] and year == by_id[cited]["publication_year"]
        assert doi == by_id[cited]["doi"].removeprefix("https://doi.org/").lower()
    assert refs.loc[~refs["cited_id"].isin(by_id), "cited_title"].isna().all()


def test_authorships_are_the_records_authorships(fetched):
    corpus, tables, _ = fetched
    a = tables.authorships
    assert list(a.columns) == list(SCHEMAS["authorships"])
    got = sorted((w, int(p), i, _na(inst), _na(c), bool(corr)) for w, p, i, inst, c, corr in zip(
        a["work_id"], a["position"], a["author_id"], a["institution_ids"], a["country_codes"], a["is_corresponding"]))
    assert got == _expected_authorships(corpus)
    # the real record's authors without an OpenAlex id are keyed by their names; names with a ";" stay one value
    assert "hadjas i" in set(a["author_id"]) and "quinn p" in set(a["author_id"])
    names = a.loc[a["institution_ids"].fillna("").str.contains("I900002"), "institution_names"]
    assert names.str.contains("Institut Fictif, Unité 4").all()
    assert (a["institution_ids"].fillna("").str.split("; ").str.len()
            == a["institution_names"].fillna("").str.split("; ").str.len()).all()
    # citing works' authors are not corpus authorships
    assert "Zed Citer" not in set(a["author_name"])


def test_works_carry_keywords_mesh_topics_retraction_and_fwci(fetched):
    corpus, tables, _ = fetched
    works = tables.works.set_index("work_id")
    for record in corpus:
        row = works.loc[_short(record["id"])]
        mesh = list(dict.fromkeys(m["descriptor_name"] for m in record.get("mesh") or []))
        assert _na(row["mesh"]) == ("; ".join(mesh) or None)
        assert _na(row["topics"]) == ("; ".join(t["display_name"] for t in record["topics"]) or None)
        assert _na(row["keywords"]) == ("; ".join(k["display_name"] for k in record["keywords"]) or None)
        assert bool(row["is_retracted"]) == record["is_retracted"]
        assert _na(row["fwci"]) == record.get("fwci")
    assert works["is_retracted"].sum() == 1
    assert works.loc["W4393935425", "mesh"].startswith("Adolescent; Adult; Aged")  # a real record's MeSH terms


def test_cocitation_coupling_and_coauthorship_weights_are_the_records_counts(fetched):
    corpus, tables, _ = fetched
    references = [{_short(r) for r in w["referenced_works"]} for w in corpus]
    cocited = _pair_counts(references)
    assert max(cocited.values()) >= 3
    assert _edge_counts(pb.network(tables, "cocitation", communities=False, layout=False)) == cocited

    ids = [_short(w["id"]) for w in corpus]
    coupled = {frozenset((ids[i], ids[j])): len(references[i] & references[j])
               for i, j in combinations(range(len(corpus)), 2) if references[i] & references[j]}
    assert max(coupled.values()) >= 3
    assert _edge_counts(pb.network(tables, "coupling", communities=False, layout=False)) == coupled

    authors = [{_author_id(a) for a in w["authorships"]} for w in corpus]
    coauthors = _pair_counts(authors)
    assert max(coauthors.values()) >= 2
    net = pb.network(tables, "coauthorship", unit="authors", communities=False, layout=False)
    assert _edge_counts(net) == coauthors
    countries = [{c for a in w["authorships"] for c in a["countries"]} for w in corpus]
    net = pb.network(tables, "coauthorship", unit="countries", communities=False, layout=False)
    assert _edge_counts(net) == _pair_counts(countries)


def test_a_build_reads_back_the_same_tables(fetched):
    _, tables, raw = fetched
    loaded = pb.load(raw.parent / "processed")
    for name in ("references", "authorships"):
        pd.testing.assert_frame_equal(getattr(loaded, name), getattr(tables, name), obj=name)
    assert "references=" in repr(loaded) and "authorships=" in repr(loaded)


# --- the dump path ------------------------------------------------------------------------------------


def test_the_dump_path_gives_the_same_references_and_authorships(api, tmp_path):
    pytest.importorskip("duckdb")
    from fixtures.openalex_dump import write_dump
    from peerbib.sources.openalex_dump import build_index

    corpus = _corpus_records()
    citing = _citing_records(corpus)
    known = [make_work(8_800_000 + k, title=f"Cited work {k}", venue="Venue K") for k in range(0, 40, 3)]
    api.add(corpus + citing + known)
    from_api, _, raw = _fetch_and_build(api, tmp_path, corpus, references=True)
    dump = write_dump(tmp_path / "works", corpus + citing + known, parts_per_date=2)
    build_index(dump, tmp_path / "index")
    dump_raw = tmp_path / "dump" / "raw"
    shutil.copytree(raw / "corpus", dump_raw / "corpus")
    calls = len(api.calls)
    pb.fetch(dump_raw / "corpus" / "corpus.csv", snapshot=dump_raw / "openalex", source=tmp_path / "index",
             references=True, **FAST)
    assert len(api.calls) == calls
    from_dump = pb.build(dump_raw, tmp_path / "dump" / "processed")
    for name in ("references", "authorships"):
        pd.testing.assert_frame_equal(getattr(from_dump, name), getattr(from_api, name), obj=name)
    columns = ["work_id", "keywords", "mesh", "topics", "is_retracted", "fwci"]
    pd.testing.assert_frame_equal(from_dump.works[columns], from_api.works[columns])
    assert len(from_dump.authorships) and from_dump.authorships["institution_ids"].notna().any()
    assert from_dump.references["cited_venue"].eq("Venue K").sum() >= 5  # --references answered from the dump


# --- fetch --references ----------------------------------------------------------------------------------


def _reference_calls(api):
    return [c for c in api.list_calls("openalex_id") if c["params"].get("select", "").startswith("id,doi,title")]


def test_fetch_references_labels_the_cited_works_says_the_cost_first_and_reuses_its_pages(api, tmp_path, caplog):
    corpus = _corpus_records()
    citing = _citing_records(corpus)
    corpus_ids = {_short(w["id"]) for w in corpus}
    cited = sorted({_short(r) for w in corpus for r in w["referenced_works"]} - corpus_ids)
    # OpenAlex knows most of the cited works (SYNTHETIC records under their ids), not all
    known = [make_work(int(w[1:]), title=f"Cited work {w}", year=1990 + int(w[1:]) % 30, venue=f"Venue {int(w[1:]) % 4}")
             for w in cited[: len(cited) - 7]]
    api.add(corpus + citing + known)
    with caplog.at_level(logging.INFO, logger="peerbib"):
        tables, summary, raw = _fetch_and_build(api, tmp_path, corpus, references=True)
    calls = _reference_calls(api)
    # 100 ids a request at most
    assert len(calls) == -(-len(cited) // 100) >= 2
    assert all(len(c["params"]["filter"].split("|")) <= 100 for c in calls)
    said = [r.getMessage() for r in caplog.records if r.getMessage().startswith("references:")]
    assert said and f"{len(cited):,} to look up in {len(calls)} requests" in said[0]
    assert summary.referenced_works == len(cited)
    assert f"{len(cited)} works the corpus cites" in str(summary)

    refs = tables.references
    by_id = {_short(w["id"]): w for w in known}
    outside = refs[~refs["cited_id"].isin(corpus_ids)]
    labelled = outside[outside["cited_id"].isin(by_id)]
    assert len(labelled) and labelled["cited_title"].tolist() == [by_id[w]["title"] for w in labelled["cited_id"]]
    assert labelled["cited_venue"].tolist() == [f"Venue {int(w[1:]) % 4}" for w in labelled["cited_id"]]
    assert labelled["cited_year"].tolist() == [by_id[w]["publication_year"] for w in labelled["cited_id"]]
    assert outside.loc[~outside["cited_id"].isin(by_id), "cited_title"].isna().all()
    # the looked-up works are not works of the tables
    assert not set(by_id) & set(tables.works["work_id"])
    net = pb.network(tables, "cocitation", communities=False, layout=False)
    labels = dict(zip(net.nodes["id"], net.nodes["label"]))
    assert any(f"Cited work {w}" in labels[w] for w in by_id if w in labels)

    # a rerun asks nothing again, and the build gives the same labels
    before = len(api.calls)
    again = pb.fetch(raw / "corpus" / "corpus.csv", snapshot=raw / "openalex", api_key=api.api_key, references=True,
                     **FAST)
    assert len(api.calls) == before and again.requests == 0 and again.referenced_works == len(cited)
    rebuilt = pb.build(raw, tmp_path / "again")
    pd.testing.assert_frame_equal(rebuilt.references, refs)


def test_fetch_references_on_the_command_line_prints_the_cost_first(api, tmp_path, monkeypatch, capsys):
    corpus = _corpus_records()[:4]
    api.add(corpus)
    corpus_file = tmp_path / "corpus.csv"
    pd.DataFrame({"doi": [w["doi"].removeprefix("https://doi.org/") for w in corpus]}).to_csv(corpus_file, index=False)
    monkeypatch.setenv("OPENALEX_API_KEY", api.api_key)
    code = main(["fetch", str(corpus_file), "--snapshot", str(tmp_path / "snap"), "--references", "--no-citing",
                 "--no-progress", "--max-rate", "0"])
    assert code == 0
    err = capsys.readouterr().err
    calls = _reference_calls(api)
    assert len(calls) >= 2
    assert re.search(rf"references: the corpus cites [\d,]+ works, .* to look up in {len(calls)} requests", err)
    manifest = json.loads((tmp_path / "snap" / "manifest.json").read_text())
    stored = [q for q in manifest["queries"] if q["role"] == "references"]
    assert len(stored) == len(calls) and all(q["kind"] == "references" for q in stored)


# --- old snapshots, old tables, the corpus's own keywords and authors, other readers' frames -------------


def test_a_snapshot_fetched_without_the_new_fields_is_reused_as_it_is(api, tmp_path, monkeypatch):
    corpus = _corpus_records()[:6]
    api.add(corpus)
    old_fields = tuple(f for f in queries.WORK_FIELDS if f not in ("keywords", "mesh", "topics", "is_retracted",
                                                                    "fwci"))
    monkeypatch.setattr(queries, "WORK_FIELDS", old_fields)
    _fetch_and_build(api, tmp_path, corpus)
    monkeypatch.undo()
    before = len(api.calls)
    raw = tmp_path / "api" / "raw"
    summary = pb.fetch(raw / "corpus" / "corpus.csv", snapshot=raw / "openalex", api_key=api.api_key, **FAST)
    assert summary.requests == 0 and len(api.calls) == before  # nothing fetched again for the new fields
    tables = pb.build(raw, tmp_path / "processed-again")
    assert tables.works["mesh"].isna().all() and tables.works["fwci"].isna().all()
    assert sorted(zip(tables.references["citing_id"], tables.references["cited_id"],
                      tables.references["position"].astype(int))) == _expected_references(corpus)
    # a refresh asks again, with the new fields
    pb.fetch(raw / "corpus" / "corpus.csv", snapshot=raw / "openalex", api_key=api.api_key, refresh=True, **FAST)
    assert pb.build(raw, tmp_path / "processed-refreshed").works["topics"].notna().any()


def test_tables_of_an_older_peerbib_are_read_with_the_new_tables_empty_and_built_when_stale(fetched):
    _, tables, raw = fetched
    processed = raw.parent / "processed"
    for name in ("references", "authorships"):
        (processed / f"{name}.parquet").unlink()
    old = pb.load(processed, rebuild=False)
    assert len(old.references) == 0 and list(old.authorships.columns) == list(SCHEMAS["authorships"])
    assert any("older peerbib" in w for w in old.warnings)
    assert len(pb.load(processed).references) == len(tables.references)  # auto: built again


def test_keywords_of_the_corpus_file_win_and_openalex_fills_the_others(api, tmp_path):
    corpus = _corpus_records()[:2]
    api.add(corpus)
    raw = tmp_path / "raw"
    (raw / "corpus").mkdir(parents=True)
    pd.DataFrame({"doi": [w["doi"].removeprefix("https://doi.org/") for w in corpus],
                  "keywords": ["open access; citation advantage", ""]}).to_csv(raw / "corpus" / "c.csv", index=False)
    pb.fetch(raw / "corpus" / "c.csv", snapshot=raw / "openalex", api_key=api.api_key, citing=False, **FAST)
    works = pb.build(raw, tmp_path / "processed").works.set_index("work_id")
    assert works.loc[_short(corpus[0]["id"]), "keywords"] == "open access; citation advantage"
    assert works.loc[_short(corpus[1]["id"]), "keywords"] == "; ".join(k["display_name"] for k in corpus[1]["keywords"])


def test_without_a_fetch_the_authorships_are_the_corpus_names(project):
    tables = pb.build(project / "data" / "raw", project / "data" / "processed")
    works = tables.works[tables.works["is_corpus"] & tables.works["authors"].notna()]
    a = tables.authorships
    assert len(tables.references) == 0 and len(a) and a["source"].eq("corpus").all()
    expected = sorted((w, k, name.strip()) for w, names in zip(works["work_id"], works["authors"])
                      for k, name in enumerate(n for n in names.split(";") if n.strip()))
    assert sorted(zip(a["work_id"], a["position"].astype(int), a["author_name"])) == expected
    assert a["author_id"].tolist() == [_key(n) for n in a["author_name"]]
    top = pb.top(tables, "authors", n=3)
    assert len(top)  # the indicators read them as before


def test_other_readers_frames_fill_only_the_works_openalex_gave_nothing_for():
    works = pd.DataFrame({"work_id": ["W1", "W2", "local:3"], "is_corpus": [True, True, True],
                          "authors": ["A One", "B Two; C Three", "D Four"], "doi": None, "title": None,
                          "publication_year": None, "venue": None})
    from types import SimpleNamespace

    snapshot = SimpleNamespace(  # the fields of SnapshotTables these builders read
        references=pd.DataFrame({"citing_id": ["W1", "W1"], "cited_id": ["W9", "W8"], "position": [0, 1]}),
        authorships=pd.DataFrame({"work_id": ["W1"], "position": [0], "author_id": ["A1"],
                                  "author_name": ["A One"]}),
        referenced=None)
    export_refs = pd.DataFrame({"citing_id": ["W1", "local:2", "local:3"], "cited_id": ["W7", "doi:10.1/x", "W9"],
                                "position": [0, 0, 0], "source": "scopus"})
    refs = references_table(snapshot, works, local_to_final={"local:2": "W2"}, extra=[export_refs])
    assert list(zip(refs["citing_id"], refs["cited_id"], refs["source"])) == [
        ("W1", "W9", "openalex"), ("W1", "W8", "openalex"), ("W2", "doi:10.1/x", "scopus"),
        ("local:3", "W9", "scopus")]
    export_authors = pd.DataFrame({"work_id": ["W1", "W2"], "position": [0, 0], "author_id": ["x", "b two"],
                                   "author_name": ["X", "B Two"], "country_codes": [None, "GB"], "source": "wos"})
    a = authorships_table(snapshot, works, extra=[export_authors])
    assert list(zip(a["work_id"], a["author_id"], a["source"])) == [
        ("W1", "A1", "openalex"), ("W2", "b two", "wos"), ("local:3", "four d", "corpus")]
    assert len(references_table(None, works)) == 0 and list(references_table(None, works).columns) == \
        list(empty_table("references").columns)
