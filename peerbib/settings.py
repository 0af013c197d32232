"""Settings: the default folders, and one typed object for how a fetch behaves.

:class:`FetchSettings` holds every knob of :func:`peerbib.fetch` and of the
HTTP client under it; ``pb.fetch(**options)`` fills it from keyword
arguments and the ``peerbib fetch`` command makes its flags from the same
fields (their ``help`` metadata), so a default is written down once.
"""
from __future__ import annotations

import argparse
import warnings
from dataclasses import MISSING, dataclass, field, fields
from typing import Callable

from .errors import FetchError

__all__ = [
    "RAW",
    "PROCESSED",
    "SNAPSHOT",
    "REPORTS",
    "NOTEBOOKS",
    "CELL_TIMEOUT",
    "RANDOM_STATE",
    "MATCH_THRESHOLD",
    "DUMP_MEMORY_GB",
    "DUMP_MEMORY_LIMIT",
    "DUMP_THREADS",
    "OLD_NAMES",
    "FetchSettings",
    "OldName",
    "add_setting_flags",
    "settings_from_args",
]

#: Default folders, relative to the project root (see :func:`peerbib.project_root`).
RAW = "data/raw"
PROCESSED = "data/processed"
SNAPSHOT = "data/raw/openalex"
REPORTS = "reports"
NOTEBOOKS = "notebooks"
#: Seconds one notebook cell may run while a report renders (nbconvert has no default).
CELL_TIMEOUT = 600
#: The seed of everything random in the notebooks (k-means, samples); reports show it.
RANDOM_STATE = 0
#: Title (or abstract) similarity, 0-1, that makes a record without a DOI the same work: the default
#: of a fetch's ``match_threshold``, and what a build (an edited corpus row keeping its match) and
#: full-text matching (a bibliography entry) ask for.
MATCH_THRESHOLD = 0.9
#: The memory and threads peerbib takes by default to index OpenAlex's full data dump
#: (``peerbib dump index``) and to answer a fetch from that index (``fetch --from-dump``):
#: DuckDB's memory limit and threads; with Spark, the driver's memory.
DUMP_MEMORY_GB = 2
DUMP_MEMORY_LIMIT = f"{DUMP_MEMORY_GB}GB"
DUMP_THREADS = 2


def _setting(default, help: str, *, cli: bool = True, metavar: str | None = None):
    return field(default=default, metadata={"help": help, "cli": cli, "metavar": metavar})


@dataclass(frozen=True)
class FetchSettings:
    """How :func:`peerbib.fetch` fetches: sizes, caps, patience and speed.

    Every field is also a keyword argument of ``pb.fetch`` and (but
    ``timeout`` and ``sleep``) a flag of ``peerbib fetch``: ``per_page`` is
    ``--per-page``, ``title_match`` is ``--title-match/--no-title-match``.
    """

    per_page: int = _setting(100, "page size of cursor-paged queries, 1-200 (OpenAlex's newest docs say 100)")
    doi_batch: int = _setting(50, "DOIs (or OpenAlex ids) per lookup request, 1-100 (50 keeps URLs short)")
    cites_batch: int = _setting(100, "corpus works per cites: query, 1-100")
    max_citing: int | None = _setting(None, "keep at most about this many citing-work records (default: all)",
                                      metavar="N")
    max_search: int = _setting(200, "most results a --search keeps (search pages cost 10 credits)")
    title_match: bool = _setting(True, "search OpenAlex for corpus rows without a DOI, by title or abstract "
                                       "(10 credits a search)")
    match_threshold: float = _setting(MATCH_THRESHOLD,
                                      "similarity (0-1) a title/abstract candidate needs to be accepted")
    max_fulltext: int = _setting(100, "most GROBID TEI files to download from OpenAlex (~100 credits each)")
    max_europepmc: int | None = _setting(None, "most JATS files to download from Europe PMC (free; default: all)",
                                         metavar="N")
    europepmc_rate: float = _setting(10.0, "requests per second to Europe PMC")
    scite_rate: float = _setting(2.0, "requests per second to scite (each asks for up to 500 DOIs)")
    refresh: bool = _setting(False, "fetch every query again instead of reusing the snapshot")
    workers: int = _setting(4, "independent queries run on this many threads")
    max_rate: float = _setting(20.0, "requests per second, all threads together (OpenAlex allows up to 100)")
    timeout: float | tuple = _setting((10.0, 60.0), "seconds to connect / to read, per request", cli=False)
    max_retries: int = _setting(5, "retries per request on 403/429/5xx, connection errors and bad bodies")
    backoff: float = _setting(1.0, "first wait (s) between retries without Retry-After; it doubles each time")
    max_backoff: float = _setting(60.0, "longest wait (s) between two attempts chosen by peerbib")
    dump_memory_gb: float = _setting(float(DUMP_MEMORY_GB), "with --from-dump: DuckDB's memory limit in GB")
    dump_threads: int = _setting(DUMP_THREADS, "with --from-dump: DuckDB threads")
    include_xpac: bool = _setting(False, "with --from-dump: keep OpenAlex's XPAC expansion works (the API "
                                         "leaves them out)")
    max_retry_after: float = _setting(900.0, "a Retry-After longer than this (s) stops the fetch instead of waiting")
    save_interval: float = _setting(2.0, "seconds between manifest saves while pages stream in (it is always "
                                         "saved at the end of each phase, on errors and at the end)")
    #: ``sleep(seconds)`` used for every wait; None waits on the fetch's cancel
    #: event (so Ctrl-C ends a long Retry-After at once). An injection point for
    #: callers that schedule waits themselves.
    sleep: Callable | None = _setting(None, "function used for every wait", cli=False)

    def __post_init__(self):
        if not 1 <= int(self.per_page) <= 200:
            raise FetchError(f"per_page={self.per_page}: OpenAlex pages hold 1 to 200 works")
        for name in ("doi_batch", "cites_batch"):
            if not 1 <= int(getattr(self, name)) <= 100:
                raise FetchError(f"{name}={getattr(self, name)}: an OpenAlex OR filter takes 1 to 100 values")
        if int(self.workers) < 1:
            raise FetchError("workers must be at least 1")
        if self.max_citing is not None and int(self.max_citing) < 0:
            raise FetchError("max_citing must be a positive number or None")
        if int(self.max_search) < 0 or int(self.max_fulltext) < 0 or (
                self.max_europepmc is not None and int(self.max_europepmc) < 0):
            raise FetchError("max_search, max_fulltext and max_europepmc must be 0 or more")
        if not 0 < float(self.match_threshold) <= 1:
            raise FetchError("match_threshold is a similarity between 0 and 1")
        if int(self.max_retries) < 0:
            raise FetchError("max_retries must be 0 or more")

    @classmethod
    def from_options(cls, options: dict) -> "FetchSettings":
        """Settings from keyword options; an unknown name is an error listing the valid ones.

        An old name of :data:`OLD_NAMES` is still read, with a FutureWarning naming the new one.
        """
        options = dict(options)
        for old, new in OLD_NAMES.items():
            if old in options:
                if new in options:
                    raise FetchError(f"{old} is the old name of {new}: give {new} only")
                warnings.warn(f"{old} is the old name of {new}; it will not be read after the next release",
                              FutureWarning, stacklevel=3)  # the caller of pb.fetch
                options[new] = options.pop(old)
        names = [f.name for f in fields(cls)]
        unknown = sorted(set(options) - set(names))
        if unknown:
            raise FetchError(f"unknown fetch option(s) {', '.join(unknown)}; valid options: {', '.join(names)}")
        return cls(**options)

    def logged(self) -> dict:
        """The settings that shape what a snapshot holds, for the fetch log in the manifest."""
        keep = ("per_page", "doi_batch", "cites_batch", "max_citing", "max_search", "title_match",
                "match_threshold", "max_fulltext", "max_europepmc", "refresh")
        return {name: getattr(self, name) for name in keep}


