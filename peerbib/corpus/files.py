"""Which corpus files a raw folder holds, and reading them together."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..errors import CorpusError
from .read import CORPUS_SUFFIXES, read_corpus

__all__ = ["corpus_files", "read_corpora"]


def corpus_files(raw) -> list[Path]:
    """The corpus files of a raw folder: every CSV/BibTeX/RIS file in ``corpus/``
    and any such file directly in ``raw`` whose name contains "corpus".
    ``raw`` may also be one corpus file."""
    raw = Path(raw)
    if raw.is_file():
        return [raw]
    if not raw.is_dir():
        return []
    found = []
    if (raw / "corpus").is_dir():
        found += [p for p in (raw / "corpus").iterdir() if p.is_file() and p.suffix.lower() in CORPUS_SUFFIXES]
    found += [p for p in raw.iterdir() if p.is_file() and p.suffix.lower() in CORPUS_SUFFIXES and "corpus" in p.stem.lower()]
    return sorted(found)


def read_corpora(paths) -> pd.DataFrame:
    """Every corpus file in ``paths`` as one DataFrame (columns of :func:`read_corpus`).

    Raises
    ------
    CorpusError
        When a work (same DOI or same local id) is in two files, naming both.
    """
    frames = [read_corpus(path) for path in paths]
    if not frames:
        return pd.DataFrame(columns=["work_id", "doi"])
    corpus = pd.concat(frames, ignore_index=True)
    first: dict[str, dict] = {}
    for row in corpus.to_dict("records"):
        for key in (row["doi"], row["work_id"]):
            if key is None or key != key:
                continue
            if key in first:
                earlier = first[key]
                raise CorpusError(
                    f"{key} is also in {earlier['corpus_file']} line {earlier['corpus_line']}; "
                    "keep each work in one corpus file",
                    path=row["corpus_file"],
                    line=int(row["corpus_line"]),
                )
            first[key] = row
    return corpus
