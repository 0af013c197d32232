"""The fetch's references phase (``fetch --references``): the works the corpus cites, looked up for their labels.

A corpus work's record lists its references as bare ids (``referenced_works``);
a co-citation map of them needs their titles, years and venues. This phase
reads the reference lists of the corpus works from the snapshot, leaves out
the works the snapshot already holds in full (the corpus, the citing works)
and those an earlier fetch looked up, and asks OpenAlex for the rest with
``openalex_id:W1|W2|…`` filters, up to 100 ids a request (fewer when the URL
would pass ~3,500 bytes), selecting only id, DOI, title, year and venue. Each
request is a list page: 1 credit. What it will cost is said before the first
request. The answers are stored as queries of role ``references``: the build
reads them into ``tables.references``' ``cited_doi``, ``cited_title``,
``cited_year`` and ``cited_venue`` and nowhere else (they are not works of the tables).
"""
from __future__ import annotations

import logging
import re

from ..sources.openalex.client import CREDIT_COSTS
from ..sources.openalex.queries import REFERENCE_FIELDS, ROLE_CANDIDATES, ROLE_CORPUS, id_batches, references_query
from .read import occurrences

__all__ = ["fetch_references", "corpus_references"]

logger = logging.getLogger(__name__)

_REFERENCES = re.compile(rb'"referenced_works":\s*\[([^\]]*)\]')
_REFERENCE_ID = re.compile(rb"(W\d+)")


def corpus_references(snapshot, corpus_ids: set[str]) -> set[str]:
    """Every work the corpus works ``corpus_ids`` cite, from their records in the snapshot's corpus queries."""
    entries = [q for q in snapshot.queries() if q.role in (ROLE_CORPUS, ROLE_CANDIDATES)]
    accepted = {q.key: corpus_ids for q in entries if q.role == ROLE_CANDIDATES}
    cited: set[str] = set()
    for _entry, work_id, first, line, record in occurrences(snapshot, entries, accepted):
        if not first or work_id not in corpus_ids:
            continue
        if record is not None:
            cited.update(r.rpartition("/")[2] for r in record.get("referenced_works") or [] if isinstance(r, str))
            continue
        if isinstance(line, str):
            line = line.encode()
        found = _REFERENCES.search(line)
        if found is not None:
            cited.update(ref.decode() for ref in _REFERENCE_ID.findall(found.group(1)))
    return {w for w in cited if w[:1] == "W" and w[1:].isdigit()}


def fetch_references(runner, corpus_ids: set[str], known: set[str] = frozenset()) -> int:
    """Look up the works the corpus cites that the snapshot holds no record of; returns how many of them
    the snapshot has now asked OpenAlex about (found or not: a work OpenAlex no longer has is not asked again).

    Parameters
    ----------
    runner : QueryRunner
    corpus_ids : set of str
        The corpus works (OpenAlex ids).
    known : set of str
        Works the snapshot holds in full besides the corpus (the citing works): not looked up.
    """
    cited = corpus_references(runner.snapshot, corpus_ids)
    wanted = cited - set(corpus_ids) - set(known)
    done, _ = runner.covered("references", REFERENCE_FIELDS)
    todo = sorted(wanted - done)
    batches = id_batches(todo)
    runner.progress.phase("OpenAlex: referenced works")
    credits = len(batches) * CREDIT_COSTS["list"]
    _say(runner, f"references: the corpus cites {len(cited):,} works, {len(wanted):,} of them not in the snapshot; "
                 f"{len(wanted) - len(todo):,} looked up before, {len(todo):,} to look up in {len(batches):,} "
                 f"request{'s' * (len(batches) != 1)} (about {credits:g} credits)")
    runner.run_all([references_query(batch) for batch in batches])
    runner.snapshot.save(force=True)
    return len(wanted & runner.covered("references", REFERENCE_FIELDS)[0])


def _say(runner, message: str) -> None:
    """What the phase will cost: above the progress bar when it is shown, else logged (INFO)."""
    if runner.progress.bar is not None:
        runner.progress.note(message)
    else:
        logger.info(message)
