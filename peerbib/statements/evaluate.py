"""How far to trust citation-type labels: per-class figures with intervals, calibration, corrected shares.

- :func:`per_class`: precision, recall and F1 of each type, and their macro
  average, with 95% intervals from a bootstrap over citing papers (statements
  of one paper are not independent), optionally weighted so that a sample
  drawn with unequal probabilities stands for all statements.
- :func:`reliability`: predicted confidence against the observed share of
  correct labels, in bins, and the expected calibration error.
- :func:`confusion_rates`: how often each true type is labelled each type.
- :func:`corrected_share`: the share of a type among statements, corrected
  for the classifier's measured error (adjusted classify-and-count: what
  ``(q - fpr) / (tpr - fpr)`` estimates from the observed share ``q``, the
  recall ``tpr`` and the false-positive rate ``fpr``, done as a posterior so
  that the interval carries both the sampling of the statements and the
  uncertainty of the rates).
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
                    n_draws: int = 400, random_state: int = 0) -> tuple[float, float, float]:
    """The share of ``kind`` among ``total`` statements of which ``labelled`` carry that label, corrected.

    A statement truly of ``kind`` is labelled so with the classifier's recall ``tpr``; one of another
    type with its false-positive rate ``fpr`` (the other types' rates weighted by how common they
    are). So the number labelled is binomial with probability ``share * tpr + (1 - share) * fpr``.
    The estimate is the posterior median of ``share`` (uniform prior) given the number labelled,
    averaged over draws of ``tpr`` and ``fpr`` from the test split's counts (Dirichlet), and the
    interval the posterior's 2.5 and 97.5 percentiles: adjusted classify-and-count, with the
    uncertainty of both the statements and the error rates. 0 of 200 labelled does not prove a
    share of 0 when the classifier finds a third of them; the interval says how high it may be.

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
    from scipy.stats import binom

    tpr, fpr = _rate_draws(kind, rates, prevalence, n_draws, random_state)
    grid = np.linspace(0.0, 1.0, 401)
    p = np.clip(grid[None, :] * tpr[:, None] + (1 - grid[None, :]) * fpr[:, None], 1e-12, 1 - 1e-12)
    likelihood = binom.pmf(labelled, total, p)  # draws x grid
    sums = likelihood.sum(axis=1, keepdims=True)
    posterior = (likelihood / np.where(sums > 0, sums, 1.0)).sum(axis=0)
    cumulative = np.cumsum(posterior) / posterior.sum()
    low, point, high = (float(grid[np.searchsorted(cumulative, q)]) for q in (0.025, 0.5, 0.975))
    return point, low, high


def _rate_draws(kind: str, rates: dict, prevalence: dict, n_draws: int, random_state: int):
    """Draws of (recall, false-positive rate) of ``kind`` from the test split's counts (Dirichlet, Jeffreys)."""
    rng = np.random.default_rng(random_state)
    counts = rates["counts"]
    draws = {actual: rng.dirichlet(np.array(list(row.values()), dtype=float) + 0.5, size=n_draws)
             for actual, row in counts.items()}
    position = {actual: list(row).index(kind) for actual, row in counts.items()}
    tpr = draws[kind][:, position[kind]]
    others = [t for t in counts if t != kind]
    weight = sum(prevalence.get(t, 0.0) for t in others) or 1.0
    fpr = sum(prevalence.get(t, 0.0) * draws[t][:, position[t]] for t in others) / weight
    return tpr, fpr
