"""User constraints: a safe expression over feature names, or any Python callable.

Expressions are parsed with :mod:`ast` and evaluated by walking the tree: only numbers,
feature names, ``pi`` and ``e``, the operators ``+ - * / ** %`` and the functions in
:data:`FUNCTIONS` are allowed. Nothing is passed to :func:`eval`.
"""

from __future__ import annotations

import ast
import inspect
import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any, NoReturn, cast

import numpy as np

from hepsym.constraints.base import Constraint, as_float
from hepsym.errors import ConstraintError

__all__ = ("FUNCTIONS", "parse_expression", "user_constraint")

#: the functions an expression may call
FUNCTIONS: dict[str, Callable[..., Any]] = {
    "sqrt": np.sqrt,
    "sin": np.sin,
    "cos": np.cos,
    "tan": np.tan,
    "exp": np.exp,
    "log": np.log,
    "abs": np.abs,
    "sinh": np.sinh,
    "cosh": np.cosh,
    "tanh": np.tanh,
    "arctan2": np.arctan2,
    "hypot": np.hypot,
}
_CONSTANTS = {"pi": math.pi, "e": math.e}
_BINOPS: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: np.add,
    ast.Sub: np.subtract,
    ast.Mult: np.multiply,
    ast.Div: np.divide,
    ast.Pow: np.power,
    ast.Mod: np.mod,
}


class _Expr:
    """A parsed expression: evaluate on columns, list its names and top-level terms."""

    def __init__(self, text: str, tree: ast.expr, names: Sequence[str]) -> None:
        self.text = text
        self.tree = tree
        self.names = tuple(names)

    def __call__(self, X: np.ndarray) -> np.ndarray:
        return self._eval(self.tree, X)

    def _eval(self, node: ast.expr, X: np.ndarray) -> Any:
        if isinstance(node, ast.Constant):
            return float(cast("float", node.value))
        if isinstance(node, ast.Name):
            if node.id in self.names:
                return X[:, self.names.index(node.id)]
            return _CONSTANTS[node.id]
        if isinstance(node, ast.BinOp):
            return _BINOPS[type(node.op)](self._eval(node.left, X), self._eval(node.right, X))
        if isinstance(node, ast.UnaryOp):
            v = self._eval(node.operand, X)
            return -v if isinstance(node.op, ast.USub) else v
        assert isinstance(node, ast.Call)
        assert isinstance(node.func, ast.Name)
        return FUNCTIONS[node.func.id](*(self._eval(a, X) for a in node.args))

    def used(self) -> tuple[str, ...]:
        seen = [n.id for n in ast.walk(self.tree) if isinstance(n, ast.Name)]
        return tuple(dict.fromkeys(n for n in seen if n in self.names))

    def terms(self) -> list[tuple[int, ast.expr]]:
        """The top-level summands with their signs."""
        out: list[tuple[int, ast.expr]] = []

        def split(node: ast.expr, sign: int) -> None:
            if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub)):
                split(node.left, sign)
                split(node.right, sign if isinstance(node.op, ast.Add) else -sign)
            else:
                out.append((sign, node))

        split(self.tree, 1)
        return out

    def eval_terms(self, X: np.ndarray) -> np.ndarray:
        rows = [s * np.broadcast_to(self._eval(t, X), (len(X),)) for s, t in self.terms()]
        return np.stack(rows)

    def sum_of_squares(self) -> tuple[str, ...]:
        """The features x_i if the expression is sum_i x_i**2 over distinct features, else ()."""
        names = []
        for sign, t in self.terms():
            if not (
                sign == 1
                and isinstance(t, ast.BinOp)
                and isinstance(t.op, ast.Pow)
                and isinstance(t.left, ast.Name)
                and t.left.id in self.names
                and isinstance(t.right, ast.Constant)
                and t.right.value == 2
            ):
                return ()
            names.append(t.left.id)
        return tuple(names) if len(set(names)) == len(names) else ()


def _check(node: ast.AST, text: str, names: Sequence[str]) -> None:
    def bad(what: str) -> NoReturn:
        msg = (
            f"expression {text!r}: {what}; allowed are numbers, feature names, + - * / ** %, "
            f"and {', '.join(FUNCTIONS)}"
        )
        raise ConstraintError(msg)

    for n in ast.walk(node):
        if isinstance(n, ast.Constant):
            if isinstance(n.value, bool) or not isinstance(n.value, (int, float)):
                bad(f"constant {n.value!r} is not a number")
        elif isinstance(n, ast.Name):
            if n.id not in names and n.id not in _CONSTANTS and n.id not in FUNCTIONS:
                msg = f"expression {text!r}: no feature {n.id!r}; features are {', '.join(names)}"
                raise ConstraintError(msg)
        elif isinstance(n, ast.Call):
            if not isinstance(n.func, ast.Name) or n.func.id not in FUNCTIONS or n.keywords:
                bad(f"call {ast.unparse(n)!r} is not allowed")
        elif isinstance(n, ast.BinOp):
            if type(n.op) not in _BINOPS:
                bad(f"operator {type(n.op).__name__} is not allowed")
        elif isinstance(n, ast.UnaryOp):
            if not isinstance(n.op, (ast.USub, ast.UAdd)):
                bad(f"operator {type(n.op).__name__} is not allowed")
        elif not isinstance(n, (ast.Expression, ast.Load, ast.operator, ast.unaryop)):
            bad(f"{type(n).__name__} is not allowed")
    for n in ast.walk(node):
        if isinstance(n, ast.Name) and n.id in FUNCTIONS and n.id not in names:
            parents = [p for p in ast.walk(node) if isinstance(p, ast.Call) and p.func is n]
            if not parents:
                bad(f"function {n.id!r} used without a call")


