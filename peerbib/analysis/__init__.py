"""Analyses of the tables, each ``plot_*`` beside the function that returns its data.

Descriptive counts and citations per year (:mod:`.descriptive`), citation
types (:mod:`.citation_types`), topic clusters (:mod:`.clusters`), and the
tables, sentences and colours the report pages show them with (:mod:`.present`).
"""
