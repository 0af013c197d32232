"""build / load: the documented tables from data/raw, deterministic and atomic."""
from __future__ import annotations

import hashlib

import pandas as pd
import pytest

import peerbib as pb
from peerbib.snapshot.read import SnapshotTables
from peerbib.tables.schema import SCHEMAS
from peerbib.statements.classify import default_classifier  # noqa: E402

LABEL = default_classifier().label  # what the classifier column says of the default


def digest(folder):
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.glob("*.parquet"))}


def test_bundled_build_has_every_table_with_its_schema(project):
    tables = pb.build()
    for name, frame in tables.items():
        assert list(frame.columns) == list(SCHEMAS[name]), name
        on_disk = pd.read_parquet(project / "data" / "processed" / f"{name}.parquet")
        assert list(on_disk.columns) == list(SCHEMAS[name])
    works = tables.works
    assert len(works) == 30 and works["work_id"].is_unique
    assert works["is_corpus"].all() and (works["source"] == "corpus").all()
    assert works["provenance"].str.contains(r"seed_corpus\.csv:\d+ \(seed 00\d_").all()
    main = works.set_index("doi").loc["10.1007/s10488-014-0603-z"]
    assert bool(main["abstract_truncated"]) is True
    assert main["publication_year"] == 2014


def test_statements_tallies_and_citations_are_linked_to_works(project):
    tables = pb.build()
    cited = tables.works.set_index("doi").loc["10.1007/s10488-014-0603-z", "work_id"]
    assert len(tables.statements) == 4 and (tables.statements["cited_id"] == cited).all()
    assert tables.statements["statement_id"].is_unique
    assert sorted(tables.statements["section"]) == ["Discussion", "Discussion", "Introduction", "Methods"]
    assert tables.statements["citing_id"].isna().all()  # the page does not name them
    tally = tables.tallies.set_index("source").loc["scite"]
    assert (tally["cited_id"], tally["mentioning"], tally["citing_publications"]) == (cited, 61, 66)
    # peerbib's own classification of the four statements is a tally of its own, never added to scite's
    own = tables.tallies.set_index("source").loc[f"{LABEL} (scite statements)"]
    assert own["citation_statements"] == 4 and own[["supporting", "mentioning", "contrasting", "unclassified"]].sum() == 4
    moore = tables.works.set_index("doi").loc["10.1111/hex.13151", "work_id"]
    assert len(tables.citations) == 3 and (tables.citations["citing_id"] == moore).all()
    per_year = tables.citations_per_year
    assert set(per_year["definition"]) == {"counted citing works"}
    # one citation each, in 2021; Berger (2015) gets its zero years from publication on
    assert per_year.groupby("work_id")["citations"].sum().tolist() == [1, 1, 1]
    assert set(per_year.loc[per_year.citations == 1, "year"]) == {2021}
    berger = tables.works.set_index("title").loc[
        "Now I see it, now I don't: researcher's position and reflexivity in qualitative research", "work_id"]
    assert per_year[per_year.work_id == berger]["year"].tolist() == list(range(2015, 2022))
    undated = per_year[per_year.work_id != berger]
    assert undated["year"].tolist() == [2021, 2021]


def test_build_is_deterministic(project, tmp_path):
    first = pb.build(processed=tmp_path / "a")
    second = pb.build(processed=tmp_path / "b")
    for (name, a), (_, b) in zip(first.items(), second.items()):
        pd.testing.assert_frame_equal(a, b, obj=name)
    assert digest(tmp_path / "a") == digest(tmp_path / "b")


def test_empty_tables_keep_their_columns(write, tmp_path):
    corpus = write("only/corpus.csv", "doi,title\n10.1234/abcd,A title\n")
    tables = pb.build(raw=corpus, processed=tmp_path / "out")
    for name in ("citations", "citations_per_year", "statements", "tallies"):
        frame = pd.read_parquet(tmp_path / "out" / f"{name}.parquet")
        assert len(frame) == 0 and list(frame.columns) == list(SCHEMAS[name])
    assert tables.works.loc[0, "doi"] == "10.1234/abcd"


def test_bad_corpus_leaves_processed_untouched(project):
    pb.build()
    processed = project / "data" / "processed"
    before = digest(processed)
    bad = project / "data" / "raw" / "corpus" / "extra_corpus.csv"
    bad.write_text("doi,title\n10.1234/ok,Fine\nnot a doi,Broken\n", encoding="utf-8")
    with pytest.raises(pb.CorpusError) as info:
        pb.build()
    assert "extra_corpus.csv, line 3" in str(info.value) and "malformed DOI" in str(info.value)
    assert digest(processed) == before
    # no staging folder is left behind (the lock files stay, empty, for the next build)
    assert not [p for p in processed.parent.iterdir() if p.name.startswith(".processed") and p.suffix != ".lock"]


def test_statement_citing_a_work_outside_the_corpus_is_an_error(project):
    path = project / "data" / "raw" / "statements" / "mine.csv"
    path.write_text("cited_doi,text,type\n10.9999/not-here,Some sentence.,mentioning\n", encoding="utf-8")
    with pytest.raises(pb.CorpusError, match=r"mine\.csv, line 2: cited_doi 10\.9999/not-here is not a work"):
        pb.build()


def test_statement_type_is_checked(project):
    path = project / "data" / "raw" / "statements" / "mine.csv"
    path.write_text("cited_doi,text,type\n10.1111/hex.13151,Some sentence.,disputing\n", encoding="utf-8")
    with pytest.raises(pb.CorpusError, match="type 'disputing' is not one of"):
        pb.build()


