"""Citation types: the gold corpus, the learned default classifier, the cue classifier's rules, training,
corrected shares, and the hand-coding loop."""
from __future__ import annotations

import re
from importlib import resources

import numpy as np
import pandas as pd
import pytest

import peerbib as pb
from peerbib.statements.classify import CueClassifier, cue_classifier, cue_file, default_classifier
from peerbib.statements.gold import gold_papers, gold_statements

LABELS = ["supporting", "mentioning", "contrasting"]
OPEN_LICENCE = re.compile(r"^(CC BY|CC0)\b")


def per_class(truth, predicted):
    from sklearn.metrics import precision_recall_fscore_support

    p, r, f, n = precision_recall_fscore_support(truth, predicted, labels=LABELS, zero_division=0)
    return pd.DataFrame({"precision": p, "recall": r, "f1": f, "n": n}, index=LABELS)


# --- the gold corpus -----------------------------------------------------------------------------


def test_the_gold_corpus_is_large_open_double_coded_and_split_by_paper():
    gold = gold_statements()
    papers = gold_papers()
    assert len(gold) >= 4000 and gold["statement_id"].is_unique and gold["text"].str.strip().ne("").all()
    assert gold["paper_id"].nunique() >= 150
    counts = gold["code"].value_counts()
    assert counts["supporting"] >= 400 and counts["contrasting"] >= 200
    # every statement says its paper's DOI, licence and source; every licence is open (CC BY / CC0)
    assert gold["doi"].str.startswith("10.").all() and gold["source"].str.contains("@").all()
    assert gold["licence"].map(lambda x: bool(OPEN_LICENCE.match(x))).all()
    # two coders on every statement; where they differ, an adjudicated code
    assert gold["coder_a"].isin(LABELS + ["unclassified"]).all() and gold["coder_b"].isin(LABELS + ["unclassified"]).all()
    differ = gold["coder_a"] != gold["coder_b"]
    assert (gold.loc[differ, "adjudicated"] == "yes").all() and (gold.loc[~differ, "code"] == gold.loc[~differ, "coder_a"]).all()
    # the samples, each statement's probability of being drawn, and the test split held out by paper
    assert gold["sample"].str.contains("random").sum() >= 1500 and gold["sample"].str.contains("candidate").sum() >= 1500
    assert gold["inclusion"].between(0, 1, inclusive="right").all()
    split_of = papers.set_index("paper_id")["split"]
    assert (gold["split"] == gold["paper_id"].map(split_of)).all()
    test_papers = gold.loc[gold["split"] == "test", "paper_id"].nunique()
    assert test_papers >= 0.2 * gold["paper_id"].nunique()
    assert not set(gold_statements(split="test")["paper_id"]) & set(gold_statements(split="train")["paper_id"])
    guide = resources.files("peerbib.statements").joinpath("data/coding_guide.md").read_text(encoding="utf-8")
    assert all(f"**{code}**" in guide for code in LABELS)
    readme = resources.files("peerbib.statements").joinpath("data/gold/README.md").read_text(encoding="utf-8")
    assert "automated" in readme and "kappa" in readme


# --- the default classifier ------------------------------------------------------------------------


def test_the_default_is_the_learned_classifier_shipped_with_its_figures():
    clf = default_classifier()
    assert clf.label == "peerbib-linear/3"
    evaluation = clf.evaluation
    assert {"supporting", "mentioning", "contrasting", "macro average"} <= set(evaluation.index)
    assert {"precision_low", "precision_high", "recall_low", "f1_high"} <= set(evaluation.columns)
    assert clf.meta["test"]["test_split"]["papers"] >= 40  # measured once on the held-out papers
    assert set(clf.meta["rates"]["rates"]) == set(LABELS) and clf.meta["calibration_test"]["ece"] < 0.1
    assert set(clf.thresholds) == set(LABELS) and all(0 < t < 1 for t in clf.thresholds.values())
    figures = pb.classifier_figures()
    assert "test split" in figures.attrs["note"] and figures.loc["supporting", "recall"] > 0.3


