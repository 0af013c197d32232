"""The gold corpus: citation statements from openly licensed papers, coded by two coders and adjudicated.

Shipped in ``peerbib/statements/data/gold/`` (its README says how it was
made): ``papers.csv`` (each paper's DOI, licence, source and split) and
``statements.csv`` (each statement, its context, the sample it was drawn in
and its probability of being drawn, both coders' codes and the adjudicated
one). :func:`gold_statements` reads them as one table: every row carries its
paper's DOI, licence, source and split (and the paper's journal and field),
and ``weight`` = 1 / the probability of
being drawn, which makes figures on the sample stand for all statements of
the papers (the candidate sample over-represents likely supporting and
contrasting statements on purpose).
"""
from __future__ import annotations

from functools import lru_cache
from importlib import resources

import pandas as pd

from ..errors import AnalysisError

__all__ = ["gold_statements", "gold_papers", "SAMPLES"]

SAMPLES = ("random", "candidate")


def _read(name: str) -> pd.DataFrame:
    path = resources.files("peerbib.statements").joinpath(f"data/gold/{name}")
    with path.open("r", encoding="utf-8") as handle:
        return pd.read_csv(handle, dtype="str", keep_default_na=False)


@lru_cache(maxsize=1)
def _papers() -> pd.DataFrame:
    return _read("papers.csv")


@lru_cache(maxsize=1)
def _statements() -> pd.DataFrame:
    statements = _read("statements.csv")
    papers = _papers()[["paper_id", "field", "journal", "title"]].rename(columns={"title": "paper_title"})
    frame = statements.merge(papers, on="paper_id", how="left", validate="many_to_one")
    for column in ("inclusion", "n_cited_in_sentence"):
        frame[column] = pd.to_numeric(frame[column])
    frame["weight"] = 1.0 / frame["inclusion"]
    frame["citing_id"] = frame["paper_id"]
    return frame


def gold_papers() -> pd.DataFrame:
    """The papers of the gold corpus: paper_id, DOI, title, journal, field, licence, source, split."""
    return _papers().copy()


def gold_statements(*, split: str | None = None, sample: str | None = None) -> pd.DataFrame:
    """The coded statements of the gold corpus (a copy), optionally of one split and one sample.

    Parameters
    ----------
    split : {None, "train", "test"}
        ``"test"`` is the papers held out before anything was fitted: report on them once.
    sample : {None, "random", "candidate"}
        Statements drawn in the random sample (every statement equally likely) or in the candidate
        sample (likely supporting and contrasting over-represented); a statement can be in both.

    Returns
    -------
    pandas.DataFrame
        One row per statement: statement_id, paper_id (also as citing_id), doi, licence, source,
        split, sample, inclusion, weight, the statement's columns (text, context_before,
        context_after, callout, section, section_heading, n_cited_in_sentence, cited), coder_a,
        coder_b and code (adjudicated).
    """
    frame = _statements()
    if split is not None:
        if split not in ("train", "test"):
            raise AnalysisError(f"split {split!r}: give 'train' or 'test'")
        frame = frame[frame["split"] == split]
    if sample is not None:
        if sample not in SAMPLES:
            raise AnalysisError(f"sample {sample!r}: give 'random' or 'candidate'")
        frame = frame[frame["sample"].str.contains(sample, regex=False)]
    return frame.reset_index(drop=True).copy()
