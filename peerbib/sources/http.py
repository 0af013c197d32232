"""A careful HTTP client: timeouts, retries with backoff honouring Retry-After, a shared rate, accounting.

Every request peerbib sends (to OpenAlex, to Europe PMC) goes through a
subclass of :class:`HttpClient`, built directly on :mod:`requests` (so tests
mock it with ``responses``). The base class retries 403/429/5xx answers,
connection errors and truncated or unusable bodies with exponential backoff
(or the server's ``Retry-After``), limits the request rate across threads,
counts requests, and says which service failed and how. Subclasses add
what their service needs: authentication, a credit budget, error messages.
"""
from __future__ import annotations

import json
import re
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Any, Callable, Protocol
from urllib.parse import urlsplit

import requests

from ..errors import PeerbibError
from ..ids import as_int
from ..settings import FetchSettings

__all__ = ["HttpClient", "ErrorClass", "ServiceError", "ApiResponse", "RequestStats", "FetchCancelled",
           "RETRY_STATUSES", "parse_json", "parse_xml", "xml_root"]

#: Answers worth retrying: 403 is OpenAlex's "slow down", 429 a rate limit, 5xx a passing server fault.
RETRY_STATUSES = frozenset({403, 429, 500, 502, 503, 504})

_TRANSIENT = (
    requests.exceptions.ConnectionError,
    requests.exceptions.Timeout,
    requests.exceptions.ChunkedEncodingError,
    requests.exceptions.ContentDecodingError,
)
_SPACE = re.compile(rb"[ \t\r\n]*")
_NAME = re.compile(rb"[A-Za-z_][\w.:-]*")
# A start tag: its name, attributes (quoted values may hold ">"), and "/" when it closes itself.
_START_TAG = re.compile(rb"""<([A-Za-z_][\w.:-]*)(?:\s+[^\s=/>]+\s*=\s*(?:"[^"]*"|'[^']*'))*\s*(/?)>""")
_DOCTYPE_TOKEN = re.compile(rb"""<!--.*?-->|"[^"]*"|'[^']*'|[\[\]>]""", re.DOTALL)


class ErrorClass(Protocol):
    """How an :class:`HttpClient` builds its errors: every error class it raises takes this signature
    (:class:`~peerbib.errors.OpenAlexError`, :class:`~peerbib.errors.EuropePMCError` and
    :class:`~peerbib.errors.SciteError` and their subclasses do)."""

    def __call__(self, message: str, *, status: int | None = None, url: str | None = None) -> PeerbibError: ...


