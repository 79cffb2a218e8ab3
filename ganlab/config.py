"""Run-wide settings: the smoke switch, seeding, and a quiet TensorFlow import.

Importing this module imports TensorFlow quietly (:func:`import_tensorflow`), so every module of ganlab that
touches Keras imports ``config`` first and no C++ log lines reach a notebook's output.

Every notebook and the CLI read one switch, ``GANLAB_SMOKE=1`` (set by ``make test``), that shrinks
training to seconds. Code states its full-length value and its smoke value side by side with
:func:`pick`, so the text a learner reads shows the real setting.
"""

from __future__ import annotations

import contextlib
import os
import sys
from ganlab import checks

SMOKE_ENV = "GANLAB_SMOKE"
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"", "0", "false", "no", "off"}
_banner_shown = False


def is_smoke() -> bool:
    """True when ``GANLAB_SMOKE`` asks for the seconds-long smoke run."""
    value = os.environ.get(SMOKE_ENV, "").strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise checks.BadInput(
        f"{SMOKE_ENV}={os.environ[SMOKE_ENV]!r} is not understood; use {SMOKE_ENV}=1 for the smoke run "
        f"or {SMOKE_ENV}=0 (or leave it unset) for the full run."
    )


def pick(full, smoke):
    """Return ``smoke`` in smoke mode and ``full`` otherwise, e.g. ``EPOCHS = pick(full=30, smoke=1)``."""
    return smoke if is_smoke() else full


def smoke_banner() -> str | None:
    """Print the smoke-mode banner once per process (and return it); do nothing in full mode."""
    global _banner_shown
    if not is_smoke() or _banner_shown:
        return None
    _banner_shown = True
    text = (
        "*** SMOKE MODE (GANLAB_SMOKE=1): training is cut to seconds to test the code. "
        "Results are not meaningful; unset GANLAB_SMOKE for the real run. ***"
    )
    print(text)
    return text


@contextlib.contextmanager
def _silence_fd(fd: int):
    """Send the OS-level file descriptor ``fd`` to /dev/null for the block (C++ log lines bypass Python)."""
    try:
        saved = os.dup(fd)
    except OSError:  # no such descriptor (some embedded interpreters)
        yield
        return
    try:
        sys.stderr.flush()
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), fd)
        yield
    finally:
        os.dup2(saved, fd)
        os.close(saved)


def import_tensorflow():
    """Import TensorFlow without its C++ start-up chatter (CUDA stubs, oneDNN notices, absl warnings).

    Errors and Python warnings still show; only the native log lines printed while importing are dropped.
    """
    if "tensorflow" in sys.modules:
        return sys.modules["tensorflow"]
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    with _silence_fd(2):
        import tensorflow as tf

        tf.get_logger().setLevel("ERROR")
        try:
            import absl.logging

            absl.logging.set_verbosity(absl.logging.ERROR)
        except ImportError:  # absl ships with TensorFlow; tolerate its absence anyway
            pass
        # Initialise the devices and the runtime now, while the C++ log is silenced (cuInit complains here).
        tf.config.list_physical_devices()
        tf.constant(0.0).numpy()
    return tf


def set_seed(seed: int = 42) -> int:
    """Seed Python, NumPy, TensorFlow and Keras so a cell gives the same result on every run."""
    seed = checks.integer(seed, "seed", 0)
    import_tensorflow()
    import keras

    keras.utils.set_random_seed(seed)
    return seed


def versions() -> dict[str, str]:
    """Versions of Python and the libraries the course depends on."""
    tf = import_tensorflow()
    import keras
    import matplotlib
    import numpy

    return {
        "python": sys.version.split()[0],
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "numpy": numpy.__version__,
        "matplotlib": matplotlib.__version__,
    }


def devices() -> dict[str, int]:
    """How many CPUs and GPUs TensorFlow can use."""
    tf = import_tensorflow()
    return {
        "cpu_cores": os.cpu_count() or 1,
        "gpus": len(tf.config.list_physical_devices("GPU")),
    }


def setup(seed: int = 42) -> None:
    """One call for a notebook's Setup cell: quiet TensorFlow, seed everything, show the smoke banner."""
    import_tensorflow()
    set_seed(seed)
    smoke_banner()


# Every module that touches Keras imports this one first: TensorFlow loads here, quietly.
import_tensorflow()
