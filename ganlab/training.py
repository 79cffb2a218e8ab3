"""The GAN as a ``keras.Model`` whose ``train_step`` updates D and G in turn, and ``train()``, the loop around it.

``GAN.train_step`` follows the keras-io GAN example ("Customizing what happens in fit()"): n_critic
discriminator updates on the discriminator's own weights, then one generator update on the generator's own
weights, each with its own optimizer, so nothing depends on toggling ``trainable``. ``train()`` runs
``GAN.fit`` with ganlab's callbacks: snapshots, atomic checkpoints, resume, a time budget, a NaN guard and
a compact progress line, and it turns the Jupyter stop button into a clean, resumable stop.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from ganlab import config  # first: imports TensorFlow quietly

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from ganlab import callbacks as cb
from ganlab import checkpoints, losses
from ganlab.callbacks import FREEZE_TRAP, FrozenWeightsError, TrainingDiverged  # noqa: F401  (re-exported)

METRICS = ("d_loss", "g_loss", "d_real", "d_fake", "d_acc_real", "d_acc_fake")


def _check_network(net, label: str) -> None:
    """Refuse a network that is not a built Keras model or has no trainable weights (the freeze trap)."""
    if not isinstance(net, keras.Model):
        raise ValueError(f"{label} must be a keras.Model, got {type(net).__name__}")
    if not net.weights:
        raise ValueError(f"The {label} {net.name!r} is not built (it has no weights yet). Start it with "
                         "keras.Input(...), as ganlab.models' builders do, or call it once on a batch.")
    if not net.trainable_weights:
        raise ValueError(f"The {label} {net.name!r} has no trainable weights ({net.name}.trainable is False "
                         f"or all its layers are frozen), so training could never change it. {FREEZE_TRAP} "
                         f"Set {label}.trainable = True before building the GAN.")  # fmt: skip


def _shape(net, attr: str, label: str):
    """``net.input_shape`` or ``net.output_shape``, with a clear error for models that do not declare one."""
    try:
        shape = getattr(net, attr)
    except (AttributeError, ValueError):
        shape = None
    if shape is None or isinstance(shape, list):
        raise ValueError(f"the {label} must be a model with one input and one output declared with keras.Input "
                         f"(as ganlab.models builds them); got {attr}={shape}")  # fmt: skip
    return tuple(shape)


class GAN(keras.Model):
    """A generator and a discriminator trained against each other by ``fit()`` (real = 1, D outputs logits)."""

    def __init__(self, generator, discriminator, latent_dim=None, n_critic=1, seed=None, **kwargs):
        super().__init__(**kwargs)
        _check_network(generator, "generator")
        _check_network(discriminator, "discriminator")
        if isinstance(n_critic, bool) or not isinstance(n_critic, int) or n_critic < 1:
            raise ValueError(f"n_critic must be a positive int (D updates per G update), got {n_critic!r}")
        self.latent_shape = _shape(generator, "input_shape", "generator")[1:]
        if latent_dim is not None and self.latent_shape != (latent_dim,):
            raise ValueError(f"latent_dim={latent_dim!r} but the generator takes z of shape {self.latent_shape}")
        self.latent_dim = self.latent_shape[0] if len(self.latent_shape) == 1 else None
        self.image_shape = _shape(generator, "output_shape", "generator")[1:]
        d_in = _shape(discriminator, "input_shape", "discriminator")[1:]
        if len(d_in) != len(self.image_shape) or any(a and a != b for a, b in zip(d_in, self.image_shape)):
            raise ValueError(f"the generator makes images of shape {self.image_shape} but the discriminator "
                             f"takes {d_in}")  # fmt: skip
        d_out = _shape(discriminator, "output_shape", "discriminator")
        if d_out[1:] != (1,):
            raise ValueError(f"the discriminator must output one logit per image, shape (B, 1); got {d_out}")
        self.generator, self.discriminator, self.n_critic = generator, discriminator, n_critic
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.trackers = {name: keras.metrics.Mean(name=name) for name in (*METRICS, "gp")}
        self.d_optimizer = self.g_optimizer = self.loss_fn = None

    def compile(self, d_optimizer, g_optimizer, loss="non_saturating", **kwargs):
        """Set each network's optimizer and the GAN loss (a name from ``losses.LOSSES`` or a GANLoss)."""
        d_optimizer, g_optimizer = keras.optimizers.get(d_optimizer), keras.optimizers.get(g_optimizer)
        if d_optimizer is g_optimizer:
            raise ValueError("d_optimizer and g_optimizer must be two optimizer objects (each keeps per-weight "
                             "state for its own network); create two, e.g. keras.optimizers.Adam(2e-4) twice.")
        # No Keras-level optimizer: train_step applies d_optimizer and g_optimizer itself.
        super().compile(optimizer=None, **kwargs)
        self.d_optimizer, self.g_optimizer, self.loss_fn = d_optimizer, g_optimizer, losses.get(loss)
        self.build_optimizers()

    def build_optimizers(self) -> None:
        """Create the optimizers' variables now (a checkpoint can only be loaded into built optimizers)."""
        for optimizer, net in ((self.d_optimizer, self.discriminator), (self.g_optimizer, self.generator)):
            if optimizer is None:
                raise ValueError("call gan.compile(d_optimizer=..., g_optimizer=...) first")
            if not optimizer.built:
                optimizer.build(net.trainable_variables)

    @property
    def metrics(self):
        # Listed here so that fit() resets them at the start of each epoch.
        names = METRICS + (("gp",) if self.loss_fn is not None and self.loss_fn.gp_weight > 0 else ())
        return [self.trackers[name] for name in names]

    def call(self, z, training=False):
        return self.generator(z, training=training)

    def _noise(self, batch_size):
        return keras.random.normal((batch_size, *self.latent_shape), seed=self.seed_generator)

    def d_step(self, real):
        """One discriminator update on the discriminator's weights only; G is used but not changed."""
        batch_size = ops.shape(real)[0]
        fake = self.generator(self._noise(batch_size), training=True)  # (B, 28, 28, 1), outside the tape
        d_vars = self.discriminator.trainable_weights
        with tf.GradientTape() as tape:
            real_logits = self.discriminator(real, training=True)  # (B, 1)
            fake_logits = self.discriminator(fake, training=True)  # (B, 1)
            d_loss = self.loss_fn.d_loss(real_logits, fake_logits)
            if self.loss_fn.gp_weight > 0:
                alpha = keras.random.uniform((batch_size,) + (1,) * (len(real.shape) - 1), seed=self.seed_generator)
                gp = losses.gradient_penalty(self.discriminator, real, fake, alpha)
                d_loss = d_loss + self.loss_fn.gp_weight * gp
                self.trackers["gp"].update_state(gp)
        grads = tape.gradient(d_loss, d_vars)
        self.d_optimizer.apply_gradients(zip(grads, d_vars))
        self.trackers["d_loss"].update_state(d_loss)
        self.trackers["d_real"].update_state(ops.mean(ops.sigmoid(real_logits)))
        self.trackers["d_fake"].update_state(ops.mean(ops.sigmoid(fake_logits)))
        self.trackers["d_acc_real"].update_state(ops.mean(ops.cast(real_logits > 0, "float32")))
        self.trackers["d_acc_fake"].update_state(ops.mean(ops.cast(fake_logits < 0, "float32")))
        return d_loss

    def g_step(self, batch_size):
        """One generator update on the generator's weights only: make D call the fakes real."""
        g_vars = self.generator.trainable_weights
        with tf.GradientTape() as tape:
            fake = self.generator(self._noise(batch_size), training=True)  # (B, 28, 28, 1)
            g_loss = self.loss_fn.g_loss(self.discriminator(fake, training=True))
        grads = tape.gradient(g_loss, g_vars)
        self.g_optimizer.apply_gradients(zip(grads, g_vars))
        self.trackers["g_loss"].update_state(g_loss)
        return g_loss

    def train_step(self, data):
        real = data[0] if isinstance(data, (tuple, list)) else data  # drop labels if any
        real = ops.cast(real, "float32")
        for _ in range(self.n_critic):
            self.d_step(real)  # same real batch, fresh noise each time
        self.g_step(ops.shape(real)[0])
        return {m.name: m.result() for m in self.metrics}

    def sample(self, z, batch_size=256) -> np.ndarray:
        """Images G(z) in [-1, 1] as a NumPy array (inference mode: BatchNorm uses its moving statistics)."""
        z = np.asarray(z, dtype=np.float32)
        if z.ndim != 1 + len(self.latent_shape) or z.shape[1:] != self.latent_shape or len(z) == 0:
            raise ValueError(f"z must have shape (n, {', '.join(map(str, self.latent_shape))}), got {z.shape}")
        chunks = [self.generator(z[i: i + batch_size], training=False) for i in range(0, len(z), batch_size)]
        return np.concatenate([ops.convert_to_numpy(c) for c in chunks])

    def generate(self, n, seed=None) -> np.ndarray:
        """``n`` new images; ``seed`` makes them reproducible (else NumPy's global RNG, seeded by config.set_seed)."""
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
            raise ValueError(f"n must be a positive int, got {n!r}")
        rng = np.random if seed is None else np.random.default_rng(seed)
        return self.sample(rng.standard_normal((int(n), *self.latent_shape)).astype(np.float32))


