"""The corpus and the snapshot merged into one ``works`` table, and the edges between works.

OpenAlex wins where it has a value (but for :data:`CORPUS_FIRST`: keywords; a venue's ISSNs are the
corpus's and OpenAlex's together),
the corpus keeps what OpenAlex lacks, and ``source`` says which. Times cited too: ``cited_by_count`` is
OpenAlex's where the fetch gives one (``cited_by_source`` "openalex"), else the corpus export's
(``cited_by_source`` "scopus", "wos-tc", …: see :mod:`peerbib.corpus.formats`). A corpus row is joined to its OpenAlex work by DOI, by
the match a fetch recorded for its local id, or, when the row was edited
after the fetch (its local id changed), by comparing it with what the row
said when it was matched; the build then says which row changed.
"""
from __future__ import annotations

import re

import pandas as pd

from ..corpus.formats import issn_field
from ..errors import CorpusError
from ..ids import is_blank, normalize_doi
from ..settings import MATCH_THRESHOLD
from ..snapshot.read import SnapshotTables
from ..sources.openalex.matching import listing_score, title_score
from .schema import empty_table

__all__ = ["corpus_works", "merge_snapshot", "doi_index", "reference_edges", "CORPUS_FIRST"]

#: Columns where the corpus file's value wins over OpenAlex's. A file's keywords are its authors' (or
#: the database indexers', as Scopus's index keywords and PubMed's MeSH headings); OpenAlex's are
#: assigned by a model to every work. So OpenAlex's keywords fill only the works whose file gives none.
CORPUS_FIRST = ("keywords",)


def corpus_works(corpus: pd.DataFrame) -> pd.DataFrame:
    """The corpus rows as works: ``is_corpus``, ``source`` and ``provenance`` (file:line, seed) added."""
    corpus = corpus.copy()
    corpus["is_corpus"] = True
    corpus["source"] = "corpus"
    corpus["corpus_role"] = corpus.get("seed_role")
    corpus["abstract_truncated"] = corpus.get("abstract_truncated")
    none = [None] * len(corpus)
    corpus["year_doubt"] = _year_doubts(corpus)
    corpus["provenance"] = [
        _provenance(files, file, line, seed_file, seed_line)
        for files, file, line, seed_file, seed_line in zip(
            corpus.get("corpus_files", none), corpus["corpus_file"], corpus["corpus_line"],
            corpus.get("seed_file", none), corpus.get("seed_line", none))
    ]
    return corpus


_YEAR_WORDS = re.compile(r"\byears?\b|published online|\bonline\b|\bprint\b|\bissue year", re.IGNORECASE)


def _year_doubts(corpus: pd.DataFrame) -> list:
    """Per corpus row, what the data says against its year: the corpus file's own notes about
    the year (e.g. "published online 12 December 2020 … publication_year is the issue year"),
    and corpus files that disagree on it."""
    none = [None] * len(corpus)
    out = []
    for merged, notes, year in zip(corpus.get("year_doubt", none), corpus.get("notes", none),
                                   corpus.get("publication_year", none)):
        if is_blank(year):  # no year, nothing to doubt (the works without a year are counted apart)
            out.append(None)
            continue
        parts = [p for p in (merged,) if isinstance(p, str) and p]
        if isinstance(notes, str):
            parts += [n.strip() for n in notes.split(";") if _YEAR_WORDS.search(n)]
        out.append("; ".join(parts) or None)
    return out


def _provenance(files, file, line, seed_file, seed_line) -> str:
    where = files if isinstance(files, str) and files else f"{file}:{line}"
    if isinstance(seed_file, str) and seed_file:
        where += f" (seed {seed_file}:{seed_line})"
    return where


def doi_index(works: pd.DataFrame) -> dict[str, str]:
    """DOI -> work_id of every work that has a DOI."""
    return {doi: wid for doi, wid in zip(works["doi"], works["work_id"]) if isinstance(doi, str)}


