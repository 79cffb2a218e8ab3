"""Tests for ganlab.training and ganlab.callbacks on tiny models: who updates what, the Keras 3 freeze trap,
the guards (frozen weights, NaN, time budget), argument checks and the progress line."""

import re
import warnings

from ganlab import config

import keras
import numpy as np
import pytest
import tensorflow as tf
from keras import ops

from ganlab import checkpoints, losses, recipes, sampling, training
from ganlab.callbacks import guards, progress, records
from ganlab.gan import GAN, METRICS
from tiny_models import LATENT, tiny_discriminator, tiny_generator

pytestmark = pytest.mark.backends  # backend-sensitive: make test runs this file on TensorFlow, JAX and PyTorch

BATCH = 16


def make_gan(d_lr=1e-3, g_lr=1e-3, loss="non_saturating", n_critic=1, seed=0):
    config.set_seed(seed)
    gan = GAN(tiny_generator(), tiny_discriminator(), n_critic=n_critic, seed=seed)
    gan.compile(keras.optimizers.Adam(d_lr), keras.optimizers.Adam(g_lr), loss=loss)
    return gan


def images(n=64, seed=0):
    return np.random.default_rng(seed).uniform(-1, 1, (n, 28, 28, 1)).astype("float32")


def dataset(n=64, labels=False):
    x = images(n)
    data = (x, np.zeros(n, "int32")) if labels else x
    return tf.data.Dataset.from_tensor_slices(data).batch(BATCH)


def values(variables):
    return [np.array(v.numpy()) for v in variables]


def changed(before, variables):
    return [not np.array_equal(b, v.numpy()) for b, v in zip(before, variables)]


# Who updates what.


def test_d_step_changes_only_the_discriminator():
    gan = make_gan()
    g_before, d_before = values(gan.generator.trainable_weights), values(gan.discriminator.trainable_weights)
    g_stats = values(gan.generator.non_trainable_weights)
    gan.d_step(ops.convert_to_tensor(images(BATCH)))
    assert not any(changed(g_before, gan.generator.trainable_weights))
    assert all(changed(d_before, gan.discriminator.trainable_weights))
    # G makes the fakes in training mode (as in the TF DCGAN tutorial), so its BatchNorm statistics do move.
    assert all(changed(g_stats, gan.generator.non_trainable_weights))
    assert int(gan.d_optimizer.iterations.numpy()) == 1 and int(gan.g_optimizer.iterations.numpy()) == 0


def test_g_step_changes_only_the_generator():
    gan = make_gan()
    g_before, d_before = values(gan.generator.trainable_weights), values(gan.discriminator.trainable_weights)
    gan.g_step(BATCH)
    assert all(changed(g_before, gan.generator.trainable_weights))
    assert not any(changed(d_before, gan.discriminator.variables))
    assert int(gan.g_optimizer.iterations.numpy()) == 1 and int(gan.d_optimizer.iterations.numpy()) == 0


def test_d_step_metrics_match_the_discriminator_outputs():
    gan = make_gan()
    real = ops.convert_to_tensor(images(BATCH))
    logits = ops.convert_to_numpy(gan.discriminator(real, training=True))  # before the update
    gan.d_step(real)
    result = {m.name: float(m.result()) for m in gan.metrics}
    np.testing.assert_allclose(result["d_real"], np.mean(1 / (1 + np.exp(-logits))), rtol=1e-5)
    assert result["d_acc_real"] == pytest.approx(np.mean(logits > 0))
    assert 0 <= result["d_fake"] <= 1 and 0 <= result["d_acc_fake"] <= 1


def test_n_critic_discriminator_updates_per_generator_update():
    gan = make_gan(n_critic=3)
    gan.fit(dataset(), epochs=1, verbose=0, shuffle=False)
    assert int(gan.g_optimizer.iterations.numpy()) == 4
    assert int(gan.d_optimizer.iterations.numpy()) == 12


