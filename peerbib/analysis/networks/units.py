"""What a network's nodes are read from: the corpus works, their references, and the units they carry.

Every unit is read as a long table of ``work_id, unit_id, label`` pairs (one
row per corpus work and unit it carries, no repeats), so that networks and
indicators count the same things the same way. Ids are normalised where the
data gives only names (venues, keywords, authors without an OpenAlex id):
case and spacing do not make two units; the label is the form most often
written.

Columns a table may lack (``keywords``, ``mesh``, ``topics``, ``is_retracted``,
``fwci`` of ``works``; the ``references`` and ``authorships`` tables
themselves) are read as missing, and an analysis that needs one says so.
"""
from __future__ import annotations

import re

import numpy as np
import pandas as pd

from ...corpus.names import name_key
from ...errors import AnalysisError
from ..display import display_author, display_titles

__all__ = ["UNIT_SOURCES", "corpus_works", "corpus_ids", "references", "local_citations_edges", "work_units",
           "work_labels", "work_urls", "split_list", "normal_key", "require_table", "year_now"]

#: unit -> where it is read from, in words (for messages, and notes that report pages show).
UNIT_SOURCES = {
    "works": "the corpus works",
    "authors": "the authors of each work",
    "institutions": "the authors' affiliations",
    "countries": "the countries of the authors' affiliations",
    "sources": "the venue of each work",
    "keywords": "the keywords of each work",
    "mesh": "the MeSH terms of each work",
    "topics": "OpenAlex's topics of each work",
}

_SPACES = re.compile(r"\s+")
_KEY_PUNCTUATION = re.compile(r"[.,;:'\"()\[\]]")


def year_now() -> int:
    """This year (for ages and m-indices that are not given an ``as_of`` year)."""
    import datetime

    return datetime.date.today().year


def require_table(tables, name: str, what: str) -> pd.DataFrame:
    """``tables.<name>``, or an AnalysisError saying what holds it."""
    frame = getattr(tables, name, None)
    if frame is None and isinstance(tables, dict):
        frame = tables.get(name)
    if frame is None:
        if name == "works":
            raise AnalysisError(f"{what} needs the built tables (pb.load())")
        raise AnalysisError(f"{what} needs tables.{name}, which these tables lack: build them from a fetched "
                            f"snapshot (peerbib fetch, then peerbib build) to get it")
    return frame


def _optional(tables, name: str) -> pd.DataFrame | None:
    frame = getattr(tables, name, None)
    if frame is None and isinstance(tables, dict):
        frame = tables.get(name)
    return frame


def corpus_works(tables) -> pd.DataFrame:
    """The corpus works (``works.is_corpus``; every work when the column is missing), ids as ``str``."""
    works = require_table(tables, "works", "this analysis")
    if "is_corpus" in works.columns:
        works = works[works["is_corpus"].fillna(False).astype(bool)]
    return works.assign(work_id=works["work_id"].astype("str")).reset_index(drop=True)


def corpus_ids(tables) -> pd.Index:
    return pd.Index(corpus_works(tables)["work_id"].unique())


def normal_key(values: pd.Series) -> pd.Series:
    """Ids for names: lower case, punctuation dropped, spaces collapsed ("Gillard,  S." -> "gillard s")."""
    text = values.astype("str").str.casefold().str.replace(_KEY_PUNCTUATION, " ", regex=True)
    return text.str.replace(_SPACES, " ", regex=True).str.strip()


def split_list(values: pd.Series) -> pd.Series:
    """A "a; b" column exploded to one stripped, non-empty value per row (the index repeats)."""
    values = values.dropna().astype("str")
    if not len(values):
        return pd.Series([], dtype="str")
    parts = values.str.split(";").explode().str.strip()
    return parts[parts.notna() & (parts != "")]


def _most_written(ids: pd.Series, labels: pd.Series) -> pd.Series:
    """unit id -> the label written most often for it (ties: the first in sort order)."""
    frame = pd.DataFrame({"unit_id": ids.to_numpy(), "label": labels.to_numpy()}).dropna()
    counts = frame.groupby(["unit_id", "label"], sort=True).size().rename("n").reset_index()
    counts = counts.sort_values(["unit_id", "n", "label"], ascending=[True, False, True], kind="mergesort")
    return counts.drop_duplicates("unit_id").set_index("unit_id")["label"]


