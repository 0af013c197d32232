"""A small, careful HTTP client for the OpenAlex API.

Every request peerbib sends to OpenAlex goes through :class:`OpenAlexClient`,
built directly on :mod:`requests` (so tests mock it with ``responses``).
pyalex builds the request URLs (:mod:`.queries`); this client sends them and
does what pyalex 0.21 does not: a timeout on every request; retries with
exponential backoff on 403/429/5xx, connection errors and truncated or
non-JSON bodies, honouring ``Retry-After``; a request-rate limit shared by
threads; a clean stop when the day's credit budget is gone; and accounting
of requests and credits.

The API key travels only in the ``Authorization: Bearer`` header. It never
appears in a URL, and it is removed from every message this module raises.
"""
from __future__ import annotations

import json
import re
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from typing import Any, Callable
from urllib.parse import parse_qsl, quote, urlsplit

import requests

from ...errors import (
    BudgetExhaustedError,
    OpenAlexAuthError,
    OpenAlexError,
    OpenAlexNotFoundError,
    OpenAlexRequestError,
    OpenAlexUnavailableError,
)
from ...settings import FetchSettings

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

#: Answers worth retrying: 403 is OpenAlex's "slow down", 429 a rate limit
#: (unless the budget is exhausted), 5xx a passing server fault.
RETRY_STATUSES = frozenset({403, 429, 500, 502, 503, 504})

_TRANSIENT = (
    requests.exceptions.ConnectionError,
    requests.exceptions.Timeout,
    requests.exceptions.ChunkedEncodingError,
    requests.exceptions.ContentDecodingError,
)
_BUDGET = re.compile(r"insufficient\s+budget|budget\s+(?:is\s+)?(?:exhausted|exceeded|used up)", re.IGNORECASE)
_XML_ROOT = re.compile(rb"<([A-Za-z_][\w.:-]*)")


class FetchCancelled(Exception):
    """Raised inside a worker when the fetch is stopping (another worker failed)."""


@dataclass
class ApiResponse:
    """One successful (or 404) answer.

    Attributes
    ----------
    url : str
        The request as sent, without credentials.
    final_url : str
        Where it ended after redirects (a merged work answers 301).
    status : int
    data : Any
        Parsed JSON, the raw bytes for content downloads, None for a 404.
    credits : float
        What the request cost.
    credits_measured : bool
        True when the cost came from the server (header or ``meta.cost_usd``).
    rate_limit : dict
        ``X-RateLimit-*`` headers of the answer, lower-case names without the prefix.
    """

    url: str
    final_url: str
    status: int
    data: Any
    credits: float
    credits_measured: bool
    rate_limit: dict = field(default_factory=dict)

    @property
    def redirected(self) -> bool:
        return self.final_url != self.url


class RequestStats:
    """Counts of requests and credits, safe to update from several threads."""

    def __init__(self):
        self._lock = threading.Lock()
        self.requests = 0
        self.retries = 0
        self.credits_measured = 0.0
        self.credits_estimated = 0.0
        self.by_kind: dict[str, int] = {}
        self.remaining: int | None = None
        self.limit: int | None = None

    def count_request(self, kind: str, n: int = 1) -> None:
        with self._lock:
            self.requests += n
            self.by_kind[kind] = self.by_kind.get(kind, 0) + n

    def count_retry(self) -> None:
        with self._lock:
            self.retries += 1

    def count_credits(self, credits: float, measured: bool, rate_limit: dict) -> None:
        with self._lock:
            if measured:
                self.credits_measured += credits
            else:
                self.credits_estimated += credits
            if "remaining" in rate_limit:
                self.remaining = _int_or_none(rate_limit["remaining"])
            if "limit" in rate_limit:
                self.limit = _int_or_none(rate_limit["limit"])

    @property
    def credits(self) -> float:
        return self.credits_measured + self.credits_estimated

    @property
    def credits_source(self) -> str:
        """"measured", "estimated", "measured+estimated" or "none"."""
        if self.credits_measured and self.credits_estimated:
            return "measured+estimated"
        if self.credits_measured:
            return "measured"
        if self.credits_estimated:
            return "estimated"
        return "none"


def _int_or_none(value) -> int | None:
    try:
        return int(float(value))
    except (TypeError, ValueError):
        return None


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