class ServiceError(PeerbibError):
    """The base client's error (a service's client declares its own classes, built the same way).

    Attributes
    ----------
    status : int or None
        HTTP status of the last answer, None for a connection failure.
    url : str or None
        The request, without credentials.
    """

    def __init__(self, message: str, *, status: int | None = None, url: str | None = None):
        self.status = status
        self.url = url
        super().__init__(message)


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
    unusable : str or None
        Why the body could not be used (``"XML cut off after 812 bytes"``) when
        the retries ran out on an unusable body and the caller asked to keep
        such an answer (``keep_unusable``); ``data`` is then None.
    attempts : int
        Requests sent for this answer, retries included.
    """

    url: str
    final_url: str
    status: int
    data: Any
    credits: float
    credits_measured: bool
    rate_limit: dict = field(default_factory=dict)
    unusable: str | None = None
    attempts: int = 1

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
                self.remaining = as_int(rate_limit["remaining"])
            if "limit" in rate_limit:
                self.limit = as_int(rate_limit["limit"])

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


def parse_json(response: requests.Response):
    """The JSON object of an answer; ValueError (retried) for anything else."""
    try:
        data = json.loads(response.content)
    except ValueError as exc:
        raise ValueError(f"not JSON, {len(response.content)} bytes: {exc}") from None
    if not isinstance(data, dict):
        raise ValueError("JSON is not an object")
    return data


def parse_xml(response: requests.Response) -> bytes:
    """The bytes of a whole XML document; ValueError (retried) for a body that is not XML or is cut off."""
    body = response.content
    xml_root(body)
    return body


def xml_root(body: bytes) -> bytes:
    """The name of the root element of a whole XML document (``b"TEI"``, ``b"article"``).

    The prolog before the root (declaration, comments, processing
    instructions, a DOCTYPE with its internal subset) is skipped however long
    it is: converters put kilobytes of comments there. A document is whole
    when, after the root, only comments, processing instructions and
    whitespace follow the root's end tag (or a self-closing root).

    Raises
    ------
    ValueError
        ``"not XML, N bytes"`` or ``"XML cut off after N bytes"``.
    """
    cut = ValueError(f"XML cut off after {len(body)} bytes")
    start = 3 if body.startswith(b"\xef\xbb\xbf") else 0
    while True:
        start = _SPACE.match(body, start).end()
        if start >= len(body):
            if body.strip(b"\xef\xbb\xbf \t\r\n"):
                raise cut  # a prolog and nothing after it
            raise ValueError(f"not XML, {len(body)} bytes")
        if body.startswith(b"<?", start):
            end = body.find(b"?>", start + 2)
            start = end + 2
        elif body.startswith(b"<!--", start):
            end = body.find(b"-->", start + 4)
            start = end + 3
        elif body.startswith(b"<!DOCTYPE", start):
            end = _doctype_end(body, start)
            start = end
        else:
            break
        if end < 0:
            raise cut
    tag = _START_TAG.match(body, start)
    if tag is None:
        if body.startswith(b"<", start) and _NAME.match(body, start + 1) and body.find(b">", start) < 0:
            raise cut  # the root's start tag itself is cut
        raise ValueError(f"not XML, {len(body)} bytes")
    name = tag.group(1)
    end = _end_of_misc(body)
    if tag.group(2):  # a self-closing root is the whole document
        whole = tag.end() == end
    else:
        whole = end > tag.end() and re.compile(rb"</" + re.escape(name) + rb"\s*>\Z").search(
            body, max(tag.end(), end - len(name) - 64), end) is not None
    if not whole:
        raise cut
    return name


def _doctype_end(body: bytes, start: int) -> int:
    """Where a ``<!DOCTYPE …>`` starting at ``start`` ends (after its ``>``), -1 when it does not.

    Its internal subset (``[…]``) may hold ``>`` and ``]`` in quoted strings
    and comments, so the scan steps over those whole.
    """
    depth = 0
    for token in _DOCTYPE_TOKEN.finditer(body, start + len(b"<!DOCTYPE")):
        mark = token.group(0)
        if mark == b"[":
            depth += 1
        elif mark == b"]":
            depth = max(0, depth - 1)
        elif mark == b">" and depth == 0:
            return token.end()
    return -1


def _end_of_misc(body: bytes) -> int:
    """The end of the root element: the body's end before trailing whitespace, comments and PIs."""
    end = len(body.rstrip(b" \t\r\n"))
    while True:
        if body.endswith(b"-->", 0, end):
            opened = body.rfind(b"<!--", 0, end - 3)
        elif body.endswith(b"?>", 0, end):
            opened = body.rfind(b"<?", 0, end - 2)
        else:
            return end
        if opened < 0:
            return end
        end = opened
        while end and body[end - 1] in b" \t\r\n":
            end -= 1