def test_wasserstein_gp_reports_the_penalty_and_labels_are_ignored():
    gan = make_gan(loss="wasserstein_gp", n_critic=2)
    logs = gan.fit(dataset(labels=True), epochs=1, verbose=0, shuffle=False).history
    assert set(METRICS) | {"gp"} == set(logs)
    assert logs["gp"][0] > 0 and np.isfinite(logs["d_loss"][0])


# The Keras 3 freeze trap.


TF_ONLY = pytest.mark.skipif(
    keras.backend.backend() != "tensorflow",
    reason="the freeze trap as Keras' TensorFlow trainer shows it (the notebooks' backend)",
)


def keras2_recipe():
    """The classic two-compile recipe: compile D, set D.trainable = False, compile combined = D(G(z))."""
    config.set_seed(0)
    gen, disc = tiny_generator(), tiny_discriminator()
    bce = keras.losses.BinaryCrossentropy(from_logits=True)
    disc.compile(keras.optimizers.Adam(1e-2), bce)
    disc.trainable = False
    z = keras.Input((LATENT,))
    combined = keras.Model(z, disc(gen(z)))
    combined.compile(keras.optimizers.Adam(1e-2), bce)
    return gen, disc, combined


def test_the_freeze_trap_the_notebooks_teach_holds_in_the_installed_keras():
    # Notebook 02 (section 4) and 05 (section 6) teach this as what Keras 3 does, on every backend: if a new Keras
    # trains a D frozen after its compile, this fails and names the version, so the lessons get rewritten.
    _, disc, _ = keras2_recipe()
    before = values(disc.weights)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        disc.train_on_batch(images(BATCH), np.ones((BATCH, 1), "float32"))
    assert not any(changed(before, disc.weights)), (
        f"Keras {keras.__version__} ({keras.backend.backend()}) now trains a discriminator frozen after its compile: "
        "the freeze trap of notebooks 02 and 05 no longer happens; rewrite those sections and checks.FREEZE_TRAP"
    )


@TF_ONLY
def test_keras3_two_compile_recipe_freezes_the_discriminator_for_good():
    gen, disc, combined = keras2_recipe()
    assert len(disc.trainable_weights) == 0

    # D "trains": Keras 3 reads `trainable` when it traces D's step, finds no weights, and changes nothing.
    before = values(disc.weights)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        disc.train_on_batch(images(BATCH), np.ones((BATCH, 1), "float32"))
    assert not any(changed(before, disc.weights))
    assert int(disc.optimizer.iterations.numpy()) == 0
    assert any("does not have any trainable weights" in str(w.message) for w in caught)
    # The combined model does train G (and leaves D alone), so the losses still move and hide the bug.
    g_before = values(gen.trainable_weights)
    combined.train_on_batch(np.random.normal(size=(BATCH, LATENT)), np.ones((BATCH, 1), "float32"))
    assert all(changed(g_before, gen.trainable_weights)) and not any(changed(before, disc.weights))

    # ganlab refuses the frozen D, and on the same networks with trainable back on it trains both.
    with pytest.raises(ValueError, match="no trainable weights"):
        GAN(gen, disc)
    disc.trainable = True
    gan = GAN(gen, disc)
    gan.compile(keras.optimizers.Adam(1e-3), keras.optimizers.Adam(1e-3))
    g_before, d_before = values(gen.trainable_weights), values(disc.trainable_weights)
    gan.fit(dataset(), epochs=1, verbose=0, shuffle=False)
    assert all(changed(g_before, gen.trainable_weights)) and all(changed(d_before, disc.trainable_weights))


@TF_ONLY
def test_keras3_reads_trainable_when_the_step_is_traced_not_when_compiled():
    # The converse: a step traced before the freeze keeps updating the "frozen" weights.
    config.set_seed(0)
    disc = tiny_discriminator()
    disc.compile(keras.optimizers.Adam(1e-2), keras.losses.BinaryCrossentropy(from_logits=True))
    x, y = images(BATCH), np.ones((BATCH, 1), "float32")
    disc.train_on_batch(x, y)
    disc.trainable = False
    before = values(disc.weights)
    disc.train_on_batch(x, y)
    assert all(changed(before, disc.weights))