def parse_expression(text: str, names: Sequence[str]) -> _Expr:
    """Parse ``text`` as an arithmetic expression over the feature ``names``.

    Raises:
        ConstraintError: syntax error, a name that is no feature, or a disallowed construct.
    """
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as err:
        msg = f"expression {text!r} is malformed: {err.msg}"
        raise ConstraintError(msg) from err
    _check(tree, text, names)
    return _Expr(text.strip(), tree.body, names)


def _split_equation(text: str) -> tuple[str, str | None]:
    stripped = text.replace("==", "=")
    if stripped.count("=") > 1:
        msg = f"expression {text!r}: at most one '=' (lhs = value)"
        raise ConstraintError(msg)
    if "=" in stripped:
        lhs, rhs = stripped.split("=")
        return lhs.strip(), rhs.strip()
    return stripped.strip(), None


class _Columns(Mapping[str, np.ndarray]):
    """The columns of X by name; a missing name is a :class:`ConstraintError`."""

    def __init__(self, X: np.ndarray, names: Sequence[str], cname: str) -> None:
        self._X, self._names, self._cname = X, tuple(names), cname

    def __getitem__(self, key: str) -> np.ndarray:
        try:
            return self._X[:, self._names.index(key)]
        except ValueError:
            msg = (
                f"constraint {self._cname!r} uses feature {key!r} that does not exist; "
                f"features are {', '.join(self._names)}"
            )
            raise ConstraintError(msg) from None

    def __iter__(self) -> Any:
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)


def user_constraint(
    g: str | Callable[..., Any],
    names: Sequence[str],
    *,
    expected: float | None = None,
    name: str | None = None,
    width: float | None = None,
    scale: float | None = None,
    formula: str | None = None,
) -> Constraint:
    """A constraint given by the user: an expression over feature names, or a callable.

    Args:
        g: an expression such as ``"x1**2 + x2**2"`` or ``"x1**2 + x2**2 = 100"``, or a
            callable. A callable whose parameters are all feature names is called with
            those columns as keywords (``lambda x1, x2: x1 + x2``); otherwise it is called
            with one mapping of all columns by name.
        names: the feature names of the matrix it will act on.
        expected: the value g should take (overrides ``= value``); ``None``: the
            median of g over the data ("g is constant").
        name: identifier in the table (default: the expression, or the callable's name).
        width: the width in the units of g for an approximate constraint.
        scale: the natural scale of g (default: the sum of |terms|, or |g|).
        formula: the condition in words (default: the expression).

    Raises:
        ConstraintError: malformed expression, unknown feature, disallowed construct.
    """
    names = tuple(names)
    if isinstance(g, str):
        lhs, rhs = _split_equation(g)
        expr = parse_expression(lhs, names)
        if rhs is not None and expected is None:
            value = parse_expression(rhs, ())
            expected = as_float(value(np.empty((1, 0))), f"right-hand side of {g!r}")
        sphere = expr.sum_of_squares() if (expected is None or expected > 0) else ()
        return Constraint(
            name=name or expr.text.replace(" ", ""),
            formula=formula
            or (f"{expr.text} = " + ("a constant" if expected is None else f"{expected:.6g}")),
            kind="user",
            func=expr,
            expected=expected,
            width=width,
            scale=scale,
            terms=expr.eval_terms if len(expr.terms()) > 1 else None,
            features=expr.used(),
            sphere=sphere,
        )
    if not callable(g):
        msg = f"a user constraint must be an expression string or a callable, got {g!r}"
        raise ConstraintError(msg)
    cname = str(name or getattr(g, "__name__", "user"))
    if cname == "<lambda>":
        cname = "user"
    try:
        params = list(inspect.signature(g).parameters.values())
    except (TypeError, ValueError):
        params = []
    keyword = (
        bool(params)
        and all(p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY) for p in params)
        and (len(params) > 1 or params[0].name in names)
    )
    if keyword:
        used = tuple(p.name for p in params)
        missing = [u for u in used if u not in names]
        if missing:
            msg = (
                f"constraint {cname!r} uses feature(s) {', '.join(map(repr, missing))} that do "
                f"not exist; features are {', '.join(names)}"
            )
            raise ConstraintError(msg)

        def func(X: np.ndarray) -> np.ndarray:
            return g(**{u: X[:, names.index(u)] for u in used})
    else:
        used = ()

        def func(X: np.ndarray) -> np.ndarray:
            return g(_Columns(X, names, cname))

    return Constraint(
        name=cname,
        formula=formula
        or f"{cname}(features) = " + ("a constant" if expected is None else f"{expected:.6g}"),
        kind="user",
        func=func,
        expected=None if expected is None else as_float(expected, f"expected of {cname!r}"),
        width=width,
        scale=scale,
        features=used,
    )
