"""From data/raw to data/processed: flat, deterministic tables.

``build`` reads whatever the raw folder holds — corpus files, statement and
tally files, an OpenAlex snapshot — and writes the five tables of PRODUCT.md as
Parquet. It validates everything before it writes anything, and swaps the new
tables in at once, so a failed build leaves the previous ``data/processed``
as it was. Building the same raw data twice gives identical tables.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import warnings
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd

from .corpus import CORPUS_SUFFIXES, normalize_doi, read_corpus, read_csv_rows
from .errors import BuildError, CorpusError
from .paths import project_path
from .schema import CITATION_TYPES, SCHEMAS, conform, empty_table
from .statements import normalize_section, statement_id

__all__ = ["Tables", "build", "load", "make_tables", "corpus_files", "raw_fingerprint", "needs_build", "BUILD_INFO"]

BUILD_INFO = "build_info.json"
SNAPSHOT_DIR = "openalex"

DEF_OPENALEX = "openalex counts_by_year"
DEF_COUNTED = "counted citing works"


@dataclass
class Tables:
    """The processed tables, each a pandas DataFrame with the columns of PRODUCT.md.

    Attributes
    ----------
    works, citations, citations_per_year, statements, tallies : DataFrame
    """

    works: pd.DataFrame
    citations: pd.DataFrame
    citations_per_year: pd.DataFrame
    statements: pd.DataFrame
    tallies: pd.DataFrame
    #: Problems with the inputs that did not stop the build (e.g. an
    #: interrupted fetch); also recorded in build_info.json.
    warnings: list = field(default_factory=list, repr=False, compare=False)

    def items(self):
        """(name, DataFrame) pairs in schema order."""
        return [(name, getattr(self, name)) for name in SCHEMAS]

    def __repr__(self) -> str:
        sizes = ", ".join(f"{name}={len(frame)} rows" for name, frame in self.items())
        return f"Tables({sizes})"


# --- finding the inputs -------------------------------------------------------


def corpus_files(raw: Path) -> list[Path]:
    """The corpus files a raw folder holds: every CSV/BibTeX/RIS file in ``corpus/``
    and any such file directly in ``raw`` whose name contains "corpus"."""
    if raw.is_file():
        return [raw]
    found = []
    if (raw / "corpus").is_dir():
        found += [p for p in (raw / "corpus").iterdir() if p.suffix.lower() in CORPUS_SUFFIXES]
    found += [p for p in raw.iterdir() if p.is_file() and p.suffix.lower() in CORPUS_SUFFIXES and "corpus" in p.stem.lower()]
    return sorted(found)


def _csv_files(raw: Path, folder: str) -> list[Path]:
    if raw.is_file() or not (raw / folder).is_dir():
        return []
    return sorted(p for p in (raw / folder).iterdir() if p.suffix.lower() == ".csv")


def _snapshot_dir(raw: Path) -> Path | None:
    candidates = [raw / SNAPSHOT_DIR, raw] if raw.is_dir() else []
    for folder in candidates:
        if (folder / "manifest.json").is_file():
            return folder
    return None


def _raw_files(raw: Path) -> list[Path]:
    if raw.is_file():
        return [raw]
    return sorted(
        p for p in raw.rglob("*")
        if p.is_file() and not any(part.startswith(".") for part in p.relative_to(raw).parts)
        and not p.name.endswith(".tmp")
    )


def raw_fingerprint(raw="data/raw") -> str:
    """sha256 over the names and contents of every file under ``raw``.

    It changes when any input changes, so reports can say exactly which raw
    data they show and ``load`` can tell when the processed tables are stale.
    """
    raw = project_path(raw)
    digest = hashlib.sha256()
    for path in _raw_files(raw):
        name = path.name if raw.is_file() else path.relative_to(raw).as_posix()
        digest.update(name.encode("utf-8") + b"\0")
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
        digest.update(b"\0")
    return digest.hexdigest()


# --- the tables from each kind of input ------------------------------------------


def _corpus_works(paths: list[Path]) -> pd.DataFrame:
    frames = [read_corpus(path) for path in paths]
    if not frames:
        return pd.DataFrame(columns=["work_id", "doi"])
    corpus = pd.concat(frames, ignore_index=True)
    first = {}
    for index, row in corpus.iterrows():
        for key in (row["doi"], row["work_id"]):
            if key is None or key != key:
                continue
            if key in first:
                a, b = first[key], row
                raise CorpusError(
                    f"{key} is also in {a['corpus_file']} line {a['corpus_line']}; keep each work in one corpus file",
                    path=row["corpus_file"],
                    line=int(row["corpus_line"]),
                )
            first[key] = row
    corpus["is_corpus"] = True
    corpus["source"] = "corpus"
    corpus["corpus_role"] = corpus.get("seed_role")
    corpus["abstract_truncated"] = corpus.get("abstract_truncated")
    corpus["provenance"] = [_provenance(row) for _, row in corpus.iterrows()]
    return corpus


def _provenance(row) -> str:
    where = f"{row['corpus_file']}:{row['corpus_line']}"
    seed_file, seed_line = row.get("seed_file"), row.get("seed_line")
    if isinstance(seed_file, str) and seed_file:
        where += f" (seed {seed_file}:{seed_line})"
    return where


def _doi_index(works: pd.DataFrame) -> dict[str, str]:
    return {doi: wid for doi, wid in zip(works["doi"], works["work_id"]) if isinstance(doi, str)}


def _read_checked(path: Path, required: tuple[str, ...]) -> list[tuple[int, dict]]:
    return read_csv_rows(path, required_all=required)


def _resolve(doi_value, dois: dict[str, str], path: Path, line: int, what: str) -> str | None:
    doi = normalize_doi(doi_value)
    if doi is None:
        return None
    if doi not in dois:
        raise CorpusError(
            f"{what} {doi} is not a work of the corpus; add it to a corpus file in data/raw/corpus/",
            path=path,
            line=line,
        )
    return dois[doi]


def _statements(paths: list[Path], dois: dict[str, str]) -> pd.DataFrame:
    rows = []
    for path in paths:
        for line, record in _read_checked(path, ("cited_doi", "text")):
            cited = _resolve(record.get("cited_doi"), dois, path, line, "cited_doi")
            if cited is None:
                raise CorpusError("cited_doi is empty; every statement cites a corpus work", path=path, line=line)
            citing_doi = normalize_doi(record.get("citing_doi"))
            citing = dois.get(citing_doi) if citing_doi else None
            kind = (record.get("type") or "").strip().lower() or None
            if kind == "contradicting":  # scite's API word for the website's "contrasting"
                kind = "contrasting"
            if kind is not None and kind not in CITATION_TYPES:
                raise CorpusError(
                    f"type {kind!r} is not one of {', '.join(CITATION_TYPES)}", path=path, line=line
                )
            confidence = _number(record.get("confidence"), path, line, "confidence", float)
            if confidence is not None and not 0 <= confidence <= 1:
                raise CorpusError(f"confidence {confidence} is not between 0 and 1", path=path, line=line)
            shown = record.get("section_as_shown") or record.get("section") or None
            text = record["text"].strip()
            if not text:
                raise CorpusError("text is empty", path=path, line=line)
            rows.append(
                {
                    "statement_id": statement_id(cited, citing or citing_doi, text),
                    "citing_id": citing if citing else (f"doi:{citing_doi}" if citing_doi else None),
                    "cited_id": cited,
                    "text": text,
                    "section": normalize_section(shown),
                    "type": kind,
                    "confidence": confidence,
                    "classifier": record.get("classifier") or None,
                    "source": record.get("source") or path.stem,
                    "section_as_shown": shown,
                    "provenance": _file_provenance(path, line, record),
                }
            )
    frame = pd.DataFrame(rows) if rows else empty_table("statements")
    dupes = frame["statement_id"].duplicated()
    if dupes.any():
        # The same sentence from two exports is one statement; keep the first.
        frame = frame[~dupes]
    return frame


def _file_provenance(path: Path, line: int, record: dict) -> str:
    where = f"{path.name}:{line}"
    if record.get("seed_file"):
        where += f" (seed {record['seed_file']}:{record.get('seed_line')})"
    return where


def _number(value, path, line, name, kind=int):
    if value is None or not str(value).strip():
        return None
    try:
        number = kind(str(value).strip())
    except ValueError:
        raise CorpusError(f"{name} {value!r} is not a number", path=path, line=line) from None
    if kind is int and number < 0:
        raise CorpusError(f"{name} {value!r} is negative", path=path, line=line)
    return number


def _tallies(paths: list[Path], dois: dict[str, str]) -> pd.DataFrame:
    rows = []
    counts = ("supporting", "mentioning", "contrasting", "unclassified", "citing_publications", "citation_statements")
    for path in paths:
        for line, record in _read_checked(path, ("cited_doi",)):
            if "contradicting" in record and "contrasting" not in record:
                record["contrasting"] = record.pop("contradicting")
            row = {
                "cited_id": _resolve(record.get("cited_doi"), dois, path, line, "cited_doi"),
                "source": record.get("source") or path.stem,
                "provenance": _file_provenance(path, line, record),
            }
            for name in counts:
                row[name] = _number(record.get(name), path, line, name)
            rows.append(row)
    return pd.DataFrame(rows) if rows else empty_table("tallies")


def _reference_edges(corpus: pd.DataFrame, dois: dict[str, str]) -> pd.DataFrame:
    if "referenced_by" not in corpus.columns:
        return empty_table("citations")
    edges = []
    for _, row in corpus.iterrows():
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


def _merge_snapshot(corpus: pd.DataFrame, snapshot: dict) -> tuple[pd.DataFrame, dict[str, str]]:
    """Works from OpenAlex merged with the corpus: OpenAlex wins where it has a
    value, the corpus keeps what OpenAlex lacks, ``source`` says which.

    Returns the works and a map from the local id of every corpus row that
    OpenAlex resolved (by DOI, or by the title/listing matches the fetch
    recorded) to its OpenAlex id.
    """
    fetched = snapshot["works"]
    by_doi = {doi: wid for doi, wid in zip(fetched["doi"], fetched["work_id"]) if isinstance(doi, str)}
    matches = snapshot["matches"]
    matched = dict(zip(matches["corpus_work_id"], matches["work_id"])) if len(matches) else {}
    fetched_rows = {wid: row for wid, row in zip(fetched["work_id"], fetched.to_dict("records"))}
    merged, local_to_final, used = [], {}, set()
    for row in corpus.to_dict("records"):
        wid = by_doi.get(row["doi"]) if isinstance(row["doi"], str) else None
        wid = wid or matched.get(row["work_id"])
        if wid is None or wid not in fetched_rows or wid in used:
            # Unresolved, or a second corpus row matched to the same work (two
            # listing rows alike but for their abstracts): kept as it is.
            merged.append(row)
            continue
        local_to_final[row["work_id"]] = wid
        used.add(wid)
        combined = dict(row)
        for key, value in fetched_rows[wid].items():
            if key in ("is_corpus", "source", "requested"):
                continue
            if value is not None and value == value:
                combined[key] = value
        combined["work_id"] = wid
        combined["source"] = "openalex+corpus"
        combined["is_corpus"] = True
        merged.append(combined)
    for wid, row in fetched_rows.items():
        if wid in used:
            continue
        combined = dict(row)
        combined["is_corpus"] = bool(row.get("requested"))
        combined["source"] = "openalex"
        merged.append(combined)
    return pd.DataFrame(merged), local_to_final


def _per_year(works: pd.DataFrame, citations: pd.DataFrame, counts_by_year: pd.DataFrame | None) -> pd.DataFrame:
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
    rows = []
    for work_id in sorted(by_work):
        years = by_work[work_id]
        start = published.get(work_id)
        start = int(start) if not pd.isna(start) else (min(years) if years else first)
        if clip_start:
            start = max(start, first)
        if years:
            start = min(start, min(years))
        for year in range(start, max(last, max(years, default=last)) + 1):
            rows.append({"work_id": work_id, "year": year, "citations": years.get(year, 0), "definition": definition})
    return pd.DataFrame(rows, columns=["work_id", "year", "citations", "definition"])


def _sorted(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    return frame.sort_values(keys, kind="mergesort", na_position="last").reset_index(drop=True)


def make_tables(raw) -> Tables:
    """Read and validate everything under ``raw`` and return the tables, writing nothing."""
    raw = project_path(raw)
    if not raw.exists():
        raise BuildError(f"{raw} does not exist; give the folder of raw data (or a corpus file)")
    corpus_paths = corpus_files(raw)
    snapshot_dir = _snapshot_dir(raw)
    if not corpus_paths and snapshot_dir is None:
        raise BuildError(
            f"nothing to build in {raw}: put a corpus file (CSV/BibTeX/RIS) in {raw / 'corpus'} "
            "or fetch an OpenAlex snapshot with `peerbib fetch`"
        )
    corpus = _corpus_works(corpus_paths)
    counts_by_year = None
    snapshot_edges = empty_table("citations")
    local_to_final: dict[str, str] = {}
    incomplete: list[str] = []
    if snapshot_dir is not None:
        from .snapshot import snapshot_tables

        snapshot = snapshot_tables(snapshot_dir)
        works, local_to_final = _merge_snapshot(corpus, snapshot)
        incomplete = list(snapshot.get("incomplete") or [])
        counts_by_year = snapshot.get("counts_by_year")
        snapshot_edges = snapshot["citations"].assign(source="openalex")
    else:
        works = corpus
    works = conform(works, "works")
    dois = _doi_index(works)
    # A corpus row resolved by title keeps being known by the DOI its corpus
    # file gives, even where OpenAlex records another (e.g. a publisher version).
    for row in corpus.to_dict("records") if len(corpus) else []:
        if isinstance(row["doi"], str) and row["work_id"] in local_to_final:
            dois.setdefault(row["doi"], local_to_final[row["work_id"]])
    # Reference lists in corpus files name works by DOI; the edges are made
    # with the corpus's local ids, then moved to OpenAlex ids where resolved.
    references = _reference_edges(corpus, _doi_index(conform(corpus, "works")) if len(corpus) else {})
    if len(references):
        for column in ("citing_id", "cited_id"):
            references[column] = references[column].map(lambda x: local_to_final.get(x, x))
    citations = pd.concat([frame for frame in (references, snapshot_edges) if len(frame)] or [empty_table("citations")], ignore_index=True)
    citations = citations.drop_duplicates(subset=["citing_id", "cited_id"], keep="first")
    statements = _statements(_csv_files(raw, "statements"), dois)
    tallies = _tallies(_csv_files(raw, "tallies"), dois)
    per_year = _per_year(works, citations, counts_by_year)
    return Tables(
        works=_sorted(works, ["work_id"]),
        citations=_sorted(conform(citations, "citations"), ["citing_id", "cited_id"]),
        citations_per_year=_sorted(conform(per_year, "citations_per_year"), ["definition", "work_id", "year"]),
        statements=_sorted(conform(statements, "statements"), ["cited_id", "statement_id"]),
        tallies=_sorted(conform(tallies, "tallies"), ["cited_id", "source"]),
        warnings=[
            f"the OpenAlex snapshot in {snapshot_dir} has {len(incomplete)} unfinished "
            f"quer{'y' if len(incomplete) == 1 else 'ies'} ({'; '.join(incomplete[:3])}"
            f"{'; …' if len(incomplete) > 3 else ''}): run `peerbib fetch` again to complete it"
        ] if incomplete else [],
    )


def build(raw="data/raw", processed="data/processed") -> Tables:
    """Build the processed tables from the raw data and write them as Parquet.

    Parameters
    ----------
    raw : str or Path
        The raw folder (corpus files in ``corpus/``, statements in
        ``statements/``, tallies in ``tallies/``, an OpenAlex snapshot in
        ``openalex/``), or a single corpus file. Relative paths are taken from
        the project root (see :func:`peerbib.paths.project_root`).
    processed : str or Path
        Folder the tables are written to, one ``<table>.parquet`` each, with
        ``build_info.json`` recording the raw data's fingerprint.

    Returns
    -------
    Tables

    Raises
    ------
    CorpusError, BuildError
        When an input is invalid. Nothing is written then: ``processed`` keeps
        what it had.
    """
    raw = project_path(raw)
    processed = project_path(processed)
    tables = make_tables(raw)
    info = {
        "raw": str(raw),
        "raw_sha256": raw_fingerprint(raw),
        "built_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "peerbib_version": _version(),
        "rows": {name: len(frame) for name, frame in tables.items()},
        "warnings": tables.warnings,
    }
    for message in tables.warnings:
        warnings.warn(message, stacklevel=2)
    _write_atomically(tables, processed, info)
    return tables


def _version() -> str:
    from . import __version__

    return __version__


def _write_atomically(tables: Tables, processed: Path, info: dict) -> None:
    processed.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{processed.name}-", dir=processed.parent))
    try:
        for name, frame in tables.items():
            frame.to_parquet(staging / f"{name}.parquet", index=False)
        (staging / BUILD_INFO).write_text(json.dumps(info, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        if processed.exists():
            # Keep what else the folder holds (e.g. clusters.parquet from a notebook).
            for extra in processed.iterdir():
                target = staging / extra.name
                if not target.exists():
                    if extra.is_dir():
                        shutil.copytree(extra, target)
                    else:
                        shutil.copy2(extra, target)
            old = processed.with_name(f".{processed.name}-old-{os.getpid()}")
            os.replace(processed, old)
            os.replace(staging, processed)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(staging, processed)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def needs_build(raw="data/raw", processed="data/processed") -> bool:
    """True when ``processed`` is missing a table or was built from other raw data."""
    raw, processed = project_path(raw), project_path(processed)
    info_path = processed / BUILD_INFO
    if not info_path.is_file() or any(not (processed / f"{name}.parquet").is_file() for name in SCHEMAS):
        return True
    if not raw.exists():
        return False
    try:
        info = json.loads(info_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return True
    return info.get("raw_sha256") != raw_fingerprint(raw)


def load(processed="data/processed", *, raw="data/raw", rebuild="auto") -> Tables:
    """Load the processed tables, building them from ``raw`` when needed.

    Parameters
    ----------
    processed : str or Path
        Folder holding the Parquet tables.
    raw : str or Path
        Raw data to build from when ``processed`` is missing or stale.
    rebuild : {"auto", True, False}
        ``"auto"`` builds when a table is missing or the raw data changed since
        the last build; ``True`` always builds; ``False`` never does.

    Returns
    -------
    Tables
    """
    if rebuild is True or (rebuild == "auto" and needs_build(raw, processed)):
        return build(raw, processed)
    processed = project_path(processed)
    frames = {}
    for name in SCHEMAS:
        path = processed / f"{name}.parquet"
        if not path.is_file():
            raise BuildError(f"{path} is missing; run `peerbib build` first")
        frames[name] = conform(pd.read_parquet(path), name)
    return Tables(**frames)
