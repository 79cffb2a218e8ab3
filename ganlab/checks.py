"""ganlab's errors, and the input checks that raise them: one function for each check, so every refusal reads the same.

A user's mistake raises a :class:`GanlabError` subclass (a ``ValueError``, so ``except ValueError`` still works)
whose message says what was received and what to do; the command line prints these in one line, by type, and
lets any other exception surface as the bug it is.

- :class:`BadInput`: an argument, array, file or option that ganlab cannot use;
- :class:`DamagedRun`: a run folder or checkpoint whose files are damaged or incomplete;
- :class:`RefusedResume`: a resume that would contradict the run it continues, or a run folder already in use.
"""

from __future__ import annotations

import numpy as np


class GanlabError(ValueError):
    """A mistake of the user's, not a bug: the message says what was wrong and what to do."""


class BadInput(GanlabError):
    """An argument, array, file or option that ganlab cannot use."""


class DamagedRun(GanlabError):
    """A run folder or checkpoint whose files are damaged or incomplete."""


class RefusedResume(GanlabError):
    """A resume that would contradict the run it continues, or a run folder that another process holds."""


def positive_int(value, name: str, meaning: str = "") -> int:
    """``value`` as an int if it is a whole number >= 1 (not a bool); else a ValueError naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        hint = f" ({meaning})" if meaning else ""
        raise BadInput(f"{name} must be a positive int{hint}, got {value!r}")
    return int(value)


def declared_shape(net, attr: str, label: str):
    """``net.input_shape`` or ``net.output_shape``, with a clear error for models that do not declare one."""
    try:
        shape = getattr(net, attr)
    except (AttributeError, ValueError):
        shape = None
    if shape is None or isinstance(shape, list):
        raise BadInput(f"the {label} must be a model with one input and one output declared with keras.Input "
                         f"(as ganlab.models builds them); got {attr}={shape}")  # fmt: skip
    return tuple(shape)