@pytest.mark.parametrize("text, callout, section, expected", [
    ("Our findings are consistent with those of Smith et al. [4].", "[4]", "Discussion", "supporting"),
    ("Our results are in line with [12].", None, None, "supporting"),
    ("These results confirm the earlier report [2].", "[2]", "Discussion", "supporting"),
    ("In contrast to [7], we observed no difference between groups.", "[7]", "Discussion", "contrasting"),
    ("Our estimates are much lower than those of a previous survey [9].", "[9]", "Discussion", "contrasting"),
    ("Peer support is widely used in mental health services [1,2].", "[1,2]", "Introduction", "mentioning"),
    ("We used the scale developed by [8].", "[8]", "Methods", "mentioning"),
    ("Smith [4] studied nurses in three hospitals.", "[4]", "Introduction", "mentioning"),
])
def test_plain_cases(text, callout, section, expected):
    statements = pd.DataFrame({"text": [text], "callout": [callout], "section": [section]})
    assert pb.classify_statements(statements).loc[0, "type"] == expected


def test_every_row_gets_a_confidence_and_evidence_in_plain_words():
    gold = gold_statements(split="test").head(300)
    rows = pd.concat([gold, pd.DataFrame({"text": [None, ""], "statement_id": ["x", "y"]})], ignore_index=True)
    out = pb.classify_statements(rows)
    assert out["confidence"].notna().all() and out["confidence"].between(0, 1).all()
    assert (out["classifier"] == "peerbib-linear/3").all()
    evidence = out["evidence"]
    assert evidence.str.contains("\u2192").all() | (evidence == "no text").all() or evidence.notna().all()
    # words a reader reads, not a scoring trace: no factors, no "->", no raw scores
    assert not evidence.str.contains(r"->| x\d|\[agreement\]|\bp\(").any()
    supporting = out[out["type"] == "supporting"]["evidence"]
    assert supporting.str.contains("'").mean() > 0.9  # quoted words of the sentence
    assert list(out["type"].tail(2)) == ["unclassified", "unclassified"]
    assert set(out["type"]) <= {"supporting", "mentioning", "contrasting", "unclassified"}


def test_the_cue_classifier_is_still_there_by_name():
    statements = pd.DataFrame({"text": ["Our results are consistent with [3]."], "callout": ["[3]"],
                               "section": ["Discussion"]})
    out = pb.classify_statements(statements, classifier="cues")
    assert out.loc[0, "classifier"] == "peerbib-cues/2" and out.loc[0, "type"] == "supporting"
    text = cue_file()
    assert "version = 2" in text and text.count("[[cue]]") >= 8 and "[features]" in text


@pytest.mark.parametrize("text, section, expected", [
    ("Our findings are in line with those of Smith et al. [4].", "Discussion", "supporting"),
    ("These results confirm the earlier report [2].", "Discussion", "supporting"),
    ("We replicate the effect described by Lee (2019).", "Results", "supporting"),
    ("In contrast to [7], we observed no difference between groups.", "Discussion", "contrasting"),
    ("Our estimates are not consistent with the survey [9].", "Discussion", "contrasting"),  # negation turns it
    ("We could not replicate the improvement reported in [5].", "Discussion", "contrasting"),
    ("Our sample did not differ from that of [6].", "Results", "supporting"),  # "not differ" agrees
    ("This observation has been replicated in other cohorts [14].", "Discussion", "mentioning"),  # passive: others
    ("Peer support is widely used in mental health services [1,2].", "Introduction", "mentioning"),
    ("We used the scale developed by [8].", "Methods", "mentioning"),
    ("Smith [4] confirmed the findings of Lee [5].", "Discussion", "mentioning"),  # not the citing paper's own
    ("Consistent with our hypothesis; Smith [3] studied nurses.", "Discussion", "mentioning"),  # ; breaks the tie
])
def test_cue_rules(text, section, expected):
    callout = next(c for c in ("[4]", "[2]", "Lee (2019)", "[7]", "[9]", "[5]", "[6]", "[14]", "[1,2]", "[8]", "[3]")
                   if c in text)
    assert cue_classifier().decide(text, callout, section)[0] == expected


