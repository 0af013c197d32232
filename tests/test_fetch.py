"""peerbib.fetch against a fake OpenAlex (SYNTHETIC works, served by ``responses``).

Batching, cursor paging, resuming, faults, secrets, accounting and the CLI.
No test reaches the network and none waits: ``sleep`` is a recorder.
"""
from __future__ import annotations

import dataclasses
import gzip
import json
import os
import secrets
import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd
import pytest
import responses

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from fixtures.openalex import TEST_KEY, FakeOpenAlex, citation_graph, make_work, tei_document  # noqa: E402

import peerbib as pb  # noqa: E402
from peerbib import cli  # noqa: E402
from peerbib.errors import (  # noqa: E402
    BudgetExhaustedError,
    BusyError,
    FetchError,
    OpenAlexAuthError,
    OpenAlexError,
)
from peerbib.snapshot import MANIFEST, FetchSummary, Snapshot, fetch, snapshot_tables  # noqa: E402

KEY = TEST_KEY


class Sleeps(list):
    """Records every wait instead of waiting."""

    def __call__(self, seconds):
        self.append(seconds)


@pytest.fixture
def sleeps():
    return Sleeps()


def go(dois, snapshot, sleeps=None, **options):
    options = {"api_key": KEY, "progress": False, "max_rate": 0, "sleep": sleeps if sleeps is not None else Sleeps(),
               **options}
    return fetch(dois, snapshot=snapshot, **options)


def tables_of(snapshot):
    tables = snapshot_tables(snapshot)
    return {field.name: frame.reset_index(drop=True) if isinstance(frame, pd.DataFrame) else frame
            for field in dataclasses.fields(tables) for frame in [getattr(tables, field.name)]}


def assert_same_tables(a, b):
    assert a.keys() == b.keys()
    for name in a:
        if isinstance(a[name], pd.DataFrame):
            pd.testing.assert_frame_equal(a[name], b[name], check_like=False, obj=name)
        else:
            assert a[name] == b[name], name


def all_records_by_query(snapshot):
    snap = Snapshot.open(snapshot)
    return {q.key: [r["id"] for r in snap.query_records(q)] for q in snap.queries()}


# --- the fake itself ------------------------------------------------------------------


def test_the_fake_answers_in_the_shape_of_the_real_samples(api):
    import requests

    from fixtures.openalex import reference_list, reference_work

    real_work = reference_work()
    real_list = reference_list()
    api.add([make_work(1)])
    answer = requests.get("https://api.openalex.org/works?filter=doi:10.5555/synthetic.1",
                          headers={"Authorization": f"Bearer {KEY}"}, timeout=5).json()
    assert set(answer) == set(real_list)
    assert set(answer["meta"]) == set(real_list["meta"])
    assert set(answer["results"][0]) <= set(real_work)
    assert answer["results"][0]["id"].startswith("https://openalex.org/W")
    assert answer["results"][0]["doi"].startswith("https://doi.org/")


# --- batching and paging ----------------------------------------------------------------