def _named_units(work_ids: pd.Series, names: pd.Series, *, keyed: bool = True, upper: bool = False,
                 people: bool = False) -> pd.DataFrame:
    """``work_id, unit_id, label`` from a column of "a; b" names (ids made by :func:`normal_key`; for
    ``people``, by :func:`peerbib.corpus.names.name_key`, shown as "Surname, I.")."""
    parts = split_list(names)
    owners = work_ids.loc[parts.index].astype("str").to_numpy()
    labels = parts.str.upper() if upper else parts
    ids = normal_key(parts) if keyed else labels
    if people and len(parts):
        ids = pd.Series([name_key(p) or k for p, k in zip(parts, ids)], index=parts.index, dtype="str")
        labels = parts.map(display_author)
    frame = pd.DataFrame({"work_id": owners, "unit_id": ids.to_numpy(), "label": labels.to_numpy()})
    frame = frame[frame["unit_id"] != ""]
    names_of = _most_written(frame["unit_id"], frame["label"])
    frame = frame.drop_duplicates(["work_id", "unit_id"]).reset_index(drop=True)
    frame["label"] = frame["unit_id"].map(names_of).astype("str")
    return frame


def _authorship_units(tables, unit: str) -> pd.DataFrame:
    authorships = _optional(tables, "authorships")
    works = corpus_works(tables)
    if authorships is None:
        if unit == "authors" and "authors" in works.columns:
            return _named_units(works["work_id"], works["authors"], people=True)
        raise AnalysisError(f"{unit} need tables.authorships (authors with their institutions and countries): "
                            "build the tables from a fetched snapshot (peerbib fetch, then peerbib build)")
    rows = authorships[authorships["work_id"].astype("str").isin(works["work_id"])].reset_index(drop=True)
    if unit == "authors":
        ids = rows["author_id"].astype("str")
        # as "Surname, I." whichever database wrote the name; the id where there is no name
        names = rows["author_name"].map(display_author, na_action="ignore").astype("str").where(
            rows["author_name"].notna(), ids) if "author_name" in rows.columns else ids
        frame = pd.DataFrame({"work_id": rows["work_id"].astype("str").to_numpy(), "unit_id": ids.to_numpy(),
                              "label": names.to_numpy()}).dropna(subset=["unit_id"])
        names_of = _most_written(frame["unit_id"], frame["label"])
        frame = frame.drop_duplicates(["work_id", "unit_id"]).reset_index(drop=True)
        frame["label"] = frame["unit_id"].map(names_of).astype("str")
        return frame
    if unit == "countries":
        return _named_units(rows["work_id"], rows["country_codes"], keyed=False, upper=True)
    # institutions: ids and names are parallel "a; b" lists; a row whose lists differ in length names none
    id_lists = rows["institution_ids"].fillna("").astype("str").str.split(";")
    if "institution_names" in rows.columns:
        name_lists = rows["institution_names"].fillna("").astype("str").str.split(";")
    else:
        name_lists = pd.Series([[]] * len(rows), index=rows.index)
    matched = id_lists.str.len() == name_lists.str.len()
    name_lists = name_lists.where(matched, id_lists)
    pairs = pd.DataFrame({"work_id": rows["work_id"].astype("str"), "unit_id": id_lists, "label": name_lists})
    pairs = pairs.explode(["unit_id", "label"])
    pairs["unit_id"] = pairs["unit_id"].astype("str").str.strip()
    pairs["label"] = pairs["label"].astype("str").str.strip()
    pairs = pairs[pairs["unit_id"].notna() & (pairs["unit_id"] != "") & (pairs["unit_id"] != "nan")]
    pairs["label"] = pairs["label"].where(pairs["label"] != "", pairs["unit_id"])
    names_of = _most_written(pairs["unit_id"], pairs["label"])
    frame = pairs.drop_duplicates(["work_id", "unit_id"]).reset_index(drop=True)
    frame["label"] = frame["unit_id"].map(names_of).astype("str")
    return frame


def work_units(tables, unit: str) -> pd.DataFrame:
    """One row per corpus work and the ``unit`` it carries: ``work_id, unit_id, label``.

    ``unit`` is one of ``works`` (each work itself), ``authors``,
    ``institutions``, ``countries`` (from ``tables.authorships``; authors fall
    back to the names in ``works.authors``), ``sources`` (``works.venue``),
    ``keywords``, ``mesh``, ``topics`` (the "a; b" columns of ``works``).
    ``attrs["source"]`` says what the units were read from.
    """
    works = corpus_works(tables)
    if unit == "works":
        frame = pd.DataFrame({"work_id": works["work_id"], "unit_id": works["work_id"],
                              "label": work_labels(works)}).drop_duplicates("work_id")
        frame.attrs["source"] = UNIT_SOURCES["works"]
        return frame.reset_index(drop=True)
    if unit in ("authors", "institutions", "countries"):
        frame = _authorship_units(tables, unit)
        fallback = unit == "authors" and _optional(tables, "authorships") is None
        frame.attrs["source"] = "the author names of the corpus files" if fallback else UNIT_SOURCES[unit]
        return frame
    column = {"sources": "venue"}.get(unit, unit)
    if unit not in UNIT_SOURCES:
        raise AnalysisError(f"unknown unit {unit!r}; use one of {', '.join(UNIT_SOURCES)}")
    if column not in works.columns:
        raise AnalysisError(f"{unit} need works.{column}, which these tables lack: fetch the corpus from OpenAlex "
                            f"(peerbib fetch, then peerbib build) or give a corpus file with a {column} column")
    names = works[column]
    if unit == "sources":  # one unit per venue whatever the database's spelling or ISSN (see venue_names)
        from ..descriptive import venue_names

        names = venue_names(names, issns=works.get("issn"))
    frame = _named_units(works["work_id"], names)
    frame.attrs["source"] = UNIT_SOURCES[unit]
    return frame


