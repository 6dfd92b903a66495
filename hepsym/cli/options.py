"""Options and helpers shared by the ``hepsym`` subcommands."""

from __future__ import annotations

import argparse
import contextlib
import functools
import sys
from collections.abc import Iterator, Sequence
from typing import Any

from hepsym.errors import HepsymError

#: the paper's latent size for its 2-feature toys (sec. 4.1)
TOY_LATENT = 4


def subcommand(
    sub: argparse._SubParsersAction, name: str, summary: str, description: str, *examples: str
) -> argparse.ArgumentParser:
    """Declare a subcommand whose ``--help`` ends with its examples."""
    label = "example" if len(examples) == 1 else "examples"
    return sub.add_parser(
        name,
        help=summary,
        description=description,
        epilog=f"{label}:\n" + "\n".join(f"  {e}" for e in examples),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )


def add_input(p: argparse.ArgumentParser, *, dataset: bool = True) -> None:
    """The event file (or a toy dataset), the selection, the features and the beams."""
    if dataset:
        p.add_argument(
            "file",
            nargs="*",
            help="event files (LHE, HepMC, ROOT, Parquet), quoted globs ('many/*.lhe.gz') "
            "or a fileset (.json {path: tree}, .txt list); or use --dataset",
        )
        p.add_argument(
            "--dataset",
            choices=("circle", "square"),
            default=None,
            help="a toy dataset of the paper instead of a file",
        )
    else:
        add_files(p)
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
    add_bad_event_options(p)
    p.add_argument(
        "--keep-duplicates",
        action="store_true",
        help="study events whose features repeat exactly, too (default: the distinct ones)",
    )
    add_root_options(p)
    add_dask_options(p)
    p.add_argument("--json", action="store_true", help="print one JSON object instead of text")


def add_dask_options(p: argparse.ArgumentParser) -> None:
    """Where the files are read: in process, or one task per file on Dask."""
    p.add_argument(
        "--dask",
        action="store_true",
        help="read, select and build features of each file as a task on a local Dask "
        'cluster (pip install "hepsym[dask]")',
    )
    p.add_argument(
        "--scheduler",
        default=None,
        metavar="ADDRESS",
        help="use the running Dask scheduler at ADDRESS (tcp://host:8786) instead",
    )
    p.add_argument(
        "--dask-workers",
        type=int,
        default=None,
        metavar="N",
        help="worker processes of the local Dask cluster (default: one per two cores)",
    )
    p.add_argument(
        "--skip-bad-files",
        action="store_true",
        help="skip a file that fails to read, and count it (default: stop, naming it)",
    )
    p.add_argument(
        "--sample-events",
        type=int,
        default=None,
        metavar="N",
        help="hold at most N events in one place: above it the stages work on a uniform "
        "sample of N, and the constraint table's counts, fractions, means and spreads are "
        "summed over every event (default 1000000)",
    )


def add_files(p: argparse.ArgumentParser) -> None:
    """One or more event files, globs or filesets (read as one sample)."""
    p.add_argument(
        "file",
        nargs="+",
        help="event files (LHE, HepMC, ROOT, Parquet), quoted globs ('many/*.lhe.gz') "
        "or a fileset (.json {path: tree}, .txt list), read as one sample",
    )


def add_bad_event_options(p: argparse.ArgumentParser) -> None:
    """What to do with damaged input: events with invalid momenta, a truncated LHE file."""
    p.add_argument(
        "--drop-bad-events",
        action="store_true",
        help="drop events with NaN, negative-energy or space-like momenta, and count them "
        "(default: refuse the file, naming the event)",
    )
    p.add_argument(
        "--strict",
        action="store_true",
        help="an LHE file without its closing tag is an error (default: a warning)",
    )


def add_root_options(p: argparse.ArgumentParser) -> None:
    """Which tree and collections of a ROOT file to read; which HepMC statuses."""
    p.add_argument("--tree", default=None, help="ROOT: TTree or RNTuple name")
    p.add_argument(
        "--collections",
        nargs="+",
        default=None,
        metavar="NAME",
        help="ROOT, Parquet: read only these collections, e.g. Muon Electron "
        "(default: all recognised)",
    )
    p.add_argument(
        "--species",
        nargs="+",
        default=None,
        type=_species_item,
        metavar="COLLECTION=SPECIES",
        help="ROOT, Parquet: the species of a collection without a PDG id branch, "
        "e.g. particle=mu (mu, e, tau, gamma or a PDG id)",
    )
    p.add_argument(
        "--statuses",
        nargs="+",
        default=None,
        metavar="STATUS",
        help="HepMC: the particle statuses read (default 1 4: final state and beams; "
        "'all' for the whole record)",
    )


def _species_item(text: str) -> tuple[str, str]:
    name, sep, species = text.partition("=")
    if not sep or not name or not species:
        msg = f"expected COLLECTION=SPECIES, e.g. particle=mu, got {text!r}"
        raise argparse.ArgumentTypeError(msg)
    return name, species


def _statuses(values: Sequence[str] | None) -> Any:
    """``--statuses`` as the spec's value: a tuple of ints, ``None`` for all, or unset."""
    if values is None:
        return None  # with_options leaves the default
    if [v.lower() for v in values] == ["all"]:
        return "all"
    try:
        return tuple(int(v) for v in values)
    except ValueError:
        msg = f"--statuses takes integers or 'all', got {' '.join(values)}"
        raise HepsymError(msg) from None