@pytest.mark.parametrize("which", ["generator", "discriminator"])
def test_gan_refuses_a_frozen_network_and_explains_the_trap(which):
    gen, disc = tiny_generator(), tiny_discriminator()
    (gen if which == "generator" else disc).trainable = False
    with pytest.raises(ValueError, match=f"The {which} .* no trainable weights.*Keras 3") as info:
        GAN(gen, disc)
    assert "trainable = True" in str(info.value)


def test_gan_checks_its_networks():
    with pytest.raises(ValueError, match="latent_dim=5"):
        GAN(tiny_generator(), tiny_discriminator(), latent_dim=5)
    with pytest.raises(ValueError, match="n_critic"):
        GAN(tiny_generator(), tiny_discriminator(), n_critic=0)
    small_d = keras.Sequential([keras.Input((14, 14, 1)), keras.layers.Flatten(), keras.layers.Dense(1)])
    with pytest.raises(ValueError, match=r"\(28, 28, 1\).*\(14, 14, 1\)"):
        GAN(tiny_generator(), small_d)
    two_logits = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Flatten(), keras.layers.Dense(2)])
    with pytest.raises(ValueError, match=r"one logit per image, shape \(B, 1\); got \(None, 2\)"):
        GAN(tiny_generator(), two_logits)
    gan = GAN(tiny_generator(), tiny_discriminator())
    opt = keras.optimizers.Adam()
    with pytest.raises(ValueError, match="two optimizer objects"):
        gan.compile(opt, opt)


def test_weights_must_change_catches_a_zero_learning_rate():
    config.set_seed(0)
    gan = GAN(tiny_generator(), tiny_discriminator())
    gan.compile(keras.optimizers.SGD(0.0), keras.optimizers.Adam(1e-3))
    with pytest.raises(guards.FrozenWeightsError, match=r"discriminator's \d+ trainable weights.*learning_rate=0"):
        training.train(gan, dataset(), epochs=1, verbose=0)


def test_weights_must_change_catches_a_network_frozen_after_the_gan_was_built():
    gan = make_gan()
    gan.discriminator.trainable = False
    with pytest.raises(guards.FrozenWeightsError, match="no trainable weights"):
        gan.fit(dataset(), epochs=1, verbose=0, shuffle=False, callbacks=[guards.WeightsMustChange()])


# Sampling.


def test_draw_is_reproducible_with_a_seed_and_in_range():
    gan = make_gan()
    a, b, c = sampling.draw(gan, 5, seed=1), sampling.draw(gan, 5, seed=1), sampling.draw(gan, 5, seed=2)
    assert a.shape == (5, 28, 28, 1) and a.dtype == np.float32
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c) and a.min() >= -1 and a.max() <= 1
    np.testing.assert_allclose(
        gan.sample(np.zeros((300, LATENT))), ops.convert_to_numpy(gan(np.zeros((300, LATENT)))), atol=1e-6
    )
    with pytest.raises(ValueError, match=r"z must have shape \(n, 8\)"):
        gan.sample(np.zeros((2, 3)))


# train(): arguments, guards, budget, output.


def test_train_wants_exactly_one_of_epochs_and_seconds():
    gan = make_gan()
    with pytest.raises(ValueError, match="exactly one of steps=, epochs="):
        training.train(gan, dataset())
    with pytest.raises(ValueError, match="exactly one of steps=, epochs="):
        training.train(gan, dataset(), epochs=2, seconds=5)
    with pytest.raises(ValueError, match="resume=True needs out_dir"):
        training.train(gan, dataset(), epochs=1, resume=True)
    with pytest.raises(ValueError, match="repeats forever"):
        training.train(gan, dataset().repeat(), epochs=1)
    with pytest.raises(ValueError, match=r"shape \(None, 28, 28\)"):
        training.train(gan, tf.data.Dataset.from_tensor_slices(images()[..., 0]).batch(8), epochs=1)
    with pytest.raises(ValueError, match=r"in \[-1, 1\], got values in \[-255, 255\]"):
        training.train(gan, images() * 255, epochs=1, batch_size=BATCH)