def merge_snapshot(corpus: pd.DataFrame, snapshot: SnapshotTables) -> tuple[pd.DataFrame, dict[str, str], list[str]]:
    """Works from OpenAlex merged with the corpus.

    Returns the works, a map from the local id of every corpus row OpenAlex
    resolved (by DOI, by a stored match, or by a stored match recognised after
    an edit) to its OpenAlex id, and warnings about edited rows.
    """
    fetched = snapshot.works
    by_doi = {doi: wid for doi, wid in zip(fetched["doi"], fetched["work_id"]) if isinstance(doi, str)}
    matches = snapshot.matches
    matched = dict(zip(matches["corpus_work_id"], matches["work_id"])) if len(matches) else {}
    fetched_ids = set(fetched["work_id"])
    rows = corpus.to_dict("records")
    resolved: dict[int, str] = {}
    used: set[str] = set()
    for i, row in enumerate(rows):
        wid = by_doi.get(row["doi"]) if isinstance(row["doi"], str) else None
        wid = wid or matched.get(row["work_id"])
        # A second corpus row matched to the same work (two listing rows alike
        # but for their abstracts) is kept as it is.
        if wid is not None and wid in fetched_ids and wid not in used:
            resolved[i] = wid
            used.add(wid)
    # Only the works corpus rows join (or may join, after an edit) become
    # dicts; the rest of the snapshot's works stay one DataFrame.
    present = {row["work_id"] for row in rows}
    orphan_ids = {m for c, m in matched.items() if c not in present and m in fetched_ids and m not in used}
    needed = fetched[fetched["work_id"].isin(used | orphan_ids)]
    fetched_rows = dict(zip(needed["work_id"], needed.to_dict("records")))
    warnings = _rematch_edited_rows(rows, resolved, used, matches, fetched_rows)
    merged, local_to_final = [], {}
    for i, row in enumerate(rows):
        wid = resolved.get(i)
        if wid is None:
            merged.append(row)
            continue
        local_to_final[row["work_id"]] = wid
        combined = dict(row)
        theirs = fetched_rows[wid].get("publication_year")
        ours = row.get("publication_year")
        if not is_blank(theirs) and not is_blank(ours) and int(theirs) != int(ours):
            doubt = f"OpenAlex gives {int(theirs)}, {row.get('corpus_file', 'the corpus file')} {int(ours)}"
            combined["year_doubt"] = "; ".join(d for d in (row.get("year_doubt"), doubt) if isinstance(d, str))
        for key, value in fetched_rows[wid].items():
            if key in ("is_corpus", "source", "requested"):
                continue
            if key in CORPUS_FIRST and not is_blank(combined.get(key)):
                continue
            if key == "issn":  # the venue's ISSNs: the exports' and OpenAlex's together
                combined[key] = issn_field([combined.get(key), value])
                continue
            # a string OpenAlex gives wins even when blank: the work keeps what OpenAlex said
            if isinstance(value, str) or not is_blank(value):
                combined[key] = value
        if not is_blank(fetched_rows[wid].get("cited_by_count")):  # OpenAlex's count wins over an export's
            combined["cited_by_source"] = "openalex"
        combined["work_id"] = wid
        combined["source"] = "openalex+corpus"
        combined["is_corpus"] = True
        merged.append(combined)
    rest = fetched[~fetched["work_id"].isin(used)]
    rest = rest.assign(is_corpus=rest["requested"].fillna(False).astype(bool), source="openalex")
    rest = rest.drop(columns="requested")
    if "cited_by_count" in rest.columns:
        rest = rest.assign(cited_by_source=pd.Series("openalex", index=rest.index, dtype="str")
                           .where(rest["cited_by_count"].notna(), None))
    frames = [frame for frame in (pd.DataFrame(merged), rest) if len(frame)]
    works = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=["work_id", "doi"])
    return works, local_to_final, warnings