def make_gan(kind="dcgan", preset="default", latent_dim=100, *, lr=2e-4, beta_1=0.5, loss="non_saturating", seed=42):
    """A compiled GAN of the course: ``models.build_pair(kind, preset)``, seeded, with one Adam per network."""
    from ganlab import models

    config.set_seed(seed)
    gan = GAN(*models.build_pair(kind, preset, latent_dim), seed=seed)
    gan.compile(d_optimizer=keras.optimizers.Adam(lr, beta_1=beta_1),
                g_optimizer=keras.optimizers.Adam(lr, beta_1=beta_1), loss=loss)
    return gan


@dataclasses.dataclass(repr=False)
class TrainingRun:
    """What ``train()`` did: per-epoch history (with ``epoch`` and cumulative ``time_s``), frames, counters."""

    history: dict
    frames: list
    frame_epochs: list
    epochs_done: int
    step: int
    interrupted: bool = False
    stopped_reason: str | None = None
    out_dir: Path | None = None
    fixed_noise: np.ndarray | None = None
    checkpoint: Path | None = None

    def __repr__(self) -> str:
        last = "  ".join(f"{k} {cb._fmt(self.history[k][-1])}" for k in ("d_loss", "g_loss") if self.history.get(k))
        return (f"TrainingRun(epochs_done={self.epochs_done}, step={self.step}, interrupted={self.interrupted}, "
                f"stopped_reason={self.stopped_reason!r}, frames={len(self.frames)}, last: {last or '-'})")


