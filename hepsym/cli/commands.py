"""The ``hepsym`` subcommands: each an ``add_*`` that declares it and a ``cmd_*`` that runs it."""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Callable, Sequence
from typing import Any

from hepsym._output import OutputFolder, dumps
from hepsym.cli.options import (
    add_bad_event_options,
    add_constraint_options,
    add_discover_options,
    add_files,
    add_force,
    add_input,
    add_learn_options,
    add_root_options,
    features_for,
    print_notes,
    study_spec,
    subcommand,
)
from hepsym.errors import HepsymError

__all__ = ("COMMANDS",)


def _show(args: argparse.Namespace, notes: Sequence[str], result: Any) -> int:
    """The notes (after the work, so that an error stays one line), then the result."""
    print_notes(notes)
    print(dumps(result.to_dict()) if args.json else result)
    return 0


def cmd_info(args: argparse.Namespace) -> int:
    from hepsym.io import read
    from hepsym.summary import summarize

    spec = study_spec(args).input
    events = read(spec.path, spec.reading())
    summary = summarize(events)
    print(dumps(summary.to_dict()) if args.json else summary)
    return 0


def add_info(sub: argparse._SubParsersAction) -> None:
    p = subcommand(
        sub,
        "info",
        "what an event file holds: format, events, beams, particles, weights",
        "Print what an event file holds: format, number of events, the beams (initial state) "
        "if known, the particle content and a weight summary.",
        "hepsym info data/external/pylhe-testfile-powheg-box-v2-Z.lhe",
    )
    add_files(p)
    p.add_argument("--max-events", type=int, default=None, help="read at most N events")
    add_root_options(p)
    add_bad_event_options(p)
    p.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    p.set_defaults(func=cmd_info)


def add_generate(sub: argparse._SubParsersAction) -> None:
    from hepsym import generate

    p = subcommand(
        sub,
        "generate",
        "generate e+e- -> mu+ mu-, pp -> Z -> mu+ mu- or e+e- -> W+W- events with Pythia 8",
        "Generate the paper's collider samples (ee-mumu, pp-zmumu) or e+e- -> W+W- -> mu nu "
        "mu nu (ee-ww; any other process through --set) with Pythia 8 and write them as LHE (hard "
        "process only by default) or HepMC3 (--format hepmc3 or a .hepmc3 name: showered "
        "and hadronised by default, --no-shower for the hard process). "
        "Needs: pip install 'hepsym[generate]' (and 'hepsym[hepmc]' for HepMC3).",
        "hepsym generate ee-mumu --events 10000 --sqrt-s 80 -o ee.lhe.gz",
        "hepsym generate pp-zmumu --events 1000 --format hepmc3 -o pp.hepmc3.gz",
        "hepsym generate ee-ww --events 5000 -o ww.lhe.gz",
    )
    generate.add_arguments(p)


def cmd_constraints(args: argparse.Namespace) -> int:
    from hepsym.constraints import analyze_constraints

    spec = study_spec(args)
    with features_for(args, spec) as (fm, notes, population):
        result = analyze_constraints(fm, spec.constraints, seed=spec.seed, population=population)
    return _show(args, notes, result)


def add_constraints(sub: argparse._SubParsersAction) -> None:
    p = subcommand(
        sub,
        "constraints",
        "find and verify the kinematic constraints; predict the dimension",
        "Propose the constraints the events could obey (momentum and energy conservation, "
        "on-shell masses, resonance masses, constant features, your own), verify each on the "
        "data (exact / approximate / violated), count the independent ones (Jacobian rank) and "
        "print the predicted and embedding dimensions.",
        "hepsym constraints data/ee_mumu_80GeV.lhe.gz",
        "hepsym constraints data/pp_zmumu_13TeV.lhe.gz --features p4 --json",
        "hepsym constraints --dataset circle",
    )
    add_input(p)
    add_constraint_options(p)
    p.set_defaults(func=cmd_constraints)


def cmd_discover(args: argparse.Namespace) -> int:
    from hepsym.discovery import discover

    spec = study_spec(args)
    with features_for(args, spec) as (fm, notes, _):
        d = spec.discovery
        result = discover(fm, max_degree=d.max_degree, tolerance=d.tolerance, seed=spec.seed)
    return _show(args, notes, result)


