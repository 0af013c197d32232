"""Choosing the text of each work: title and abstract, the abstract alone, or the title alone.

:func:`select_texts` checks the works table, picks each work's text, lists
the works left out and why, and sorts the texts by ``work_id`` so that the
clustering does not depend on the table's row order.
:meth:`Selection.merge_duplicates` keeps one text of works whose texts are the
same (the same record from two databases, a preprint and its article): two
copies of a text would otherwise pass every document-frequency threshold
together and form a cluster of their own, at a silhouette of 1.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from ...errors import AnalysisError
from ...ids import is_blank
from .text import clean_text

__all__ = ["Selection", "select_texts", "duplicate_key"]


@dataclass(frozen=True)
class Selection:
    """The texts to cluster, one per work, sorted by ``work_id``.

    Attributes
    ----------
    work_ids, texts, abstracts, sources, titles, years : array-like
        One entry per text: its work, what is clustered (``title | abstract``,
        the abstract or the title), the abstract ("" if none, for the
        representatives' excerpts), the text source (``"title+abstract"``,
        ``"abstract"`` or ``"title"``), the title and the publication year.
    caller_ids : numpy.ndarray
        ``work_id`` of the selected works in the caller's row order, to give
        the per-work results back in that order.
    left_out : pandas.DataFrame
        ``work_id, reason`` of the works not clustered.
    duplicates : pandas.DataFrame
        ``work_id, same_as, text_source, publication_year`` of the works
        whose text repeats that of work ``same_as`` (see
        :meth:`merge_duplicates`): not among the texts, they take
        ``same_as``'s cluster.
    """

    work_ids: np.ndarray
    texts: np.ndarray
    abstracts: np.ndarray
    sources: np.ndarray
    titles: np.ndarray
    years: object
    caller_ids: np.ndarray
    left_out: pd.DataFrame
    duplicates: pd.DataFrame = field(default_factory=lambda: _no_duplicates())

    def __len__(self) -> int:
        return len(self.texts)

    def without(self, dropped: np.ndarray, reason: str) -> Selection:
        """These texts but those where ``dropped`` is true, which join :attr:`left_out` with ``reason``
        (and so do their duplicates)."""
        gone = self.work_ids[dropped]
        copies = self.duplicates["same_as"].isin(gone).to_numpy()
        left = pd.DataFrame({"work_id": np.concatenate([gone, self.duplicates["work_id"].to_numpy()[copies]]),
                             "reason": reason})
        kept = ~dropped
        return replace(self, work_ids=self.work_ids[kept], texts=self.texts[kept], abstracts=self.abstracts[kept],
                       sources=self.sources[kept], titles=self.titles[kept], years=self.years[kept],
                       left_out=pd.concat([self.left_out, left], ignore_index=True),
                       duplicates=self.duplicates[~copies].reset_index(drop=True))

    def merge_duplicates(self) -> Selection:
        """One text for each group of works whose texts are the same once normalised (:func:`duplicate_key`).

        The first work of a group by ``work_id`` keeps the text; the others
        go to :attr:`duplicates`, with the work they repeat.
        """
        keys = pd.Series([duplicate_key(text) for text in self.texts], dtype="object")
        repeated = keys.duplicated(keep="first").to_numpy()
        if not repeated.any():
            return self
        first = pd.Series(self.work_ids, dtype="object").groupby(keys.to_numpy(), sort=False).transform("first")
        duplicates = pd.DataFrame({
            "work_id": self.work_ids[repeated].astype(str), "same_as": first.to_numpy()[repeated].astype(str),
            "text_source": self.sources[repeated].astype(str),
            "publication_year": pd.array(self.years[repeated], dtype="Int64"),
        })
        kept = ~repeated
        return replace(self, work_ids=self.work_ids[kept], texts=self.texts[kept], abstracts=self.abstracts[kept],
                       sources=self.sources[kept], titles=self.titles[kept], years=self.years[kept],
                       duplicates=pd.concat([self.duplicates, duplicates], ignore_index=True))


def _no_duplicates() -> pd.DataFrame:
    return pd.DataFrame({"work_id": pd.Series(dtype="str"), "same_as": pd.Series(dtype="str"),
                         "text_source": pd.Series(dtype="str"), "publication_year": pd.Series(dtype="Int64")})


_NOT_WORD_RE = re.compile(r"[\W_]+")


def duplicate_key(text: str) -> str:
    """What two texts share when one repeats the other: the words of the cleaned text, case-folded, without
    punctuation (``"Peer support: a review."`` and ``"PEER SUPPORT - A REVIEW"`` give the same key)."""
    text = unicodedata.normalize("NFKC", clean_text(str(text))).casefold()
    return _NOT_WORD_RE.sub(" ", text).strip()


def _present(values: pd.Series) -> np.ndarray:
    """True where a text value is present and not blank."""
    return ~np.fromiter(map(is_blank, values), dtype=bool, count=len(values))


def _checked_work_ids(works: pd.DataFrame) -> pd.Series:
    """The ``work_id`` column as str, once the table has the columns needed and no duplicate work."""
    if not isinstance(works, pd.DataFrame):
        raise AnalysisError(
            f"cluster_abstracts needs a pandas DataFrame of works, got {type(works).__name__}; "
            "pass tables.works (from pb.load())."
        )
    if "work_id" not in works.columns or not ({"abstract", "title"} & set(works.columns)):
        raise AnalysisError(
            "cluster_abstracts needs a works table with columns work_id and abstract "
            f"(and title); this one has {list(works.columns)}. Pass tables.works from pb.load()."
        )
    work_ids = works["work_id"].astype("str")
    duplicated = work_ids[work_ids.duplicated()]
    if len(duplicated):
        raise AnalysisError(
            f"works has {len(duplicated)} duplicate work_id values (e.g. {duplicated.iloc[0]!r}); "
            "drop them first, e.g. works.drop_duplicates('work_id')."
        )
    return work_ids


def _texts_of(works: pd.DataFrame, work_ids: pd.Series, use_titles: bool):
    """Choose each work's text.

    Returns (which rows are kept, their texts, abstracts ("" if none), text
    sources, left-out table).
    """
    n = len(works)
    empty = pd.Series([pd.NA] * n, index=works.index, dtype="str")
    abstracts = works["abstract"] if "abstract" in works.columns else empty
    titles = works["title"] if ("title" in works.columns and use_titles) else empty
    has_abstract, has_title = _present(abstracts), _present(titles)

    source = np.full(n, "", dtype=object)
    source[has_abstract & has_title] = "title+abstract"
    source[has_abstract & ~has_title] = "abstract"
    source[~has_abstract & has_title] = "title"
    kept = source != ""

    has_any_title = _present(works["title"]) if "title" in works.columns else np.zeros(n, dtype=bool)
    reasons = np.where(
        has_any_title & ~has_title, "no abstract (use_titles=False)", "no abstract or title"
    )
    left_out = pd.DataFrame({"work_id": work_ids[~kept].to_numpy(), "reason": reasons[~kept]})

    abstract_text = abstracts.fillna("").astype("str").to_numpy(dtype=object)
    title_text = titles.fillna("").astype("str").to_numpy(dtype=object)
    # The title is a sentence of its own: a separator stops bigrams across it.
    texts = np.where(has_title & has_abstract, title_text + " | " + abstract_text,
                     np.where(has_abstract, abstract_text, title_text))
    abstract_text[~has_abstract] = ""
    return kept, texts[kept], abstract_text[kept], source[kept], left_out


def select_texts(works: pd.DataFrame, *, use_titles: bool) -> Selection:
    """The text of each work that has one, sorted by ``work_id``, and the works left out.

    Raises
    ------
    AnalysisError
        If the table lacks the needed columns, has duplicate ``work_id``, or
        fewer than three works have a usable text.
    """
    work_ids = _checked_work_ids(works)
    kept, texts, abstracts, sources, left_out = _texts_of(works, work_ids, use_titles)
    if len(texts) < 3:
        raise AnalysisError(
            f"only {len(texts)} of {len(works)} works have an abstract"
            f"{' or title' if use_titles else ''}; clustering needs at least 3. "
            "Add works with abstracts to the corpus"
            f"{'' if use_titles else ' or pass use_titles=True'}."
        )
    rows, ids = works[kept], work_ids[kept].to_numpy(dtype=object)
    # Sorting by work_id makes the result independent of the table's row order.
    order = np.argsort(ids.astype(str), kind="stable")
    titles = (
        rows["title"].astype("str").to_numpy(dtype=object)[order]
        if "title" in rows.columns
        else np.full(len(order), "", dtype=object)
    )
    years = (
        rows["publication_year"].astype("Int64").to_numpy()[order]
        if "publication_year" in rows.columns
        else pd.array([pd.NA] * len(order), dtype="Int64")
    )
    return Selection(work_ids=ids[order], texts=texts[order], abstracts=abstracts[order], sources=sources[order],
                     titles=titles, years=years, caller_ids=ids, left_out=left_out)
