"""``python -m ganlab``: the command line, whose code is in ``ganlab.cli``."""

import sys

from ganlab.cli.main import main

sys.exit(main())
