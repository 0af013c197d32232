"""Hand coding: statements out to a CSV for coders, back in, and how well coders and classifier agree.

:func:`export_for_coding` writes the statements with their context and an
empty ``code`` column (the classifier's label hidden unless asked for), a
sample of them when asked, over-sampling the statements the classifier
thinks supporting or contrasting so coders see enough of the rare types.
:func:`read_coding` reads the file back and refuses, on one line each,
unknown codes, duplicate or unknown ids and sentences edited since the
export. :func:`coding_agreement` compares a coder with the classifier or
with another coder: Cohen's kappa, the confusion matrix, per-class
precision and recall.
"""
from __future__ import annotations

import csv
import hashlib
import io
import shutil
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..deprecation import deprecated_positional
from ..errors import AnalysisError, CorpusError, OwnershipError
from ..files import FORMULA_START, atomic_write_text, spreadsheet_text
from ..own_files import backup_path
from .sections import CITATION_TYPES

__all__ = ["export_for_coding", "read_coding", "coding_agreement", "Agreement", "CODES"]

CODES = CITATION_TYPES
_EXPORT = ["statement_id", "citing_id", "cited_id", "section", "section_heading", "context_before", "text",
           "context_after", "callout", "code", "coder_note"]
_LABELS = ["type", "confidence", "evidence"]


def _text_hash(text) -> str:
    return hashlib.sha1(" ".join(str(text).split()).encode("utf-8")).hexdigest()[:10]


