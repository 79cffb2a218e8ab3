"""Tests for ganlab.sampling: run_generator and draw on a Keras generator, a GAN and a conditional generator, against
calling the network itself; the one label rule; the checks of z and labels."""

from ganlab import config  # first: imports TensorFlow quietly

import keras
import numpy as np
import pytest

from ganlab import gan as gan_module, sampling
from tiny_models import LATENT, tiny_discriminator, tiny_generator

pytestmark = pytest.mark.backends  # backend-sensitive: make test runs this file on TensorFlow, JAX and PyTorch


def conditional_generator():
    """[z (8), label] -> 28x28x1, the label as a learned vector joined to z."""
    z, y = keras.Input((LATENT,)), keras.Input((), dtype="int32")
    x = keras.layers.Concatenate()([z, keras.layers.Embedding(10, 4)(y)])
    x = keras.layers.BatchNormalization()(keras.layers.Dense(16)(x))
    return keras.Model([z, y], keras.layers.Reshape((28, 28, 1))(keras.layers.Dense(784, activation="tanh")(x)))


def network(inputs, net):
    return keras.ops.convert_to_numpy(net(inputs, training=False))


def test_run_generator_is_the_network_in_inference_mode_in_chunks():
    generator = tiny_generator()
    z = np.random.default_rng(0).standard_normal((5, LATENT))
    np.testing.assert_allclose(
        sampling.run_generator(generator, z, batch_size=2), network(z.astype("float32"), generator), atol=1e-6
    )


def test_a_gan_draws_from_its_sampler_the_weight_average_when_it_keeps_one():
    gan = gan_module.GAN(tiny_generator(), tiny_discriminator(), ema=0.9)
    gan.ema_generator.set_weights([w * 0.5 for w in gan.generator.get_weights()])  # the average differs from G
    z = np.random.default_rng(1).standard_normal((4, LATENT)).astype("float32")
    np.testing.assert_allclose(sampling.run_generator(gan, z), network(z, gan.ema_generator), atol=1e-6)
    np.testing.assert_array_equal(gan.sample(z), sampling.run_generator(gan, z))
    assert not np.allclose(sampling.run_generator(gan, z), network(z, gan.generator))


def test_draw_makes_its_noise_from_the_seed():
    generator = tiny_generator()
    z = np.random.default_rng(3).standard_normal((6, LATENT))  # the noise draw(..., seed=3) uses
    np.testing.assert_array_equal(sampling.draw(generator, 6, seed=3), sampling.run_generator(generator, z))
    np.testing.assert_array_equal(sampling.draw(generator, 6), sampling.draw(generator, 6, seed=0))
    assert not np.array_equal(sampling.draw(generator, 6, seed=3), sampling.draw(generator, 6, seed=4))


def test_a_conditional_generator_draws_the_digits_in_order_unless_asked():
    generator = conditional_generator()
    z = np.random.default_rng(0).standard_normal((20, LATENT)).astype("float32")
    in_order = np.repeat(np.arange(10), 2)  # default_labels(20): two of each digit, in order
    np.testing.assert_array_equal(sampling.default_labels(20), in_order)
    np.testing.assert_allclose(sampling.draw(generator, 20), network([z, in_order], generator), atol=1e-6)
    sevens = sampling.draw(generator, 20, labels=7)  # one digit for all
    np.testing.assert_allclose(sevens, network([z, np.full(20, 7)], generator), atol=1e-6)
    mixed = np.arange(20) % 10
    np.testing.assert_array_equal(
        sampling.draw(generator, 20, labels=mixed), sampling.run_generator(generator, z, mixed)
    )


def test_default_labels_give_a_row_per_digit():
    np.testing.assert_array_equal(sampling.default_labels(100), np.repeat(np.arange(10), 10))
    np.testing.assert_array_equal(sampling.default_labels(64), np.arange(64) * 10 // 64)
    np.testing.assert_array_equal(sampling.default_labels(10), np.arange(10))


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: sampling.draw(tiny_generator(), 0), "n must be a positive int, got 0"),
        (
            lambda: sampling.draw("generator.keras", 4),
            "generator must be a GAN or a built Keras model with declared inputs, got str",
        ),
        (
            lambda: sampling.draw(tiny_generator(), 4, labels=3),
            r"labels are for a conditional generator \(\[z, label\]\)",
        ),
        (lambda: sampling.draw(conditional_generator(), 3, labels=[1, 2]), r"labels must have shape \(3,\)"),
        (
            lambda: sampling.draw(conditional_generator(), 3, labels=10),
            "labels must be digits 0..9, got values from 10",
        ),
        (
            lambda: sampling.run_generator(tiny_generator(), np.zeros((2, 3))),
            r"z must have shape \(n, 8\), got \(2, 3\)",
        ),
        (
            lambda: sampling.run_generator(tiny_generator(), np.full((2, LATENT), np.nan)),
            "z holds 16 non-finite values",
        ),
    ],
)
def test_bad_input_is_refused_clearly(call, message):
    with pytest.raises(ValueError, match=message):
        call()
