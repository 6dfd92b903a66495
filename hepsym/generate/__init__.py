"""Collider samples from a real generator: Pythia 8 through the ``pythia8mc`` package.

Three processes, two of them the paper's samples (hard process only unless asked
otherwise):

* ``ee-mumu``: e+ e- -> gamma*/Z -> mu+ mu- at sqrt(s) = 80 GeV (paper sec. 4.2), without
  initial-state radiation (``PDF:lepton = off``): every event has total momentum 0 and
  total energy sqrt(s).
* ``pp-zmumu``: p p -> gamma*/Z -> mu+ mu- at 13 TeV (paper sec. 4.3) in a dimuon mass
  window (60-120 GeV by default), dominated by the on-shell Z.
* ``ee-ww``: e+ e- -> W+ W- at sqrt(s) = 250 GeV, both W's to mu nu_mu (fully leptonic:
  mu- nu_mu~ mu+ nu_mu), without ISR; sqrt(s) must exceed 2 m_W. Other decays with
  ``settings=["24:onIfAny = 11 13"]``.

The events come back as arrays (:class:`GeneratedSample`) and, with ``output``, as an LHE
file written by :func:`hepsym.io.lhe_write.write_lhe`. The same seed gives the same
events and the same bytes on the same machine and Pythia version. Pythia is an optional
dependency: ``pip install "hepsym[generate]"``.

The package, by concept: :mod:`~hepsym.generate.processes` (the processes and their
Pythia settings), :mod:`~hepsym.generate.sample` (:class:`GeneratedSample` and its
conversions), :mod:`~hepsym.generate.pythia` (the event loop, :func:`generate`) and
:mod:`~hepsym.generate.cli` (the ``hepsym generate`` command).

From the shell::

    python -m hepsym.generate ee-mumu --events 10000 --sqrt-s 80 --seed 1 -o out.lhe.gz
"""

from __future__ import annotations

from hepsym.generate.cli import add_arguments, main, run
from hepsym.generate.processes import HARD_PROCESS_ONLY, PROCESSES, ProcessSpec
from hepsym.generate.pythia import RunOptions, generate
from hepsym.generate.sample import GeneratedSample

__all__ = (
    "HARD_PROCESS_ONLY",
    "PROCESSES",
    "GeneratedSample",
    "ProcessSpec",
    "RunOptions",
    "add_arguments",
    "generate",
    "main",
    "run",
)