class OpenAlexClient:
    """Sends GET requests to OpenAlex with auth, timeouts, retries and accounting.

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

    def __init__(
        self,
        api_key: str | None = None,
        email: str | None = None,
        *,
        settings: FetchSettings | None = None,
        cancel: threading.Event | None = None,
    ):
        self._api_key = _clean_key(api_key)
        self._email = email or None
        self.settings = settings or FetchSettings()
        self.cancel = cancel or threading.Event()
        # The default wait ends early when the fetch is cancelled (Ctrl-C, or
        # another thread's fatal error), instead of sleeping out a long Retry-After.
        self._sleep: Callable[[float], Any] = self.settings.sleep if self.settings.sleep is not None else self.cancel.wait
        self.stats = RequestStats()
        self._local = threading.local()
        self._sessions: list[requests.Session] = []
        self._sessions_lock = threading.Lock()
        self._rate_lock = threading.Lock()
        self._next_slot = 0.0

    def __repr__(self) -> str:
        key = "set" if self._api_key else "not set"
        return f"OpenAlexClient(api_key={key}, requests={self.stats.requests})"

    # --- public -------------------------------------------------------------

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
            On 401.
        BudgetExhaustedError
            On a 429 saying the daily budget is used up (not retried).
        OpenAlexNotFoundError
            On 404, unless ``allow_404``.
        OpenAlexRequestError
            On 400 and other refusals of the request itself.
        OpenAlexUnavailableError
            When retries are exhausted.
        """
        kind = cost_kind(url)
        return self._request(url, kind, self._parse_json, allow_404=allow_404)

    def get_content(self, url: str, *, allow_404: bool = True) -> ApiResponse:
        """GET a content URL (e.g. GROBID TEI) and return its bytes in ``data``.

        A body that is empty or does not start like XML is retried.
        """
        return self._request(url, "content", self._parse_xml, allow_404=allow_404)

    def close(self) -> None:
        """Close the HTTP sessions of every thread."""
        with self._sessions_lock:
            for session in self._sessions:
                session.close()
            self._sessions.clear()

    # --- internals ------------------------------------------------------------

    def _session(self) -> requests.Session:
        session = getattr(self._local, "session", None)
        if session is None:
            session = requests.Session()
            self._local.session = session
            with self._sessions_lock:
                self._sessions.append(session)
        return session

    def _headers(self) -> dict:
        from ... import __version__

        agent = f"peerbib/{__version__}"
        headers = {"Accept": "application/json"}
        if self._email:
            headers["From"] = self._email
            agent += f" mailto:{self._email}"
        headers["User-Agent"] = agent
        if self._api_key:
            headers["Authorization"] = f"Bearer {self._api_key}"
        return headers

    def redact(self, text) -> str:
        """``text`` with the API key (if any, also percent-encoded) replaced by ``***``."""
        text = str(text)
        if self._api_key:
            for form in {self._api_key, quote(self._api_key, safe=""), quote(self._api_key, safe="/")}:
                text = text.replace(form, "***")
        return text

    def _redact_error(self, exc: OpenAlexError) -> OpenAlexError:
        """``exc`` with the API key removed from its message and attributes (in place)."""
        exc.args = tuple(self.redact(a) if isinstance(a, str) else a for a in exc.args)
        if isinstance(getattr(exc, "url", None), str):
            exc.url = self.redact(exc.url)
        return exc

    def _throttle(self) -> None:
        rate = self.settings.max_rate
        if not rate or rate <= 0:
            return
        with self._rate_lock:
            now = time.monotonic()
            start = max(now, self._next_slot)
            self._next_slot = start + 1.0 / rate
        wait = start - now
        if wait > 0:
            self._sleep(wait)

    def _backoff(self, attempt: int) -> float:
        s = self.settings
        return min(s.max_backoff, s.backoff * (2 ** attempt))

    def _request(self, url: str, kind: str, parse, *, allow_404: bool) -> ApiResponse:
        # Every message this client raises passes through here: the key is
        # removed in one place, whatever built the message.
        try:
            return self._attempts(url, kind, parse, allow_404=allow_404)
        except OpenAlexError as exc:
            raise self._redact_error(exc) from None

    def _attempts(self, url: str, kind: str, parse, *, allow_404: bool) -> ApiResponse:
        settings = self.settings
        last_problem = "no attempt made"
        last_status = None
        if not self._api_key:
            # Since 2026-02-13 every request needs a key: say so before the
            # first request instead of after a 401 (or a timeout offline).
            raise OpenAlexAuthError(
                "no OpenAlex API key: set the OPENALEX_API_KEY environment variable to your free key "
                "(https://openalex.org/settings/api), pass api_key=, or let `peerbib fetch --ask-key` prompt for it",
                status=None,
                url=url,
            )
        for attempt in range(settings.max_retries + 1):
            if self.cancel.is_set():
                raise FetchCancelled()
            if attempt:
                self.stats.count_retry()
            self._throttle()
            try:
                response = self._session().get(
                    url, headers=self._headers(), timeout=settings.timeout, allow_redirects=True
                )
            except _TRANSIENT as exc:
                self.stats.count_request(kind)
                # requests' connection messages repeat the whole URL: name the host only.
                last_problem = f"{type(exc).__name__} reaching {urlsplit(url).netloc}"
                last_status = None
                self._wait(self._backoff(attempt), attempt)
                continue
            except requests.RequestException as exc:
                # Not worth retrying (an invalid header or URL...). requests'
                # message may quote the request's headers, the key among them:
                # only the redacted first line is kept, and the original
                # exception is not chained (a traceback would show it).
                raise OpenAlexRequestError(
                    f"the request to {urlsplit(url).netloc} could not be sent "
                    f"({type(exc).__name__}: {_first_line(exc, self.redact)})",
                    status=None,
                    url=url,
                ) from None
            self.stats.count_request(kind, 1 + len(response.history))
            status = response.status_code
            last_status = status
            rate_limit = _rate_limit_headers(response.headers)
            if status == 200:
                try:
                    data = parse(response)
                except ValueError as exc:
                    last_problem = f"unusable answer ({exc})"
                    self._wait(self._backoff(attempt), attempt)
                    continue
                credits, measured = _credits(kind, data, rate_limit)
                self.stats.count_credits(credits, measured, rate_limit)
                return ApiResponse(url, self.redact(response.url), status, data, credits, measured, rate_limit)
            message = _server_message(response, self.redact)
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
            if status == 404 and allow_404:
                return ApiResponse(url, self.redact(response.url), 404, None, 0.0, False, rate_limit)
            if status in RETRY_STATUSES:
                last_problem = f"HTTP {status}" + (f" ({message})" if message else "")
                wait = _retry_after(response.headers)
                if wait is None:
                    wait = self._backoff(attempt)
                elif wait > settings.max_retry_after:
                    raise OpenAlexUnavailableError(
                        f"OpenAlex answered {status} and asks to wait {wait:.0f} s before retrying "
                        f"(more than max_retry_after={settings.max_retry_after:.0f} s); run the fetch "
                        "again later to resume",
                        status=status,
                        url=url,
                    )
                self._wait(wait, attempt)
                continue
            kind_of_error = OpenAlexNotFoundError if status == 404 else OpenAlexRequestError
            raise kind_of_error(
                f"OpenAlex answered {status} {self.redact(response.reason or '')}".rstrip() + f" to {_short(url)}"
                + (f": {message}" if message else ""),
                status=status,
                url=url,
            )
        raise OpenAlexUnavailableError(
            f"OpenAlex did not give a usable answer after {settings.max_retries + 1} attempts "
            f"(last: {last_problem}) for {_short(url)}; run the fetch again later to resume",
            status=last_status,
            url=url,
        )

    def _wait(self, seconds: float, attempt: int) -> None:
        # No wait after the last attempt: the caller is about to give up.
        if attempt >= self.settings.max_retries:
            return
        if seconds > 0:
            self._sleep(seconds)

    @staticmethod
    def _parse_json(response: requests.Response):
        try:
            data = json.loads(response.content)
        except ValueError as exc:
            raise ValueError(f"not JSON, {len(response.content)} bytes: {exc}") from None
        if not isinstance(data, dict):
            raise ValueError("JSON is not an object")
        if "results" in data or "meta" in data:
            if not isinstance(data.get("results"), list) or not isinstance(data.get("meta"), dict):
                raise ValueError("list answer without meta and results")
        elif not data.get("id"):
            raise ValueError("entity without an id")
        return data

    @staticmethod
    def _parse_xml(response: requests.Response) -> bytes:
        body = response.content
        head = body[:200].lstrip(b"\xef\xbb\xbf \t\r\n")
        if not head.startswith(b"<"):
            raise ValueError(f"not XML, {len(body)} bytes")
        # A complete document ends with its root element's closing tag.
        root = _XML_ROOT.search(body[:4096])
        tail = body[-1024:].rstrip()
        if root is None or not (tail.endswith(b"</" + root.group(1) + b">") or tail.endswith(b"/>")):
            raise ValueError(f"XML cut off after {len(body)} bytes")
        return body


