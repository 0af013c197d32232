"""The OpenAlex snapshot: flat tables from raw pages, and build on top of them.

Every HTTP answer comes from the fake OpenAlex in ``fixtures/openalex.py`` (SYNTHETIC
works shaped on the real samples in tests/fixtures/reference), served through ``responses``: no test
reaches the network.
"""
from __future__ import annotations

import gzip
import json
import sys
from pathlib import Path

import pandas as pd
import pytest
import responses

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fixtures.openalex import TEST_KEY, FakeOpenAlex, make_work, reference_work  # noqa: E402

import peerbib as pb  # noqa: E402
from peerbib.errors import SnapshotError  # noqa: E402
from peerbib.snapshot import MANIFEST, Snapshot, encode_page, fetch, snapshot_tables  # noqa: E402
from peerbib.snapshot.model import Page  # noqa: E402
from peerbib.sources.openalex.records import decode_abstract, work_row  # noqa: E402

KEY = TEST_KEY
FAST = dict(api_key=KEY, progress=False, max_rate=0, sleep=lambda s: None)


# --- abstracts and rows -------------------------------------------------------------


def test_decode_abstract_places_every_position_and_decodes_entities():
    index = {"Peer": [0], "workers": [1, 5], "&amp;": [2], "staff": [3], "&lt;b&gt;and": [4], "differ.": [6]}
    assert decode_abstract(index) == "Peer workers & staff <b>and workers differ."


@pytest.mark.parametrize("empty", [None, {}, {"word": []}])
def test_decode_abstract_null_or_empty_is_none(empty):
    assert decode_abstract(empty) is None


def test_work_row_on_the_real_reference_work():
    work = reference_work()
    row = work_row(work)
    assert row["work_id"] == "W2741809807"
    assert row["doi"] == "10.7717/peerj.4375"
    assert row["venue"] == "PeerJ"
    assert row["authors"].split("; ")[0] == "Heather Piwowar"
    assert len(row["authors"].split("; ")) == len(work["authorships"])
    assert row["abstract"].startswith("Despite growing interest in Open Access (OA)")
    positions = sum(len(p) for p in work["abstract_inverted_index"].values())
    assert len(row["abstract"].split()) == positions
    assert row["publication_year"] == 2018 and row["cited_by_count"] == 1163


# --- snapshot_tables -----------------------------------------------------------------------


def corpus_and_citing():
    """Two corpus works (one with a null abstract, one with {}) and three citing works."""
    corpus = [
        make_work(1, doi="10.1000/ONE", abstract=None, cited_by_count=2,
                  counts_by_year=[{"year": 2024, "cited_by_count": 1}, {"year": 2022, "cited_by_count": 1}]),
        make_work(2, doi="10.1000/two", cited_by_count=2),
    ]
    corpus[1]["abstract_inverted_index"] = {}
    citing = [
        make_work(10, references=["W1", "W2"]),
        make_work(11, references=["W2", "W777"], abstract="Cites &quot;two&quot; only"),
        make_work(12, references=["W1"], doi=None),
    ]
    return corpus, citing


def test_snapshot_tables_contract(api, tmp_path):
    corpus, citing = corpus_and_citing()
    api.add(corpus + citing)
    fetch(["10.1000/one", "https://doi.org/10.1000/TWO"], snapshot=tmp_path / "snap", **FAST)
    tables = snapshot_tables(tmp_path / "snap")
    works = tables.works.set_index("work_id")
    assert list(tables.works.columns) == [
        "work_id", "doi", "title", "publication_year", "type", "venue", "authors", "abstract",
        "cited_by_count", "keywords", "mesh", "topics", "is_retracted", "fwci", "issn", "requested"]
    assert str(tables.works["publication_year"].dtype) == "Int64"
    assert str(tables.works["requested"].dtype) == "boolean"
    assert sorted(works.index) == ["W1", "W10", "W11", "W12", "W2"]
    assert works.loc["W1", "doi"] == "10.1000/one"
    assert works.loc["W1", "requested"] and works.loc["W2", "requested"]
    assert not works.loc["W10", "requested"]
    assert pd.isna(works.loc["W1", "abstract"]) and pd.isna(works.loc["W2", "abstract"])
    assert works.loc["W11", "abstract"] == 'Cites "two" only'
    assert works.loc["W1", "authors"] == "Ada Example; Ben Sample"
    assert works.loc["W1", "venue"] == "Journal of Synthetic Studies"
    edges = set(map(tuple, tables.citations[["citing_id", "cited_id"]].to_numpy()))
    assert edges == {("W10", "W1"), ("W10", "W2"), ("W11", "W2"), ("W12", "W1")}
    counts = tables.counts_by_year
    assert set(map(tuple, counts[counts.work_id == "W1"][["year", "citations"]].to_numpy())) == {(2024, 1), (2022, 1)}
    assert list(tables.matches.columns) == ["corpus_work_id", "work_id", "method", "score", "title",
                                               "publication_year", "authors", "abstract"]
    assert tables.incomplete == []


