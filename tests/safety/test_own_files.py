"""Files written at a path the user names replace only what peerbib wrote (network exports, cluster tables).

Before this change ``peerbib network --out FILE``, ``pb.export_network`` and
``Clustering.to_parquet`` replaced whatever was at the path: a user's file, the
file a symlink stood for, a file in the raw data. Each test puts something of
the user's there and checks it is refused in one line with every byte kept.
The project is a copy of the bundled data; the networks are its co-authorship
of author names.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import pandas as pd
import pytest

import peerbib as pb
from peerbib import cli
from peerbib.errors import OwnershipError
from peerbib.ownership import FILES_RECORD

USER_TEXT = "my own network, drawn by hand\n"


def run_cli(capsys, *argv) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def one_line(err: str) -> str:
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("peerbib network: error: ") and "Traceback" not in err, err
    return lines[0]


@pytest.fixture
def net(project):
    return pb.network(pb.load(), "coauthorship", unit="authors")


@pytest.fixture
def cwd(project, monkeypatch):
    monkeypatch.chdir(project)
    return project


def test_a_users_file_at_out_is_refused_and_kept(cwd, capsys):
    mine = cwd / "coauthors.gexf"
    mine.write_text(USER_TEXT, encoding="utf-8")
    code, _, err = run_cli(capsys, "network", "coauthorship", "--unit", "authors", "--out", "coauthors.gexf")
    assert code == 1
    line = one_line(err)
    assert "peerbib did not write it" in line and "--force" in line and "coauthors.gexf.bak" in line
    assert mine.read_text(encoding="utf-8") == USER_TEXT
    assert not (cwd / FILES_RECORD).exists()


def test_one_file_of_two_refused_writes_neither(cwd, capsys):
    """VOSviewer writes two files: a user's network file stops the map file too."""
    (cwd / "co_network.txt").write_text(USER_TEXT, encoding="utf-8")
    code, _, err = run_cli(capsys, "network", "coauthorship", "--unit", "authors", "--format", "vosviewer",
                           "--out", "co")
    assert code == 1 and "co_network.txt" in one_line(err)
    assert not (cwd / "co_map.txt").exists()
    assert (cwd / "co_network.txt").read_text(encoding="utf-8") == USER_TEXT


def test_peerbibs_own_file_is_replaced_and_an_edited_one_is_not(cwd, capsys, net):
    code, out, _ = run_cli(capsys, "network", "coauthorship", "--unit", "authors", "--out", "maps/co.gexf")
    assert code == 0 and "wrote" in out
    written = cwd / "maps" / "co.gexf"
    first = written.read_bytes()
    assert run_cli(capsys, "network", "coauthorship", "--unit", "authors", "--out", "maps/co.gexf")[0] == 0
    assert written.read_bytes() == first  # the same tables give the same file, rewritten without complaint
    record = json.loads((cwd / "maps" / FILES_RECORD).read_text(encoding="utf-8"))
    assert set(record["peerbib_files"]) == {"co.gexf"}
    written.write_text(first.decode("utf-8") + "<!-- my edit -->\n", encoding="utf-8")
    code, _, err = run_cli(capsys, "network", "coauthorship", "--unit", "authors", "--out", "maps/co.gexf")
    assert code == 1 and "changed since peerbib wrote it" in one_line(err)
    assert written.read_text(encoding="utf-8").endswith("<!-- my edit -->\n")


def test_force_keeps_the_old_file_as_a_backup(cwd, net):
    mine = cwd / "co.gexf"
    mine.write_text(USER_TEXT, encoding="utf-8")
    with pytest.warns(UserWarning, match="co.gexf.bak"):
        pb.export_network(net, mine, force=True)
    assert (cwd / "co.gexf.bak").read_text(encoding="utf-8") == USER_TEXT
    assert mine.read_text(encoding="utf-8").startswith("<gexf")
    mine.write_text(USER_TEXT + "again\n", encoding="utf-8")
    with pytest.warns(UserWarning, match="co.gexf.bak2"):
        pb.export_network(net, mine, force=True)
    assert (cwd / "co.gexf.bak").read_text(encoding="utf-8") == USER_TEXT
    assert (cwd / "co.gexf.bak2").read_text(encoding="utf-8") == USER_TEXT + "again\n"


