"""``train()``, the loop around ``GAN.fit``, and ``TrainingRun``, what it did.

``train()`` runs ``GAN.fit`` with ganlab's callbacks (``ganlab.callbacks``: snapshots, atomic checkpoints, a time
budget, a NaN guard, a compact progress line), resumes, and turns the Jupyter stop button into a clean, resumable
stop. The model is ``ganlab.gan``'s; ``ganlab.recipes.make_gan`` builds the course's GANs.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from ganlab import config  # first: imports TensorFlow quietly

import numpy as np
import tensorflow as tf

from ganlab import checkpoints, checks, data, files
from ganlab.callbacks import guards, progress, records
from ganlab.callbacks import live as live_module
from ganlab.callbacks.guards import TrainingDiverged
from ganlab.gan import GAN


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
    round_steps: int | None = None  # with a steps= budget: the steps in each round (what an "epoch" is here)

    @property
    def frame_steps(self) -> list:
        """The generator step of each frame (a steps= run; else None)."""
        return None if self.round_steps is None else [e * self.round_steps for e in self.frame_epochs]

    def __repr__(self) -> str:
        keys = [k for k in ("d_loss", "g_loss") if self.history.get(k)]
        last = "  ".join(f"{k} {progress.fmt(self.history[k][-1])}" for k in keys)
        return (
            f"TrainingRun(epochs_done={self.epochs_done}, step={self.step}, interrupted={self.interrupted}, "
            f"stopped_reason={self.stopped_reason!r}, frames={len(self.frames)}, last: {last or '-'})"
        )


def _check_data(dataset, gan, steps_per_epoch) -> None:
    """Check what ``train`` will feed ``fit``: image shape and dtype, and a finite epoch."""
    if isinstance(dataset, tf.data.Dataset):
        spec = dataset.element_spec
        spec = spec[0] if isinstance(spec, tuple) else spec
        if not isinstance(spec, tf.TensorSpec) or not spec.dtype.is_floating:
            raise checks.BadInput(
                f"the dataset must yield float images (or (images, labels)), got {spec}; "
                "see ganlab.data.make_dataset, which scales uint8 pixels to [-1, 1]"
            )
        if not spec.shape[1:].is_compatible_with(gan.image_shape):
            raise checks.BadInput(
                f"the dataset yields batches of shape {tuple(spec.shape)} but the generator "
                f"makes (B, {', '.join(map(str, gan.image_shape))}); batch the dataset first"
            )
        card = int(dataset.cardinality())
        if card == 0:
            raise checks.BadInput("the dataset is empty")
        if card == tf.data.INFINITE_CARDINALITY and steps_per_epoch is None:
            raise checks.BadInput("the dataset repeats forever; pass steps_per_epoch=... so that epochs end")
        first = next(iter(dataset.take(1)))  # one batch: the same value check as for an array
        checks.pixels(first[0] if isinstance(first, tuple) else first, "the dataset's first batch")
    elif isinstance(dataset, np.ndarray):
        if dataset.dtype.kind != "f" or dataset.shape[1:] != gan.image_shape or len(dataset) == 0:
            raise checks.BadInput(
                f"images must be float of shape (N, {', '.join(map(str, gan.image_shape))}), got "
                f"{dataset.dtype} {dataset.shape}"
            )
        checks.pixels(dataset, "images")


def _rounds(dataset, steps, round_steps, batch_size):
    """A ``steps`` budget as (repeating dataset, number of rounds, steps per round)."""
    steps = checks.positive_int(steps, "steps", "generator updates in all")
    if round_steps is None:  # rounds of up to 100 steps that add up to exactly ``steps``
        round_steps = steps if steps <= 100 else next(n for n in range(100, 0, -1) if steps % n == 0)
        if round_steps < min(10, steps):
            raise checks.BadInput(
                f"steps={steps} cuts into rounds of {round_steps} step(s) only; choose a multiple of 10, "
                "or pass steps_per_epoch=..."
            )
    round_steps = checks.positive_int(round_steps, "steps_per_epoch", "steps per round")
    if steps % round_steps:
        raise checks.BadInput(
            f"steps={steps} is not a whole number of rounds of steps_per_epoch={round_steps}; "
            f"choose steps as a multiple of {round_steps}"
        )
    if isinstance(dataset, np.ndarray):
        dataset = data.make_dataset(dataset, batch_size or 32)
    if isinstance(dataset, tf.data.Dataset) and int(dataset.cardinality()) != tf.data.INFINITE_CARDINALITY:
        dataset = dataset.repeat()  # a step budget must never run out of data
    return dataset, steps // round_steps, round_steps


def train(
    gan,
    dataset,
    *,
    steps=None,
    epochs=None,
    seconds=None,
    out_dir=None,
    resume=False,
    fixed_noise=None,
    n_fixed=64,
    snapshot_every=1,
    checkpoint_every=1,
    verbose=1,
    steps_per_epoch=None,
    callbacks=(),
    batch_size=None,
    live=False,
):
    """Train ``gan`` for ``steps`` generator updates, ``epochs`` or ``seconds`` (totals, counting resumed ones).

    ``steps`` is the budget that does not depend on the data's size: the data repeats, and the run is cut into
    rounds of ``steps_per_epoch`` steps (default: up to 100 that divide ``steps``), which stand in for epochs everywhere
    (history rows, ``snapshot_every``, ``checkpoint_every``, ``epochs_done``). ``live=True`` redraws the newest
    fixed-noise snapshot in place in Jupyter while it trains. Returns a TrainingRun.

    With ``out_dir`` a full checkpoint is written every ``checkpoint_every`` epochs, and ``resume=True`` continues
    from the newest one with its history, frames and fixed noise; the folder is locked for this process while it
    trains (``files.RunLock``), so a second run into it is refused. The stop button (KeyboardInterrupt) ends
    training cleanly with ``interrupted=True``. ``verbose`` (0, 1, 2) sets the progress lines; one-line notices
    (resumed, interrupted) always print.
    """
    kwargs = dict(locals())
    if out_dir is None:
        return _train(**kwargs)
    with files.RunLock(out_dir):
        return _train(**kwargs)


def _train(
    gan,
    dataset,
    *,
    steps,
    epochs,
    seconds,
    out_dir,
    resume,
    fixed_noise,
    n_fixed,
    snapshot_every,
    checkpoint_every,
    verbose,
    steps_per_epoch,
    callbacks,
    batch_size,
    live,
):
    if sum(budget is not None for budget in (steps, epochs, seconds)) != 1:
        raise checks.BadInput(
            f"pass exactly one of steps=, epochs= (how many) or seconds= (a time budget); got "
            f"steps={steps!r}, epochs={epochs!r}, seconds={seconds!r}"
        )
    if epochs is not None:
        checks.positive_int(epochs, "epochs")
    if seconds is not None:
        checks.positive_number(seconds, "seconds")
    if not isinstance(gan, GAN) or gan.loss_fn is None:
        raise checks.BadInput("train() needs a ganlab GAN compiled with gan.compile(d_optimizer=..., g_optimizer=...)")
    checks.network(gan.generator, "generator")  # frozen after the GAN was built?
    checks.network(gan.discriminator, "discriminator")
    _check_data(dataset, gan, steps_per_epoch or steps)
    unit = "epoch"
    if steps is not None:
        dataset, epochs, steps_per_epoch = _rounds(dataset, steps, steps_per_epoch, batch_size)
        unit = "round"  # a steps= budget runs as rounds of steps_per_epoch steps
    if resume and out_dir is None:
        raise checks.BadInput("resume=True needs out_dir=..., the folder that holds the run's checkpoints")

    # Resume from the newest checkpoint, or start fresh (never over an existing run).
    start, history, frames, frame_epochs, last_ckpt = 0, {}, [], [], None
    if out_dir is not None:
        out_dir = Path(out_dir)
        if checkpoints.list_checkpoints(out_dir):
            if not resume:
                newest = checkpoints.list_checkpoints(out_dir)[-1]
                raise checks.RefusedResume(
                    f"{out_dir} already holds a training run ({newest}); pass resume=True to "
                    "continue it, or choose another out_dir"
                )
            state = checkpoints.load_checkpoint(gan, out_dir)
            start, history, last_ckpt = state.epoch, state.history, state.path
            frames, frame_epochs, fixed_noise = state.frames, state.frame_epochs, state.fixed_noise
            print(f"resumed from {state.path} ({unit} {state.epoch}, step {state.step})", flush=True)
        elif resume:
            print(f"no checkpoint in {out_dir} yet; starting a fresh run", flush=True)
    checks.positive_int(n_fixed, "n_fixed", "images per snapshot")
    if fixed_noise is None:
        fixed_noise = np.random.standard_normal((n_fixed, *gan.latent_shape)).astype(np.float32)
    fixed_noise = np.asarray(fixed_noise, dtype=np.float32)
    if fixed_noise.shape[1:] != gan.latent_shape:
        raise checks.BadInput(f"fixed_noise must have shape (n, {gan.latent_shape}), got {fixed_noise.shape}")

    run = TrainingRun(
        history,
        frames,
        frame_epochs,
        epochs_done=start,
        step=int(gan.g_optimizer.iterations.numpy()),
        out_dir=out_dir,
        fixed_noise=fixed_noise,
        checkpoint=last_ckpt,
        round_steps=steps_per_epoch if steps is not None else None,
    )
    total = epochs if epochs is not None else start + 10**9
    if start >= total:
        print(f"already trained {start} {unit}s (asked for {epochs}); nothing to do", flush=True)
        return run

    # Callbacks, in the order they run at each batch and epoch end.
    offset = history["time_s"][-1] if history.get("time_s") else 0.0
    guard, budget = guards.StopOnNonFinite(), guards.TimeBudget(seconds) if seconds else None
    recorder = records.RecordHistory(run.history, time_offset=offset)
    snapshots = records.FixedNoiseSnapshots(
        fixed_noise, every=snapshot_every, frames=run.frames, frame_epochs=run.frame_epochs
    )
    saver = (
        None
        if out_dir is None
        else records.Checkpointing(out_dir, every=checkpoint_every, history=run.history, snapshots=snapshots)
    )
    printer = progress.ProgressLine(
        total_epochs=epochs, seconds=seconds, verbose=verbose, time_offset=offset, round_steps=run.round_steps
    )
    picture = live_module.LivePicture(snapshots, run.round_steps) if live else None
    chain = [guard, guards.WeightsMustChange(), budget, recorder, snapshots, picture, saver, printer, *callbacks]

    try:
        gan.fit(
            dataset,
            epochs=total,
            initial_epoch=start,
            verbose=0,
            steps_per_epoch=steps_per_epoch,
            batch_size=batch_size,
            shuffle=not isinstance(dataset, tf.data.Dataset),
            callbacks=[c for c in chain if c is not None],
        )
    except KeyboardInterrupt:
        run.interrupted, run.stopped_reason = True, "interrupted"
    finally:
        printer.close()  # end a half-drawn progress bar before any message
    run.epochs_done = int(run.history["epoch"][-1]) if run.history.get("epoch") else start
    run.step = int(gan.g_optimizer.iterations.numpy())
    if saver is not None and saver.last_path is not None:
        run.checkpoint = saver.last_path
    where = (
        f"last checkpoint: {run.checkpoint}"
        if run.checkpoint
        else "no checkpoint saved yet"
        if out_dir
        else "no checkpoint saved (out_dir=None)"
    )

    if run.interrupted:
        resume_hint = (
            f"continue with train(..., out_dir={str(out_dir)!r}, resume=True)"
            if out_dir
            else "call train() again to go on from the weights in memory"
        )
        print(
            f"Interrupted in {unit} {(recorder.epoch or 0) + 1} at step {run.step}; kept {run.epochs_done} "
            f"complete {unit}s; {where}; {resume_hint}.",
            flush=True,
        )
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
        run.stopped_reason = f"time budget of {progress.fmt(seconds)} s spent in epoch {budget.epoch}" + (
            " (partial epoch)" if budget.partial else ""
        )
        if verbose:
            print(f"stopped: {run.stopped_reason}", flush=True)
    return run
