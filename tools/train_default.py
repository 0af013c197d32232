"""Train peerbib's default citation-type classifier (peerbib-linear/3) on the gold corpus's training split.

    python tools/train_default.py            # choose, calibrate, fit on the train split; write the model
    python tools/train_default.py --test     # then score it ONCE on the test split and record the figures

Every choice (the configuration, the calibration, the thresholds) is made by
cross-validation grouped by citing paper on the training split only. The
test split's papers were drawn at random before any statement was coded
(``tools/gold_corpus.py papers``); ``--test`` scores the fitted model on them
and writes the figures (per-class precision, recall and F1 with 95%
intervals, on the random sample, the candidate sample and all statements
weighted as a user meets them; the calibration's reliability; the error rates
behind corrected tallies) into the model's JSON. Nothing is fitted or chosen
after that.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from peerbib.statements.evaluate import confusion_rates, per_class, reliability  # noqa: E402
from peerbib.statements.gold import gold_statements  # noqa: E402
from peerbib.statements.model import LABELS, load_linear  # noqa: E402
from peerbib.statements.train import Config, fit_selected  # noqa: E402

MODEL = ROOT / "peerbib" / "statements" / "data" / "peerbib-linear-3.skops"
NAME = "peerbib-linear/3"
#: The configurations compared on the training split (besides the plain baseline).
#: The sentences around are not read: on the training split they moved macro-F1 by under 0.01 either way,
#: and reading them costs a fifth of the speed.
CONFIGS = [Config(C=c, context_weight=0.0, cue_weight=q, robust=True) for c in (1.0, 2.0, 4.0) for q in (1.0, 2.0)]


def _figures(frame, predicted, weights=None) -> list[dict]:
    table = per_class(frame["code"].to_numpy(), np.asarray(predicted, dtype=object), weights=weights,
                      groups=frame["paper_id"].to_numpy())
    return table.round(4).reset_index().to_dict("records")


def train() -> None:
    train_rows = gold_statements(split="train")
    train_rows = train_rows[train_rows["code"].isin(LABELS)].reset_index(drop=True)
    clf, report = fit_selected(train_rows, train_rows["code"], train_rows["paper_id"], configs=CONFIGS,
                               eval_weights=train_rows["weight"].to_numpy(), rule="thresholds", label=NAME)
    clf.meta.update(trained_on="the gold corpus's train split (peerbib/statements/data/gold)",
                    statements=len(train_rows), papers=int(train_rows["paper_id"].nunique()))
    clf.save(MODEL)
    print(json.dumps({"selection": report, "thresholds": clf.thresholds, "rules": clf.meta["threshold_rules"],
                      "counts": clf.counts}, indent=1))


def test() -> None:
    """Score the saved model once on the test split; the figures go into its JSON."""
    clf = load_linear(MODEL)
    rows = gold_statements(split="test")
    rows = rows[rows["code"].isin(LABELS)].reset_index(drop=True)
    decided = clf.predict(rows)
    probabilities = clf.predict_proba(rows)
    predicted = decided["type"].to_numpy(dtype=object)
    random_rows = rows["sample"].str.contains("random").to_numpy()
    candidate_rows = rows["sample"].str.contains("candidate").to_numpy()
    weights = rows["weight"].to_numpy()
    confidence = decided["confidence"].to_numpy(dtype=float)
    likeliest = probabilities.idxmax(axis=1).to_numpy(dtype=object)
    shown = np.where(predicted == "unclassified", likeliest, predicted)
    table, ece = reliability(confidence, shown == rows["code"].to_numpy(dtype=object), weights=weights)
    prevalence = {name: float(weights[rows["code"].to_numpy() == name].sum() / weights.sum()) for name in LABELS}
    results = {
        "test_split": {"statements": len(rows), "papers": int(rows["paper_id"].nunique()),
                       "codes": rows["code"].value_counts().to_dict()},
        "all_weighted": _figures(rows, predicted, weights),
        "random_sample": _figures(rows[random_rows], predicted[random_rows]),
        "candidate_sample": _figures(rows[candidate_rows], predicted[candidate_rows]),
        "unclassified_share": float(weights[predicted == "unclassified"].sum() / weights.sum()),
    }
    meta_path = MODEL.with_name(MODEL.name + ".json")
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    meta["test"] = results
    meta["calibration_test"] = {"ece": ece, "bins": table.to_dict("records"),
                                "measured_on": "the test split, weighted as a user meets statements"}
    meta["rates"] = confusion_rates(rows["code"].to_numpy(), predicted, weights=weights)
    meta["rates"]["measured_on"] = "the test split, weighted as a user meets statements"
    meta["prevalence"] = prevalence
    meta["evaluation"] = [dict(r) for r in results["all_weighted"]]
    meta_path.write_text(json.dumps(meta, indent=1) + "\n", encoding="utf-8")
    print(json.dumps(results, indent=1))
    print(f"calibration on the test split: ECE {ece:.3f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--test", action="store_true", help="only score the saved model on the test split, once")
    args = parser.parse_args()
    if args.test:
        test()
    else:
        train()
    return 0


if __name__ == "__main__":
    sys.exit(main())
