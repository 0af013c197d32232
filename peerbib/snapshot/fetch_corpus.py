"""The corpus phases of a fetch: DOIs and ids resolved in batches, rows without a DOI matched, a search.

DOIs are looked up ``doi_batch`` at a time with one OR filter, OpenAlex ids
likewise (a missing id, usually a merged work, is looked up alone, following
the 301); a row without a known DOI is searched by title, or by the opening
words of its abstract, and accepted at ``match_threshold``; a search's
results join the corpus, capped at ``max_search``.
"""
from __future__ import annotations

from ..ids import short_id
from ..sources.openalex.matching import listing_score, title_score, without_heading
from ..sources.openalex.queries import (
    REQUIRED_WORK_FIELDS,
    doi_batch_query,
    doi_batches,
    doi_query,
    filter_words,
    id_batch_query,
    listing_query,
    search_query,
    title_query,
    work_query,
)
from ..sources.openalex.records import authors_of, canonical_work, decode_abstract, light
from .fetch_inputs import CorpusRow, chunks
from .fetch_run import FetchRun
from .model import Match, Requested

__all__ = ["fetch_corpus"]

_MATCH_FIELDS = ("corpus_work_id", "work_id", "method", "score", "query", "title", "publication_year", "authors",
                 "abstract")


def fetch_corpus(run: FetchRun, rows: list[CorpusRow], search) -> tuple[dict[str, dict], str]:
    """The corpus works in OpenAlex: work id -> light record (id, doi, cited_by_count); and the status so far."""
    corpus: dict[str, dict] = {}
    status = "complete"
    # 1. DOIs and ids, batched
    run.progress.phase("OpenAlex: resolving")
    dois = sorted({row.doi for row in rows if row.doi})
    found_by_doi = _resolve_dois(run, dois)
    for work in found_by_doi.values():
        corpus[work["id"]] = work
    run.summary.unresolved_dois = [d for d in dois if d not in found_by_doi]
    ids = sorted({row.openalex_id for row in rows if row.openalex_id})
    found_by_id = _resolve_ids(run, ids)
    for work in found_by_id.values():
        corpus[work["id"]] = work
    run.snapshot.save(force=True)  # the end of a phase: what it fetched is listed

    # 2. rows without a (known) DOI
    run.progress.phase("OpenAlex: matching")
    _match_phase(run, rows, corpus, found_by_id, [w for w in ids if w not in found_by_id])
    run.snapshot.save(force=True)

    # 3. search
    if search is not None and _search(run, search, corpus):
        status = "capped"
    run.summary.works = len(corpus)
    _save_requested(run, dois, ids, search)
    return corpus, status


def _resolve_dois(run: FetchRun, dois: list[str]) -> dict[str, dict]:
    settings, runner = run.settings, run.runner
    done, _ = runner.covered("doi", REQUIRED_WORK_FIELDS)
    done_single, _ = runner.covered("doi-single", REQUIRED_WORK_FIELDS)
    todo = [d for d in dois if d not in done and d not in done_single]
    # A comma or bar inside a DOI would break the OR filter: look those up alone (free).
    unsafe = [d for d in todo if "," in d or "|" in d]
    safe = [d for d in todo if d not in unsafe]
    queries = [doi_batch_query(batch, settings.per_page) for batch in doi_batches(safe, settings.doi_batch)]
    queries += [doi_query(d) for d in unsafe]
    runner.run_all(queries)
    wanted = set(dois)
    candidates: dict[str, dict[str, dict]] = {}
    for _entry, record in runner.records_of(("doi", "doi-single"), wanted):
        found = light(record)
        if found["id"] and found["doi"] in wanted:
            candidates.setdefault(found["doi"], {})[found["id"]] = found
    resolved = {}
    for doi, works in candidates.items():
        keep = canonical_work(list(works), {w: works[w]["cited_by_count"] for w in works})
        resolved[doi] = works[keep]
    return resolved


def _resolve_ids(run: FetchRun, ids: list[str]) -> dict[str, dict]:
    if not ids:
        return {}
    settings, runner = run.settings, run.runner
    done, _ = runner.covered("id", REQUIRED_WORK_FIELDS)
    todo = [w for w in ids if w not in done]
    runner.run_all([id_batch_query(batch, settings.per_page) for batch in chunks(todo, settings.doi_batch)])
    wanted = set(ids)
    found: dict[str, dict] = {}
    for _entry, record in runner.records_of(("id",), wanted):
        work = light(record)
        if work["id"] in wanted:
            found[work["id"]] = work
    # Ids missing from the filter's answer are usually merged works: a
    # singleton lookup (free) follows OpenAlex's 301 to the work that remains.
    missing = sorted(wanted - set(found))
    runner.run_all([work_query(w) for w in missing])
    for entry, record in runner.records_of(("work",), set(missing)):
        work = light(record)
        if work["id"]:
            found[entry.items[0]] = work
    return found


