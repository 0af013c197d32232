"""The learned citation-type classifier: a linear model over words, context and cues, calibrated, explained.

:class:`LinearClassifier` reads a statement through three sets of features:

- the words and word pairs of the sentence (TF-IDF of :func:`.features.model_text`: the cited
  callout as ``CITX``, other citations ``CITO``, digits ``0``);
- the words of the sentences around it (TF-IDF of :func:`.features.context_text`);
- the cue features of :func:`.features.cue_features` (agreement and disagreement cues of the cue
  file, tied to the citation or not, negated or not, the paper's own work named or not, hedging,
  comparison, the section, how many works the sentence cites).

A multinomial logistic regression with balanced class weights scores them.
Its scores are mapped to probabilities by a second, small logistic
regression fitted on held-out scores (papers the model did not see), with
each statement weighted as the statements a user meets (so a confidence of
0.8 means that 8 in 10 such statements are of that type). Each type has a
threshold, chosen on held-out papers: a statement gets the rare type
(supporting, contrasting) whose probability reaches its threshold, else
mentioning when mentioning reaches its own, else it stays *unclassified*.

The evidence of a decision is the two or three readable features that
pushed hardest towards it: "'consistent with' + 'our results' → supporting".

The model is saved with skops (no pickle: loading runs no code) as plain
scikit-learn objects and arrays; the thresholds, evaluation and provenance
go in a JSON file beside it.
"""
from __future__ import annotations

import hashlib
import json
import zipfile
from dataclasses import dataclass, field
from importlib.metadata import version as _version
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import AnalysisError
from ..files import atomic_write
from .features import FEATURE_NAMES, FEATURE_TEXT, context_text, cue_features, model_text

__all__ = ["LinearClassifier", "fit_linear", "LABELS", "load_linear", "decide", "align_scores"]

#: The types a model learns, in the order of its columns.
LABELS = ("supporting", "mentioning", "contrasting")
_ARROW = "\u2192"
# The sklearn types a saved model holds beyond those skops trusts by default (none are code).
_TRUSTED = ["sklearn.feature_extraction.text.TfidfTransformer", "sklearn.feature_extraction.text.TfidfVectorizer",
            "sklearn.linear_model._logistic.LogisticRegression", "numpy.dtype", "builtins.slice"]


def _column(frame: pd.DataFrame, name: str) -> list:
    return frame[name].tolist() if name in frame.columns else [None] * len(frame)


def _texts(frame: pd.DataFrame, plain: bool = False) -> tuple[list[str], list[str]]:
    if plain:  # the plain baseline reads the sentence as it is
        sentences = [t if isinstance(t, str) else "" for t in _column(frame, "text")]
    else:
        sentences = [model_text(t, c if isinstance(c, str) else None)
                     for t, c in zip(_column(frame, "text"), _column(frame, "callout"))]
    contexts = [context_text(b, a) for b, a in zip(_column(frame, "context_before"), _column(frame, "context_after"))]
    return sentences, contexts


def _matrix(parts: dict, frame: pd.DataFrame, *, fit: bool = False):
    """The feature matrix of ``frame`` (and the cue words per row), fitting the vectorizers when ``fit``."""
    from scipy import sparse

    sentences, contexts = _texts(frame, plain=bool(parts.get("plain")))
    dense, said = cue_features(frame) if parts["cue_weight"] else (np.zeros((len(frame), len(FEATURE_NAMES))),
                                                                  [{} for _ in range(len(frame))])
    if fit:
        parts["words"].fit(sentences)
        try:
            parts["context"].fit(contexts if parts["context_weight"] else ["context not used"] * 2)
        except ValueError:  # no sentence around any statement (an import of bare sentences): nothing to read
            parts["context"].fit(["context not used"] * 2)
    if parts["context_weight"]:
        context = parts["context"].transform(contexts) * parts["context_weight"]
    else:  # not read: an empty block of the same width keeps the columns where the model expects them
        context = sparse.csr_matrix((len(frame), len(parts["context"].vocabulary_)), dtype=np.float32)
    blocks = [parts["words"].transform(sentences), context, sparse.csr_matrix(dense * parts["cue_weight"])]
    return sparse.hstack(blocks, format="csr"), said


