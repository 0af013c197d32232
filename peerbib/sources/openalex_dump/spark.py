"""The dump on Spark, for dumps that do not fit one machine: the same index and the same study
queries as DuckDB (:mod:`.sql` writes them once), one task per gzip part, the corpus ids broadcast.

``pip install 'peerbib[spark]'`` (PySpark 4; Java 17). On a cluster, give the
session your cluster's master and the dump and index on shared storage
(``spark-submit`` with ``peerbib dump index --engine spark``, or
:func:`build_index_spark` with your own ``SparkSession``); in a test or on a
laptop, ``local[N]``.
"""
from __future__ import annotations

import logging
import re
import shutil
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import unquote

from ...errors import DumpError
from ...settings import DUMP_MEMORY_GB
from .index import (INDEX_FORMAT, JSON_COLUMNS, check_records, finish_index, plan_index, remove_part_files,
                    write_manifest)
from .sql import citing_ids, doi_ids, latest_versions, projection

__all__ = ["spark_session", "build_index_spark", "study_spark", "spark_schema"]

logger = logging.getLogger(__name__)  # under "peerbib": the command shows its INFO lines


def spark_session(master: str = "local[2]", *, memory: str = f"{DUMP_MEMORY_GB}g"):
    """A SparkSession (``local[N]`` by default); an ImportError says how to install PySpark.

    ``memory`` is the driver's, in the JVM's spelling (``2g``; ``2GB`` is not one).
    """
    try:
        from pyspark.sql import SparkSession
    except ImportError as exc:
        raise DumpError("the Spark engine needs PySpark: python -m pip install 'peerbib[spark]' (and Java 17)") \
            from exc
    return (SparkSession.builder.master(master).appName("peerbib-dump")
            .config("spark.driver.memory", memory).config("spark.sql.session.timeZone", "UTC")
            .config("spark.ui.enabled", "false").config("spark.sql.shuffle.partitions", "8")
            .getOrCreate())


def spark_schema(columns: dict = JSON_COLUMNS) -> str:
    """The declared JSON columns as a Spark DDL schema (``STRUCT(a VARCHAR)[]`` -> ``ARRAY<STRUCT<a: STRING>>``)."""
    def convert(kind: str) -> str:
        kind = kind.strip()
        if kind.endswith("[]"):
            return f"ARRAY<{convert(kind[:-2])}>"
        match = re.fullmatch(r"STRUCT\((.*)\)", kind)
        if match:
            inner = _split(match.group(1))
            return "STRUCT<" + ", ".join(f"{f.split(' ', 1)[0]}: {convert(f.split(' ', 1)[1])}" for f in inner) + ">"
        return {"VARCHAR": "STRING", "INTEGER": "INT", "BOOLEAN": "BOOLEAN", "BIGINT": "BIGINT",
                "DOUBLE": "DOUBLE"}[kind]

    return ", ".join(f"`{name}` {convert(kind)}" for name, kind in columns.items())


def _split(text: str) -> list[str]:
    """Split ``a INT, b STRUCT(c INT, d INT)`` at its top-level commas."""
    parts, depth, current = [], 0, ""
    for char in text:
        depth += char == "("
        depth -= char == ")"
        if char == "," and depth == 0:
            parts.append(current.strip())
            current = ""
        else:
            current += char
    return parts + ([current.strip()] if current.strip() else [])


def _tag(relative: str) -> str:
    return re.sub(r"[^A-Za-z0-9]", "_", relative)


