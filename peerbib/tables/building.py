"""From data/raw to data/processed: flat, deterministic tables.

``build`` reads whatever the raw folder holds — corpus files, statement and
tally files, an OpenAlex snapshot — and writes the tables as Parquet (one
function per table below: works, citations, statements, tallies, references,
authorships, citations per year).
It validates everything before it writes anything, and puts the new folder
in the place of the old one in one step, so a failed build leaves the
previous ``data/processed`` as it was, and a reader never finds it missing
or half replaced. Building the same raw data twice gives identical tables.

Coordination with other processes:

- one build at a time writes a processed folder (``.<name>.build.lock``
  beside it); a second waits, then builds again;
- readers (:func:`peerbib.load`) hold ``.<name>.read.lock`` shared while
  they read the Parquet files; the swap takes it exclusively for an instant;
- while it reads a snapshot, a build holds the snapshot's read lock, so a
  fetch finishing meanwhile does not sweep away pages the build is reading;
- the raw data's fingerprint is taken *before* reading: a file added during
  a build makes the recorded fingerprint differ, so the tables count as stale.
"""
from __future__ import annotations

import json
import os
import warnings
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd

from ..corpus import read_corpora
from ..corpus.collect import unread_warning
from ..errors import BuildError, CorpusError
from ..files import FileLock, atomic_write_text, ordinary_permissions
from ..ids import normalize_doi
from ..ownership import PROCESSED_FOLDER, check_output, check_replaceable, replacing
from ..paths import project_path, project_root
from ..settings import PROCESSED, RAW
from ..snapshot.read import SnapshotTables, snapshot_tables
from ..snapshot.store import Snapshot, reading
from ..statements import read_statement_files, read_tally_files, statement_files, statement_id
from ..statements.classify import classify_statements
from ..statements.fulltext import fulltext_statements
from ..statements.tallies import tally_citation_types
from ..sources.scite import SOURCE as SCITE_API
from ..sources.scite import TALLIES_URL as SCITE_URL
from ..sources.scite import tally_row
from .inputs import corpus_files, csv_files, raw_fingerprint, snapshot_dir
from .merge import corpus_works, doi_index, merge_snapshot, reference_edges
from .per_year import per_year
from .from_exports import export_authorships, export_references
from .references import authorships_table, references_table
from .schema import Tables, conform, empty_table

__all__ = ["build", "make_tables", "BUILD_INFO", "build_lock", "tables_read_lock", "check_tables_folder"]

BUILD_INFO = "build_info.json"
#: Seconds a build waits for another build of the same folder to finish.
BUILD_WAIT = 900.0


def build_lock(processed: Path, *, timeout: float = BUILD_WAIT) -> FileLock:
    """The lock one build at a time holds on a processed folder."""
    return FileLock(processed.parent / f".{processed.name}.build.lock", timeout=timeout,
                    holder="another build", action="is writing")


def tables_read_lock(processed: Path, *, shared: bool = True, timeout: float = 60.0) -> FileLock:
    """Held shared while tables are read; exclusive for the instant the folder is swapped."""
    holder, action = ("a build", "is replacing") if shared else ("a reader", "is reading")
    return FileLock(processed.parent / f".{processed.name}.read.lock", shared=shared, timeout=timeout,
                    holder=holder, action=action)


# --- statements and tallies ---------------------------------------------------------


def _cited_id(doi, dois: dict[str, str], path, line) -> str:
    if doi not in dois:
        raise CorpusError(
            f"cited_doi {doi} is not a work of the corpus; add it to a corpus file in data/raw/corpus/",
            path=path,
            line=line,
        )
    return dois[doi]