def test_a_corpus_work_that_also_cites_another_is_requested_and_its_edge_kept(api, tmp_path):
    corpus = [make_work(1, cited_by_count=1), make_work(2, references=["W1"], cited_by_count=0)]
    api.add(corpus)
    fetch([w["doi"] for w in corpus], snapshot=tmp_path / "snap", **FAST)
    tables = snapshot_tables(tmp_path / "snap")
    assert tables.works["requested"].all() and len(tables.works) == 2
    assert tables.citations.values.tolist() == [["W2", "W1"]]


def test_two_openalex_records_for_one_doi_become_one_work(api, tmp_path):
    api.add([make_work(5, doi="10.1000/dup", cited_by_count=3), make_work(6, doi="10.1000/dup", cited_by_count=9),
             make_work(7, references=["W6"])])
    fetch(["10.1000/dup"], snapshot=tmp_path / "snap", **FAST)
    works = snapshot_tables(tmp_path / "snap").works
    assert works[works.requested]["work_id"].tolist() == ["W6"]
    assert "W5" not in set(works.work_id)


def test_damaged_page_is_reported_not_read(api, tmp_path):
    corpus, citing = corpus_and_citing()
    api.add(corpus + citing)
    fetch(["10.1000/one"], snapshot=tmp_path / "snap", **FAST)
    page = next((tmp_path / "snap" / "pages").rglob("*.jsonl.gz"))
    page.write_bytes(gzip.compress(b'{"id": "https://openalex.org/W999"}\n'))
    with pytest.raises(SnapshotError, match="sha256"):
        snapshot_tables(tmp_path / "snap")


def test_missing_manifest_is_a_clear_error(tmp_path):
    with pytest.raises(SnapshotError, match="manifest.json is missing"):
        snapshot_tables(tmp_path)


def test_pages_are_gzip_jsonl_with_stable_bytes(tmp_path):
    records = [{"id": "https://openalex.org/W1", "title": "Ünïcode"}, {"id": "https://openalex.org/W2"}]
    assert encode_page(records) == encode_page(records)
    lines = gzip.decompress(encode_page(records)).decode("utf-8").splitlines()
    assert [json.loads(line) for line in lines] == records


def test_manifest_lists_queries_with_sha256_counts_and_versions(api, tmp_path):
    corpus, citing = corpus_and_citing()
    api.add(corpus + citing)
    fetch(["10.1000/one", "10.1000/two"], snapshot=tmp_path / "snap", **FAST)
    manifest = json.loads((tmp_path / "snap" / MANIFEST).read_text())
    assert manifest["peerbib_version"] and manifest["pyalex_version"] == "0.21"
    kinds = sorted(q["kind"] for q in manifest["queries"])
    assert kinds == ["cites", "doi"]
    snap = Snapshot.open(tmp_path / "snap")
    for query in manifest["queries"]:
        # the request as pyalex built it, stored once (a batch's filter is not stored twice)
        url = query["url"]
        assert url.startswith("https://api.openalex.org/works?") and "select=" in url
        assert json.dumps(query).count(url.split("filter=")[1].split("&")[0]) == 1
        assert query["select"] and query["per_page"] == 100 and query["generation"] == 1
        assert query["complete"] and query["pages"]
        for page in query["pages"]:
            assert (tmp_path / "snap" / page["file"]).is_file() and len(page["sha256"]) == 64
            assert page["fetched_at"] and page["records"] == len(list(snap.page_records(Page.from_json(page))))
    assert manifest["fetches"][-1]["status"] == "complete"
    assert not list((tmp_path / "snap").rglob("*.tmp"))


# --- build on a snapshot ----------------------------------------------------------------------


def test_build_from_a_raw_folder_holding_only_a_snapshot(api, tmp_path):
    corpus, citing = corpus_and_citing()
    api.add(corpus + citing)
    raw = tmp_path / "raw"
    fetch(["10.1000/one", "10.1000/two"], snapshot=raw / "openalex", **FAST)
    tables = pb.build(raw=raw, processed=tmp_path / "processed")
    works = tables.works.set_index("work_id")
    assert sorted(works.index[works.is_corpus.astype(bool)]) == ["W1", "W2"]
    assert set(works.source) == {"openalex"}
    assert len(tables.citations) == 4
    per_year = tables.citations_per_year
    openalex = per_year[per_year.definition == "openalex counts_by_year"]
    assert openalex[openalex.work_id == "W1"][["year", "citations"]].values.tolist() == [[2022, 1], [2023, 0], [2024, 1]]
    assert (tmp_path / "processed" / "works.parquet").is_file()
    again = pb.build(raw=raw, processed=tmp_path / "processed2")
    for name, frame in tables.items():
        pd.testing.assert_frame_equal(frame, getattr(again, name))


