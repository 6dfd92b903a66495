"""Symmetries: which transformations leave the events' surface, and their distribution, unchanged.

Two questions, answered apart (``docs/symmetries.md``):

* **the surface** (:mod:`hepsym.symmetry.support`): which linear generators, acting alike
  on every particle's momentum (gl(4), gl(3); gl(n) for custom features), are tangent to
  the surface of the holding constraints: the null space of stacked linear conditions,
  named where it is a known algebra (so(3), so(2) + so(1,1));
* **the distribution** (:mod:`hepsym.symmetry.density`): does a sample transformed by
  finite group elements, or by a discrete map (particle swap, z -> -z, parity), look like
  the original? A kernel two-sample (MMD) permutation test, with one written rule.
"""

from __future__ import annotations

from hepsym.symmetry.find import symmetries
from hepsym.symmetry.result import DensityTest, SupportSymmetry, SymmetryResult, SymmetrySpec

__all__ = ("DensityTest", "SupportSymmetry", "SymmetryResult", "SymmetrySpec", "symmetries")
