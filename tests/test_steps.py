"""Tests for train()'s steps= budget (the same number of updates on any dataset size) and the live picture."""

import re

from ganlab import config

import keras
import numpy as np
import pytest

from ganlab import data, gan, training
from ganlab.callbacks import guards, live
from tiny_models import tiny_discriminator, tiny_generator

BATCH = 16


def make_gan(seed=0):
    config.set_seed(seed)
    model = gan.GAN(tiny_generator(), tiny_discriminator(), seed=seed)
    model.compile(keras.optimizers.Adam(1e-3), keras.optimizers.Adam(1e-3))
    return model


def images(n, seed=0):
    return np.random.default_rng(seed).uniform(-1, 1, (n, 28, 28, 1)).astype("float32")


@pytest.mark.backends
@pytest.mark.parametrize("n_images", [48, 480])
def test_a_steps_budget_takes_the_same_steps_on_small_and_large_data(n_images):
    # 48 images are 3 batches: 30 steps pass over them 10 times; 480 images are 30 batches, one pass.
    run = training.train(
        make_gan(), data.make_dataset(images(n_images), BATCH), steps=30, steps_per_epoch=10, verbose=0
    )
    assert run.step == 30 and run.history["epoch"] == [1, 2, 3] and run.round_steps == 10
    assert run.frame_epochs == [0, 1, 2, 3] and run.frame_steps == [0, 10, 20, 30]


def test_steps_rounds_default_to_at_most_100_steps_equal_where_they_can_be():
    rounds = {steps: guards.Budget.of(steps=steps).round_steps for steps in (30, 1200, 250, 101, 7)}
    assert rounds == {30: 30, 1200: 100, 250: 50, 101: 100, 7: 7}  # 101: a round of 100, then one of 1
    run = training.train(make_gan(), data.make_dataset(images(48), BATCH), steps=25, steps_per_epoch=10, verbose=0)
    assert run.step == 25 and run.history["step"] == [10, 20, 25] and run.frame_steps == [0, 10, 20, 25]
    with pytest.raises(ValueError, match="steps must be a positive int"):
        training.train(make_gan(), data.make_dataset(images(48), BATCH), steps=0)
    with pytest.raises(ValueError, match="exactly one of steps=, epochs="):
        training.train(make_gan(), data.make_dataset(images(48), BATCH), steps=10, epochs=1)


def test_a_steps_budget_takes_an_array_and_prints_steps(capsys):
    run = training.train(make_gan(), images(40), steps=20, steps_per_epoch=10, batch_size=BATCH, verbose=1)
    assert run.step == 20
    lines = capsys.readouterr().out.splitlines()
    assert [re.match(r"step (\d+)/20 ", line).group(1) for line in lines] == ["10", "20"], lines


@pytest.mark.backends
def test_a_steps_run_resumes_to_its_total(tmp_path):
    dataset = data.make_dataset(images(48), BATCH)
    first = training.train(make_gan(), dataset, steps=20, steps_per_epoch=10, out_dir=tmp_path, verbose=0)
    assert first.step == 20
    again = training.train(make_gan(), dataset, steps=40, steps_per_epoch=10, out_dir=tmp_path, resume=True, verbose=0)
    assert again.step == 40 and again.history["epoch"] == [1, 2, 3, 4] and again.frame_steps[-1] == 40


def test_the_live_picture_draws_nothing_outside_jupyter_and_labels_its_frames():
    assert not live.in_jupyter()
    run = training.train(
        make_gan(), data.make_dataset(images(48), BATCH), steps=20, steps_per_epoch=10, verbose=0, live=True
    )
    assert len(run.frames) == 3
    snapshots = type("Snapshots", (), {"frame_steps": [0, 10, 30], "frame_epochs": [0, 1, 2]})
    assert live.LivePicture(snapshots, "step").label() == "step 30"
    assert live.LivePicture(snapshots).label() == "epoch 2"
    png = live.frame_png(run.frames[-1], "step 20")
    assert png[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_live_picture_updates_one_output_in_a_kernel(monkeypatch):
    shown = []

    class Handle:
        def update(self, image):
            shown.append(("update", image))

    def display(image, display_id):
        shown.append(("display", image))
        return Handle()

    import IPython.display

    monkeypatch.setattr(live, "in_jupyter", lambda: True)
    monkeypatch.setattr(IPython.display, "display", display)
    training.train(
        make_gan(),
        data.make_dataset(images(48), BATCH),
        steps=30,
        steps_per_epoch=10,
        verbose=0,
        snapshot_every=1,
        live=True,
    )
    # One output, drawn at step 10 and updated with each new frame (steps 20, 30): never a second output.
    assert [kind for kind, _ in shown] == ["display", "update", "update"]
