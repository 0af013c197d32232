"""scite's free citation tallies, for comparison with peerbib's own classification.

``POST https://api.scite.ai/tallies`` with up to 500 DOIs answers
``{"tallies": {doi: {doi, total, supporting, contradicting, mentioning,
unclassified, citingPublications}}}`` (``GET /tallies/{doi}`` answers one).
No key is needed. scite says "contradicting" where its website, and
peerbib, say "contrasting". scite's statement text needs a paid key and may
not be redistributed: peerbib fetches only these counts.
"""
from __future__ import annotations

from ..errors import SciteError
from .http import RETRY_STATUSES, ApiResponse, HttpClient, parse_json

__all__ = ["SciteClient", "TALLIES_URL", "BATCH", "SOURCE", "tally_row"]

TALLIES_URL = "https://api.scite.ai/tallies"
#: DOIs per request (scite allows 500).
BATCH = 500
#: The ``source`` of the tallies fetched from the API in ``tables.tallies``.
SOURCE = "scite (api)"


class SciteClient(HttpClient):
    """Asks scite for the tallies of a batch of DOIs, with peerbib's retries and rate."""

    service = "scite"
    RequestError = SciteError
    NotFoundError = SciteError
    UnavailableError = SciteError

    def _refuse(self, status: int, response, message: str, url: str) -> None:
        if 400 <= status < 500 and status not in RETRY_STATUSES:
            raise SciteError(
                f"scite refused the tallies request ({status}: {message}); what OpenAlex gave is in the snapshot. "
                "Fetch again without --scite-tallies (scite_tallies=False) to go on without scite's counts, "
                "or try later", status=status, url=url)

    def get_tallies(self, dois: list[str]) -> ApiResponse:
        """scite's tallies of ``dois`` (``data["tallies"]``: DOI -> counts)."""
        return self.request(TALLIES_URL, "scite", _parse_tallies, allow_404=False, json_body=list(dois))


def _parse_tallies(response) -> dict:
    data = parse_json(response)
    if not isinstance(data.get("tallies"), dict):
        raise ValueError("answer without tallies")
    return data


def tally_row(doi: str, counts: dict) -> dict:
    """scite's counts of one DOI in peerbib's words (contrasting, citing_publications)."""
    def number(name):
        value = counts.get(name)
        return int(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None

    return {"cited_doi": doi, "supporting": number("supporting"), "mentioning": number("mentioning"),
            "contrasting": number("contradicting") if "contradicting" in counts else number("contrasting"),
            "unclassified": number("unclassified"), "citing_publications": number("citingPublications"),
            "citation_statements": number("total")}