def add_discover(sub: argparse._SubParsersAction) -> None:
    p = subcommand(
        sub,
        "discover",
        "discover the polynomial relations of the data alone; their dimension",
        "Find the polynomials that vanish on the events (approximate vanishing ideal, degree "
        "by degree), print each as a formula in the original units (exact or approximate, with "
        "its relative residual and width), the dimension they leave (Jacobian rank and Hilbert "
        "function) and which named constraint each one is. See docs/discover.md.",
        "hepsym discover data/ee_mumu_80GeV.lhe.gz",
        "hepsym discover data/pp_zmumu_13TeV.lhe.gz --features p4 --json",
        "hepsym discover --dataset circle",
    )
    add_input(p)
    add_discover_options(p)
    p.add_argument("--seed", type=int, default=0, help="seed of the shuffle (default 0)")
    p.set_defaults(func=cmd_discover)


def cmd_learn(args: argparse.Namespace) -> int:
    from hepsym.learning import learn_features, start_workers

    spec = study_spec(args)
    start_workers(spec.learn)  # ready by the time the features are
    with features_for(args, spec) as (fm, notes, population):
        result = learn_features(fm, spec.learn, population=population)
    return _show(args, (*notes, *result.notes), result)


def add_learn(sub: argparse._SubParsersAction) -> None:
    p = subcommand(
        sub,
        "learn",
        "train a VAE ensemble and count the relevant latents",
        "Train an ensemble of VAEs on the features of an event file (or a toy dataset), "
        "measure each latent's relevance (paper eq. 4.3) and report the learned dimension with "
        "the fraction of members that agree, and a TwoNN estimate.",
        "hepsym learn data/ee_mumu_80GeV.lhe.gz --ensemble 5",
        "hepsym learn --dataset circle --json",
    )
    add_input(p)
    add_learn_options(p)
    p.set_defaults(func=cmd_learn)


def cmd_analyze(args: argparse.Namespace) -> int:
    from hepsym._workers import warm, workers_for

    spec = study_spec(args)
    warm(workers_for(spec.learn))  # its imports on the core this one's leave idle
    from hepsym.analysis import analyze
    from hepsym.report import write_files

    # the output is planned before the work: a bad --out fails now, not after the training
    out = OutputFolder(spec.out, force=args.force) if spec.out is not None else None
    notes: tuple[str, ...] = ()
    if args.dataset:
        with features_for(args, spec) as (source, notes, _):
            pass
    elif spec.input.path is not None:
        source = spec.input.path
    else:
        msg = "analyze needs an event FILE or --dataset circle|square"
        raise HepsymError(msg)
    with out or contextlib.nullcontext():
        result = analyze(source, spec)
        if out is not None:
            assert out.staging is not None
            write_files(result, out.staging)
    if not args.json:
        print_notes((*notes, *result.notes))
    if out is not None and not args.json:
        print(f"hepsym: report written to {out.path}/report.md", file=sys.stderr)
    print(result.to_json() if args.json else result.summary())
    return 0


def add_analyze(sub: argparse._SubParsersAction) -> None:
    p = subcommand(
        sub,
        "analyze",
        "constraints, VAE ensemble and verdict for an event file",
        "Read the events, select particles, find and verify the constraints, predict the "
        "dimension, train a VAE ensemble, and compare: the learned count against the predicted "
        "(manifold) and embedding dimensions and a TwoNN estimate, with the verdict in words. "
        "--out DIR writes result.json, report.md and the figures.",
        "hepsym analyze data/ee_mumu_80GeV.lhe.gz",
        "hepsym analyze data/pp_zmumu_13TeV.lhe.gz --ensemble 15 --out pp-report",
        "hepsym analyze events.root --select 'mu+ mu-' --sqrt-s 13000 --collider pp --json",
    )
    add_input(p)
    add_learn_options(p)
    add_constraint_options(p)
    p.add_argument(
        "--out",
        default=None,
        metavar="DIR",
        help="write result.json, report.md and figures (PNG, PDF) into this new folder",
    )
    add_force(p)
    p.add_argument(
        "--discover",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="also find the polynomial relations from the data alone (default: on)",
    )
    add_discover_options(p)
    p.add_argument(
        "--symmetries",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="also find the symmetries of the surface and the distribution (default: on)",
    )
    p.set_defaults(func=cmd_analyze)


