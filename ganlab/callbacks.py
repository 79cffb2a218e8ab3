"""Keras callbacks that ``training.train`` puts around ``fit()``; each also works on its own with a GAN.

Snapshots of a fixed noise batch, checkpoints, a wall-clock budget, a guard that stops at the first NaN, a
guard against frozen weights (the Keras 3 ``trainable=False`` trap), and a compact progress line for notebooks.
"""

from __future__ import annotations

import math
import time

from ganlab import config  # noqa: F401  (first: imports TensorFlow quietly)

import keras
import numpy as np

from ganlab import checkpoints, data

FREEZE_TRAP = (
    "In Keras 3 `trainable` is read when a model's training step is traced (its first fit/train_on_batch), "
    "not when it is compiled. So the old Keras 2 recipe (compile D, set discriminator.trainable = False, then "
    "build and compile the combined model) freezes D for good: D.train_on_batch later finds no trainable "
    "weights and changes nothing. Keep trainable=True and let ganlab's GAN.train_step update each network "
    "with its own optimizer on its own weights."
)


class TrainingDiverged(RuntimeError):
    """A loss or metric became NaN or infinite; training stopped before saving the broken state."""


class FrozenWeightsError(RuntimeError):
    """A network's weights did not move during training: frozen, a zero learning rate, or no gradient."""


def _finite(logs) -> bool:
    """True when every value in a Keras logs dict is a finite number."""
    return all(math.isfinite(float(v)) for v in (logs or {}).values())


def _fmt(value: float) -> str:
    """A float to 3 significant figures, without exponents for ordinary magnitudes: 0.876, 12.3, 1234."""
    value = float(value)
    if math.isfinite(value) and abs(value) >= 100:
        return f"{value:.0f}"
    return f"{value:#.3g}"


def _to_uint8(images) -> np.ndarray:
    """``data.to_uint8`` for snapshots: NaN becomes mid-grey and inf is clipped, so a frame never fails."""
    x = np.nan_to_num(np.asarray(images, dtype=np.float32), nan=0.0, posinf=1.0, neginf=-1.0)
    return data.to_uint8(np.clip(x, -1.0, 1.0))


def _nice_interval(epochs_per_line: float) -> int:
    """The smallest of 1, 2, 5, 10, 20, 25, 50, 100, ... epochs between lines that is at least ``epochs_per_line``."""
    nice = [m * 10**e for e in range(9) for m in (1, 2, 2.5, 5) if float(m * 10**e).is_integer()]
    return int(next(n for n in nice if n >= epochs_per_line))


class RecordHistory(keras.callbacks.Callback):
    """Append each finite epoch's logs, its 1-based number and the cumulative time to a dict of lists."""

    def __init__(self, history=None, time_offset=0.0):
        super().__init__()
        self.history = {} if history is None else history
        self.time_offset = float(time_offset)
        self.epoch = None  # the epoch running now, 0-based

    def on_train_begin(self, logs=None):
        self._start = time.perf_counter()

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_epoch_end(self, epoch, logs=None):
        if not _finite(logs):
            return
        order = [m.name for m in getattr(self.model, "metrics", [])]  # d_loss, g_loss, ... not alphabetical
        keys = sorted(logs, key=lambda k: order.index(k) if k in order else len(order))
        row = {"epoch": epoch + 1, **{k: float(logs[k]) for k in keys}}
        row["time_s"] = self.time_offset + time.perf_counter() - self._start
        for key, value in row.items():
            self.history.setdefault(key, []).append(value)


