"""ganlab's errors, and the input checks that raise them: one function for each check, so every refusal reads the same.

A user's mistake raises a :class:`GanlabError` subclass (a ``ValueError``, so ``except ValueError`` still works)
whose message says what was received and what to do; the command line prints these in one line, by type, and
lets any other exception surface as the bug it is.

- :class:`BadInput`: an argument, array, file or option that ganlab cannot use;
- :class:`DamagedRun`: a run folder or checkpoint whose files are damaged or incomplete;
- :class:`RefusedResume`: a resume that would contradict the run it continues, or a run folder already in use
  (another process holds it, or it holds a run that was not asked to resume);
- :class:`CannotWrite`: a file that could not be written (a full disk, a read-only folder, a folder where a file
  belongs); what was written before is intact.

Three modules name their own kind of these: ``data.DataError`` (missing or damaged data files) is a BadInput,
``checkpoints.DamagedCheckpoint`` a DamagedRun and ``locks.FolderInUse`` a RefusedResume.

The checks, each once, for every module: numbers (``integer`` and its common case ``positive_int``, ``number`` and
``positive_number``; a training run's ``learning_rate``, ``beta`` and ``seed``), choices (``flag``, ``text``,
``one_of``, ``interval``), arrays (``array``, ``finite_array``), images (``pixels``: values in [-1, 1];
``images``: a batch, (N, H, W[, 1]), uint8 scaled) and networks
(``declared_shape``; ``network``, which explains the Keras 3 freeze trap, ``FREEZE_TRAP``).
"""

from __future__ import annotations

import math

import numpy as np


class GanlabError(ValueError):
    """A mistake of the user's, not a bug: the message says what was wrong and what to do."""


class BadInput(GanlabError):
    """An argument, array, file or option that ganlab cannot use."""


class DamagedRun(GanlabError):
    """A run folder or checkpoint whose files are damaged or incomplete."""


class RefusedResume(GanlabError):
    """A resume that would contradict the run it continues, or a run folder in use (held, or holding another run)."""


class CannotWrite(GanlabError):
    """A file could not be written: a full disk, a read-only folder, a folder where the file belongs."""


# The checks. Each takes the value and the name the caller knows it by (and, optionally, what it means), returns
# the value it accepts in the form the caller needs, or raises BadInput saying what it got and what it expects.


def _hint(meaning: str) -> str:
    return f" ({meaning})" if meaning else ""


def integer(value, name: str, low: int = 1, high: int | None = None, meaning: str = "") -> int:
    """``value`` as an int if it is a whole number (not a bool) from ``low`` to ``high`` (None: no upper end)."""
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, np.integer))
        or value < low
        or (high is not None and value > high)
    ):
        if high is not None:
            expected = f"an int from {low:,} to {high:,}"
        else:
            expected = {0: "a non-negative int", 1: "a positive int"}.get(low, f"an int >= {low:,}")
        raise BadInput(f"{name} must be {expected}{_hint(meaning)}, got {value!r}")
    return int(value)


def positive_int(value, name: str, meaning: str = "") -> int:
    """``value`` as an int if it is a whole number >= 1 (not a bool): ``integer``'s most common case."""
    return integer(value, name, 1, meaning=meaning)


def number(value, name: str, low=None, high=None, *, low_open=False, high_open=False, meaning: str = "") -> float:
    """``value`` as a float if it is a finite real number (not a bool) from ``low`` to ``high``.

    Each end is included unless ``low_open`` / ``high_open``; None is no end. ``number(x, "dropout", 0, 1,
    high_open=True)`` accepts [0, 1) and says so: "dropout must be a number in [0, 1), got 1.5".
    """
    real = not isinstance(value, bool) and isinstance(value, (int, float, np.integer, np.floating))
    if not (
        real
        and math.isfinite(value)
        and (low is None or (value > low if low_open else value >= low))
        and (high is None or (value < high if high_open else value <= high))
    ):
        if low is not None and high is not None:
            expected = f"a number in {'(' if low_open else '['}{low}, {high}{')' if high_open else ']'}"
        elif low is not None:
            expected = "a positive number" if low == 0 and low_open else f"a number {'>' if low_open else '>='} {low}"
        elif high is not None:
            expected = f"a number {'<' if high_open else '<='} {high}"
        else:
            expected = "a finite number"
        raise BadInput(f"{name} must be {expected}{_hint(meaning)}, got {value!r}")
    return float(value)


def positive_number(value, name: str, meaning: str = "") -> float:
    """``value`` as a float if it is a finite number > 0 (a time, a std, a span): ``number``'s most common case."""
    return number(value, name, 0, low_open=True, meaning=meaning)


def learning_rate(value, name: str = "lr") -> float:
    """``value`` as a float if it is a learning rate in (0, 1): 0, negatives (gradient ascent) and rates of 1 or
    more, which blow any Adam run apart, are refused."""
    return number(value, name, 0, 1, low_open=True, high_open=True, meaning="a learning rate such as 2e-4")


def beta(value, name: str) -> float:
    """``value`` as a float if it is an Adam beta (a moving average's decay) in [0, 1)."""
    return number(value, name, 0, 1, high_open=True, meaning="Adam's decay, such as 0.5 or 0.999")


def seed(value, name: str = "seed") -> int:
    """``value`` as an int if it can seed NumPy, Python and the backends: a whole number from 0 to 2**32 - 1."""
    return integer(value, name, 0, 2**32 - 1, meaning="a random seed")


def flag(value, name: str, meaning: str = "") -> bool:
    """``value`` if it is True or False (not 0, 1 or "yes", which would hide a mistake)."""
    if not isinstance(value, bool):
        raise BadInput(f"{name} must be True or False{_hint(meaning)}, got {value!r}")
    return value


