"""Resuming means exactly what was asked (issue 25): budgets counted in their own unit, step-exact totals, a spent
budget that trains and writes nothing, another unit refused, metadata that proves itself, and a property test of
random train / interrupt / resume sequences."""

import json
import random

from ganlab import config

import keras
import pytest

from ganlab import checkpoints, checks, files, training
from ganlab.gan import GAN
from tiny_models import random_dataset, tiny_discriminator, tiny_generator

pytestmark = pytest.mark.backends  # backend-sensitive: make test runs this file on TensorFlow, JAX and PyTorch


def make_gan(seed=0):
    config.set_seed(seed)
    gan = GAN(tiny_generator(), tiny_discriminator(), seed=seed)
    gan.compile(keras.optimizers.Adam(1e-3), keras.optimizers.Adam(1e-3))
    return gan


def fit(out, **budget):
    """train() in a fresh GAN, as a new process would: only the checkpoints carry over."""
    return training.train(make_gan(), random_dataset(), out_dir=out, resume=True, verbose=0, **budget)


def snapshot(folder):
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def assert_whole_history(run):
    """Rows numbered 1, 2, ... with no gap or duplicate, steps strictly rising to the run's step."""
    assert run.history["epoch"] == list(range(1, len(run.history["epoch"]) + 1))
    steps = run.history["step"]
    assert steps == sorted(set(steps)) and steps[-1] == run.step, steps


@pytest.mark.parametrize("first, then", [(20, 40), (20, 45), (45, 60)])
def test_a_larger_steps_budget_trains_exactly_the_difference(tmp_path, first, then):
    # Before: rounds were worked out again from the new total, so 20 then 40 trained nothing more
    # ("nothing to do" after 20), and 200 then 250 ended at 350.
    assert fit(tmp_path, steps=first).step == first
    run = fit(tmp_path, steps=then)
    assert run.step == then and not run.already_done
    assert_whole_history(run)
    assert checkpoints.describe(run.checkpoint)["step"] == then


@pytest.mark.parametrize("then", [10, 20])
def test_a_spent_budget_trains_nothing_and_changes_no_file(tmp_path, capsys, then):
    fit(tmp_path, steps=20)
    before = snapshot(tmp_path)
    run = fit(tmp_path, steps=then)
    assert run.already_done and run.step == 20
    assert "already trained 20 steps (asked for" in capsys.readouterr().out
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize("first, then", [({"steps": 10}, {"epochs": 3}), ({"seconds": 0.5}, {"epochs": 4})])
def test_another_budget_unit_is_refused_and_the_folder_kept(tmp_path, first, then):
    # Before: --seconds 3 then --epochs 4 --resume counted a time budget's partial epoch as a whole one.
    fit(tmp_path, **first)
    before = snapshot(tmp_path)
    unit = next(iter(first))
    with pytest.raises(checks.RefusedResume, match=f"counts its budget in {unit}, not epochs"):
        fit(tmp_path, **then)
    assert snapshot(tmp_path) == before


def test_a_time_budget_is_a_total_and_its_partial_epoch_is_recorded_by_its_step(tmp_path):
    first = fit(tmp_path, seconds=0.5)
    assert first.history["step"][-1] == first.step  # the partial epoch says how far it got
    spent = first.history["time_s"][-1]
    run = fit(tmp_path, seconds=spent + 1.0)
    assert run.history["time_s"][-1] >= spent + 1.0 and run.step > first.step
    assert_whole_history(run)


def test_an_interrupt_names_the_checkpoint_a_resume_uses(tmp_path, capsys, monkeypatch):
    # Before: a Ctrl-C while epoch 3 was being saved said "kept 3 complete epochs" though ckpt-00002 was the last.
    real, calls = checkpoints.save_checkpoint, []

    def save(*args, **kwargs):
        calls.append(kwargs["epoch"])
        if kwargs["epoch"] == 3:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(checkpoints, "save_checkpoint", save)
    run = fit(tmp_path, steps=40, steps_per_epoch=10)
    assert run.interrupted and calls == [1, 2, 3]
    line = capsys.readouterr().out.strip().splitlines()[-1]
    assert f"the last checkpoint, {tmp_path / 'ckpt-00002'}, holds 20 steps" in line, line
    assert "resume=True" in line
    monkeypatch.setattr(checkpoints, "save_checkpoint", real)
    assert fit(tmp_path, steps=40).step == 40


