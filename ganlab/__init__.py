"""ganlab: the companion package of the GAN course.

Modules, one concept each: ``config`` (smoke switch, seeds, quiet TensorFlow), ``data`` (MNIST that works
offline), and the engine modules that build on them. Importing ``ganlab`` imports TensorFlow quietly first,
so no C++ log lines reach a notebook's output.
"""

import os
import sys

from ganlab import config

# The command line (python -m ganlab, where argv[0] is "-m" while the package loads, or the installed ganlab
# command) checks its arguments first and imports TensorFlow only when a command needs it.
if sys.argv[:1] != ["-m"] and os.path.basename(sys.argv[0] if sys.argv else "") != "ganlab":
    config.import_tensorflow()

__version__ = "0.1.0"