def cmd_symmetries(args: argparse.Namespace) -> int:
    from hepsym.constraints import analyze_constraints
    from hepsym.symmetry import SymmetrySpec, symmetries

    spec = study_spec(args)
    # checked before the work: a bad --n-test fails now
    settings = SymmetrySpec(
        seed=spec.seed, n_test=args.n_test, n_perm=args.permutations, alpha=args.alpha
    )
    with features_for(args, spec) as (fm, notes, population):
        constraints = analyze_constraints(
            fm, spec.constraints, seed=spec.seed, population=population
        )
        result = symmetries(fm, settings, constraints=constraints)
    return _show(args, notes, result)


def add_symmetries(sub: argparse._SubParsersAction) -> None:
    p = subcommand(
        sub,
        "symmetries",
        "which transformations leave the events' surface, and their distribution, unchanged",
        "Find the linear generators (gl(4) on four-momenta, gl(3) on three-momenta, gl(n) on "
        "custom features) tangent to the surface of the holding constraints, name their "
        "algebra (so(3), so(2) + so(1,1)), then test each one, and the discrete maps (particle "
        "swap, C x P, z -> -z, parity), on the distribution with a two-sample permutation test: "
        "symmetric iff p >= --alpha.",
        "hepsym symmetries data/ee_mumu_80GeV.lhe.gz",
        "hepsym symmetries data/pp_zmumu_13TeV.lhe.gz --json",
        "hepsym symmetries --dataset square",
    )
    add_input(p)
    add_constraint_options(p)
    p.add_argument("--seed", type=int, default=0, help="seed of every random choice (default 0)")
    p.add_argument(
        "--n-test",
        type=int,
        default=1000,
        metavar="N",
        help="events per half in a test (default 1000)",
    )
    p.add_argument(
        "--permutations",
        type=int,
        default=500,
        metavar="N",
        help="permutations per test (default 500)",
    )
    p.add_argument(
        "--alpha", type=float, default=0.01, help="symmetric iff p >= alpha (default 0.01)"
    )
    p.set_defaults(func=cmd_symmetries)


def cmd_reproduce(args: argparse.Namespace) -> int:
    from hepsym.reproduce import format_table, reproduce_paper

    rows = reproduce_paper(
        fast=args.fast,
        data_dir=args.data,
        out_dir=OutputFolder(args.out, force=args.force) if args.out is not None else None,
        ensemble=args.ensemble,
        epochs=args.epochs,
        seed=args.seed,
        progress=args.progress,
        log=lambda line: print(f"hepsym: {line}", file=sys.stderr),
    )
    if args.json:
        print(dumps([r.to_dict() for r in rows]))
    else:
        print(format_table(rows))
        for r in rows:
            print(f"\n{r.title}: {r.result.verdict.text}")
    return 0


def add_reproduce(sub: argparse._SubParsersAction) -> None:
    p = subcommand(
        sub,
        "reproduce",
        "run the paper's four datasets and compare the counts",
        "Run the paper's square, circle, e+e- -> mu+mu- and pp -> Z -> mu+mu- studies with one "
        "set of settings and print: dataset, the paper's count, hepsym's predicted and "
        "embedding dimensions, the learned count with agreement, and TwoNN.",
        "hepsym reproduce paper --fast",
        "hepsym reproduce paper --out paper-reproduction",
    )
    p.add_argument("what", choices=("paper",), help="what to reproduce")
    p.add_argument(
        "--fast", action="store_true", help="5 VAEs per dataset instead of 15 (about a minute)"
    )
    p.add_argument(
        "--data",
        default=None,
        metavar="DIR",
        help="folder with the shipped samples (default: data/ if it holds them, else generated)",
    )
    p.add_argument(
        "--out", default=None, metavar="DIR", help="write reports and table.md into this new folder"
    )
    add_force(p)
    p.add_argument("--ensemble", type=int, default=None, metavar="N")
    p.add_argument("--epochs", type=int, default=None, metavar="N")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", action="store_true", help="print the table as JSON")
    p.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None)
    p.set_defaults(func=cmd_reproduce)


COMMANDS: tuple[Callable[[argparse._SubParsersAction], None], ...] = (
    add_info,
    add_generate,
    add_constraints,
    add_discover,
    add_learn,
    add_analyze,
    add_reproduce,
    add_symmetries,
)
