"""scite's free tallies: fetched opt-in into the snapshot, built into tables.tallies beside peerbib's own.

The OpenAlex works and scite's counts are SYNTHETIC (fakes served through ``responses``)."""
from __future__ import annotations

import json

import pandas as pd
import pytest
import responses

from fixtures.openalex import TEST_KEY, FakeOpenAlex, make_work
from fixtures.scite import FakeScite, counts

import peerbib as pb
from peerbib.snapshot import MANIFEST, fetch
from peerbib.snapshot import fetch_scite

FAST = dict(api_key=TEST_KEY, progress=False, max_rate=0, scite_rate=0, sleep=lambda s: None)
EMAIL = "researcher@example.org"


def world(n=3):
    corpus = [make_work(i, cited_by_count=1) for i in range(1, n + 1)]
    citing = [make_work(100 + i, references=[f"W{i}"], year=2020) for i in range(1, n + 1)]
    return corpus, citing


def serve(rsps, n=3):
    corpus, citing = world(n)
    api = FakeOpenAlex(corpus + citing).install(rsps)
    scite = FakeScite({
        "10.5555/synthetic.1": counts("10.5555/synthetic.1", supporting=2, mentioning=30, contradicting=1,
                                      unclassified=4, citing=25),
        "10.5555/synthetic.2": counts("10.5555/synthetic.2", mentioning=5),
    }).install(rsps)
    return corpus, api, scite


def dois(corpus):
    return [w["doi"] for w in corpus]


def test_fetch_stores_scite_tallies_and_build_keeps_them_apart(tmp_path):
    raw = tmp_path / "raw"
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        corpus, api, scite = serve(rsps)
        summary = fetch(dois(corpus), snapshot=raw / "openalex", scite_tallies=True, email=EMAIL, **FAST)
        assert scite.calls == [["10.5555/synthetic.1", "10.5555/synthetic.2", "10.5555/synthetic.3"]]
        assert summary.scite_requests == 1 and summary.scite_tallies == 2
        assert "scite:      tallies of 2 of 3 corpus works; 1 scite requests" in str(summary)
        assert TEST_KEY not in json.dumps(scite.headers)  # the OpenAlex key never goes to scite
        again = fetch(dois(corpus), snapshot=raw / "openalex", scite_tallies=True, email=EMAIL, **FAST)
        assert again.requests == 0 and len(scite.calls) == 1 and again.scite_tallies == 2
    manifest = json.loads((raw / "openalex" / MANIFEST).read_text())
    (item,) = manifest["scite"].values()
    assert item["status"] == 200 and item["file"].startswith("scite/") and len(item["dois"]) == 3
    assert (raw / "openalex" / item["file"]).is_file()
    written = json.dumps(manifest) + (raw / "openalex" / item["file"]).read_bytes().decode("latin-1")
    assert TEST_KEY not in written and EMAIL not in written
    assert manifest["fetches"][-1]["options"]["scite_tallies"] is True

    tables = pb.build(raw, tmp_path / "processed")
    fetched = tables.tallies[tables.tallies["source"] == "scite (api)"].set_index("cited_id")
    assert sorted(fetched.index) == ["W1", "W2"]  # no tally for a DOI scite does not know: no row, not zeros
    row = fetched.loc["W1"]
    assert (row.supporting, row.mentioning, row.contrasting, row.unclassified) == (2, 30, 1, 4)  # contradicting
    assert (row.citing_publications, row.citation_statements) == (25, 37)
    assert row.provenance.startswith("https://api.scite.ai/tallies, fetched 20")
    # peerbib's own tallies, where there are any, are other rows: one tally is never the sum of two sources
    assert tables.tallies.duplicated(["cited_id", "source"]).sum() == 0
    pd.testing.assert_frame_equal(pb.load(tmp_path / "processed").tallies, tables.tallies)


def test_scite_tallies_are_opt_in(tmp_path):
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        corpus, api, scite = serve(rsps)
        summary = fetch(dois(corpus), snapshot=tmp_path / "raw" / "openalex", **FAST)
    assert scite.calls == [] and summary.scite_requests == 0 and "  scite:" not in str(summary)
    assert not (pb.build(tmp_path / "raw", tmp_path / "p").tallies["source"] == "scite (api)").any()


def test_batches_of_500_and_a_grown_corpus_asks_only_for_its_new_dois(tmp_path, monkeypatch):
    monkeypatch.setattr(fetch_scite, "SCITE_BATCH", 2)
    snapshot = tmp_path / "raw" / "openalex"
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        corpus, api, scite = serve(rsps, n=4)
        fetch(dois(corpus[:3]), snapshot=snapshot, scite_tallies=True, **FAST)
        assert scite.calls == [["10.5555/synthetic.1", "10.5555/synthetic.2"], ["10.5555/synthetic.3"]]
        scite.tallies["10.5555/synthetic.4"] = counts("10.5555/synthetic.4", supporting=1)
        grown = fetch(dois(corpus), snapshot=snapshot, scite_tallies=True, **FAST)
        assert scite.calls[2:] == [["10.5555/synthetic.4"]] and grown.scite_tallies == 3
    tallies = pb.build(tmp_path / "raw", tmp_path / "p").tallies
    assert sorted(tallies.loc[tallies["source"] == "scite (api)", "cited_id"]) == ["W1", "W2", "W4"]


def test_scite_faults_are_retried_and_a_refusal_keeps_the_openalex_data(tmp_path):
    snapshot = tmp_path / "raw" / "openalex"
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        corpus, api, scite = serve(rsps)
        scite.fail(503, times=2)
        scite.fail("connection", times=1)
        summary = fetch(dois(corpus), snapshot=snapshot, scite_tallies=True, **FAST)
        assert len(scite.calls) == 4 and summary.scite_tallies == 2 and summary.retries >= 3
    other = tmp_path / "other" / "openalex"
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        corpus, api, scite = serve(rsps)
        scite.fail(400, times=99)
        with pytest.raises(pb.SciteError, match="scite") as raised:
            fetch(dois(corpus), snapshot=other, scite_tallies=True, **FAST)
        assert raised.value.status == 400
        assert TEST_KEY not in str(raised.value)
        scite.faults.clear()
        calls = len(api.calls)
        rerun = fetch(dois(corpus), snapshot=other, scite_tallies=True, **FAST)
    # what OpenAlex answered before scite refused was kept: the rerun asks scite only
    assert len(api.calls) == calls and rerun.scite_tallies == 2
    assert not list(other.rglob("*.tmp"))


def test_cli_flag(tmp_path, monkeypatch, capsys):
    from peerbib import cli

    seen = {}
    monkeypatch.setattr("peerbib.snapshot.fetch", lambda *a, **k: seen.update(k) or "summary")
    monkeypatch.setenv("OPENALEX_API_KEY", TEST_KEY)
    cli.main(["fetch", "10.5555/synthetic.1", "--scite-tallies", "--snapshot", str(tmp_path / "s")])
    assert seen["scite_tallies"] is True
    seen.clear()
    cli.main(["fetch", "10.5555/synthetic.1", "--snapshot", str(tmp_path / "s")])
    assert seen["scite_tallies"] is False