def build_index_spark(dump, out, *, spark=None, progress: bool = False) -> dict:
    """:func:`~.index.build_index` on Spark: the same index (``index.json``, one file set per part).

    Every part not yet indexed is read in one job (a task per gzip part), projected
    with the same SQL as DuckDB, and written as Parquet partitioned by part. The
    dump, the index folder and ``deleted_ids.csv`` are checked, and the deleted
    ids written, by the same code as DuckDB's (:func:`~.index.plan_index`,
    :func:`~.index.write_deleted`).
    With ``progress``, a line per part indexed is logged, as by DuckDB's.

    Raises
    ------
    DumpError
        As :func:`~.index.build_index`: among others for a part holding fewer records
        than the manifest says (not indexed; the others are) and an unreadable
        ``deleted_ids.csv``.
    """
    layout, out, indexed, todo = plan_index(dump, out)
    session = spark or spark_session()
    import pyspark
    from py4j.protocol import Py4JJavaError

    manifest = {"format": INDEX_FORMAT, "snapshot": layout.describe(), "engine": f"spark {pyspark.__version__}",
                "parts": indexed}
    short = []
    if todo:
        by_tag = {_tag(p.path.relative_to(layout.folder).as_posix()): (k, p) for k, p in todo.items()}
        raw = session.read.schema(spark_schema()).json([str(p.path) for p in todo.values()])
        raw.createOrReplaceTempView("raw_parts")
        source = ("(SELECT *, regexp_replace(regexp_extract(input_file_name(), '(updated_date=[^/]+/[^/]+)$', 1), "
                  "'[^A-Za-z0-9]', '_') AS part_tag, regexp_extract(input_file_name(), 'updated_date=([0-9-]+)', 1) "
                  "AS part_date FROM raw_parts) raw")
        frame = session.sql(projection("spark", source, "part_date", extra="part_tag"))
        staging = out / ".spark"
        shutil.rmtree(staging, ignore_errors=True)
        try:
            frame.write.partitionBy("part_tag").parquet(str(staging))
        except Py4JJavaError as exc:
            error = _read_error(exc)
            if error is None:
                raise
            raise error from exc
        for tag, (key, part) in by_tag.items():
            name = f"{part.updated_date}_{part.path.stem}_{key[:8]}"
            if key in indexed:  # indexed before, but a file of it is missing: its others go too
                remove_part_files(out, indexed.pop(key))
            files = sorted((staging / f"part_tag={tag}").glob("*.parquet"))
            if not files:  # a part with no record: an empty file keeps it indexed
                session.sql(projection("spark", "raw_parts", "''")).limit(0).coalesce(1).write.parquet(
                    str(staging / f"empty_{tag}"))
                files = sorted((staging / f"empty_{tag}").glob("*.parquet"))
            records = session.read.parquet(*[str(f) for f in files]).count()
            problem = check_records(part, int(records), layout.folder)
            if problem:  # left in staging, which goes below: the part is not indexed
                short.append(problem)
                continue
            names = [f"{name}-{i}.parquet" for i in range(len(files))]
            for file, target in zip(files, names):
                file.replace(out / "parts" / target)
            indexed[key] = {"url": part.url, "size": part.size, "records": int(records), "file": names[0],
                            "files": names, "updated_date": part.updated_date}
            if progress:
                logger.info("indexed %s (%s), %s records", part.path.name, part.updated_date, f"{records:,}")
        shutil.rmtree(staging, ignore_errors=True)
    manifest["indexed_at"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
    write_manifest(out, manifest)  # the parts indexed, without deletions yet: not opened for queries
    return finish_index(layout, out, manifest, short)


def _read_error(exc) -> DumpError | None:
    """A DumpError naming the part when Spark's ``exc`` (a Py4JJavaError) says it could not read a file
    of the dump (Spark's condition FAILED_READ_FILE: a gzip stream that is not one or is cut short),
    else None: anything else (a full disk, the JVM's memory) goes on as Spark raised it."""
    from py4j.protocol import Py4JError

    java = exc.java_exception
    try:
        condition = str(java.getCondition() or "")
        if not condition.startswith("FAILED_READ_FILE"):
            return None
        path = java.getMessageParameters().get("path")
        cause = java.getCause()
        reason = str(cause.toString()) if cause is not None else ""
    except Py4JError:  # a Java exception that is not Spark's (no getCondition): not a file Spark could not read
        return None
    where = unquote(re.sub(r"^file:(//)?", "", str(path))) if path else "a part of the dump"
    return DumpError(f"{where}: Spark could not read it ({reason.splitlines()[0] if reason else condition}); "
                     "download this part again")


def study_spark(index, dois, *, spark=None, include_xpac: bool = False) -> tuple[list[dict], list[dict]]:
    """The study queries on Spark: the corpus works with one of ``dois`` and the works citing them,
    newest versions, as :class:`~.query.DumpIndex` gives them (rows as dicts, ordered by id)."""
    session = spark or spark_session()
    index = Path(index).expanduser()
    session.read.parquet(str(index / "parts")).createOrReplaceTempView("versions")
    session.read.parquet(str(index / "deleted.parquet")).createOrReplaceTempView("deleted")
    session.createDataFrame([(d,) for d in sorted(set(dois))], "doi STRING").createOrReplaceTempView("wanted_dois")
    corpus = [r.asDict(recursive=True) for r in
              session.sql(latest_versions(doi_ids("wanted_dois"), include_xpac=include_xpac,
                                          where="doi IN (SELECT doi FROM wanted_dois)")).collect()]
    ids = sorted({r["id"] for r in corpus})
    session.createDataFrame([(i,) for i in ids], "id STRING").createOrReplaceTempView("wanted_ids")
    wanted = set(ids)
    citing = [r.asDict(recursive=True) for r in
              session.sql(latest_versions(citing_ids("spark", "wanted_ids"), include_xpac=include_xpac)).collect()]
    numbers = {int(i[1:]) for i in wanted}
    return corpus, [r for r in citing if numbers.intersection(r.get("reference_numbers") or [])]
