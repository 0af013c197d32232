"""Training a citation-type classifier on coded statements: the default's recipe, and a user's.

:func:`train_classifier` fits peerbib's linear model (:mod:`.model`: words of
the sentence, words around it, the cue features) to statements a researcher
coded, and is never worse than the plain baseline: it measures, in the same
run and by the same cross-validation grouped by citing paper, the macro-F1
of TF-IDF word (1-2)-grams with a class-balanced logistic regression, and
keeps that plain model when it scores higher. With ``base="default"`` the
user's statements are added to the gold corpus's training statements
(weighted up), so a hundred coded statements of one's own field adapt the
default instead of replacing it.

:func:`fit_selected` is the recipe both use: configurations compared by
grouped cross-validation, probabilities calibrated on held-out scores, the
decision rule (per-type thresholds, or the balanced model's argmax) chosen
on the same held-out scores, the final model fitted on everything.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass
from importlib.metadata import version as _version

import numpy as np
import pandas as pd

from ..errors import AnalysisError
from .evaluate import confusion_rates, macro_f1, per_class, reliability
from .model import (LABELS, LinearClassifier, _calibrate, _matrix, align_scores, data_hash, decide, fit_linear,
                    load_linear)

__all__ = ["TrainedClassifier", "train_classifier", "load_classifier", "fit_selected", "baseline_scores",
           "Config", "augment", "MIN_PER_CLASS", "RARE_PRECISION"]

#: Fewer examples of a class than this and the model is warned it cannot learn it well.
MIN_PER_CLASS = 10
#: The precision the default's thresholds keep for supporting and contrasting on held-out papers.
RARE_PRECISION = 0.75
#: ... as long as the type is still found this often on held-out papers (else the threshold maximises F1).
MIN_RECALL = 0.25
#: A classifier made by :func:`train_classifier` (the same class as the default's).
TrainedClassifier = LinearClassifier


def load_classifier(path) -> LinearClassifier:
    """A classifier saved with ``clf.save(path)`` (:meth:`~peerbib.statements.model.LinearClassifier.save`)."""
    return load_linear(path)


@dataclass(frozen=True)
class Config:
    """One way to fit: the plain baseline, or the linear model with its settings."""

    kind: str = "linear"  # "linear" or "baseline"
    C: float = 1.0
    context_weight: float = 0.5
    cue_weight: float = 1.0
    base_weight: float = 1.0  # how much a user's statement weighs against a gold one (base="default")
    robust: bool = False  # train on some statements without context, section or callout (see augment)

    def describe(self) -> str:
        if self.kind == "baseline":
            return "baseline: TF-IDF word 1-2-grams + class-balanced logistic regression"
        return (f"linear: C={self.C:g}, context x{self.context_weight:g}, cues x{self.cue_weight:g}"
                + (f", your statements x{self.base_weight:g}" if self.base_weight != 1 else "")
                + (", some training statements without context, section or callout" if self.robust else ""))


def augment(frame: pd.DataFrame, random_state: int = 0) -> pd.DataFrame:
    """Training statements as other sources give them: a fifth without the sentences around, a fifth without
    the section, a fifth without the callout (a sentence from a statement export has none of them), drawn
    at random (seeded). The model then does not lean on what a user's statements may lack."""
    out = frame.copy()
    rng = np.random.default_rng(random_state)
    n = len(out)
    for columns in (("context_before", "context_after"), ("section",), ("callout",)):
        drop = rng.random(n) < 0.2
        for column in columns:
            if column in out.columns:
                out[column] = out[column].astype(object).where(~drop, None)
    return out


def _folds(groups: np.ndarray, n_folds: int, random_state: int):
    """Grouped folds: each citing paper's statements together, papers shuffled (seeded)."""
    unique = np.unique(groups)
    rng = np.random.default_rng(random_state)
    order = rng.permutation(unique)
    n = max(2, min(n_folds, len(unique)))
    fold_of = {g: i % n for i, g in enumerate(order)}
    which = np.array([fold_of[g] for g in groups])
    return [(np.flatnonzero(which != k), np.flatnonzero(which == k)) for k in range(n)]


def baseline_scores(frame, labels, groups, *, folds=5, random_state=0, fixed=None) -> tuple[np.ndarray, list]:
    """Held-out decision scores of the plain baseline (grouped folds); ``fixed`` rows always train."""
    return linear_scores(frame, labels, groups, Config(kind="baseline"), folds=folds, random_state=random_state,
                         fixed=fixed)


