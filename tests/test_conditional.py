"""Tests for ganlab.conditional: the builders and their label checks, who a step updates, that D sees the label and
G is asked for it, the row-per-digit default, resume, and the digit explorer (metrics.class_accuracy: test_metrics)."""

import sys

from ganlab import config

import keras
import matplotlib
import numpy as np
import pytest
import tensorflow as tf
from keras import ops

matplotlib.use("Agg")

import matplotlib.pyplot as plt
from matplotlib.figure import Figure

from ganlab import conditional, data, models, sampling, training
from tiny_models import LATENT, tiny_discriminator, tiny_generator

BATCH, N = 16, 64
STEPS = N // BATCH


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def tiny_cgenerator():
    """[z (8), label] -> 28x28x1 tanh, with BatchNorm: a conditional generator that steps in milliseconds."""
    z, y = keras.Input((LATENT,)), keras.Input((), dtype="int32")
    x = keras.layers.Concatenate()([z, keras.layers.Embedding(10, 4)(y)])
    x = keras.layers.BatchNormalization()(keras.layers.Dense(16)(x))
    return keras.Model([z, y], keras.layers.Reshape((28, 28, 1))(keras.layers.Dense(784, activation="tanh")(x)))


def tiny_cdiscriminator(dropout=0.0):
    """[image, label] -> one logit; with dropout > 0 it holds a SeedGenerator whose state a checkpoint must keep."""
    image, y = keras.Input((28, 28, 1)), keras.Input((), dtype="int32")
    x = keras.layers.Concatenate()([keras.layers.Flatten()(image), keras.layers.Embedding(10, 4)(y)])
    x = keras.layers.Dense(16, activation="relu")(x)
    x = keras.layers.Dropout(dropout)(x) if dropout else x
    return keras.Model([image, y], keras.layers.Dense(1)(x))


def make_gan(seed=0, dropout=0.0):
    config.set_seed(seed)
    gan = conditional.ConditionalGAN(tiny_cgenerator(), tiny_cdiscriminator(dropout), seed=seed)
    gan.compile(keras.optimizers.Adam(1e-3), keras.optimizers.Adam(1e-3))
    return gan


def labelled_dataset():
    rng = np.random.default_rng(0)
    x, y = rng.uniform(-1, 1, (N, 28, 28, 1)).astype("float32"), rng.integers(0, 10, N).astype("int32")
    return tf.data.Dataset.from_tensor_slices((x, y)).batch(BATCH)  # unshuffled: epochs are repeatable


def values(variables):
    return [np.array(v.numpy()) for v in variables]


def changed(before, variables):
    return [not np.array_equal(b, v.numpy()) for b, v in zip(before, variables)]


# Builders and label checks.


@pytest.mark.backends
def test_builders_shapes_names_and_sizes():
    g, d = conditional.build_cgan_generator(100), conditional.build_cgan_discriminator()
    assert [tuple(t.shape) for t in g.inputs] == [(None, 100), (None,)] and g.output_shape == (None, 28, 28, 1)
    assert [tuple(t.shape) for t in d.inputs] == [(None, 28, 28, 1), (None,)] and d.output_shape == (None, 1)
    # The default preset's DCGAN plus the label: G's dense layer reads 100 + 50 numbers; D has one template of its
    # 7 x 7 x 64 features per digit, and otherwise the DCGAN discriminator's weights.
    assert g.get_layer("g_embed").embeddings.shape == (10, 50) and g.get_layer("g_dense").kernel.shape == (150, 6272)
    assert d.get_layer("d_embed").embeddings.shape == (10, 7 * 7 * 64)
    assert g.count_params() == models.build_dcgan_generator(100).count_params() + 10 * 50 + 50 * 6272
    assert d.count_params() == models.build_dcgan_discriminator("two-conv").count_params() + 10 * 3136
    images = ops.convert_to_numpy(g([np.zeros((3, 100), "float32"), np.array([0, 5, 9])], training=False))
    assert images.shape == (3, 28, 28, 1) and np.abs(images).max() <= 1.0
    assert d([images, np.array([0, 5, 9])]).shape == (3, 1)


