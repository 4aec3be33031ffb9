"""``python -m slt_sim`` runs the ``slt-sim`` command line."""

import sys

from slt_sim.cli import main

sys.exit(main())
