"""OpenAlex's full data dump (its "snapshot"): `peerbib dump index`, `peerbib fetch --from-dump`, and tables equal
to the API path's on the same records. Every record is SYNTHETIC (tests/fixtures/openalex.py, openalex_dump.py)."""
from __future__ import annotations

import json
import shutil

import pandas as pd
import pytest

import peerbib as pb
from fixtures.openalex import citation_graph, inverted, make_work
from fixtures.openalex_dump import write_dump
from peerbib.cli import main

pytest.importorskip("duckdb")

from peerbib.sources.openalex_dump import build_index, read_layout  # noqa: E402

FAST = dict(progress=False, max_rate=0, sleep=lambda s: None)


def _records():
    """Corpus and citing works, with the dump's quirks among them."""
    corpus, citing = citation_graph(40, 120, seed=5, max_refs=3)
    # abstract keys that differ only in case, and a null abstract and a null DOI
    corpus[0]["abstract_inverted_index"] = inverted("The peer role and the Peer support of the workers")
    corpus[1]["abstract_inverted_index"] = None
    title_only = make_work(5000, doi=None, title="Peer support workers in community mental health teams",
                           year=2019)
    return corpus, citing, title_only


def _tables(raw):
    tables = pb.build(raw, raw.parent / "processed")
    return {name: frame.drop(columns=[c for c in ("provenance",) if c in frame.columns])
            for name, frame in tables.items()}


@pytest.fixture
def both(tmp_path, api):
    corpus, citing, title_only = _records()
    xpac = make_work(6000, title="SYNTHETIC XPAC work citing the corpus", year=2025,
                     references=[corpus[0]["id"].rsplit("/", 1)[1]])
    gone = make_work(6001, title="SYNTHETIC deleted work citing the corpus", year=2024,
                     references=[corpus[0]["id"].rsplit("/", 1)[1]])
    older = dict(corpus[2], title="An older title of the same work", doi="https://doi.org/10.5555/old.version")
    corpus_file = tmp_path / "corpus.csv"
    rows = [{"doi": w["doi"].removeprefix("https://doi.org/"), "title": ""} for w in corpus]
    rows.append({"doi": "", "title": title_only["title"], "publication_year": 2019})
    pd.DataFrame(rows).to_csv(corpus_file, index=False)

    # the API path: the fake OpenAlex holds the same records (not the XPAC or deleted ones, as the API)
    api.add(corpus + citing + [title_only])
    api_raw = tmp_path / "api" / "raw"
    (api_raw / "corpus").mkdir(parents=True)
    shutil.copy(corpus_file, api_raw / "corpus" / "corpus.csv")
    pb.fetch(corpus_file, snapshot=api_raw / "openalex", api_key=api.api_key, **FAST)

    # the dump path: the same records in a dump, plus an XPAC work, a deleted one and an older version
    dump = write_dump(tmp_path / "works", corpus + citing + [title_only, dict(xpac, is_xpac=True), gone],
                              older=[older], deleted=[gone["id"].rsplit("/", 1)[1]], parts_per_date=3)
    index = tmp_path / "index"
    build_index(dump, index)
    dump_raw = tmp_path / "snap" / "raw"
    (dump_raw / "corpus").mkdir(parents=True)
    shutil.copy(corpus_file, dump_raw / "corpus" / "corpus.csv")
    calls = len(api.calls)
    summary = pb.fetch(corpus_file, snapshot=dump_raw / "openalex", source=index, **FAST)
    assert len(api.calls) == calls, "the dump path made no HTTP request"
    return api_raw, dump_raw, summary, index


def test_the_dump_path_gives_the_api_paths_tables(both):
    api_raw, dump_raw, summary, _ = both
    from_api, from_dump = _tables(api_raw), _tables(dump_raw)
    for name in from_api:
        pd.testing.assert_frame_equal(from_api[name], from_dump[name], check_dtype=True, obj=name)
    works = from_dump["works"]
    assert (works["title"] == "Peer support workers in community mental health teams").sum() == 1  # found by title
    assert not works["title"].str.contains("XPAC|deleted|older title", na=False).any()
    assert summary.works == 41 and summary.citing_works > 0


def test_the_dump_paths_provenance_names_the_release_and_engine(both):
    _, dump_raw, _, _ = both
    manifest = json.loads((dump_raw / "openalex" / "manifest.json").read_text())
    source = manifest["source"]
    assert source["kind"] == "openalex-snapshot" and source["release"] == "2026-06-30"
    assert source["engine"].startswith("duckdb ") and source["xpac"].startswith("excluded")