def _new_parts(context_weight: float = 0.5, cue_weight: float = 1.0, min_df: int = 2, plain: bool = False) -> dict:
    from sklearn.feature_extraction.text import TfidfVectorizer

    if plain:  # TF-IDF of word 1-2-grams as scikit-learn makes them by default: the baseline to beat
        return {"words": TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True),
                "context": TfidfVectorizer(), "context_weight": 0.0, "cue_weight": 0.0, "plain": True}
    return {
        "words": TfidfVectorizer(ngram_range=(1, 2), min_df=min_df, sublinear_tf=True, lowercase=True,
                                 token_pattern=r"(?u)\b\w+\b", dtype=np.float32),
        "context": TfidfVectorizer(ngram_range=(1, 1), min_df=min_df, sublinear_tf=True, lowercase=True,
                                   token_pattern=r"(?u)\b[^\W\d_]{2,}\b", dtype=np.float32),
        "context_weight": float(context_weight),
        "cue_weight": float(cue_weight),
    }


def align_scores(scores: np.ndarray, have: list, want: list) -> np.ndarray:
    """Score columns in the order ``want`` (a type the model never saw scores -1000: never chosen)."""
    if scores.ndim == 1:  # two classes: one column of scores for the second
        scores = np.column_stack([-scores, scores])
    have = [str(c) for c in have]
    if have == list(want):
        return scores
    out = np.full((scores.shape[0], len(want)), -1e3)
    for j, name in enumerate(have):
        if name in want:
            out[:, want.index(name)] = scores[:, j]
    return out


def _calibrate(scores: np.ndarray, labels: list[str], weights=None):
    """A logistic regression from the model's three scores to probabilities (fitted on held-out scores)."""
    from sklearn.linear_model import LogisticRegression

    calibrator = LogisticRegression(C=100.0, max_iter=5000)
    calibrator.fit(scores, labels, sample_weight=weights)
    return calibrator


def decide(probabilities: np.ndarray, classes: list[str], thresholds: dict) -> list[str]:
    """The type of each row: the rare type (supporting, contrasting) whose probability reaches its threshold
    (the one furthest above it when both do), else mentioning when it reaches its threshold, else unclassified."""
    out = []
    position = {name: i for i, name in enumerate(classes)}
    for row in probabilities:
        best, margin = None, 0.0
        for name in ("supporting", "contrasting"):
            if name in position and name in thresholds:
                ratio = row[position[name]] / max(thresholds[name], 1e-9)
                if ratio >= 1.0 and ratio > margin:
                    best, margin = name, ratio
        if best is None:
            mentioning = row[position["mentioning"]] if "mentioning" in position else 0.0
            best = "mentioning" if mentioning >= thresholds.get("mentioning", 0.0) else "unclassified"
        out.append(best)
    return out