def add_learn_options(p: argparse.ArgumentParser) -> None:
    """The VAE ensemble's settings."""
    p.add_argument(
        "--ensemble", type=int, default=15, metavar="N", help="number of VAEs (default 15)"
    )
    p.add_argument(
        "--epochs",
        type=int,
        default=None,
        metavar="N",
        help="passes over the training events (default: a fixed budget, 20 passes over "
        "--train-events events, so that a smaller file is passed over more often)",
    )
    p.add_argument(
        "--latent",
        type=int,
        default=None,
        metavar="N",
        help="latent dimension (default: number of features; 4 for the toy datasets)",
    )
    p.add_argument(
        "--hidden",
        type=int,
        nargs="+",
        default=None,
        metavar="N",
        help="hidden layer widths of the encoder, mirrored in the decoder (default 32 32)",
    )
    p.add_argument("--seed", type=int, default=0, help="ensemble seed (default 0)")
    p.add_argument(
        "--train-events",
        type=int,
        default=None,
        metavar="N",
        help="train on a uniform sample of at most N events (default 20000; relevances use all)",
    )
    p.add_argument(
        "--device", default="cpu", help="torch device, e.g. cuda (default cpu; never required)"
    )
    p.add_argument(
        "--threads", type=int, default=None, metavar="N", help="torch threads (default 1)"
    )
    p.add_argument(
        "--workers",
        type=int,
        default=None,
        metavar="N",
        help="processes the ensemble's members are split over (default 1; the same "
        "ensemble, trained on N cores)",
    )
    p.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="progress bar (default: on a terminal)",
    )


def add_constraint_options(p: argparse.ArgumentParser) -> None:
    """The user's own constraints, exclusions and resonances."""
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


def add_discover_options(p: argparse.ArgumentParser) -> None:
    """How far the search for relations from the data alone goes."""
    p.add_argument(
        "--max-degree",
        type=int,
        default=None,
        metavar="N",
        help="relations from the data: highest degree (1 to 6, default 3)",
    )
    p.add_argument(
        "--tolerance",
        type=float,
        default=None,
        metavar="REL",
        help="relations from the data: relative residual of an exact relation "
        "(default 1e-9, or 10x the features' precision)",
    )


def add_force(p: argparse.ArgumentParser) -> None:
    """``--force``: replace an existing output folder whole."""
    p.add_argument(
        "--force",
        action="store_true",
        help="replace an existing --out folder whole (default: refuse to touch it)",
    )


def print_notes(notes: Sequence[str]) -> None:
    """What hepsym chose by itself, on stderr so that ``--json`` output stays clean."""
    for note in notes:
        print(f"hepsym: {note}", file=sys.stderr)


def study_spec(args: argparse.Namespace) -> Any:
    """The :class:`~hepsym.spec.StudySpec` the options ask for: built once, used by every stage."""
    from hepsym.spec import StudySpec

    get = functools.partial(getattr, args)
    if get("dataset", None) and get("file", None):
        msg = f"give an event FILE or --dataset {args.dataset}, not both ({' '.join(args.file)})"
        raise HepsymError(msg)
    latent = get("latent", None)
    if get("dataset", None) and latent is None:
        latent = TOY_LATENT
    resonance = get("resonance", None)
    return StudySpec().with_options(
        path=tuple(get("file", None) or ()) or None,
        select=get("select", None),
        features=get("features", None),
        sqrt_s=get("sqrt_s", None),
        collider=get("collider", None),
        max_events=get("max_events", None),
        keep_duplicates=get("keep_duplicates", None) or None,
        strict=get("strict", None) or None,
        drop_bad_events=get("drop_bad_events", None) or None,
        tree=get("tree", None),
        collections=get("collections", None),
        species=None if get("species", None) is None else dict(args.species),
        statuses=_statuses(get("statuses", None)),
        extra=tuple(get("constraint", ())),
        exclude=tuple(get("exclude", ())),
        resonances=None if resonance is None else ([] if resonance == ["none"] else resonance),
        ensemble=get("ensemble", None),
        epochs=get("epochs", None),
        latent=latent,
        hidden=None if get("hidden", None) is None else tuple(args.hidden),
        seed=get("seed", None),
        train_events=get("train_events", None),
        device=get("device", None),
        threads=get("threads", None),
        workers=get("workers", None),
        progress=get("progress", None),
        out=get("out", None),
        dask=get("dask", None) or None,
        scheduler=get("scheduler", None),
        dask_workers=get("dask_workers", None),
        skip_bad_files=get("skip_bad_files", None) or None,
        sample_events=get("sample_events", None),
        max_degree=get("max_degree", None),
        tolerance=get("tolerance", None),
        discover=get("discover", None),
        symmetries=get("symmetries", None),
    )


@contextlib.contextmanager
def features_for(args: argparse.Namespace, spec: Any) -> Iterator[tuple[Any, tuple[str, ...], Any]]:
    """The feature matrix of ``--dataset`` or of the event file (a sample of a big study),
    the notes, and the study's population (``None``: the features are all of it); a Dask
    cluster stays up while the block runs."""
    if args.dataset:
        from hepsym.datasets import load_toy

        toy = load_toy(args.dataset, seed=spec.seed)
        yield toy.features(), (f"dataset: {toy!r}",), None
        return
    if not args.file:
        msg = f"{args.command} needs an event FILE or --dataset circle|square"
        raise HepsymError(msg)
    from hepsym.cluster import open_study

    with open_study(spec.input, spec.scale, seed=spec.seed) as prepared:
        yield prepared.features, prepared.notes, prepared.population
