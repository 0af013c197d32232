"""A citation-type classifier trained on statements a researcher coded.

:func:`train_classifier` fits a scikit-learn pipeline (TF-IDF of words and
word pairs, and of character n-grams, with the section as a word; logistic
regression with balanced classes; probabilities calibrated when every class
has enough examples) and reports how well it does by cross-validation that
keeps each citing work's statements together (a paper's phrasing must not
teach the model about the same paper). It warns when a class has too few
examples to learn. :meth:`TrainedClassifier.save` writes it with skops (no
pickle: loading runs no code) beside its versions and the training data's
hash; :func:`load_classifier` refuses a file made by another scikit-learn
version or holding types it does not know.
"""
from __future__ import annotations

import hashlib
import json
import warnings
from dataclasses import dataclass, field
from importlib.metadata import version as _version
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import AnalysisError
from ..files import atomic_write
from .sections import CITATION_TYPES

__all__ = ["TrainedClassifier", "train_classifier", "load_classifier", "MIN_PER_CLASS"]

#: Fewer examples of a class than this and the model is warned it cannot learn it well.
MIN_PER_CLASS = 10
LABELS = CITATION_TYPES[:3]
# The sklearn types a saved classifier may hold beyond those skops trusts by default.
_TRUSTED = ["sklearn.calibration._CalibratedClassifier", "sklearn.calibration._SigmoidCalibration"]


def _inputs(frame: pd.DataFrame, text: str) -> list[str]:
    sections = frame["section"] if "section" in frame else pd.Series([None] * len(frame), index=frame.index)
    return [f"__section_{s if isinstance(s, str) else 'unknown'}__ {t if isinstance(t, str) else ''}"
            for t, s in zip(frame[text].tolist(), sections.tolist())]


def _pipeline(calibrate: bool, random_state: int):
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import FeatureUnion, Pipeline

    features = FeatureUnion([
        ("words", TfidfVectorizer(ngram_range=(1, 2), min_df=1, sublinear_tf=True, lowercase=True)),
        ("characters", TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), min_df=2, sublinear_tf=True)),
    ])
    model = LogisticRegression(class_weight="balanced", max_iter=2000, C=4.0, random_state=random_state)
    if calibrate:
        model = CalibratedClassifierCV(model, cv=3, method="sigmoid")
    return Pipeline([("features", features), ("model", model)])


