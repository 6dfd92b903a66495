"""The ``hepsym`` command line: a thin layer over the Python API.

Every subcommand catches :class:`~hepsym.errors.HepsymError` only, prints
``hepsym: error: <message>`` and exits 2. Anything else is a bug and keeps its
traceback. Ctrl-C exits 130, SIGTERM 143; either leaves no partial output. A
:class:`~hepsym.errors.HepsymWarning` is printed as one line, ``hepsym: warning: ...``.
``--debug`` (anywhere on the line) shows the traceback of an error.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
import warnings
from collections.abc import Sequence

from hepsym._version import __version__
from hepsym.cli.commands import COMMANDS
from hepsym.errors import HepsymError, HepsymWarning

_python_showwarning = warnings.showwarning

__all__ = ("build_parser", "main")

EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 130
EXIT_TERMINATED = 143


def _show_warning(
    message: Warning | str, category: type[Warning], *args: object, **kw: object
) -> None:
    """A hepsym warning is one line, ``hepsym: warning: ...``; others as Python prints them."""
    if issubclass(category, HepsymWarning):
        print(f"hepsym: warning: {message}", file=sys.stderr)
    else:
        _python_showwarning(message, category, *args, **kw)  # type: ignore[arg-type]


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


def _terminate(signum: int, frame: object) -> None:
    raise _Terminated


class _Terminated(KeyboardInterrupt):
    """SIGTERM, handled like Ctrl-C: the work stops and leaves no partial output."""


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``hepsym`` command line and return its exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv  # accepted anywhere on the line
    argv = [a for a in argv if a != "--debug"]
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return EXIT_BAD_INPUT
    in_main = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _terminate) if in_main else None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("always", HepsymWarning)
            warnings.showwarning = _show_warning
            return int(args.func(args))
    except HepsymError as err:
        if debug:
            raise
        print(f"hepsym: error: {err}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except _Terminated:
        print("hepsym: terminated", file=sys.stderr)
        return EXIT_TERMINATED
    except KeyboardInterrupt:
        print("hepsym: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # the reader of our output (e.g. `| head`) went away: not an error of ours
        sys.stderr.close()
        return 0
    finally:
        if in_main:
            signal.signal(signal.SIGTERM, previous)
