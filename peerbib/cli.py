"""The ``peerbib`` command: ``peerbib init``, ``fetch``, ``dump index``, ``build``, ``report``, ``network``, ``code``.

Heavy libraries are imported only by the command that needs them. An error
the user can fix is printed on one line, without a traceback, and the command
exits with status 1. Defaults come from :mod:`peerbib.settings`, so the
command and the Python functions agree.
"""
from __future__ import annotations

import argparse
import logging
import re
import sys
from contextlib import contextmanager

from . import settings

__all__ = ["main"]

# C0 and C1 control characters but newline: text from data (a DOI, a title) printed raw could move the cursor,
# retitle the terminal window or hide what came before.
_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f]")


def printable(text) -> str:
    """``text`` with every control character but newline shown as an escape (``\\x1b``), safe for a terminal."""
    return _CONTROL.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), str(text))


def _say(text, *, err: bool = False) -> None:
    print(printable(text), file=sys.stderr if err else sys.stdout)


class _LogLines(logging.StreamHandler):
    """The library's log on stderr: each record a plain line (its control characters escaped, as
    everything the command prints), above a progress bar when one is drawn."""

    def __init__(self):
        super().__init__(sys.stderr)
        self.setFormatter(logging.Formatter("%(message)s"))
        self.setLevel(logging.INFO)

    def format(self, record: logging.LogRecord) -> str:
        return printable(super().format(record))

    def emit(self, record: logging.LogRecord) -> None:
        bars = sys.modules.get("tqdm.std")  # a fetch's bar is drawn on stderr: clear it, write, draw it again
        if bars is None:
            super().emit(record)
            return
        with bars.tqdm.external_write_mode(file=self.stream):
            super().emit(record)


@contextmanager
def _showing_log():
    """The ``peerbib`` logger's INFO and above on stderr while a command runs (the library logs, the command
    prints), and the logger as it was after: nothing is added to the root logger, and a test calling
    :func:`main` twice sees each line once."""
    logger = logging.getLogger("peerbib")
    handler, level = _LogLines(), logger.level
    logger.addHandler(handler)
    if logger.getEffectiveLevel() > logging.INFO:
        logger.setLevel(logging.INFO)
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


def _build(args) -> int:
    import warnings

    from .tables import build

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # printed below, on one line each
        tables = build(args.raw, args.processed)
    _say_built(tables, args.processed, "build")
    return 0


def _say_built(tables, processed, command: str) -> None:
    """What a build did, its warnings (on stderr) and the size of each table."""
    from .paths import project_path
    from .statements.coverage import coverage_totals

    for message in tables.notes:
        _say(message)
    for message in tables.warnings:
        _say(f"peerbib {command}: warning: {message}", err=True)
    _say(f"built {project_path(processed)}: " + ", ".join(f"{name} {len(frame)}" for name, frame in tables.items()))
    totals = coverage_totals(tables)
    imported = totals["statements"] - totals["statements_from_fulltext"]
    if totals["citing_works"] or imported:
        share = f" ({totals['with_fulltext'] / totals['citing_works']:.0%})" if totals["citing_works"] else ""
        _say(f"statements: {totals['statements']} in all; {totals['statements_from_fulltext']} found in the full "
             f"text of {totals['with_fulltext']} of {totals['citing_works']} citing works{share}, "
             f"{totals['with_statements']} of which cite a corpus work in a sentence"
             + (f"; {imported} imported from statement files" if imported else ""))


def _report(args) -> int:
    import warnings

    from .paths import project_path
    from .reporting import check_reports_folder, report
    from .tables import load, needs_build
    from .tables.inputs import one_fingerprint

    check_reports_folder(project_path(args.out), args.raw)  # before a build or a notebook runs
    with one_fingerprint():  # the raw data is fingerprinted once for the whole command
        if needs_build(args.raw, args.processed):  # build first, saying what the build did
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                tables = load(args.processed, raw=args.raw)
            _say_built(tables, args.processed, "report")
        paths = report(args.out, notebooks=args.notebooks, raw=args.raw, processed=args.processed,
                       timeout=args.timeout, progress=not args.quiet, hide_labels=args.hide_labels, only=args.only,
                       with_code=args.with_code)
    for path in paths:
        _say(path)
    return 0