def test_the_index_resumes_and_a_later_release_indexes_only_its_new_parts(tmp_path):
    corpus, citing, _ = _records()
    dump = write_dump(tmp_path / "works", corpus + citing, parts_per_date=2)
    first = build_index(dump, tmp_path / "index")
    files = {p["file"]: (tmp_path / "index" / "parts" / p["file"]).stat().st_mtime_ns for p in first["parts"].values()}
    # a later release: the old partitions stay, a new one is added with a newer version of a work
    newer = dict(corpus[3], title="A corrected title")
    write_dump(tmp_path / "works", corpus + citing, parts_per_date=2)  # the same old parts, byte for byte
    later = write_dump(tmp_path / "later", [newer], date="2026-07-01", parts_per_date=1)
    shutil.copytree(later / "updated_date=2026-07-01", dump / "updated_date=2026-07-01")
    manifest = json.loads((dump / "manifest.json").read_text())
    manifest["files"] += json.loads((later / "manifest.json").read_text())["files"]
    manifest["date"] = "2026-07-31"
    (dump / "manifest.json").write_text(json.dumps(manifest))
    second = build_index(dump, tmp_path / "index")
    assert len(second["parts"]) == len(first["parts"]) + 1
    for name, mtime in files.items():  # the old parts were not indexed again
        assert (tmp_path / "index" / "parts" / name).stat().st_mtime_ns == mtime
    from peerbib.sources.openalex_dump import DumpIndex

    index = DumpIndex(tmp_path / "index")
    work_id = corpus[3]["id"].rsplit("/", 1)[1]
    assert [r["title"] for r in index.works("id = ?", [work_id])] == ["A corrected title"]
    index.close()


def test_the_legacy_layout_is_read_too(tmp_path):
    corpus, citing, _ = _records()
    dump = write_dump(tmp_path / "works", corpus + citing, layout="legacy")
    layout = read_layout(dump)
    assert layout.layout == "legacy" and len(layout.parts) == 2
    manifest = build_index(dump, tmp_path / "index")
    assert sum(p["records"] for p in manifest["parts"].values()) == len(corpus) + len(citing)


def test_an_incomplete_dump_is_a_clear_error(tmp_path, capsys):
    corpus, citing, _ = _records()
    dump = write_dump(tmp_path / "works", corpus + citing)
    part = next(dump.glob("updated_date=*/part_0001.gz"))
    part.write_bytes(part.read_bytes()[:100])
    assert main(["dump", "index", str(dump), "--out", str(tmp_path / "index"), "--quiet"]) == 1
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "incomplete" in err and "part_0001.gz" in err and "sync it again" in err
    assert not (tmp_path / "index" / "index.json").exists()
    (dump / "manifest.json").unlink()
    assert main(["dump", "index", str(dump), "--out", str(tmp_path / "index")]) == 1
    assert "no manifest.json" in capsys.readouterr().err


def test_dump_index_fetch_and_report_end_to_end_from_the_command_line(tmp_path, monkeypatch, capsys):
    corpus, citing, _ = _records()
    dump = write_dump(tmp_path / "works", corpus + citing)
    project = tmp_path / "study"
    pb.init_project(project)
    pd.DataFrame({"doi": [w["doi"].removeprefix("https://doi.org/") for w in corpus[:10]]}).to_csv(
        project / "data" / "raw" / "corpus" / "dois.csv", index=False)
    monkeypatch.setenv("PEERBIB_PROJECT", str(project))
    monkeypatch.delenv("OPENALEX_API_KEY", raising=False)
    assert main(["dump", "index", str(dump), "--out", str(tmp_path / "index"), "--quiet"]) == 0
    assert main(["fetch", "--from-dump", str(tmp_path / "index"), "--no-progress"]) == 0
    assert main(["report", "--quiet"]) == 0
    index = (project / "reports" / "index.html").read_text(encoding="utf-8")
    assert "10 corpus works" in index
    assert "openalex-snapshot" in index and "2026-06-30" in index and "duckdb " in index  # provenance says so
    works = pb.load().works
    assert works["is_corpus"].sum() == 10 and (~works["is_corpus"]).sum() > 0


