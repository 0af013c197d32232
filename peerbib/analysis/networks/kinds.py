"""The units of each network kind: which (document, unit) pairs a kind counts and what each unit is.

:data:`KINDS` says which units each kind can be drawn for; ``_BUILDERS`` maps a
(kind, unit) to the function reading its pairs from the tables as a
``_Units`` (the pairs, a way to describe the units, and the words of the
network's note). :mod:`.build` multiplies the pairs into edges, and
:mod:`.trace` reads them again to list the works behind an edge.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import pandas as pd

from ...errors import AnalysisError
from .units import corpus_works, normal_key, references, require_table, work_labels, work_units, work_urls

__all__ = ["KINDS"]

#: kind -> the units it can be drawn for (the first is the default where ``unit`` does not fit).
KINDS = {
    "citation": ("works",),
    "cocitation": ("works", "sources"),
    "coupling": ("works", "authors", "sources", "institutions", "countries"),
    "coauthorship": ("authors", "institutions", "countries"),
    "cooccurrence": ("keywords", "mesh", "topics"),
}


@dataclass
class _Units:
    pairs: pd.DataFrame  # doc, unit_id: one row per document carrying a unit
    describe: Callable  # ids -> DataFrame(label, works, citations, year, url) indexed by id
    documents: str  # what the documents are ("corpus works", "references")
    occurrences: str  # what a unit's weight counts
    units: str  # what the units are, for the note
    pair: str  # what an edge's count counts
    extra: str = ""  # more for the note


def _work_details(works: pd.DataFrame, ids: pd.Index) -> pd.DataFrame:
    """label, citations, year, url of the works ``ids`` found in ``works`` (indexed by id)."""
    found = works[works["work_id"].astype("str").isin(ids)].drop_duplicates("work_id")
    found = found.assign(work_id=found["work_id"].astype("str")).reset_index(drop=True)
    cited = found["cited_by_count"] if "cited_by_count" in found.columns else pd.Series([pd.NA] * len(found))
    year = found["publication_year"] if "publication_year" in found.columns else pd.Series([pd.NA] * len(found))
    return pd.DataFrame({
        "label": work_labels(found).to_numpy(),
        "citations": pd.array(cited, dtype="Float64"),
        "year": pd.array(year, dtype="Int64"),
        "url": work_urls(found["work_id"], found["doi"] if "doi" in found.columns else None).to_numpy(),
    }, index=pd.Index(found["work_id"], name="id"))


def _reference_details(tables, ids: pd.Index) -> pd.DataFrame:
    """label, year, url of cited works ``ids`` that the works table lacks, from what their references say."""
    refs = require_table(tables, "references", "co-citation")
    rows = refs[refs["cited_id"].astype("str").isin(ids)].drop_duplicates("cited_id")
    column = lambda name: rows[name] if name in rows.columns else pd.Series([pd.NA] * len(rows))  # noqa: E731
    pseudo = pd.DataFrame({"work_id": rows["cited_id"].astype("str").to_numpy(),
                           "title": pd.Series(column("cited_title").to_numpy(), dtype="str"),
                           "publication_year": pd.array(pd.to_numeric(column("cited_year"), errors="coerce"),
                                                        dtype="Float64").round().astype("Int64")})
    return pd.DataFrame({
        "label": work_labels(pseudo).to_numpy(),
        "citations": pd.array([pd.NA] * len(pseudo), dtype="Float64"),
        "year": pseudo["publication_year"].to_numpy(),
        "url": work_urls(pseudo["work_id"], pd.Series(column("cited_doi").to_numpy(), dtype="str")).to_numpy(),
    }, index=pd.Index(pseudo["work_id"], name="id"))


def _cited_work_details(tables, ids: pd.Index) -> pd.DataFrame:
    known = _work_details(require_table(tables, "works", "co-citation"), ids)
    rest = ids.difference(known.index)
    if len(rest):
        known = pd.concat([known, _reference_details(tables, rest)])
    return known


def _aggregate_details(tables, work_unit: pd.DataFrame, ids: pd.Index) -> pd.DataFrame:
    """label, works, citations of aggregated units (authors, sources, ...) from their corpus works."""
    chosen = work_unit[work_unit["unit_id"].isin(ids)]
    works = corpus_works(tables)
    cited = pd.Series(pd.array(works["cited_by_count"], dtype="Float64"), index=works["work_id"]) \
        if "cited_by_count" in works.columns else pd.Series(dtype="Float64")
    cited = cited[~cited.index.duplicated()]
    per_work = chosen.assign(citations=chosen["work_id"].map(cited))
    grouped = per_work.groupby("unit_id", sort=False)
    out = pd.DataFrame({"label": grouped["label"].first(), "works": grouped["work_id"].nunique(),
                        "citations": grouped["citations"].sum(min_count=1)})
    out["year"] = pd.array([pd.NA] * len(out), dtype="Int64")
    out["url"] = pd.Series([pd.NA] * len(out), dtype="str", index=out.index)
    out.index.name = "id"
    return out


def _refs_with_details(tables, what: str) -> pd.DataFrame:
    pairs = references(tables, what)
    if not len(pairs):
        raise AnalysisError(f"{what} needs references of the corpus works, and tables.references holds none for "
                            "them: fetch the corpus from OpenAlex (peerbib fetch, then peerbib build), or add "
                            "exports that carry their cited references (Web of Science with CR, Scopus with References)")
    return pairs


def _reference_note(tables, pairs: pd.DataFrame) -> str:
    n_corpus = len(corpus_works(tables))
    citing = pairs["citing_id"].nunique()
    return (f"{len(pairs):,} references of {citing:,} corpus works"
            + (f" ({n_corpus - citing:,} of {n_corpus:,} have no reference in the tables)" if citing < n_corpus
               else ""))


def _cocitation_works(tables) -> _Units:
    pairs = _refs_with_details(tables, "co-citation")

    def describe(ids):
        return _cited_work_details(tables, ids)

    return _Units(pd.DataFrame({"doc": pairs["citing_id"], "unit_id": pairs["cited_id"]}), describe,
                  "corpus works", "corpus works citing it", "cited works", "corpus works citing both",
                  _reference_note(tables, pairs))


def _cocitation_sources(tables) -> _Units:
    pairs = _refs_with_details(tables, "co-citation of sources")
    refs = require_table(tables, "references", "co-citation of sources")
    works = require_table(tables, "works", "co-citation of sources")
    venue = pd.Series(dtype="str")
    if "cited_venue" in refs.columns:
        given = refs[["cited_id", "cited_venue"]].dropna().astype("str").drop_duplicates("cited_id")
        venue = pd.Series(given["cited_venue"].to_numpy(), index=given["cited_id"].to_numpy(), dtype="str")
    if "venue" in works.columns:
        known = works[["work_id", "venue"]].dropna().astype("str").drop_duplicates("work_id")
        known = known[~known["work_id"].isin(venue.index)]
        venue = pd.concat([venue, pd.Series(known["venue"].to_numpy(), index=known["work_id"].to_numpy(),
                                            dtype="str")])
    named = pd.Series(pairs["cited_id"].map(venue).to_numpy(), dtype="str")
    frame = pd.DataFrame({"doc": pairs["citing_id"].to_numpy(), "label": named.str.strip()})
    frame = frame[frame["label"].notna() & (frame["label"] != "")]
    if not len(frame):
        raise AnalysisError("co-citation of sources needs the venues of the cited works (references.cited_venue "
                            "or works.venue), and these tables have none: use unit='works'")
    frame["unit_id"] = normal_key(frame["label"]).to_numpy()
    labels = (frame.groupby(["unit_id", "label"]).size().rename("n").reset_index()
              .sort_values(["unit_id", "n", "label"], ascending=[True, False, True], kind="mergesort")
              .drop_duplicates("unit_id").set_index("unit_id")["label"])
    units = frame[["doc", "unit_id"]].drop_duplicates().reset_index(drop=True)
    named_share = f"{len(frame):,} of {len(pairs):,} references with a known venue"

    def describe(ids):
        return pd.DataFrame({"label": labels.reindex(ids).to_numpy(),
                             "citations": pd.array([pd.NA] * len(ids), dtype="Float64"),
                             "year": pd.array([pd.NA] * len(ids), dtype="Int64"),
                             "url": pd.Series([pd.NA] * len(ids), dtype="str").to_numpy()},
                            index=pd.Index(ids, name="id"))

    return _Units(units, describe, "corpus works", "corpus works citing it", "cited sources (venues)",
                  "corpus works citing both", f"{_reference_note(tables, pairs)}; {named_share}")


def _coupling(unit: str):
    def build(tables) -> _Units:
        pairs = _refs_with_details(tables, "bibliographic coupling")
        note = _reference_note(tables, pairs)
        if unit == "works":
            works = corpus_works(tables)

            def describe(ids):
                out = _work_details(works, ids)
                return out.assign(works=1)

            return _Units(pd.DataFrame({"doc": pairs["cited_id"], "unit_id": pairs["citing_id"]}), describe,
                          "references", "references it cites", "corpus works", "references both cite", note)
        carried = work_units(tables, unit)
        joined = pairs.merge(carried[["work_id", "unit_id"]], left_on="citing_id", right_on="work_id")
        units = pd.DataFrame({"doc": joined["cited_id"].to_numpy(), "unit_id": joined["unit_id"].to_numpy()})
        units = units.drop_duplicates().reset_index(drop=True)

        def describe(ids):
            return _aggregate_details(tables, carried, ids)

        return _Units(units, describe, "references", "distinct references its works cite", unit,
                      "references both cite", f"{note}; {unit} from {carried.attrs.get('source', unit)}")

    return build


def _carried(unit: str, occurrences: str, pair: str):
    def build(tables) -> _Units:
        carried = work_units(tables, unit)
        if not len(carried):
            raise AnalysisError(f"no corpus work has {unit} in these tables ({carried.attrs.get('source', unit)} "
                                f"is empty): use another unit or fetch the corpus (peerbib fetch, then peerbib build)")
        n_corpus = len(corpus_works(tables))

        def describe(ids):
            return _aggregate_details(tables, carried, ids)

        return _Units(pd.DataFrame({"doc": carried["work_id"], "unit_id": carried["unit_id"]}), describe,
                      "corpus works", occurrences, unit, pair,
                      f"{carried['work_id'].nunique():,} of {n_corpus:,} corpus works with {unit} "
                      f"({carried.attrs.get('source', unit)})")

    return build


#: (kind, unit) -> how its (document, unit) pairs are read.
_BUILDERS: dict[tuple[str, str], Callable[..., _Units]] = {
    ("cocitation", "works"): _cocitation_works,
    ("cocitation", "sources"): _cocitation_sources,
    **{("coupling", unit): _coupling(unit) for unit in KINDS["coupling"]},
    **{("coauthorship", unit): _carried(unit, "works", "works written together")
       for unit in KINDS["coauthorship"]},
    **{("cooccurrence", unit): _carried(unit, "works carrying it", "works carrying both")
       for unit in KINDS["cooccurrence"]},
}