def test_build_merges_snapshot_and_corpus_file(api, tmp_path):
    """OpenAlex wins where it has a value; the corpus keeps what OpenAlex lacks."""
    api.add([
        make_work(1, doi="10.1000/one", title="OpenAlex title", abstract=None, venue=None, cited_by_count=1),
        make_work(2, doi=None, title="Peer workers in crisis teams: a qualitative study", year=2016,
                  authors=("Rita Roe",), cited_by_count=0),
        make_work(3, references=["W1"]),
    ])
    raw = tmp_path / "raw"
    (raw / "corpus").mkdir(parents=True)
    (raw / "corpus" / "my_corpus.csv").write_text(
        "doi,title,authors,year,venue,abstract\n"
        "10.1000/one,Corpus title,Ann Author,2015,Corpus Venue,Corpus abstract kept.\n"
        ",Peer workers in crisis teams - a qualitative study,Rita Roe,2016,,\n"
        "10.1000/nowhere,Not in OpenAlex,,2001,,\n",
        encoding="utf-8",
    )
    summary = fetch(raw / "corpus" / "my_corpus.csv", snapshot=raw / "openalex", **FAST)
    assert summary.unresolved_dois == ["10.1000/nowhere"] and summary.matched == 1
    tables = pb.build(raw=raw, processed=tmp_path / "processed")
    works = tables.works.set_index("work_id")
    one = works.loc["W1"]
    assert one.title == "OpenAlex title" and one.abstract == "Corpus abstract kept." and one.venue == "Corpus Venue"
    assert one.source == "openalex+corpus" and one.is_corpus
    two = works.loc["W2"]
    assert two.source == "openalex+corpus" and two.title == "Peer workers in crisis teams: a qualitative study"
    local = works[works.doi == "10.1000/nowhere"]
    assert len(local) == 1 and local.iloc[0].source == "corpus" and local.index[0].startswith("L")
    assert works.loc["W3"].source == "openalex" and not works.loc["W3"].is_corpus
    assert tables.citations[["citing_id", "cited_id"]].values.tolist() == [["W3", "W1"]]
    matches = snapshot_tables(raw / "openalex").matches
    assert matches["method"].tolist() == ["title"] and matches["score"].iloc[0] >= 0.9
    corpus_ids = set(pb.read_corpus(raw / "corpus" / "my_corpus.csv")["work_id"])
    assert set(matches["corpus_work_id"]) <= corpus_ids


def test_reference_edges_of_title_matched_rows_move_to_openalex_ids(api, tmp_path):
    """A corpus reference list (``referenced_by``) names a work that only a title
    match resolves: its edge must join the OpenAlex ids, not stay on the local id."""
    api.add([
        make_work(1, doi="10.1000/citing", title="The citing study", cited_by_count=0),
        make_work(2, doi=None, title="A review of the literature on peer support in mental health services",
                  year=2011, cited_by_count=0),
    ])
    raw = tmp_path / "raw"
    (raw / "corpus").mkdir(parents=True)
    (raw / "corpus" / "refs_corpus.csv").write_text(
        "doi,title,year,referenced_by\n"
        "10.1000/citing,The citing study,2015,\n"
        ",A review of the literature on peer support in mental health services.,2011,10.1000/citing\n",
        encoding="utf-8",
    )
    fetch(raw / "corpus" / "refs_corpus.csv", snapshot=raw / "openalex", citing=False, **FAST)
    tables = pb.build(raw=raw, processed=tmp_path / "processed")
    assert tables.citations[["citing_id", "cited_id"]].values.tolist() == [["W1", "W2"]]
    assert set(tables.works.work_id) == {"W1", "W2"}


