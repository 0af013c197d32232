"""Benchmark: citation statements classified per second on one core, and the trained model's learning curve.

The statements are the real sentences of the bundled gold set
(``peerbib/statements/data/gold_statements.csv``: 359 statements from 10
open-licence papers and the seed page, each coded by hand), repeated to
``--statements`` rows with their section, callout and preceding sentence. In
this process, pinned to one core (and BLAS to one thread), it times

- the **baseline**: one regular-expression search per statement, reading
  each text once as any classifier must (the floor a per-statement pass costs);
- the **default** classifier (``pb.classify_statements``, peerbib's cue
  classifier): target at least 5,000 statements per second;
- a **trained** classifier (``pb.train_classifier`` on the gold set:
  TF-IDF words and characters + logistic regression, calibrated).

and prints statements per second and the ratio to the baseline; then the
default classifier's per-class precision, recall and F1 on the gold set,
with the confusion matrix; then the learning curve: the trained pipeline's per-class F1 on papers it never saw
(5 folds over the 11 sources, statements of a held-out paper never in
training), for training sets of growing size drawn from the other papers,
beside the default classifier's figures on the same held-out statements.

Usage::

    python benchmarks/classify.py                    # 50,000 statements
    python benchmarks/classify.py --statements 10000
"""
from __future__ import annotations

import argparse
import os
import re
import sys
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_name] = "1"

TARGET = 5000.0
LABELS = ("supporting", "mentioning", "contrasting")


def gold():
    import pandas as pd

    frame = pd.read_csv(ROOT / "peerbib" / "statements" / "data" / "gold_statements.csv", keep_default_na=False,
                        dtype=str)
    frame = frame.rename(columns={"code": "gold"})
    for column in ("callout", "section", "context_before"):
        frame[column] = frame[column].where(frame[column] != "", None)
    return frame


def timed(function, repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        best = min(best, time.perf_counter() - start)
    return best


def speed(n: int) -> list[tuple[str, float, float]]:
    import pandas as pd

    import peerbib as pb

    coded = gold()
    statements = pd.concat([coded] * (n // len(coded) + 1), ignore_index=True).head(n)
    statements["statement_id"] = [f"S{i}" for i in range(len(statements))]
    texts = statements["text"].tolist()
    cue = re.compile(r"\b(?:consistent with|in contrast to)\b", re.IGNORECASE)
    baseline = timed(lambda: [cue.search(t) for t in texts])
    default = timed(lambda: pb.classify_statements(statements))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the gold set has few contrasting statements: the trainer says so
        trained = pb.train_classifier(coded[coded["gold"].isin(LABELS)], label="gold", group="paper")
    trained_time = timed(lambda: pb.classify_statements(statements, classifier=trained), repeat=1)
    return [("baseline (one regex search)", n / baseline, 1.0), ("default (peerbib-cues)", n / default,
                                                                  default / baseline),
            (f"trained ({trained.label})", n / trained_time, trained_time / baseline)]


def learning_curve(sizes=(40, 80, 160, 240, None), folds: int = 5, seed: int = 0):
    """Per-class F1 on held-out papers for training sets of each size (None: all the other papers' statements)."""
    import numpy as np
    import pandas as pd
    from sklearn.metrics import f1_score
    from sklearn.model_selection import GroupKFold

    import peerbib as pb

    coded = gold()
    coded = coded[coded["gold"].isin(LABELS)].reset_index(drop=True)
    papers = coded["paper"].where(~coded["paper"].str.startswith("seed"), "seed page")
    rng = np.random.default_rng(seed)
    predictions = {size: np.empty(len(coded), dtype=object) for size in sizes}
    splits = list(GroupKFold(n_splits=folds).split(coded, coded["gold"], papers))
    for train_index, test_index in splits:
        test = coded.iloc[test_index]
        for size in sizes:
            chosen = train_index if size is None or size >= len(train_index) else \
                rng.choice(train_index, size=size, replace=False)
            train = coded.iloc[chosen]
            if train["gold"].nunique() < 2:
                predictions[size][test_index] = train["gold"].iloc[0]
                continue
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                model = pb.train_classifier(train, label="gold", group="paper", folds=2)
            predictions[size][test_index] = pb.classify_statements(test, classifier=model, threshold=0)["type"]
    default = pb.classify_statements(coded)["type"]
    rows = []
    for size in sizes:
        f1 = f1_score(coded["gold"], list(predictions[size]), labels=list(LABELS), average=None, zero_division=0)
        rows.append({"training statements": "all other papers" if size is None else f"{size}",
                     **{f"F1 {name}": round(float(v), 2) for name, v in zip(LABELS, f1)},
                     "macro F1": round(float(f1.mean()), 2)})
    f1 = f1_score(coded["gold"], default, labels=list(LABELS), average=None, zero_division=0)
    rows.append({"training statements": "default cue classifier (no training)",
                 **{f"F1 {name}": round(float(v), 2) for name, v in zip(LABELS, f1)},
                 "macro F1": round(float(f1.mean()), 2)})
    counts = coded["gold"].value_counts().to_dict()
    return pd.DataFrame(rows), counts, len(splits)


def gold_figures():
    """The default classifier's per-class precision, recall and F1 on the whole gold set."""
    import pandas as pd
    from sklearn.metrics import precision_recall_fscore_support

    import peerbib as pb

    coded = gold()
    scored = pb.classify_statements(coded)
    scored = scored[scored["gold"].isin(LABELS)]
    precision, recall, f1, support = precision_recall_fscore_support(
        scored["gold"], scored["type"], labels=list(LABELS), zero_division=0)
    table = pd.DataFrame({"precision": precision, "recall": recall, "f1": f1, "support": support},
                         index=pd.Index(LABELS, name="class")).round(2)
    confusion = pd.crosstab(scored["gold"].rename("gold"), scored["type"].rename("peerbib"))
    return table, confusion, int((coded["gold"] == "unclassified").sum())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--statements", type=int, default=50_000)
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    print(f"classifying {args.statements:,} statements (the gold set's real sentences, repeated) on one core")
    results = speed(args.statements)
    for name, rate, ratio in results:
        print(f"  {name:<34} {rate:>10,.0f} statements/s   {ratio:5.1f}x the baseline's time")
    default_rate = results[1][1]
    verdict = "meets" if default_rate >= TARGET else "MISSES"
    print(f"default classifier {verdict} the target of {TARGET:,.0f} statements/s ({default_rate:,.0f})")
    table, confusion, uncodable = gold_figures()
    print(f"\ndefault classifier on the gold set ({uncodable} statements coded unclassified left out):")
    print(table.to_string())
    print(confusion.to_string())
    curve, counts, folds = learning_curve()
    print(f"\nlearning curve: per-class F1 on held-out papers ({folds} folds by paper; gold set {counts})")
    print(curve.to_string(index=False))
    return 0 if default_rate >= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
