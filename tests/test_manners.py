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


# --- a damaged dump part is told apart from a full disk ---------------------------------------------------------


def _dump_with(folder, damage=None):
    """A SYNTHETIC dump of ten works; ``damage(bytes) -> bytes`` rewrites its first part (the manifest's size
    follows, as after a download cut short)."""
    import json

    from fixtures.openalex import make_work
    from fixtures.openalex_dump import write_dump

    dump = write_dump(folder, [make_work(1000 + i) for i in range(10)])
    if damage is not None:
        part = next(dump.glob("updated_date=*/part_0000.gz"))
        part.write_bytes(damage(part.read_bytes()))
        manifest = json.loads((dump / "manifest.json").read_text())
        for entry in manifest["files"]:
            if entry["url"].endswith(part.relative_to(dump).as_posix()):
                entry["meta"]["content_length"] = part.stat().st_size
        (dump / "manifest.json").write_text(json.dumps(manifest))
    return dump


def test_a_damaged_part_says_download_it_again_and_keeps_duckdbs_error(tmp_path):
    duckdb = pytest.importorskip("duckdb")
    from peerbib.errors import DumpError
    from peerbib.sources.openalex_dump import build_index

    dump = _dump_with(tmp_path / "works", damage=lambda data: data[:40])
    with pytest.raises(DumpError, match=r"part_0000\.gz: DuckDB could not read it.*download this part again") \
            as caught:
        build_index(dump, tmp_path / "index")
    assert isinstance(caught.value.__cause__, duckdb.Error)


def test_a_full_disk_while_indexing_is_not_a_part_to_download_again(tmp_path, monkeypatch):
    import errno

    pytest.importorskip("duckdb")
    from peerbib.sources.openalex_dump import build_index
    from peerbib.sources.openalex_dump import index as index_module

    def full(path):
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr(index_module, "ordinary_permissions", full)
    dump = _dump_with(tmp_path / "works")
    with pytest.raises(OSError) as caught:
        build_index(dump, tmp_path / "index", threads=1)
    assert caught.value.errno == errno.ENOSPC and "again" not in str(caught.value)
    assert not list((tmp_path / "index" / "parts").glob(".*.tmp"))  # the unfinished file is removed


def test_duckdb_failing_to_write_the_index_is_not_a_part_to_download_again(tmp_path, monkeypatch):
    """DuckDB says IOException both for a damaged gzip part and for a file it cannot write: the file named
    tells them apart."""
    import re

    duckdb = pytest.importorskip("duckdb")
    from peerbib.errors import DumpError
    from peerbib.sources.openalex_dump import build_index
    from peerbib.sources.openalex_dump import index as index_module

    real = index_module.duckdb_connection

    class FullDisk:
        def __init__(self, con):
            self._con = con

        def execute(self, sql, *args):
            if sql.startswith("COPY"):
                target = re.search(r"TO '([^']+)'", sql).group(1)
                raise duckdb.IOException(f'IO Error: Could not write file "{target}": No space left on device')
            return self._con.execute(sql, *args)

        def close(self):
            self._con.close()

    monkeypatch.setattr(index_module, "duckdb_connection", lambda **kwargs: FullDisk(real(**kwargs)))
    dump = _dump_with(tmp_path / "works")
    with pytest.raises(duckdb.IOException, match="No space left") as caught:
        build_index(dump, tmp_path / "index", threads=1)
    assert not isinstance(caught.value, DumpError)


