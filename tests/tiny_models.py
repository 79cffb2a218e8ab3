"""Tiny networks for fast training tests: a 28x28x1 GAN that trains a step in milliseconds."""

from ganlab import config  # first: imports TensorFlow quietly

import keras
import numpy as np
import tensorflow as tf

LATENT = 8


def tiny_generator(width=16):
    """z (8) → 28x28x1 tanh, with a BatchNormalization layer (non-trainable statistics too)."""
    z = keras.Input((LATENT,))
    x = keras.layers.Dense(width)(z)
    x = keras.layers.BatchNormalization()(x)
    x = keras.layers.Dense(28 * 28, activation="tanh")(x)
    return keras.Model(z, keras.layers.Reshape((28, 28, 1))(x))


def tiny_discriminator(dropout=0.0):
    """28x28x1 → one logit; with dropout > 0 it holds a SeedGenerator whose state a checkpoint must keep."""
    image = keras.Input((28, 28, 1))
    x = keras.layers.Flatten()(image)
    x = keras.layers.Dense(16, activation="relu")(x)
    if dropout:
        x = keras.layers.Dropout(dropout)(x)
    return keras.Model(image, keras.layers.Dense(1)(x))


def random_images(n=64, seed=0):
    """n uniform-noise "images" in [-1, 1], (n, 28, 28, 1) float32."""
    return np.random.default_rng(seed).uniform(-1, 1, (n, 28, 28, 1)).astype("float32")


def random_dataset(n=64, batch=16):
    """``random_images(n)`` as an unshuffled tf.data dataset of ``batch``-image batches."""
    return tf.data.Dataset.from_tensor_slices(random_images(n)).batch(batch)