@dataclass
class TrainedClassifier:
    """A classifier fitted on coded statements (see :func:`train_classifier`).

    Attributes
    ----------
    pipeline : sklearn.pipeline.Pipeline
    label : str
        ``"trained/<hash of the training data>"``, the ``classifier`` column's value.
    evaluation : pandas.DataFrame
        Cross-validated ``precision, recall, f1, support`` per class (rows
        supporting, mentioning, contrasting, and macro average), grouped by citing work.
    counts : dict
        Training examples per class.
    meta : dict
        Versions (peerbib, scikit-learn), the training data's sha256, the settings.
    """

    pipeline: object
    label: str
    evaluation: pd.DataFrame
    counts: dict
    meta: dict = field(default_factory=dict)

    def predict(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Columns ``type, confidence, evidence`` for each row of a statements table."""
        if not len(frame):
            return pd.DataFrame(columns=["type", "confidence", "evidence"], index=frame.index)
        has_text = frame["text"].map(lambda t: isinstance(t, str) and bool(t.strip()))
        probabilities = self.pipeline.predict_proba(_inputs(frame, "text"))
        classes = list(self.pipeline.classes_)
        best = probabilities.argmax(axis=1)
        types = [classes[i] if ok else "unclassified" for i, ok in zip(best, has_text)]
        confidence = [float(probabilities[row, i]) if ok else None for row, (i, ok) in enumerate(zip(best, has_text))]
        evidence = [f"{self.label}: p({classes[i]}) = {probabilities[row, i]:.2f}" if ok else "no text"
                    for row, (i, ok) in enumerate(zip(best, has_text))]
        return pd.DataFrame({"type": types, "confidence": confidence, "evidence": evidence}, index=frame.index)

    def save(self, path) -> Path:
        """Write the classifier (skops) and its metadata (JSON beside it: ``<path>.json``)."""
        import skops.io as sio

        path = Path(path)
        atomic_write(path, sio.dumps(self.pipeline))
        meta = dict(self.meta, label=self.label, counts=self.counts,
                    evaluation=self.evaluation.reset_index().to_dict("records"))
        atomic_write(path.with_name(path.name + ".json"), (json.dumps(meta, indent=1) + "\n").encode("utf-8"))
        return path


def load_classifier(path) -> TrainedClassifier:
    """A classifier saved by :meth:`TrainedClassifier.save`.

    Raises
    ------
    AnalysisError
        When the file is missing, was made with another scikit-learn version,
        or holds types peerbib does not load.
    """
    import skops.io as sio

    path = Path(path)
    meta_path = path.with_name(path.name + ".json")
    if not path.is_file() or not meta_path.is_file():
        raise AnalysisError(f"{path} (and {meta_path.name} beside it) is not a saved peerbib classifier")
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    here = _version("scikit-learn")
    if meta.get("sklearn_version") != here:
        raise AnalysisError(f"{path} was trained with scikit-learn {meta.get('sklearn_version')}, this is {here}: "
                            "train it again here (pb.train_classifier) with the same coded statements")
    data = path.read_bytes()
    unknown = [t for t in sio.get_untrusted_types(data=data) if t not in _TRUSTED]
    if unknown:
        raise AnalysisError(f"{path} holds types peerbib does not load ({', '.join(unknown)}); "
                            "only classifiers made by pb.train_classifier are read")
    pipeline = sio.loads(data, trusted=sio.get_untrusted_types(data=data))
    evaluation = pd.DataFrame(meta.get("evaluation", [])).set_index("class") if meta.get("evaluation") else \
        pd.DataFrame()
    return TrainedClassifier(pipeline=pipeline, label=meta["label"], evaluation=evaluation,
                             counts=meta.get("counts", {}), meta=meta)


def _data_hash(texts: list[str], labels: list[str]) -> str:
    digest = hashlib.sha256()
    for text, label in zip(texts, labels):
        digest.update(f"{label}\t{text}\n".encode("utf-8"))
    return digest.hexdigest()


def train_classifier(coded: pd.DataFrame, *, text: str = "text", label: str = "type", group: str = "citing_id",
                     random_state: int = 0, folds: int = 5) -> TrainedClassifier:
    """Fit a classifier on coded statements.

    Parameters
    ----------
    coded : pandas.DataFrame
        Statements with a ``text`` column and a ``label`` column holding
        supporting, mentioning or contrasting (other rows are left out), e.g.
        what :func:`peerbib.read_coding` returns; ``section`` is used when present.
    text, label : str
        The columns to read.
    group : str
        Statements sharing a value here (the citing work) stay in one fold of
        the cross-validation. Without the column, each statement is its own group.
    random_state : int
    folds : int
        Cross-validation folds (fewer when there are fewer groups).

    Returns
    -------
    TrainedClassifier
        With ``.evaluation``: cross-validated precision, recall and F1 per class.

    Warns
    -----
    UserWarning
        When a class has fewer than :data:`MIN_PER_CLASS` examples (saying how many).
    """
    from sklearn.metrics import precision_recall_fscore_support
    from sklearn.model_selection import GroupKFold

    for column in (text, label):
        if column not in coded.columns:
            raise AnalysisError(f"train_classifier needs a {column!r} column; the table has {list(coded.columns)}")
    rows = coded[coded[label].isin(LABELS) & coded[text].map(lambda t: isinstance(t, str) and bool(t.strip()))]
    counts = {name: int((rows[label] == name).sum()) for name in LABELS}
    present = [name for name in LABELS if counts[name]]
    if len(present) < 2 or len(rows) < 10:
        raise AnalysisError(f"train_classifier needs coded statements of at least two types and 10 in all; "
                            f"it has {counts}")
    for name in LABELS:
        if counts[name] < MIN_PER_CLASS:
            warnings.warn(f"only {counts[name]} '{name}' statements to learn from (fewer than {MIN_PER_CLASS}): "
                          f"the classifier will rarely find this type; code more of them", stacklevel=2)
    texts = _inputs(rows, text)
    labels = rows[label].astype("str").tolist()
    groups = rows[group].astype("str").tolist() if group in rows.columns else list(range(len(rows)))
    calibrate = min(counts[name] for name in present) >= 6
    n_splits = max(2, min(folds, len(set(groups))))
    predicted = np.empty(len(rows), dtype=object)
    for train_index, test_index in GroupKFold(n_splits=n_splits).split(texts, labels, groups):
        train_labels = [labels[i] for i in train_index]
        if len(set(train_labels)) < 2:
            predicted[test_index] = train_labels[0]
            continue
        fold_counts = [train_labels.count(name) for name in set(train_labels)]
        fold = _pipeline(calibrate and min(fold_counts) >= 3, random_state)
        fold.fit([texts[i] for i in train_index], train_labels)
        predicted[test_index] = fold.predict([texts[i] for i in test_index])
    precision, recall, f1, support = precision_recall_fscore_support(labels, list(predicted), labels=list(LABELS),
                                                                     zero_division=0)
    evaluation = pd.DataFrame({"precision": precision, "recall": recall, "f1": f1, "support": support},
                              index=pd.Index(LABELS, name="class"))
    evaluation.loc["macro average"] = [precision.mean(), recall.mean(), f1.mean(), int(support.sum())]
    pipeline = _pipeline(calibrate, random_state)
    pipeline.fit(texts, labels)
    digest = _data_hash(texts, labels)
    from .. import __version__

    meta = {"peerbib_version": __version__, "sklearn_version": _version("scikit-learn"), "training_sha256": digest,
            "rows": len(rows), "folds": n_splits, "grouped_by": group if group in rows.columns else None,
            "calibrated": calibrate, "random_state": random_state}
    return TrainedClassifier(pipeline=pipeline, label=f"trained/{digest[:12]}", evaluation=evaluation,
                             counts=counts, meta=meta)