class FixedNoiseSnapshots(keras.callbacks.Callback):
    """Generate images from the same noise every ``every`` epochs (and once before training) as uint8 frames."""

    def __init__(self, fixed_noise, every=1, frames=None, frame_epochs=None, include_initial=True):
        super().__init__()
        if isinstance(every, bool) or not isinstance(every, int) or every < 1:
            raise ValueError(f"every must be a positive int (epochs between snapshots), got {every!r}")
        self.fixed_noise = np.asarray(fixed_noise, dtype=np.float32)
        self.every, self.include_initial = every, include_initial
        self.frames = [] if frames is None else frames
        self.frame_epochs = [] if frame_epochs is None else frame_epochs

    def snapshot(self, epoch_label: int) -> None:
        images = self.model(self.fixed_noise, training=False)  # (N, 28, 28, 1) in [-1, 1]
        self.frames.append(_to_uint8(images))
        self.frame_epochs.append(int(epoch_label))

    def on_train_begin(self, logs=None):
        self._last_finite = None

    def on_epoch_begin(self, epoch, logs=None):
        if self.include_initial and not self.frames:
            self.snapshot(epoch)  # the untrained generator (epoch 0 on a fresh run)

    def on_epoch_end(self, epoch, logs=None):
        self._last_finite = epoch + 1 if _finite(logs) else None
        if self._last_finite and self._last_finite % self.every == 0:
            self.snapshot(epoch + 1)

    def on_train_end(self, logs=None):
        # Also keep the final generator when the run stopped between two snapshot epochs.
        if self._last_finite and (not self.frame_epochs or self.frame_epochs[-1] != self._last_finite):
            self.snapshot(self._last_finite)


class Checkpointing(keras.callbacks.Callback):
    """Save a full checkpoint every ``every`` epochs (and at the end of training) with ``checkpoints.save_checkpoint``.

    ``history`` is the dict of lists to store (recorded here from the epoch logs if None); ``snapshots`` a
    :class:`FixedNoiseSnapshots` whose noise and frames go into the checkpoint too. Epochs whose logs hold
    NaN or inf are never saved.
    """

    def __init__(self, directory, every=1, history=None, snapshots=None, keep=2):
        super().__init__()
        if isinstance(every, bool) or not isinstance(every, int) or every < 1:
            raise ValueError(f"every must be a positive int (epochs between checkpoints), got {every!r}")
        self.directory, self.every, self.keep, self.snapshots = directory, every, keep, snapshots
        self._own_history = history is None
        self.history = {} if history is None else history
        self.last_path, self.last_epoch = None, None

    def on_train_begin(self, logs=None):
        self._pending = None  # the newest finite epoch not saved yet

    def _save(self, epoch: int) -> None:
        snaps = self.snapshots
        self.last_path = checkpoints.save_checkpoint(
            self.model, self.directory, epoch=epoch, history=self.history,
            fixed_noise=None if snaps is None else snaps.fixed_noise,
            frames=() if snaps is None else snaps.frames,
            frame_epochs=() if snaps is None else snaps.frame_epochs,
            keep=self.keep,
        )  # fmt: skip
        self.last_epoch, self._pending = epoch, None

    def on_epoch_end(self, epoch, logs=None):
        if not _finite(logs):
            self._pending = None  # the weights are broken now; keep the last good checkpoint
            return
        if self._own_history:
            for key, value in {"epoch": epoch + 1, **logs}.items():
                self.history.setdefault(key, []).append(float(value))
        self._pending = epoch + 1
        if (epoch + 1) % self.every == 0:
            self._save(epoch + 1)

    def on_train_end(self, logs=None):
        if self._pending is not None:
            self._save(self._pending)


class TimeBudget(keras.callbacks.Callback):
    """Stop training at the end of the batch during which ``seconds`` of wall-clock time ran out."""

    def __init__(self, seconds):
        super().__init__()
        if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or not seconds > 0:
            raise ValueError(f"seconds must be a positive number, got {seconds!r}")
        self.seconds = float(seconds)
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
        if isinstance(check_after, bool) or not isinstance(check_after, int) or check_after < 1:
            raise ValueError(f"check_after must be a positive int (batches), got {check_after!r}")
        self.check_after = check_after

    def _networks(self):
        return (("discriminator", self.model.discriminator), ("generator", self.model.generator))

    def on_train_begin(self, logs=None):
        self._seen, self._before = 0, {}
        for label, net in self._networks():
            if not net.trainable_weights:
                raise FrozenWeightsError(f"The {label} has no trainable weights, so training cannot change it. "
                                         + FREEZE_TRAP)  # fmt: skip
            self._before[label] = [(w, np.array(w.numpy())) for w in net.trainable_weights]

    def on_train_batch_end(self, batch, logs=None):
        if not self._before:
            return
        self._seen += 1
        if self._seen < self.check_after:
            return
        for label, pairs in self._before.items():
            if all(np.array_equal(w.numpy(), old) for w, old in pairs):
                optimizer = getattr(self.model, "d_optimizer" if label == "discriminator" else "g_optimizer")
                lr = optimizer.learning_rate
                lr = float(lr.numpy() if hasattr(lr, "numpy") else lr)
                raise FrozenWeightsError(
                    f"None of the {label}'s {len(pairs)} trainable weights changed in the first {self._seen} "
                    f"training step(s) (optimizer {type(optimizer).__name__}, learning_rate={_fmt(lr)}). "
                    "Look for a learning rate of 0, a loss whose gradient is zero, or a network frozen after "
                    "its training step was traced. " + FREEZE_TRAP
                )
        self._before = None  # checked once; no cost afterwards