def _fetch(args) -> int:
    from .snapshot import fetch
    from .snapshot.fetch_inputs import corpus_argument

    corpus = corpus_argument(args.corpus)
    api_key = None
    if args.ask_key:
        import getpass

        # Typed at a prompt, the key stays out of the shell history and the process list.
        api_key = getpass.getpass("OpenAlex API key: ").strip() or None
    summary = fetch(
        corpus,
        search=args.search,
        snapshot=args.snapshot,
        citing=args.citing,
        fulltext=args.fulltext,
        scite_tallies=args.scite_tallies,
        references=args.references,
        api_key=api_key,
        email=args.email,
        progress=not args.no_progress,
        source=args.from_dump,
        **settings.settings_from_args(args),
    )
    _say(summary)
    return 0


def _dump(args) -> int:
    from .sources.openalex_dump import build_index

    if args.engine == "spark":
        from .sources.openalex_dump.spark import build_index_spark, spark_session

        session = spark_session(args.spark_master)
        try:
            manifest = build_index_spark(args.dump_dir, args.out, spark=session, progress=not args.quiet)
        finally:
            session.stop()
    else:
        manifest = build_index(args.dump_dir, args.out, memory_limit=args.memory_limit, threads=args.threads,
                               progress=not args.quiet)
    parts = manifest["parts"].values()
    dump = manifest["snapshot"]  # index.json's key for the dump (OpenAlex's word)
    _say(f"indexed {args.out}: {len(parts)} parts, {sum(p['records'] for p in parts):,} records "
         f"(release {dump.get('release')}, {dump.get('layout')} layout, {manifest['engine']})")
    return 0


def _code(args) -> int:
    from .statements.coding import coding_agreement, export_for_coding, read_coding
    from .tables import load

    if args.action == "export":
        import warnings

        statements = load(args.processed).statements
        with warnings.catch_warnings(record=True) as told:
            warnings.simplefilter("always")
            path = export_for_coding(statements, args.out, hide_labels=not args.show_labels, sample=args.sample,
                                     stratify=args.stratify, random_state=args.seed, force=args.force)
        for warning in told:
            _say(f"peerbib code: {warning.message}", err=True)
        import pandas as pd

        rows = len(pd.read_csv(path, dtype="str"))
        _say(f"wrote {path}: {rows} statements to code; fill in the `code` column (supporting, mentioning, "
             "contrasting, unclassified) and run `peerbib code agreement`")
        return 0
    coded = read_coding(args.coded)
    other = read_coding(args.other) if args.other else load(args.processed).statements
    result = coding_agreement(coded, other)
    against = args.other or "the classifier (tables.statements)"
    _say(f"{args.coded} against {against}")
    _say(repr(result))
    _say(result.per_class.round(2).to_string())
    return 0


def _network(args) -> int:
    import warnings

    from .analysis.networks import network
    from .analysis.networks.export import network_files, network_paths
    from .own_files import check_own_file, write_own_files
    from .paths import project_path
    from .tables import load

    out = project_path(args.out)
    for path in network_paths(out, format=args.format):  # a refused path stops it before any work is done
        check_own_file(path, option="--out", force=args.force, raw=args.raw)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a build's warnings: `peerbib build` prints them
        tables = load(args.processed, raw=args.raw)
    net = network(tables, args.kind, unit=args.unit, min_weight=args.min_weight, normalize=args.normalize,
                  top=args.top, communities=not args.no_communities, resolution=args.resolution)
    clusters = net.nodes["cluster"].nunique() if "cluster" in net.nodes and len(net.nodes) else 0
    _say(f"{args.kind} network of {net.unit}: {len(net.nodes):,} nodes, {len(net.edges):,} links, "
         f"{clusters:,} clusters ({net.note})")
    files = network_files(net, out, format=args.format)
    for path in write_own_files(files, option="--out", force=args.force, raw=args.raw):
        _say(f"wrote {project_path(path)}")
    return 0


