"""The indexer of OpenAlex's dump (its "snapshot") refuses what it cannot do safely (issue 18, items 5 and 9):
deletions in the shapes ``deleted_ids.csv`` may take, parts with fewer records than the manifest says,
manifest URLs that leave the dump folder, odd manifests and options, and ``--out`` folders that are
not a peerbib index. Every record is SYNTHETIC (tests/fixtures/openalex.py, openalex_dump.py)."""
from __future__ import annotations

import gzip
import json
import os
import re
import shutil

import pandas as pd
import pytest

from fixtures.openalex import make_work
from fixtures.openalex_dump import write_dump
from peerbib.cli import main
from peerbib.errors import DumpError

pytest.importorskip("duckdb")

from peerbib.sources.openalex_dump import DumpIndex, build_index  # noqa: E402

GONE = "W1003"  # the deleted work of these tests


def _works(n: int = 10):
    return [make_work(1000 + i) for i in range(n)]


def _dump(folder, **kwargs):
    return write_dump(folder, _works(), **kwargs)


def _one_line_error(capsys) -> str:
    err = capsys.readouterr().err
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("peerbib dump: error: "), err
    return lines[0]


def _ids(index_folder) -> set[str]:
    index = DumpIndex(index_folder)
    try:
        return {r["id"] for r in index.works("true", [])}
    finally:
        index.close()


# 1. deletions, in every shape ------------------------------------------------------------------------------

DELETED_SHAPES = {
    "header, two columns, bare ids": "work_id,deleted_date\nW1003,2026-06-15\n",
    "header, the id column named among other ids": "deleted_date,openalex_id,replaced_by\n"
                                                   "2026-06-15,https://openalex.org/W1003,https://openalex.org/W1004\n",
    "no header, two columns, URLs": "https://openalex.org/W1003,2026-06-15\n",
    "header, three columns, tab-separated": "merge_date\tid\tnote\n2026-06-15\thttps://openalex.org/W1003\tgone\n",
}


@pytest.mark.parametrize("text", DELETED_SHAPES.values(), ids=DELETED_SHAPES.keys())
def test_a_deletion_in_any_shape_of_deleted_ids_is_left_out(tmp_path, text):
    dump = _dump(tmp_path / "works")
    (dump / "deleted_ids.csv.gz").write_bytes(gzip.compress(text.encode()))
    build_index(dump, tmp_path / "index")
    assert pd.read_parquet(tmp_path / "index" / "deleted.parquet")["id"].tolist() == [GONE]
    ids = _ids(tmp_path / "index")
    assert GONE not in ids and len(ids) == 9


@pytest.mark.parametrize("name", ["deleted_ids.csv", "deleted_ids.csv.gz"])
def test_the_shapes_read_before_are_still_read(tmp_path, name):
    """Guard, not a regression: headerless single columns of bare ids and URLs, plain or gzip."""
    dump = _dump(tmp_path / "works")
    (dump / "deleted_ids.csv.gz").unlink()
    text = "W1003\nhttps://openalex.org/W1004\n\nw1005\n"
    (dump / name).write_bytes(gzip.compress(text.encode()) if name.endswith(".gz") else text.encode())
    build_index(dump, tmp_path / "index")
    assert sorted(pd.read_parquet(tmp_path / "index" / "deleted.parquet")["id"]) == ["W1003", "W1004", "W1005"]
    assert not {"W1003", "W1004", "W1005"} & _ids(tmp_path / "index")


UNREADABLE = {
    "no id column": ("deleted_date,reason\n2026-06-15,retracted\n", "no column of work ids"),
    "a value that is no work id": ("id\nW1003\nA77\n", "line 3"),
    "not gzip": (b"\x1f\x8bnot really gzip", "cannot be read"),
    "truncated gzip": (gzip.compress(b"W1003\n" * 1000)[:-30], "cannot be read"),
    "two columns of ids, no header": ("W1003,W1004\n", "which"),
}


@pytest.mark.parametrize("content, says", UNREADABLE.values(), ids=UNREADABLE.keys())
def test_a_deleted_ids_file_that_cannot_be_read_is_refused(tmp_path, capsys, content, says):
    dump = _dump(tmp_path / "works")
    data = content if isinstance(content, bytes) else gzip.compress(content.encode())
    (dump / "deleted_ids.csv.gz").write_bytes(data)
    with pytest.raises(DumpError, match=says) as caught:
        build_index(dump, tmp_path / "index")
    assert "deleted_ids.csv.gz" in str(caught.value) and "\n" not in str(caught.value)
    assert main(["dump", "index", str(dump), "--out", str(tmp_path / "cli"), "--quiet"]) == 1
    assert "deleted_ids.csv.gz" in _one_line_error(capsys)


