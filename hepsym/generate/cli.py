"""The ``hepsym generate`` command: its options, and ``python -m hepsym.generate``."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence

from hepsym.errors import HepsymError
from hepsym.generate.processes import PROCESSES
from hepsym.generate.pythia import OUTPUT_FORMATS, generate

__all__ = ("add_arguments", "main", "run")


def add_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Add the ``generate`` options to ``parser`` and set ``func=run`` as its default."""
    parser.add_argument("process", choices=list(PROCESSES), help="process to generate")
    parser.add_argument(
        "-n", "--events", type=int, default=10_000, help="number of events (default 10000)"
    )
    parser.add_argument(
        "--sqrt-s",
        type=float,
        default=None,
        metavar="GEV",
        help="centre-of-mass energy in GeV (default: "
        + ", ".join(f"{spec.sqrt_s:g} for {name}" for name, spec in PROCESSES.items())
        + ")",
    )
    parser.add_argument("--seed", type=int, default=1, help="Pythia random seed (default 1)")
    parser.add_argument(
        "--mass-window",
        type=float,
        nargs=2,
        default=None,
        metavar=("LOW", "HIGH"),
        help="mass window of the pair made (mu+ mu-, W+ W-) in GeV (default: 60 120 for pp-zmumu)",
    )
    parser.add_argument(
        "--set",
        dest="settings",
        action="append",
        default=[],
        metavar="'KEY = VALUE'",
        help="extra Pythia setting, applied last (repeatable), e.g. 'PartonLevel:all = on'",
    )
    parser.add_argument(
        "-o",
        "--output",
        required=True,
        help="file to write: .lhe, .hepmc3 (HepMC3 ASCII), either with .gz for gzip",
    )
    parser.add_argument(
        "--format",
        dest="output_format",
        choices=OUTPUT_FORMATS,
        default=None,
        help="output format (default: hepmc3 for names ending .hepmc, .hepmc3 or those "
        "with .gz, otherwise lhe)",
    )
    parser.add_argument(
        "--shower",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="run parton showers, multiparton interactions and hadronisation (default: "
        "on for hepmc3, realistic final states; off for lhe, the hard process)",
    )
    parser.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="show a progress bar (default: for long runs on a terminal)",
    )
    parser.set_defaults(func=run)
    return parser


def run(args: argparse.Namespace) -> int:
    """Generate and write the sample described by parsed ``args``; print one summary line."""
    start = time.perf_counter()
    sample = generate(
        args.process,
        args.events,
        sqrt_s=args.sqrt_s,
        seed=args.seed,
        mass_window=tuple(args.mass_window) if args.mass_window else None,
        settings=args.settings,
        output=args.output,
        progress=args.progress,
        output_format=args.output_format,
        shower=args.shower,
    )
    total = time.perf_counter() - start
    print(
        f"wrote {len(sample)} {sample.process} events at sqrt(s) = {sample.sqrt_s:g} GeV "
        f"(seed {sample.seed}, sigma = {sample.cross_section_pb:.6g} pb) to {sample.path} "
        f"in {total:.2f} s"
    )
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m hepsym.generate``: the ``hepsym generate`` command on its own."""
    parser = argparse.ArgumentParser(
        prog="python -m hepsym.generate",
        description="Generate e+e- or pp -> mu+ mu- or e+e- -> W+W- events with Pythia 8 and "
        "write LHE or HepMC3.",
    )
    add_arguments(parser)
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except HepsymError as err:
        print(f"hepsym: error: {err}", file=sys.stderr)
        return 2