def _init(args) -> int:
    from .project import init_project

    result = init_project(args.path)
    for line in result.lines():
        _say(line)
    _say(f"peerbib project ready in {result.path}: copy your database exports into "
         f"{result.path / 'data' / 'raw' / 'corpus'}, then run `peerbib fetch` and `peerbib report` there")
    return 0


def _add_dump_command(commands, name: str, *, help: str | None = None, old_name: str | None = None) -> None:
    """``peerbib NAME index``: the command for OpenAlex's dump, listed when it has a ``help``."""
    dump = commands.add_parser(name, **({"help": help} if help else {}))
    actions = dump.add_subparsers(dest="action", metavar="ACTION", required=True)
    index = actions.add_parser(
        "index", help="index a downloaded works dump into slim Parquet files (resumable, incremental)",
        description="Index OpenAlex's works dump, which OpenAlex calls its snapshot (aws s3 sync "
                    "s3://openalex/data/jsonl/works DIR --no-sign-request), with DuckDB: the columns peerbib "
                    "needs, one Parquet file per part. Rerun to resume, or after syncing a later release to "
                    "index only its new parts.")
    index.add_argument("dump_dir", help="the works folder of the dump (holding manifest.json)")
    index.add_argument("--out", required=True, help="the index folder to write")
    index.add_argument("--memory-limit", default=settings.DUMP_MEMORY_LIMIT,
                       help=f"DuckDB's memory limit (default: {settings.DUMP_MEMORY_LIMIT})")
    index.add_argument("--threads", type=int, default=settings.DUMP_THREADS,
                       help=f"DuckDB threads (default: {settings.DUMP_THREADS})")
    index.add_argument("--quiet", action="store_true", help="no line per part")
    index.add_argument("--engine", choices=("duckdb", "spark"), default="duckdb",
                       help="duckdb on this machine (default), or spark (pip install 'peerbib[spark]')")
    index.add_argument("--spark-master", default="local[2]",
                       help="with --engine spark: the Spark master (default: local[2]; a cluster's URL there)")
    dump.set_defaults(run=_dump, old_names_used=[old_name] if old_name else [])


def _add_init(commands) -> None:
    init = commands.add_parser(
        "init", help="make a project folder: data/raw/corpus/ for your exports, notebooks/, a README",
        description="Make (or complete) a peerbib project folder. Nothing that exists is overwritten.")
    init.add_argument("path", nargs="?", default=".", help="the folder (default: the current one)")
    init.set_defaults(run=_init)


def _add_fetch(commands) -> None:
    fetch = commands.add_parser(
        "fetch",
        help=f"fetch the corpus and its citing works from OpenAlex into {settings.SNAPSHOT}",
        description="Fetch corpus works and the works citing them from OpenAlex into a frozen snapshot "
        f"({settings.SNAPSHOT}). The same fetch again makes no request; an interrupted one resumes. "
        "The API key is read from OPENALEX_API_KEY (or asked for with --ask-key).",
    )
    fetch.add_argument("corpus", nargs="*",
                       help="corpus files (CSV/BibTeX/RIS) or DOIs; default: the files in data/raw/corpus/")
    fetch.add_argument("--snapshot", default=settings.SNAPSHOT, help=f"snapshot folder (default: {settings.SNAPSHOT})")
    fetch.add_argument("--search", help="add the results of an OpenAlex search to the corpus (10 credits a page)")
    fetch.add_argument("--citing", action=argparse.BooleanOptionalAction, default=True,
                       help="fetch the works citing the corpus (default: yes)")
    fetch.add_argument("--fulltext", action="store_true",
                       help="download the full text of citing works: Europe PMC JATS (free) where there is "
                            "a PMC id, else OpenAlex GROBID TEI (~100 credits each)")
    fetch.add_argument("--scite-tallies", action="store_true",
                       help="also fetch scite's free citation-type tallies of the corpus DOIs (kept apart "
                            "from peerbib's own classification)")
    fetch.add_argument("--references", action="store_true",
                       help="also look up title, year, venue and DOI of the works the corpus cites that the "
                            "snapshot lacks, 100 a request (1 credit each; the count is shown first), so that "
                            "co-citation maps have labels")
    fetch.add_argument("--email", help="contact address sent to OpenAlex in the request headers")
    fetch.add_argument("--ask-key", action="store_true",
                       help="prompt for the OpenAlex API key instead of reading OPENALEX_API_KEY")
    fetch.add_argument("--no-progress", action="store_true", help="no progress bar")
    fetch.add_argument("--from-dump", "--from-snapshot", metavar="INDEX", dest="from_dump", action=settings.OldName,
                       old="--from-snapshot", new="--from-dump",
                       help="answer every query from an index of OpenAlex's full data dump (peerbib dump index), "
                            "offline, no key (--from-snapshot is its old name)")
    settings.add_setting_flags(fetch)
    fetch.set_defaults(run=_fetch)


