"""A relation in the standardised variables, as a formula a physicist reads.

The polynomial is expanded back into the original variables (original units), scaled so
that its first term has coefficient 1 (or its smallest, where that makes every coefficient
an integer), and cleaned: a term whose RMS contribution over the events is below the
relation's own width (approximate) or below 1e-9 of its scale (exact) is dropped, and a
coefficient within 1e-6 (exact) or 2% (approximate) of an integer is written as one, each
step kept only if the cleaned polynomial still holds on the data as well as before.
The constant goes to the right-hand side, with its unit and what it equals where it is a
simple number of the physics (sqrt(s), a mass squared, s/4 - m^2).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from math import comb

import numpy as np

from hepsym.discovery.ideal import Exp, Relation, evaluate

__all__ = ("Polynomial", "expand", "readable")

Poly = dict[Exp, float]


@dataclass(frozen=True)
class Polynomial:
    """A polynomial in the original variables, with its printed form.

    Attributes:
        terms, coefficients: the monomials (exponent vectors) and their coefficients;
            the constant term is part of them.
        constant: the right-hand side: minus the constant term.
        width: std of the left-hand side over the events, in the variables' units.
        formula: the relation as text.
    """

    terms: tuple[Exp, ...]
    coefficients: tuple[float, ...]
    constant: float
    width: float
    formula: str

    def __call__(self, V: np.ndarray) -> np.ndarray:
        """The polynomial (left minus right side) on rows of the variables."""
        return evaluate(V, self.terms) @ np.asarray(self.coefficients)


def _mul(a: Poly, b: Poly) -> Poly:
    out: Poly = {}
    for ea, ca in a.items():
        for eb, cb in b.items():
            e = tuple(x + y for x, y in zip(ea, eb, strict=True))
            out[e] = out.get(e, 0.0) + ca * cb
    return out


def expand(rel: Relation, mean: np.ndarray, std: np.ndarray) -> Poly:
    """The relation as a polynomial of x, where z = (x - mean) / std."""
    f = len(mean)
    total: Poly = {}
    for t, c in zip(rel.terms, rel.coefficients, strict=True):
        p: Poly = {(0,) * f: float(c)}
        for j, e in enumerate(t):
            if not e:
                continue
            # ((x_j - mean_j) / std_j)^e by the binomial theorem
            q: Poly = {}
            for k in range(e + 1):
                ex = tuple(k if i == j else 0 for i in range(f))
                q[ex] = comb(e, k) * (-mean[j]) ** (e - k) / std[j] ** e
            p = _mul(p, q)
        for ex, v in p.items():
            total[ex] = total.get(ex, 0.0) + v
    return total


def _holds(
    poly: Poly, V: np.ndarray, rms_terms: dict[Exp, float], exact: bool, ref: float
) -> tuple[bool, float]:
    terms = list(poly)
    g = evaluate(V, terms) @ np.array([poly[t] for t in terms])
    width = float(np.std(g))
    scale = math.sqrt(sum((poly[t] * rms_terms[t]) ** 2 for t in terms if any(t))) or 1.0
    if exact:
        return width / scale <= max(10 * ref, 1e-12), width
    return width / scale <= 1.05 * ref, width


def readable(
    poly: Poly,
    V: np.ndarray,
    names: Sequence[str],
    display: Sequence[int],
    unit: str,
    exact: bool,
    constants: dict[str, float],
) -> Polynomial:
    """Scale, clean and print one relation; ``V`` holds the variables on (some) events."""
    f = V.shape[1]
    zero = (0,) * f
    terms = [t for t in poly if any(t)]
    rms_terms = {t: math.sqrt(float(np.mean(evaluate(V, [t])[:, 0] ** 2))) for t in poly}
    contrib = {t: abs(poly[t]) * rms_terms[t] for t in terms}
    scale = math.sqrt(sum(c * c for c in contrib.values())) or 1.0
    g0 = evaluate(V, list(poly)) @ np.array(list(poly.values()))
    width0 = float(np.std(g0))
    ref = width0 / scale
    # drop negligible terms (kept only if the relation still holds as well without them)
    floor = 1e-9 * scale if exact else width0
    big = [t for t in terms if contrib[t] > floor] or [max(terms, key=lambda t: contrib[t])]
    kept = {t: poly[t] for t in big} | {zero: poly.get(zero, 0.0)}
    if _holds(kept, V, rms_terms, exact, ref)[0]:
        terms = big
    terms = [t for t in terms if poly[t] != 0]
    lead = max(terms, key=lambda t: (sum(t), *reversed(t)))
    sign = 1.0 if poly[lead] > 0 else -1.0
    order = sorted(terms, key=lambda t: (-sum(t), sign * poly[t] < 0, [-t[j] for j in display]))
    first = order[0]
    poly = {t: poly[t] / poly[first] for t in order} | {zero: poly.get(zero, 0.0) / poly[first]}
    # integer coefficients, first term 1 or smallest 1
    tol = 1e-6 if exact else 0.02
    for norm in _norms(poly, zero):
        scaled = {t: v / norm for t, v in poly.items()}
        rounded = {
            t: (float(round(v)) if t != zero and abs(v - round(v)) <= tol * max(1.0, abs(v)) else v)
            for t, v in scaled.items()
        }
        if all(float(v).is_integer() for t, v in rounded.items() if t != zero):
            ok, _ = _holds(rounded, V, rms_terms, exact, ref)
            if ok:
                poly = rounded
                break
    g = evaluate(V, list(poly)) @ np.array(list(poly.values()))
    rhs = -poly.get(zero, 0.0)
    lhs_scale = math.sqrt(sum((v * rms_terms[t]) ** 2 for t, v in poly.items() if t != zero))
    if exact and abs(rhs) <= 1e-9 * lhs_scale:
        rhs = 0.0
        poly[zero] = 0.0
    lhs = {t: v for t, v in poly.items() if t != zero and v != 0}  # rounded to 0: dropped
    deg = max((sum(t) for t in lhs), default=0)
    # a constant names the particle of the leading term first (m(mu+) for mu+'s on-shell)
    own = [names[j].split("(", 1)[-1].rstrip(")") for j, e in enumerate(lead) if e]
    constants = dict(
        sorted(constants.items(), key=lambda kv: not any(f"({p})" in kv[0] for p in own))
    )
    text = _lhs(lhs, names, display)
    u = f" {unit}" + (f"^{deg}" if deg > 1 else "") if unit else ""
    width = float(np.std(g))
    if exact:
        rhs_text = f"{_num(rhs)}{u if rhs != 0 else ''}"
        what = _recognise(rhs, constants, 1e-6)
        formula = f"{text} = {rhs_text}" + (f" ({what})" if what else "")
    else:
        what = _recognise(rhs, constants, 1e-2)
        formula = f"{text} ~ {_num(rhs)}{u}, spread {width:.3g}{u} (approximate)" + (
            f" ({what})" if what else ""
        )
    return Polynomial(tuple(poly), tuple(poly.values()), rhs, width, formula)


def _norms(poly: Poly, zero: Exp) -> list[float]:
    vals = [abs(v) for t, v in poly.items() if t != zero and v != 0]
    if not vals:
        return [1.0]
    return [1.0, min(vals)]


def _num(x: float) -> str:
    if x == 0:
        return "0"
    if float(x).is_integer() and abs(x) < 1e9:
        return str(int(x))
    return f"{x:.6g}"


def _lhs(lhs: Poly, names: Sequence[str], display: Sequence[int]) -> str:
    out = ""
    for t, v in lhs.items():
        mono = " ".join(names[j] + (f"^{t[j]}" if t[j] > 1 else "") for j in display if t[j])
        sign = "-" if v < 0 else "+"
        mag = abs(v)
        coef = "" if mag == 1 else f"{_num(mag)} "
        out += f" {sign} {coef}{mono}" if out else f"{'-' if v < 0 else ''}{coef}{mono}"
    return out


def _recognise(c: float, constants: dict[str, float], rtol: float) -> str:
    """What a constant equals among simple numbers of the physics."""
    if c == 0:
        return ""
    for name, value in constants.items():
        if value != 0 and abs(c - value) <= rtol * abs(value):
            return f"= {name}"
    return ""
