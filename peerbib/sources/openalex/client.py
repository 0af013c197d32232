"""The OpenAlex API client: the careful HTTP client with OpenAlex's key, credits and budget.

pyalex builds the request URLs (:mod:`.queries`); :class:`OpenAlexClient`
sends them (see :class:`peerbib.sources.http.HttpClient` for timeouts,
retries and the rate), adds the API key, counts credits, and stops cleanly
when the day's credit budget is gone.

The API key travels only in the ``Authorization: Bearer`` header. It never
appears in a URL, and it is removed from every message this module raises.
"""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qsl, quote, urlsplit

import requests

from ...errors import (
    BudgetExhaustedError,
    OpenAlexAuthError,
    OpenAlexNotFoundError,
    OpenAlexRequestError,
    OpenAlexUnavailableError,
)
from ..http import RETRY_STATUSES, ApiResponse, FetchCancelled, HttpClient, RequestStats, parse_json, parse_xml

__all__ = [
    "API_URL",
    "CONTENT_URL",
    "CREDIT_COSTS",
    "RETRY_STATUSES",
    "ApiResponse",
    "RequestStats",
    "OpenAlexClient",
    "FetchCancelled",
    "cost_kind",
    "next_budget_reset",
]

API_URL = "https://api.openalex.org"
CONTENT_URL = "https://content.openalex.org"

#: Credits one successful request costs when the server does not say
#: (OpenAlex's pricing, 2026: singleton lookups free, list pages 1, searches 10,
#: full-text content about 100).
CREDIT_COSTS = {"singleton": 0, "list": 1, "search": 10, "content": 100}
#: ``meta.cost_usd`` of a list page is 0.0001 for 1 credit.
USD_PER_CREDIT = 0.0001

_BUDGET = re.compile(r"insufficient\s+budget|budget\s+(?:is\s+)?(?:exhausted|exceeded|used up)", re.IGNORECASE)


def cost_kind(url: str) -> str:
    """Which line of the credit table a request falls under: singleton, list, search or content."""
    parts = urlsplit(url)
    if parts.netloc == urlsplit(CONTENT_URL).netloc or parts.path.endswith((".grobid-xml", ".pdf")):
        return "content"
    params = dict(parse_qsl(parts.query))
    if params.get("search") or ".search:" in params.get("filter", ""):
        return "search"
    if re.fullmatch(r"/?[a-z_]+/.+", parts.path):  # /works/W1, /works/doi:10.1/x
        return "singleton"
    return "list"


def next_budget_reset(now: datetime | None = None) -> datetime:
    """The next midnight UTC, when OpenAlex's daily credit budget resets."""
    now = now or datetime.now(timezone.utc)
    return (now + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)


