"""OpenAlex's dump on Spark (local mode): the same index and the same study as DuckDB, from the same SQL.
Every record is SYNTHETIC (tests/fixtures/openalex.py, openalex_dump.py)."""
from __future__ import annotations

import json
import shutil

import pandas as pd
import pytest

pytest.importorskip("duckdb")
pytest.importorskip("pyspark", reason="the Spark engine needs pyspark: python -m pip install '.[spark]'")
if shutil.which("java") is None:
    pytest.skip("the Spark engine needs Java 17 (Debian: apt-get install openjdk-17-jre-headless)",
                allow_module_level=True)

from fixtures.openalex import citation_graph, inverted, make_work  # noqa: E402
from fixtures.openalex_dump import write_dump  # noqa: E402
from peerbib.sources.openalex_dump import DumpIndex, build_index  # noqa: E402
from peerbib.sources.openalex_dump.spark import build_index_spark, spark_session, study_spark  # noqa: E402


@pytest.fixture(scope="module")
def spark():
    session = spark_session("local[2]", memory="1g")
    yield session
    session.stop()


def _dump(folder):
    corpus, citing = citation_graph(30, 90, seed=11, max_refs=3)
    corpus[0]["abstract_inverted_index"] = inverted("The peer role and the Peer support")
    corpus[1]["abstract_inverted_index"] = None
    corpus[2]["doi"] = None
    older = dict(corpus[3], title="An older title")
    gone = make_work(7000, references=[corpus[0]["id"].rsplit("/", 1)[1]])
    xpac = dict(make_work(7001, references=[corpus[0]["id"].rsplit("/", 1)[1]]), is_xpac=True)
    write_dump(folder, corpus + citing + [gone, xpac], older=[older], deleted=["W7000"], parts_per_date=3)
    return corpus


def _frame(index):
    frame = pd.read_parquet(index / "parts")
    frame = frame.sort_values(["id", "updated_date"]).reset_index(drop=True)
    # the inverted index is kept as JSON text; Spark keeps the record's spacing, DuckDB writes it compact
    frame["abstract_inverted_index"] = frame["abstract_inverted_index"].map(lambda v: json.loads(v) if isinstance(v, str) else None)
    return frame.map(lambda v: v.tolist() if hasattr(v, "tolist") else v)


def test_spark_builds_the_index_duckdb_builds(tmp_path, spark):
    _dump(tmp_path / "works")
    build_index(tmp_path / "works", tmp_path / "duckdb")
    manifest = build_index_spark(tmp_path / "works", tmp_path / "spark", spark=spark)
    assert manifest["engine"].startswith("spark 4")
    duck, sparky = _frame(tmp_path / "duckdb"), _frame(tmp_path / "spark")
    assert list(sparky.columns) == list(duck.columns)
    pd.testing.assert_frame_equal(duck.astype(str), sparky.astype(str))
    first = sparky.set_index("id").loc["W1000", "abstract_inverted_index"]
    assert first == inverted("The peer role and the Peer support")  # keys differing only in case
    deleted = pd.read_parquet(tmp_path / "spark" / "deleted.parquet")
    assert deleted["id"].tolist() == ["W7000"]


def test_the_study_on_spark_is_the_study_on_duckdb(tmp_path, spark):
    corpus = _dump(tmp_path / "works")
    build_index(tmp_path / "works", tmp_path / "index")
    dois = [w["doi"].removeprefix("https://doi.org/") for w in corpus if w["doi"]]
    index = DumpIndex(tmp_path / "index")
    duck_corpus = index.works("doi IN (SELECT unnest(?::VARCHAR[]))", [dois])
    duck_citing = index.works_citing([r["id"] for r in duck_corpus])
    assert index.study(dois) == (duck_corpus, duck_citing)  # the one-read study the fetch asks first
    index.close()
    spark_corpus, spark_citing = study_spark(tmp_path / "index", dois, spark=spark)
    assert [r["id"] for r in spark_corpus] == [r["id"] for r in duck_corpus]
    assert [r["id"] for r in spark_citing] == [r["id"] for r in duck_citing]
    assert "W7000" not in {r["id"] for r in spark_citing} and "W7001" not in {r["id"] for r in spark_citing}
    by_id = {r["id"]: r for r in spark_corpus}
    assert by_id[corpus[3]["id"].rsplit("/", 1)[1]]["title"] != "An older title"


def test_a_later_release_on_spark_drops_the_files_of_parts_it_no_longer_lists(tmp_path, spark):
    _dump(tmp_path / "works")
    build_index_spark(tmp_path / "works", tmp_path / "index", spark=spark)
    manifest = json.loads((tmp_path / "works" / "manifest.json").read_text())
    dropped = manifest["files"].pop()  # the release no longer lists this part
    (tmp_path / "works" / "manifest.json").write_text(json.dumps(manifest))
    index = build_index_spark(tmp_path / "works", tmp_path / "index", spark=spark)
    listed = {name for entry in index["parts"].values() for name in entry["files"]}
    assert len(index["parts"]) == len(manifest["files"])
    assert {p.name for p in (tmp_path / "index" / "parts").glob("*.parquet")} == listed
    gone = dropped["url"].rsplit("/", 1)[-1].removesuffix(".gz")
    assert not any(f"_{gone}_" in name for name in listed)


def test_spark_refuses_a_parquet_dump_before_it_starts(tmp_path):
    from peerbib.errors import DumpError

    _dump(tmp_path / "works")
    manifest = json.loads((tmp_path / "works" / "manifest.json").read_text())
    (tmp_path / "works" / "manifest.json").write_text(json.dumps(dict(manifest, format="parquet")))
    with pytest.raises(DumpError, match="Parquet dump; peerbib indexes the JSON Lines one"):
        build_index_spark(tmp_path / "works", tmp_path / "index", spark=object())


def test_a_part_spark_cannot_read_says_download_it_again_and_keeps_sparks_error(tmp_path, spark):
    """Spark's own exception (FAILED_READ_FILE) is the one turned into advice, with it as the cause;
    anything else Spark raises goes on as it is (issue 22, item 5)."""
    from py4j.protocol import Py4JJavaError

    from peerbib.errors import DumpError

    _dump(tmp_path / "works")
    part = next((tmp_path / "works").glob("updated_date=*/part_0000.gz"))
    part.write_bytes(part.read_bytes()[:40])  # a download cut short
    manifest = json.loads((tmp_path / "works" / "manifest.json").read_text())
    for entry in manifest["files"]:
        if entry["url"].endswith(part.relative_to(tmp_path / "works").as_posix()):
            entry["meta"]["content_length"] = part.stat().st_size
    (tmp_path / "works" / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(DumpError, match=r"part_0000\.gz: Spark could not read it.*download this part again") \
            as caught:
        build_index_spark(tmp_path / "works", tmp_path / "index", spark=spark)
    assert isinstance(caught.value.__cause__, Py4JJavaError)
    assert str(part) in str(caught.value)