def references(tables, what: str = "this analysis") -> pd.DataFrame:
    """The corpus works' references, one row per (citing_id, cited_id) pair: ``citing_id, cited_id``."""
    refs = require_table(tables, "references", what)
    ids = corpus_ids(tables)
    pairs = pd.DataFrame({"citing_id": refs["citing_id"].astype("str"), "cited_id": refs["cited_id"].astype("str")})
    pairs = pairs[pairs["citing_id"].isin(ids) & pairs["cited_id"].notna()]
    return pairs.drop_duplicates().reset_index(drop=True)


def local_citations_edges(tables) -> pd.DataFrame:
    """Citations among corpus works (``citing_id, cited_id``, no repeats, no self-citation of a work):
    from ``tables.citations`` and, where the tables have it, ``tables.references``."""
    ids = corpus_ids(tables)
    frames = []
    citations = _optional(tables, "citations")
    if citations is not None and len(citations):
        frames.append(pd.DataFrame({"citing_id": citations["citing_id"].astype("str"),
                                    "cited_id": citations["cited_id"].astype("str")}))
    refs = _optional(tables, "references")
    if refs is not None and len(refs):
        frames.append(pd.DataFrame({"citing_id": refs["citing_id"].astype("str"),
                                    "cited_id": refs["cited_id"].astype("str")}))
    if not frames:
        return pd.DataFrame({"citing_id": pd.Series(dtype="str"), "cited_id": pd.Series(dtype="str")})
    edges = pd.concat(frames, ignore_index=True)
    inside = edges["citing_id"].isin(ids) & edges["cited_id"].isin(ids)
    edges = edges[inside & (edges["citing_id"] != edges["cited_id"])]
    return edges.drop_duplicates().sort_values(["citing_id", "cited_id"], kind="mergesort").reset_index(drop=True)


def _first_surname(authors: pd.Series) -> pd.Series:
    """The first author's surname as :func:`peerbib.analysis.display.display_author` shows it ("HOLLEY, J",
    "Holley J." and "Jessica Holley" all give "Holley")."""
    text = pd.Series(authors.to_numpy(), dtype="str", index=authors.index)
    first = text.str.extract(r"^\s*([^;]*?)\s*(?:;|$)")[0]
    surname = first.map(lambda name: display_author(name).split(",")[0].strip(), na_action="ignore")
    return surname.where(surname != "")


def work_labels(works: pd.DataFrame, *, width: int = 50) -> pd.Series:
    """ "Gillard 2014: Introducing New Peer Worker…" for each work (first author's surname, year, title)."""
    n = len(works)
    surname = _first_surname(works["authors"]) if "authors" in works.columns else pd.Series([pd.NA] * n, dtype="str")
    years = works["publication_year"] if "publication_year" in works.columns else pd.Series([pd.NA] * n)
    year = pd.Series(pd.array(years, dtype="Int64")).astype("str").where(pd.Series(years).notna().to_numpy())
    surname = pd.Series(surname.to_numpy(), dtype="str")
    head = (surname.fillna("") + " " + year.fillna("")).str.strip()
    if "title" in works.columns:
        title = pd.Series(display_titles(pd.Series(works["title"].to_numpy(), dtype="str")), dtype="str")
        title = title.str.replace(_SPACES, " ", regex=True).str.strip()
    else:
        title = pd.Series([pd.NA] * n, dtype="str")
    long = title.str.len() > width
    title = title.where(~long.fillna(False), title.str[: width - 1].str.rstrip() + "\u2026")
    ids = pd.Series(works["work_id"].to_numpy(), dtype="str")
    label = pd.Series(np.where(head != "", head + ": ", ""), dtype="str") + title.fillna("")
    label = label.where(title.notna(), head.where(head != "", ids))
    return pd.Series(label.to_numpy(), index=works.index, dtype="str")


def work_urls(work_ids: pd.Series, dois: pd.Series | None = None) -> pd.Series:
    """The OpenAlex page of a W id, else the DOI link, else missing."""
    ids = pd.Series(work_ids.to_numpy(), dtype="str")
    url = pd.Series(np.where(ids.str.fullmatch(r"W\d+").fillna(False), "https://openalex.org/" + ids.fillna(""),
                             None), dtype="str")
    if dois is not None:
        doi = pd.Series(dois.to_numpy(), dtype="str")
        url = url.where(url.notna(), "https://doi.org/" + doi)
    return pd.Series(url.to_numpy(), index=work_ids.index, dtype="str")