def _add_build(commands) -> None:
    build = commands.add_parser("build", help=f"{settings.RAW} -> {settings.PROCESSED}/*.parquet")
    build.add_argument("--raw", default=settings.RAW, help=f"raw folder or a corpus file (default: {settings.RAW})")
    build.add_argument("--processed", default=settings.PROCESSED,
                       help=f"output folder (default: {settings.PROCESSED})")
    build.set_defaults(run=_build)


def _add_report(commands) -> None:
    report = commands.add_parser("report", help="run every notebook and render HTML reports")
    report.add_argument("--out", default=settings.REPORTS, help=f"output folder (default: {settings.REPORTS})")
    report.add_argument("--notebooks", default=None,
                        help=f"folder of notebooks (default: the project's {settings.NOTEBOOKS}/ when it holds "
                             "any, else the notebooks shipped with peerbib)")
    report.add_argument("--raw", default=None,
                        help="raw data to build from when the tables are stale (default: the folder they "
                             f"were built from, else {settings.RAW})")
    report.add_argument("--processed", default=settings.PROCESSED, help=f"tables (default: {settings.PROCESSED})")
    report.add_argument("--timeout", type=int, default=settings.CELL_TIMEOUT,
                        help=f"seconds one cell may run (default: {settings.CELL_TIMEOUT})")
    report.add_argument("--quiet", action="store_true", help="do not print a line per notebook")
    report.add_argument("--hide-labels", action="store_true",
                        help="leave citation-type labels, colours and example statements out of the reports "
                             "(for reviewers screening papers blind)")
    report.add_argument("--only", nargs="+", metavar="NOTEBOOK",
                        help="run only these notebooks (e.g. 01 or 02_citation_types); the other pages stay")
    report.add_argument("--with-code", action="store_true", help="show the code cells (hidden by default)")
    report.set_defaults(run=_report)


def _add_network(commands) -> None:
    net = commands.add_parser(
        "network", help="a science map of the corpus, written for VOSviewer, Gephi, Pajek or a spreadsheet",
        description="Make a network of the built tables (as pb.network) and write it (as pb.export_network): "
                    "KIND is citation, cocitation, coupling, coauthorship or cooccurrence. The format is read "
                    "from the suffix of --out (.txt VOSviewer map + network files, .json VOSviewer Online, "
                    ".gexf Gephi, .graphml, .net Pajek, .csv nodes + edges) unless --format is given.")
    net.add_argument("kind", metavar="KIND", help="citation, cocitation, coupling, coauthorship or cooccurrence")
    net.add_argument("--unit", default="works",
                     help="what a node is: works (default), authors, sources, institutions, countries, keywords, "
                          "mesh or topics, as the kind allows")
    net.add_argument("--min-weight", type=int, default=1, help="drop links weaker than this count (default: 1)")
    net.add_argument("--normalize", choices=("association", "cosine", "jaccard", "inclusion"), default=None,
                     help="link weights normalised (default: counts)")
    net.add_argument("--top", type=int, default=None, help="keep the TOP nodes of most weight (default: all)")
    net.add_argument("--resolution", type=float, default=1.0,
                     help="resolution of the clustering: higher gives more, smaller clusters (default: 1.0)")
    net.add_argument("--no-communities", action="store_true", help="no clusters")
    net.add_argument("--out", required=True, help="the file to write (a stem for formats of two files)")
    net.add_argument("--format", default=None,
                     help="vosviewer, vosviewer-json, gexf, graphml, pajek or csv (default: from --out's suffix)")
    net.add_argument("--force", action="store_true",
                     help="replace files at --out that peerbib did not write (each old file is kept as a .bak)")
    net.add_argument("--raw", default=None,
                     help="raw data to build from when the tables are stale (default: the folder they were built from)")
    net.add_argument("--processed", default=settings.PROCESSED, help=f"tables (default: {settings.PROCESSED})")
    net.set_defaults(run=_network)


