"""``train()``, the loop around ``GAN.fit``, and ``TrainingRun``, what it did.

``train()`` runs ``GAN.fit`` with ganlab's callbacks (``ganlab.callbacks``: snapshots, atomic checkpoints, a time
budget, a NaN guard, a compact progress line), resumes, and turns the Jupyter stop button into a clean, resumable
stop. The model is ``ganlab.gan``'s; ``ganlab.recipes.make_gan`` builds the course's GANs.
"""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

from ganlab import config  # first: imports TensorFlow quietly

import numpy as np
import tensorflow as tf

from ganlab import checkpoints, checks, data, locks
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
    frame_steps: list = dataclasses.field(default_factory=list)  # the generator step of each frame
    already_done: bool = False  # a resume that found its budget spent, and trained (and wrote) nothing

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


def _repeating(dataset, batch_size):
    """The data of a steps budget, which must never run out: an array batched, a finite dataset repeated."""
    if isinstance(dataset, np.ndarray):
        dataset = data.make_dataset(dataset, batch_size or 32)
    if isinstance(dataset, tf.data.Dataset) and int(dataset.cardinality()) != tf.data.INFINITE_CARDINALITY:
        dataset = dataset.repeat()
    return dataset


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
    resume_hint=None,
):
    """Train ``gan`` for ``steps`` generator updates, ``epochs`` or ``seconds``: totals that count resumed training.

    ``steps`` is the budget that does not depend on the data's size: the data repeats, and the run is cut into
    rounds of ``steps_per_epoch`` steps (default: up to 100), which stand in for epochs everywhere (history rows,
    ``snapshot_every``, ``checkpoint_every``, ``epochs_done``); each history row and frame also records the exact
    generator ``step`` it ended at. ``live=True`` redraws the newest fixed-noise snapshot in place in Jupyter.
    Returns a TrainingRun.

    With ``out_dir`` a full checkpoint is written every ``checkpoint_every`` epochs, and ``resume=True`` continues
    from the newest one (its history, frames, fixed noise and budget unit): it trains exactly what is left of the
    total, and nothing, changing no file, when nothing is. The folder is locked for this process while it trains
    (``locks.RunLock``). The stop button (KeyboardInterrupt) ends training cleanly with ``interrupted=True`` and
    prints how to continue (``resume_hint``, default: this call with ``resume=True``). ``verbose`` (0, 1, 2) sets
    the progress lines; one-line notices (resumed, interrupted) always print.
    """
    kwargs = dict(locals())
    if out_dir is None:
        return _train(**kwargs)
    with locks.RunLock(out_dir):
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
    resume_hint,
):
    budget = guards.Budget.of(steps, epochs, seconds, steps_per_epoch)
    if not isinstance(gan, GAN) or gan.loss_fn is None:
        raise checks.BadInput("train() needs a ganlab GAN compiled with gan.compile(d_optimizer=..., g_optimizer=...)")
    checks.network(gan.generator, "generator")  # frozen after the GAN was built?
    checks.network(gan.discriminator, "discriminator")
    _check_data(dataset, gan, steps_per_epoch or steps)
    if resume and out_dir is None:
        raise checks.BadInput("resume=True needs out_dir=..., the folder that holds the run's checkpoints")

    # Resume from the newest checkpoint, or start fresh (never over an existing run).
    start, history, frames, frame_epochs, frame_steps, last_ckpt = 0, {}, [], [], [], None
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
            budget = budget.resumed(state.extra, state.path)
            start, history, last_ckpt = state.epoch, state.history, state.path
            frames, frame_epochs, fixed_noise = state.frames, state.frame_epochs, state.fixed_noise
            frame_steps = state.frame_steps
            print(f"resumed from {state.path} (after {budget.done_text(state.step, start, history)})", flush=True)
        elif resume:
            print(f"no checkpoint in {out_dir} yet; starting a fresh run", flush=True)
    checks.positive_int(n_fixed, "n_fixed", "images per snapshot")
    if fixed_noise is None:
        fixed_noise = np.random.standard_normal((n_fixed, *gan.latent_shape)).astype(np.float32)
    fixed_noise = np.asarray(fixed_noise, dtype=np.float32)
    if fixed_noise.shape[1:] != gan.latent_shape:
        raise checks.BadInput(f"fixed_noise must have shape (n, {gan.latent_shape}), got {fixed_noise.shape}")

    by_steps = budget.unit == "steps"
    run = TrainingRun(
        history,
        frames,
        frame_epochs,
        epochs_done=start,
        step=int(gan.g_optimizer.iterations.numpy()),
        out_dir=out_dir,
        fixed_noise=fixed_noise,
        checkpoint=last_ckpt,
        round_steps=budget.round_steps if by_steps else None,
        frame_steps=frame_steps,
    )
    done = run.step if last_ckpt else 0  # a budget counts the run's checkpointed steps, not a GAN's earlier calls
    left = budget.left(done, start, history)
    if left <= 0:
        asked = f"{progress.fmt(budget.total)} s" if budget.unit == "seconds" else f"{budget.total:,} {budget.unit}"
        print(f"already trained {budget.done_text(done, start, history)} (asked for {asked}); nothing to do")
        run.already_done = True
        return run

    # The budget: fit() runs epochs (or rounds) from `start`; a step or time budget stops it where it runs out.
    stopper, per_epoch, total = None, steps_per_epoch, budget.total
    if by_steps:
        dataset, per_epoch, stopper = _repeating(dataset, batch_size), budget.round_steps, guards.StepBudget(left)
        total = start + math.ceil(left / budget.round_steps)
    elif budget.unit == "seconds":
        total, stopper = start + 10**9, guards.TimeBudget(left)

    # Callbacks, in the order they run at each batch and epoch end.
    offset = history["time_s"][-1] if history.get("time_s") else 0.0
    guard = guards.StopOnNonFinite()
    recorder = records.RecordHistory(run.history, time_offset=offset)
    snapshots = records.FixedNoiseSnapshots(
        fixed_noise, snapshot_every, run.frames, run.frame_epochs, frame_steps=run.frame_steps
    )
    saver = out_dir and records.Checkpointing(out_dir, checkpoint_every, run.history, snapshots, extra=budget.record())
    printer = progress.ProgressLine(
        total_epochs=None if budget.unit == "seconds" else total,
        seconds=budget.total if budget.unit == "seconds" else None,
        verbose=verbose,
        time_offset=offset,
        total_steps=budget.total if by_steps else None,
        start_step=done,
    )
    picture = live_module.LivePicture(snapshots, "step" if by_steps else "epoch") if live else None
    chain = [guard, guards.WeightsMustChange(), stopper, recorder, snapshots, picture, saver, printer, *callbacks]

    try:
        gan.fit(
            dataset,
            epochs=total,
            initial_epoch=start,
            verbose=0,
            steps_per_epoch=per_epoch,
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
    where = _where(run, out_dir, budget)

    if run.interrupted:
        resume_hint = resume_hint or (
            f"continue with train(..., out_dir={str(out_dir)!r}, resume=True)"
            if out_dir
            else "call train() again to go on from the weights in memory"
        )
        print(f"Interrupted at step {run.step:,}; {where}; {resume_hint}.", flush=True)
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
    elif budget.unit == "seconds" and stopper.triggered:
        run.stopped_reason = f"time budget of {progress.fmt(budget.total)} s spent in epoch {stopper.epoch}" + (
            " (partial epoch)" if stopper.partial else ""
        )
        if verbose:
            print(f"stopped: {run.stopped_reason}", flush=True)
    return run


def _where(run, out_dir, budget) -> str:
    """Which checkpoint a resume would start from, and how far it is."""
    if out_dir is None:
        return "no checkpoint saved (out_dir=None)"
    if run.checkpoint is None:
        return "no checkpoint saved yet"
    try:
        meta = checkpoints.describe(run.checkpoint)
    except checks.DamagedRun:
        return f"last checkpoint: {run.checkpoint}"
    return (
        f"the last checkpoint, {run.checkpoint}, holds {budget.done_text(meta['step'], meta['epoch'], meta['history'])}"
    )