def test_threshold_leaves_unclassified_and_is_checked():
    statements = pd.DataFrame({"statement_id": ["a"], "text": ["Our results are consistent with [3]."],
                               "section": ["Methods"], "callout": ["[3]"]})
    assert pb.classify_statements(statements, threshold=0.999).loc[0, "type"] == "unclassified"
    with pytest.raises(pb.AnalysisError, match="between 0 and 1"):
        pb.classify_statements(statements, threshold=2)


def test_a_type_from_the_statements_source_is_kept_as_source_type():
    statements = pd.DataFrame({"statement_id": ["a"], "text": ["Our results are consistent with [3]."],
                               "type": ["mentioning"], "section": ["Discussion"], "callout": ["[3]"]})
    out = pb.classify_statements(statements)
    assert out.loc[0, "source_type"] == "mentioning" and out.loc[0, "type"] == "supporting"


def test_a_cue_file_with_a_bad_type_is_refused():
    broken = cue_file().replace('type = "contrasting"', 'type = "disputing"', 1)
    with pytest.raises(pb.AnalysisError, match="disputing"):
        CueClassifier.from_toml(broken)


# --- corrected shares -----------------------------------------------------------------------------


def test_a_corrected_share_undoes_a_known_error():
    from peerbib.statements.evaluate import confusion_rates, corrected_share

    # a classifier that finds half the supporting statements and calls 2% of the others supporting
    true = np.array(["supporting"] * 200 + ["mentioning"] * 1000 + ["contrasting"] * 100, dtype=object)
    pred = np.array(["supporting"] * 100 + ["mentioning"] * 100 + ["supporting"] * 20 + ["mentioning"] * 980
                    + ["contrasting"] * 50 + ["mentioning"] * 50, dtype=object)
    rates = confusion_rates(true, pred)
    prevalence = {"supporting": 0.2, "mentioning": 0.7, "contrasting": 0.1}
    # 1,000 statements of which 30% are truly supporting: labelled 0.5 x 300 + 0.02 x 700 (nearly) = 164
    point, low, high = corrected_share(164, 1000, "supporting", rates, prevalence)
    assert abs(point - 0.30) < 0.02 and low < point < high and high - low < 0.3
    assert np.isnan(corrected_share(0, 0, "supporting", rates, prevalence)[0])


def test_tallies_carry_corrected_shares_for_the_default_only():
    statements = gold_statements(split="test").assign(cited_id="W1").drop(columns=["type"], errors="ignore")
    classified = pb.classify_statements(statements)
    tallied = pb.tally_citation_types(classified, corrected=True)
    row = tallied.iloc[0]
    assert row["supporting_low"] <= row["supporting_corrected"] <= row["supporting_high"]
    truth = (statements["code"] == "supporting").mean()
    assert row["supporting_low"] - 0.05 <= truth <= row["supporting_high"] + 0.05
    cues = pb.tally_citation_types(pb.classify_statements(statements, classifier="cues"), corrected=True)
    assert cues["supporting_corrected"].isna().all()  # no measured error rates for the cue classifier


# --- training -------------------------------------------------------------------------------------


def synthetic_coded(n_per_class=30, seed=0):
    """SYNTHETIC coded statements: invented sentences with a clear signal per class."""
    import random

    rng = random.Random(seed)
    subjects = ["peer workers", "staff", "service users", "teams", "managers", "nurses"]
    templates = {
        "supporting": "Our findings about {s} are consistent with those of study {k} [{k}].",
        "contrasting": "In contrast to study {k} [{k}], we found no effect for {s}.",
        "mentioning": "Earlier work described {s} in several settings [{k}].",
    }
    rows = []
    for label, template in templates.items():
        for i in range(n_per_class):
            k = rng.randint(1, 60)
            rows.append({"statement_id": f"{label}{i}", "citing_id": f"W{i % 12}",
                         "text": template.format(s=rng.choice(subjects), k=k), "code": label,
                         "section": rng.choice(["Discussion", "Results"])})
    return pd.DataFrame(rows)