@dataclass
class LinearClassifier:
    """A fitted citation-type classifier (see the module notes); ``predict`` fills type, confidence, evidence.

    Attributes
    ----------
    parts : dict
        The vectorizers, the model (``parts["model"]``) and the calibrator (``parts["calibrator"]``).
    thresholds : dict
        Probability each type needs (supporting, contrasting, mentioning).
    label : str
        What the ``classifier`` column says: ``peerbib-linear/3``, or ``trained/<hash>`` for a user's.
    evaluation : pandas.DataFrame
        Per-class precision, recall, F1 and support (with 95% intervals where measured), and the
        macro average: on the gold corpus's test split for the default, by grouped cross-validation for
        a user's classifier.
    counts : dict
        Training statements per type.
    meta : dict
        Versions, the training data's sha256, the settings, the calibration's reliability, the rates
        (recall, false-positive rate) behind the corrected tallies.
    """

    parts: dict
    thresholds: dict
    label: str
    evaluation: pd.DataFrame = field(default_factory=pd.DataFrame)
    counts: dict = field(default_factory=dict)
    meta: dict = field(default_factory=dict)

    @property
    def classes(self) -> list[str]:
        return [str(c) for c in self.parts["model"].classes_]

    def scores(self, frame: pd.DataFrame) -> tuple[np.ndarray, list[dict], object]:
        """The model's scores, one column per type in the order the calibrator was fitted with."""
        matrix, said = _matrix(self.parts, frame)
        raw = self.parts["model"].decision_function(matrix)
        wanted = list(self.parts.get("score_classes") or self.classes)
        return align_scores(raw, self.classes, wanted), said, matrix

    def predict_proba(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Calibrated probability of each type, one column per type."""
        scores, _, _ = self.scores(frame)
        probabilities = self.parts["calibrator"].predict_proba(scores)
        return pd.DataFrame(probabilities, columns=[str(c) for c in self.parts["calibrator"].classes_],
                            index=frame.index)

    def predict(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Columns ``type, confidence, evidence`` for each row of a statements table.

        ``confidence`` is the calibrated probability of the type given (for an unclassified statement,
        of the likeliest type); it is set on every row, also on rows without text (the share of
        mentioning statements, with the evidence "no text").
        """
        if not len(frame):
            return pd.DataFrame(columns=["type", "confidence", "evidence"], index=frame.index)
        scores, said, matrix = self.scores(frame)
        calibrator = self.parts["calibrator"]
        probabilities = calibrator.predict_proba(scores)
        classes = [str(c) for c in calibrator.classes_]
        if self.thresholds.get("rule") == "argmax":  # a user's classifier: the balanced model's best score
            order = list(self.parts.get("score_classes") or self.classes)
            types = [order[i] for i in scores.argmax(axis=1)]
        else:
            types = decide(probabilities, classes, self.thresholds)
        position = {name: i for i, name in enumerate(classes)}
        has_text = [isinstance(t, str) and bool(t.strip()) for t in _column(frame, "text")]
        confidence, evidence = [], []
        for row, (kind, ok) in enumerate(zip(types, has_text)):
            if not ok:
                types[row] = "unclassified"
                confidence.append(float(self.meta.get("prior", {}).get("mentioning", 0.9)))
                evidence.append("no text")
                continue
            shown = kind if kind != "unclassified" else classes[int(np.argmax(probabilities[row]))]
            p = float(probabilities[row, position[shown]])
            confidence.append(round(p, 3))
            evidence.append(self._evidence(matrix, row, said[row], kind, shown, p))
        return pd.DataFrame({"type": types, "confidence": confidence, "evidence": evidence}, index=frame.index)

    # --- evidence ------------------------------------------------------------------------------

    def _explainer(self) -> dict:
        """What the evidence needs, made once: readable names, where each block starts, each class's push."""
        cache = self.parts.get("_explainer")
        if cache is None:
            from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

            words = list(self.parts["words"].get_feature_names_out())
            n_context = len(self.parts["context"].get_feature_names_out())
            names = []
            for word in words:
                tokens = word.split()
                readable = not all(t in ENGLISH_STOP_WORDS or t in ("citx", "cito", "0", "etal") or len(t) < 2
                                   for t in tokens)
                text = word.replace("citx", "[citation]").replace("cito", "[other citation]")
                names.append(f"'{text}'" if readable else "")
            coef = self.parts["model"].coef_
            pushes = {}
            for k, name in enumerate(self.classes):
                others = np.delete(coef, k, axis=0).mean(axis=0)
                pushes[name] = np.asarray(coef[k] - others).ravel()
            cache = {"names": names, "context_at": len(words), "dense_at": len(words) + n_context, "pushes": pushes}
            self.parts["_explainer"] = cache
        return cache

    def _evidence(self, matrix, row: int, said: dict, kind: str, shown: str, p: float) -> str:
        """The two or three readable features that pushed this statement hardest towards ``shown``."""
        explainer = self._explainer()
        start, end = matrix.indptr[row], matrix.indptr[row + 1]
        columns, values = matrix.indices[start:end], matrix.data[start:end]
        push = values * explainer["pushes"][shown][columns]
        order = np.argsort(-push)
        dense_at, context_at, names = explainer["dense_at"], explainer["context_at"], explainer["names"]
        phrases: list[str] = []
        for i in order:
            if push[i] <= 0 or len(phrases) == 3:
                break
            j = int(columns[i])
            if j >= dense_at:
                template = FEATURE_TEXT.get(FEATURE_NAMES[j - dense_at], "")
                words = said.get(j - dense_at, [])
                if not template or ("{words}" in template and not words):
                    continue
                text = template.format(words=f"'{words[0].strip().lower()}'" if "{words}" in template else "")
            elif j >= context_at:
                continue  # a neighbouring sentence's single words say little to a reader
            else:
                text = names[j]
            if not text or any(text.strip("'") in p or p.strip("'") in text for p in phrases):
                continue
            phrases.append(text)
        if kind == "unclassified":
            lead = " + ".join(phrases) if phrases else "nothing decisive"
            need = self.thresholds.get(shown, 0)
            return (f"{lead} {_ARROW} {shown} at {p:.2f}, below the {need:.2f} it needs: unclassified")
        if not phrases:
            if kind == "mentioning":
                return f"no sign of agreement or disagreement with the cited work {_ARROW} mentioning"
            return f"{kind} ({p:.2f})"
        return f"{' + '.join(phrases)} {_ARROW} {kind}"

    # --- saving --------------------------------------------------------------------------------

    def save(self, path) -> Path:
        """Write the model (skops) and, beside it, ``<path>.json`` with thresholds, evaluation and versions."""
        import skops.io as sio

        path = Path(path)
        for name in ("words", "context"):
            # The terms min_df left out: scikit-learn keeps them all (most of the file) and never reads them.
            if hasattr(self.parts[name], "stop_words_"):
                del self.parts[name].stop_words_
        stored = {key: value for key, value in self.parts.items() if not key.startswith("_")}
        # Compressed: the vocabularies are most of the file, as JSON (15 MB plain, about 1 MB deflated).
        atomic_write(path, sio.dumps(stored, compression=zipfile.ZIP_DEFLATED, compresslevel=9))
        evaluation = self.evaluation.reset_index().rename(columns={"index": "class"}).to_dict("records") \
            if len(self.evaluation) else []
        meta = dict(self.meta, label=self.label, counts=self.counts, thresholds=self.thresholds,
                    evaluation=evaluation, sklearn_version=_version("scikit-learn"))
        atomic_write(path.with_name(path.name + ".json"),
                     (json.dumps(meta, indent=1, default=_plain) + "\n").encode("utf-8"))
        return path


def _plain(value):
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating,)):
        return float(value)
    raise TypeError(f"{type(value).__name__} is not JSON")


