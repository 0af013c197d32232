"""The corpus: the works a researcher wants to study, read from CSV, BibTeX or RIS files.

The first stage of the pipeline (corpus -> sources -> snapshot -> statements
-> tables -> analysis -> reporting): it imports nothing from a later stage.
"""
from .csvfile import read_csv_rows
from .collect import corpus_files, read_corpora
from .read import CORPUS_COLUMNS, CORPUS_SUFFIXES, local_work_id, read_corpus

__all__ = ["read_corpus", "read_corpora", "corpus_files", "local_work_id", "read_csv_rows",
           "CORPUS_COLUMNS", "CORPUS_SUFFIXES"]