def reseal(meta_file, **changes):
    meta = json.loads(meta_file.read_text())
    meta.update(changes)
    meta_file.write_text(json.dumps(meta))  # the old seal kept: an edit


@pytest.mark.parametrize(
    "damage, reason",
    [
        (lambda f: reseal(f, epoch=7), "meta.json does not match its checksum"),
        (lambda f: f.write_bytes(b""), "meta.json is not valid JSON"),
        (lambda f: f.write_bytes(f.read_bytes()[:-40]), "meta.json is not valid JSON"),
        (
            lambda f: f.write_text(json.dumps({k: v for k, v in json.loads(f.read_text()).items() if k != "checksum"})),
            "meta.json has lost its checksum",
        ),
        (lambda f: f.unlink(), "meta.json is missing"),
    ],
)
def test_damaged_metadata_is_reported_by_name_and_the_older_checkpoint_used(tmp_path, capsys, damage, reason):
    # Before: an edited "epoch": 7 was believed, and a broken meta.json fell back to an older checkpoint in silence.
    fit(tmp_path, steps=20, steps_per_epoch=10)
    damage(tmp_path / "ckpt-00002" / "meta.json")
    run = fit(tmp_path, steps=30)
    out = capsys.readouterr().out
    assert f"skipped the damaged checkpoint ckpt-00002: {reason}" in out, out
    assert "resumed from" in out and "ckpt-00001 (after 10 steps)" in out
    assert run.step == 30 and run.history["step"] == [10, 20, 30]


def test_an_old_unsealed_checkpoint_missing_a_key_is_reported_not_a_traceback(tmp_path, capsys):
    fit(tmp_path, steps=20, steps_per_epoch=10)
    meta_file = tmp_path / "ckpt-00002" / "meta.json"
    meta = files.unseal(json.loads(meta_file.read_text()), "meta.json")
    meta.pop("step")
    meta_file.write_text(json.dumps({**meta, "format": 1}))  # as ganlab wrote before it sealed its files
    fit(tmp_path, steps=30)
    assert "skipped the damaged checkpoint ckpt-00002: meta.json lacks 'step'" in capsys.readouterr().out


class StopAt(keras.callbacks.Callback):
    """Raise KeyboardInterrupt (Ctrl-C, or SIGTERM as the command line turns it) before batch ``at`` of this call."""

    def __init__(self, at):
        super().__init__()
        self.at, self.seen = at, 0

    def on_train_batch_begin(self, batch, logs=None):
        if self.seen == self.at:
            raise KeyboardInterrupt
        self.seen += 1


@pytest.mark.parametrize("seed", range(4))
def test_random_train_interrupt_resume_sequences_end_exactly_where_asked(tmp_path, seed):
    """A property test: whatever the order of budgets and interruptions, the run ends at the asked total with a
    history that has no gap or duplicate, and every call trains at most what is left."""
    rng = random.Random(seed)
    asked = 0
    for _ in range(4):
        total = rng.randint(1, 45)
        stop = rng.choice([None, None, rng.randint(0, 30)])
        newest = checkpoints.latest_checkpoint(tmp_path)
        before = checkpoints.describe(newest)["step"] if newest else 0
        callbacks = [StopAt(stop)] if stop is not None else []
        run = training.train(
            make_gan(), random_dataset(), steps=total, out_dir=tmp_path, resume=True, verbose=0, callbacks=callbacks
        )
        assert run.step <= max(total, before)
        if not run.interrupted:
            assert run.step == max(total, before)
        asked = max(asked, total)
    run = fit(tmp_path, steps=asked + 7)
    assert run.step == asked + 7
    assert_whole_history(run)
    assert run.frame_steps == sorted(set(run.frame_steps)) and run.frame_steps[-1] == asked + 7


def test_without_a_run_folder_each_call_trains_its_own_budget():
    # The notebooks' "call train() again to go on from the weights in memory": a budget counts from the call.
    gan = make_gan()
    training.train(gan, random_dataset(), steps=10, verbose=0)
    run = training.train(gan, random_dataset(), steps=10, verbose=0)
    assert run.step == 20 and run.history["step"] == [20] and not run.already_done