def test_an_index_whose_deletions_are_not_written_is_not_opened(tmp_path):
    """An interrupted run leaves parts but no deletions: queries would return deleted works."""
    dump = _dump(tmp_path / "works", deleted=[GONE])
    build_index(dump, tmp_path / "index")
    (tmp_path / "index" / "deleted.parquet").unlink()
    with pytest.raises(DumpError, match="not finished.*peerbib dump index"):
        DumpIndex(tmp_path / "index")


# 2. a part with fewer records than the manifest says ---------------------------------------------------------


def _shorten(dump, keep: int):
    """Rewrite the first part with only ``keep`` of its records; its size in the manifest follows, its
    record_count does not (a part replaced, or a manifest from another release)."""
    part = next(dump.glob("updated_date=*/part_0000.gz"))
    lines = gzip.decompress(part.read_bytes()).decode().splitlines(keepends=True)
    part.write_bytes(gzip.compress("".join(lines[:keep]).encode(), mtime=0))
    manifest = json.loads((dump / "manifest.json").read_text())
    entry = next(e for e in manifest["files"] if e["url"].endswith("part_0000.gz"))
    assert entry["meta"]["record_count"] == len(lines) == 10
    entry["meta"]["content_length"] = part.stat().st_size
    (dump / "manifest.json").write_text(json.dumps(manifest))
    return part, lines


def test_a_part_with_fewer_records_than_the_manifest_is_an_error_and_not_indexed(tmp_path, capsys):
    dump = _dump(tmp_path / "works", parts_per_date=1)
    part, lines = _shorten(dump, 7)
    with pytest.raises(DumpError, match=r"part_0000\.gz holds 7 records.*10.*download") as caught:
        build_index(dump, tmp_path / "index")
    assert "\n" not in str(caught.value)
    recorded = json.loads((tmp_path / "index" / "index.json").read_text())["parts"] \
        if (tmp_path / "index" / "index.json").exists() else {}
    assert not [p for p in recorded.values() if p["url"].endswith("part_0000.gz")]
    assert not [p for p in (tmp_path / "index" / "parts").glob("*part_0000*")]
    assert main(["dump", "index", str(dump), "--out", str(tmp_path / "cli"), "--quiet"]) == 1
    assert "part_0000.gz" in _one_line_error(capsys)
    # downloaded again, it is indexed
    part.write_bytes(gzip.compress("".join(lines).encode(), mtime=0))
    manifest = json.loads((dump / "manifest.json").read_text())
    manifest["files"][0]["meta"]["content_length"] = part.stat().st_size
    (dump / "manifest.json").write_text(json.dumps(manifest))
    assert sum(p["records"] for p in build_index(dump, tmp_path / "index")["parts"].values()) == 10


# 3. manifest URLs that leave the dump folder ---------------------------------------------------------------


def _point_first_url_at(dump, url: str) -> None:
    manifest = json.loads((dump / "manifest.json").read_text())
    manifest["files"][0]["url"] = url
    (dump / "manifest.json").write_text(json.dumps(manifest))


def test_a_manifest_url_with_dot_dot_is_refused(tmp_path, capsys):
    dump = _dump(tmp_path / "works")
    first = next(dump.glob("updated_date=*/part_0000.gz"))
    (tmp_path / "outside").mkdir()
    shutil.copy(first, tmp_path / "outside" / "x.gz")  # a readable file there, so reading it would succeed
    url = "s3://openalex/data/jsonl/works/../outside/x.gz"
    _point_first_url_at(dump, url)
    with pytest.raises(DumpError, match="outside") as caught:
        build_index(dump, tmp_path / "index")
    assert url in str(caught.value) and "\n" not in str(caught.value)
    assert main(["dump", "index", str(dump), "--out", str(tmp_path / "cli"), "--quiet"]) == 1
    assert url in _one_line_error(capsys)


def test_a_part_that_is_a_link_out_of_the_dump_is_refused(tmp_path):
    dump = _dump(tmp_path / "works")
    first = next(dump.glob("updated_date=*/part_0000.gz"))
    (tmp_path / "outside").mkdir()
    shutil.move(first, tmp_path / "outside" / "part_0000.gz")
    first.symlink_to(tmp_path / "outside" / "part_0000.gz")
    with pytest.raises(DumpError, match="outside the dump folder"):
        build_index(dump, tmp_path / "index")


