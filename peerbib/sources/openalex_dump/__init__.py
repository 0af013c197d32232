"""OpenAlex's full data dump (what OpenAlex calls its snapshot): a slim Parquet index of it (DuckDB), and the
API's queries answered from it.

"Dump" here, so that "snapshot" means one thing in peerbib: its own frozen store of API answers
(:mod:`peerbib.snapshot`), which a fetch from the dump writes too.
"""
from .index import build_index
from .layout import read_layout
from .query import DumpIndex, LocalOpenAlex

__all__ = ["build_index", "read_layout", "DumpIndex", "LocalOpenAlex"]
