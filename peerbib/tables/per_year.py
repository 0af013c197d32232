"""Citations per year, under the two definitions peerbib can give."""
from __future__ import annotations

import pandas as pd

from .schema import empty_table

__all__ = ["DEF_OPENALEX", "DEF_COUNTED", "DEFINITIONS", "per_year"]

#: OpenAlex's ``counts_by_year``: about the last ten years, for fetched corpus works.
DEF_OPENALEX = "openalex counts_by_year"
#: The citing works in the ``citations`` table, counted by their publication year.
DEF_COUNTED = "counted citing works"
DEFINITIONS = (DEF_OPENALEX, DEF_COUNTED)


def per_year(works: pd.DataFrame, citations: pd.DataFrame, counts_by_year: pd.DataFrame | None) -> pd.DataFrame:
    """Citations per year under two definitions, zero years filled.

    ``openalex counts_by_year``: OpenAlex's counts, which cover only its recent
    window (about ten years) and omit zero years. Every corpus work fetched
    from OpenAlex gets a row for each year of that window from its
    publication year on, zero where OpenAlex lists nothing.

    ``counted citing works``: the citing works in ``citations`` counted by
    their publication year, for each cited work from its publication year
    (or its first citation, if earlier or unknown) to the last year any
    citation in the table was counted.
    """
    frames = []
    published = dict(zip(works["work_id"], works["publication_year"]))
    if counts_by_year is not None and len(counts_by_year):
        window = (int(counts_by_year["year"].min()), int(counts_by_year["year"].max()))
        fetched_corpus = works.loc[
            works["is_corpus"].fillna(False).astype(bool) & works["source"].str.startswith("openalex"), "work_id"
        ]
        frames.append(_fill_years(counts_by_year, DEF_OPENALEX, published, window, also=fetched_corpus))
    if len(citations):
        edges = citations.assign(year=citations["citing_id"].map(published)).dropna(subset=["year"])
        if len(edges):
            counted = edges.groupby(["cited_id", "year"]).size().rename("citations").reset_index()
            counted = counted.rename(columns={"cited_id": "work_id"})
            window = (int(counted["year"].min()), int(counted["year"].max()))
            frames.append(_fill_years(counted, DEF_COUNTED, published, window, clip_start=False))
    if not frames:
        return empty_table("citations_per_year")
    return pd.concat(frames, ignore_index=True)


def _fill_years(counts: pd.DataFrame, definition: str, published: dict, window: tuple[int, int], *,
                also=(), clip_start: bool = True) -> pd.DataFrame:
    """One row per work and year from the work's start to the window's end.

    A work starts at its publication year, moved to the window's first year
    when ``clip_start`` (the source does not cover earlier years), and never
    later than its first counted citation.
    """
    first, last = window
    by_work: dict[str, dict[int, int]] = {str(w): {} for w in also}
    for work_id, year, n in zip(counts["work_id"], counts["year"], counts["citations"]):
        by_work.setdefault(str(work_id), {})[int(year)] = int(n)
    work_ids, years_out, citations_out = [], [], []
    for work_id in sorted(by_work):
        years = by_work[work_id]
        start = published.get(work_id)
        start = int(start) if not pd.isna(start) else (min(years) if years else first)
        if clip_start:
            start = max(start, first)
        if years:
            start = min(start, min(years))
        for year in range(start, max(last, max(years, default=last)) + 1):
            work_ids.append(work_id)
            years_out.append(year)
            citations_out.append(years.get(year, 0))
    return pd.DataFrame({"work_id": work_ids, "year": years_out, "citations": citations_out,
                         "definition": definition})
