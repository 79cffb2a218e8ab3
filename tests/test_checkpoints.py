"""Tests for ganlab.checkpoints and resuming in ganlab.training: exact round trips, interrupt → resume with no gap
or duplicate, atomic saves (a crash or a kill at any moment leaves a loadable checkpoint), clear mismatch errors."""

import errno
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from ganlab import config

import keras
import numpy as np
import pytest
import tensorflow as tf

from ganlab import checkpoints, checks, training
from ganlab.gan import GAN
from tiny_models import LATENT, tiny_discriminator, tiny_generator

pytestmark = pytest.mark.backends  # backend-sensitive: make test runs this file on TensorFlow, JAX and PyTorch

BATCH, N = 16, 64
STEPS = N // BATCH  # 4 steps per epoch


def make_gan(seed=0, width=16, g_optimizer=None):
    config.set_seed(seed)
    gan = GAN(tiny_generator(width), tiny_discriminator(dropout=0.3), seed=seed)
    gan.compile(keras.optimizers.Adam(1e-3), g_optimizer or keras.optimizers.Adam(1e-3))
    return gan


def dataset():
    x = np.random.default_rng(0).uniform(-1, 1, (N, 28, 28, 1)).astype("float32")
    return tf.data.Dataset.from_tensor_slices(x).batch(BATCH)  # unshuffled: epochs are repeatable


def state_of(gan):
    """Every checkpointed value of a GAN, by group."""
    return {g: [np.array(v.numpy()) for v in vs] for g, vs in gan.state().items()}


def assert_same_state(a, b):
    for group in a:
        assert len(a[group]) == len(b[group]), group
        for i, (x, y) in enumerate(zip(a[group], b[group])):
            np.testing.assert_array_equal(x, y, err_msg=f"{group} variable {i}")


def save(gan, directory, epoch, **kwargs):
    return checkpoints.save_checkpoint(
        gan, directory, epoch=epoch, history={"epoch": list(range(1, epoch + 1))}, **kwargs
    )


class Interrupt(keras.callbacks.Callback):
    """Raise KeyboardInterrupt (the Jupyter stop button) before batch ``batch`` of epoch ``epoch`` (0-based)."""

    def __init__(self, epoch, batch):
        super().__init__()
        self.epoch, self.batch = epoch, batch

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch

    def on_train_batch_begin(self, batch, logs=None):
        if self._epoch == self.epoch and batch == self.batch:
            raise KeyboardInterrupt


class Capture(keras.callbacks.Callback):
    """Keep a copy of the full state at the end of each epoch."""

    def __init__(self):
        super().__init__()
        self.states = {}

    def on_epoch_end(self, epoch, logs=None):
        self.states[epoch + 1] = state_of(self.model)


def test_round_trip_restores_every_variable_exactly(tmp_path):
    gan = make_gan(seed=0)
    gan.fit(dataset(), epochs=1, verbose=0, shuffle=False)
    noise = np.random.normal(size=(4, LATENT)).astype("float32")
    frames = [np.full((4, 28, 28, 1), i, np.uint8) for i in range(3)]
    np.random.seed(123)
    rng_before = np.random.get_state()
    path = checkpoints.save_checkpoint(
        gan, tmp_path, epoch=1, history={"d_loss": [0.5]}, fixed_noise=noise, frames=frames, frame_epochs=[0, 1, 2]
    )
    assert path.name == "ckpt-00001" and checkpoints.describe(path)["epoch"] == 1

    np.random.seed(999)
    other = make_gan(seed=7)  # different initial weights, optimizers not stepped yet
    state = checkpoints.load_checkpoint(other, tmp_path)
    assert_same_state(state_of(gan), state_of(other))
    assert int(other.g_optimizer.iterations.numpy()) == STEPS and int(other.d_optimizer.iterations.numpy()) == STEPS
    assert (state.epoch, state.step, state.history, state.frame_epochs) == (1, STEPS, {"d_loss": [0.5]}, [0, 1, 2])
    np.testing.assert_array_equal(state.fixed_noise, noise)
    np.testing.assert_array_equal(np.stack(state.frames), np.stack(frames))
    assert np.random.get_state()[2] == rng_before[2]
    np.testing.assert_array_equal(np.random.get_state()[1], rng_before[1])


