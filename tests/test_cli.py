"""The peerbib command: one-line errors, non-zero exit, nothing written on failure."""
from __future__ import annotations

import hashlib
import os
import subprocess
import sys


def run(project, *args):
    env = dict(os.environ, PEERBIB_PROJECT=str(project))
    return subprocess.run([sys.executable, "-m", "peerbib", *args], cwd=project, env=env,
                          capture_output=True, text=True, timeout=300)


def digest(folder):
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def test_build_prints_table_sizes(project):
    result = run(project, "build")
    assert result.returncode == 0, result.stderr
    assert "works 30" in result.stdout and "statements 4" in result.stdout


def test_bad_doi_exits_nonzero_with_file_line_reason_and_writes_nothing(project):
    assert run(project, "build").returncode == 0
    processed = project / "data" / "processed"
    before = digest(processed)
    (project / "data" / "raw" / "corpus" / "mine_corpus.csv").write_text(
        "doi,title\n10.1234/fine,Fine\n10.12/short,Bad prefix\n", encoding="utf-8")
    result = run(project, "build")
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "mine_corpus.csv, line 3: malformed DOI '10.12/short'" in lines[0]
    assert "Traceback" not in result.stderr
    assert digest(processed) == before


def test_build_on_a_corpus_file(project, tmp_path):
    corpus = tmp_path / "list.csv"
    corpus.write_text("doi\n10.1234/abcd\n", encoding="utf-8")
    result = run(project, "build", "--raw", str(corpus), "--processed", str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "out" / "works.parquet").is_file()


def test_version_and_help(project):
    assert run(project, "--version").stdout.startswith("peerbib ")
    assert "report" in run(project, "--help").stdout


def test_network_writes_the_map_pb_network_makes(project):
    """``peerbib network`` = pb.network + pb.export_network: the GEXF read back by networkx holds the
    network's nodes and links with their weights (co-authorship of the bundled works' author names)."""
    import networkx as nx

    import peerbib as pb

    result = run(project, "network", "coauthorship", "--unit", "authors", "--out", "maps/coauthors.gexf")
    assert result.returncode == 0, result.stderr
    written = project / "maps" / "coauthors.gexf"
    assert f"wrote {written}" in result.stdout
    assert "coauthorship network of authors:" in result.stdout
    net = pb.network(pb.load(), "coauthorship", unit="authors")
    graph = nx.read_gexf(written)
    assert set(graph.nodes) == set(net.nodes["id"])
    assert graph.number_of_edges() == len(net.edges) > 0
    for row in net.edges.itertuples():
        assert graph.edges[row.source, row.target]["weight"] == row.weight


def test_network_vosviewer_files_and_a_threshold(project):
    result = run(project, "network", "coauthorship", "--unit", "authors", "--min-weight", "2",
                 "--format", "vosviewer", "--out", "maps/co")
    assert result.returncode == 0, result.stderr
    import peerbib as pb

    net = pb.network(pb.load(), "coauthorship", unit="authors", min_weight=2)
    links = (project / "maps" / "co_network.txt").read_text(encoding="utf-8").splitlines()
    assert len(links) == len(net.edges)
    assert all(float(line.split("\t")[2]) >= 2 for line in links)
    assert (project / "maps" / "co_map.txt").is_file()


def test_network_errors_are_one_line_and_write_nothing(project):
    for args, said in [
        (("cocitation", "--out", "maps/c.gexf"), "tables.references holds none"),
        (("nonsense", "--out", "maps/c.gexf"), "nonsense"),
        (("coauthorship", "--unit", "authors", "--out", "maps/c.xyz"), "xyz"),
    ]:
        result = run(project, "network", *args)
        assert result.returncode == 1, args
        lines = result.stderr.strip().splitlines()
        assert lines[-1].startswith("peerbib network: error:") and said in lines[-1], result.stderr
        assert "Traceback" not in result.stderr
    assert not (project / "maps").exists() or not any((project / "maps").iterdir())
