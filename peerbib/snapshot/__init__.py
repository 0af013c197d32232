"""The frozen OpenAlex snapshot in ``data/raw/openalex``: fetching it, storing it, reading it.

:func:`fetch` (in :mod:`.fetching`) fills the snapshot from the sources,
one phase a module (``fetch_*``) over one :class:`~.fetch_run.FetchRun`;
:mod:`.store` keeps its files and manifest, whose records :mod:`.model`
types; :func:`snapshot_tables` (in :mod:`.read`) streams it into flat tables
for the build.
"""
from .fetching import FetchSummary, fetch
from .read import SnapshotTables, snapshot_tables
from .store import MANIFEST, Snapshot, encode_page

__all__ = ["fetch", "FetchSummary", "snapshot_tables", "SnapshotTables", "Snapshot", "MANIFEST", "encode_page"]
