"""ganlab: the companion package of the GAN course.

Modules, one concept each: ``config`` (smoke switch, seeds, quiet TensorFlow), ``data`` (MNIST that works
offline), and the engine modules that build on them. Importing ``ganlab`` imports TensorFlow quietly first,
so no C++ log lines reach a notebook's output.
"""

from ganlab import config

config.import_tensorflow()

__version__ = "0.1.0"
