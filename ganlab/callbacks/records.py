"""What a run keeps while it trains: the history of its losses, fixed-noise snapshots, and checkpoints.

Keras callbacks that ``training.train`` puts around ``fit()``; each also works on its own with a GAN.
"""

from __future__ import annotations

import time

from ganlab import config  # first: imports TensorFlow quietly

import keras
import numpy as np

from ganlab import checkpoints, checks, data, sampling
from ganlab.callbacks.progress import finite


def generator_step(model) -> int | None:
    """How many generator updates ``model`` (a GAN) has made: its G optimizer's counter; None without one."""
    optimizer = getattr(model, "g_optimizer", None)
    return None if optimizer is None else int(optimizer.iterations.numpy())


def _to_uint8(images) -> np.ndarray:
    """``data.to_uint8`` for snapshots: NaN becomes mid-grey and inf is clipped, so a frame never fails."""
    x = np.nan_to_num(np.asarray(images, dtype=np.float32), nan=0.0, posinf=1.0, neginf=-1.0)
    return data.to_uint8(np.clip(x, -1.0, 1.0))


class RecordHistory(keras.callbacks.Callback):
    """Append each finite epoch's logs, its 1-based number, the generator step it ended at (``step``, exact
    even when an epoch stopped early) and the cumulative time to a dict of lists."""

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
        if not finite(logs):
            return
        order = [m.name for m in getattr(self.model, "metrics", [])]  # d_loss, g_loss, ... not alphabetical
        keys = sorted(logs, key=lambda k: order.index(k) if k in order else len(order))
        row = {"epoch": epoch + 1, **{k: float(logs[k]) for k in keys}}
        step = generator_step(self.model)
        if step is not None:
            row["step"] = step
        row["time_s"] = self.time_offset + time.perf_counter() - self._start
        for key, value in row.items():
            self.history.setdefault(key, []).append(value)


class FixedNoiseSnapshots(keras.callbacks.Callback):
    """Generate images from the same noise every ``every`` epochs (and once before training) as uint8 frames.

    They come from ``gan.sampler``, what ``gan.sample`` draws with: the weight average when the GAN keeps one.
    ``frame_epochs`` and ``frame_steps`` say when each frame was taken (the epoch, and the generator step).
    """

    def __init__(self, fixed_noise, every=1, frames=None, frame_epochs=None, include_initial=True, frame_steps=None):
        super().__init__()
        checks.positive_int(every, "every", "epochs between snapshots")
        self.fixed_noise = np.asarray(fixed_noise, dtype=np.float32)
        self.every, self.include_initial = every, include_initial
        self.frames = [] if frames is None else frames
        self.frame_epochs = [] if frame_epochs is None else frame_epochs
        self.frame_steps = [] if frame_steps is None else frame_steps

    def snapshot(self, epoch_label: int) -> None:
        images = sampling.run_generator(self.model.sampler, self.fixed_noise)  # (N, 28, 28, 1) in [-1, 1]
        self.frames.append(_to_uint8(images))
        self.frame_epochs.append(int(epoch_label))
        self.frame_steps.append(generator_step(self.model))

    def on_train_begin(self, logs=None):
        self._last_finite = None

    def on_epoch_begin(self, epoch, logs=None):
        if self.include_initial and not self.frames:
            self.snapshot(epoch)  # the untrained generator (epoch 0 on a fresh run)

    def on_epoch_end(self, epoch, logs=None):
        self._last_finite = epoch + 1 if finite(logs) else None
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

    def __init__(self, directory, every=1, history=None, snapshots=None, keep=2, extra=None):
        super().__init__()
        checks.positive_int(every, "every", "epochs between checkpoints")
        self.directory, self.every, self.keep, self.snapshots = directory, every, keep, snapshots
        self.extra = extra  # stored in each checkpoint (training.train: its budget, guards.Budget.record)
        self._own_history = history is None
        self.history = {} if history is None else history
        self.last_path, self.last_epoch = None, None

    def on_train_begin(self, logs=None):
        self._pending = None  # the newest finite epoch not saved yet

    def _save(self, epoch: int) -> None:
        snaps = self.snapshots
        self.last_path = checkpoints.save_checkpoint(
            self.model,
            self.directory,
            epoch=epoch,
            history=self.history,
            fixed_noise=None if snaps is None else snaps.fixed_noise,
            frames=() if snaps is None else snaps.frames,
            frame_epochs=() if snaps is None else snaps.frame_epochs,
            frame_steps=() if snaps is None else snaps.frame_steps,
            keep=self.keep,
            extra=self.extra,
        )
        self.last_epoch, self._pending = epoch, None

    def on_epoch_end(self, epoch, logs=None):
        if not finite(logs):
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
