"""Write events as a Les Houches Event file through pylhe's own classes.

The file is what pylhe 2.x reads back unchanged: an ``<init>`` block with the beams, the
cross-section and the weighting strategy, and one ``<event>`` per event. Floating-point
numbers are written with 17 significant digits, so every double survives the text round
trip bit for bit and the momentum balance of the generator holds in the file exactly as
it held in memory. Gzip output (chosen by a ``.gz`` suffix) has no time stamp and no file
name in its header: the same events give the same bytes.
"""

from __future__ import annotations

import gzip
import io
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pylhe

from hepsym._output import atomic_open
from hepsym.errors import GeneratorError
from hepsym.io._lhe_format import INT_COLUMNS, MOMENTUM_COLUMNS

__all__ = ("LHE_FORMAT", "LHEHeader", "write_lhe")

#: pylhe output format with round-trip precision (17 significant digits) and no weights block.
LHE_FORMAT = pylhe.LHEXMLFormat(
    weights=pylhe.LHEWeightFormat.NONE,
    eventinfo=("{nparticles:3d} {pid:6d} {weight: .16e} {scale: .16e} {aqed: .16e} {aqcd: .16e}"),
    particle=(
        "{id:9d} {status:3d} {mother1:4d} {mother2:4d} {color1:4d} {color2:4d}"
        " {px: .16e} {py: .16e} {pz: .16e} {e: .16e} {m: .16e} {lifetime: .1f} {spin: .1f}"
    ),
    initinfo=(
        "{beamA: 6d} {beamB: 6d} {energyA: .16e} {energyB: .16e}"
        " {PDFgroupA: 5d} {PDFgroupB: 5d} {PDFsetA: 5d} {PDFsetB: 5d}"
        " {weightingStrategy: 5d} {numProcesses: 5d}"
    ),
    procinfo="{xSection: .16e} {error: .16e} {unitWeight: .16e} {procId: 5d}",
)

#: The columns written, from ``particles``: PUP5 is ``mass`` there.
_PARTICLE_COLUMNS = (*INT_COLUMNS, *MOMENTUM_COLUMNS, "mass")
_EVENT_COLUMNS = ("weight", "scale", "aqed", "aqcd", "process_id")


def _events(
    particles: Mapping[str, np.ndarray], counts: np.ndarray, info: Mapping[str, np.ndarray]
) -> list[pylhe.LHEEvent]:
    cols = {k: np.asarray(particles[k]).tolist() for k in _PARTICLE_COLUMNS}
    for k in INT_COLUMNS:
        cols[k] = [int(v) for v in cols[k]]
    rows = list(
        zip(*(cols[k] for k in _PARTICLE_COLUMNS), strict=True)  # one tuple per particle
    )
    ev = {k: np.asarray(info[k]).tolist() for k in _EVENT_COLUMNS}
    events = []
    start = 0
    for i, count in enumerate(np.asarray(counts).tolist()):
        parts = [
            pylhe.LHEParticle(
                id=pid,
                status=status,
                mother1=m1,
                mother2=m2,
                color1=c1,
                color2=c2,
                px=px,
                py=py,
                pz=pz,
                e=e,
                m=m,
                lifetime=0.0,
                spin=9.0,
            )
            for pid, status, m1, m2, c1, c2, px, py, pz, e, m in rows[start : start + count]
        ]
        start += count
        events.append(
            pylhe.LHEEvent(
                eventinfo=pylhe.LHEEventInfo(
                    nparticles=count,
                    pid=int(ev["process_id"][i]),
                    weight=ev["weight"][i],
                    scale=ev["scale"][i],
                    aqed=ev["aqed"][i],
                    aqcd=ev["aqcd"][i],
                ),
                particles=parts,
            )
        )
    return events


@dataclass(frozen=True)
class LHEHeader:
    """What an LHE file's ``<init>`` block and opening comment say.

    Attributes:
        beam_ids: PDG ids of beam A (+z) and beam B (-z), LHE IDBMUP.
        beam_energies: beam energies in GeV, LHE EBMUP.
        cross_section_pb: total cross-section in pb, LHE XSECUP.
        cross_section_error_pb: its uncertainty in pb, LHE XERRUP.
        process_id: LHE LPRUP of the single process.
        weighting_strategy: LHE IDWTUP (3: unweighted events of weight 1, as Pythia).
        generator: ``(name, version, description)`` for a ``<generator>`` tag, or ``None``.
        comment: text of an XML comment at the top of the file (no ``--``), or ``None``.
    """

    beam_ids: tuple[int, int]
    beam_energies: tuple[float, float]
    cross_section_pb: float
    cross_section_error_pb: float
    process_id: int
    weighting_strategy: int = 3
    generator: tuple[str, str, str] | None = None
    comment: str | None = None

    def init(self) -> pylhe.LHEInit:
        """The header as pylhe's ``LHEInit``."""
        return pylhe.LHEInit(
            initInfo=pylhe.LHEInitInfo(
                beamA=int(self.beam_ids[0]),
                beamB=int(self.beam_ids[1]),
                energyA=float(self.beam_energies[0]),
                energyB=float(self.beam_energies[1]),
                PDFgroupA=0,
                PDFgroupB=0,
                PDFsetA=0,
                PDFsetB=0,
                weightingStrategy=int(self.weighting_strategy),
                numProcesses=1,
            ),
            procInfo=[
                pylhe.LHEProcInfo(
                    xSection=float(self.cross_section_pb),
                    error=float(self.cross_section_error_pb),
                    unitWeight=1.0,
                    procId=int(self.process_id),
                )
            ],
            generators=[] if self.generator is None else [pylhe.LHEGenerator(*self.generator)],
        )


def write_lhe(
    path: str | os.PathLike[str],
    header: LHEHeader,
    *,
    particles: Mapping[str, np.ndarray],
    counts: np.ndarray,
    event_info: Mapping[str, np.ndarray],
) -> Path:
    """Write events to an LHE file, gzipped when the name ends in ``.gz``.

    The file is written to a temporary name next to ``path`` and renamed when complete,
    so an interrupted run leaves no half-written sample behind.

    Args:
        path: output file.
        header: the beams, cross-section, process and comment (:class:`LHEHeader`).
        particles: flat per-particle columns ``pid, status, mother1, mother2, color1,
            color2, px, py, pz, E, mass`` (LHE conventions: status -1 incoming, 2
            intermediate, 1 final; mothers are 1-based positions within the event).
        counts: number of particles of each event.
        event_info: per-event columns ``weight, scale, aqed, aqcd, process_id``.

    Returns:
        The path written.

    Raises:
        GeneratorError: if the file cannot be written.
    """
    path = Path(path)
    lhe = pylhe.LHEFile(
        init=header.init(),
        events=_events(particles, counts, event_info),
        comment=header.comment,
    )
    try:
        with atomic_open(path, "wb") as raw:
            if path.suffix == ".gz":
                # mtime=0 and no file name: identical events give identical bytes.
                with (
                    gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, filename="") as gz,
                    io.TextIOWrapper(gz, encoding="utf-8", newline="\n") as text,
                ):
                    lhe.write(text, lheformat=LHE_FORMAT)
                    text.write("\n")
            else:
                with io.TextIOWrapper(raw, encoding="utf-8", newline="\n") as text:
                    lhe.write(text, lheformat=LHE_FORMAT)
                    text.write("\n")
    except OSError as err:
        msg = f"{path}: cannot write LHE file: {err.strerror or err}"
        raise GeneratorError(msg) from err
    return path