def test_rows_given_by_an_openalex_id_are_recorded_as_matches_and_merged_by_build(api, tmp_path):
    api.add([make_work(1, doi=None, cited_by_count=1), make_work(5, doi=None), make_work(7),
             make_work(20, references=["W1"])])
    api.merged["W4"] = "W5"  # W4 was merged into W5
    raw = tmp_path / "raw"
    (raw / "corpus").mkdir(parents=True)
    path = raw / "corpus" / "ids_corpus.csv"
    path.write_text(
        "openalex_id,doi,title,publication_year\n"
        "W1,,Synthetic work 1 on peer support,2015\n"
        "https://openalex.org/W4,,Synthetic work 5 on peer support,2015\n"
        ",10.5555/synthetic.7,Synthetic work 7 on peer support,2015\n",
        encoding="utf-8",
    )
    corpus = pb.read_corpus(path)
    summary = fetch(corpus, snapshot=raw / "openalex", **FAST)
    assert summary.works == 3 and summary.matched == 0  # matched counts title/abstract matches only
    matches = snapshot_tables(raw / "openalex").matches
    local = dict(zip(corpus["openalex_id"].fillna(""), corpus["work_id"]))
    assert sorted(matches.iloc[:, :4].values.tolist()) == sorted([
        [local["W1"], "W1", "openalex_id", 1.0],
        [local["https://openalex.org/W4"], "W5", "openalex_id", 1.0],
    ])
    tables = pb.build(raw=raw, processed=tmp_path / "processed")
    works = tables.works.set_index("work_id")
    assert sorted(works.index[works.is_corpus.astype(bool)]) == ["W1", "W5", "W7"]  # no local duplicate
    assert not any(w.startswith("L") for w in works.index)


def test_the_manifest_is_saved_now_and_then_not_after_every_query(api, tmp_path, monkeypatch):
    """Saving the whole manifest after each finished query is quadratic in the number of queries."""
    import peerbib.snapshot.store as snapshot_module

    works = [make_work(i) for i in range(1, 61)]
    api.add(works)
    dois = [w["doi"] for w in works]
    writes = []
    original = snapshot_module.atomic_write

    def spy(path, data):
        if Path(path).name == MANIFEST:
            writes.append(json.loads(data))
        return original(path, data)

    monkeypatch.setattr(snapshot_module, "atomic_write", spy)
    fetch(dois, snapshot=tmp_path / "snap", doi_batch=1, citing=False, save_interval=60, **FAST)
    assert len(api.calls) == 60
    assert len(writes) <= 5  # the first page, the ends of phases, the end; not 60
    final = json.loads((tmp_path / "snap" / MANIFEST).read_text())
    assert len(final["queries"]) == 60 and all(q["complete"] for q in final["queries"])
    # an error midway: every query finished before it is listed, so a rerun asks only the rest
    writes.clear()
    order = sorted(d.rsplit("doi.org/", 1)[1] for d in dois)  # the order the batches run in
    api.fail(400, message="injected", when=lambda path, params: params.get("filter") == "doi:" + order[30])
    with pytest.raises(Exception, match="injected"):
        fetch(dois, snapshot=tmp_path / "other", doi_batch=1, citing=False, save_interval=60, workers=1, **FAST)
    listed = json.loads((tmp_path / "other" / MANIFEST).read_text())["queries"]
    assert len(listed) == 30 and all(q["complete"] for q in listed) and len(writes) <= 3
    n = len(api.calls)
    fetch(dois, snapshot=tmp_path / "other", doi_batch=1, citing=False, **FAST)
    assert len(api.calls) - n == 30


@pytest.mark.parametrize("report_count, expected", [
    (True, ["cites:W1 (page 2 of 3)"]),
    (False, ["cites:W1 (2 pages fetched, total unknown)"]),
])
def test_snapshot_tables_list_the_queries_an_interrupted_fetch_left_unfinished(tmp_path, report_count, expected):
    target = make_work(1, cited_by_count=30)
    citing = [make_work(100 + i, references=["W1"]) for i in range(30)]
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        fake = FakeOpenAlex([target, *citing], report_count=report_count).install(rsps)
        pages = {"n": 0}

        def third_cites_page(path, params):
            pages["n"] += str(params.get("filter", "")).startswith("cites:")
            return pages["n"] == 3

        fake.fail(400, message="injected", when=third_cites_page)
        with pytest.raises(Exception, match="injected"):
            fetch([target["doi"]], snapshot=tmp_path / "snap", per_page=10, **FAST)
        assert snapshot_tables(tmp_path / "snap").incomplete == expected
        fetch([target["doi"]], snapshot=tmp_path / "snap", per_page=10, **FAST)
        tables = snapshot_tables(tmp_path / "snap")
        assert tables.incomplete == [] and len(tables.citations) == 30
        # a fetch cut short by max_citing finished as asked: not incomplete
        fetch([target["doi"]], snapshot=tmp_path / "capped", per_page=10, max_citing=15, **FAST)
        assert snapshot_tables(tmp_path / "capped").incomplete == []
