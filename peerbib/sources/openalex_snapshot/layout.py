"""The files of a downloaded OpenAlex snapshot of works, found from its manifest.

Two layouts (OpenAlex's snapshot documentation, 2026):

- **current**: ``data/jsonl/works/`` (or ``data/parquet/works/``) holding
  ``updated_date=YYYY-MM-DD/part_NNNN.gz`` and a ``manifest.json`` written
  last: ``{date, format, entity, record_count, content_length,
  files: [{url, meta: {content_length, record_count}}]}``;
- **legacy**: ``legacy-data/works/`` with a Redshift-style ``manifest``
  ``{entries: [{url, meta: {content_length, record_count}}]}``.

Each file's URL (``s3://openalex/data/jsonl/works/updated_date=…/part_0000.gz``)
is found under the folder given, by the part of the URL after ``/works/``.
Deletions come as ``deleted_ids.csv(.gz)`` beside the parts.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from ...errors import SnapshotError

__all__ = ["SnapshotPart", "SnapshotLayout", "read_layout"]

_DATE = re.compile(r"updated_date=(\d{4}-\d{2}-\d{2})")


@dataclass(frozen=True)
class SnapshotPart:
    """One file of the snapshot: where the manifest says it is, where it is here, its size and records."""

    url: str
    path: Path
    size: int | None
    records: int | None
    updated_date: str


@dataclass
class SnapshotLayout:
    folder: Path
    layout: str  # "current" or "legacy"
    format: str  # "jsonl" or "parquet"
    release: str | None  # the manifest's date (current layout), else the newest partition
    record_count: int | None
    parts: list
    deleted: Path | None

    def describe(self) -> dict:
        return {"layout": self.layout, "format": self.format, "release": self.release,
                "record_count": self.record_count, "parts": len(self.parts)}


def _manifest(folder: Path) -> tuple[str, dict]:
    for name, layout in (("manifest.json", "current"), ("manifest", "legacy")):
        path = folder / name
        if path.is_file():
            try:
                return layout, json.loads(path.read_text(encoding="utf-8"))
            except ValueError as exc:
                raise SnapshotError(f"{path} is not JSON ({exc}): download the snapshot's manifest again") from None
    raise SnapshotError(
        f"no manifest.json (or legacy manifest) in {folder}: give the works folder of the snapshot, e.g. "
        "the DIR of `aws s3 sync s3://openalex/data/jsonl/works DIR --no-sign-request`; OpenAlex writes "
        "the manifest last, so a download without it is not finished"
    )


def _local(folder: Path, url: str) -> Path:
    tail = url.split("/works/", 1)[1] if "/works/" in url else url.rsplit("/", 2)[-2] + "/" + url.rsplit("/", 1)[-1]
    return folder / tail


def read_layout(folder) -> SnapshotLayout:
    """The parts of the snapshot in ``folder``, checked to be there with the size the manifest gives.

    Raises
    ------
    SnapshotError
        When the manifest is missing or unreadable, or a part is missing or has another size
        (an interrupted download): the message names the first few and says to sync again.
    """
    folder = Path(folder).expanduser()
    if not folder.is_dir():
        raise SnapshotError(f"{folder} is not a folder: give the works folder of an OpenAlex snapshot")
    layout, manifest = _manifest(folder)
    entries = manifest.get("files") if layout == "current" else manifest.get("entries")
    if not isinstance(entries, list) or not entries:
        raise SnapshotError(f"the manifest in {folder} lists no files")
    parts, problems = [], []
    for entry in entries:
        url = str(entry.get("url", ""))
        meta = entry.get("meta") or {}
        path = _local(folder, url)
        size = meta.get("content_length")
        date = _DATE.search(url)
        if not path.is_file():
            problems.append(f"{path.relative_to(folder)} is missing")
            continue
        if size is not None and path.stat().st_size != int(size):
            problems.append(f"{path.relative_to(folder)} has {path.stat().st_size:,} bytes, the manifest {int(size):,}")
            continue
        parts.append(SnapshotPart(url, path, int(size) if size is not None else path.stat().st_size,
                                  meta.get("record_count"), date.group(1) if date else "0000-00-00"))
    if problems:
        more = f" (and {len(problems) - 3} more)" if len(problems) > 3 else ""
        raise SnapshotError(f"the snapshot in {folder} is incomplete: {'; '.join(problems[:3])}{more}; "
                            "sync it again (aws s3 sync … --no-sign-request resumes)")
    formats = {"parquet" if p.path.suffix == ".parquet" else "jsonl" for p in parts}
    fmt = manifest.get("format") or (formats.pop() if len(formats) == 1 else "jsonl")
    deleted = next((p for p in (folder / "deleted_ids.csv.gz", folder / "deleted_ids.csv") if p.is_file()), None)
    release = manifest.get("date") or max((p.updated_date for p in parts), default=None)
    return SnapshotLayout(folder, layout, "parquet" if "parquet" in str(fmt) else "jsonl", release,
                          manifest.get("record_count"), sorted(parts, key=lambda p: (p.updated_date, p.url)), deleted)