def test_builders_check_their_arguments():
    with pytest.raises(ValueError, match="latent_dim must be a positive int, got 0"):
        conditional.build_cgan_generator(0)
    with pytest.raises(ValueError, match="embed_dim must be a positive int"):
        conditional.build_cgan_generator(100, embed_dim="50")
    with pytest.raises(ValueError, match="unknown DCGAN preset 'huge'"):
        conditional.build_cgan_discriminator(preset="huge")
    with pytest.raises(ValueError, match="divisible by 8"):
        conditional.build_cgan_generator(preset=models.dcgan_config(g_channels=(64, 32), g_strides=(2, 2)))


@pytest.mark.parametrize(
    "labels, message",
    [
        ([0, 10, 3], r"labels must be digits 0..9, got values from 0 to 10"),
        ([-1, 2, 3], r"labels must be digits 0..9, got values from -1 to 3"),
        ([1.0, 2.0, 3.0], "labels must be integers"),
        ([1, 2], r"labels must have shape \(3,\), one digit per image, got \(2,\)"),
        ([[1], [2], [3]], r"labels must have shape \(3,\)"),
    ],
)
def test_wrong_labels_are_refused_clearly(labels, message):
    gan = make_gan()
    with pytest.raises(ValueError, match=message):
        gan.sample(np.zeros((3, LATENT), "float32"), labels)


@pytest.mark.backends
def test_one_label_is_repeated_and_z_is_checked():
    gan = make_gan()
    z = np.random.default_rng(0).standard_normal((4, LATENT)).astype("float32")
    np.testing.assert_array_equal(gan.sample(z, 7), gan.sample(z, [7, 7, 7, 7]))
    with pytest.raises(ValueError, match=r"z must have shape \(n, 8\), got \(4, 9\)"):
        gan.sample(np.zeros((4, 9), "float32"))
    with pytest.raises(ValueError, match="n must be a positive int, got 0"):
        sampling.draw(gan, 0)


def test_conditional_gan_refuses_networks_without_a_label_input():
    with pytest.raises(ValueError, match=r"a conditional generator takes two inputs, \[z .*\]"):
        conditional.ConditionalGAN(tiny_generator(), tiny_cdiscriminator())
    with pytest.raises(ValueError, match="a conditional discriminator takes two inputs"):
        conditional.ConditionalGAN(tiny_cgenerator(), tiny_discriminator())
    with pytest.raises(ValueError, match="latent_dim=100 but the generator takes z of shape"):
        conditional.ConditionalGAN(tiny_cgenerator(), tiny_cdiscriminator(), latent_dim=100)
    gan = conditional.ConditionalGAN(tiny_cgenerator(), tiny_cdiscriminator())
    with pytest.raises(ValueError, match="does not support the 'wasserstein_gp' loss"):
        gan.compile(keras.optimizers.Adam(), keras.optimizers.Adam(), loss="wasserstein_gp")
    assert conditional.is_conditional(gan) and not conditional.is_conditional(tiny_generator())


# The train step.


@pytest.mark.backends
def test_d_step_changes_only_the_discriminator_and_g_step_only_the_generator():
    gan = make_gan()
    g0, d0 = values(gan.generator.trainable_weights), values(gan.discriminator.trainable_weights)
    gan.d_step(ops.convert_to_tensor(np.zeros((BATCH, 28, 28, 1), "float32")), ops.arange(BATCH) % 10)
    assert not any(changed(g0, gan.generator.trainable_weights))
    assert all(changed(d0, gan.discriminator.trainable_weights))  # the label embedding too
    d1 = values(gan.discriminator.variables)
    gan.g_step(BATCH)
    assert all(changed(g0, gan.generator.trainable_weights)) and not any(changed(d1, gan.discriminator.variables))
    assert int(gan.d_optimizer.iterations.numpy()) == 1 and int(gan.g_optimizer.iterations.numpy()) == 1