# 4. odd manifests and options: one line, status 1 -------------------------------------------------------------


def _set(path, value):
    def change(manifest):
        target = manifest
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
        return manifest
    return change


MANIFESTS = {
    "a JSON list": (lambda m: [m], "manifest"),
    "files a dict": (_set(["files"], {"a": 1}), "files.* not a list"),
    "an entry a string": (_set(["files", 0], "part_0000.gz"), r"files\[0\]"),
    "meta a list": (_set(["files", 0, "meta"], [1, 2]), "meta"),
    "content_length not a number": (_set(["files", 0, "meta", "content_length"], "abc"), "content_length"),
    "record_count a string": (_set(["files", 0, "meta", "record_count"], "5"), "record_count"),
    "record_count negative": (_set(["files", 0, "meta", "record_count"], -5), "record_count"),
    "url a number": (_set(["files", 0, "url"], 5), "url"),
    "url missing": (lambda m: (m["files"][0].pop("url"), m)[1], "url"),
    "date a number": (_set(["date"], 20260630), "date"),
}


@pytest.mark.parametrize("change, says", MANIFESTS.values(), ids=MANIFESTS.keys())
def test_an_odd_manifest_is_a_one_line_error(tmp_path, capsys, change, says):
    dump = _dump(tmp_path / "works")
    manifest = json.loads((dump / "manifest.json").read_text())
    (dump / "manifest.json").write_text(json.dumps(change(manifest)))
    assert main(["dump", "index", str(dump), "--out", str(tmp_path / "index"), "--quiet"]) == 1
    line = _one_line_error(capsys)
    assert "manifest" in line and re.search(says, line), line


OPTIONS = {
    "threads 0": (["--threads", "0"], "threads"),
    "threads negative": (["--threads", "-2"], "threads"),
    "memory limit of dots": (["--memory-limit", "1.2.3GB"], "memory limit"),
    "memory limit of units": (["--memory-limit", "2KMGTB"], "memory limit"),
    "memory limit twice B": (["--memory-limit", "2GBB"], "memory limit"),
    "memory limit 0GB": (["--memory-limit", "0GB"], "memory limit"),
    "memory limit without unit": (["--memory-limit", "0"], "memory limit"),
    "memory limit a word": (["--memory-limit", "lots"], "memory limit"),
}


@pytest.mark.parametrize("options, says", OPTIONS.values(), ids=OPTIONS.keys())
def test_nonsense_options_are_a_one_line_error(tmp_path, capsys, options, says):
    dump = _dump(tmp_path / "works")
    assert main(["dump", "index", str(dump), "--out", str(tmp_path / "index"), "--quiet", *options]) == 1
    assert says in _one_line_error(capsys)
    assert not (tmp_path / "index").exists()  # refused before anything was written


def test_out_an_existing_file_is_a_one_line_error(tmp_path, capsys):
    dump = _dump(tmp_path / "works")
    (tmp_path / "index").write_text("my notes")
    assert main(["dump", "index", str(dump), "--out", str(tmp_path / "index"), "--quiet"]) == 1
    assert "not a folder" in _one_line_error(capsys)
    assert (tmp_path / "index").read_text() == "my notes"


# the --out folder: only the index's own files are written or removed ------------------------------------------


def test_out_a_folder_that_is_not_an_index_is_refused_and_left_alone(tmp_path, capsys):
    dump = _dump(tmp_path / "works")
    out = tmp_path / "thesis"
    out.mkdir()
    (out / "chapter1.tex").write_text("precious")
    with pytest.raises(DumpError, match="not a peerbib dump index"):
        build_index(dump, out)
    assert main(["dump", "index", str(dump), "--out", str(out), "--quiet"]) == 1
    assert "empty folder" in _one_line_error(capsys)
    assert sorted(p.name for p in out.iterdir()) == ["chapter1.tex"]
    build_index(dump, tmp_path / "empty")  # a new folder, or an empty one, is fine
    (tmp_path / "empty2").mkdir()
    build_index(dump, tmp_path / "empty2")


def _drop_last_part(dump) -> None:
    manifest = json.loads((dump / "manifest.json").read_text())
    manifest["files"] = manifest["files"][:-1]
    (dump / "manifest.json").write_text(json.dumps(manifest))


