"""Input checks shared by the whole package: one function for each, so every refusal reads the same."""

from __future__ import annotations

import numpy as np


def positive_int(value, name: str, meaning: str = "") -> int:
    """``value`` as an int if it is a whole number >= 1 (not a bool); else a ValueError naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        hint = f" ({meaning})" if meaning else ""
        raise ValueError(f"{name} must be a positive int{hint}, got {value!r}")
    return int(value)


def declared_shape(net, attr: str, label: str):
    """``net.input_shape`` or ``net.output_shape``, with a clear error for models that do not declare one."""
    try:
        shape = getattr(net, attr)
    except (AttributeError, ValueError):
        shape = None
    if shape is None or isinstance(shape, list):
        raise ValueError(f"the {label} must be a model with one input and one output declared with keras.Input "
                         f"(as ganlab.models builds them); got {attr}={shape}")  # fmt: skip
    return tuple(shape)