def test_dois_resolve_in_batches_of_50_and_citing_works_in_few_cursor_pages(api, tmp_path):
    corpus, citing = citation_graph(120, 450, seed=3)
    api.add(corpus + citing)
    dois = [w["doi"] for w in corpus]  # https://doi.org/... forms, normalised by fetch
    summary = go(dois, tmp_path / "snap")
    doi_calls = api.list_calls("doi:")
    assert len(doi_calls) == 3  # ceil(120 / 50), not 120
    # batches run concurrently, so their order varies
    assert sorted(len(c["params"]["filter"].split("|")) for c in doi_calls) == [20, 50, 50]
    assert all(int(c["params"]["per-page"]) >= 50 for c in doi_calls)
    cites_calls = api.list_calls("cites:")
    assert all(len(c["params"]["filter"].split("|")) <= 100 for c in cites_calls)
    assert all(c["params"]["cursor"] and int(c["params"]["per-page"]) == 100 for c in cites_calls)
    for call in api.list_calls():
        assert "abstract_inverted_index" in call["params"]["select"]
        assert "concepts" not in call["params"]["select"]
    # never-cited corpus works are not queried
    cited = {v for c in cites_calls for v in c["params"]["filter"][len("cites:"):].split("|")}
    assert all(w["cited_by_count"] > 0 for w in corpus if f"W{w['id'].rsplit('W', 1)[1]}" in cited)
    assert len(cited) == sum(1 for w in corpus if w["cited_by_count"] > 0)
    assert summary.works == 120 and summary.citing_works == 450
    assert summary.requests == len(api.calls) == 3 + len(cites_calls)
    # two cites batches, each paged to its end, at most one partial page each
    pages_needed = sum(-(-n // 100) for n in _batch_sizes(api, cites_calls))
    assert len(cites_calls) == pages_needed
    edges = tables_of(tmp_path / "snap")["citations"]
    expected = {(c["id"].rsplit("/", 1)[1], r.rsplit("/", 1)[1]) for c in citing for r in c["referenced_works"]
                if r.rsplit("/", 1)[1] in {w["id"].rsplit("/", 1)[1] for w in corpus}}
    assert set(map(tuple, edges.to_numpy())) == expected


def test_long_dois_close_a_batch_before_the_url_gets_too_long(api, tmp_path):
    # SYNTHETIC SICI-style DOIs: long, and their ()<>; are percent-encoded to three bytes each
    dois = [f"10.1002/(sici)1097-4571(199806)49:8<693::aid-asi{i}>3.0.co;2-{i % 10}(synthetic){i:03d}"
            for i in range(120)]
    api.add([make_work(i + 1, doi=d) for i, d in enumerate(dois)])
    summary = go(dois, tmp_path / "snap", citing=False)
    assert summary.works == 120 and not summary.unresolved_dois
    calls = api.list_calls("doi:")
    assert all(len(c["url"]) <= 3500 for c in calls), max(len(c["url"]) for c in calls)
    sizes = [len(c["params"]["filter"].split("|")) for c in calls]
    assert sum(sizes) == 120 and len(calls) <= -(-120 * 100 // 3300)  # batches as full as the limit allows
    assert max(sizes) > 1 and max(len(c["url"]) for c in calls) > 3000


def _batch_sizes(api, cites_calls):
    filters = sorted({c["params"]["filter"] for c in cites_calls})
    sizes = []
    for flt in filters:
        ids = flt[len("cites:"):].split("|")
        sizes.append(len({c for i in ids for c in api.citing_index.get(i, [])}))
    return sizes


@pytest.mark.parametrize("n_citing, report_count, expected_pages", [
    (250, True, 3),   # last page partial: its next_cursor is null
    (200, True, 2),   # exact multiple: meta.count says we are done, no empty page needed
    (200, False, 3),  # exact multiple without a count: the empty last page ends it
    (0, True, 0),     # never cited: no request at all
])
def test_cursor_paging_end_conditions(tmp_path, n_citing, report_count, expected_pages):
    target = make_work(1, cited_by_count=n_citing)
    citing = [make_work(100 + i, references=["W1"]) for i in range(n_citing)]
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        fake = FakeOpenAlex([target, *citing], report_count=report_count).install(rsps)
        summary = go([target["doi"]], tmp_path / "snap")
    assert len(fake.list_calls("cites:")) == expected_pages
    assert summary.citing_works == n_citing
    ids = all_records_by_query(tmp_path / "snap")
    assert all(len(v) == len(set(v)) for v in ids.values())


def _stop_after(n):
    """An ``on_request`` hook that ends a fetch looping on the fake after ``n`` requests."""
    def hook(number):
        if number > n:
            raise RuntimeError(f"more than {n} requests: the fetch loops")
    return hook


@pytest.mark.parametrize("fault, report_count, cites_requests, message", [
    ("repeat", True, 2, "cursor of an earlier page"),    # the cursor just used, again
    ("repeat", False, 2, "cursor of an earlier page"),   # ... without a count: looped for ever
    ("stale", False, 2, "only records of earlier pages"),  # new cursors, always back to page one
    ("drip", True, 4, r"kept paging: 4 pages of 10 hold only 13 of the 30"),  # overlapping pages
])
def test_a_broken_cursor_paging_stops_with_a_clear_error_and_stores_no_record_twice(
        tmp_path, fault, report_count, cites_requests, message):
    target = make_work(1, cited_by_count=30)
    citing = [make_work(100 + i, references=["W1"]) for i in range(30)]
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        fake = FakeOpenAlex([target, *citing], report_count=report_count).install(rsps)
        fake.cursor_fault = fault
        fake.on_request = _stop_after(40)
        with pytest.raises(OpenAlexError, match=message) as caught:
            go([target["doi"]], tmp_path / "snap", per_page=10)
        assert "first page" in str(caught.value) and "cites:W1" in str(caught.value)
        assert len(fake.list_calls("cites:")) == cites_requests
        ids = all_records_by_query(tmp_path / "snap")
        assert all(len(v) == len(set(v)) for v in ids.values())
        # once OpenAlex pages properly again, a rerun starts that query again and completes it
        fake.cursor_fault = None
        n = len(fake.list_calls("cites:"))
        summary = go([target["doi"]], tmp_path / "snap", per_page=10)
        assert summary.status == "complete" and summary.citing_works == 30
        assert len(fake.list_calls("cites:")) - n == (3 if report_count else 4)  # no count: an empty last page
    ids = all_records_by_query(tmp_path / "snap")
    assert all(len(v) == len(set(v)) for v in ids.values())


def test_openalex_ids_and_merged_works_follow_the_301(api, tmp_path):
    api.add([make_work(5, cited_by_count=1), make_work(9, cited_by_count=0), make_work(50, references=["W5"])])
    api.merged["W4"] = "W5"  # W4 was merged into W5
    summary = go(["W4", "https://openalex.org/W9", "W404"], tmp_path / "snap")
    singles = sorted(c["path"] for c in api.calls if c["path"].startswith("/works/"))
    assert singles == ["/works/W4", "/works/W404", "/works/W5"]  # W5 after the 301
    works = tables_of(tmp_path / "snap")["works"].set_index("work_id")
    assert works.loc["W5", "requested"] and works.loc["W9", "requested"] and not works.loc["W50", "requested"]
    assert summary.works == 2
    assert any(u.startswith("W404") for u in summary.unmatched)
    manifest = json.loads((tmp_path / "snap" / MANIFEST).read_text())
    merged = [q for q in manifest["queries"] if q["items"] == ["W4"] and q["kind"] == "work"][0]
    assert merged["pages"][0]["redirected_to"].startswith("https://api.openalex.org/works/W5")


def test_unresolved_dois_are_listed_not_an_error(api, tmp_path):
    api.add([make_work(1), make_work(2, doi="10.5555/odd,doi|with-bar")])
    summary = go(["10.5555/synthetic.1", "10.9999/unknown", "10.5555/ODD,doi|with-bar"], tmp_path / "snap")
    assert summary.unresolved_dois == ["10.9999/unknown"] and summary.works == 2
    # a comma or bar would break the OR filter: that DOI is looked up alone (a free singleton)
    assert [c["path"] for c in api.calls if c["path"].startswith("/works/")] == ["/works/doi:10.5555/odd,doi|with-bar"]
    assert all(",doi" not in c["params"].get("filter", "") for c in api.list_calls())
    assert "10.9999/unknown" in str(summary)
    manifest = json.loads((tmp_path / "snap" / MANIFEST).read_text())
    assert manifest["unresolved_dois"] == ["10.9999/unknown"]


def test_bad_input_is_a_clear_error(tmp_path):
    with pytest.raises(FetchError, match="neither a DOI"):
        go(["not a doi"], tmp_path / "snap")
    with pytest.raises(FetchError, match="unknown fetch option"):
        go(["10.1/abcd"], tmp_path / "snap", per_pgae=5)
    with pytest.raises(FetchError, match="1 to 200"):
        go(["10.1000/abcd"], tmp_path / "snap", per_page=500)


# --- rows without DOI --------------------------------------------------------------------


LISTING_ABSTRACT = ("Purpose\nThe purpose of this paper is to explore how peer support workers experience "
                    "their roles in community mental health teams across two regions.")


def test_rows_without_doi_matched_by_title_and_by_abstract_and_authors(api, tmp_path):
    api.add([
        make_work(1, doi=None, title="Peer support in mental health services: a review", year=2011,
                  authors=("Julie Repper", "Tim Carter")),
        make_work(2, doi=None, title="Peer support in mental health services: a survey", year=2011),
        make_work(3, doi="10.1108/jmhtep-1", title="Peer workers in teams", year=2015,
                  authors=("Petra Elias", "Karen Upton-Davis"),
                  abstract="Purpose The purpose of this paper is to explore how peer support workers experience "
                           "their roles in community mental health teams across two regions."),
        make_work(4, doi=None, title="Something else entirely", year=2015, authors=("Petra Elias",),
                  abstract="The purpose of this paper is to explore how peer support workers experience many things"),
    ])
    corpus = pd.DataFrame([
        {"title": "A review of peer support in mental health services", "publication_year": 2011},
        {"title": "Peer support in mental health services - a review", "publication_year": 2012,
         "authors": "Julie Repper; Tim Carter"},
        {"authors": "Petra Elias; Karen Upton-Davis", "publication_year": 2015,
         "venue": "The Journal of Mental Health Training, Education and Practice", "abstract": LISTING_ABSTRACT},
        {"authors": "Nobody Known", "publication_year": 2015, "venue": "Somewhere"},
    ])
    summary = go(corpus, tmp_path / "snap")
    matches = tables_of(tmp_path / "snap")["matches"]
    # row 1 puts the words in another order (similarity < 0.9): not accepted; row 2 is W1, not the "survey"
    assert sorted(matches[["work_id", "method"]].values.tolist()) == [["W1", "title"], ["W3", "abstract+authors"]]
    assert (matches["score"] >= 0.9).all()
    assert summary.matched == 2 and len(summary.unmatched) == 2
    assert any("no DOI, title or abstract" in u for u in summary.unmatched)
    title_calls = api.list_calls("title.search:")
    assert len(title_calls) == 2 and all("publication_year:" in c["params"]["filter"] for c in title_calls)
    assert len(api.list_calls("title_and_abstract.search:")) == 1
    # search filters cost 10 credits each: 3 searches + 1 cites page (W1/W3 uncited: none)
    assert summary.credits == 30
    works = tables_of(tmp_path / "snap")["works"].set_index("work_id")
    assert set(works.index[works.requested]) == {"W1", "W3"}  # candidates not accepted are not works


def test_title_matching_can_be_turned_off(api, tmp_path):
    api.add([make_work(1, doi=None, title="Peer support in mental health services: a review", year=2011)])
    corpus = pd.DataFrame([{"title": "Peer support in mental health services: a review", "publication_year": 2011}])
    summary = go(corpus, tmp_path / "snap", title_match=False)
    assert api.calls == [] and summary.requests == 0
    assert summary.unmatched and "title_match is off" in summary.unmatched[0]


def test_search_is_capped_and_says_so(api, tmp_path):
    api.add([make_work(i, title=f"Peer support study {i}") for i in range(1, 31)])
    summary = go(None, tmp_path / "snap", search="peer support", max_search=20, per_page=10, citing=False)
    assert summary.search_results == 20 and summary.search_capped and summary.status == "capped"
    assert len(api.calls) == 2 and summary.credits == 20
    assert "capped by max_search" in str(summary)
    again = go(None, tmp_path / "snap", search="peer support", max_search=20, per_page=10, citing=False)
    assert again.requests == 0 and again.search_results == 20


def test_max_search_keeps_exactly_that_many_and_a_larger_cap_later_goes_on_without_gaps(api, tmp_path):
    api.add([make_work(i, title=f"Peer support study {i}") for i in range(1, 31)])
    summary = go(None, tmp_path / "snap", search="peer support", max_search=15, per_page=10, citing=False)
    # two pages of 10 were needed (and paid: 10 credits each), only 15 records are kept
    assert summary.search_results == 15 and summary.works == 15 and summary.search_capped
    assert len(api.calls) == 2 and summary.credits == 20
    works = tables_of(tmp_path / "snap")["works"]
    assert works["requested"].sum() == 15
    assert again_ids(tmp_path / "snap") == [f"W{i}" for i in range(1, 16)]
    more = go(None, tmp_path / "snap", search="peer support", max_search=25, per_page=10, citing=False)
    assert more.search_results == 25 and more.requests == 2  # the cut page again, then the next one
    assert again_ids(tmp_path / "snap") == [f"W{i}" for i in range(1, 26)]


def again_ids(snapshot):
    """The work ids of a snapshot's queries, in the order stored."""
    return [r.rsplit("/", 1)[1] for v in all_records_by_query(snapshot).values() for r in v]


@pytest.mark.parametrize("max_citing", [5, 12])
def test_max_citing_keeps_exactly_that_many_records(api, tmp_path, max_citing):
    target = make_work(1, cited_by_count=30)
    api.add([target] + [make_work(100 + i, references=["W1"]) for i in range(30)])
    summary = go([target["doi"]], tmp_path / "snap", max_citing=max_citing, per_page=10)
    assert summary.citing_works == max_citing and summary.status == "capped"
    more = go([target["doi"]], tmp_path / "snap", max_citing=None, per_page=10)
    assert more.citing_works == 30 and more.status == "complete"
    ids = all_records_by_query(tmp_path / "snap")
    assert all(len(v) == len(set(v)) for v in ids.values())


def test_max_citing_caps_citing_pages(api, tmp_path):
    corpus, citing = citation_graph(10, 300, seed=4)
    api.add(corpus + citing)
    dois = [w["doi"] for w in corpus]
    summary = go(dois, tmp_path / "snap", max_citing=120, per_page=50)
    assert summary.status == "capped" and 120 <= summary.citing_works < 170
    again = go(dois, tmp_path / "snap", max_citing=120, per_page=50)
    assert again.requests == 0 and again.status == "capped"


# --- rerun, refresh, resume ------------------------------------------------------------------


def test_same_fetch_again_makes_zero_requests_and_refresh_refetches(api, tmp_path):
    corpus, citing = citation_graph(30, 120, seed=5)
    api.add(corpus + citing)
    dois = [w["doi"] for w in corpus]
    first = go(dois, tmp_path / "snap")
    n = len(api.calls)
    before = tables_of(tmp_path / "snap")
    files = {p: p.read_bytes() for p in (tmp_path / "snap").rglob("*") if p.is_file()}
    second = go(dois, tmp_path / "snap")
    assert second.requests == 0 and len(api.calls) == n
    assert {p: p.read_bytes() for p in (tmp_path / "snap").rglob("*") if p.is_file()} == files  # untouched
    assert second.pages_reused == first.pages_fetched and second.citing_works == first.citing_works
    third = go(dois, tmp_path / "snap", refresh=True)
    assert third.requests == first.requests and len(api.calls) == 2 * n
    assert_same_tables(before, tables_of(tmp_path / "snap"))
    # the refresh replaced the old pages: no page file is left that the manifest does not list
    manifest = json.loads((tmp_path / "snap" / MANIFEST).read_text())
    listed = {p["file"] for q in manifest["queries"] for p in q["pages"]}
    on_disk = {p.relative_to(tmp_path / "snap").as_posix() for p in (tmp_path / "snap" / "pages").rglob("*.gz")}
    assert listed == on_disk


def test_two_corpora_share_a_snapshot_and_a_refresh_of_one_keeps_the_other(api, tmp_path):
    corpus, citing = citation_graph(20, 60, seed=16)
    api.add(corpus + citing)
    first, second = [w["doi"] for w in corpus[:10]], [w["doi"] for w in corpus[10:]]
    go(first, tmp_path / "snap")
    go(second, tmp_path / "snap")
    both = tables_of(tmp_path / "snap")
    assert both["works"]["requested"].sum() == 20
    go(first, tmp_path / "snap", refresh=True)
    assert_same_tables(both, tables_of(tmp_path / "snap"))


def test_a_damaged_page_is_fetched_again(api, tmp_path):
    corpus, citing = citation_graph(10, 150, seed=15)
    api.add(corpus + citing)
    dois = [w["doi"] for w in corpus]
    go(dois, tmp_path / "snap")
    before = tables_of(tmp_path / "snap")
    n = len(api.calls)
    manifest = json.loads((tmp_path / "snap" / MANIFEST).read_text())
    cites = [q for q in manifest["queries"] if q["kind"] == "cites"][0]
    (tmp_path / "snap" / cites["pages"][1]["file"]).unlink()
    summary = go(dois, tmp_path / "snap")
    assert summary.requests == len(cites["pages"]) == len(api.calls) - n  # that query only, from its start
    assert_same_tables(before, tables_of(tmp_path / "snap"))


def test_adding_a_doi_fetches_only_what_is_new(api, tmp_path):
    corpus, citing = citation_graph(20, 80, seed=6)
    api.add(corpus + citing)
    dois = [w["doi"] for w in corpus]
    go(dois[:-1], tmp_path / "snap")
    n = len(api.calls)
    go(dois, tmp_path / "snap")
    new = api.calls[n:]
    assert len([c for c in new if c["params"].get("filter", "").startswith("doi:")]) == 1
    assert all(len(c["params"]["filter"].split("|")) == 1 for c in new)


def test_resume_after_an_error_midway_gives_the_uninterrupted_tables(tmp_path):
    corpus, citing = citation_graph(60, 700, seed=7)
    dois = [w["doi"] for w in corpus]
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        FakeOpenAlex(corpus + citing).install(rsps)
        go(dois, tmp_path / "whole", workers=1)
    expected = tables_of(tmp_path / "whole")
    expected_records = sum(len(v) for v in all_records_by_query(tmp_path / "whole").values())

    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        fake = FakeOpenAlex(corpus + citing).install(rsps)
        # a permanent error on the 4th citing page (400 is not retried)
        state = {"n": 0}

        def fourth_cites_page(path, params):
            if str(params.get("filter", "")).startswith("cites:"):
                state["n"] += 1
                return state["n"] == 4
            return False

        fake.fail(400, when=fourth_cites_page, message="injected failure")
        with pytest.raises(OpenAlexError, match="injected failure"):
            go(dois, tmp_path / "broken", workers=1)
        interrupted = len(fake.calls)
        manifest = json.loads((tmp_path / "broken" / MANIFEST).read_text())
        assert manifest["fetches"][-1]["status"] == "interrupted"
        assert any(not q["complete"] for q in manifest["queries"])
        summary = go(dois, tmp_path / "broken", workers=1)
        resumed = len(fake.calls) - interrupted
    assert summary.status == "complete"
    assert resumed < interrupted  # it went on from where it stopped
    assert_same_tables(expected, tables_of(tmp_path / "broken"))
    records = all_records_by_query(tmp_path / "broken")
    assert all(len(ids) == len(set(ids)) for ids in records.values())
    assert sum(len(v) for v in records.values()) == expected_records


HOLD_LOCK = textwrap.dedent("""
    import fcntl, os, sys, time
    fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o644)
    fcntl.flock(fd, fcntl.LOCK_EX)
    os.write(fd, str(os.getpid()).encode())
    print("locked", flush=True)
    time.sleep(60)
""")


def test_a_locked_folder_is_refused_before_its_manifest_is_read(api, tmp_path):
    """Another fetch holds the lock while its manifest is half written: say so, do not read it."""
    api.add([make_work(1)])
    folder = tmp_path / "snap"
    folder.mkdir()
    (folder / MANIFEST).write_text('{"format": "peerbib-openalex-snap', encoding="utf-8")
    holder = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, str(folder / ".fetch.lock")],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(BusyError, match=rf"another fetch \(process {holder.pid}\) is writing"):
            go(["10.5555/synthetic.1"], folder)
    finally:
        holder.kill()
        holder.wait()
    assert api.calls == []
    # the holder is gone (as after kill -9): its lock went with it
    (folder / MANIFEST).unlink()
    assert go(["10.5555/synthetic.1"], folder).works == 1
    assert not (folder / ".fetch.lock").exists()


def test_a_lock_file_left_with_the_pid_of_a_live_process_does_not_block(api, tmp_path):
    """After kill -9 the lock file stays; its PID may belong to another process by now (here: 1)."""
    api.add([make_work(1)])
    folder = tmp_path / "snap"
    folder.mkdir()
    (folder / ".fetch.lock").write_text("1")
    assert go(["10.5555/synthetic.1"], folder).works == 1
    assert not (folder / ".fetch.lock").exists()


def test_two_fetches_in_one_process_do_not_share_the_lock(api, tmp_path):
    from peerbib.snapshot.store import fetch_lock

    api.add([make_work(1)])
    with fetch_lock(tmp_path / "snap"):
        with pytest.raises(BusyError, match=rf"another fetch \(process {os.getpid()}\)"):
            go(["10.5555/synthetic.1"], tmp_path / "snap")
    assert go(["10.5555/synthetic.1"], tmp_path / "snap").works == 1


KILL_SCRIPT = textwrap.dedent("""
    import os, signal, sys
    sys.path.insert(0, {tests!r})
    import responses
    from fixtures.openalex import TEST_KEY, FakeOpenAlex, citation_graph
    from peerbib.snapshot import fetch

    corpus, citing = citation_graph(60, 700, seed=7)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        fake = FakeOpenAlex(corpus + citing).install(rsps)
        def kill(n):
            if n == {kill_at}:
                os.kill(os.getpid(), signal.SIGKILL)
        fake.on_request = kill
        fetch([w["doi"] for w in corpus], snapshot={snapshot!r}, api_key=TEST_KEY, progress=False,
              max_rate=0, workers=2, save_interval={save_interval})
""")


@pytest.mark.parametrize("kill_at, save_interval", [(6, 0.0), (9, 30.0)])
def test_kill_9_midway_then_rerun_resumes_to_the_same_tables(tmp_path, kill_at, save_interval):
    snapshot = tmp_path / "killed"
    script = KILL_SCRIPT.format(tests=str(HERE), kill_at=kill_at, snapshot=str(snapshot), save_interval=save_interval)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert result.returncode == -9, result.stderr
    assert (snapshot / MANIFEST).is_file()
    corpus, citing = citation_graph(60, 700, seed=7)
    dois = [w["doi"] for w in corpus]
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        FakeOpenAlex(corpus + citing).install(rsps)
        resumed = go(dois, snapshot)
        go(dois, tmp_path / "whole")
    assert resumed.status == "complete" and resumed.pages_reused > 0
    assert_same_tables(tables_of(tmp_path / "whole"), tables_of(snapshot))
    records = all_records_by_query(snapshot)
    assert all(len(ids) == len(set(ids)) for ids in records.values())
    assert not list(snapshot.rglob("*.tmp")) and not (snapshot / ".fetch.lock").exists()
    # pages the killed run wrote but never listed were swept away
    manifest = json.loads((snapshot / MANIFEST).read_text())
    listed = {p["file"] for q in manifest["queries"] for p in q["pages"]}
    assert listed == {p.relative_to(snapshot).as_posix() for p in (snapshot / "pages").rglob("*.gz")}


# --- faults -----------------------------------------------------------------------------------


def test_429_and_403_are_retried_honouring_retry_after(api, tmp_path, sleeps):
    api.add([make_work(1)])
    api.fail(429, times=2, headers={"Retry-After": "7"})
    api.fail(403, times=1, headers={"Retry-After": "2"}, message="slow down")
    summary = go(["10.5555/synthetic.1"], tmp_path / "snap", sleeps)
    assert sleeps == [7.0, 7.0, 2.0]
    assert summary.retries == 3 and summary.requests == 4 and summary.works == 1


def test_5xx_and_connection_errors_back_off_exponentially_then_succeed(api, tmp_path, sleeps):
    api.add([make_work(1)])
    for kind in (500, 502, 503, 504, "connection"):
        api.fail(kind)
    summary = go(["10.5555/synthetic.1"], tmp_path / "snap", sleeps, backoff=0.5)
    assert sleeps == [0.5, 1.0, 2.0, 4.0, 8.0]
    assert summary.works == 1 and summary.retries == 5


def test_retries_are_bounded(api, tmp_path, sleeps):
    api.add([make_work(1)])
    api.fail(503, times=100)
    with pytest.raises(OpenAlexError, match="after 4 attempts.*HTTP 503.*resume"):
        go(["10.5555/synthetic.1"], tmp_path / "snap", sleeps, max_retries=3)
    assert len(api.calls) == 4 and len(sleeps) == 3


def test_a_huge_retry_after_stops_instead_of_waiting(api, tmp_path, sleeps):
    api.add([make_work(1)])
    api.fail(429, headers={"Retry-After": "86400"})
    with pytest.raises(OpenAlexError, match="asks to wait 86400 s"):
        go(["10.5555/synthetic.1"], tmp_path / "snap", sleeps)
    assert sleeps == []


@pytest.mark.parametrize("kind", ["truncated", "not-json", "chunked", "timeout"])
def test_truncated_or_non_json_bodies_are_retried_and_never_stored(api, tmp_path, sleeps, kind):
    corpus, citing = citation_graph(5, 30, seed=8)
    api.add(corpus + citing)
    api.fail(kind, when=lambda path, params: str(params.get("filter", "")).startswith("cites:"))
    summary = go([w["doi"] for w in corpus], tmp_path / "snap", sleeps)
    assert summary.retries == 1 and summary.citing_works == 30
    snap = Snapshot.open(tmp_path / "snap")
    for query in snap.queries():
        for page in query.pages:
            text = gzip.decompress((tmp_path / "snap" / page.file).read_bytes()).decode()
            assert all(json.loads(line)["id"] for line in text.splitlines())


def test_budget_exhausted_stops_at_once_keeps_what_was_saved_and_resumes(tmp_path, sleeps):
    corpus, citing = citation_graph(60, 500, seed=9)
    dois = [w["doi"] for w in corpus]
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        fake = FakeOpenAlex(corpus + citing, budget=4).install(rsps)
        with pytest.raises(BudgetExhaustedError) as caught:
            go(dois, tmp_path / "snap", sleeps, workers=1)
        message = str(caught.value)
        assert "budget" in message and "midnight UTC" in message and "resumes" in message
        assert "4 pages" in message and str(tmp_path / "snap") in message
        assert "\n" not in message
        assert sleeps == []  # not retried
        assert len(fake.calls) == 5
        assert caught.value.summary.status == "budget exhausted" and caught.value.summary.pages_fetched == 4
        manifest = json.loads((tmp_path / "snap" / MANIFEST).read_text())
        assert manifest["fetches"][-1]["status"] == "budget exhausted"
        assert sum(len(q["pages"]) for q in manifest["queries"]) == 4
        fake.budget = None  # midnight UTC
        summary = go(dois, tmp_path / "snap", sleeps, workers=1)
        assert summary.status == "complete" and summary.pages_reused == 4
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        FakeOpenAlex(corpus + citing).install(rsps)
        go(dois, tmp_path / "whole")
    assert_same_tables(tables_of(tmp_path / "whole"), tables_of(tmp_path / "snap"))


def test_without_a_key_nothing_is_sent_and_the_error_says_what_to_set(api, tmp_path, monkeypatch):
    monkeypatch.delenv("OPENALEX_API_KEY", raising=False)
    api.add([make_work(1)])
    with pytest.raises(OpenAlexAuthError, match="set the OPENALEX_API_KEY"):
        go(["10.5555/synthetic.1"], tmp_path / "snap", api_key=None)
    assert api.calls == []


def test_401_says_to_set_the_api_key(api, tmp_path):
    api.add([make_work(1)])
    wrong_key = secrets.token_hex(16)
    with pytest.raises(OpenAlexAuthError, match="401 Unauthorized.*OPENALEX_API_KEY"):
        go(["10.5555/synthetic.1"], tmp_path / "snap", api_key=wrong_key)
    assert len(api.calls) == 1 and api.calls[0]["auth"] == f"Bearer {wrong_key}"


def test_key_comes_from_the_environment(api, tmp_path, monkeypatch):
    api.add([make_work(1)])
    monkeypatch.setenv("OPENALEX_API_KEY", KEY)
    summary = go(["10.5555/synthetic.1"], tmp_path / "snap", api_key=None)
    assert summary.works == 1 and api.calls[0]["auth"] == f"Bearer {KEY}"


def test_every_request_has_a_timeout(api, tmp_path, monkeypatch):
    import requests

    api.add([make_work(1, cited_by_count=1), make_work(2, references=["W1"])])
    seen = []
    original = requests.Session.send

    def spy(self, request, **kwargs):
        seen.append(kwargs.get("timeout"))
        return original(self, request, **kwargs)

    monkeypatch.setattr(requests.Session, "send", spy)
    go(["10.5555/synthetic.1"], tmp_path / "snap", timeout=(3, 20))
    assert seen and all(t == (3, 20) for t in seen)


# --- secrets ----------------------------------------------------------------------------------


# A stand-in key made afresh for each run (no key-like literal is kept in the repository).
SECRET = secrets.token_hex(16)


def test_the_api_key_is_never_written_anywhere(tmp_path, sleeps, capsys):
    corpus, citing = citation_graph(12, 60, seed=10, grobid_share=0.5)
    dois = [w["doi"] for w in corpus]
    raw = tmp_path / "raw"
    messages = []
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        fake = FakeOpenAlex(corpus + citing, api_key=SECRET).install(rsps)
        for work in citing:
            fake.tei[work["id"].rsplit("/", 1)[1]] = tei_document(work["title"])
        fake.fail(503, headers={"Retry-After": "1"})
        fake.fail("truncated")
        # a server that echoes the key back in its error message
        fake.fail(400, message=f"bad request for key {SECRET}",
                  when=lambda path, params: str(params.get("filter", "")).startswith("cites:"))
        with pytest.raises(OpenAlexError) as caught:
            go(dois, raw / "openalex", sleeps, api_key=SECRET, fulltext=True)
        messages.append(str(caught.value))
        messages.append(repr(caught.value))
        summary = go(dois, raw / "openalex", sleeps, api_key=SECRET, fulltext=True, progress=True)
        messages += [str(summary), repr(summary)]
        fake.budget = fake.used  # the next request exhausts the budget
        with pytest.raises(BudgetExhaustedError) as caught:
            go(dois, raw / "openalex", sleeps, api_key=SECRET, refresh=True)
        messages.append(str(caught.value))
        wrong = FakeOpenAlex(api_key=secrets.token_hex(16))
        assert all(c["auth"] == f"Bearer {SECRET}" for c in fake.calls)
        assert all(SECRET not in c["url"] for c in fake.calls)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        wrong.install(rsps)
        wrong.add(corpus)
        with pytest.raises(OpenAlexAuthError) as caught:
            go(dois, tmp_path / "other", sleeps, api_key=SECRET)
        messages.append(str(caught.value))
    assert summary.fulltext > 0
    pb.build(raw=raw, processed=tmp_path / "processed")
    out = capsys.readouterr()
    messages += [out.out, out.err]
    assert not any(SECRET in m for m in messages), [m for m in messages if SECRET in m]
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert len(files) > 10
    for path in files:
        data = path.read_bytes()
        if path.suffix == ".gz":
            data = gzip.decompress(data)
        assert SECRET.encode() not in data, path


@pytest.mark.parametrize("padding", ["\n", "\r\n", " ", "\t"])
def test_a_key_with_a_trailing_newline_or_space_is_stripped(api, tmp_path, padding):
    api.api_key = SECRET
    api.add([make_work(1)])
    summary = go(["10.5555/synthetic.1"], tmp_path / "snap", api_key=padding + SECRET + padding)
    assert summary.works == 1 and api.calls[0]["auth"] == f"Bearer {SECRET}"


@pytest.mark.parametrize("bad", [SECRET[:8] + " " + SECRET[8:], SECRET[:8] + "\n" + SECRET[8:],
                                 SECRET[:8] + "\x00" + SECRET[8:], SECRET[:8] + "é" + SECRET[8:]])
def test_a_key_that_cannot_be_a_header_is_refused_without_showing_it(api, tmp_path, bad):
    api.add([make_work(1)])
    with pytest.raises(OpenAlexAuthError, match="API key") as caught:
        go(["10.5555/synthetic.1"], tmp_path / "snap", api_key=bad)
    text = str(caught.value) + repr(caught.value)
    assert SECRET[:8] not in text and SECRET[8:] not in text
    assert api.calls == [] and not (tmp_path / "snap" / MANIFEST).exists()


def test_requests_errors_that_quote_the_header_do_not_leak_the_key(api, tmp_path):
    import traceback

    api.api_key = SECRET
    api.add([make_work(1)])
    api.fail("invalid-header")
    with pytest.raises(OpenAlexError, match="InvalidHeader") as caught:
        go(["10.5555/synthetic.1"], tmp_path / "snap", api_key=SECRET)
    shown = "".join(traceback.format_exception(caught.value))  # chained exceptions included
    assert "InvalidHeader" in shown and SECRET not in shown
    assert caught.value.status is None and len(api.calls) == 1  # not retried


def test_a_key_echoed_at_the_end_of_a_long_server_message_is_redacted_before_it_is_cut(tmp_path):
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        fake = FakeOpenAlex([make_work(1)], api_key=SECRET).install(rsps)
        # the message is cut at 500 characters, in the middle of the key
        fake.fail(400, message="x" * 480 + SECRET)
        with pytest.raises(OpenAlexError) as caught:
            go(["10.5555/synthetic.1"], tmp_path / "snap", api_key=SECRET)
        assert SECRET[:10] not in str(caught.value) and "***" in str(caught.value)

        def reason_with_key(response):
            response.reason = f"Bad Request for {SECRET}"
            return response

        rsps.response_callback = reason_with_key
        fake.fail(400, message="no key in this one")
        with pytest.raises(OpenAlexError, match="no key in this one") as caught:
            go(["10.5555/synthetic.1"], tmp_path / "snap", api_key=SECRET)
        assert SECRET not in str(caught.value) and "Bad Request for ***" in str(caught.value)


# --- accounting, progress, summary ---------------------------------------------------------------


def test_credits_from_headers_else_estimated_from_the_cost_table(tmp_path):
    corpus, citing = citation_graph(5, 30, seed=11)
    works = corpus + citing
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        FakeOpenAlex(works).install(rsps)
        measured = go([w["doi"] for w in corpus], tmp_path / "a")
    assert measured.credits_source == "measured" and measured.credits == measured.requests
    assert measured.credits_remaining == 100000 - measured.requests
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        fake = FakeOpenAlex(works, rate_headers=False).install(rsps)
        original = fake._list

        def without_cost(params):
            status, headers, body = original(params)
            data = json.loads(body)
            data["meta"].pop("cost_usd", None)
            return status, headers, json.dumps(data)

        fake._list = without_cost
        estimated = go([w["doi"] for w in corpus], tmp_path / "b")
    assert estimated.credits_source == "estimated" and estimated.credits == estimated.requests
    assert "estimated from the cost table" in str(estimated)


def test_summary_and_progress(api, tmp_path, capsys):
    corpus, citing = citation_graph(8, 40, seed=12)
    api.add(corpus + citing)
    summary = go([w["doi"] for w in corpus], tmp_path / "snap", progress=True)
    assert isinstance(summary, FetchSummary)
    err = capsys.readouterr().err
    assert "OpenAlex" in err and "req" in err
    text = repr(summary)
    assert "requests:" in text and "credits" in text and "40 citing works" in text
    go([w["doi"] for w in corpus], tmp_path / "snap", progress=False)
    assert capsys.readouterr().err == ""


def test_fulltext_downloads_grobid_tei_of_citing_works(api, tmp_path, sleeps):
    corpus, citing = citation_graph(4, 20, seed=13, grobid_share=0.5)
    api.add(corpus + citing)
    with_tei = sorted(w["id"].rsplit("/", 1)[1] for w in citing if w["has_content"]["grobid_xml"])
    for wid in with_tei[:-1]:
        api.tei[wid] = tei_document(wid)
    api.fail("truncated", when=lambda path, params: path.endswith(f"/{with_tei[0]}.grobid-xml"))
    summary = go([w["doi"] for w in corpus], tmp_path / "snap", sleeps, fulltext=True, max_fulltext=len(with_tei))
    assert summary.fulltext == len(with_tei) - 1  # the last one answers 404
    content_calls = [c for c in api.calls if c["host"] == "content.openalex.org"]
    assert len(content_calls) == len(with_tei) + 1  # one retried after a cut-off body
    assert all(c["path"].endswith(".grobid-xml") for c in content_calls)
    manifest = json.loads((tmp_path / "snap" / MANIFEST).read_text())
    for wid in with_tei[:-1]:
        item = manifest["fulltext"][wid]["openalex-tei"]
        assert gzip.decompress((tmp_path / "snap" / item["file"]).read_bytes()) == tei_document(wid)
    assert manifest["fulltext"][with_tei[-1]]["openalex-tei"]["status"] == 404
    assert go([w["doi"] for w in corpus], tmp_path / "snap", fulltext=True, max_fulltext=len(with_tei)).requests == 0


# --- the command line ---------------------------------------------------------------------------


def test_cli_fetch_prints_the_summary(api, project, capsys, monkeypatch):
    corpus, citing = citation_graph(3, 10, seed=14)
    api.add(corpus + citing)
    # the bundled seed corpus plus a second corpus file of SYNTHETIC DOIs the fake knows
    extra = project / "data" / "raw" / "corpus" / "extra_corpus.csv"
    extra.write_text("doi\n" + "\n".join(w["doi"] for w in corpus) + "\n", encoding="utf-8")
    seed = pb.read_corpus(project / "data" / "raw" / "corpus" / "seed_corpus.csv")
    monkeypatch.setenv("OPENALEX_API_KEY", KEY)
    status = cli.main(["fetch", "--no-progress", "--max-citing", "1000"])
    out = capsys.readouterr()
    assert status == 0, out.err
    assert "requests:" in out.out and "10 citing works" in out.out
    assert f"unresolved: {seed.doi.notna().sum()} DOIs" in out.out  # the fake knows no real DOI
    searches = [c for c in api.list_calls() if ".search:" in c["params"]["filter"]]
    # one search per row without DOI, and per unresolved DOI whose row has a title to search by;
    # two listing rows of the seed corpus show the same abstract and year: one search serves both
    assert len(searches) == len({c["params"]["filter"] for c in searches})
    assert len(searches) == seed.doi.isna().sum() + (seed.doi.notna() & seed.title.notna()).sum() - 1
    assert (project / "data" / "raw" / "openalex" / MANIFEST).is_file()
    tables = pb.build()
    assert tables.works.is_corpus.sum() == len(seed) + 3 and len(tables.citations) >= 10


def test_cli_fetch_error_is_one_line(api, project, capsys, monkeypatch):
    monkeypatch.delenv("OPENALEX_API_KEY", raising=False)
    api.add([make_work(1)])
    status = cli.main(["fetch", "--no-progress", "10.5555/synthetic.1", "--snapshot", str(project / "snap")])
    err = capsys.readouterr().err
    assert status == 1 and len(err.strip().splitlines()) == 1
    assert err.startswith("peerbib fetch: error:") and "OPENALEX_API_KEY" in err


def test_cost_table_kinds():
    from peerbib.sources.openalex.client import cost_kind
    from peerbib.sources.openalex import queries

    assert cost_kind(queries.work_query("W2741809807").page_url()) == "singleton"
    assert cost_kind(queries.doi_query("10.5555/odd,doi|with-bar").page_url()) == "singleton"
    assert cost_kind(queries.doi_batch_query(["10.1/a", "10.2/b"], 100).page_url("*")) == "list"
    assert cost_kind(queries.title_query("L1", "peer support", 2014).page_url()) == "search"
    assert cost_kind(queries.search_query("peer support", 100, 200).page_url("*")) == "search"
    assert cost_kind(queries.tei_url("W1")) == "content"


def test_the_command_line_reads_its_corpus_arguments_as_the_library_does(project, capsys, monkeypatch):
    """Files or DOIs, not both; a file named from the project root; the command calls the same parser."""
    from peerbib.snapshot import fetch_inputs

    assert fetch_inputs.corpus_argument([]) is None and fetch_inputs.corpus_argument(None) is None
    assert fetch_inputs.corpus_argument(["10.5555/a", "W12"]) == ["10.5555/a", "W12"]
    from_root = fetch_inputs.corpus_argument(["data/raw/corpus/seed_corpus.csv"])  # relative to the project
    assert len(from_root) == len(pb.read_corpus(project / "data" / "raw" / "corpus" / "seed_corpus.csv"))
    rows = fetch_inputs.corpus_rows("data/raw/corpus/seed_corpus.csv", None)  # the library, the same file
    assert len(rows) == len(fetch_inputs.corpus_rows(from_root, None))
    with pytest.raises(FetchError, match="not both"):
        fetch_inputs.corpus_argument(["data/raw/corpus/seed_corpus.csv", "10.5555/a"])
    seen, original = [], fetch_inputs.corpus_argument
    monkeypatch.setattr(fetch_inputs, "corpus_argument", lambda values: seen.append(values) or ["W1"])
    monkeypatch.setattr("peerbib.snapshot.fetch", lambda corpus, **options: f"fetched {corpus}")
    assert cli.main(["fetch", "--no-progress", "x.csv", "10.1/b"]) == 0
    assert seen == [["x.csv", "10.1/b"]] and "fetched ['W1']" in capsys.readouterr().out
    monkeypatch.setattr(fetch_inputs, "corpus_argument", original)
    assert cli.main(["fetch", "--no-progress", "data/raw/corpus/seed_corpus.csv", "10.5555/a"]) == 1
    assert "give either corpus files or DOIs on the command line, not both" in capsys.readouterr().err