def test_interrupt_then_resume_has_no_gap_no_duplicate_and_matches_a_straight_run(tmp_path, capsys):
    straight = make_gan()
    full = training.train(straight, dataset(), epochs=4, out_dir=tmp_path / "straight", verbose=0)

    # Train, and press "stop" in epoch 3 after two batches.
    capture = Capture()
    run = training.train(
        make_gan(),
        dataset(),
        epochs=4,
        out_dir=tmp_path / "run",
        verbose=0,
        callbacks=[capture, Interrupt(epoch=2, batch=2)],
    )
    message = capsys.readouterr().out
    assert run.interrupted and run.stopped_reason == "interrupted"
    assert run.history["epoch"] == [1, 2] and run.epochs_done == 2 and run.step == 2 * STEPS + 2
    assert "Interrupted at step 10; the last checkpoint" in message and "ckpt-00002, holds 2 epochs" in message
    assert "resume=True" in message
    assert len(message.strip().splitlines()) == 1

    # A fresh GAN object: right after loading, it holds exactly the state at the end of epoch 2.
    resumed = make_gan(seed=5)
    checkpoints.load_checkpoint(resumed, tmp_path / "run")
    assert_same_state(capture.states[2], state_of(resumed))

    run2 = training.train(resumed, dataset(), epochs=4, out_dir=tmp_path / "run", resume=True, verbose=0)
    assert run2.history["epoch"] == [1, 2, 3, 4] and run2.epochs_done == 4 and not run2.interrupted
    assert all(type(e) is int for e in run2.history["epoch"])
    assert np.all(np.diff(run2.history["time_s"]) > 0)
    assert run2.frame_epochs == [0, 1, 2, 3, 4] and len(run2.frames) == 5
    assert int(resumed.g_optimizer.iterations.numpy()) == 4 * STEPS == run2.step
    assert int(resumed.d_optimizer.iterations.numpy()) == 4 * STEPS
    # On this CPU, with an unshuffled dataset, 2 + 2 epochs give bit-identical results to 4 straight ones.
    assert_same_state(state_of(straight), state_of(resumed))
    assert run2.history["g_loss"] == full.history["g_loss"]


def test_resume_keeps_the_learning_rates_compiled_now(tmp_path):
    gan = make_gan()
    gan.fit(dataset(), epochs=1, verbose=0, shuffle=False)
    save(gan, tmp_path, 1)
    config.set_seed(0)
    lower = GAN(tiny_generator(), tiny_discriminator(dropout=0.3))
    lower.compile(keras.optimizers.Adam(1e-4), keras.optimizers.Adam(5e-5))
    checkpoints.load_checkpoint(lower, tmp_path)
    assert float(lower.d_optimizer.learning_rate.numpy()) == pytest.approx(1e-4)
    assert float(lower.g_optimizer.learning_rate.numpy()) == pytest.approx(5e-5)
    assert int(lower.g_optimizer.iterations.numpy()) == STEPS  # the rest of the optimizer state is restored


def test_resume_without_a_checkpoint_starts_fresh_and_says_so(tmp_path, capsys):
    run = training.train(make_gan(), dataset(), epochs=1, out_dir=tmp_path, resume=True, verbose=0)
    assert capsys.readouterr().out.strip() == f"no checkpoint in {tmp_path} yet; starting a fresh run"
    assert run.history["epoch"] == [1] and run.checkpoint.name == "ckpt-00001"
    again = training.train(make_gan(), dataset(), epochs=1, out_dir=tmp_path, resume=True, verbose=0)
    assert again.epochs_done == 1 and "nothing to do" in capsys.readouterr().out


def test_keeps_the_last_two_and_drops_an_abandoned_future(tmp_path):
    gan = make_gan()
    for epoch in (1, 2, 3, 4):
        save(gan, tmp_path, epoch)
    assert [p.name for p in checkpoints.list_checkpoints(tmp_path)] == ["ckpt-00003", "ckpt-00004"]
    save(gan, tmp_path, 2)  # resumed from an older state: ckpt-00003/4 belong to a future that never happened
    assert [p.name for p in checkpoints.list_checkpoints(tmp_path)] == ["ckpt-00002"]


def test_a_crash_while_writing_leaves_the_previous_checkpoint(tmp_path, monkeypatch):
    gan = make_gan()
    save(gan, tmp_path, 1)
    before = state_of(gan)
    gan.fit(dataset(), epochs=1, verbose=0, shuffle=False)

    def half_written(path, arrays):
        Path(path).write_bytes(b"PK\x03\x04 torn")  # a torn file
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(checkpoints, "_write_arrays", half_written)
    with pytest.raises(checks.CannotWrite, match="No space left on device; free some disk space"):
        save(gan, tmp_path, 2)
    monkeypatch.undo()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ckpt-00001"]  # temp folder removed
    fresh = make_gan(seed=3)
    assert checkpoints.load_checkpoint(fresh, tmp_path).epoch == 1
    assert_same_state(before, state_of(fresh))


def test_a_kill_after_the_rename_leaves_the_new_checkpoint_loadable(tmp_path, monkeypatch):
    gan = make_gan()
    save(gan, tmp_path, 1)
    gan.g_optimizer.iterations.assign(5)
    real = checkpoints.files.fsync_dir

    def killed(path):  # the kill comes after the new folder took its name, before the old one went
        real(path)
        if path == tmp_path:
            raise KeyboardInterrupt

    monkeypatch.setattr(checkpoints.files, "fsync_dir", killed)
    with pytest.raises(KeyboardInterrupt):
        save(gan, tmp_path, 2)
    monkeypatch.undo()
    state = checkpoints.load_checkpoint(make_gan(), tmp_path)
    assert (state.epoch, state.step) == (2, 5)