class Spy:
    """Stands in for a network and records the labels it is called with."""

    def __init__(self, net):
        self.net, self.labels = net, []

    def __call__(self, inputs, training=False):
        self.labels.append(np.array(inputs[1]))
        return self.net(inputs, training=training)

    def __getattr__(self, name):
        return getattr(self.net, name)


@pytest.mark.backends
def test_d_judges_real_fake_and_mismatched_pairs_and_g_is_judged_on_the_digits_it_was_asked_for():
    gan = make_gan()
    spy_g, spy_d = Spy(gan.generator), Spy(gan.discriminator)
    gan.__dict__.update(generator=spy_g, discriminator=spy_d)  # bypass Keras' attribute tracking
    real_labels = np.arange(BATCH) % 10
    gan.d_step(ops.convert_to_tensor(np.zeros((BATCH, 28, 28, 1), "float32")), ops.convert_to_tensor(real_labels))
    fake_labels = spy_g.labels[0]
    np.testing.assert_array_equal(spy_d.labels[0], real_labels)  # (real image, its label)
    np.testing.assert_array_equal(spy_d.labels[1], fake_labels)  # (G(z, y), y)
    wrong = spy_d.labels[2]  # (real image, a wrong label): another digit, never the image's own
    assert np.all(wrong != real_labels) and wrong.min() >= 0 and wrong.max() <= 9
    gan.g_step(BATCH)
    np.testing.assert_array_equal(spy_d.labels[3], spy_g.labels[1])
    drawn = np.concatenate([spy_g.labels[0], spy_g.labels[1]])
    assert drawn.min() >= 0 and drawn.max() <= 9 and len(np.unique(drawn)) >= 5  # random digits


@pytest.mark.backends
def test_without_mismatch_d_sees_only_real_and_fake_pairs():
    gan = make_gan()
    gan.mismatch, spy_d = False, Spy(gan.discriminator)
    gan.__dict__.update(discriminator=spy_d)
    gan.d_step(ops.convert_to_tensor(np.zeros((BATCH, 28, 28, 1), "float32")), ops.arange(BATCH) % 10)
    assert len(spy_d.labels) == 2
    with pytest.raises(ValueError, match="mismatch must be True or False"):
        conditional.ConditionalGAN(tiny_cgenerator(), tiny_cdiscriminator(), mismatch="yes")


def test_a_conditional_d_learns_a_target_that_depends_only_on_the_label():
    # The same images are real with their own label and fake with the next digit's: no function of the image
    # alone does better than 50%, so only a discriminator that reads the label can learn this.
    config.set_seed(0)
    x = data.to_float(data.load_mnist(verbose=False).x_train[:32])
    y = np.arange(32) % 10
    d = conditional.build_cgan_discriminator()
    d.compile(keras.optimizers.Adam(2e-3), keras.losses.BinaryCrossentropy(from_logits=True))
    inputs = [np.concatenate([x, x]), np.concatenate([y, (y + 1) % 10])]
    target = np.concatenate([np.ones(32), np.zeros(32)])
    d.fit(inputs, target, epochs=40, batch_size=64, verbose=0)
    accuracy = np.mean((d.predict(inputs, verbose=0)[:, 0] > 0) == target)
    assert accuracy >= 0.9


def test_train_needs_labelled_batches():
    gan = make_gan()
    images_only = tf.data.Dataset.from_tensor_slices(np.zeros((N, 28, 28, 1), "float32")).batch(BATCH)
    with pytest.raises(ValueError, match="trains on \\(images, labels\\) batches"):
        training.train(gan, images_only, epochs=1, verbose=0)


# Default labels, snapshots and resume.


@pytest.mark.backends
def test_default_labels_give_a_row_per_digit():
    gan = make_gan()
    z = np.random.default_rng(1).standard_normal((100, LATENT)).astype("float32")
    by_default = gan.sample(z)
    np.testing.assert_array_equal(by_default, gan.sample(z, np.repeat(np.arange(10), 10)))
    np.testing.assert_allclose(ops.convert_to_numpy(gan(z)), by_default, atol=1e-6)  # what snapshots call