class ProgressLine(keras.callbacks.Callback):
    """Print ``epoch 3/20  d_loss 1.23  g_loss 0.876  D(x) 0.612  D(G(z)) 0.401  12.3 s`` lines (about 20 at most).

    verbose=0 prints nothing, 1 prints a line per reported epoch, 2 adds a text bar redrawn with '\\r' during
    each epoch. ``every`` fixes the epochs between lines; by default it is chosen so about ``max_lines`` print.
    """

    COLUMNS = (("d_loss", "d_loss"), ("g_loss", "g_loss"), ("d_real", "D(x)"), ("d_fake", "D(G(z))"))

    def __init__(self, total_epochs=None, seconds=None, every=None, verbose=1, time_offset=0.0, max_lines=20):
        super().__init__()
        if verbose not in (0, 1, 2):
            raise ValueError(f"verbose must be 0, 1 or 2, got {verbose!r}")
        self.total_epochs, self.seconds, self.every, self.verbose = total_epochs, seconds, every, verbose
        self.time_offset, self.max_lines = float(time_offset), max_lines

    def on_train_begin(self, logs=None):
        self._start, self._first, self._k = time.perf_counter(), None, self.every
        self._last, self._printed, self._bar = None, None, False

    def on_epoch_begin(self, epoch, logs=None):
        if self._first is None:
            self._first = epoch
            if self._k is None and self.total_epochs is not None:
                self._k = _nice_interval((self.total_epochs - epoch) / self.max_lines)
        self._bar_time, self._epoch_start = 0.0, time.perf_counter()

    def line(self, epoch: int, logs) -> str:
        width = len(str(self.total_epochs)) if self.total_epochs else 0
        head = f"epoch {epoch:>{width}}/{self.total_epochs}" if self.total_epochs else f"epoch {epoch:>3}"
        fields = [f"{label} {_fmt(logs[key]):<6}" for key, label in self.COLUMNS if key in logs]  # aligned
        seconds = self.time_offset + time.perf_counter() - self._start
        return "  ".join([head, *fields, f"{_fmt(seconds)} s"])

    def _print(self, epoch, logs):
        self.close()
        print(self.line(epoch, logs), flush=True)
        self._printed = epoch

    def on_train_batch_end(self, batch, logs=None):
        steps = self.params.get("steps") if self.params else None
        now = time.perf_counter()
        if self.verbose < 2 or (now - self._bar_time < 0.25 and (steps is None or batch + 1 < steps)):
            return
        self._bar_time = now
        if steps:
            filled = int(30 * (batch + 1) / steps)
            bar = f"  [{'#' * filled}{'.' * (30 - filled)}] {batch + 1}/{steps}"
        else:
            bar = f"  step {batch + 1}"
        print("\r" + bar, end="", flush=True)
        self._bar = True

    def on_epoch_end(self, epoch, logs=None):
        number, logs = epoch + 1, dict(logs or {})
        self._last = (number, logs)
        first = number - 1 == self._first
        if self._k is None and not first:  # a time budget: time the 2nd epoch (the 1st includes tracing)
            per_epoch = time.perf_counter() - self._epoch_start
            self._k = _nice_interval(self.seconds / per_epoch / self.max_lines) if self.seconds else 1
        due = first or number % (self._k or 1) == 0 or number == self.total_epochs
        if self.verbose and (due or not _finite(logs)):
            self._print(number, logs)

    def on_train_end(self, logs=None):
        if self.verbose and self._last is not None and self._printed != self._last[0]:
            self._print(*self._last)

    def close(self) -> None:
        """Wipe a half-drawn bar (after an interrupt), so the next message starts on a clean line."""
        if getattr(self, "_bar", False):
            print("\r" + " " * 60 + "\r", end="", flush=True)
            self._bar = False