def _add_code(commands) -> None:
    code = commands.add_parser("code", help="hand coding of citation statements: export a CSV, measure agreement")
    actions = code.add_subparsers(dest="action", metavar="ACTION", required=True)
    export = actions.add_parser("export", help="write statements to a CSV with an empty `code` column")
    export.add_argument("--out", default="coding.csv", help="the CSV to write (default: coding.csv)")
    export.add_argument("--sample", type=int, help="export this many statements, drawn at random")
    export.add_argument("--stratify", action="store_true",
                        help="over-sample what the classifier calls supporting or contrasting (a third of the sample)")
    export.add_argument("--show-labels", action="store_true", help="include the classifier's type (hidden by default)")
    export.add_argument("--seed", type=int, default=0, help="random seed of the sample (default: 0)")
    export.add_argument("--force", action="store_true",
                        help="overwrite --out even when it holds codes (the old file is kept as a .bak)")
    export.add_argument("--processed", default=settings.PROCESSED, help=f"tables (default: {settings.PROCESSED})")
    agreement = actions.add_parser("agreement", help="kappa and confusion matrix of a coded CSV")
    agreement.add_argument("coded", help="the coded CSV")
    agreement.add_argument("other", nargs="?", help="another coder's CSV (default: the classifier's types)")
    agreement.add_argument("--processed", default=settings.PROCESSED, help=f"tables (default: {settings.PROCESSED})")
    code.set_defaults(run=_code)


def _parser() -> argparse.ArgumentParser:
    """The command line: one function adds each command, in the order ``peerbib --help`` lists them."""
    from . import __version__

    parser = argparse.ArgumentParser(
        prog="peerbib",
        description="Bibliometric analysis of a literature with OpenAlex data: fetch, build tables, render reports.",
    )
    parser.add_argument("--version", action="version", version=f"peerbib {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    _add_init(commands)
    _add_fetch(commands)
    _add_dump_command(commands, "dump", help="index OpenAlex's full data dump (its \"snapshot\") for fetch --from-dump")
    # The old name, for one more release: not listed, and it says so on stderr.
    _add_dump_command(commands, "snapshot", old_name="peerbib snapshot index is the old name of peerbib dump "
                                                     "index, kept for one more release")
    _add_build(commands)
    _add_report(commands)
    _add_network(commands)
    _add_code(commands)
    return parser


def main(argv=None) -> int:
    from .errors import PeerbibError

    args = _parser().parse_args(argv)
    for line in getattr(args, "old_names_used", None) or []:
        _say(line, err=True)
    try:
        with _showing_log():
            return args.run(args)
    except PeerbibError as exc:
        message = re.sub(r"\s*[\r\n]+\s*", " ", str(exc)).strip()  # one line; "ER  - " keeps its spaces
        _say(f"peerbib {args.command}: error: {message}", err=True)
        return 1
    except KeyboardInterrupt:
        _say(f"peerbib {args.command}: interrupted", err=True)
        return 130


if __name__ == "__main__":
    sys.exit(main())