def text(value, name: str) -> str:
    """``value`` if it is a non-empty string (a model's or a run's name)."""
    if not isinstance(value, str) or not value:
        raise BadInput(f"{name} must be a non-empty string, got {value!r}")
    return value


def one_of(value, name: str, choices) -> object:
    """``value`` if it is one of ``choices`` (a tuple of names or numbers)."""
    try:
        known = value in choices
    except (TypeError, ValueError):  # an array, whose == is element-wise
        known = False
    if not known:
        raise BadInput(f"{name} must be one of {', '.join(map(repr, choices))}, got {value!r}")
    return value


def interval(value, name: str) -> tuple[float, float]:
    """``value`` as (low, high) if it is two finite numbers with low < high (a plot's x range, a grid's extent)."""
    if np.shape(value) != (2,) or not np.all(np.isfinite(np.asarray(value, dtype=float))) or not value[0] < value[1]:
        raise BadInput(f"{name} must be two finite numbers (low, high) with low < high; got {value!r}")
    return float(value[0]), float(value[1])


def array(x, name: str) -> np.ndarray:
    """``x`` as a NumPy array, from an array, a tensor (anything with ``.numpy()``) or a nested list."""
    try:
        return np.asarray(x.numpy() if hasattr(x, "numpy") else x)
    except Exception as err:  # ragged lists and the like
        raise BadInput(f"{name} must be array-like; got {type(x).__name__} ({err})") from None


def finite_array(x, name: str, dtype=np.float64) -> np.ndarray:
    """``x`` as an array of ``dtype`` (float64 unless asked) whose values are all finite: no NaN, no inf."""
    a = array(x, name)
    try:
        a = a.astype(dtype, copy=False)
    except (TypeError, ValueError):
        raise BadInput(f"{name} must hold numbers, got dtype {a.dtype}") from None
    if not np.all(np.isfinite(a)):
        raise BadInput(
            f"{name} holds {np.count_nonzero(~np.isfinite(a))} non-finite values (NaN or inf); expected finite numbers"
        )
    return a


def pixels(x, name: str = "images") -> np.ndarray:
    """``x`` (any shape) as float32 pixels in [-1, 1] if it is finite and within 1e-3 of that range (then clipped)."""
    a = finite_array(x, name, np.float32)
    low, high = (float(a.min()), float(a.max())) if a.size else (0.0, 0.0)
    if low < -1.001 or high > 1.001:
        raise BadInput(
            f"{name} must be in [-1, 1], got values in [{low:.3g}, {high:.3g}]; scale uint8 pixels with "
            "x / 127.5 - 1 (ganlab.data.to_float)"
        )
    return a if -1.0 <= low and high <= 1.0 else np.clip(a, -1.0, 1.0)


def images(x, name: str = "images", size: tuple | None = None) -> np.ndarray:
    """A batch of grayscale images as float32 (N, H, W, 1) in [-1, 1]: what a generator makes and a metric reads.

    Accepts floats in [-1, 1] or uint8 in [0, 255] (scaled as ``data.to_float`` does), of shape (N, H, W) or
    (N, H, W, 1) with N >= 1, and (H, W) == ``size`` if given (the classifier's (28, 28)).
    """
    a = array(x, name)
    shape = a.shape
    if a.dtype == np.uint8:
        a = a.astype(np.float32) / 127.5 - 1.0
    elif not np.issubdtype(a.dtype, np.floating):
        raise BadInput(f"{name} must be floats in [-1, 1] (or uint8 in [0, 255]), got dtype {a.dtype}")
    a = a[..., None] if a.ndim == 3 else a
    h, w = size if size is not None else ("H", "W")
    if a.ndim != 4 or a.shape[-1] != 1 or (size is not None and a.shape[1:3] != tuple(size)):
        raise BadInput(f"{name} must have shape (N, {h}, {w}) or (N, {h}, {w}, 1), got {shape}")
    if a.size == 0:
        raise BadInput(f"{name} is empty (shape {a.shape}); expected at least one image")
    return pixels(a, name)


def declared_shape(net, attr: str, label: str):
    """``net.input_shape`` or ``net.output_shape``, with a clear error for models that do not declare one."""
    try:
        shape = getattr(net, attr)
    except (AttributeError, ValueError):
        shape = None
    if shape is None or isinstance(shape, list):
        raise BadInput(
            f"the {label} must be a model with one input and one output declared with keras.Input "
            f"(as ganlab.models builds them); got {attr}={shape}"
        )
    return tuple(shape)


FREEZE_TRAP = (
    "In Keras 3 `trainable` is read when a model's training step is traced (its first fit/train_on_batch), "
    "not when it is compiled. So the old Keras 2 recipe (compile D, set discriminator.trainable = False, "
    "then build and compile the combined model) freezes D for good: D.train_on_batch later finds no "
    "trainable weights and changes nothing. Keep trainable=True and let ganlab's GAN.train_step update each "
    "network with its own optimizer on its own weights."
)


def network(net, label: str) -> None:
    """Refuse a network that is not a built Keras model or has no trainable weights (the freeze trap)."""
    import keras  # here, not at the top: config must import TensorFlow first, and config imports this module

    if not isinstance(net, keras.Model):
        raise BadInput(f"{label} must be a keras.Model, got {type(net).__name__}")
    if not net.weights:
        raise BadInput(
            f"The {label} {net.name!r} is not built (it has no weights yet). Start it with "
            "keras.Input(...), as ganlab.models' builders do, or call it once on a batch."
        )
    if not net.trainable_weights:
        raise BadInput(
            f"The {label} {net.name!r} has no trainable weights ({net.name}.trainable is False or all its "
            f"layers are frozen), so training could never change it. {FREEZE_TRAP} "
            f"Set {label}.trainable = True before building the GAN."
        )