class OpenAlexClient(HttpClient):
    """Sends GET requests to OpenAlex with auth, timeouts, retries and credit accounting.

    Parameters
    ----------
    api_key : str, optional
        Sent as ``Authorization: Bearer``; never stored or shown.
    email : str, optional
        Sent in the ``From`` and ``User-Agent`` headers (not in URLs).
    settings : FetchSettings, optional
        Timeouts, retries, backoff and rate (``timeout``, ``max_retries``,
        ``backoff``, ``max_backoff``, ``max_retry_after``, ``max_rate``), and
        ``sleep(seconds)`` for every wait: by default the wait is on
        ``cancel``, so it ends early when the fetch is cancelled.
    cancel : threading.Event, optional
        When set, the next attempt raises :class:`FetchCancelled` instead of
        sending a request.
    """

    service = "OpenAlex"
    RequestError = OpenAlexRequestError
    NotFoundError = OpenAlexNotFoundError
    UnavailableError = OpenAlexUnavailableError

    def __init__(self, api_key: str | None = None, email: str | None = None, *, settings=None, cancel=None):
        self._api_key = _clean_key(api_key)
        self._email = email or None
        super().__init__(settings=settings, cancel=cancel)

    def __repr__(self) -> str:
        key = "set" if self._api_key else "not set"
        return f"OpenAlexClient(api_key={key}, requests={self.stats.requests})"

    def get_json(self, url: str, *, allow_404: bool = False) -> ApiResponse:
        """GET an API URL (as :mod:`.queries` builds them) and return its parsed JSON.

        A list answer must have ``meta`` and ``results``; a single work must
        be an object with an ``id``. Anything else (a truncated or non-JSON
        body) is retried like a server fault, and never returned.

        Parameters
        ----------
        url : str
            E.g. ``https://api.openalex.org/works?filter=doi:…&select=…&per-page=100&cursor=*``.
        allow_404 : bool
            Return a response with ``status=404`` and ``data=None`` instead of raising.

        Raises
        ------
        OpenAlexAuthError
            On 401, or without a key.
        BudgetExhaustedError
            On a 429 saying the daily budget is used up (not retried).
        OpenAlexNotFoundError
            On 404, unless ``allow_404``.
        OpenAlexRequestError
            On 400 and other refusals of the request itself.
        OpenAlexUnavailableError
            When retries are exhausted.
        """
        return self.request(url, cost_kind(url), _parse_openalex, allow_404=allow_404)

    def get_content(self, url: str, *, allow_404: bool = True, keep_unusable: bool = False) -> ApiResponse:
        """GET a content URL (e.g. GROBID TEI) and return its bytes in ``data``.

        A body that is empty, not XML or cut off is retried. With
        ``keep_unusable``, one that stays so after the retries comes back with
        ``unusable`` saying why (and ``data`` None) instead of raising
        :class:`OpenAlexUnavailableError`.
        """
        return self.request(url, "content", parse_xml, allow_404=allow_404, keep_unusable=keep_unusable)

    # --- what OpenAlex adds ------------------------------------------------------------

    def _prepare(self, url: str) -> None:
        if not self._api_key:
            # Since 2026-02-13 every request needs a key: say so before the
            # first request instead of after a 401 (or a timeout offline).
            raise OpenAlexAuthError(
                "no OpenAlex API key: set the OPENALEX_API_KEY environment variable to your free key "
                "(https://openalex.org/settings/api), pass api_key=, or let `peerbib fetch --ask-key` prompt for it",
                status=None,
                url=url,
            )

    def _headers(self) -> dict:
        headers = super()._headers()
        headers["Accept"] = "application/json"
        if self._email:
            headers["From"] = self._email
            headers["User-Agent"] += f" mailto:{self._email}"
        if self._api_key:
            headers["Authorization"] = f"Bearer {self._api_key}"
        return headers

    def _refuse(self, status: int, response: requests.Response, message: str, url: str) -> None:
        if status == 401:
            raise OpenAlexAuthError(
                "OpenAlex refused the request (401 Unauthorized"
                + (f": {message}" if message else "")
                + "). Set the OPENALEX_API_KEY environment variable to your free API key "
                "(get one at https://openalex.org/settings/api) or pass api_key=.",
                status=status,
                url=url,
            )
        if status == 429 and _BUDGET.search(message or ""):
            resets = _reset_time(response.headers)
            raise BudgetExhaustedError(
                f"OpenAlex's daily credit budget is exhausted ({message}); it resets at "
                f"{resets:%Y-%m-%d %H:%M} UTC.",
                resets_at=resets,
                url=url,
            )

    def _cost(self, kind: str, data, rate_limit: dict) -> tuple[float, bool]:
        return _credits(kind, data, rate_limit)

    def redact(self, text) -> str:
        """``text`` with the API key (if any, also percent-encoded) replaced by ``***``."""
        text = str(text)
        if self._api_key:
            for form in {self._api_key, quote(self._api_key, safe=""), quote(self._api_key, safe="/")}:
                text = text.replace(form, "***")
        return text


def _parse_openalex(response: requests.Response):
    data = parse_json(response)
    if "results" in data or "meta" in data:
        if not isinstance(data.get("results"), list) or not isinstance(data.get("meta"), dict):
            raise ValueError("list answer without meta and results")
    elif not data.get("id"):
        raise ValueError("entity without an id")
    return data


def _clean_key(api_key) -> str | None:
    """The API key without surrounding whitespace; an error for one that cannot be a header.

    A key pasted with a trailing newline is common; requests would refuse the
    header with a message quoting it. The error raised here never shows the key.
    """
    if api_key is None:
        return None
    key = str(api_key).strip()
    if not key:
        return None
    if any(not (33 <= ord(ch) <= 126) for ch in key):
        raise OpenAlexAuthError(
            f"the OpenAlex API key ({len(key)} characters) contains spaces, control or non-ASCII "
            "characters, so it cannot be sent; check OPENALEX_API_KEY / api_key= (copy the key again)",
            status=None,
        )
    return key


def _credits(kind: str, data, rate_limit: dict) -> tuple[float, bool]:
    used = rate_limit.get("credits-used")
    if used is not None:
        try:
            return float(used), True
        except ValueError:
            pass
    if isinstance(data, dict) and isinstance(data.get("meta"), dict):
        cost = data["meta"].get("cost_usd")
        if isinstance(cost, (int, float)):
            return round(cost / USD_PER_CREDIT, 6), True
    return float(CREDIT_COSTS.get(kind, 1)), False


def _reset_time(headers) -> datetime:
    now = datetime.now(timezone.utc)
    value = headers.get("X-RateLimit-Reset")
    if value:
        try:
            number = float(value)
        except ValueError:
            number = None
        if number is not None:
            # Either seconds from now or a Unix time; both read sensibly.
            if number > 1e9:
                return datetime.fromtimestamp(number, timezone.utc)
            if 0 <= number <= 2 * 86400:
                return now + timedelta(seconds=number)
    return next_budget_reset(now)
