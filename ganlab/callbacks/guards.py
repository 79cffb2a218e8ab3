"""When a run must stop: a wall-clock budget, the first NaN, and weights that do not move (the Keras 3
``trainable=False`` trap). Keras callbacks that ``training.train`` puts around ``fit()``.
"""

from __future__ import annotations

import math
import time

from ganlab import config  # first: imports TensorFlow quietly

import keras
import numpy as np

from ganlab import checks
from ganlab.callbacks.progress import fmt


class TrainingDiverged(RuntimeError):
    """A loss or metric became NaN or infinite; training stopped before saving the broken state."""


class FrozenWeightsError(RuntimeError):
    """A network's weights did not move during training: frozen, a zero learning rate, or no gradient."""


class TimeBudget(keras.callbacks.Callback):
    """Stop training at the end of the batch during which ``seconds`` of wall-clock time ran out."""

    def __init__(self, seconds):
        super().__init__()
        self.seconds = checks.positive_number(seconds, "seconds")
        self.triggered, self.epoch, self.partial = False, None, False

    def on_train_begin(self, logs=None):
        self._start = time.perf_counter()
        self.triggered = False

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        if not self.triggered and time.perf_counter() - self._start >= self.seconds:
            self.model.stop_training = True
            steps = self.params.get("steps") if self.params else None
            self.triggered, self.epoch = True, self._epoch + 1
            self.partial = steps is None or batch + 1 < steps


class StopOnNonFinite(keras.callbacks.Callback):
    """Stop at the first batch whose logs hold NaN or inf, and record which metrics, the step and the epoch."""

    def __init__(self):
        super().__init__()
        self.metric = self.metrics = self.step = self.epoch = self.value = None

    @property
    def diverged(self) -> bool:
        return self.metric is not None

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        bad = [k for k, v in (logs or {}).items() if not math.isfinite(float(v))]
        if bad and not self.diverged:
            self.metric, self.metrics, self.value = bad[0], bad, float(logs[bad[0]])
            optimizer = getattr(self.model, "g_optimizer", None)
            self.step = int(optimizer.iterations.numpy()) if optimizer is not None else batch + 1
            self.epoch = self._epoch + 1
            self.model.stop_training = True


class WeightsMustChange(keras.callbacks.Callback):
    """Raise :class:`FrozenWeightsError` if D's or G's trainable weights did not move in ``check_after`` batches."""

    def __init__(self, check_after=1):
        super().__init__()
        checks.positive_int(check_after, "check_after", "batches")
        self.check_after = check_after

    def _networks(self):
        return (("discriminator", self.model.discriminator), ("generator", self.model.generator))

    def on_train_begin(self, logs=None):
        self._seen, self._before = 0, {}
        for label, net in self._networks():
            if not net.trainable_weights:
                raise FrozenWeightsError(
                    f"The {label} has no trainable weights, so training cannot change it. " + checks.FREEZE_TRAP
                )
            self._before[label] = [(w, np.array(w.numpy())) for w in net.trainable_weights]

    def on_train_batch_end(self, batch, logs=None):
        if not self._before:
            return
        self._seen += 1
        if self._seen < self.check_after:
            return
        self.model.discriminator  # noqa: B018  (on JAX, reading .model copies the training state into the weights)
        for label, pairs in self._before.items():
            if all(np.array_equal(w.numpy(), old) for w, old in pairs):
                optimizer = getattr(self.model, "d_optimizer" if label == "discriminator" else "g_optimizer")
                lr = optimizer.learning_rate
                lr = float(lr.numpy() if hasattr(lr, "numpy") else lr)
                raise FrozenWeightsError(
                    f"None of the {label}'s {len(pairs)} trainable weights changed in the first {self._seen} "
                    f"training step(s) (optimizer {type(optimizer).__name__}, learning_rate={fmt(lr)}). "
                    "Look for a learning rate of 0, a loss whose gradient is zero, or a network frozen after "
                    "its training step was traced. " + checks.FREEZE_TRAP
                )
        self._before = None  # checked once; no cost afterwards