class HttpClient:
    """GET requests with timeouts, retries, a shared rate and accounting, for one service.

    Subclasses set :attr:`service` (its name in messages), the error classes
    raised for a refused request, a missing record and a service that stays
    unavailable (each an :class:`ErrorClass`: built with the message, ``status=``
    and ``url=``), and may override :meth:`_prepare` (checks before the first
    request), :meth:`_headers`, :meth:`_refuse` (service-specific answers
    such as 401) and :meth:`_cost`.

    Parameters
    ----------
    settings : FetchSettings, optional
        ``timeout``, ``max_retries``, ``backoff``, ``max_backoff``,
        ``max_retry_after``, ``sleep``; the rate is :attr:`rate` (default ``max_rate``).
    cancel : threading.Event, optional
        When set, the next attempt raises :class:`FetchCancelled`.
    rate : float, optional
        Requests per second across threads (None: ``settings.max_rate``).
    """

    service = "the server"
    #: The errors raised for a refused request, a missing record and a service that stays unavailable,
    #: each built as ``ErrorClass(message, status=..., url=...)``.
    RequestError: ErrorClass = ServiceError
    NotFoundError: ErrorClass = ServiceError
    UnavailableError: ErrorClass = ServiceError

    def __init__(self, *, settings: FetchSettings | None = None, cancel: threading.Event | None = None,
                 rate: float | None = None):
        self.settings = settings or FetchSettings()
        self.cancel = cancel or threading.Event()
        # The default wait ends early when the fetch is cancelled (Ctrl-C, or
        # another thread's fatal error), instead of sleeping out a long Retry-After.
        self._sleep: Callable[[float], Any] = self.settings.sleep if self.settings.sleep is not None else self.cancel.wait
        self.rate = self.settings.max_rate if rate is None else rate
        self.stats = RequestStats()
        self._local = threading.local()
        self._sessions: list[requests.Session] = []
        self._sessions_lock = threading.Lock()
        self._rate_lock = threading.Lock()
        self._next_slot = 0.0

    def __repr__(self) -> str:
        return f"{type(self).__name__}(requests={self.stats.requests})"

    # --- what subclasses adapt ------------------------------------------------------

    def _prepare(self, url: str) -> None:
        """Raise before any request is sent when it cannot succeed."""

    def _headers(self) -> dict:
        from .. import __version__

        return {"User-Agent": f"peerbib/{__version__}"}

    def _refuse(self, status: int, response: requests.Response, message: str, url: str) -> None:
        """Raise for an answer the service means as final (a refused key, a spent budget)."""

    def _cost(self, kind: str, data, rate_limit: dict) -> tuple[float, bool]:
        """(credits, measured) of a successful request."""
        return 0.0, True

    def redact(self, text) -> str:
        """``text`` without secrets (none in the base class)."""
        return str(text)

    # --- requests ------------------------------------------------------------------

    def close(self) -> None:
        """Close the HTTP sessions of every thread."""
        with self._sessions_lock:
            for session in self._sessions:
                session.close()
            self._sessions.clear()

    def _session(self) -> requests.Session:
        session = getattr(self._local, "session", None)
        if session is None:
            session = requests.Session()
            self._local.session = session
            with self._sessions_lock:
                self._sessions.append(session)
        return session

    def _throttle(self) -> None:
        rate = self.rate
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

    def _wait(self, seconds: float, attempt: int) -> None:
        # No wait after the last attempt: the caller is about to give up.
        if attempt >= self.settings.max_retries:
            return
        if seconds > 0:
            self._sleep(seconds)

    def _redact_error(self, exc: PeerbibError) -> PeerbibError:
        """``exc`` with secrets removed from its message and attributes (in place)."""
        exc.args = tuple(self.redact(a) if isinstance(a, str) else a for a in exc.args)
        if isinstance(getattr(exc, "url", None), str):
            exc.url = self.redact(exc.url)
        return exc

    def request(self, url: str, kind: str, parse, *, allow_404: bool, json_body=None,
                keep_unusable: bool = False) -> ApiResponse:
        """GET ``url`` (POST ``json_body`` when given) until a usable answer, a final refusal, or the retries run out.

        With ``keep_unusable``, a body that is still unusable after the
        retries (``parse`` raised ValueError on the last attempt) is returned
        with ``unusable`` saying why, instead of raising: a document a
        server always serves broken is a property of that document, not a
        passing fault, and must not stop everything else.

        Every message this client raises passes through here: secrets are
        removed in one place, whatever built the message.
        """
        try:
            return self._attempts(url, kind, parse, allow_404=allow_404, json_body=json_body,
                                  keep_unusable=keep_unusable)
        except PeerbibError as exc:
            raise self._redact_error(exc) from None

    def _attempts(self, url: str, kind: str, parse, *, allow_404: bool, json_body=None,
                  keep_unusable: bool = False) -> ApiResponse:
        """Up to ``max_retries + 1`` attempts; each step returns the answer, or None once it has waited to retry."""
        trail = _Trail()
        self._prepare(url)
        for attempt in range(self.settings.max_retries + 1):
            if self.cancel.is_set():
                raise FetchCancelled()
            if attempt:
                self.stats.count_retry()
            self._throttle()
            response = self._send(url, kind, json_body, attempt, trail)
            if response is None:
                continue
            self.stats.count_request(kind, 1 + len(response.history))
            trail.status = response.status_code
            trail.unusable = None
            rate_limit = _rate_limit_headers(response.headers)
            if response.status_code == 200:
                answer = self._parsed(url, kind, parse, response, rate_limit, attempt, trail)
            else:
                answer = self._refused(url, response, rate_limit, attempt, allow_404, trail)
            if answer is not None:
                return answer
        return self._gave_up(url, keep_unusable, trail)

    def _send(self, url: str, kind: str, json_body, attempt: int, trail: _Trail) -> requests.Response | None:
        """The server's response, or None after a transient failure (counted, noted in ``trail``, waited out)."""
        try:
            if json_body is None:
                return self._session().get(url, headers=self._headers(), timeout=self.settings.timeout,
                                           allow_redirects=True)
            return self._session().post(url, json=json_body, headers=self._headers(),
                                        timeout=self.settings.timeout, allow_redirects=True)
        except _TRANSIENT as exc:
            self.stats.count_request(kind)
            # requests' connection messages repeat the whole URL: name the host only.
            trail.problem = f"{type(exc).__name__} reaching {urlsplit(url).netloc}"
            trail.status = None
            trail.unusable = None
            self._wait(self._backoff(attempt), attempt)
            return None
        except requests.RequestException as exc:
            # Not worth retrying (an invalid header or URL...). requests'
            # message may quote the request's headers, a key among them:
            # only the redacted first line is kept, and the original
            # exception is not chained (a traceback would show it).
            raise self.RequestError(f"the request to {urlsplit(url).netloc} could not be sent "
                                    f"({type(exc).__name__}: {_first_line(exc, self.redact)})",
                                    status=None, url=url) from None

    def _parsed(self, url: str, kind: str, parse, response: requests.Response, rate_limit: dict, attempt: int,
                trail: _Trail) -> ApiResponse | None:
        """The answer to a 200, or None when its body was unusable (noted in ``trail``, then waited out)."""
        try:
            data = parse(response)
        except ValueError as exc:
            trail.problem = f"unusable answer ({exc})"
            trail.unusable = (str(exc), response, rate_limit)
            # A body cut off on the way was still charged: counted when the server says what it cost
            # (an error page from a proxy in between, without the header, cost nothing).
            credits, measured = self._cost(kind, None, rate_limit)
            if measured:
                self.stats.count_credits(credits, measured, rate_limit)
                trail.wasted += credits
            self._wait(self._backoff(attempt), attempt)
            return None
        credits, measured = self._cost(kind, data, rate_limit)
        self.stats.count_credits(credits, measured, rate_limit)
        return ApiResponse(url, self.redact(response.url), response.status_code, data, credits, measured,
                           rate_limit, attempts=attempt + 1)

    def _refused(self, url: str, response: requests.Response, rate_limit: dict, attempt: int, allow_404: bool,
                 trail: _Trail) -> ApiResponse | None:
        """An allowed 404's empty answer, None after waiting to retry a passing refusal, or the error to stop on."""
        status = response.status_code
        message = _server_message(response, self.redact)
        self._refuse(status, response, message, url)
        if status == 404 and allow_404:
            return ApiResponse(url, self.redact(response.url), 404, None, 0.0, False, rate_limit)
        if status in RETRY_STATUSES:
            trail.problem = f"HTTP {status}" + (f" ({message})" if message else "")
            wait = _retry_after(response.headers)
            if wait is None:
                wait = self._backoff(attempt)
            elif wait > self.settings.max_retry_after:
                raise self.UnavailableError(
                    f"{self.service} answered {status} and asks to wait {wait:.0f} s before retrying "
                    f"(more than max_retry_after={self.settings.max_retry_after:.0f} s); run the fetch "
                    "again later to resume", status=status, url=url)
            self._wait(wait, attempt)
            return None
        kind_of_error = self.NotFoundError if status == 404 else self.RequestError
        raise kind_of_error(
            f"{self.service} answered {status} {self.redact(response.reason or '')}".rstrip()
            + f" to {_short(url)}" + (f": {message}" if message else ""), status=status, url=url)

    def _gave_up(self, url: str, keep_unusable: bool, trail: _Trail) -> ApiResponse:
        """After the last attempt: the unusable body kept (``keep_unusable``), or the error saying what went wrong."""
        attempts = self.settings.max_retries + 1
        if keep_unusable and trail.unusable is not None:
            why, response, rate_limit = trail.unusable
            return ApiResponse(url, self.redact(response.url), 200, None, trail.wasted, bool(trail.wasted),
                               rate_limit, unusable=self.redact(why), attempts=attempts)
        raise self.UnavailableError(
            f"{self.service} did not give a usable answer after {attempts} attempts "
            f"(last: {trail.problem}) for {_short(url)}; run the fetch again later to resume",
            status=trail.status, url=url)


@dataclass
class _Trail:
    """What the attempts at one request left behind, for the message or answer after the last one."""

    problem: str = "no attempt made"
    status: int | None = None
    unusable: tuple | None = None  # (why, the answer, its rate-limit headers) when the last body was unusable
    wasted: float = 0.0  # credits the server charged for unusable bodies

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


def _rate_limit_headers(headers) -> dict:
    found = {}
    for name, value in headers.items():
        lower = name.lower()
        if lower.startswith("x-ratelimit-"):
            found[lower[len("x-ratelimit-"):]] = value
    return found


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