def _match_phase(run: FetchRun, rows: list[CorpusRow], corpus: dict, found_by_id: dict,
                 unresolved_ids: list[str]) -> None:
    """Match rows without a known DOI, record them and the rows given by an OpenAlex id as matches."""
    summary = run.summary
    matches, unmatched = _match_rows(run, rows, set(summary.unresolved_dois))
    for match in matches:
        corpus[match["work_id"]] = match["work"]
    summary.matched = len(matches)
    summary.unmatched = unmatched + [f"{w}: OpenAlex id not found" for w in unresolved_ids]
    # Rows given by an OpenAlex id are matches too, so build merges the row
    # (by its local work_id) into the work, the one a merged id now points to.
    id_matches = [
        {"corpus_work_id": row.corpus_work_id, "work_id": found_by_id[row.openalex_id]["id"],
         "method": "openalex_id", "score": 1.0, "query": None, **row.facts()}
        for row in rows
        if row.openalex_id in found_by_id and row.corpus_work_id != found_by_id[row.openalex_id]["id"]
    ]
    _save_matches(run, matches + id_matches, rows)


def _match_queries(run: FetchRun, rows: list[CorpusRow], unresolved: set[str]):
    """(row, query) for the rows to search for, and why the others cannot be matched."""
    todo, unmatched = [], []
    for row in rows:
        if row.openalex_id or (row.doi and row.doi not in unresolved):
            continue
        if row.doi and not row.title:
            continue  # an unresolved DOI with nothing else to go on: listed as unresolved
        if not run.settings.title_match:
            unmatched.append(f"{row.corpus_work_id}: not searched (title_match is off)")
            continue
        query, problem = None, None
        if row.title:
            query = title_query(row.corpus_work_id, row.title, row.year)
            problem = None if query else "title has no searchable words"
        elif row.abstract and row.authors:
            words = filter_words(without_heading(row.abstract), 12)
            if len(words.split()) >= 5:
                query = listing_query(row.corpus_work_id, words, row.year)
            else:
                problem = "abstract too short to search by"
        else:
            problem = "no DOI, title or abstract to search OpenAlex by"
        if problem:
            unmatched.append(f"{row.corpus_work_id}: {problem}")
            continue
        todo.append((row, query))
    return todo, unmatched


def _match_rows(run: FetchRun, rows: list[CorpusRow], unresolved: set[str]):
    """Search for corpus rows without a resolvable DOI; returns (matches, unmatched reasons)."""
    threshold = run.settings.match_threshold
    todo, unmatched = _match_queries(run, rows, unresolved)
    results = run.runner.run_all([query for _, query in todo])
    matches = []
    for (row, query), result in zip(todo, results):
        best = _best_candidate(run, row, query, result)
        if best is None:
            unmatched.append(f"{row.corpus_work_id}: no OpenAlex work similar enough (threshold {threshold})")
            continue
        _, wid, method, score, record = best
        matches.append({"corpus_work_id": row.corpus_work_id, "work_id": wid, "method": method,
                        "score": score, "query": result.key, "work": light(record), **row.facts()})
    return matches, unmatched


def _best_candidate(run: FetchRun, row: CorpusRow, query, result):
    """The best accepted candidate of a row's search: (rank, work id, method, score, record), or None."""
    threshold = run.settings.match_threshold
    best = None
    for record in run.snapshot.query_records(result):
        wid = short_id(record.get("id"))
        if not wid:
            continue
        their_authors = authors_of(record)
        if query.kind == "title":
            score = title_score(row.title, row.authors, record.get("title") or record.get("display_name"),
                                their_authors)
            ok = score >= threshold
            method = "title"
        else:
            score, authors = listing_score(row.abstract, row.authors,
                                           decode_abstract(record.get("abstract_inverted_index")), their_authors)
            ok = score >= threshold and authors >= 0.5
            method = "abstract+authors"
        rank = (score, record.get("cited_by_count") or 0, -len(wid), wid)
        if ok and (best is None or rank > best[0]):
            best = (rank, wid, method, score, record)
    return best


def _search(run: FetchRun, search: str, corpus: dict) -> bool:
    """Phase 3: the search's results join the corpus; True when ``max_search`` cut them."""
    settings, summary = run.settings, run.summary
    run.progress.phase("OpenAlex: search")
    per_page = min(settings.per_page, max(1, settings.max_search))
    entry = run.runner.run(search_query(search, per_page, settings.max_search))
    n = 0
    for record in run.snapshot.query_records(entry):
        wid = short_id(record.get("id"))
        if wid:
            n += 1
            corpus[wid] = light(record)
    summary.search_results = n
    summary.search_capped = entry.capped is not None or (isinstance(entry.count, int) and entry.count > n)
    run.snapshot.save(force=True)
    return summary.search_capped


def _save_matches(run: FetchRun, matches: list[dict], rows: list[CorpusRow]) -> None:
    mine = {row.corpus_work_id for row in rows}
    kept = [m for m in run.snapshot.manifest.matches if m.corpus_work_id not in mine]
    kept += [Match.make(**{k: m.get(k) for k in _MATCH_FIELDS}) for m in matches]
    run.snapshot.update(matches=sorted(kept, key=lambda m: (m.corpus_work_id, m.work_id)))


def _save_requested(run: FetchRun, dois, ids, search) -> None:
    old = run.snapshot.manifest.requested or Requested()
    requested = Requested.make(
        dois=tuple(sorted(set(old.dois) | set(dois))),
        ids=tuple(sorted(set(old.ids) | set(ids))),
        searches=tuple(sorted(set(old.searches) | ({str(search).strip()} if search else set()))),
    )
    run.snapshot.update(requested=requested, unresolved_dois=list(run.summary.unresolved_dois))