def test_train_classifier_evaluates_by_citing_work_and_saves_with_its_versions(tmp_path):
    coded = synthetic_coded()
    classifier = pb.train_classifier(coded, label="code")
    assert set(classifier.evaluation.index) == {"supporting", "mentioning", "contrasting", "macro average"}
    assert classifier.evaluation.loc["macro average", "f1"] >= 0.9
    assert classifier.meta["grouped_by"] == "citing_id" and classifier.meta["sklearn_version"]
    out = pb.classify_statements(coded.drop(columns="code"), classifier=classifier)
    assert (out["type"] == coded["code"]).mean() >= 0.9
    assert out["classifier"].iloc[0].startswith("trained/")
    path = classifier.save(tmp_path / "model.skops")
    loaded = pb.load_classifier(path)
    assert loaded.label == classifier.label
    pd.testing.assert_frame_equal(pb.classify_statements(coded, classifier=loaded),
                                  pb.classify_statements(coded, classifier=classifier))


def test_train_classifier_warns_about_a_class_with_too_few_examples():
    coded = synthetic_coded()
    coded = coded[~((coded["code"] == "contrasting") & (coded.index % 30 >= 4))]
    with pytest.warns(UserWarning, match="only 4 'contrasting' statements"):
        pb.train_classifier(coded, label="code")


def test_a_classifier_from_another_sklearn_version_is_refused(tmp_path):
    import json

    path = pb.train_classifier(synthetic_coded(), label="code").save(tmp_path / "model.skops")
    meta_path = tmp_path / "model.skops.json"
    meta = json.loads(meta_path.read_text())
    meta["sklearn_version"] = "0.1"
    meta_path.write_text(json.dumps(meta))
    with pytest.raises(pb.AnalysisError, match="trained with scikit-learn 0.1"):
        pb.load_classifier(path)


def test_training_needs_two_types():
    coded = synthetic_coded()
    with pytest.raises(pb.AnalysisError, match="at least two types"):
        pb.train_classifier(coded[coded["code"] == "mentioning"], label="code")


# --- the hand-coding loop --------------------------------------------------------------------------


def classified_gold():
    frame = gold_statements(split="train").head(400).rename(columns={"code": "gold"})
    frame["cited_id"] = frame["cited_key"]
    return pb.classify_statements(frame)


def test_export_code_read_and_agreement_round_trip(tmp_path):
    statements = classified_gold()
    path = pb.export_for_coding(statements, tmp_path / "coding.csv")
    exported = pd.read_csv(path, keep_default_na=False)
    assert "type" not in exported.columns and "classifier_type" not in exported.columns  # labels hidden
    assert (exported["code"] == "").all() and len(exported) == len(statements)
    # a coder codes everything as the gold set says
    exported["code"] = statements["gold"].to_numpy()
    exported.to_csv(path, index=False)
    coded = pb.read_coding(path)
    agreement = pb.coding_agreement(coded, statements)
    assert 0 < agreement.kappa <= 1 and agreement.n == len(statements)
    assert list(agreement.confusion.index) == list(agreement.confusion.columns)
    assert agreement.per_class.loc["mentioning", "recall"] >= 0.95
    assert "kappa" in repr(agreement)
    # two coders agreeing with each other entirely
    assert pb.coding_agreement(coded, coded).kappa == 1.0


def test_a_stratified_sample_over_represents_the_rare_types_and_says_so(tmp_path):
    statements = classified_gold()
    path = pb.export_for_coding(statements, tmp_path / "sample.csv", sample=30, stratify=True, hide_labels=False)
    exported = pd.read_csv(path, keep_default_na=False)
    assert len(exported) == 30 and (exported["sampling"] == "stratified").all()
    rare = exported["classifier_type"].isin(["supporting", "contrasting"])
    assert rare.sum() == min(10, statements["type"].isin(["supporting", "contrasting"]).sum())  # a third of 30
    exported["code"] = exported["classifier_type"]
    exported.to_csv(path, index=False)
    agreement = pb.coding_agreement(pb.read_coding(path), statements)
    assert "stratified sample" in agreement.note


