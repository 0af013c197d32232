"""The public namespace (peerbib.__all__): every documented name, callable, never shadowed; data by
position and options by keyword; grouped by stage as the README lists it."""
from __future__ import annotations

import importlib
import importlib.util
import inspect
import re
import subprocess
import sys
import warnings
from pathlib import Path

import pandas as pd
import pytest

import peerbib as pb
from peerbib.deprecation import deprecated_positional

REPO = Path(__file__).resolve().parents[1]

CONTRACT = ["read_corpus", "fetch", "build", "load", "Tables", "publication_years", "cluster_abstracts",
            "plot_publication_years", "report"]


def test_contract_names_exist():
    for name in CONTRACT:
        assert callable(getattr(pb, name)), name
    assert set(CONTRACT) <= set(pb.__all__)


def test_no_public_name_is_also_a_submodule():
    # Importing a submodule sets it as an attribute of the package: a function
    # and a module of the same name would let `import peerbib.build` replace pb.build.
    for name in pb.__all__:
        assert importlib.util.find_spec(f"peerbib.{name}") is None, name


def test_functions_survive_importing_every_submodule():
    code = ("import peerbib as pb, pkgutil, importlib\n"
            "for m in pkgutil.iter_modules(pb.__path__):\n    if m.name != '__main__': importlib.import_module('peerbib.' + m.name)\n"
            "bad = [n for n in pb.__all__ if n != '__version__' and type(getattr(pb, n)).__name__ == 'module']\n"
            "assert not bad, bad\n")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_import_is_light():
    code = "import sys, peerbib; print(','.join(m for m in ('pandas', 'matplotlib', 'sklearn', 'nbclient') if m in sys.modules))"
    loaded = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout.strip()
    assert loaded == ""


# --- data by position, options by keyword ------------------------------------------------------------

# What a public function takes by position: its data, as the product's contract, the README and the
# notebooks pass it. Unlisted functions take one data argument (their first). Everything after is
# keyword-only.
DATA = {
    "fetch": ("dois",), "build": ("raw", "processed"), "count_works": ("works", "by"),
    "show_table": ("frame", "title"), "tally_citation_types": ("statements", "by"),
    "export_for_coding": ("statements", "path"), "coding_agreement": ("coded", "other"),
    "citation_types_by": ("tables", "by"),
    # science maps: what a network is of is data (the contract: pb.network(tables, kind), pb.top(tables, what))
    "network": ("tables", "kind"), "top": ("tables", "what"), "edge_works": ("tables", "net", "source", "target"),
    "export_network": ("net", "path"), "network_downloads": ("net", "name"), "network_clusters": ("net", "tables"),
}
NOT_YET: dict = {}  # options still positional: none


def _public_functions():
    return {name: getattr(pb, name) for name in pb.__all__ if inspect.isfunction(getattr(pb, name))}


def test_every_public_function_takes_its_options_by_keyword_only():
    functions = _public_functions()
    assert len(functions) >= 40 and not set(DATA) - set(functions)
    positional_kinds = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    for name, function in functions.items():
        parameters = list(inspect.signature(function).parameters.values())
        positional = tuple(p.name for p in parameters if p.kind in positional_kinds
                           and p.name not in NOT_YET.get(name, ()))
        assert positional == DATA.get(name, tuple(p.name for p in parameters[:1])), name
        assert not any(p.kind is inspect.Parameter.VAR_POSITIONAL for p in parameters), name


def _statements():
    return pd.DataFrame({
        "statement_id": ["s1", "s2", "s3"], "citing_id": ["W1", "W2", "W3"], "cited_id": ["W9"] * 3,
        "text": ["Our findings are consistent with those of Smith et al. [4].",
                 "In contrast to [7], we observed no difference between groups.",
                 "Peer support is widely used in mental health services [1,2]."],
        "section": ["Discussion", "Discussion", "Introduction"],
    })


def _works():
    topics = {"employment": "peer workers employment contracts pay wages job roles hiring",
              "recovery": "recovery hope empowerment service users personal stories",
              "training": "training courses supervision curriculum competencies learning"}
    rows = [{"work_id": f"W{t}{i}", "title": "", "abstract": f"{words} {extra}"}
            for t, (name, words) in enumerate(topics.items())
            for i, extra in enumerate(["study", "survey", "interviews", "trial"])]
    return pd.DataFrame(rows)  # SYNTHETIC abstracts: three planted topics of four works


