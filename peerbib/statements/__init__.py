"""Citation statements: sentences of citing papers that cite a corpus work, and their types.

Between the snapshot and the tables in the pipeline: statements come from
files a researcher supplies (:mod:`.importers`) and, as the full-text wing
arrives, from the full text in the snapshot; the tables stage turns them into
the ``statements`` and ``tallies`` tables.
"""
from .importers import read_statement_files, read_tally_files, statement_files
from .sections import CITATION_TYPES, SECTIONS, normalize_section, normalize_type, statement_id

__all__ = ["SECTIONS", "CITATION_TYPES", "normalize_section", "normalize_type", "statement_id",
           "read_statement_files", "read_tally_files", "statement_files"]
