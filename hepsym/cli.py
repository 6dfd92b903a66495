"""The ``hepsym`` command line: a thin layer over the Python API.

Every subcommand catches :class:`~hepsym.errors.HepsymError` only, prints
``hepsym: error: <message>`` and exits 2. Anything else is a bug and keeps its
traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence

from hepsym._version import __version__
from hepsym.errors import HepsymError

__all__ = ("main",)

EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 130


def _add_input(p: argparse.ArgumentParser, *, file_required: bool = True) -> None:
    """Options shared by the commands that read an event file."""
    if file_required:
        p.add_argument("file", help="LHE (.lhe, .lhe.gz) or ROOT (TTree, RNTuple) file")
    else:
        p.add_argument("file", nargs="?", help="LHE or ROOT file (or use --dataset)")
    p.add_argument(
        "--select",
        default=None,
        metavar="QUERY",
        help="particles to study, e.g. 'mu+ mu-', 'l+ l-', '13 -13' "
        "(default: chosen from the file, and said)",
    )
    p.add_argument(
        "--features",
        choices=("p3", "p4", "ptetaphim"),
        default=None,
        help="feature set (default: p3 at lepton colliders, p4 otherwise)",
    )
    p.add_argument(
        "--sqrt-s",
        type=float,
        default=None,
        metavar="GEV",
        help="centre-of-mass energy (needed for ROOT files, overrides LHE <init>)",
    )
    p.add_argument(
        "--collider",
        choices=("ee", "pp"),
        default=None,
        help="beam type when the file does not say (default with --sqrt-s: ee)",
    )
    p.add_argument(
        "--max-events", type=int, default=None, metavar="N", help="read at most N events"
    )
    p.add_argument("--tree", default=None, help="ROOT: TTree or RNTuple name")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of text")


def _prepare(args: argparse.Namespace):
    from hepsym.analysis import prepare

    return prepare(
        args.file,
        select_query=args.select,
        features=args.features,
        sqrt_s=args.sqrt_s,
        collider=args.collider,
        max_events=args.max_events,
        tree=args.tree,
    )


def _print_notes(notes: Sequence[str]) -> None:
    for note in notes:
        print(f"hepsym: {note}", file=sys.stderr)


def _cmd_info(args: argparse.Namespace) -> int:
    from hepsym.io import read
    from hepsym.summary import summarize

    summary = summarize(read(args.file, max_events=args.max_events, tree=args.tree))
    print(json.dumps(summary.to_dict(), indent=2) if args.json else summary)
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
    p.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    p.set_defaults(func=_cmd_info)


def _add_generate(sub: argparse._SubParsersAction) -> None:
    from hepsym import generate

    p = sub.add_parser(
        "generate",
        help="generate e+e- or pp -> mu+ mu- events with Pythia 8 and write LHE",
        description="Generate the paper's collider samples with Pythia 8 (hard process only "
        "by default) and write them as LHE. Needs: pip install 'hepsym[generate]'.",
        epilog="example: hepsym generate ee-mumu --events 10000 --sqrt-s 80 -o ee.lhe.gz",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    generate.add_arguments(p)


def _add_learn_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--ensemble",
        type=int,
        default=15,
        metavar="N",
        help="number of VAEs in the ensemble (default 15)",
    )
    p.add_argument("--epochs", type=int, default=None, metavar="N", help="epochs (default 20)")
    p.add_argument(
        "--latent",
        type=int,
        default=None,
        metavar="N",
        help="latent dimension (default: number of features)",
    )
    p.add_argument("--seed", type=int, default=0, help="ensemble seed (default 0)")
    p.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="progress bar (default: on a terminal)",
    )


#: the paper's latent size for its 2-feature toys (sec. 4.1)
TOY_LATENT = 4


def _vae_config(args: argparse.Namespace):
    from hepsym.vae import VAEConfig

    kw = {}
    if getattr(args, "dataset", None) and args.latent is None:
        kw["latent"] = TOY_LATENT
    if args.epochs is not None:
        kw["epochs"] = args.epochs
    if args.latent is not None:
        kw["latent"] = args.latent
    return VAEConfig(**kw)


def _cmd_learn(args: argparse.Namespace) -> int:
    from hepsym.learn import learn

    fm, notes = _features_for(args)
    _print_notes(notes)
    result = learn(
        fm.X,
        fm.names,
        ensemble=args.ensemble,
        config=_vae_config(args),
        seed=args.seed,
        progress=args.progress,
    )
    print(json.dumps(result.to_dict(), indent=2) if args.json else result)
    return 0


def _add_learn(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "learn",
        help="train a VAE ensemble and count the relevant latents",
        description="Train an ensemble of VAEs on the features of an event file (or a toy "
        "dataset), measure each latent's relevance (paper eq. 4.3) and report the learned "
        "dimension with the fraction of members that agree, and a TwoNN estimate.",
        epilog="examples:\n  hepsym learn data/ee_mumu_80GeV.lhe.gz --ensemble 5\n"
        "  hepsym learn --dataset circle --json",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _add_input(p, file_required=False)
    p.add_argument(
        "--dataset",
        choices=("circle", "square"),
        default=None,
        help="a toy dataset of the paper instead of a file",
    )
    _add_learn_options(p)
    p.set_defaults(func=_cmd_learn)


def _constraint_options(args: argparse.Namespace) -> dict:
    opts: dict = {}
    if args.constraint:
        opts["extra"] = list(args.constraint)
    if args.exclude:
        opts["exclude"] = list(args.exclude)
    if args.resonance is not None:
        opts["resonances"] = [] if args.resonance == ["none"] else list(args.resonance)
    return opts


def _add_constraint_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--constraint",
        action="append",
        default=[],
        metavar="EXPR",
        help="a constraint of your own over feature names, e.g. 'x1**2 + x2**2 = 100' (repeatable)",
    )
    p.add_argument(
        "--exclude",
        action="append",
        default=[],
        metavar="NAME",
        help="drop a candidate by name (m_Z) or kind (resonance) (repeatable)",
    )
    p.add_argument(
        "--resonance",
        nargs="+",
        default=None,
        metavar="NAME",
        help="resonances to test (Z W H t), or 'none' (default: from the content)",
    )


def _toy_features(name: str, seed: int):
    from hepsym.datasets import load_toy
    from hepsym.features import FeatureMatrix

    toy = load_toy(name, seed=seed)
    return FeatureMatrix.from_array(toy.X, toy.names, source=f"toy {name}"), [f"dataset: {toy!r}"]


def _features_for(args: argparse.Namespace):
    if getattr(args, "dataset", None):
        return _toy_features(args.dataset, getattr(args, "seed", 0))
    if not args.file:
        msg = f"{args.command} needs an event FILE or --dataset circle|square"
        raise HepsymError(msg)
    prepared = _prepare(args)
    return prepared.features, list(prepared.notes)


def _cmd_constraints(args: argparse.Namespace) -> int:
    from hepsym.constraints import analyze_constraints

    fm, notes = _features_for(args)
    _print_notes(notes)
    result = analyze_constraints(fm, **_constraint_options(args))
    print(json.dumps(result.to_dict(), indent=2) if args.json else result)
    return 0


def _add_constraints(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "constraints",
        help="find and verify the kinematic constraints; predict the dimension",
        description="Propose the constraints the events could obey (momentum and energy "
        "conservation, on-shell masses, resonance masses, constant features, your own), "
        "verify each on the data (exact / approximate / violated), count the independent "
        "ones (Jacobian rank) and print the predicted and embedding dimensions.",
        epilog="examples:\n  hepsym constraints data/ee_mumu_80GeV.lhe.gz\n"
        "  hepsym constraints data/pp_zmumu_13TeV.lhe.gz --features p4 --json\n"
        "  hepsym constraints --dataset circle",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _add_input(p, file_required=False)
    p.add_argument(
        "--dataset",
        choices=("circle", "square"),
        default=None,
        help="a toy dataset of the paper instead of a file",
    )
    _add_constraint_options(p)
    p.set_defaults(func=_cmd_constraints)


def _cmd_analyze(args: argparse.Namespace) -> int:
    from hepsym.analysis import analyze

    if args.dataset:
        source, notes = _toy_features(args.dataset, args.seed)
        _print_notes(notes)
    else:
        source = args.file
    result = analyze(
        source,
        select=args.select,
        features=args.features,
        sqrt_s=args.sqrt_s,
        collider=args.collider,
        max_events=args.max_events,
        tree=args.tree,
        ensemble=args.ensemble,
        epochs=args.epochs,
        latent=TOY_LATENT if args.dataset and args.latent is None else args.latent,
        seed=args.seed,
        progress=args.progress,
        constraints=_constraint_options(args),
    )
    if not args.json:
        _print_notes(result.notes)
    if args.out:
        out = result.write(args.out)
        if not args.json:
            print(f"hepsym: report written to {out}/report.md", file=sys.stderr)
    print(result.to_json() if args.json else result.summary())
    return 0


def _add_analyze(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "analyze",
        help="constraints, VAE ensemble and verdict for an event file",
        description="Read the events, select particles, find and verify the constraints, "
        "predict the dimension, train a VAE ensemble, and compare: the learned count against "
        "the predicted (manifold) and embedding dimensions and a TwoNN estimate, with the "
        "verdict in words. --out DIR writes result.json, report.md and the figures.",
        epilog="examples:\n  hepsym analyze data/ee_mumu_80GeV.lhe.gz\n"
        "  hepsym analyze data/pp_zmumu_13TeV.lhe.gz --ensemble 15 --out pp-report\n"
        "  hepsym analyze events.root --select 'mu+ mu-' --sqrt-s 13000 --collider pp --json",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _add_input(p, file_required=False)
    p.add_argument(
        "--dataset",
        choices=("circle", "square"),
        default=None,
        help="a toy dataset of the paper instead of a file",
    )
    _add_learn_options(p)
    _add_constraint_options(p)
    p.add_argument(
        "--out",
        default=None,
        metavar="DIR",
        help="write result.json, report.md and figures (PNG, PDF) here",
    )
    p.set_defaults(func=_cmd_analyze)


def _cmd_reproduce(args: argparse.Namespace) -> int:
    from hepsym.reproduce import format_table, reproduce_paper

    rows = reproduce_paper(
        fast=args.fast,
        data_dir=args.data,
        out_dir=args.out,
        ensemble=args.ensemble,
        epochs=args.epochs,
        seed=args.seed,
        progress=args.progress,
        log=lambda line: print(f"hepsym: {line}", file=sys.stderr),
    )
    if args.json:
        print(json.dumps([r.to_dict() for r in rows], indent=2))
    else:
        print(format_table(rows))
        for r in rows:
            print(f"\n{r.title}: {r.result.verdict.text}")
    return 0


def _add_reproduce(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "reproduce",
        help="run the paper's four datasets and compare the counts",
        description="Run the paper's square, circle, e+e- -> mu+mu- and pp -> Z -> mu+mu- "
        "studies with one set of settings and print: dataset, the paper's count, hepsym's "
        "predicted and embedding dimensions, the learned count with agreement, and TwoNN.",
        epilog="examples:\n  hepsym reproduce paper --fast\n"
        "  hepsym reproduce paper --out paper-reproduction",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("what", choices=("paper",), help="what to reproduce")
    p.add_argument(
        "--fast", action="store_true", help="5 VAEs per dataset instead of 15 (about a minute)"
    )
    p.add_argument(
        "--data",
        default="data",
        metavar="DIR",
        help="folder with the shipped samples (generated if missing)",
    )
    p.add_argument("--out", default=None, metavar="DIR", help="write reports and table.md here")
    p.add_argument("--ensemble", type=int, default=None, metavar="N")
    p.add_argument("--epochs", type=int, default=None, metavar="N")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", action="store_true", help="print the table as JSON")
    p.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None)
    p.set_defaults(func=_cmd_reproduce)


_COMMANDS: tuple[Callable[[argparse._SubParsersAction], None], ...] = (
    _add_info,
    _add_generate,
    _add_constraints,
    _add_learn,
    _add_analyze,
    _add_reproduce,
)


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
    except BrokenPipeError:
        # the reader of our output (e.g. `| head`) went away: not an error of ours
        sys.stderr.close()
        return 0
