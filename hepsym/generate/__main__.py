"""``python -m hepsym.generate``: the ``hepsym generate`` command on its own."""

from __future__ import annotations

import sys

from hepsym.generate.cli import main

sys.exit(main())
