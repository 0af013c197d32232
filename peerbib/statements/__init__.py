"""Citation statements: sentences of citing papers that cite a corpus work, and their types.

Between the snapshot and the tables in the pipeline. Statements come from
the full text of citing works in the snapshot (:mod:`.fulltext`: GROBID TEI
and publisher JATS read into one :mod:`.document` model, sentences that cite
a corpus work found by :mod:`.extract`) and from files a researcher supplies
(:mod:`.importers`: scite and Semantic Scholar exports, tallies). Each gets
a citation type from an open classifier (:mod:`.classify`; trained by
:mod:`.train` on the gold corpus, :mod:`.gold`, or on a user's own codes from
the hand-coding loop, :mod:`.coding`); :mod:`.tallies` counts them and
:mod:`.coverage` says how much of the citing literature they cover. The
tables stage turns them into the ``statements`` and ``tallies`` tables.
"""
from .importers import read_statement_files, read_tally_files, statement_files
from .sections import CITATION_TYPES, SECTIONS, normalize_section, normalize_type, statement_id

__all__ = ["SECTIONS", "CITATION_TYPES", "normalize_section", "normalize_type", "statement_id",
           "read_statement_files", "read_tally_files", "statement_files"]
