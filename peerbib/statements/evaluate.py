"""How far to trust citation-type labels: per-class figures with intervals, calibration, corrected shares.

- :func:`per_class`: precision, recall and F1 of each type, and their macro
  average, with 95% intervals from a bootstrap over citing papers (statements
  of one paper are not independent), optionally weighted so that a sample
  drawn with unequal probabilities stands for all statements.
- :func:`reliability`: predicted confidence against the observed share of
  correct labels, in bins, and the expected calibration error.
- :func:`confusion_rates`: how often each true type is labelled each type.
- :func:`corrected_share`: the share of a type among statements, corrected
  for the classifier's measured error (adjusted classify-and-count): from the
  observed share ``q`` of statements labelled the type, its recall ``tpr``
  and false-positive rate ``fpr``, ``(q - fpr) / (tpr - fpr)``, clipped to
  0..1, with an interval that carries both the sampling of the statements
  and the uncertainty of the rates (a parametric bootstrap).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["per_class", "macro_f1", "reliability", "confusion_rates", "corrected_share"]

TYPES = ("supporting", "mentioning", "contrasting")


def _scores(true: np.ndarray, pred: np.ndarray, weights: np.ndarray, labels) -> np.ndarray:
    """Rows: precision, recall, F1, support per label (weighted counts)."""
    out = np.zeros((4, len(labels)))
    for k, label in enumerate(labels):
        tp = weights[(true == label) & (pred == label)].sum()
        predicted = weights[pred == label].sum()
        actual = weights[true == label].sum()
        precision = tp / predicted if predicted else 0.0
        recall = tp / actual if actual else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        out[:, k] = precision, recall, f1, actual
    return out


def macro_f1(true, pred, weights=None, labels=TYPES) -> float:
    """The mean F1 of the types (a statement left unclassified counts as a miss of its true type)."""
    true, pred = np.asarray(true, dtype=object), np.asarray(pred, dtype=object)
    weights = np.ones(len(true)) if weights is None else np.asarray(weights, dtype=float)
    return float(_scores(true, pred, weights, labels)[2].mean())


def per_class(true, pred, *, weights=None, groups=None, labels=TYPES, n_boot: int = 1000,
              random_state: int = 0) -> pd.DataFrame:
    """Precision, recall, F1 and support of each type and their macro average, with 95% intervals.

    Parameters
    ----------
    true, pred : sequences of str
        The coded type and the classifier's (``unclassified`` counts as a miss).
    weights : sequence of float, optional
        What each statement stands for (1 / its probability of being in the sample).
    groups : sequence, optional
        The citing paper of each statement: the bootstrap draws papers, not statements.
    n_boot : int
        Bootstrap resamples (0: no intervals).

    Returns
    -------
    pandas.DataFrame
        Index: the types and "macro average"; columns precision, recall, f1, support (statements of
        the type in the sample, unweighted), and ``*_low`` / ``*_high`` for the 95% interval.
    """
    true, pred = np.asarray(true, dtype=object), np.asarray(pred, dtype=object)
    weights = np.ones(len(true)) if weights is None else np.asarray(weights, dtype=float)
    base = _scores(true, pred, weights, labels)
    frame = pd.DataFrame({"precision": base[0], "recall": base[1], "f1": base[2],
                          "support": [int((true == label).sum()) for label in labels]},
                         index=pd.Index(list(labels), name="class"))
    frame.loc["macro average"] = [base[0].mean(), base[1].mean(), base[2].mean(), len(true)]
    if n_boot and len(true):
        groups = np.arange(len(true)) if groups is None else np.asarray(groups)
        unique, inverse = np.unique(groups, return_inverse=True)
        members = [np.flatnonzero(inverse == g) for g in range(len(unique))]
        rng = np.random.default_rng(random_state)
        draws = np.zeros((n_boot, 3, len(labels) + 1))
        for b in range(n_boot):
            picked = np.concatenate([members[g] for g in rng.integers(0, len(unique), len(unique))])
            s = _scores(true[picked], pred[picked], weights[picked], labels)[:3]
            draws[b, :, :len(labels)] = s
            draws[b, :, len(labels)] = s.mean(axis=1)
        for m, name in enumerate(("precision", "recall", "f1")):
            frame[f"{name}_low"] = np.percentile(draws[:, m, :], 2.5, axis=0)
            frame[f"{name}_high"] = np.percentile(draws[:, m, :], 97.5, axis=0)
    frame["support"] = frame["support"].astype(int)
    return frame


def reliability(confidence, correct, *, weights=None, bins: int = 10) -> tuple[pd.DataFrame, float]:
    """Confidence against the observed share correct, in equal-width bins; and the expected calibration error.

    Returns
    -------
    (pandas.DataFrame, float)
        Columns ``bin`` (e.g. "0.8-0.9"), ``confidence`` (mean), ``correct`` (weighted share), ``statements``;
        and the ECE: the statement-weighted mean gap between the two.
    """
    confidence = np.asarray(confidence, dtype=float)
    correct = np.asarray(correct, dtype=float)
    weights = np.ones(len(confidence)) if weights is None else np.asarray(weights, dtype=float)
    edges = np.linspace(0, 1, bins + 1)
    which = np.clip(np.digitize(confidence, edges[1:-1]), 0, bins - 1)
    rows, gap, total = [], 0.0, weights.sum()
    for b in range(bins):
        mask = which == b
        if not mask.any():
            continue
        w = weights[mask]
        mean_conf = float(np.average(confidence[mask], weights=w))
        share = float(np.average(correct[mask], weights=w))
        rows.append({"bin": f"{edges[b]:.1f}-{edges[b + 1]:.1f}", "confidence": mean_conf, "correct": share,
                     "statements": int(mask.sum())})
        gap += w.sum() / total * abs(mean_conf - share)
    return pd.DataFrame(rows), float(gap)


def confusion_rates(true, pred, *, weights=None, labels=TYPES) -> dict:
    """For each true type, the weighted share labelled each way, and the unweighted counts behind it.

    Returns
    -------
    dict
        ``{"rates": {true: {pred: share}}, "counts": {true: {pred: n}}}``; ``pred`` includes unclassified.
    """
    true, pred = np.asarray(true, dtype=object), np.asarray(pred, dtype=object)
    weights = np.ones(len(true)) if weights is None else np.asarray(weights, dtype=float)
    outcomes = list(labels) + ["unclassified"]
    rates, counts = {}, {}
    for actual in labels:
        mask = true == actual
        total = weights[mask].sum()
        rates[actual] = {o: float(weights[mask & (pred == o)].sum() / total) if total else 0.0 for o in outcomes}
        counts[actual] = {o: int((mask & (pred == o)).sum()) for o in outcomes}
    return {"rates": rates, "counts": counts}


def corrected_share(labelled: int, total: int, kind: str, rates: dict, prevalence: dict, *,
                    n_boot: int = 2000, random_state: int = 0) -> tuple[float, float, float]:
    """The share of ``kind`` among ``total`` statements of which ``labelled`` carry that label, corrected.

    Parameters
    ----------
    labelled, total : int
        Statements labelled ``kind``, and all statements.
    kind : str
        supporting or contrasting.
    rates : dict
        :func:`confusion_rates` of the classifier on its test data.
    prevalence : dict
        The share of each true type in that test data (weighted), to turn the rates of the other types
        into one false-positive rate.

    Returns
    -------
    (estimate, low, high)
        The corrected share and its 95% interval (NaN when ``total`` is 0).
    """
    if not total:
        return float("nan"), float("nan"), float("nan")
    rng = np.random.default_rng(random_state)
    counts = rates["counts"]

    def rates_of(table):
        tpr = table[kind][kind]
        others = [t for t in table if t != kind]
        weight = sum(prevalence.get(t, 0.0) for t in others) or 1.0
        fpr = sum(prevalence.get(t, 0.0) * table[t][kind] for t in others) / weight
        return tpr, fpr

    def estimate(q, tpr, fpr):
        if tpr - fpr <= 0.01:
            return float(np.clip(q, 0, 1))
        return float(np.clip((q - fpr) / (tpr - fpr), 0.0, 1.0))

    tpr, fpr = rates_of(rates["rates"])
    point = estimate(labelled / total, tpr, fpr)
    draws = []
    for _ in range(n_boot):
        table = {}
        for actual, row in counts.items():
            n = sum(row.values())
            shares = rng.dirichlet(np.array([row[o] for o in row], dtype=float) + 0.5) if n else \
                np.array([rates["rates"][actual][o] for o in row])
            table[actual] = dict(zip(row, shares))
        q = rng.binomial(total, labelled / total) / total
        draws.append(estimate(q, *rates_of(table)))
    low, high = np.percentile(draws, [2.5, 97.5])
    return point, float(low), float(high)
