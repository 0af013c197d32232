"""The ``peerbib`` command: ``peerbib build``, ``peerbib report`` (and ``peerbib fetch``).

Heavy libraries are imported only by the command that needs them. An error
the user can fix is printed on one line, without a traceback, and the command
exits with status 1.
"""
from __future__ import annotations

import argparse
import sys

__all__ = ["main"]


def _build(args) -> int:
    import warnings

    from .tables import build
    from .paths import project_path

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # printed below, on one line each
        tables = build(args.raw, args.processed)
    for message in tables.warnings:
        print(f"peerbib build: warning: {message}", file=sys.stderr)

    print(f"built {project_path(args.processed)}: " + ", ".join(f"{name} {len(frame)}" for name, frame in tables.items()))
    return 0


def _report(args) -> int:
    from .reporting import report

    paths = report(args.out, notebooks=args.notebooks, raw=args.raw, processed=args.processed,
                   timeout=args.timeout, progress=not args.quiet)
    for path in paths:
        print(path)
    return 0


def _parser() -> argparse.ArgumentParser:
    from . import __version__

    parser = argparse.ArgumentParser(
        prog="peerbib",
        description="Bibliometric analysis of a literature with OpenAlex data: build tables, render reports.",
    )
    parser.add_argument("--version", action="version", version=f"peerbib {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    build = commands.add_parser("build", help="data/raw -> data/processed/*.parquet")
    build.add_argument("--raw", default="data/raw", help="raw folder or a corpus file (default: data/raw)")
    build.add_argument("--processed", default="data/processed", help="output folder (default: data/processed)")
    build.set_defaults(run=_build)

    report = commands.add_parser("report", help="run every notebook and render HTML reports")
    report.add_argument("--out", default="reports", help="output folder (default: reports)")
    report.add_argument("--notebooks", default="notebooks", help="folder of notebooks (default: notebooks)")
    report.add_argument("--raw", default="data/raw")
    report.add_argument("--processed", default="data/processed")
    report.add_argument("--timeout", type=int, default=600, help="seconds one cell may run (default: 600)")
    report.add_argument("--quiet", action="store_true", help="do not print a line per notebook")
    report.set_defaults(run=_report)

    try:
        from .fetching import add_fetch_command
    except ImportError:
        pass
    else:
        add_fetch_command(commands)
    return parser


def main(argv=None) -> int:
    from .errors import PeerbibError

    args = _parser().parse_args(argv)
    try:
        return args.run(args)
    except PeerbibError as exc:
        message = " ".join(str(exc).split())
        print(f"peerbib {args.command}: error: {message}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"peerbib {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
