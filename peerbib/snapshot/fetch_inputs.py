"""What a fetch is asked for: the corpus rows of ``fetch``'s arguments and of the command line's.

``dois`` may be DOIs and OpenAlex ids, a corpus DataFrame, a corpus file, or
nothing (the project's ``data/raw/corpus/``); the command line gives files or
DOIs, and :func:`corpus_argument` turns them into what :func:`corpus_rows` reads.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from ..corpus import CORPUS_SUFFIXES, corpus_files, local_work_id, read_corpora, read_corpus
from ..errors import FetchError
from ..ids import as_int, is_blank, is_valid_doi, normalize_doi, short_id
from ..paths import project_path
from ..settings import RAW

__all__ = ["CorpusRow", "corpus_rows", "corpus_argument", "chunks"]


@dataclass
class CorpusRow:
    """One corpus row as the fetch looks it up: by DOI, OpenAlex id, or title/abstract."""

    corpus_work_id: str
    doi: str | None = None
    openalex_id: str | None = None
    title: str | None = None
    authors: str | None = None
    year: int | None = None
    venue: str | None = None
    abstract: str | None = None

    def facts(self) -> dict:
        """What the row said when it was matched: lets build recognise it after an edit."""
        return {"title": self.title, "publication_year": self.year, "authors": self.authors,
                "abstract": self.abstract}


def _text(value) -> str | None:
    return None if is_blank(value) else str(value).strip() or None


def _from_frame(frame) -> list[CorpusRow]:
    rows = []
    columns = set(frame.columns)
    for row in frame.to_dict("records"):
        doi = normalize_doi(_text(row.get("doi")))
        if doi is not None and not is_valid_doi(doi):
            raise FetchError(f"malformed DOI {row.get('doi')!r}: a DOI looks like 10.1234/abcd")
        wid = None
        for column in ("openalex_id", "openalex"):
            if column in columns and _text(row.get(column)):
                wid = short_id(_text(row.get(column)))
        year = as_int(row.get("publication_year", row.get("year")))
        corpus_id = _text(row.get("work_id")) or local_work_id(
            doi, _text(row.get("title")), _text(row.get("authors")), year, _text(row.get("venue")), _text(row.get("abstract"))
        )
        rows.append(
            CorpusRow(corpus_id, doi, wid, _text(row.get("title")), _text(row.get("authors")), year,
                      _text(row.get("venue")), _text(row.get("abstract")))
        )
    return rows


def _from_strings(values: Iterable) -> list[CorpusRow]:
    rows = []
    for value in values:
        text = _text(value)
        if text is None:
            continue
        wid = short_id(text)
        if wid:
            rows.append(CorpusRow(corpus_work_id=wid, openalex_id=wid))
            continue
        doi = normalize_doi(text)
        if not is_valid_doi(doi):
            raise FetchError(
                f"{text!r} is neither a DOI (like 10.1234/abcd) nor an OpenAlex work id (like W2741809807)"
            )
        rows.append(CorpusRow(corpus_work_id=local_work_id(doi), doi=doi))
    return rows


def _is_corpus_file(value) -> bool:
    """True for a value naming a corpus file: a path object, a name with a corpus file's suffix, an existing file."""
    path = Path(value)
    return isinstance(value, os.PathLike) or path.suffix.lower() in CORPUS_SUFFIXES or path.exists()


def _corpus_file(value) -> Path:
    """The corpus file ``value`` names: as given when it exists, else taken from the project root."""
    path = Path(value)
    return path if path.exists() else project_path(path)


def corpus_rows(dois, search) -> list[CorpusRow]:
    """The corpus rows a fetch is asked for (see :func:`peerbib.fetch`'s ``dois``)."""
    import pandas as pd

    if dois is None:
        if search is not None:
            return []
        paths = corpus_files(project_path(RAW))
        if not paths:
            raise FetchError(
                "no corpus to fetch: pass dois=[...] or a corpus file, or put a corpus file in data/raw/corpus/"
            )
        return _dedupe(_from_frame(read_corpora(paths, user_merges=project_path(RAW) / "corpus")))
    if isinstance(dois, pd.DataFrame):
        return _dedupe(_from_frame(dois))
    if isinstance(dois, (str, os.PathLike)):
        if _is_corpus_file(dois):
            return _dedupe(_from_frame(read_corpus(_corpus_file(dois))))
        return _dedupe(_from_strings([dois]))
    if isinstance(dois, pd.Series):
        dois = dois.tolist()
    return _dedupe(_from_strings(dois))


def corpus_argument(values: list[str] | None):
    """What ``peerbib fetch CORPUS...`` asks for, as :func:`corpus_rows` takes it.

    Corpus files (read and merged into one corpus DataFrame) or DOIs and ids
    (a list), not both; None when nothing is given (the project's corpus).
    """
    if not values:
        return None
    files = [value for value in values if _is_corpus_file(value)]
    others = [value for value in values if value not in files]
    if files and others:
        raise FetchError("give either corpus files or DOIs on the command line, not both")
    if files:
        return read_corpora([_corpus_file(value) for value in files])
    return others


def _dedupe(rows: list[CorpusRow]) -> list[CorpusRow]:
    seen, out = set(), []
    for row in rows:
        key = row.doi or row.openalex_id or row.corpus_work_id
        if key not in seen:
            seen.add(key)
            out.append(row)
    return out


def chunks(items: list, size: int) -> list[list]:
    """``items`` in consecutive lists of at most ``size``."""
    return [items[i:i + size] for i in range(0, len(items), size)]