def _check_data(dataset, gan, steps_per_epoch) -> None:
    """Check what ``train`` will feed ``fit``: image shape and dtype, and a finite epoch."""
    if isinstance(dataset, tf.data.Dataset):
        spec = dataset.element_spec
        spec = spec[0] if isinstance(spec, tuple) else spec
        if not isinstance(spec, tf.TensorSpec) or not spec.dtype.is_floating:
            raise ValueError(f"the dataset must yield float images (or (images, labels)), got {spec}; "
                             "see ganlab.data.make_dataset, which scales uint8 pixels to [-1, 1]")
        if not spec.shape[1:].is_compatible_with(gan.image_shape):
            raise ValueError(f"the dataset yields batches of shape {tuple(spec.shape)} but the generator "
                             f"makes (B, {', '.join(map(str, gan.image_shape))}); batch the dataset first")
        card = int(dataset.cardinality())
        if card == 0:
            raise ValueError("the dataset is empty")
        if card == tf.data.INFINITE_CARDINALITY and steps_per_epoch is None:
            raise ValueError("the dataset repeats forever; pass steps_per_epoch=... so that epochs end")
    elif isinstance(dataset, np.ndarray):
        if dataset.dtype.kind != "f" or dataset.shape[1:] != gan.image_shape or len(dataset) == 0:
            raise ValueError(f"images must be float of shape (N, {', '.join(map(str, gan.image_shape))}), got "
                             f"{dataset.dtype} {dataset.shape}")  # fmt: skip
        low, high = float(dataset.min()), float(dataset.max())
        if not (np.isfinite(low) and np.isfinite(high)) or low < -1.001 or high > 1.001:
            raise ValueError(f"images must be finite and in [-1, 1], got values in [{low:.3g}, {high:.3g}]; "
                             "scale uint8 pixels with x / 127.5 - 1 (ganlab.data.to_float)")  # fmt: skip