def _rematch_edited_rows(rows: list[dict], resolved: dict[int, str], used: set[str], matches: pd.DataFrame,
                         fetched_rows: dict) -> list[str]:
    """Join corpus rows edited since their match (their local id changed) to the work they were matched to.

    A stored match whose corpus row is gone is an orphan. An unresolved row
    without a DOI takes an orphan's work when its title (or, for listing
    rows, its abstract and authors) is as similar to what the matched row
    said, or to the OpenAlex work, as a fetch would require. Returns one
    warning per row joined this way, and per orphan left over.
    """
    if not len(matches):
        return []
    present = {row["work_id"] for row in rows}
    orphans = [m for m in matches.to_dict("records")
               if m["corpus_work_id"] not in present and m["work_id"] in fetched_rows and m["work_id"] not in used]
    if not orphans:
        return []
    warnings = []
    for i, row in enumerate(rows):
        if i in resolved or isinstance(row.get("doi"), str) or not orphans:
            continue
        best = None
        for orphan in orphans:
            score = _similarity(row, orphan, fetched_rows[orphan["work_id"]])
            if score >= MATCH_THRESHOLD and (best is None or score > best[0]):
                best = (score, orphan)
        if best is None:
            continue
        score, orphan = best
        resolved[i] = orphan["work_id"]
        used.add(orphan["work_id"])
        orphans.remove(orphan)
        warnings.append(
            f"corpus row {row.get('corpus_file')} line {row.get('corpus_line')} changed since `peerbib fetch` "
            f"matched it to {orphan['work_id']} (as {orphan['corpus_work_id']}); kept that match (similarity "
            f"{score:.2f}). Run `peerbib fetch` to record the match of the row as it is now."
        )
    for orphan in orphans:
        said = next((v for v in (orphan.get("title"), orphan.get("abstract")) if not is_blank(v)), "")
        warnings.append(
            f"{orphan['work_id']} was matched to a corpus row that is no longer in the corpus "
            f"({orphan['corpus_work_id']}{': ' + repr(said[:60]) if said else ''}); it stays in the corpus as "
            "OpenAlex gives it. Run `peerbib fetch` to match edited rows again."
        )
    return warnings


def _similarity(row: dict, orphan: dict, work: dict) -> float:
    """How well a corpus row fits an orphan match: the best of the row as it was and the OpenAlex work."""
    year = row.get("publication_year")
    scores = []
    for said in (orphan, work):
        their_year = said.get("publication_year")
        if not is_blank(year) and not is_blank(their_year) and abs(int(year) - int(their_year)) > 1:
            continue
        if not is_blank(row.get("title")):
            scores.append(title_score(row["title"], row.get("authors"), said.get("title"), said.get("authors")))
        elif not is_blank(row.get("abstract")):
            similarity, authors = listing_score(row["abstract"], row.get("authors"), said.get("abstract"),
                                                said.get("authors"))
            scores.append(similarity if authors >= 0.5 else 0.0)
    return max(scores, default=0.0)


def reference_edges(corpus: pd.DataFrame, dois: dict[str, str]) -> pd.DataFrame:
    """Citations a corpus file states (a ``referenced_by`` column: the DOI of the corpus work citing the row)."""
    if "referenced_by" not in corpus.columns:
        return empty_table("citations")
    edges = []
    for row in corpus.to_dict("records"):
        citing_doi = normalize_doi(row["referenced_by"])
        if citing_doi is None:
            continue
        citing = dois.get(citing_doi)
        if citing is None:
            raise CorpusError(
                f"referenced_by {citing_doi} is not a work of the corpus; add the citing work to the corpus",
                path=row["corpus_file"],
                line=int(row["corpus_line"]),
            )
        edges.append({"citing_id": citing, "cited_id": row["work_id"], "source": "corpus reference list"})
    return pd.DataFrame(edges) if edges else empty_table("citations")
