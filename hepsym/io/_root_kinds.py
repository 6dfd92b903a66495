"""What shape each branch of a ROOT tree (or column of a Parquet file) has, from its header.

A branch is ``"jagged"`` (a list of numbers per event), ``"scalar"`` (one number per
event) or ``"other"`` (split objects, arrays, strings): all that
:mod:`hepsym.io._root_naming` needs to recognise collections, told without reading data.
"""

from __future__ import annotations

from typing import Any

import awkward as ak
import uproot

__all__ = ("branch_kinds", "form_kind")


def branch_kinds(obj: Any, *, rntuple: bool) -> dict[str, str]:
    """Branch name to ``"jagged"``, ``"scalar"`` or ``"other"``, from the tree's header.

    A plain ``TBranch`` of one numeric leaf is told by its leaf (a ``fLeafCount``
    makes it jagged), which costs a fraction of ``uproot``'s full interpretation;
    anything else (split objects, arrays, strings) gets that interpretation.
    """
    kinds: dict[str, str] = {}
    if rntuple:
        form = obj.to_akform()[0]
        for name, content in zip(form.fields, form.contents, strict=True):
            kinds[name] = form_kind(content)
            kinds.update(_record_kinds(name, content))
    else:
        for name, branch in obj.iteritems(recursive=True):
            kinds[name] = _leaf_kind(branch) or _interpretation_kind(branch)
    return kinds


#: Leaf classes of one number per entry (or per particle with a counter leaf).
_NUMERIC_LEAVES = frozenset(
    ("TLeafB", "TLeafS", "TLeafI", "TLeafL", "TLeafF", "TLeafD", "TLeafO", "TLeafG")
)


def _leaf_kind(branch: Any) -> str | None:
    """The kind of a plain one-leaf numeric branch, ``None`` for anything else."""
    if branch.classname != "TBranch" or branch.member("fBranches"):
        return None
    leaves = branch.member("fLeaves")
    if len(leaves) != 1 or leaves[0].classname not in _NUMERIC_LEAVES:
        return None
    leaf = leaves[0]
    if leaf.member("fLen") != 1:
        return None
    return "scalar" if leaf.member("fLeafCount") is None else "jagged"


def form_kind(form: ak.forms.Form) -> str:
    """The kind of a column of an awkward form (an RNTuple field, a Parquet column)."""
    if isinstance(form, ak.forms.NumpyForm) and not form.inner_shape:
        return "scalar"
    if isinstance(form, (ak.forms.ListOffsetForm, ak.forms.ListForm)):
        inner = form.content
        if isinstance(inner, ak.forms.NumpyForm) and not inner.inner_shape:
            return "jagged"
    return "other"


def _record_kinds(name: str, form: ak.forms.Form) -> dict[str, str]:
    """``record.field`` kinds of an RNTuple record field (as ``uproot`` writes ``ak.zip``)."""
    jagged = isinstance(form, (ak.forms.ListOffsetForm, ak.forms.ListForm))
    record = form.content if jagged else form
    if not isinstance(record, ak.forms.RecordForm):
        return {}
    return {
        f"{name}.{field}": ("jagged" if jagged else "scalar")
        if isinstance(content, ak.forms.NumpyForm) and not content.inner_shape
        else "other"
        for field, content in zip(record.fields, record.contents, strict=True)
    }


def _interpretation_kind(branch: Any) -> str:
    try:
        interp = branch.interpretation
    except uproot.interpretation.identify.UnknownInterpretation:
        return "other"
    if isinstance(interp, uproot.AsDtype) and interp.inner_shape == ():
        return "scalar"
    if isinstance(interp, uproot.AsJagged):
        content = interp.content
        if isinstance(content, uproot.AsDtype) and content.inner_shape == ():
            return "jagged"
    return "other"