def test_train_takes_a_numpy_array_of_images():
    run = training.train(make_gan(), images(), epochs=1, batch_size=BATCH, verbose=0)
    assert run.step == 4 and run.history["epoch"] == [1]


def test_train_refuses_to_overwrite_an_existing_run(tmp_path):
    training.train(make_gan(), dataset(), epochs=1, out_dir=tmp_path, verbose=0)
    with pytest.raises(ValueError, match="resume=True .* another out_dir"):
        training.train(make_gan(), dataset(), epochs=2, out_dir=tmp_path, verbose=0)


def test_train_records_history_and_frames():
    gan = make_gan()
    run = training.train(gan, dataset(), epochs=3, n_fixed=9, snapshot_every=2, verbose=0)
    assert run.history["epoch"] == [1, 2, 3] and run.epochs_done == 3 and run.step == 12
    assert list(run.history)[:3] == ["epoch", "d_loss", "g_loss"] and len(run.history["time_s"]) == 3
    assert np.all(np.diff(run.history["time_s"]) > 0)
    assert run.frame_epochs == [0, 2, 3]  # untrained, every 2nd epoch, and the final one
    assert run.frames[0].shape == (9, 28, 28, 1) and run.frames[0].dtype == np.uint8
    np.testing.assert_array_equal(run.frames[-1], records._to_uint8(gan.sample(run.fixed_noise)))
    assert not run.interrupted and run.stopped_reason is None
    assert "0x" not in repr(run) and "epochs_done=3" in repr(run)


def test_seconds_budget_stops_at_the_end_of_a_batch():
    gan = make_gan()
    training.train(gan, dataset(), epochs=1, steps_per_epoch=1, verbose=0)  # compile the step first (JAX: seconds)
    run = training.train(gan, dataset().repeat(), seconds=1.5, steps_per_epoch=10**6, verbose=0)
    assert "time budget of 1.50 s spent in epoch 1 (partial epoch)" == run.stopped_reason
    assert run.epochs_done == 1 and 0 < run.step < 10**6
    assert run.history["time_s"][-1] < 1.5 + 1.0


class PoisonLoss:
    """A GANLoss whose D loss turns NaN once ``flag`` is set (by the Poison callback)."""

    def __init__(self):
        self.flag = keras.Variable(0.0, trainable=False)
        base = losses.get("non_saturating")
        self.loss = losses.GANLoss("poison", self.d_loss, base.g_loss)
        self.base = base

    def d_loss(self, real_logits, fake_logits):
        loss = self.base.d_loss(real_logits, fake_logits)
        return ops.where(self.flag > 0, float("nan"), loss)


class Poison(keras.callbacks.Callback):
    def __init__(self, epoch, batch):
        super().__init__()
        self.epoch, self.batch = epoch, batch

    def on_train_batch_begin(self, batch, logs=None):
        if self._epoch == self.epoch and batch == self.batch:
            self.model.poison_flag.assign(1.0)  # through self.model, which on JAX first syncs the training state

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch


def test_non_finite_loss_stops_with_the_metric_named_and_keeps_the_last_good_checkpoint(tmp_path):
    poison = PoisonLoss()
    gan = make_gan(loss=poison.loss)
    gan.poison_flag = poison.flag  # part of the GAN's state, so that JAX's compiled step reads it each batch
    with pytest.raises(guards.TrainingDiverged) as info:
        training.train(gan, dataset(), epochs=5, out_dir=tmp_path, verbose=0, callbacks=[Poison(epoch=2, batch=1)])
    message = str(info.value)
    assert "d_loss" in message and "step 10" in message and "epoch 3" in message and "ckpt-00002" in message
    assert info.value.run.history["epoch"] == [1, 2]
    assert checkpoints.latest_checkpoint(tmp_path).name == "ckpt-00002"
    assert [p.name for p in checkpoints.list_checkpoints(tmp_path)] == ["ckpt-00001", "ckpt-00002"]