def test_the_old_snapshot_names_still_work_and_say_they_are_old(tmp_path, monkeypatch, capsys):
    corpus, citing, _ = _records()
    dump = write_dump(tmp_path / "works", corpus + citing)
    project = tmp_path / "study"
    pb.init_project(project)
    pd.DataFrame({"doi": [w["doi"].removeprefix("https://doi.org/") for w in corpus[:10]]}).to_csv(
        project / "data" / "raw" / "corpus" / "dois.csv", index=False)
    monkeypatch.setenv("PEERBIB_PROJECT", str(project))
    monkeypatch.delenv("OPENALEX_API_KEY", raising=False)
    capsys.readouterr()

    def old_name_lines() -> list[str]:
        return [line for line in capsys.readouterr().err.splitlines() if "old name" in line]

    assert main(["snapshot", "index", str(dump), "--out", str(tmp_path / "index"), "--quiet"]) == 0
    assert capsys.readouterr().err.splitlines() == [  # one line, and nothing else on stderr
        "peerbib snapshot index is the old name of peerbib dump index, kept for one more release"]
    assert main(["fetch", "--from-snapshot", str(tmp_path / "index"), "--snapshot-threads", "1",
                 "--no-progress"]) == 0
    assert old_name_lines() == [
        "peerbib fetch: --from-snapshot is the old name of --from-dump, kept for one more release",
        "peerbib fetch: --snapshot-threads is the old name of --dump-threads, kept for one more release"]
    assert main(["fetch", "--from-dump", str(tmp_path / "index"), "--no-progress"]) == 0
    assert old_name_lines() == []
    assert pb.load().works["is_corpus"].sum() == 10
    # the keyword names of pb.fetch: a FutureWarning, and the same fetch
    with pytest.warns(FutureWarning, match="snapshot_memory_gb is the old name of dump_memory_gb"):
        summary = pb.fetch(source=tmp_path / "index", snapshot_memory_gb=1, progress=False)
    assert summary.works == 10
    with pytest.raises(pb.FetchError, match="give dump_threads only"):
        pb.fetch(source=tmp_path / "index", snapshot_threads=1, dump_threads=1, progress=False)


def test_the_index_keeps_the_abstract_verbatim_and_searches_its_words(tmp_path):
    corpus, citing, _ = _records()
    build_index(write_dump(tmp_path / "works", corpus + citing), tmp_path / "index")
    import pyarrow.parquet as pq

    # a string column of JSON, never a struct over every row's words
    for part in (tmp_path / "index" / "parts").glob("*.parquet"):
        assert str(pq.read_schema(part).field("abstract_inverted_index").type) == "string"
    from peerbib.sources.openalex.records import decode_abstract
    from peerbib.sources.openalex_dump import DumpIndex, LocalOpenAlex

    client = LocalOpenAlex(DumpIndex(tmp_path / "index"))
    first = corpus[0]["id"].rsplit("/", 1)[1]
    work = client.get_json(f"https://api.openalex.org/works/{first}").data
    # keys that differ only in case come back as OpenAlex gave them, and read as the same text
    assert work["abstract_inverted_index"] == corpus[0]["abstract_inverted_index"]
    assert decode_abstract(work["abstract_inverted_index"]) == \
        "The peer role and the Peer support of the workers"
    assert client.get_json(f"https://api.openalex.org/works/{corpus[1]['id'].rsplit('/', 1)[1]}") \
        .data["abstract_inverted_index"] is None

    def found(query):
        page = client.get_json(f"https://api.openalex.org/works?{query}&per_page=200").data
        return {r["id"].rsplit("/", 1)[1] for r in page["results"]}

    # words only the abstract has, in any case; a word position is no word
    assert first in found("filter=title_and_abstract.search:WORKERS%20role")
    assert first in found("search=peer%20role")
    assert first not in found("filter=title_and_abstract.search:role%203")
    # a cites: filter with another one is answered by a query over the references (kept as numbers)
    citers = {w["id"].rsplit("/", 1)[1] for w in citing if corpus[0]["id"] in w["referenced_works"]}
    assert citers and found(f"filter=cites:{first},publication_year:1900-2100") == citers
    page = client.get_json(f"https://api.openalex.org/works/{sorted(citers)[0]}").data
    assert corpus[0]["id"] in page["referenced_works"]  # back as the API's URLs
    client.close()


def test_an_index_made_by_an_older_peerbib_is_a_clear_error(tmp_path):
    from peerbib.errors import DumpError
    from peerbib.sources.openalex_dump import DumpIndex

    corpus, citing, _ = _records()
    dump = write_dump(tmp_path / "works", corpus + citing)
    build_index(dump, tmp_path / "index")
    manifest = json.loads((tmp_path / "index" / "index.json").read_text())
    manifest["format"] = "peerbib-openalex-index/1"
    (tmp_path / "index" / "index.json").write_text(json.dumps(manifest))
    for attempt in (lambda: DumpIndex(tmp_path / "index"), lambda: build_index(dump, tmp_path / "index")):
        with pytest.raises(DumpError, match="made by an older peerbib .*index the dump again into a new folder"):
            attempt()
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "index.json").write_text('{"format": "something else"}')
    with pytest.raises(DumpError, match="something else than a peerbib dump index"):
        build_index(dump, tmp_path / "other")
