from __future__ import annotations

import subprocess
import sys

import hepsym


def test_public_names():
    assert set(dir(hepsym)) == set(hepsym.__all__)
    assert hepsym.__version__


def test_python_m_and_console_script_are_the_same_cli():
    out = subprocess.run(
        [sys.executable, "-m", "hepsym", "--version"], capture_output=True, text=True, check=True
    )
    assert hepsym.__version__ in out.stdout
