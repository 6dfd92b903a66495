"""The ``hepsym`` command line: a thin layer over the Python API.

Every subcommand catches :class:`~hepsym.errors.HepsymError` only, prints
``hepsym: error: <message>`` and exits 2. Anything else is a bug and keeps its
traceback. Ctrl-C exits 130.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from hepsym._version import __version__
from hepsym.cli.commands import COMMANDS
from hepsym.errors import HepsymError

__all__ = ("build_parser", "main")

EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 130


def build_parser() -> argparse.ArgumentParser:
    """The ``hepsym`` parser with every subcommand."""
    parser = argparse.ArgumentParser(
        prog="hepsym",
        description="Find the true number of degrees of freedom in collider event data.",
    )
    parser.add_argument("--version", action="version", version=f"hepsym {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks of errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for add in COMMANDS:
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
    except BrokenPipeError:
        # the reader of our output (e.g. `| head`) went away: not an error of ours
        sys.stderr.close()
        return 0
