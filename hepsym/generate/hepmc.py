"""Pythia 8 events written as HepMC3 ASCII through ``pyhepmc`` (pythia8mc has no HepMC writer).

Each event is Pythia's whole event record (``pythia.event``, entry 0, the system, left
out) as a HepMC3 ``GenEvent``: PDG id, HepMC status from Pythia's ``statusHepMC()``
(1 final state, 4 beam, 2 a hadron or tau that decayed, otherwise Pythia's own |status|,
11..200), four-momentum and generated mass in GeV, and the vertices built from every
particle's ``motherList()`` as Pythia's own ``Pythia8ToHepMC3`` builds them, ordered
topologically by HepMC3's ``add_tree``. The event
weight is Pythia's; the cross-section (pb) is Pythia's running estimate at that event.

The file is written into a temporary file next to the target and renamed into place when
the run ends, so no half-written file is ever left; ``.gz`` names are gzipped (with a
fixed timestamp: the same seed gives the same bytes).
"""

from __future__ import annotations

import contextlib
import gzip
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from hepsym._output import atomic_open
from hepsym.errors import GeneratorError

__all__ = ("HEPMC_SUFFIXES", "HepMCWriter", "is_hepmc_name")

#: file names written as HepMC3 when no format is given
HEPMC_SUFFIXES = (".hepmc", ".hepmc3", ".hepmc.gz", ".hepmc3.gz")
#: significant digits of the numbers written (pyhepmc's default is 16): 1e-10 relative,
#: far below the 1e-4 tolerance of hepsym's momentum checks, and 40% fewer bytes
PRECISION = 10
_INSTALL = 'writing HepMC3 needs pyhepmc, which is not installed: pip install "hepsym[hepmc]"'


def is_hepmc_name(path: str | Path) -> bool:
    """Whether ``path``'s name asks for HepMC3 (``.hepmc``, ``.hepmc3``, either ``.gz``)."""
    return str(path).lower().endswith(HEPMC_SUFFIXES)


def _import_pyhepmc() -> Any:
    try:
        import pyhepmc
    except ImportError as err:
        raise GeneratorError(_INSTALL) from err
    return pyhepmc


class HepMCWriter:
    """Write Pythia events to a HepMC3 file; use as a context manager.

    Args:
        path: the file (``.gz``: gzipped).
        tool: (name, version, description) of the generator, for the run information.
    """

    def __init__(self, path: str | Path, tool: tuple[str, str, str]) -> None:
        self.path = Path(path)
        self._pyhepmc = _import_pyhepmc()
        run = self._pyhepmc.GenRunInfo()
        run.tools = [self._pyhepmc.GenRunInfo.ToolInfo(*tool)]
        run.weight_names = ["Weight"]
        self._run = run
        self._file: Any = None
        self._stack = contextlib.ExitStack()

    def __enter__(self) -> HepMCWriter:  # noqa: PYI034
        with self._stack as stack:
            try:
                raw: IO[bytes] = stack.enter_context(atomic_open(self.path, "wb"))
            except OSError as err:
                msg = f"{self.path}: cannot write HepMC3 file: {err.strerror or err}"
                raise GeneratorError(msg) from err
            f: Any = raw
            if self.path.name.lower().endswith(".gz"):
                f = stack.enter_context(gzip.GzipFile(fileobj=raw, mode="wb", filename="", mtime=0))
            self._file = self._pyhepmc.open(f, "w", precision=PRECISION)
            self._stack = stack.pop_all()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if self._file is not None:
                self._file.close()
        finally:
            self._stack.__exit__(exc_type, exc, tb)

    def write(
        self,
        event: Any,
        number: int,
        weight: float,
        cross_section: tuple[float, float, int, int],
    ) -> None:
        """Write one Pythia ``Event`` as event ``number``.

        Args:
            event: ``pythia.event``.
            number: the event number, from 0.
            weight: the event weight.
            cross_section: (sigma, its error in pb, events accepted, events tried).
        """
        pyhepmc = self._pyhepmc
        n = event.size()
        entries = [event[j] for j in range(1, n)]
        particles = []
        for q in entries:
            part = pyhepmc.GenParticle(
                pyhepmc.FourVector(q.px(), q.py(), q.pz(), q.e()), q.id(), q.statusHepMC()
            )
            part.generated_mass = q.m()
            particles.append(part)
        # Vertices as Pythia8ToHepMC3 builds them: a particle comes out of the end vertex
        # of its first mother that has one; mothers without one go into that vertex.
        ends: list[Any] = [None] * n
        for i, q in enumerate(entries, start=1):
            mothers = [m for m in q.motherList() if m > 0]
            if not mothers:
                continue
            vertex = next((ends[m] for m in mothers if ends[m] is not None), None)
            if vertex is None:
                vertex = pyhepmc.GenVertex()
            for m in mothers:
                if ends[m] is None:
                    vertex.add_particle_in(particles[m - 1])
                    ends[m] = vertex
            vertex.add_particle_out(particles[i - 1])
        g = pyhepmc.GenEvent(pyhepmc.Units.GEV, pyhepmc.Units.MM)
        g.event_number = number
        # add_tree orders the record topologically (Pythia's is not: the incoming
        # partons of the hard process list their initial-state ancestors after them).
        g.add_tree(particles)
        g.run_info = self._run
        g.weights = [float(weight)]
        cs = pyhepmc.GenCrossSection()
        cs.set_cross_section(*cross_section)
        g.cross_section = cs
        self._file.write(g)


@contextlib.contextmanager
def no_writer() -> Iterator[None]:
    """Stands in for a :class:`HepMCWriter` when no HepMC3 file is written."""
    yield None
