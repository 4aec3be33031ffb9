"""Imported first by every benchmark: puts this checkout's root on ``sys.path``.

So ``python benchmarks/NAME.py`` runs the repository's own slt_sim whether or not the package is
installed — e.g. on a GPU machine that brings its own JAX — and never a different installed copy.
"""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