def test_a_part_dropped_by_a_later_release_removes_only_its_own_file(tmp_path):
    dump = _dump(tmp_path / "works")
    first = build_index(dump, tmp_path / "index")
    dropped = next(p["file"] for p in first["parts"].values() if p["url"].endswith("part_0001.gz"))
    (tmp_path / "index" / "parts" / "mine.parquet.bak").write_text("not the index's")
    _drop_last_part(dump)
    build_index(dump, tmp_path / "index")
    assert not (tmp_path / "index" / "parts" / dropped).exists()
    assert (tmp_path / "index" / "parts" / "mine.parquet.bak").read_text() == "not the index's"


def test_index_json_cannot_make_the_index_delete_a_file_outside_its_parts(tmp_path):
    dump = _dump(tmp_path / "works")
    build_index(dump, tmp_path / "index")
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    manifest = json.loads((tmp_path / "index" / "index.json").read_text())
    # a part file named ../../victim.txt (spelled with os.pardir: the path under test, not a fixture read)
    manifest["parts"]["0" * 20] = {"url": "s3://openalex/data/jsonl/works/updated_date=2020-01-01/part_0000.gz",
                                   "size": 1, "records": 0, "file": os.path.join(os.pardir, os.pardir, "victim.txt"),
                                   "updated_date": "2020-01-01"}
    (tmp_path / "index" / "index.json").write_text(json.dumps(manifest))
    error = _attempt(lambda: build_index(dump, tmp_path / "index"))
    assert victim.exists() and victim.read_text() == "keep me"
    assert error is not None and "index.json is damaged" in str(error) and "victim.txt" in str(error)


def _attempt(run) -> DumpError | None:
    """The DumpError of ``run()``, or None; what it left behind is checked first."""
    try:
        run()
    except DumpError as exc:
        return exc
    return None


def test_a_parts_folder_linked_elsewhere_is_not_emptied(tmp_path):
    dump = _dump(tmp_path / "works")
    first = build_index(dump, tmp_path / "index")
    elsewhere = tmp_path / "elsewhere"
    shutil.move(tmp_path / "index" / "parts", elsewhere)
    (tmp_path / "index" / "parts").symlink_to(elsewhere)
    before = sorted(p.name for p in elsewhere.iterdir())
    _drop_last_part(dump)
    error = _attempt(lambda: build_index(dump, tmp_path / "index"))
    assert sorted(p.name for p in elsewhere.iterdir()) == before and len(before) == len(first["parts"])
    assert error is not None and "is a link" in str(error)


# the Spark engine reads deletions and checks parts the same way (skips without PySpark and Java) ----------------


@pytest.fixture(scope="module")
def spark():
    pytest.importorskip("pyspark", reason="the Spark engine needs pyspark: python -m pip install '.[spark]'")
    if shutil.which("java") is None:
        pytest.skip("the Spark engine needs Java 17")
    from peerbib.sources.openalex_dump.spark import spark_session

    session = spark_session("local[2]", memory="1g")
    yield session
    session.stop()


@pytest.mark.parametrize("text", DELETED_SHAPES.values(), ids=DELETED_SHAPES.keys())
def test_spark_leaves_out_a_deletion_in_any_shape(tmp_path, spark, text):
    from peerbib.sources.openalex_dump.spark import build_index_spark

    dump = _dump(tmp_path / "works")
    (dump / "deleted_ids.csv.gz").write_bytes(gzip.compress(text.encode()))
    build_index_spark(dump, tmp_path / "index", spark=spark)
    assert pd.read_parquet(tmp_path / "index" / "deleted.parquet")["id"].tolist() == [GONE]
    assert GONE not in _ids(tmp_path / "index")


def test_spark_refuses_a_deleted_ids_file_without_an_id_column(tmp_path, spark):
    from peerbib.sources.openalex_dump.spark import build_index_spark

    dump = _dump(tmp_path / "works")
    (dump / "deleted_ids.csv.gz").write_bytes(gzip.compress(b"deleted_date,reason\n2026-06-15,retracted\n"))
    with pytest.raises(DumpError, match="no column of work ids"):
        build_index_spark(dump, tmp_path / "index", spark=spark)


def test_spark_refuses_a_part_with_fewer_records_than_the_manifest(tmp_path, spark):
    from peerbib.sources.openalex_dump.spark import build_index_spark

    dump = _dump(tmp_path / "works", parts_per_date=1)
    _shorten(dump, 7)
    with pytest.raises(DumpError, match=r"part_0000\.gz holds 7 records.*10"):
        build_index_spark(dump, tmp_path / "index", spark=spark)
    assert not list((tmp_path / "index" / "parts").glob("*part_0000*"))
    recorded = json.loads((tmp_path / "index" / "index.json").read_text())["parts"] \
        if (tmp_path / "index" / "index.json").exists() else {}
    assert not recorded