@pytest.mark.parametrize("edit, message", [
    (lambda f: f.assign(code=["disputing"] + [""] * (len(f) - 1)), "code 'disputing' of statement"),
    (lambda f: pd.concat([f, f.iloc[[0]]]), "is here twice"),
    (lambda f: f.assign(text=["An edited sentence."] + list(f["text"][1:]), code=["mentioning"] * len(f)),
     "was edited since the export"),
])
def test_reading_a_coding_file_refuses_what_cannot_be_right(tmp_path, edit, message):
    statements = classified_gold().head(5)
    path = pb.export_for_coding(statements, tmp_path / "coding.csv")
    edit(pd.read_csv(path, keep_default_na=False)).to_csv(path, index=False)
    with pytest.raises(pb.CorpusError, match=message):
        pb.read_coding(path)


def test_code_command_exports_and_measures_agreement(project, capsys):
    from peerbib import cli

    pb.build()
    out = project / "coding.csv"
    assert cli.main(["code", "export", "--out", str(out)]) == 0
    assert "statements to code" in capsys.readouterr().out
    frame = pd.read_csv(out, keep_default_na=False)
    frame["code"] = "mentioning"
    frame.to_csv(out, index=False)
    assert cli.main(["code", "agreement", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "kappa" in printed and "coded" in printed
    assert cli.main(["code", "agreement", str(project / "missing.csv")]) == 1


def test_the_coding_round_trip_runs_in_a_notebook_kernel(project, tmp_path):
    """Export -> code -> read -> agreement as a researcher runs it in Jupyter (a real kernel, the bundled data)."""
    import nbformat

    from peerbib.reporting import execute_notebook

    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    notebook.cells = [nbformat.v4.new_code_cell(
        "import pandas as pd\n"
        "import peerbib as pb\n"
        "tables = pb.load()\n"
        "path = pb.export_for_coding(tables.statements, 'coding.csv')\n"
        "sheet = pd.read_csv(path, keep_default_na=False)\n"
        "assert 'type' not in sheet.columns  # the classifier's label is hidden from the coder\n"
        "types = tables.statements.set_index('statement_id').loc[sheet['statement_id'], 'type'].tolist()\n"
        "codes = ['contrasting' if types[0] != 'contrasting' else 'supporting'] + types[1:]  # one disagreement\n"
        "sheet['code'] = codes\n"
        "sheet.to_csv(path, index=False)\n"
        "coded = pb.read_coding(path)\n"
        "agreement = pb.coding_agreement(coded, tables.statements)\n"
        "print(agreement.n, round(agreement.agreement, 2), agreement.confusion.loc[codes[0], types[0]])")]
    path = tmp_path / "coding.ipynb"
    nbformat.write(notebook, path)
    executed = execute_notebook(path, timeout=120)
    assert executed.cells[0].outputs[0]["text"].split() == ["4", "0.75", "1"]  # 3 of 4 agree; the 4th is where coded
    assert (tmp_path / "coding.csv").is_file()


def test_train_classifier_is_never_worse_than_the_plain_baseline_in_the_same_folds():
    """On real coded statements (a slice of the gold corpus's train split, as a user's own coded set)."""
    coded = gold_statements(split="train").head(600).rename(columns={"code": "type"})
    clf = pb.train_classifier(coded, group="paper_id")
    selection = clf.meta["selection"]
    assert selection["chosen_macro_f1"] >= selection["baseline_macro_f1"] > 0
    assert len(selection["configs"]) >= 3
    with_gold = pb.train_classifier(coded.head(150), group="paper_id", base="default", folds=2)
    assert with_gold.meta["base"] == "default" and with_gold.meta["rows"] > 5000  # the gold corpus trains too
    out = pb.classify_statements(gold_statements(split="test").head(200), classifier=with_gold)
    assert out["confidence"].between(0, 1).all() and out["type"].isin(LABELS).all()
