"""Column layout of the LHE event record, shared by the reader and the writer.

After the ``<event ...>`` tag comes one header line with six numbers
(NUP IDPRUP XWGTUP SCALUP AQEDUP AQCDUP) and then NUP particle lines of thirteen
numbers (IDUP ISTUP MOTHUP1 MOTHUP2 ICOLUP1 ICOLUP2 PUP1..PUP5 VTIMUP SPINUP);
hep-ph/0609017, arXiv:1405.1067.
"""

from __future__ import annotations

__all__ = ("HEADER_COLUMNS", "INT_COLUMNS", "MOMENTUM_COLUMNS", "PARTICLE_COLUMNS")

#: Columns of the event header line, in file order.
HEADER_COLUMNS = ("nparticles", "process_id", "weight", "scale", "aqed", "aqcd")
#: The integer columns that open a particle line (IDUP ISTUP MOTHUP ICOLUP).
INT_COLUMNS = ("pid", "status", "mother1", "mother2", "color1", "color2")
#: The four-momentum columns that follow them (PUP1..PUP4).
MOMENTUM_COLUMNS = ("px", "py", "pz", "E")
#: Columns of a particle line, in file order. PUP5 is ``gen_mass`` so that ``mass``
#: stays free for the invariant mass computed from the momentum.
PARTICLE_COLUMNS = (*INT_COLUMNS, *MOMENTUM_COLUMNS, "gen_mass", "lifetime", "spin")