def test_an_option_passed_by_position_warns_naming_the_keyword_and_still_works(tmp_path):
    statements = _statements()
    expected = "classify_statements(): pass classifier and threshold by keyword (classifier=..., threshold=...)"
    with pytest.warns(FutureWarning, match=re.escape(expected)) as caught:
        by_position = pb.classify_statements(statements, "cues", 0.9)
    assert caught[0].filename == __file__  # the warning points at the caller's line
    pd.testing.assert_frame_equal(by_position, pb.classify_statements(statements, classifier="cues", threshold=0.9))

    classified = pb.classify_statements(statements)
    expected = "export_for_coding(): pass hide_labels by keyword (hide_labels=...)"
    with pytest.warns(FutureWarning, match=re.escape(expected)):
        old = pb.export_for_coding(classified, tmp_path / "old.csv", False)
    new = pb.export_for_coding(classified, tmp_path / "new.csv", hide_labels=False)
    assert old.read_text(encoding="utf-8") == new.read_text(encoding="utf-8") and "confidence" in old.read_text()

    works = _works()
    with pytest.warns(FutureWarning, match=re.escape("cluster_abstracts(): pass k by keyword (k=...)")):
        old = pb.cluster_abstracts(works, 3)
    with pytest.warns(FutureWarning, match=re.escape("pass k and random_state by keyword")):
        seeded = pb.cluster_abstracts(works, 3, 1)
    new = pb.cluster_abstracts(works, k=3)
    assert old.k == new.k == seeded.k == 3 and seeded.random_state == 1
    pd.testing.assert_series_equal(old.labels, new.labels)


def test_options_by_keyword_do_not_warn():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        pb.classify_statements(_statements(), classifier="cues", threshold=0.9)


def test_a_positional_option_is_still_checked_like_an_argument():
    @deprecated_positional("k", "seed")
    def cluster(works, *, k=None, seed=0):
        return works, k, seed

    assert inspect.signature(cluster).parameters["k"].kind is inspect.Parameter.KEYWORD_ONLY
    assert cluster.deprecated_positional == ("k", "seed")
    with pytest.warns(FutureWarning, match=r"cluster\(\): pass k by keyword"):
        assert cluster("w", 3, seed=2) == ("w", 3, 2)
    with pytest.raises(TypeError, match="takes 1 positional argument but 4 were given"):
        cluster("w", 3, 2, 1)
    with pytest.raises(TypeError, match="multiple values for argument 'k'"):
        cluster("w", 3, k=4)
    with pytest.raises(TypeError, match="'x' is not a keyword-only parameter"):
        deprecated_positional("x")(lambda works, x=1: None)


def test_the_old_import_path_of_a_moved_plot_still_works():
    from peerbib.analysis import citation_types, descriptive

    assert citation_types.plot_citations_per_year is descriptive.plot_citations_per_year is pb.plot_citations_per_year
    assert pb.citations_per_year.__module__ == pb.plot_citations_per_year.__module__


def test_every_plot_sits_beside_its_twin():
    for name in pb.__all__:
        if name.startswith("plot_") and name != "plot_k_scores":  # plot_k_scores draws Clustering.k_scores
            plot = getattr(pb, name)
            twins = {"plot_citation_types": "citation_type_counts"}
            if name == "plot_network":  # its data twin is network_map, beside it (network() builds the graph)
                from peerbib.analysis.networks import plots

                assert plot.__module__ == plots.network_map.__module__
                continue
            twin = getattr(pb, twins.get(name, name.removeprefix("plot_")))
            assert plot.__module__ == twin.__module__, name


# --- the README's list of names -----------------------------------------------------------------------


def _readme_groups():
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text.split("\n## Using peerbib from Python\n", 1)[1].split("\n## ", 1)[0]
    items = re.findall(r"^- \*\*(.+?)\*\*: (.+?)(?=^- |^\n)", section, re.M | re.S)
    return [(label, re.findall(r"`(\w+)`", names)) for label, names in items]


def _export_groups():
    source = (REPO / "peerbib" / "__init__.py").read_text(encoding="utf-8")
    body = source.split("\n_EXPORTS = {\n", 1)[1].split("\n}\n", 1)[0]
    groups = []
    for line in body.splitlines():
        header = re.match(r"    # ([^:]+?)(?::|$)", line)
        if header:
            groups.append((header.group(1), []))
        elif re.match(r'    "\w+":', line):
            groups[-1][1].append(re.match(r'    "(\w+)":', line).group(1))
        elif line.startswith("        "):
            groups[-1][1].extend(re.findall(r'"(\w+)"', line))
    return groups


def test_the_readme_lists_every_public_name_grouped_as_the_package_does():
    readme, exports = _readme_groups(), _export_groups()
    assert [label for label, _ in readme] == [label for label, _ in exports] == [
        "corpus", "fetch", "build & load", "describe", "citation statements & types", "clusters",
        "science maps & indicators", "reports", "project", "settings & errors"]
    assert readme == exports
    assert [name for _, names in readme for name in names] == [name for name in pb.__all__ if name != "__version__"]
