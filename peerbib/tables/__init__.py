"""The processed tables: built from the raw data (:mod:`.building`), loaded (:mod:`.loading`).

``works``, ``citations``, ``citations_per_year``, ``statements``, ``tallies``:
flat DataFrames with the columns of :data:`.schema.SCHEMAS`, stored as
Parquet in ``data/processed``.
"""
from .building import BUILD_INFO, build, make_tables
from .inputs import raw_fingerprint
from .loading import load, needs_build
from .per_year import DEF_COUNTED, DEF_OPENALEX
from .schema import SCHEMAS, Tables

__all__ = ["Tables", "build", "load", "make_tables", "needs_build", "raw_fingerprint", "BUILD_INFO", "SCHEMAS",
           "DEF_OPENALEX", "DEF_COUNTED"]
