"""Benchmark: the citation-type classifiers' speed, their figures on the gold corpus's test split, the learning curve.

Everything runs on the real statements of the gold corpus
(``peerbib/statements/data/gold``: openly licensed papers, coded by two
coders and adjudicated); nothing is synthetic. Three parts:

1. **Speed**, in this process pinned to one core (BLAS one thread): the
   statements repeated to ``--statements`` rows, classified by the default
   (``pb.classify_statements``, ``peerbib-linear/3``), beside the floor every
   classifier pays (one regular-expression search per statement) measured in
   the same run. Target: at least 5,000 statements per second per core.
2. **Figures on the test split** (papers held out before anything was fitted),
   per class with 95% intervals (bootstrap over papers): the default; the cue
   classifier it replaces (``peerbib-cues/2``); the plain baseline (TF-IDF word
   1-2-grams + class-balanced logistic regression) fitted on the train split in
   this run; and ``pb.train_classifier`` fitted on the train split. On all
   test statements weighted as a user meets them, and on the random and the
   candidate sample apart.
3. **Learning curve**: ``pb.train_classifier`` on n coded statements drawn from
   the train split (as a user's own coded statements), alone and with
   ``base="default"``, beside the plain baseline on the same n: macro-F1 on
   the test split (weighted).

Usage::

    python benchmarks/classify.py                     # everything (about 15 minutes on 2 cores)
    python benchmarks/classify.py --skip-curve        # speed and test-split figures only
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


def timed(function, repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        best = min(best, time.perf_counter() - start)
    return best


def speed(n: int) -> None:
    import pandas as pd

    import peerbib as pb
    from peerbib.statements.gold import gold_statements

    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    gold = gold_statements()
    statements = pd.concat([gold] * (n // len(gold) + 1), ignore_index=True).head(n)
    texts = statements["text"].tolist()
    cue = re.compile(r"\b(?:consistent with|in contrast to)\b", re.IGNORECASE)
    pb.classify_statements(statements.head(50))  # the model loaded once, as in a build
    baseline = timed(lambda: [cue.search(t) for t in texts])
    default = timed(lambda: pb.classify_statements(statements), repeat=2)
    print(f"\n## Speed (one core, {n:,} real statements of the gold corpus)\n")
    print("| classifier | statements / s | time / baseline's |")
    print("| --- | --- | --- |")
    print(f"| baseline: one regular-expression search per statement | {n / baseline:,.0f} | 1.0 |")
    rate = n / default
    print(f"| default ({pb.statements.classify.default_classifier().label}) | {rate:,.0f} | {default / baseline:.0f} |")
    print(f"\ntarget {TARGET:,.0f} statements/s: {'met' if rate >= TARGET else 'NOT met'}")


def _table(name: str, figures) -> str:
    rows = []
    for kind in (*LABELS, "macro average"):
        r = figures.loc[kind]
        ci = (lambda m: f" ({r[m + '_low']:.2f}-{r[m + '_high']:.2f})") if "f1_low" in figures.columns else \
            (lambda m: "")
        rows.append(f"| {name} | {kind} | {r['precision']:.2f}{ci('precision')} | {r['recall']:.2f}{ci('recall')} | "
                    f"{r['f1']:.2f}{ci('f1')} | {int(r['support'])} |")
    return "\n".join(rows)


def test_split() -> None:
    import numpy as np

    import peerbib as pb
    from peerbib.statements.classify import cue_classifier, default_classifier
    from peerbib.statements.evaluate import per_class
    from peerbib.statements.gold import gold_statements
    from peerbib.statements.train import Config, fit_selected

    train = gold_statements(split="train")
    train = train[train["code"].isin(LABELS)].reset_index(drop=True)
    test = gold_statements(split="test")
    test = test[test["code"].isin(LABELS)].reset_index(drop=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        baseline, _ = fit_selected(train, train["code"], train["paper_id"], configs=[], rule="argmax",
                                   label="baseline")  # no configuration but the plain baseline: it is kept
        trained = pb.train_classifier(train.rename(columns={"code": "type"}), group="paper_id")
    models = [("default " + default_classifier().label, default_classifier()),
              ("cues " + cue_classifier().label, "cues"),
              ("plain baseline (fitted here on the train split)", baseline),
              (f"pb.train_classifier on the train split ({trained.meta['selection']['chosen'].split(':')[0]})",
               trained)]
    random_rows = test["sample"].str.contains("random").to_numpy()
    candidate_rows = test["sample"].str.contains("candidate").to_numpy()
    print(f"\n## Test split: {len(test):,} statements of {test['paper_id'].nunique()} papers "
          f"(train split: {len(train):,} statements of {train['paper_id'].nunique()} papers)\n")
    print("Precision, recall and F1 with 95% intervals (bootstrap over papers); unclassified counts as a miss.\n")
    for title, mask, weights in (("all test statements, weighted as a user meets them", None, test["weight"]),
                                 ("the random sample", random_rows, None),
                                 ("the candidate sample", candidate_rows, None)):
        print(f"\n### {title}\n")
        print("| classifier | type | precision | recall | F1 | statements |")
        print("| --- | --- | --- | --- | --- | --- |")
        part = test if mask is None else test[mask]
        w = None if weights is None else np.asarray(weights)
        for name, model in models:
            predicted = pb.classify_statements(part, classifier=model)["type"].to_numpy(dtype=object)
            figures = per_class(part["code"].to_numpy(dtype=object), predicted, weights=w,
                                groups=part["paper_id"].to_numpy(), n_boot=500)
            print(_table(name, figures))


def learning_curve(sizes=(100, 200, 400, 800, 1600, None), seed: int = 0) -> None:
    import numpy as np

    import peerbib as pb
    from peerbib.statements.evaluate import macro_f1
    from peerbib.statements.gold import gold_statements
    from peerbib.statements.train import fit_selected

    train = gold_statements(split="train")
    train = train[train["code"].isin(LABELS)].reset_index(drop=True)
    test = gold_statements(split="test")
    test = test[test["code"].isin(LABELS)].reset_index(drop=True)
    weights = test["weight"].to_numpy()
    rng = np.random.default_rng(seed)
    print("\n## Learning curve: macro-F1 on the test split (weighted) after training on n coded statements\n")
    print("| n (drawn from the train split) | plain baseline | pb.train_classifier | "
          "pb.train_classifier(base='default') |")
    print("| --- | --- | --- | --- |")
    for size in sizes:
        rows = train if size is None else train.iloc[np.sort(rng.choice(len(train), size, replace=False))]
        rows = rows.reset_index(drop=True)
        scores = []
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            baseline, _ = fit_selected(rows, rows["code"], rows["paper_id"], configs=[], rule="argmax", label="b")
            models = [baseline, pb.train_classifier(rows.rename(columns={"code": "type"}), group="paper_id")]
            if size is not None:
                models.append(pb.train_classifier(rows.rename(columns={"code": "type"}), group="paper_id",
                                                  base="default"))
        for model in models:
            predicted = pb.classify_statements(test, classifier=model)["type"].to_numpy(dtype=object)
            scores.append(f"{macro_f1(test['code'].to_numpy(dtype=object), predicted, weights):.3f}")
        if size is None:
            scores.append("(the whole train split is the default's own)")
        print(f"| {'all ' + str(len(train)) if size is None else size} | " + " | ".join(scores) + " |")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--statements", type=int, default=20000)
    parser.add_argument("--skip-curve", action="store_true")
    args = parser.parse_args()
    test_split()
    if not args.skip_curve:
        learning_curve()
    speed(args.statements)  # last: it pins this process to one core
    return 0


if __name__ == "__main__":
    sys.exit(main())