#: Settings renamed (old name -> new name), read under their old names for one more release:
#: the ``snapshot_*`` ones named OpenAlex's dump, not peerbib's snapshot.
OLD_NAMES = {"snapshot_memory_gb": "dump_memory_gb", "snapshot_threads": "dump_threads"}


def _flag(name: str) -> str:
    return "--" + name.replace("_", "-")


class OldName(argparse.Action):
    """An option that also answers to its old name: the value is stored as usual and, when the old
    name was typed, ``namespace.old_names_used`` gets a line saying so, for the command to print."""

    def __init__(self, option_strings, dest, *, old: str, new: str, **kwargs):
        super().__init__(option_strings, dest, **kwargs)
        self.old, self.new = old, new

    def __call__(self, parser, namespace, values, option_string=None):
        setattr(namespace, self.dest, values)
        if option_string == self.old:
            used = getattr(namespace, "old_names_used", None) or []
            namespace.old_names_used = [*used, f"{parser.prog}: {self.old} is the old name of {self.new}, "
                                               "kept for one more release"]


def add_setting_flags(parser: argparse.ArgumentParser, settings_class=FetchSettings) -> None:
    """Add one flag per CLI field of ``settings_class`` to ``parser`` (default: not given)."""
    for item in fields(settings_class):
        if not item.metadata.get("cli"):
            continue
        default = item.default if item.default is not MISSING else None
        shown = f" (default: {default})" if default is not None else ""
        if isinstance(default, bool):
            parser.add_argument(_flag(item.name), dest=item.name, action=argparse.BooleanOptionalAction,
                                default=None, help=item.metadata["help"] + shown)
            continue
        kind = float if isinstance(default, float) else int
        parser.add_argument(_flag(item.name), dest=item.name, type=kind, default=None,
                            metavar=item.metadata.get("metavar") or kind.__name__.upper(),
                            help=item.metadata["help"] + shown)
        for old in (old for old, new in OLD_NAMES.items() if new == item.name):
            parser.add_argument(_flag(old), dest=item.name, type=kind, default=None, action=OldName,
                                old=_flag(old), new=_flag(item.name), help=argparse.SUPPRESS)


def settings_from_args(args: argparse.Namespace, settings_class=FetchSettings) -> dict:
    """The options given on the command line (flags left out keep the settings' defaults)."""
    out = {}
    for item in fields(settings_class):
        if item.metadata.get("cli") and getattr(args, item.name, None) is not None:
            out[item.name] = getattr(args, item.name)
    return out