@pytest.mark.backends
def test_train_snapshots_show_the_default_labels_and_resume_matches_a_straight_run(tmp_path):
    fixed = np.random.default_rng(2).standard_normal((100, LATENT)).astype("float32")
    straight = make_gan(dropout=0.3)
    run = training.train(straight, labelled_dataset(), epochs=3, fixed_noise=fixed, verbose=0)
    np.testing.assert_array_equal(run.frames[-1], data.to_uint8(straight.sample(fixed)))

    first = make_gan(dropout=0.3)
    training.train(first, labelled_dataset(), epochs=2, fixed_noise=fixed, out_dir=tmp_path, verbose=0)
    resumed = make_gan(seed=5, dropout=0.3)  # other weights: everything must come from the checkpoint
    run2 = training.train(resumed, labelled_dataset(), epochs=3, out_dir=tmp_path, resume=True, verbose=0)
    assert run2.history["epoch"] == [1, 2, 3] and run2.step == 3 * STEPS and run2.frame_epochs == [0, 1, 2, 3]
    for a, b in zip(straight.state().values(), resumed.state().values()):
        for x, y in zip(a, b):
            np.testing.assert_array_equal(x.numpy(), y.numpy())


# The digit explorer.


def test_plot_digit_draws_the_asked_digit_and_all_ten_from_the_same_z():
    gan = make_gan()
    z = np.random.default_rng(0).standard_normal(LATENT).astype("float32")
    fig = conditional.plot_digit(gan, z, 7)
    big, strip = fig.axes
    expected = (gan.sample(np.repeat(z[None], 10, axis=0), np.arange(10)) + 1) / 2
    np.testing.assert_allclose(big.images[0].get_array(), expected[7, ..., 0], atol=1e-6)
    assert strip.images[0].get_array().shape == (2 * 29 + 1, 5 * 29 + 1) and big.get_title() == "asked for a 7"
    assert strip.patches[0].get_xy() == (29 * 2 + 0.5, 29 * 1 + 0.5)  # the box around the 7 (row 2, column 3)


def test_explorer_builds_without_a_frontend_and_its_handlers_redraw():
    gan = make_gan()
    ex = conditional.explore_digits(gan, n_sliders=3, seed=0)
    assert type(ex.widget).__name__ == "VBox" and list(ex.controls) == ["digit", 0, 1, 2]
    assert [ex.controls[i].value for i in range(3)] == list(ex.z[:3])  # the sliders show z's coordinates
    bundle = ex._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle and "live Jupyter kernel" in bundle["text/plain"]
    ex.controls["digit"].value = 4  # as a click would
    assert ex.digit == 4
    fig = ex.set_coordinate(1, 2.5)
    assert isinstance(fig, Figure) and ex.z[1] == 2.5 and fig.axes[0].get_title().startswith("a 4; z[:3] = ")
    np.testing.assert_allclose(
        fig.axes[0].images[0].get_array(), (gan.sample(ex.z[None], [4])[0, ..., 0] + 1) / 2, atol=1e-6
    )
    ex.controls[0].value = -1.0
    assert ex.z[0] == -1.0
    with pytest.raises(ValueError, match="n_sliders=9 but z has only 8 coordinates"):
        conditional.explore_digits(gan, n_sliders=9)
    assert conditional.explore_digits(gan, digit=7).controls["digit"].value == 7
    with pytest.raises(ValueError, match="labels must be digits 0..9"):
        conditional.explore_digits(gan, digit=10)


def test_explorer_without_ipywidgets_still_draws(monkeypatch):
    monkeypatch.setitem(sys.modules, "ipywidgets", None)
    ex = conditional.explore_digits(make_gan())
    assert ex.widget is None and "live Jupyter kernel" in ex._repr_mimebundle_()["text/plain"]
    assert isinstance(ex.set_digit(9), Figure) and ex.digit == 9