def linear_scores(frame, labels, groups, config: Config, *, folds=5, random_state=0, weights=None,
                  fixed=None) -> tuple[np.ndarray, list]:
    """Held-out decision scores of the linear model with ``config`` (grouped folds)."""
    labels = np.asarray(labels, dtype=object)
    weights = np.ones(len(labels)) if weights is None else np.asarray(weights, dtype=float)
    scores, classes = None, [name for name in LABELS if name in set(labels) | set(fixed[1] if fixed else [])]
    for train, test in _folds(np.asarray(groups), folds, random_state):
        part = frame.iloc[train]
        fit_labels, fit_weights = list(labels[train]), list(weights[train] * config.base_weight)
        if fixed is not None:
            part = pd.concat([part, fixed[0]], ignore_index=True)
            fit_labels += list(fixed[1])
            fit_weights += list(fixed[2])
        if config.robust:
            part = augment(part, random_state)
        parts = fit_linear(part, fit_labels, C=config.C, sample_weight=np.asarray(fit_weights),
                           context_weight=config.context_weight, cue_weight=config.cue_weight,
                           random_state=random_state, plain=config.kind == "baseline")
        matrix, _ = _matrix(parts, frame.iloc[test])
        fold_scores = parts["model"].decision_function(matrix)
        if scores is None:
            scores = np.zeros((len(labels), len(classes)))
        scores[test] = align_scores(fold_scores, [str(c) for c in parts["model"].classes_], classes)
    return scores, classes


def thresholds_for_precision(probabilities: np.ndarray, classes: list, true, weights, *,
                             precision: float = RARE_PRECISION, min_recall: float = MIN_RECALL,
                             mentioning: float = 0.5) -> tuple[dict, dict]:
    """Per-type thresholds on held-out probabilities, and how each was chosen.

    For supporting and contrasting: the lowest probability at which the weighted precision of the
    decisions stays at or above ``precision`` while they still find at least ``min_recall`` of the
    type. Where no threshold does both (contrasting, on the gold corpus: its best precision comes
    with a recall near 0.1), the threshold with the highest F1 instead, and the rule says so.
    """
    true = np.asarray(true, dtype=object)
    weights = np.asarray(weights, dtype=float)
    thresholds, rules = {"mentioning": mentioning}, {"mentioning": f"mentioning when its probability is at "
                                                                  f"least {mentioning:g} and no rarer type is chosen"}
    grid = np.round(np.arange(0.05, 0.96, 0.01), 2)
    for name in ("supporting", "contrasting"):
        if name not in classes:
            continue
        k = classes.index(name)
        actual = weights[true == name].sum()
        curve = []
        for t in grid:
            picked = probabilities[:, k] >= t
            if not picked.any() or not actual:
                continue
            tp = weights[picked & (true == name)].sum()
            p, r = tp / weights[picked].sum(), tp / actual
            curve.append((float(t), p, r, 2 * p * r / (p + r) if p + r else 0.0))
        kept = [c for c in curve if c[1] >= precision and c[2] >= min_recall]
        if kept:
            t, p, r, _ = kept[0]
            rules[name] = f"lowest with precision >= {precision:g} (held out: precision {p:.2f}, recall {r:.2f})"
        elif curve:
            t, p, r, _ = max(curve, key=lambda c: c[3])
            rules[name] = (f"highest F1: no threshold keeps precision >= {precision:g} with recall >= "
                           f"{min_recall:g} (held out: precision {p:.2f}, recall {r:.2f})")
        else:
            t = 0.95
            rules[name] = "no held-out statement of this type"
        thresholds[name] = t
    return thresholds, rules


