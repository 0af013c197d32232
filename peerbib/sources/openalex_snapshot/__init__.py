"""The full OpenAlex snapshot: a slim Parquet index of it (DuckDB), and the API's queries answered from it."""
from .index import build_index
from .layout import read_layout
from .query import LocalOpenAlex, SnapshotIndex

__all__ = ["build_index", "read_layout", "SnapshotIndex", "LocalOpenAlex"]
