"""Europe PMC: the publisher JATS of open-access articles, free and without a key.

``GET https://www.ebi.ac.uk/europepmc/webservices/rest/PMC{n}/fullTextXML``
answers the article's JATS (root ``<article>``), or 404 when Europe PMC has
no open full text for it. OpenAlex gives the PMC id of a work as
``ids.pmcid``: ``https://www.ncbi.nlm.nih.gov/pmc/articles/{n}`` (a bare
number, or with the "PMC" prefix).
"""
from __future__ import annotations

import re

from ..errors import EuropePMCError, EuropePMCUnavailableError
from .http import ApiResponse, HttpClient, xml_root

__all__ = ["EuropePMCClient", "FULLTEXT_URL", "normalize_pmcid", "fulltext_url"]

FULLTEXT_URL = "https://www.ebi.ac.uk/europepmc/webservices/rest/{pmcid}/fullTextXML"
_PMCID = re.compile(r"(?:PMC)?(\d{1,10})/?$", re.IGNORECASE)
_ARTICLE = re.compile(rb"<(?:[\w.-]+:)?article[\s/>]")  # an <article> inside a wrapper such as <pmc-articleset>


def normalize_pmcid(value) -> str | None:
    """``"https://www.ncbi.nlm.nih.gov/pmc/articles/3087625"`` -> ``"PMC3087625"``; None when not a PMC id."""
    if not isinstance(value, str) or not value.strip():
        return None
    match = _PMCID.search(value.strip())
    return f"PMC{match.group(1)}" if match else None


def fulltext_url(pmcid: str) -> str:
    return FULLTEXT_URL.format(pmcid=pmcid)


class EuropePMCClient(HttpClient):
    """Downloads JATS full text from Europe PMC, with the retries and the rate of every peerbib request."""

    service = "Europe PMC"
    RequestError = EuropePMCError
    NotFoundError = EuropePMCError
    UnavailableError = EuropePMCUnavailableError

    def _headers(self) -> dict:
        headers = super()._headers()
        headers["Accept"] = "application/xml"
        return headers

    def get_fulltext(self, pmcid: str, *, keep_unusable: bool = False) -> ApiResponse:
        """The JATS bytes of ``pmcid`` in ``data`` (status 200), or status 404 when there is no open full text.

        With ``keep_unusable``, a body that stays unusable (cut off, not an
        ``<article>``) after the retries comes back with ``unusable`` saying
        why instead of raising :class:`EuropePMCUnavailableError`.
        """
        return self.request(fulltext_url(pmcid), "europepmc", _parse_article, allow_404=True,
                            keep_unusable=keep_unusable)


def _parse_article(response) -> bytes:
    body = response.content
    # The root, wherever it stands: a DOCTYPE and comments before it can be long.
    root = xml_root(body)
    if root.rsplit(b":", 1)[-1] != b"article" and _ARTICLE.search(body) is None:
        raise ValueError(f"XML without an <article> (its root is <{root.decode('ascii', 'replace')[:40]}>)")
    return body