def test_a_symlink_at_out_is_refused_and_its_target_kept(cwd, tmp_path, capsys, net):
    outside = tmp_path / "outside.gexf"
    outside.write_text(USER_TEXT, encoding="utf-8")
    (cwd / "link.gexf").symlink_to(outside)
    code, _, err = run_cli(capsys, "network", "coauthorship", "--unit", "authors", "--out", "link.gexf")
    assert code == 1 and "symbolic link" in one_line(err)
    with pytest.raises(OwnershipError, match="symbolic link"):
        pb.export_network(net, cwd / "link.gexf", force=True)  # not even with force
    assert outside.read_text(encoding="utf-8") == USER_TEXT and (cwd / "link.gexf").is_symlink()


@pytest.mark.parametrize("out, said", [
    (".", "is a folder"),
    ("data/raw/corpus/net.gexf", "in the raw data"),
    ("data/raw/net.csv", "in the raw data"),
])
def test_the_project_folder_and_the_raw_data_are_refused(cwd, capsys, out, said):
    before = sorted(p.relative_to(cwd).as_posix() for p in cwd.rglob("*"))
    code, _, err = run_cli(capsys, "network", "coauthorship", "--unit", "authors", "--format", "gexf",
                           "--out", out)
    assert code == 1 and said in one_line(err)
    after = sorted(p.relative_to(cwd).as_posix() for p in cwd.rglob("*"))
    assert [p for p in after if p not in before and not p.startswith("data/processed")] == []


def test_the_project_folder_itself_is_refused(cwd, net):
    from peerbib.errors import AnalysisError
    with pytest.raises(AnalysisError, match="is a folder: give a file name"):
        pb.export_network(net, cwd.parent / cwd.name / ".", format="gexf")
    assert not (cwd.parent / "project.gexf").exists()  # "." is not a stem that writes beside the project
    root_as_file = Path(os.path.realpath(cwd))
    from peerbib.own_files import check_own_file
    with pytest.raises(OwnershipError, match="is the project folder"):
        check_own_file(root_as_file)


def test_a_raw_folder_reached_through_a_symlink_is_refused(cwd, tmp_path, net):
    (tmp_path / "shortcut").symlink_to(cwd / "data" / "raw" / "corpus")
    with pytest.raises(OwnershipError, match="in the raw data"):
        pb.export_network(net, tmp_path / "shortcut" / "net.gexf")
    assert not (cwd / "data" / "raw" / "corpus" / "net.gexf").exists()


def test_a_record_that_is_not_peerbibs_is_never_overwritten(cwd, net):
    record = cwd / FILES_RECORD
    record.write_text("my notes that happen to have this name\n", encoding="utf-8")
    with pytest.raises(OwnershipError, match="rename it"):
        pb.export_network(net, cwd / "co.gexf")
    assert record.read_text(encoding="utf-8") == "my notes that happen to have this name\n"
    assert not (cwd / "co.gexf").exists()


def test_cluster_tables_follow_the_same_rule(cwd):
    tables = pb.load()
    clusters = pb.cluster_abstracts(tables.works, k=3, random_state=0)
    mine = cwd / "clusters.parquet"
    pd.DataFrame({"mine": [1]}).to_parquet(mine)
    kept = mine.read_bytes()
    with pytest.raises(OwnershipError, match="peerbib did not write it"):
        clusters.to_parquet(mine)
    assert mine.read_bytes() == kept
    # in the tables folder peerbib built, a Parquet file is peerbib's (older versions wrote it without a record)
    processed = cwd / "data" / "processed" / "clusters.parquet"
    pd.DataFrame({"older": [1]}).to_parquet(processed)
    clusters.to_parquet(processed)
    assert list(pd.read_parquet(processed).columns) == list(clusters.assignments.columns)