def _positive(value, name):
    if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0):
        raise ValueError(f"{name} must be a positive number, got {value!r}")


def train(gan, dataset, *, epochs=None, seconds=None, out_dir=None, resume=False, fixed_noise=None, n_fixed=64,
          snapshot_every=1, checkpoint_every=1, verbose=1, steps_per_epoch=None, callbacks=(), batch_size=None):
    """Train ``gan`` for ``epochs`` (a total, counting resumed epochs) or for ``seconds``; return a TrainingRun.

    With ``out_dir`` a full checkpoint is written every ``checkpoint_every`` epochs, and ``resume=True`` continues
    from the newest one with its history, frames and fixed noise. The stop button (KeyboardInterrupt) ends
    training cleanly with ``interrupted=True``. ``verbose`` (0, 1, 2) sets the progress lines; one-line notices
    (resumed, interrupted) always print.
    """
    if (epochs is None) == (seconds is None):
        raise ValueError(f"pass exactly one of epochs= (how many) or seconds= (a time budget); got epochs={epochs!r}, "
                         f"seconds={seconds!r}")  # fmt: skip
    if epochs is not None and (isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 1):
        raise ValueError(f"epochs must be a positive int, got {epochs!r}")
    _positive(seconds, "seconds")
    if not isinstance(gan, GAN) or gan.loss_fn is None:
        raise ValueError("train() needs a ganlab GAN compiled with gan.compile(d_optimizer=..., g_optimizer=...)")
    _check_network(gan.generator, "generator")  # frozen after the GAN was built?
    _check_network(gan.discriminator, "discriminator")
    _check_data(dataset, gan, steps_per_epoch)
    if resume and out_dir is None:
        raise ValueError("resume=True needs out_dir=..., the folder that holds the run's checkpoints")

    # Resume from the newest checkpoint, or start fresh (never over an existing run).
    start, history, frames, frame_epochs, last_ckpt = 0, {}, [], [], None
    if out_dir is not None:
        out_dir = Path(out_dir)
        if checkpoints.latest_checkpoint(out_dir) is not None:
            if not resume:
                raise ValueError(f"{out_dir} already holds a training run ({checkpoints.latest_checkpoint(out_dir)}); "
                                 "pass resume=True to continue it, or choose another out_dir")  # fmt: skip
            state = checkpoints.load_checkpoint(gan, out_dir)
            start, history, last_ckpt = state.epoch, state.history, state.path
            frames, frame_epochs, fixed_noise = state.frames, state.frame_epochs, state.fixed_noise
            print(f"resumed from {state.path} (epoch {state.epoch}, step {state.step})", flush=True)
        elif resume:
            print(f"no checkpoint in {out_dir} yet; starting a fresh run", flush=True)
    if isinstance(n_fixed, bool) or not isinstance(n_fixed, int) or n_fixed < 1:
        raise ValueError(f"n_fixed must be a positive int (images per snapshot), got {n_fixed!r}")
    if fixed_noise is None:
        fixed_noise = np.random.standard_normal((n_fixed, *gan.latent_shape)).astype(np.float32)
    fixed_noise = np.asarray(fixed_noise, dtype=np.float32)
    if fixed_noise.shape[1:] != gan.latent_shape:
        raise ValueError(f"fixed_noise must have shape (n, {gan.latent_shape}), got {fixed_noise.shape}")

    run = TrainingRun(history, frames, frame_epochs, epochs_done=start, step=int(gan.g_optimizer.iterations.numpy()),
                      out_dir=out_dir, fixed_noise=fixed_noise, checkpoint=last_ckpt)  # fmt: skip
    total = epochs if epochs is not None else start + 10**9
    if start >= total:
        print(f"already trained {start} epochs (asked for {epochs}); nothing to do", flush=True)
        return run

    # Callbacks, in the order they run at each batch and epoch end.
    offset = history["time_s"][-1] if history.get("time_s") else 0.0
    guard, budget = cb.StopOnNonFinite(), cb.TimeBudget(seconds) if seconds else None
    recorder = cb.RecordHistory(run.history, time_offset=offset)
    snapshots = cb.FixedNoiseSnapshots(fixed_noise, every=snapshot_every, frames=run.frames,
                                       frame_epochs=run.frame_epochs)  # fmt: skip
    saver = None if out_dir is None else cb.Checkpointing(out_dir, every=checkpoint_every, history=run.history,
                                                          snapshots=snapshots)  # fmt: skip
    progress = cb.ProgressLine(total_epochs=epochs, seconds=seconds, verbose=verbose, time_offset=offset)
    chain = [guard, cb.WeightsMustChange(), budget, recorder, snapshots, saver, progress, *callbacks]

    try:
        gan.fit(dataset, epochs=total, initial_epoch=start, verbose=0, steps_per_epoch=steps_per_epoch,
                batch_size=batch_size, shuffle=not isinstance(dataset, tf.data.Dataset),
                callbacks=[c for c in chain if c is not None])  # fmt: skip
    except KeyboardInterrupt:
        run.interrupted, run.stopped_reason = True, "interrupted"
    finally:
        progress.close()  # end a half-drawn progress bar before any message
    run.epochs_done = int(run.history["epoch"][-1]) if run.history.get("epoch") else start
    run.step = int(gan.g_optimizer.iterations.numpy())
    if saver is not None and saver.last_path is not None:
        run.checkpoint = saver.last_path
    where = f"last checkpoint: {run.checkpoint}" if run.checkpoint else "no checkpoint saved (out_dir=None)"

    if run.interrupted:
        resume_hint = (f"continue with train(..., out_dir={str(out_dir)!r}, resume=True)" if out_dir
                       else "call train() again to go on from the weights in memory")  # fmt: skip
        print(f"Interrupted in epoch {(recorder.epoch or 0) + 1} at step {run.step}; kept {run.epochs_done} "
              f"complete epochs; {where}; {resume_hint}.", flush=True)  # fmt: skip
    elif guard.diverged:
        run.stopped_reason = f"{guard.metric} became {guard.value} at step {guard.step} (epoch {guard.epoch})"
        then = "resume from it with train(..., resume=True)" if run.checkpoint else "train again"
        err = TrainingDiverged(
            f"Training diverged: {', '.join(guard.metrics)} became non-finite ({guard.metric} = {guard.value}) at "
            f"step {guard.step}, in epoch {guard.epoch}; nothing was saved for that epoch; {where}. Lower the "
            f"learning rates (or check the loss), then {then}."
        )
        err.run = run
        raise err
    elif budget is not None and budget.triggered:
        run.stopped_reason = (f"time budget of {cb._fmt(seconds)} s spent in epoch {budget.epoch}"
                              + (" (partial epoch)" if budget.partial else ""))  # fmt: skip
        if verbose:
            print(f"stopped: {run.stopped_reason}", flush=True)
    return run
