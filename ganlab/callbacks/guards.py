"""When a run must stop: a budget of steps or wall-clock time, the first NaN, and weights that do not move (the Keras 3
``trainable=False`` trap). Keras callbacks that ``training.train`` puts around ``fit()``.
"""

from __future__ import annotations

import dataclasses
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


class StepBudget(keras.callbacks.Callback):
    """Stop training after exactly ``steps`` batches (generator updates), even in the middle of an epoch."""

    def __init__(self, steps):
        super().__init__()
        self.steps = checks.positive_int(steps, "steps", "generator updates")

    def on_train_begin(self, logs=None):
        self.done = 0

    def on_train_batch_end(self, batch, logs=None):
        self.done += 1
        if self.done >= self.steps:
            self.model.stop_training = True


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


@dataclasses.dataclass
class Budget:
    """How long a run trains, in the unit it was given, as a total that counts resumed training too.

    ``unit`` is "steps" (generator updates: the budget that does not depend on the data's size), "epochs" or
    "seconds"; a steps budget runs as rounds of ``round_steps`` steps (the history's rows, the snapshots' and the
    checkpoints' "epochs"), and its last round may be shorter. A checkpoint records the unit and the round size
    (``record``), so a resume trains exactly what is left, in rounds of the same size, or refuses another unit.
    """

    unit: str
    total: float
    round_steps: int | None = None

    @classmethod
    def of(cls, steps=None, epochs=None, seconds=None, round_steps=None) -> Budget:
        """The one budget given (exactly one of ``steps``, ``epochs``, ``seconds``), checked."""
        if sum(budget is not None for budget in (steps, epochs, seconds)) != 1:
            raise checks.BadInput(
                f"pass exactly one of steps=, epochs= (how many) or seconds= (a time budget); got "
                f"steps={steps!r}, epochs={epochs!r}, seconds={seconds!r}"
            )
        if seconds is not None:
            return cls("seconds", checks.positive_number(seconds, "seconds"))
        if epochs is not None:
            return cls("epochs", checks.positive_int(epochs, "epochs"), round_steps)
        steps = checks.positive_int(steps, "steps", "generator updates in all")
        if round_steps is None:  # rounds of up to 100 steps, equal ones where a divisor of at least 10 allows
            divisor = next(n for n in range(min(steps, 100), 0, -1) if steps % n == 0)
            round_steps = divisor if divisor >= min(10, steps) else min(steps, 100)
        return cls("steps", steps, checks.positive_int(round_steps, "steps_per_epoch", "steps per round"))

    def record(self) -> dict:
        return {"unit": self.unit, "round_steps": self.round_steps}

    def resumed(self, saved: dict | None, where) -> Budget:
        """This budget for a run whose checkpoint recorded ``saved`` (None: a checkpoint from before budgets were
        recorded): the same unit is required, and a steps budget keeps the run's round size."""
        if not saved:
            return self
        if saved.get("unit") != self.unit:
            option = {
                "steps": "steps=N (--steps N)",
                "epochs": "epochs=N (--epochs N)",
                "seconds": "seconds=S (--seconds S)",
            }
            raise checks.RefusedResume(
                f"{where} counts its budget in {saved.get('unit')}, not {self.unit}; resume it with "
                f"{option.get(saved.get('unit'), saved.get('unit'))}, a total that counts what it has trained, or "
                "start a new run in another folder"
            )
        return dataclasses.replace(self, round_steps=saved.get("round_steps") or self.round_steps)

    def left(self, step: int, epoch: int, history: dict) -> float:
        """What is left after ``step`` generator updates, ``epoch`` rounds and the seconds in ``history``."""
        done = {"steps": step, "epochs": epoch, "seconds": (history.get("time_s") or [0.0])[-1]}[self.unit]
        return self.total - done

    def done_text(self, step: int, epoch: int, history: dict) -> str:
        """How much a run has trained, in this budget's unit: "1,200 steps", "12 epochs", "120 s"."""
        done = self.total - self.left(step, epoch, history)
        if self.unit == "seconds":
            return f"{fmt(done)} s"
        return f"{done:,} {self.unit if done != 1 else self.unit[:-1]}"
