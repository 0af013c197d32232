"""A library that logs and leaves global state alone (issue 22, item 5).

The command prints, the library logs (``logging.getLogger("peerbib")``);
a plot leaves ``matplotlib.rcParams`` as it found them and still draws CJK
text with a fallback font when the figure is drawn later; the garbage
collector is paused only inside a block and put back as it was; a damaged
dump part is told apart from a full disk; the HTTP clients build their
errors one way. Every record here is SYNTHETIC.
"""
from __future__ import annotations

import inspect

import pytest
import responses

from peerbib.errors import PeerbibError
from peerbib.settings import FetchSettings
from peerbib.sources.http import HttpClient, ServiceError, parse_json

# --- the HTTP clients build their errors one way ------------------------------------------------------------


def _clients():
    import peerbib.sources.europepmc  # noqa: F401  (the subclasses are defined on import)
    import peerbib.sources.openalex.client  # noqa: F401
    import peerbib.sources.scite  # noqa: F401

    found, todo = [], [HttpClient]
    while todo:
        cls = todo.pop()
        found.append(cls)
        todo.extend(cls.__subclasses__())
    return found


@pytest.mark.parametrize("client", _clients(), ids=lambda c: c.__name__)
def test_every_error_class_of_a_client_takes_status_and_url(client):
    for role in ("RequestError", "NotFoundError", "UnavailableError"):
        kind = getattr(client, role)
        assert issubclass(kind, PeerbibError)
        error = kind("the message", status=418, url="https://example.org/x")
        assert (str(error), error.status, error.url) == ("the message", 418, "https://example.org/x")
        assert {"status", "url"} <= set(inspect.signature(kind).parameters)


def test_the_base_client_raises_its_error_with_the_status_and_url():
    client = HttpClient(settings=FetchSettings(max_rate=0, max_retries=0, sleep=lambda s: None))
    with responses.RequestsMock() as rsps:
        rsps.get("https://example.org/missing", status=404, json={"error": "no such thing"})
        with pytest.raises(ServiceError) as caught:
            client.request("https://example.org/missing", "test", parse_json, allow_404=False)
    assert caught.value.status == 404 and caught.value.url == "https://example.org/missing"
    assert "the server answered 404" in str(caught.value)