def _statements(paths: list[Path], dois: dict[str, str]) -> pd.DataFrame:
    rows = []
    for row in read_statement_files(paths):
        cited = _cited_id(row["cited_doi"], dois, row["path"], row["line"])
        citing_doi = row["citing_doi"]
        citing = dois.get(citing_doi) if citing_doi else None
        s2 = f"s2:{row['citing_s2']}" if row.get("citing_s2") else None
        out = {k: v for k, v in row.items() if k not in ("cited_doi", "citing_doi", "citing_s2", "path", "line")}
        out.update(
            statement_id=statement_id(cited, citing or citing_doi or s2, row["text"]),
            # a citing work outside the tables is named by its DOI, or its Semantic Scholar id
            citing_id=citing if citing else (f"doi:{citing_doi}" if citing_doi else s2),
            cited_id=cited,
        )
        rows.append(out)
    frame = pd.DataFrame(rows) if rows else empty_table("statements")
    # The same sentence from two exports is one statement; keep the first.
    return frame[~frame["statement_id"].duplicated()]


def _tallies(paths: list[Path], dois: dict[str, str]) -> pd.DataFrame:
    rows = []
    for row in read_tally_files(paths):
        cited = _cited_id(row["cited_doi"], dois, row["path"], row["line"]) if row["cited_doi"] else None
        rows.append({**{k: v for k, v in row.items() if k not in ("cited_doi", "path", "line")}, "cited_id": cited})
    return pd.DataFrame(rows) if rows else empty_table("tallies")


def _with_callouts(statements: pd.DataFrame, works: pd.DataFrame) -> pd.DataFrame:
    """Statements imported without their callout get the cited work's first author, when the text names them.

    The classifier ties a cue to the citation; an imported statement of
    several sentences ("… (Gillard et al., ) …") says where by the author's name.
    """
    if not len(statements):
        return statements
    first_author = works.set_index("work_id")["authors"].map(_first_surname)
    missing = statements["callout"].isna()
    surnames = statements.loc[missing, "cited_id"].map(first_author)
    found = [s if isinstance(s, str) and isinstance(t, str) and s in t else None
             for s, t in zip(surnames.tolist(), statements.loc[missing, "text"].tolist())]
    out = statements.copy()
    out.loc[missing, "callout"] = pd.array(found, dtype="str")
    return out


def _first_surname(authors) -> str | None:
    """"Gillard, Steve; Edwards, C" or "Steve Gillard; C Edwards" -> "Gillard"."""
    if not isinstance(authors, str) or not authors.strip():
        return None
    first = authors.split(";")[0].strip()
    if "," in first:
        return first.split(",")[0].strip() or None
    return first.split()[-1] if first.split() else None


def _scite_tallies(counts_by_doi: dict[str, dict], dois: dict[str, str]) -> pd.DataFrame:
    """scite's tallies the fetch stored (``--scite-tallies``), one row per corpus work, source "scite (api)"."""
    rows = []
    for doi, counts in sorted(counts_by_doi.items()):
        if doi not in dois:
            continue  # a DOI the corpus no longer has
        row = tally_row(doi, counts)
        del row["cited_doi"]
        rows.append({**row, "cited_id": dois[doi], "source": SCITE_API,
                     "provenance": f"{SCITE_URL}, fetched {counts.get('fetched_at') or 'at an unknown time'}"})
    return pd.DataFrame(rows) if rows else empty_table("tallies")


def _own_tallies(statements: pd.DataFrame) -> pd.DataFrame:
    """Tallies of the statements as peerbib classified them, per cited work and statement source."""
    if not len(statements):
        return empty_table("tallies")
    counted = tally_citation_types(statements)
    return pd.DataFrame({
        "cited_id": counted["cited_id"], "supporting": counted["supporting"], "mentioning": counted["mentioning"],
        "contrasting": counted["contrasting"], "unclassified": counted["unclassified"],
        "citing_publications": counted["citing_publications"], "source": counted["source"],
        "citation_statements": counted["statements"],
        "provenance": "counted from tables.statements",
    })