def test_a_deleted_ids_file_that_cannot_be_opened_is_not_a_download_to_repeat(tmp_path, monkeypatch):
    import builtins

    pytest.importorskip("duckdb")
    from peerbib.sources.openalex_dump import build_index

    dump = _dump_with(tmp_path / "works")
    deleted = next(dump.glob("deleted_ids.csv*"))
    real_open = builtins.open

    def refuse(file, *args, **kwargs):
        if str(file) == str(deleted):
            raise PermissionError(13, "Permission denied", str(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", refuse)
    with pytest.raises(PermissionError):
        build_index(dump, tmp_path / "index", threads=1)



# --- the library logs, the command prints ---------------------------------------------------------------------


def _peerbib_logging():
    import logging

    logger = logging.getLogger("peerbib")
    return list(logger.handlers), logger.level, logger.propagate, list(logging.getLogger().handlers)


def test_the_indexer_logs_and_prints_nothing(tmp_path, capfd, caplog):
    import logging

    pytest.importorskip("duckdb")
    from peerbib.sources.openalex_dump import build_index

    dump = _dump_with(tmp_path / "works")
    with caplog.at_level(logging.INFO, logger="peerbib"):
        manifest = build_index(dump, tmp_path / "index", progress=True)
    out, err = capfd.readouterr()
    assert out == "" and err == ""
    lines = [r.getMessage() for r in caplog.records if r.name.startswith("peerbib.") and r.levelno == logging.INFO]
    assert len(lines) == len(manifest["parts"]) and all(line.startswith("indexed ") for line in lines)


def test_the_command_shows_the_log_once_per_run_and_leaves_logging_as_it_was(tmp_path, capsys):
    pytest.importorskip("duckdb")
    from peerbib.cli import main

    before = _peerbib_logging()
    for run in ("first", "second"):
        dump = _dump_with(tmp_path / run / "works")
        assert main(["dump", "index", str(dump), "--out", str(tmp_path / run / "index")]) == 0
        out, err = capsys.readouterr()
        parts = sorted(p.name for p in dump.glob("updated_date=*/*.gz"))
        shown = [line for line in err.splitlines() if line.startswith("indexed ")]
        assert len(shown) == len(parts) and len(set(shown)) == len(shown), err  # each part once, not twice
        assert sorted(line.split(": ", 1)[1].split(" ", 1)[0] for line in shown) == parts
        assert out.startswith(f"indexed {tmp_path / run / 'index'}: {len(parts)} parts")  # the summary, on stdout
        assert _peerbib_logging() == before

    assert main(["dump", "index", str(dump), "--out", str(tmp_path / "quiet"), "--quiet"]) == 0
    assert "indexed " not in capsys.readouterr().err


def test_the_commands_log_lines_escape_control_characters(capsys, monkeypatch):
    """A log line may quote data (a file name, a title): shown as the command's own lines are."""
    import logging

    from peerbib import cli

    def run(args):
        logging.getLogger("peerbib.somewhere").info("a title with \x1b[2J in it")
        return 0

    monkeypatch.setattr(cli, "_build", run)  # the parser looks it up when main makes it
    assert cli.main(["build"]) == 0
    assert capsys.readouterr().err == "a title with \\x1b[2J in it\n"


# --- a plot leaves rcParams alone, and its CJK text still finds a font when it is drawn later -------------------


def _plots():
    from safety import test_report_safety as cases  # every public plot_*, drawn from small SYNTHETIC frames

    return cases


@pytest.mark.parametrize("name", sorted(_plots().PLOTS))
def test_a_plot_leaves_rcparams_as_they_were(name):
    import io

    import matplotlib as mpl
    import matplotlib.pyplot as plt

    with mpl.rc_context():
        mpl.rcdefaults()  # a fresh session: peerbib wrote font.family when it found matplotlib's default
        before = dict(mpl.rcParams)
        for draw in _plots().PLOTS[name]:
            ax = draw()
            assert dict(mpl.rcParams) == before, f"{name} changed rcParams"
            ax.figure.savefig(io.BytesIO(), format="png")
            assert dict(mpl.rcParams) == before, f"{name} changed rcParams when drawn"
            plt.close(ax.figure)


#: Each begins with a Latin letter, as the hostile strings begin with "$" or "a": sorted before "Journal" (the
#: other venue of the cases), the venue holding both is still a core source of Bradford's law.
CJK_TITLE, CJK_NAME = "A 学習支援の研究", "a 日本語の雑誌"


def _missing_glyphs(fig) -> list[str]:
    import io
    import warnings

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig.savefig(io.BytesIO(), format="png")  # after the plot function returned, as a notebook or report does
    return [str(w.message) for w in caught if "missing from font" in str(w.message)]


@pytest.fixture
def cjk_fonts():
    from peerbib.analysis.present import ensure_fonts

    if not ensure_fonts():
        pytest.skip("no CJK font installed (Debian: apt-get install fonts-noto-cjk)")


@pytest.mark.parametrize("name", sorted(_plots().PLOTS))
def test_every_plot_draws_cjk_text_later_without_missing_glyphs(name, monkeypatch, cjk_fonts):
    """The strings of the hostile-text cases made CJK: titles, names, venues, terms, labels and legends."""
    import matplotlib as mpl
    import matplotlib.pyplot as plt
    from matplotlib.text import Text

    cases = _plots()
    monkeypatch.setattr(cases, "BROKEN_TEX", CJK_TITLE)
    monkeypatch.setattr(cases, "PAIRED_DOLLARS", CJK_NAME)
    with mpl.rc_context():
        mpl.rcdefaults()
        shown = []
        for draw in cases.PLOTS[name]:
            ax = draw()
            assert mpl.rcParams["font.family"] == ["sans-serif"]
            assert _missing_glyphs(ax.figure) == [], name
            shown += [t.get_text() for t in ax.figure.findobj(Text) if t.get_visible()]
            plt.close(ax.figure)
    if name != "plot_k_scores":
        assert any(CJK_TITLE in text or CJK_NAME in text for text in shown), f"{name}: no CJK text drawn"


def test_a_plot_on_your_own_axes_draws_cjk_text_without_changing_your_fonts(cjk_fonts):
    """As notebook 02 does: its own figure and axes, its own tight_layout, then drawn at the cell's end."""
    import matplotlib as mpl
    import matplotlib.pyplot as plt
    import pandas as pd

    import peerbib as pb

    with mpl.rc_context():
        mpl.rcdefaults()
        before = dict(mpl.rcParams)
        fig, axes = plt.subplots(1, 2)
        works = pd.DataFrame({"work_id": ["W1", "W2"], "title": [CJK_TITLE, CJK_NAME]})
        per_year = pd.DataFrame({"work_id": ["W1", "W1", "W2"], "year": [2020, 2021, 2021], "citations": [1, 2, 3],
                                 "definition": "counted citing works"})
        for ax in axes:
            assert pb.plot_citations_per_year(per_year, works=works, ax=ax, title=CJK_TITLE) is ax
        fig.tight_layout()
        axes[1].annotate(CJK_NAME, (2020.5, 1))  # text added to those axes later: given the fallback when drawn
        assert dict(mpl.rcParams) == before
        assert _missing_glyphs(fig) == []
        mine, ours = plt.subplots()[1], axes[0]
        mine.set_title(CJK_TITLE)  # a figure peerbib never drew on keeps matplotlib's fonts: boxes
        assert _missing_glyphs(mine.figure)
        assert ours.title.get_fontfamily()[0] == "DejaVu Sans"
        plt.close("all")