def test_load_builds_when_missing_and_rebuilds_when_raw_changes(project):
    processed = project / "data" / "processed"
    assert not processed.exists()
    tables = pb.load()
    assert processed.is_dir() and len(tables.works) == 30
    again = pb.load()
    pd.testing.assert_frame_equal(tables.works, again.works)
    corpus = project / "data" / "raw" / "corpus" / "more_corpus.csv"
    corpus.write_text("doi,title,year\n10.1234/new,A new work,2025\n", encoding="utf-8")
    assert len(pb.load().works) == 31


def test_load_without_rebuild_reports_missing_tables(tmp_path):
    with pytest.raises(pb.BuildError, match="run `peerbib build` first"):
        pb.load(tmp_path / "none", raw=tmp_path / "no-raw", rebuild=False)


def test_nothing_to_build(tmp_path):
    (tmp_path / "raw").mkdir()
    with pytest.raises(pb.BuildError, match="nothing to build"):
        pb.build(raw=tmp_path / "raw", processed=tmp_path / "p")


def test_a_rebuild_does_not_carry_over_files_derived_from_the_old_tables(project):
    """clusters.parquet of the old works would describe works the new tables may not have."""
    pb.build()
    derived = project / "data" / "processed" / "clusters.parquet"
    pd.DataFrame({"work_id": ["W-from-old-data"], "cluster": [0]}).to_parquet(derived)
    pb.build()
    assert not derived.exists()
    assert sorted(p.name for p in derived.parent.iterdir()) == sorted(
        [f"{name}.parquet" for name in SCHEMAS] + ["build_info.json"])


def test_citations_per_year_fills_zero_years_from_publication_to_window_end():
    from peerbib.tables.per_year import DEF_COUNTED, DEF_OPENALEX, per_year as _per_year

    works = pd.DataFrame({
        "work_id": ["W1", "W2", "W3", "C1", "C2"],
        "publication_year": pd.array([2019, 2010, 2022, 2021, 2024], dtype="Int64"),
        "is_corpus": pd.array([True, True, True, False, False], dtype="boolean"),
        "source": ["openalex", "openalex+corpus", "openalex", "openalex", "openalex"],
    })
    # OpenAlex lists only non-zero years of its window (here 2017-2025).
    counts = pd.DataFrame({"work_id": ["W1", "W1", "W2"], "year": [2025, 2021, 2017], "citations": [2, 1, 4]})
    citations = pd.DataFrame({"citing_id": ["C1", "C2", "C2"], "cited_id": ["W1", "W1", "W2"]})
    per_year = _per_year(works, citations, counts)
    openalex = per_year[per_year.definition == DEF_OPENALEX]
    w1 = openalex[openalex.work_id == "W1"]
    assert w1.year.tolist() == list(range(2019, 2026))
    assert w1.citations.tolist() == [0, 0, 1, 0, 0, 0, 2]
    assert openalex[openalex.work_id == "W2"].year.tolist() == list(range(2017, 2026))  # clipped to the window
    w3 = openalex[openalex.work_id == "W3"]  # never cited in the window: zeros, not absent
    assert w3.year.tolist() == list(range(2022, 2026)) and w3.citations.sum() == 0
    counted = per_year[per_year.definition == DEF_COUNTED]
    assert counted[counted.work_id == "W1"][["year", "citations"]].values.tolist() == [
        [2019, 0], [2020, 0], [2021, 1], [2022, 0], [2023, 0], [2024, 1]]
    assert counted[counted.work_id == "W2"].year.tolist() == list(range(2010, 2025))
    assert "W3" not in set(counted.work_id)  # nothing counted: no claim of zero


def test_merge_keeps_the_corpus_doi_of_a_title_matched_work(tmp_path, monkeypatch):
    from peerbib.tables import make_tables

    raw = tmp_path / "raw"
    (raw / "corpus").mkdir(parents=True)
    (raw / "corpus" / "c_corpus.csv").write_text(
        "doi,title,year\n10.9999/publisher.version,Peer work in crisis teams,2016\n", encoding="utf-8")
    (raw / "statements").mkdir()
    (raw / "statements" / "s.csv").write_text(
        "cited_doi,text\n10.9999/publisher.version,A sentence citing it.\n", encoding="utf-8")
    local = pb.read_corpus(raw / "corpus" / "c_corpus.csv").loc[0, "work_id"]
    snapshot = SnapshotTables(
        works=pd.DataFrame({"work_id": ["W7"], "doi": ["10.5555/other.version"], "title": ["Peer work in crisis teams"],
                            "publication_year": pd.array([2016], dtype="Int64"), "requested": [True]}),
        citations=pd.DataFrame(columns=["citing_id", "cited_id"]),
        counts_by_year=pd.DataFrame(columns=["work_id", "year", "citations"]),
        matches=pd.DataFrame({"corpus_work_id": [local], "work_id": ["W7"], "method": ["title"], "score": [1.0]}),
        incomplete=["cites:W7 (page 2 of 3)"],
    )
    (raw / "openalex").mkdir()
    (raw / "openalex" / "manifest.json").write_text('{"format": "peerbib-openalex-snapshot", "format_version": 2}',
                                                    encoding="utf-8")
    monkeypatch.setattr("peerbib.tables.building.snapshot_tables", lambda folder: snapshot)
    tables = make_tables(raw)
    assert tables.works.work_id.tolist() == ["W7"]
    assert tables.statements.cited_id.tolist() == ["W7"]
    assert len(tables.warnings) == 1 and "1 unfinished query (cites:W7 (page 2 of 3))" in tables.warnings[0]
