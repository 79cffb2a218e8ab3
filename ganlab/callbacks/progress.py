"""The compact progress line of ``training.train`` (``ProgressLine``), and the number formatting it and the
messages of ``callbacks``, ``training`` and ``diagnostics`` share (``fmt``: 3 significant figures)."""

from __future__ import annotations

import math
import time

from ganlab import config  # first: imports TensorFlow quietly

import keras
from ganlab import checks


def finite(logs) -> bool:
    """True when every value in a Keras logs dict is a finite number."""
    return all(math.isfinite(float(v)) for v in (logs or {}).values())


def fmt(value: float) -> str:
    """A float to 3 significant figures, without exponents for ordinary magnitudes: 0.876, 12.3, 1234."""
    value = float(value)
    if math.isfinite(value) and abs(value) >= 100:
        return f"{value:.0f}"
    return f"{value:#.3g}"


def _nice_interval(epochs_per_line: float) -> int:
    """The smallest of 1, 2, 5, 10, 20, 25, 50, 100, ... epochs between lines that is at least ``epochs_per_line``."""
    nice = [m * 10**e for e in range(9) for m in (1, 2, 2.5, 5) if float(m * 10**e).is_integer()]
    return int(next(n for n in nice if n >= epochs_per_line))


class ProgressLine(keras.callbacks.Callback):
    """Print ``epoch 3/20  d_loss 1.23  g_loss 0.876  D(x) 0.612  D(G(z)) 0.401  12.3 s`` lines (about 20 at most).

    verbose=0 prints nothing, 1 prints a line per reported epoch, 2 adds a text bar redrawn with '\\r' during
    each epoch. ``every`` fixes the epochs between lines; by default it is chosen so about ``max_lines`` print.
    """

    COLUMNS = (("d_loss", "d_loss"), ("g_loss", "g_loss"), ("d_real", "D(x)"), ("d_fake", "D(G(z))"))

    def __init__(
        self,
        total_epochs=None,
        seconds=None,
        every=None,
        verbose=1,
        time_offset=0.0,
        max_lines=20,
        total_steps=None,
        start_step=0,
    ):
        super().__init__()
        self.total_steps, self.start_step = total_steps, start_step  # a steps budget: lines count generator steps
        checks.one_of(verbose, "verbose", (0, 1, 2))
        self.total_epochs, self.seconds, self.every, self.verbose = total_epochs, seconds, every, verbose
        self.time_offset, self.max_lines = float(time_offset), max_lines

    def on_train_begin(self, logs=None):
        self._start, self._first, self._k = time.perf_counter(), None, self.every
        self._step = self.start_step
        self._last, self._printed, self._bar = None, None, False

    def on_epoch_begin(self, epoch, logs=None):
        if self._first is None:
            self._first = epoch
            if self._k is None and self.total_epochs is not None:
                self._k = _nice_interval((self.total_epochs - epoch) / self.max_lines)
        self._bar_time, self._epoch_start = 0.0, time.perf_counter()

    def line(self, epoch: int, logs) -> str:
        unit, count = ("step", self._step) if self.total_steps else ("epoch", epoch)
        total = self.total_steps or self.total_epochs
        head = f"{unit} {count:>{len(str(total))}}/{total}" if total else f"{unit} {count:>3}"
        fields = [f"{label} {fmt(logs[key]):<6}" for key, label in self.COLUMNS if key in logs]  # aligned
        seconds = self.time_offset + time.perf_counter() - self._start
        return "  ".join([head, *fields, f"{fmt(seconds)} s"])

    def _print(self, epoch, logs):
        self.close()
        print(self.line(epoch, logs), flush=True)
        self._printed = epoch

    def on_train_batch_end(self, batch, logs=None):
        self._step += 1
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
        if self.verbose and (due or not finite(logs)):
            self._print(number, logs)

    def on_train_end(self, logs=None):
        if self.verbose and self._last is not None and self._printed != self._last[0]:
            self._print(*self._last)

    def close(self) -> None:
        """Wipe a half-drawn bar (after an interrupt), so the next message starts on a clean line."""
        if getattr(self, "_bar", False):
            print("\r" + " " * 60 + "\r", end="", flush=True)
            self._bar = False