def _short(url: str, limit: int = 120) -> str:
    """A URL cut to ``limit`` characters for messages (batched filters are long)."""
    return url if len(url) <= limit else url[: limit - 1] + "…"


def _first_line(exc: BaseException, redact: Callable[[str], str] = str) -> str:
    """The first line of an exception's message, redacted before it is shortened."""
    text = redact(str(exc)).strip().splitlines()
    return text[0][:300] if text else type(exc).__name__


def _server_message(response: requests.Response, redact: Callable[[str], str] = str) -> str:
    """The error message of an answer, on one line, redacted and then shortened.

    Redacting first matters: a key cut in half by the shortening would no
    longer be recognised.
    """
    try:
        body = response.json()
    except ValueError:
        text = redact(response.text.strip())
        return " ".join(text.split())[:300]
    if isinstance(body, dict):
        parts = [str(body[k]) for k in ("error", "message") if body.get(k)]
        return " ".join(redact(" — ".join(parts)).split())[:500]
    return ""


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


def _rate_limit_headers(headers) -> dict:
    found = {}
    for name, value in headers.items():
        lower = name.lower()
        if lower.startswith("x-ratelimit-"):
            found[lower[len("x-ratelimit-"):]] = value
    return found


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


def _retry_after(headers) -> float | None:
    value = headers.get("Retry-After")
    if value is None:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - datetime.now(timezone.utc)).total_seconds())


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
