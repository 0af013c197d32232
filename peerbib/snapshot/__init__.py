"""The frozen OpenAlex snapshot in ``data/raw/openalex``: fetching it, storing it, reading it.

:func:`fetch` (in :mod:`.fetching`) fills the snapshot from the sources;
:mod:`.store` keeps its files and manifest; :func:`snapshot_tables` (in
:mod:`.read`) streams it into flat tables for the build.
"""
from .fetching import FetchSummary, fetch
from .read import snapshot_tables
from .store import MANIFEST, Snapshot, encode_page

__all__ = ["fetch", "FetchSummary", "snapshot_tables", "Snapshot", "MANIFEST", "encode_page"]