def fit_selected(frame: pd.DataFrame, labels, groups, *, configs, weights=None, eval_weights=None,
                 rule: str = "thresholds", fixed=None, folds: int = 5, random_state: int = 0,
                 label: str = "trained") -> tuple[LinearClassifier, dict]:
    """Compare ``configs`` by grouped cross-validation, calibrate, choose the rule, fit on everything.

    Parameters
    ----------
    frame : pandas.DataFrame
        Statements (text, callout, section, context_before, context_after, n_cited_in_sentence).
    labels, groups : sequences
        Their coded types and citing papers.
    configs : list of Config
        Ways to fit; ``Config(kind="baseline")`` is always compared too.
    weights : sequence, optional
        Training weights. ``eval_weights`` (default: ``weights``) weight the held-out figures,
        the calibration and the thresholds (1 / the probability of being sampled, for the gold corpus).
    rule : {"thresholds", "argmax"}
        Decide by per-type thresholds kept at :data:`RARE_PRECISION` (the default classifier), or by
        the balanced model's highest score (a user's classifier: the highest macro-F1).
    fixed : (DataFrame, labels, weights), optional
        Statements always in training, never held out (the gold corpus under a user's).

    Returns
    -------
    (LinearClassifier, dict)
        The classifier, and what the selection measured (macro-F1 of every configuration and of the
        baseline, held out).
    """
    labels = np.asarray(labels, dtype=object)
    groups = np.asarray(groups)
    weights = np.ones(len(labels)) if weights is None else np.asarray(weights, dtype=float)
    eval_weights = weights if eval_weights is None else np.asarray(eval_weights, dtype=float)
    report = {"configs": []}
    base_scores, base_classes = baseline_scores(frame, labels, groups, folds=folds, random_state=random_state,
                                                fixed=fixed)
    base_pred = [base_classes[i] for i in base_scores.argmax(axis=1)]
    report["baseline_macro_f1"] = macro_f1(labels, base_pred, eval_weights)
    best = None
    for config in configs:
        scores, classes = linear_scores(frame, labels, groups, config, folds=folds, random_state=random_state,
                                        weights=weights, fixed=fixed)
        pred = [classes[i] for i in scores.argmax(axis=1)]
        score = macro_f1(labels, pred, eval_weights)
        report["configs"].append({"config": config.describe(), "macro_f1": score})
        if best is None or score > best[0]:
            best = (score, config, scores, classes)
    if best is None or report["baseline_macro_f1"] > best[0]:
        # The plain model did better on these statements: it is the one kept (never worse than it).
        return _fit_baseline(frame, labels, groups, base_scores, base_classes, eval_weights, fixed, folds,
                             random_state, label, report)
    chosen_score, config, scores, classes = best
    calibrator = _calibrate(scores, list(labels), eval_weights)
    probabilities = calibrator.predict_proba(scores)
    cal_classes = [str(c) for c in calibrator.classes_]
    rules = {}
    if rule == "thresholds":
        thresholds, rules = thresholds_for_precision(probabilities, cal_classes, labels, eval_weights)
        held_out = decide(probabilities, cal_classes, thresholds)
    else:
        thresholds = {"rule": "argmax"}
        held_out = [classes[i] for i in scores.argmax(axis=1)]
    fit_labels, fit_weights, fit_frame = list(labels), weights * config.base_weight, frame
    if fixed is not None:
        fit_frame = pd.concat([frame, fixed[0]], ignore_index=True)
        fit_labels += list(fixed[1])
        fit_weights = np.concatenate([fit_weights, np.asarray(fixed[2], dtype=float)])
    if config.robust:
        fit_frame = augment(fit_frame, random_state)
    parts = fit_linear(fit_frame, fit_labels, C=config.C, sample_weight=fit_weights,
                       context_weight=config.context_weight, cue_weight=config.cue_weight,
                       random_state=random_state)
    parts["calibrator"] = calibrator
    parts["score_classes"] = list(classes)
    report.update(chosen=config.describe(), chosen_macro_f1=chosen_score,
                  held_out_macro_f1=macro_f1(labels, held_out, eval_weights))
    clf = LinearClassifier(parts=parts, thresholds=thresholds, label=label,
                           counts={name: int((labels == name).sum()) for name in LABELS})
    confidence = [probabilities[i, cal_classes.index(p)] if p in cal_classes else probabilities[i].max()
                  for i, p in enumerate(held_out)]
    table, ece = reliability(confidence, [p == t for p, t in zip(held_out, labels)], weights=eval_weights)
    clf.meta.update(_meta(fit_frame, fit_labels, config, random_state), threshold_rules=rules,
                    selection=report, calibration={"ece": ece, "bins": table.to_dict("records"),
                                                   "measured_on": "held-out papers of the training statements"},
                    rates=confusion_rates(labels, held_out, weights=eval_weights),
                    prior={name: float(eval_weights[labels == name].sum() / eval_weights.sum()) for name in LABELS})
    clf.evaluation = per_class(labels, held_out, weights=eval_weights, groups=groups)
    return clf, report


def _fit_baseline(frame, labels, groups, scores, classes, eval_weights, fixed, folds, random_state, label, report):
    """The plain baseline as a :class:`LinearClassifier`: words only, no context, no cues, argmax."""
    config = Config(kind="baseline")
    calibrator = _calibrate(scores, list(labels), eval_weights)
    held_out = [classes[i] for i in scores.argmax(axis=1)]
    fit_frame, fit_labels = frame, list(labels)
    if fixed is not None:
        fit_frame = pd.concat([frame, fixed[0]], ignore_index=True)
        fit_labels += list(fixed[1])
    parts = fit_linear(fit_frame, fit_labels, C=1.0, random_state=random_state, plain=True)
    parts["calibrator"] = calibrator
    parts["score_classes"] = list(classes)
    report.update(chosen=Config(kind="baseline").describe(), chosen_macro_f1=report["baseline_macro_f1"],
                  held_out_macro_f1=report["baseline_macro_f1"])
    clf = LinearClassifier(parts=parts, thresholds={"rule": "argmax"}, label=label,
                           counts={name: int((labels == name).sum()) for name in LABELS})
    clf.meta.update(_meta(fit_frame, fit_labels, config, random_state), selection=report,
                    rates=confusion_rates(labels, held_out, weights=eval_weights))
    clf.evaluation = per_class(labels, held_out, weights=eval_weights, groups=groups)
    return clf, report


