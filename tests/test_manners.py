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


# --- the garbage collector is paused inside a block only --------------------------------------------------------


@pytest.mark.parametrize("enabled", [True, False])
def test_the_collector_is_put_back_as_it_was(enabled):
    import gc

    from peerbib.sources.openalex_dump.query import _collector_paused

    was = gc.isenabled()
    try:
        (gc.enable if enabled else gc.disable)()
        with _collector_paused():
            assert not gc.isenabled()
        assert gc.isenabled() is enabled
        with pytest.raises(KeyError), _collector_paused():
            raise KeyError("a failure inside the block")
        assert gc.isenabled() is enabled
    finally:
        (gc.enable if was else gc.disable)()


def test_the_collector_is_paused_nowhere_else():
    """``gc.disable()`` only in the one context manager, which puts it back in a ``finally``."""
    import ast

    from conftest import REPO

    def gc_calls(tree):
        return [node.func.attr for node in ast.walk(tree) if isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute) and node.func.attr in ("disable", "enable", "freeze")
                and isinstance(node.func.value, ast.Name) and node.func.value.id == "gc"]

    outside, inside = [], []
    for path in sorted((REPO / "peerbib").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        paused = [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef) and n.name == "_collector_paused"]
        inside += [call for function in paused for call in gc_calls(function)]
        outside += [f"{path.relative_to(REPO)}: gc.{call}()" for call in gc_calls(tree)]
    assert sorted(inside) == ["disable", "enable"]
    assert len(outside) == len(inside), outside
