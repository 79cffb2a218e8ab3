"""Running a generator: the one place that turns noise z (and, for a conditional generator, digit labels) into images.

:func:`run_generator` runs a generator on given noise z; :func:`draw` makes the noise from a seed first. Both take
any of the course's generators: a Keras generator (``G(z)`` or ``G([z, label])``, e.g. a loaded
``generator.keras``), a ``GAN`` or a ``ConditionalGAN`` (its ``sampler``: the weight average with ``ema``). Every
caller goes through them (``GAN.sample``, ``metrics.class_accuracy``, ``conditional.plot_digit``, the CLI, the
snapshot callback): inference mode (BatchNorm's moving statistics), in chunks, outside any gradient recording,
NumPy out on every backend. A conditional generator given no labels gets :func:`default_labels`, the one label
rule: the digits in order, a row per digit in a grid of 100.
"""

from __future__ import annotations

from ganlab import config  # first: imports TensorFlow quietly

import keras
import numpy as np
from keras import ops

from ganlab import autodiff, checks

N_CLASSES = 10


def default_labels(n) -> np.ndarray:
    """Labels in order, ``arange(n) * 10 // n``: for n = 100, ten 0s, ten 1s, ..., a row per digit."""
    n = checks.positive_int(n, "n")
    return (np.arange(n) * N_CLASSES // n).astype(np.int32)


def check_labels(labels, n) -> np.ndarray:
    """``labels`` as int32 of shape (n,) (one int is repeated n times), each a digit 0..9, or a ValueError."""
    y = np.asarray(labels)
    if y.dtype.kind not in "iu":
        raise checks.BadInput(f"labels must be integers (digits 0 to 9), got dtype {y.dtype}")
    y = np.full(n, y, dtype=np.int64) if y.ndim == 0 else y
    if y.shape != (n,):
        raise checks.BadInput(f"labels must have shape ({n},), one digit per image, got {y.shape}")
    if n and (y.min() < 0 or y.max() >= N_CLASSES):
        raise checks.BadInput(f"labels must be digits 0..9, got values from {y.min()} to {y.max()}")
    return y.astype(np.int32)


def _network(generator) -> keras.Model:
    """The Keras network that draws for ``generator``: a GAN's ``sampler``, or a Keras generator itself."""
    net = getattr(generator, "sampler", generator)  # a GAN or ConditionalGAN (duck-typed: gan imports this module)
    if not isinstance(net, keras.Model) or not getattr(net, "inputs", None):
        raise checks.BadInput(
            f"generator must be a GAN or a built Keras model with declared inputs, got {type(generator).__name__}"
        )
    return net


def run_generator(generator, z, labels=None, batch_size: int = 500) -> np.ndarray:
    """G(z), or G(z, labels) for a generator taking [z, label], as NumPy images in [-1, 1] (inference mode)."""
    net = _network(generator)
    batch_size = checks.positive_int(batch_size, "batch_size")
    conditional = len(net.inputs) == 2
    latent = tuple(net.inputs[0].shape[1:])
    z = checks.finite_array(z, "z", np.float32)
    if z.ndim != 1 + len(latent) or z.shape[1:] != latent or len(z) == 0:
        raise checks.BadInput(f"z must have shape (n, {', '.join(map(str, latent))}), got {z.shape}")
    if labels is not None and not conditional:
        raise checks.BadInput(f"labels are for a conditional generator ([z, label]); {net.name!r} takes z only")
    y = check_labels(default_labels(len(z)) if labels is None else labels, len(z)) if conditional else None
    chunks = []
    with autodiff.no_grad():
        for i in range(0, len(z), batch_size):
            inputs = z[i : i + batch_size] if y is None else [z[i : i + batch_size], y[i : i + batch_size]]
            chunks.append(ops.convert_to_numpy(net(inputs, training=False)))
    return np.concatenate(chunks)


def draw(generator, n, *, labels=None, seed=0) -> np.ndarray:
    """``n`` images G(z) with noise z ~ N(0, I) from ``seed`` (the same z for the same seed, whatever the model).

    A conditional generator draws ``labels`` (n digits, or one digit for all), by default ``default_labels(n)``.
    """
    n, net = checks.positive_int(n, "n"), _network(generator)
    z = np.random.default_rng(seed).standard_normal((n, *net.inputs[0].shape[1:]))  # (n, latent_dim)
    return run_generator(net, z, labels)
