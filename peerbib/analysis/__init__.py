"""Analyses of the tables: descriptive counts (:mod:`.descriptive`) and topic clusters (:mod:`.clusters`)."""