def test_leftovers_are_ignored_and_an_incomplete_folder_is_reported(tmp_path, capsys):
    gan = make_gan()
    save(gan, tmp_path, 1)
    save(gan, tmp_path, 2)
    # What a kill -9 can leave: a half-written temp folder and temp pointer, here with a tempting epoch.
    leftover = tmp_path / ".tmp-ckpt-00009-123-abc"
    leftover.mkdir()
    (leftover / "state.npz").write_bytes(b"PK\x03\x04 torn")
    (tmp_path / ".run.tmp-abc.json").write_text('{"checkpoint": "ckpt-000')  # an atomic write's temp file
    (tmp_path / "ckpt-00007").mkdir()  # a folder that is not a complete checkpoint
    assert checkpoints.latest_checkpoint(tmp_path).name == "ckpt-00002"
    assert checkpoints.load_checkpoint(make_gan(), tmp_path).epoch == 2
    assert "skipped the damaged checkpoint ckpt-00007: meta.json is missing" in capsys.readouterr().out
    assert not leftover.exists() and not (tmp_path / ".run.tmp-abc.json").exists()


def test_a_different_architecture_or_optimizer_is_refused_clearly(tmp_path):
    save(make_gan(), tmp_path, 1)
    with pytest.raises(ValueError, match=r"generator variable 0 .* shape \(8, 32\) here but \(8, 16\)"):
        checkpoints.load_checkpoint(make_gan(width=32), tmp_path)
    with pytest.raises(ValueError, match=r"its g_optimizer has 14 variables \(Adam\), this one has 2 \(SGD\)"):
        checkpoints.load_checkpoint(make_gan(g_optimizer=keras.optimizers.SGD(0.01)), tmp_path)
    uncompiled = GAN(tiny_generator(), tiny_discriminator(dropout=0.3))
    with pytest.raises(ValueError, match=r"call gan.compile\(d_optimizer=..., g_optimizer=...\) first"):
        checkpoints.load_checkpoint(uncompiled, tmp_path)
    with pytest.raises(checks.BadInput, match=r"no checkpoint \(ckpt-\* folder\) in"):
        checkpoints.load_checkpoint(make_gan(), tmp_path / "empty")


def _save_forever(directory):
    """Run in a subprocess by the kill test: save checkpoints with large frames in a loop until killed."""
    gan = make_gan()
    frames = [np.random.randint(0, 255, (64, 28, 28, 1), np.uint8) for _ in range(100)]  # ~5 MB per save
    for epoch in range(1, 10**6):
        gan.g_optimizer.iterations.assign(epoch)
        save(gan, directory, epoch, frames=frames, frame_epochs=range(100))
        print(f"saved {epoch}", flush=True)


def test_kill_9_during_saves_leaves_a_loadable_checkpoint(tmp_path):
    code = (
        f"import sys; sys.path.insert(0, {str(Path(__file__).parent)!r}); import test_checkpoints as t; "
        f"t._save_forever({str(tmp_path)!r})"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONWARNINGS": "ignore"}
    )
    try:
        for line in proc.stdout:
            if line.strip() == "saved 3":
                break
        time.sleep(np.random.default_rng().uniform(0.0, 0.1))  # somewhere inside a later save
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.kill()
        proc.wait()
    gan = make_gan()
    state = checkpoints.load_checkpoint(gan, tmp_path)
    assert state.epoch >= 3 and int(gan.g_optimizer.iterations.numpy()) == state.epoch
    assert len(checkpoints.list_checkpoints(tmp_path)) <= 3
    assert not list(tmp_path.glob(".tmp-*"))


def test_a_checkpoint_records_its_checksum_and_a_damaged_newest_one_falls_back(tmp_path, capsys):
    gan = make_gan()
    for epoch in (1, 2):
        gan.g_optimizer.iterations.assign(epoch)
        save(gan, tmp_path, epoch)
    meta = json.loads((tmp_path / "ckpt-00002" / checkpoints.META_FILE).read_text())
    assert len(meta["sha256"][checkpoints.STATE_FILE]) == 64
    state = tmp_path / "ckpt-00002" / checkpoints.STATE_FILE
    state.write_bytes(state.read_bytes()[:-10])
    assert checkpoints.load_checkpoint(make_gan(), tmp_path).epoch == 1
    assert "skipped the damaged checkpoint ckpt-00002: state.npz does not match its checksum" in capsys.readouterr().out
    (tmp_path / "ckpt-00001" / checkpoints.META_FILE).write_text("{")  # meta.json torn too
    with pytest.raises(checkpoints.DamagedCheckpoint, match="no checkpoint in .* can be loaded"):
        checkpoints.load_checkpoint(make_gan(), tmp_path)