@deprecated_positional("hide_labels")
def export_for_coding(statements: pd.DataFrame, path, *, hide_labels: bool = True, sample: int | None = None,
                      stratify: bool = False, random_state: int = 0, force: bool = False) -> Path:
    """Write statements to a CSV for hand coding.

    A cell that a spreadsheet would run as a formula (text beginning with
    ``=``, ``+``, ``-``, ``@``, a tab or a carriage return) is written with a
    leading apostrophe, which :func:`read_coding` takes off again.

    Parameters
    ----------
    statements : pandas.DataFrame
        A statements table (classified: ``pb.load().statements``).
    path : str or Path
        The CSV to write.
    hide_labels : bool
        Leave out the classifier's ``type``, ``confidence`` and ``evidence``
        (the default: coders should not see them).
    sample : int, optional
        Export this many statements, drawn at random (all when None).
    stratify : bool
        Draw the sample so that a third of it (or all there are) is what the
        classifier calls supporting or contrasting. Each row's
        ``sample_weight`` says how many statements of its kind it stands for.
    random_state : int
        Seed of the sample: the same statements and seed draw the same rows.
    force : bool
        Overwrite ``path`` even when it holds codes (or is not a coding file
        peerbib wrote); the old file is kept beside it as ``<name>.bak``
        (``.bak2``, … when that exists), and a warning says so.

    Returns
    -------
    Path

    Raises
    ------
    OwnershipError
        When ``path`` is a folder, or holds codes or other data and ``force`` is not given.
    AnalysisError
        When ``sample`` is not a whole number of at least 1.
    """
    if "statement_id" not in statements.columns or "text" not in statements.columns:
        raise AnalysisError("export_for_coding needs a statements table (statement_id, text)")
    if sample is not None and (isinstance(sample, bool) or not isinstance(sample, (int, np.integer)) or sample < 1):
        raise AnalysisError(f"sample {sample!r}: give how many statements to export, a whole number of at least 1")
    path = Path(path)
    backup = _make_room(path, force)
    frame = statements.reset_index(drop=True)
    rng = np.random.default_rng(random_state)
    weights = pd.Series(1.0, index=frame.index)
    if sample is not None and sample < len(frame):
        if stratify and "type" in frame.columns:
            rare = frame.index[frame["type"].isin(["supporting", "contrasting"])].to_numpy()
            common = frame.index[~frame["type"].isin(["supporting", "contrasting"])].to_numpy()
            n_rare = min(len(rare), max(1, sample // 3))
            n_common = min(len(common), sample - n_rare)
            chosen = np.concatenate([rng.choice(rare, n_rare, replace=False) if n_rare else np.array([], int),
                                     rng.choice(common, n_common, replace=False) if n_common else np.array([], int)])
            weights.loc[rare] = len(rare) / n_rare if n_rare else 1.0
            weights.loc[common] = len(common) / n_common if n_common else 1.0
        else:
            chosen = rng.choice(frame.index.to_numpy(), sample, replace=False)
            weights[:] = len(frame) / sample
        frame = frame.loc[np.sort(chosen)]
        weights = weights.loc[frame.index]
    out = pd.DataFrame({column: frame[column] if column in frame.columns else None for column in _EXPORT})
    out["code"] = ""
    out["coder_note"] = ""
    out["text_check"] = [_text_hash(t) for t in frame["text"]]
    out["sample_weight"] = weights.round(4).to_numpy()
    out["sampling"] = ("stratified" if stratify else "random") if sample is not None and sample < len(statements) \
        else "all"
    if not hide_labels:
        for column in _LABELS:
            out[f"classifier_{column}"] = frame[column].to_numpy() if column in frame.columns else None
    out = out.apply(lambda column: column.map(spreadsheet_text) if column.dtype != "float64" else column)
    buffer = io.StringIO()
    out.to_csv(buffer, index=False, quoting=csv.QUOTE_MINIMAL)
    atomic_write_text(path, buffer.getvalue())
    if backup is not None:
        warnings.warn(f"{path} held {backup[1]}; the old file is kept as {backup[0]}", stacklevel=2)
    return path


def _plain(value: str) -> str:
    """A cell as exported before :func:`peerbib.files.spreadsheet_text` (the apostrophe off again)."""
    return value[1:] if value.startswith("'") and value[1:2] and value[1:].startswith(FORMULA_START) else value


def _make_room(path: Path, force: bool) -> tuple[Path, str] | None:
    """Check that writing ``path`` loses nothing; with ``force``, back the old file up.

    Returns ``(backup, what it held)`` when a file was backed up.
    """
    if path.is_dir():
        raise OwnershipError(f"{path} is a folder: give a file name for the coding CSV, such as {path / 'coding.csv'}")
    if not path.exists() and not path.is_symlink():
        return None
    held = _held(path)
    if held is None:
        return None  # an export of ours with nothing coded yet: nothing to lose
    if not force:
        raise OwnershipError(f"{path} already holds {held}; peerbib will not overwrite it: give another --out, or "
                             "--force (force=True) to overwrite it, keeping the old file as a .bak")
    backup = backup_path(path)
    shutil.copy2(path, backup, follow_symlinks=True)
    return backup, held


def _held(path: Path) -> str | None:
    """What in ``path`` an export would lose: None for a coding export with no code or note filled in."""
    try:
        frame = pd.read_csv(path, dtype="str", keep_default_na=False)
    except (OSError, ValueError, pd.errors.ParserError, UnicodeDecodeError):
        return "data that is not a coding file peerbib wrote"
    if not {"statement_id", "text", "code"} <= set(frame.columns):
        return "data that is not a coding file peerbib wrote"
    coded = int((frame["code"].str.strip() != "").sum())
    notes = int((frame["coder_note"].str.strip() != "").sum()) if "coder_note" in frame.columns else 0
    if coded or notes:
        return f"{coded} coded statement{'s' if coded != 1 else ''}" + (f" and {notes} coder notes" if notes else "")
    return None


def read_coding(path, *, allow_blank: bool = True) -> pd.DataFrame:
    """Read a coding file back (as :func:`export_for_coding` wrote it, with ``code`` filled in).

    Rows with an empty ``code`` are left out (unless ``allow_blank=False``:
    then they are an error). Codes are read in lower case; scite's word
    "contradicting" counts as contrasting.

    Raises
    ------
    CorpusError
        Naming the file and line: an unknown code, a statement id twice, a
        row without an id, a sentence edited since the export.
    """
    path = Path(path)
    if not path.is_file():
        raise CorpusError("file not found; give the CSV written by export_for_coding", path=path)
    try:
        frame = pd.read_csv(path, dtype="str", keep_default_na=False)
    except (ValueError, pd.errors.ParserError) as exc:
        raise CorpusError(f"not a coding CSV ({' '.join(str(exc).split())[:200]})", path=path) from None
    for column in ("statement_id", "text", "code"):
        if column not in frame.columns:
            raise CorpusError(f"missing column {column!r}: the file needs the columns export_for_coding wrote",
                              path=path, line=1)
    seen: dict[str, int] = {}
    keep = []
    for i, written in enumerate(frame.to_dict("records")):
        row = {key: _plain(value) if isinstance(value, str) else value for key, value in written.items()}
        line = i + 2
        sid = row["statement_id"].strip()
        if not sid:
            raise CorpusError("a row without statement_id; do not add rows, only fill in `code`", path=path, line=line)
        if sid in seen:
            raise CorpusError(f"statement {sid} is here twice (also line {seen[sid]}); keep one row per statement",
                              path=path, line=line)
        seen[sid] = line
        code = row["code"].strip().lower()
        if code == "contradicting":
            code = "contrasting"
        if not code:
            if not allow_blank:
                raise CorpusError(f"statement {sid} has no code", path=path, line=line)
            continue
        if code not in CODES:
            raise CorpusError(f"code {row['code']!r} of statement {sid} is not one of {', '.join(CODES)}",
                              path=path, line=line)
        if row.get("text_check") and _text_hash(written["text"]) == row["text_check"]:
            row["text"] = written["text"]  # the sentence itself began with an apostrophe
        elif row.get("text_check") and _text_hash(row["text"]) != row["text_check"]:
            raise CorpusError(f"the sentence of statement {sid} was edited since the export; code it as it was "
                              "(write remarks in coder_note)", path=path, line=line)
        row["code"] = code
        keep.append(row)
    out = pd.DataFrame(keep, columns=frame.columns)
    if "sample_weight" in out.columns:
        out["sample_weight"] = pd.to_numeric(out["sample_weight"], errors="coerce")
    return out


@dataclass
class Agreement:
    """How two codings of the same statements agree.

    Attributes
    ----------
    kappa : float
        Cohen's kappa (1 agreement, 0 what chance gives).
    agreement : float
        Share of statements coded the same.
    n : int
        Statements coded by both.
    confusion : pandas.DataFrame
        Rows: the first coding; columns: the second.
    per_class : pandas.DataFrame
        Precision, recall, F1 and support of the second against the first, per code.
    note : str
        What the figures rest on (e.g. a stratified sample: rare types over-represented).
    """

    kappa: float
    agreement: float
    n: int
    confusion: pd.DataFrame
    per_class: pd.DataFrame
    note: str = ""
    unknown: list = field(default_factory=list)

    def __repr__(self) -> str:
        lines = [f"Agreement on {self.n} statements: kappa {self.kappa:.2f}, {self.agreement:.0%} coded the same"]
        if self.note:
            lines.append(self.note)
        lines.append(self.confusion.to_string())
        return "\n".join(lines)


def _codes(frame: pd.DataFrame, name: str) -> pd.Series:
    if isinstance(frame, (str, Path)):
        frame = read_coding(frame)
    if not isinstance(frame, pd.DataFrame) or "statement_id" not in frame.columns:
        raise AnalysisError(f"coding_agreement needs {name} as a table with statement_id and code (or type)")
    column = "code" if "code" in frame.columns else "type" if "type" in frame.columns else None
    if column is None:
        raise AnalysisError(f"{name} has neither a 'code' nor a 'type' column")
    values = frame.set_index("statement_id")[column].astype("str").str.strip().str.lower()
    values = values.replace({"contradicting": "contrasting"})
    return values[values.isin(CODES)]


def coding_agreement(coded, other) -> Agreement:
    """Agreement between a coding and another coding or the classifier.

    Parameters
    ----------
    coded : pandas.DataFrame or path
        What :func:`read_coding` returns (or the file).
    other : pandas.DataFrame or path
        Another coder's file, or the classified statements (their ``type``).

    Returns
    -------
    Agreement
    """
    from sklearn.metrics import cohen_kappa_score, confusion_matrix, precision_recall_fscore_support

    first, second = _codes(coded, "coded"), _codes(other, "other")
    common = first.index.intersection(second.index)
    if not len(common):
        raise AnalysisError("the two codings share no statement (statement_id); compare codings of the same export")
    a, b = first.loc[common], second.loc[common]
    labels = [c for c in CODES if c in set(a) | set(b)]
    with warnings.catch_warnings():
        # one code on both sides is a 1x1 matrix, which is right; scikit-learn warns about it
        warnings.filterwarnings("ignore", message="A single label was found", category=UserWarning)
        matrix = pd.DataFrame(confusion_matrix(a, b, labels=labels), index=pd.Index(labels, name="coded"),
                              columns=pd.Index(labels, name="other"))
    precision, recall, f1, support = precision_recall_fscore_support(a, b, labels=labels, zero_division=0)
    per_class = pd.DataFrame({"precision": precision, "recall": recall, "f1": f1, "support": support},
                             index=pd.Index(labels, name="code"))
    kappa = float(cohen_kappa_score(a, b)) if len(set(a) | set(b)) > 1 else 1.0
    note = ""
    frame = coded if isinstance(coded, pd.DataFrame) else None
    if frame is not None and "sampling" in frame.columns and (frame["sampling"] == "stratified").any():
        note = ("stratified sample: supporting and contrasting statements are over-represented, so these figures "
                "are not those of the whole table (see sample_weight)")
    return Agreement(kappa=kappa, agreement=float((a == b).mean()), n=len(common), confusion=matrix,
                     per_class=per_class, note=note)