def _meta(frame, labels, config: Config, random_state: int) -> dict:
    from .. import __version__

    return {"peerbib_version": __version__, "sklearn_version": _version("scikit-learn"),
            "training_sha256": data_hash(frame, labels), "rows": len(labels), "config": config.describe(),
            "random_state": random_state}


#: The configurations a user's classifier is chosen from (besides the plain baseline).
USER_CONFIGS = (Config(C=1.0, context_weight=0.0), Config(C=2.0, context_weight=0.0), Config(C=1.0))


def train_classifier(coded: pd.DataFrame, *, text: str = "text", label: str = "type", group: str = "citing_id",
                     base: str | None = None, random_state: int = 0, folds: int = 5) -> LinearClassifier:
    """Fit a citation-type classifier on coded statements.

    Parameters
    ----------
    coded : pandas.DataFrame
        Statements with a ``text`` column and a ``label`` column holding supporting, mentioning or
        contrasting (other rows are left out), e.g. what :func:`peerbib.read_coding` returns;
        ``callout``, ``section``, ``context_before``, ``context_after`` are used when present.
    text, label : str
        The columns to read.
    group : str
        Statements sharing a value here (the citing work) stay in one fold of the cross-validation.
        Without the column, each statement is its own group.
    base : {None, "default"}
        ``"default"``: learn from the gold corpus's training statements too, with yours weighted up (the
        weight is chosen by cross-validation on yours), so that a few coded statements adapt the
        default to your field instead of starting from nothing.
    random_state : int
    folds : int
        Cross-validation folds (fewer when there are fewer groups).

    Returns
    -------
    LinearClassifier
        ``.evaluation``: precision, recall and F1 per class with 95% intervals, held out by citing paper;
        ``.meta["selection"]``: the macro-F1 of every configuration tried and of the plain baseline
        (TF-IDF word 1-2-grams + class-balanced logistic regression) in the same folds. The plain
        model is kept when it scores higher, so the result is never worse than it.

    Warns
    -----
    UserWarning
        When a class has fewer than :data:`MIN_PER_CLASS` examples (saying how many).
    """
    for column in (text, label):
        if column not in coded.columns:
            raise AnalysisError(f"train_classifier needs a {column!r} column; the table has {list(coded.columns)}")
    if base not in (None, "default"):
        raise AnalysisError(f"base={base!r}: give base='default' (the gold corpus under yours) or leave it out")
    frame = coded.rename(columns={text: "text"}) if text != "text" else coded
    rows = frame[frame[label].isin(LABELS) & frame["text"].map(lambda t: isinstance(t, str) and bool(t.strip()))]
    rows = rows.reset_index(drop=True)
    counts = {name: int((rows[label] == name).sum()) for name in LABELS}
    present = [name for name in LABELS if counts[name]]
    if len(present) < 2 or len(rows) < 10:
        raise AnalysisError(f"train_classifier needs coded statements of at least two types and 10 in all; "
                            f"it has {counts}")
    for name in LABELS:
        if counts[name] < MIN_PER_CLASS:
            warnings.warn(f"only {counts[name]} '{name}' statements to learn from (fewer than {MIN_PER_CLASS}): "
                          f"the classifier will rarely find this type; code more of them", stacklevel=2)
    labels = rows[label].astype("str").tolist()
    groups = rows[group].astype("str").to_numpy() if group in rows.columns else np.arange(len(rows))
    fixed, configs = None, list(USER_CONFIGS)
    if base == "default":
        from .gold import gold_statements

        gold = gold_statements(split="train")
        fixed = (gold, gold["code"].tolist(), np.ones(len(gold)))
        share = len(gold) / max(1, len(rows))
        configs = [Config(C=2.0, context_weight=0.0, base_weight=w)
                   for w in sorted({1.0, round(share ** 0.5, 1), round(share / 2, 1)})]
    clf, _ = fit_selected(rows, labels, groups, configs=configs, rule="argmax", fixed=fixed, folds=folds,
                          random_state=random_state, label="trained")
    clf.label = f"trained/{clf.meta['training_sha256'][:12]}"
    clf.meta.update(grouped_by=group if group in rows.columns else None, base=base)
    return clf