def _sorted(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    return frame.sort_values(keys, kind="mergesort", na_position="last").reset_index(drop=True)


# --- the build ---------------------------------------------------------------------------


def make_tables(raw) -> Tables:
    """Read and validate everything under ``raw`` and return the tables, writing nothing."""
    raw = project_path(raw)
    snapshot = snapshot_dir(raw) if raw.exists() else None
    with reading(snapshot) if snapshot is not None else nullcontext():
        return _make_tables(raw, snapshot)


@dataclass
class _Read:
    """What a build read: the corpus, the snapshot's flat tables, and the works they merge into."""

    raw: Path
    snapshot: Path | None
    corpus: pd.DataFrame  # the corpus rows as works (local ids)
    flat: SnapshotTables | None  # snapshot_tables(snapshot), or None without one
    opened: Snapshot | None  # the snapshot, opened once for every reader of this build
    works: pd.DataFrame  # corpus and snapshot merged, conformed
    local_to_final: dict  # local id of a corpus row OpenAlex resolved -> its OpenAlex id
    dois: dict  # DOI -> work id, for statement and tally files
    warnings: list
    notes: list
    merge: object  # the corpus merge (read_corpora's attrs["merge"]), or None


def _make_tables(raw: Path, snapshot: Path | None) -> Tables:
    read = _read_inputs(raw, snapshot)
    works = read.works
    citations = _citations_table(read)
    statements, works = _statements_table(read, works)
    tallies = _tallies_table(read, statements)
    references, authorships = _links_tables(read, works)
    cites_per_year = per_year(works, citations, read.flat.counts_by_year if read.flat is not None else None)
    merge = read.merge
    return Tables(
        works=_sorted(works, ["work_id"]),
        citations=_sorted(conform(citations, "citations"), ["citing_id", "cited_id"]),
        citations_per_year=_sorted(conform(cites_per_year, "citations_per_year"), ["definition", "work_id", "year"]),
        statements=_sorted(conform(statements, "statements"), ["cited_id", "statement_id"]),
        tallies=_sorted(conform(tallies, "tallies"), ["cited_id", "source"]),
        references=references,
        authorships=authorships,
        warnings=read.warnings,
        notes=read.notes,
        info={"corpus": list(merge.sources) if merge is not None else [],
              "corpus_merged": merge.merged if merge is not None else 0},
    )


def _links_tables(read: _Read, works: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``tables.references`` and ``tables.authorships``: OpenAlex's, then what the corpus's database exports
    hold (cited references, authors with affiliations) for the works OpenAlex gave none for."""
    extra_refs, extra_authors = [], []
    if len(read.corpus):
        extra_refs = [export_references(read.corpus, works, local_ids=read.local_to_final)]
        extra_authors = [export_authorships(read.corpus, works, local_ids=read.local_to_final)]
        for frame in extra_refs + extra_authors:
            read.warnings.extend(frame.attrs.get("warnings", []))
    references = references_table(read.flat, works, local_to_final=read.local_to_final, extra=extra_refs)
    authorships = authorships_table(read.flat, works, local_to_final=read.local_to_final, extra=extra_authors)
    return references, authorships


def _read_inputs(raw: Path, snapshot: Path | None) -> _Read:
    """Read the corpus files and the snapshot and merge them into the works table."""
    if not raw.exists():
        raise BuildError(f"{raw} does not exist; give the folder of raw data (or a corpus file)")
    paths = corpus_files(raw)
    if not paths and snapshot is None:
        raise BuildError(
            f"nothing to build in {raw}: copy your literature into {raw / 'corpus'} (a database export from "
            "Scopus, Web of Science, PubMed, Zotero, OpenAlex, Lens or Dimensions, a BibTeX or RIS file, or a CSV "
            "with a doi or title column), then run this again" + (f"; {unread_warning(raw)}" if unread_warning(raw) else "")
        )
    read = read_corpora(paths, user_merges=raw / "corpus" if raw.is_dir() else None)
    merge = read.attrs.get("merge")
    corpus = corpus_works(read) if paths else read
    local_to_final: dict[str, str] = {}
    warnings_: list[str] = []
    notes: list[str] = merge.lines()[:1 + len(merge.user)] if merge is not None and merge.files else []
    flat = snap = None
    if snapshot is not None:
        snap = Snapshot.open(snapshot)  # opened once: every reader of this build is handed it
        flat = snapshot_tables(snap)
        works, local_to_final, warnings_ = merge_snapshot(corpus, flat)
        incomplete = list(flat.incomplete or [])
        if incomplete:
            warnings_.insert(0,
                f"the OpenAlex snapshot in {snapshot} has {len(incomplete)} unfinished "
                f"quer{'y' if len(incomplete) == 1 else 'ies'} ({'; '.join(incomplete[:3])}"
                f"{'; …' if len(incomplete) > 3 else ''}): run `peerbib fetch` again to complete it")
    else:
        works = corpus
    if merge is not None:
        warnings_ = [f"corpus: {c}" for c in (*merge.conflicts, *getattr(merge, "warnings", []))] + warnings_
    unread = unread_warning(raw) if raw.is_dir() else None
    if unread:
        warnings_.insert(0, unread)
    works = conform(works, "works")
    dois = doi_index(works)
    # A corpus row resolved by title keeps being known by the DOI its corpus
    # file gives, even where OpenAlex records another (e.g. a publisher version).
    for raw_doi, work_id in zip(corpus["doi"], corpus["work_id"]) if len(corpus) and local_to_final else []:
        doi = normalize_doi(raw_doi)
        if doi and work_id in local_to_final:
            dois.setdefault(doi, local_to_final[work_id])
    return _Read(raw, snapshot, corpus, flat, snap, works, local_to_final, dois, warnings_, notes, merge)


def _citations_table(read: _Read) -> pd.DataFrame:
    """Citations the corpus files state, then those of the snapshot (corpus works cited by any work)."""
    corpus = read.corpus
    # Reference lists in corpus files name works by DOI; the edges are made
    # with the corpus's local ids, then moved to OpenAlex ids where resolved.
    references = reference_edges(corpus, doi_index(conform(corpus, "works")) if len(corpus) else {})
    if len(references):
        for column in ("citing_id", "cited_id"):
            references[column] = references[column].map(lambda x: read.local_to_final.get(x, x))
    snapshot_edges = read.flat.citations.assign(source="openalex") if read.flat is not None \
        else empty_table("citations")
    frames = [frame for frame in (references, snapshot_edges) if len(frame)]
    citations = pd.concat(frames, ignore_index=True) if frames else empty_table("citations")
    return citations.drop_duplicates(subset=["citing_id", "cited_id"], keep="first")


def _statements_table(read: _Read, works: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Statements of the statement files and of the full texts the fetch kept, classified; and the works
    with the source of the full text their statements were read from."""
    raw = read.raw
    statements = _statements(statement_files(raw / "statements") if raw.is_dir() else [], read.dois)
    if read.flat is not None and read.flat.fulltext:
        extracted = fulltext_statements(read.opened, works[works["is_corpus"].fillna(False).astype(bool)]
                                        .to_dict("records"))
        read.warnings.extend(extracted.warnings)
        if extracted.rows:
            found = pd.DataFrame(extracted.rows).assign(type="unclassified", source="peerbib full text")
            statements = pd.concat([frame for frame in (statements, found) if len(frame)], ignore_index=True)
        if extracted.documents:
            works = works.assign(fulltext_source=works["work_id"].map(extracted.documents).astype("str"))
    return classify_statements(_with_callouts(conform(statements, "statements"), works)), works


def _tallies_table(read: _Read, statements: pd.DataFrame) -> pd.DataFrame:
    """Tallies of the tally files, scite's the fetch stored, and peerbib's own of ``statements``."""
    tallies = _tallies(csv_files(read.raw, "tallies"), read.dois)
    fetched = _scite_tallies(read.flat.scite or {}, read.dois) if read.flat is not None \
        else empty_table("tallies")
    own = _own_tallies(statements)
    return pd.concat([frame for frame in (tallies, fetched, own) if len(frame)] or [empty_table("tallies")],
                     ignore_index=True)


def build(raw=RAW, processed=PROCESSED) -> Tables:
    """Build the processed tables from the raw data and write them as Parquet.

    Parameters
    ----------
    raw : str or Path
        The raw folder (corpus files in ``corpus/``, statements in
        ``statements/``, tallies in ``tallies/``, an OpenAlex snapshot in
        ``openalex/``), or a single corpus file. Relative paths are taken from
        the project root (see :func:`peerbib.project_root`).
    processed : str or Path
        Folder the tables are written to, one ``<table>.parquet`` each, with
        ``build_info.json`` recording the raw folder and its fingerprint. It
        holds only what the build writes: files derived from older tables
        (e.g. a notebook's ``clusters.parquet``) are not carried over, the
        notebook that makes them makes them again. peerbib replaces only a
        folder it wrote: an existing folder must be empty or hold a build's
        tables, and may not be the project, the raw data or a folder holding them.

    Returns
    -------
    Tables

    Raises
    ------
    CorpusError, BuildError
        When an input is invalid. Nothing is written then: ``processed`` keeps
        what it had.
    OwnershipError
        When ``processed`` is not a folder peerbib may replace (see above); raised before any work.
    BusyError
        When another build of ``processed`` does not finish within 15 minutes.
    """
    raw = project_path(raw)
    processed = project_path(processed)
    check_tables_folder(processed, raw)
    processed.parent.mkdir(parents=True, exist_ok=True)
    with build_lock(processed):
        return _build(raw, processed)


def _build(raw: Path, processed: Path, *, note: str | None = None) -> Tables:
    check_tables_folder(processed, raw)
    snapshot = snapshot_dir(raw) if raw.exists() else None
    with reading(snapshot) if snapshot is not None else nullcontext():
        fingerprint = raw_fingerprint(raw) if raw.exists() else None  # before reading: see the module notes
        tables = _make_tables(raw, snapshot)
    if note:
        tables.notes.insert(0, note)
    info = {
        "raw": str(raw),
        "raw_relative": os.path.relpath(raw, processed),
        "raw_sha256": fingerprint,
        "built_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "peerbib_version": _version(),
        "rows": {name: len(frame) for name, frame in tables.items()},
        "warnings": tables.warnings,
        "notes": tables.notes,
        **tables.info,
    }
    for message in tables.warnings:
        warnings.warn(message, stacklevel=3)
    _write(tables, processed, info)
    tables.info = info
    return tables


def _version() -> str:
    from .. import __version__

    return __version__


def _write(tables: Tables, processed: Path, info: dict) -> None:
    with replacing(processed, PROCESSED_FOLDER, option="the tables folder",
                   swap_lock=tables_read_lock(processed, shared=False)) as staging:
        for name, frame in tables.items():
            frame.to_parquet(staging / f"{name}.parquet", index=False)
        atomic_write_text(staging / BUILD_INFO, json.dumps(info, indent=2, sort_keys=True) + "\n")
        for path in staging.iterdir():
            ordinary_permissions(path)


def check_tables_folder(processed: Path, raw: Path | None = None) -> None:
    """Refuse, before any work, a tables folder that a build would replace without owning it.

    It may not be the project folder, the raw data (the project's and ``raw``),
    anything inside them or a folder holding them; if it exists it must be
    empty or hold a build's tables (``build_info.json`` and Parquet files).

    Raises
    ------
    OwnershipError
    """
    protected = [("the project folder", project_root(), True), ("the raw data", project_path(RAW), False)]
    if raw is not None:
        protected.append(("the raw data", raw, False))  # a corpus file: neither it nor a folder holding it
    check_output(processed, option="the tables folder", protected=protected)
    check_replaceable(processed, PROCESSED_FOLDER, option="the tables folder")
