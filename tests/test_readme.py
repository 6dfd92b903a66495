"""The README's Python examples run as written (from a folder holding data/)."""

from __future__ import annotations

import re
from pathlib import Path

import matplotlib as mpl

mpl.use("Agg")

ROOT = Path(__file__).resolve().parent.parent


def test_readme_python_blocks_run(tmp_path, monkeypatch, capsys):
    blocks = re.findall(r"```python\n(.*?)```", (ROOT / "README.md").read_text(), re.DOTALL)
    assert len(blocks) >= 2
    (tmp_path / "data").symlink_to(ROOT / "data")
    monkeypatch.chdir(tmp_path)
    code = "\n".join(blocks).replace("ensemble=15", "ensemble=2")  # the same code, fewer VAEs
    namespace: dict[str, object] = {}
    exec(compile(code, "README.md", "exec"), namespace)  # noqa: S102 (our own README)
    out = capsys.readouterr().out
    assert "predicted dimension" in out
    assert (tmp_path / "pp-report" / "report.md").exists()
    assert (tmp_path / "result.json").exists()
    assert namespace["result"].constraints.predicted_dim == 3