def test_progress_line_prints_one_stable_line_per_epoch(capsys):
    training.train(make_gan(), dataset(), epochs=3, verbose=1)
    lines = capsys.readouterr().out.splitlines()
    pattern = r"epoch [1-3]/3  d_loss \S+ +g_loss \S+ +D\(x\) [01]\.\d\d\d? +D\(G\(z\)\) [01]\.\d\d\d? +\S+ s"
    assert len(lines) == 3 and all(re.fullmatch(pattern, line) for line in lines), lines


class StopButton(keras.callbacks.Callback):
    def on_train_batch_begin(self, batch, logs=None):
        if batch == 2:
            raise KeyboardInterrupt


def test_an_interrupt_during_the_progress_bar_prints_one_clean_line(capsys):
    run = training.train(make_gan(), dataset(), epochs=3, verbose=2, callbacks=[StopButton()])
    out = capsys.readouterr().out
    assert run.interrupted and run.epochs_done == 0
    assert "\r  [" in out  # the bar was drawn ...
    last = out.splitlines()[-1].split("\r")[-1]  # ... and wiped: the message is what a terminal shows
    assert last.startswith("Interrupted at step 2; no checkpoint saved (out_dir=None); call train() again")


def test_verbose_0_prints_nothing(capsys):
    training.train(make_gan(), dataset(), epochs=2, verbose=0)
    assert capsys.readouterr().out == ""


def test_progress_line_prints_about_20_lines_on_long_runs(capsys):
    line = progress.ProgressLine(total_epochs=500, verbose=1)
    line.on_train_begin()
    for epoch in range(500):
        line.on_epoch_begin(epoch)
        line.on_epoch_end(epoch, {"d_loss": 1.23456, "g_loss": 0.87654, "d_real": 0.5, "d_fake": 0.25})
    line.on_train_end()
    lines = capsys.readouterr().out.splitlines()
    assert 20 <= len(lines) <= 22
    assert lines[0].startswith("epoch   1/500  d_loss 1.23    g_loss 0.877   D(x) 0.500   D(G(z)) 0.250   ")
    assert lines[-1].startswith("epoch 500/500")


def test_format_three_significant_figures():
    assert [progress.fmt(v) for v in (1.23456, 0.87654, 12.345, 0.5, 1234.5, -0.01234)] == [
        "1.23",
        "0.877",
        "12.3",
        "0.500",
        "1234",
        "-0.0123",
    ]


def test_make_gan_builds_the_course_gans_compiled_and_seeded():
    gan = recipes.make_gan("mlp", None, 8, lr=1e-3, beta_1=0.9, seed=3)
    assert gan.generator.name == "mlp_generator" and gan.latent_shape == (8,)
    assert gan.d_optimizer is not gan.g_optimizer
    for optimizer in (gan.d_optimizer, gan.g_optimizer):
        assert float(optimizer.learning_rate) == pytest.approx(1e-3) and optimizer.beta_1 == 0.9
    assert gan.loss_fn.name == "non_saturating"
    again = recipes.make_gan("mlp", None, 8, seed=3)
    assert all(np.array_equal(a, b) for a, b in zip(values(gan.generator.weights), values(again.generator.weights)))
    with pytest.raises(ValueError, match="unknown GAN kind"):
        recipes.make_gan("transformer")


@pytest.mark.parametrize("as_dataset", [False, True])
def test_images_out_of_range_are_refused_as_an_array_and_as_a_dataset(as_dataset):
    pixels = np.random.default_rng(0).uniform(0, 255, (64, 28, 28, 1)).astype("float32")  # not scaled to [-1, 1]
    data = tf.data.Dataset.from_tensor_slices(pixels).batch(16) if as_dataset else pixels
    with pytest.raises(ValueError, match=r"must be in \[-1, 1\].*x / 127.5 - 1"):
        training.train(make_gan(), data, epochs=1, verbose=0)
