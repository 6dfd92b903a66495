"""The ``hepsym`` command line: a thin layer over the Python API.

Every subcommand catches :class:`~hepsym.errors.HepsymError` only, prints
``hepsym: error: <message>`` and exits 2. Anything else is a bug and keeps its
traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from hepsym._version import __version__
from hepsym.errors import HepsymError

__all__ = ("main",)

EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 130


def _cmd_info(args: argparse.Namespace) -> int:
    from hepsym.io import read
    from hepsym.summary import summarize

    events = read(args.file, max_events=args.max_events, tree=args.tree)
    print(summarize(events))
    return 0


def _add_info(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "info",
        help="what an event file holds: format, events, beams, particles, weights",
        description="Print what an event file holds: format, number of events, the beams "
        "(initial state) if known, the particle content and a weight summary.",
        epilog="example: hepsym info data/external/pylhe-testfile-powheg-box-v2-Z.lhe",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("file", help="LHE (.lhe, .lhe.gz) or ROOT (TTree, RNTuple) file")
    p.add_argument("--max-events", type=int, default=None, help="read at most N events")
    p.add_argument("--tree", default=None, help="ROOT: TTree or RNTuple name")
    p.set_defaults(func=_cmd_info)


_COMMANDS: tuple[Callable[[argparse._SubParsersAction], None], ...] = (_add_info,)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hepsym",
        description="Find the true number of degrees of freedom in collider event data.",
    )
    parser.add_argument("--version", action="version", version=f"hepsym {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks of errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for add in _COMMANDS:
        add(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``hepsym`` command line and return its exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return EXIT_BAD_INPUT
    try:
        return int(args.func(args))
    except HepsymError as err:
        if args.debug:
            raise
        print(f"hepsym: error: {err}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("hepsym: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
