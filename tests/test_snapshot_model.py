"""The typed model of the snapshot's manifest: old manifests open, and a save writes what it read.

The manifests in ``fixtures/manifests/`` were written by peerbib's fetch before
the model existed (SYNTHETIC works; see SOURCES.md there).
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from peerbib.errors import SnapshotError
from peerbib.snapshot import MANIFEST, Snapshot
from peerbib.snapshot.model import (
    Copies,
    FetchRecord,
    FulltextItem,
    Manifest,
    Match,
    Page,
    QueryEntry,
    Refresh,
    Requested,
    SciteItem,
    Short,
    upgrade_v1,
)

MANIFESTS = Path(__file__).resolve().parent / "fixtures" / "manifests"
WRITTEN = sorted(MANIFESTS.glob("*.json"))


def _text(data: dict) -> str:
    """The manifest as the snapshot writes it."""
    return json.dumps(data, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


@pytest.mark.parametrize("path", WRITTEN, ids=lambda p: p.stem)
def test_a_manifest_written_before_the_model_round_trips_unchanged(path):
    text = path.read_text(encoding="utf-8")
    manifest = Manifest.from_json(json.loads(text))
    assert _text(manifest.to_json()) == text


@pytest.mark.parametrize("path", WRITTEN, ids=lambda p: p.stem)
def test_opening_and_saving_a_snapshot_changes_nothing_but_the_time_of_the_save(path, tmp_path):
    shutil.copy(path, tmp_path / MANIFEST)
    snap = Snapshot.open(tmp_path)
    assert not snap.changed
    snap.drop_queries([])  # marks the manifest changed without changing it
    snap.save(force=True)
    before, after = json.loads(path.read_text()), json.loads((tmp_path / MANIFEST).read_text())
    assert after.pop("updated") >= before.pop("updated")
    assert after == before


def test_the_flags_are_typed_fields():
    short = Manifest.from_json(json.loads((MANIFESTS / "short_capped_copies.json").read_text()))
    entries = {q.label: q for q in short.queries}
    cut = [q for q in short.queries if q.short is not None]
    assert len(cut) == 1 and isinstance(cut[0].short, Short)
    assert not cut[0].complete and cut[0].short.received < cut[0].short.count
    capped = [q for q in short.queries if q.capped is not None]
    assert capped and all(isinstance(q.capped, int) and not q.complete for q in capped)
    pages = [page for q in short.queries for page in q.pages]
    assert all(isinstance(page, Page) and len(page.sha256) == 64 for page in pages)
    with_copies = [page for page in pages if page.copies is not None]
    assert with_copies and all(isinstance(p.copies, Copies) and len(p.copies.ids) == p.copies.records
                               for p in with_copies)
    assert all(entry.items and entry.kind for entry in entries.values())

    refresh = Manifest.from_json(json.loads((MANIFESTS / "interrupted_refresh.json").read_text()))
    assert isinstance(refresh.refresh, Refresh) and refresh.refresh.from_generation == 2
    assert refresh.pending and all(q.pending and not q.complete and q.next_cursor for q in refresh.pending)
    assert not any(q.pending or q.has("pending") for q in refresh.queries)

    fetched = Manifest.from_json(json.loads((MANIFESTS / "fetched.json").read_text()))
    items = [item for sources in fetched.fulltext.values() for item in sources.values()]
    assert all(isinstance(item, FulltextItem) for item in items)
    assert sum(item.readable for item in items) == 3 and sum(item.status == 404 for item in items) == 1
    assert all(isinstance(item, SciteItem) and item.dois for item in fetched.scite.values())
    assert [(m.method, type(m)) for m in fetched.matches] == [("title", Match)]
    assert isinstance(fetched.requested, Requested) and fetched.requested.dois
    assert all(isinstance(f, FetchRecord) for f in fetched.fetches)
    assert [f.search for f in fetched.fetches] == [None, "recovery colleges"]  # a rerun that asked nothing logs nothing
    assert fetched.queries[0].selected is None or isinstance(fetched.queries[0].selected, set)


V1_ENTRY = {
    "key": "0123abcd", "kind": "doi", "role": "corpus", "items": ["10.1/a", "10.2/b"],
    "path": "/works", "params": {"filter": "doi:10.1/a|10.2/b", "select": "id,doi", "per_page": 50, "cursor": None},
    "pages": [{"file": "pages/0123abcd/r-00001.jsonl.gz", "sha256": "0" * 64, "records": 2}],
    "records": 2, "complete": True,
}


def test_a_version_1_entry_is_read_in_the_version_2_form():
    upgraded = {k: v for k, v in V1_ENTRY.items() if k not in ("path", "params")} | {
        "url": "https://api.openalex.org/works?filter=doi:10.1/a|10.2/b&per_page=50&select=id,doi",
        "select": ["id", "doi"], "per_page": 50, "generation": 0}
    assert upgrade_v1(V1_ENTRY) == upgraded
    manifest = Manifest.from_json({"format": "peerbib-openalex-snapshot", "format_version": 1,
                                   "queries": [V1_ENTRY]})
    entry = manifest.queries[0]
    assert entry.url == upgraded["url"] and entry.select == ("id", "doi") and entry.selected == {"id", "doi"}
    assert entry.per_page == 50 and entry.generation == 0 and entry.complete
    assert entry.to_json() == upgraded  # no path or params left
    # a version 2 entry is left as it is
    assert upgrade_v1(upgraded) is upgraded


def test_a_version_1_snapshot_opens_and_is_saved_as_version_2(tmp_path):
    (tmp_path / MANIFEST).write_text(json.dumps({"format": "peerbib-openalex-snapshot", "format_version": 1,
                                                 "created": "2024-01-01T00:00:00+00:00", "queries": [V1_ENTRY]}))
    snap = Snapshot.open(tmp_path)
    assert snap.query("0123abcd").url.endswith("select=id,doi") and snap.fulltext() == {}
    snap.drop_queries([])
    snap.save(force=True)
    saved = json.loads((tmp_path / MANIFEST).read_text())
    assert saved["format_version"] == 2 and "path" not in saved["queries"][0]
    assert saved["queries"][0]["url"].startswith("https://api.openalex.org/works?filter=")
    assert {"pending", "matches", "fulltext", "scite", "fetches"} <= set(saved)


def test_keys_are_kept_as_they_were_written_absent_null_or_unknown():
    data = {"key": "k", "pages": [], "records": 0, "complete": False, "capped": None, "from_the_future": [1, 2]}
    entry = QueryEntry.from_json(data)
    assert entry.to_json() == data
    assert entry.has("capped") and not entry.has("short") and entry.short is None
    finished = entry.with_(short=Short.make(received=3, count=9), next_cursor=None)
    assert finished.to_json() == data | {"short": {"received": 3, "count": 9}, "next_cursor": None}
    assert entry.to_json() == data  # frozen: the old record is unchanged
    assert finished.without("capped").to_json() == {k: v for k, v in finished.to_json().items() if k != "capped"}
    with pytest.raises(AttributeError):
        entry.records = 3  # noqa: frozen


@pytest.mark.parametrize("change, message", [
    (lambda m: m.update(queries={}), "queries is a dict, not a list"),
    (lambda m: m["queries"][0]["pages"][0].update(file="pages/../../outside.jsonl.gz"), "not a path inside"),
    (lambda m: m["fulltext"].update(W1=["not", "a", "record"]), "not a record per source"),
])
def test_a_damaged_manifest_is_refused_with_what_is_wrong(tmp_path, change, message):
    data = json.loads((MANIFESTS / "fetched.json").read_text())
    change(data)
    (tmp_path / MANIFEST).write_text(json.dumps(data))
    with pytest.raises(SnapshotError, match=message):
        Snapshot.open(tmp_path)


def test_files_found_intact_are_remembered_by_the_snapshot_object_not_the_process(tmp_path, monkeypatch):
    import peerbib.snapshot.pages as pages
    import peerbib.snapshot.store as store
    from peerbib.files import atomic_write
    from peerbib.snapshot import encode_page

    snap = Snapshot.open(tmp_path, create=True)
    entry = snap.start_query("k", {"kind": "cites", "items": ["W1"]})
    for n in range(3):
        entry = snap.add_page(entry, [{"id": f"https://openalex.org/W{10 + n}"}], {"status": 200}, run="r")
    hashed = []
    original = pages.sha256_file
    monkeypatch.setattr(pages, "sha256_file", lambda path: hashed.append(path) or original(path))
    assert snap.pages_intact(entry) and snap.pages_intact(entry)
    assert len(hashed) == 3  # once per file for this object
    other = Snapshot(tmp_path, snap.manifest)
    assert other.pages_intact(other.query("k")) and len(hashed) == 6  # a new object checks again
    assert not hasattr(store, "_VERIFIED") and not hasattr(pages, "_VERIFIED")
    atomic_write(tmp_path / entry.pages[0].file, encode_page([]))  # changed since: checked again, found changed
    assert not snap.pages_intact(entry)