def load_linear(path, *, data: bytes | None = None, meta: dict | None = None,
                any_version: bool = False) -> LinearClassifier:
    """A classifier written by :meth:`LinearClassifier.save` (or its bytes and metadata).

    Raises
    ------
    AnalysisError
        When the file is missing, was made with another scikit-learn version, or holds types other
        than plain scikit-learn vectorizers, models and arrays.
    """
    import skops.io as sio

    path = Path(path)
    if meta is None:
        meta_path = path.with_name(path.name + ".json")
        if not path.is_file() or not meta_path.is_file():
            raise AnalysisError(f"{path} (and {meta_path.name} beside it) is not a saved peerbib classifier")
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    here = _version("scikit-learn")
    if meta.get("sklearn_version") != here and not any_version:
        raise AnalysisError(f"{path} was trained with scikit-learn {meta.get('sklearn_version')}, this is {here}: "
                            "train it again here (pb.train_classifier) with the same coded statements")
    data = path.read_bytes() if data is None else data
    untrusted = sio.get_untrusted_types(data=data)
    unknown = [t for t in untrusted if t not in _TRUSTED]
    if unknown:
        raise AnalysisError(f"{path} holds types peerbib does not load ({', '.join(unknown)}); "
                            "only classifiers made by peerbib are read")
    try:
        parts = sio.loads(data, trusted=untrusted)
    except (TypeError, ValueError, AttributeError, KeyError) as exc:
        # The default is made with one scikit-learn and loaded by another: the vectorizers and the logistic
        # regression keep their attributes across releases, but a release may change them.
        raise AnalysisError(f"scikit-learn {here} cannot read {path} (made with scikit-learn "
                            f"{meta.get('sklearn_version')}): python -m pip install "
                            f"'scikit-learn=={meta.get('sklearn_version')}'") from exc
    records = meta.get("evaluation") or []
    evaluation = pd.DataFrame(records).set_index("class") if records else pd.DataFrame()
    return LinearClassifier(parts=parts, thresholds=dict(meta.get("thresholds") or {}), label=meta["label"],
                            evaluation=evaluation, counts=dict(meta.get("counts") or {}), meta=meta)


# --- fitting --------------------------------------------------------------------------------------


def data_hash(frame: pd.DataFrame, labels) -> str:
    digest = hashlib.sha256()
    for text, label in zip(_column(frame, "text"), labels):
        digest.update(f"{label}\t{text}\n".encode("utf-8"))
    return digest.hexdigest()


def fit_linear(frame: pd.DataFrame, labels, *, C: float = 1.0, sample_weight=None, context_weight: float = 0.5,
               cue_weight: float = 1.0, random_state: int = 0, plain: bool = False) -> dict:
    """The vectorizers and the balanced logistic regression fitted on ``frame`` (no calibrator yet).

    ``plain``: the baseline (TF-IDF of word 1-2-grams of the sentence as it is, nothing else).
    """
    from sklearn.linear_model import LogisticRegression

    parts = _new_parts(context_weight, cue_weight, plain=plain)
    matrix, _ = _matrix(parts, frame, fit=True)
    model = LogisticRegression(C=C, class_weight="balanced", max_iter=3000, random_state=random_state)
    model.fit(matrix, list(labels), sample_weight=sample_weight)
    parts["model"] = model
    return parts
