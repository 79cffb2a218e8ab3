"""Training throughput of DCGAN sizes on this machine: the tutorial network and smaller candidates.

One step = a discriminator update on a batch of real images and fresh fakes, then a generator update on new
noise (the keras-io GAN train step that ganlab trains with), inside a plain ``tf.function`` with GradientTape,
non-saturating loss and Adam(2e-4, beta_1=0.5). Images/s counts real images per second. Run:

    .venv/bin/python benchmarks/dcgan_presets.py [--batch 128] [--steps 10] [--repeats 5]
"""

from __future__ import annotations

import argparse
import os
import time

from ganlab import config

import keras
import numpy as np
import tensorflow as tf

from ganlab import losses, models

# Candidate sizes: the tutorial, and overrides on the smaller "default" shape of the time these were measured
# (models.PRE_SEARCH_DEFAULT: LeakyReLU slope 0.2, dropout 0.3, D with two convolutions).
OLD = models.PRE_SEARCH_DEFAULT
# Names read g<dense channels>_k<kernel>_d<first D channels>; G then halves its channels, D doubles them.
CANDIDATES = {
    "tutorial": ("tutorial", {}),
    "half_tutorial_k5": (OLD, dict(g_channels=(64, 32), g_strides=(1, 2), g_kernel=5, d_kernel=5)),
    "g128_k5_d64": (OLD, dict(g_kernel=5, d_kernel=5, d_channels=(64, 128))),
    "g128_k5_d32": (OLD, dict(g_kernel=5, d_kernel=5)),
    "g128_k4_d32": (OLD, dict(g_kernel=4, d_kernel=4)),
    "g64_k5_d32": (OLD, dict(g_dense_channels=64, g_channels=(32,), g_kernel=5, d_kernel=5)),
    "g64_k4_d32": (OLD, dict(g_dense_channels=64, g_channels=(32,), g_kernel=4, d_kernel=4)),
    "g32_k4_d32": (OLD, dict(g_dense_channels=32, g_channels=(16,), g_kernel=4, d_kernel=4)),
}
LATENT_DIM = 100


def make_train_step(generator, discriminator, loss):
    """A compiled D-then-G update, as in the course's GAN.train_step."""
    d_opt = keras.optimizers.Adam(2e-4, beta_1=0.5)
    g_opt = keras.optimizers.Adam(2e-4, beta_1=0.5)
    d_opt.build(discriminator.trainable_variables)
    g_opt.build(generator.trainable_variables)

    @tf.function
    def train_step(real):
        batch = tf.shape(real)[0]
        z = tf.random.normal((batch, LATENT_DIM))
        with tf.GradientTape() as tape:
            fake = generator(z, training=True)  # (B, 28, 28, 1)
            d_loss = loss.d_loss(discriminator(real, training=True), discriminator(fake, training=True))
        grads = tape.gradient(d_loss, discriminator.trainable_variables)
        d_opt.apply_gradients(zip(grads, discriminator.trainable_variables))

        z = tf.random.normal((batch, LATENT_DIM))
        with tf.GradientTape() as tape:
            g_loss = loss.g_loss(discriminator(generator(z, training=True), training=True))
        grads = tape.gradient(g_loss, generator.trainable_variables)
        g_opt.apply_gradients(zip(grads, generator.trainable_variables))
        return d_loss, g_loss

    return train_step


def prepare(params: dict, batch: int, warmup: int = 3) -> dict:
    """Build and compile one candidate, and run ``warmup`` untimed steps (tracing, memory allocation)."""
    generator = models.build_dcgan_generator(LATENT_DIM, preset=params)
    discriminator = models.build_dcgan_discriminator(preset=params)
    step = make_train_step(generator, discriminator, losses.get("non_saturating"))
    real = tf.constant(np.random.default_rng(0).uniform(-1, 1, (batch, 28, 28, 1)).astype(np.float32))
    for _ in range(warmup):
        step(real)[0].numpy()
    return {
        "step": step,
        "real": real,
        "g_params": generator.count_params(),
        "d_params": discriminator.count_params(),
        "wall": [],
        "cpu": [],
    }


def time_steps(run: dict, steps: int) -> None:
    """Time ``steps`` steps: images per wall-clock second and per CPU-second of this process."""
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(steps):
        out = run["step"](run["real"])
    out[0].numpy()  # wait for the last step
    images = int(run["real"].shape[0]) * steps
    run["wall"].append(images / (time.perf_counter() - wall))
    run["cpu"].append(images / (time.process_time() - cpu))


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--steps", type=int, default=10, help="timed steps per repeat")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--only", nargs="*", choices=sorted(CANDIDATES), help="measure just these candidates")
    args = parser.parse_args(argv)
    config.set_seed(42)
    print(
        f"TensorFlow {tf.__version__}, Keras {keras.__version__}, {os.cpu_count()} CPU cores, "
        f"{config.devices()['gpus']} GPUs, batch {args.batch}, best of {args.repeats} x {args.steps} steps"
    )

    names = args.only or list(CANDIDATES)
    configs = {name: models.dcgan_config(CANDIDATES[name][0], **CANDIDATES[name][1]) for name in names}
    runs = {name: prepare(configs[name], args.batch) for name in names}
    # Round-robin repeats, so a burst of load from other processes hits every candidate alike.
    for _ in range(args.repeats):
        for name in names:
            time_steps(runs[name], args.steps)

    header = (
        f"{'candidate':<19} {'G params':>10} {'D params':>9} {'images/s':>9} {'img/CPU-s':>9} "
        f"{'vs tutorial':>11} {'s/epoch':>8}"
    )
    print(header)
    print("-" * len(header))
    baseline = max(runs["tutorial"]["wall"]) if "tutorial" in runs else None
    default = models.dcgan_config(OLD)
    for name in names:
        run, rate = runs[name], max(runs[name]["wall"])
        label = name + (" *" if configs[name] == default else "")
        speedup = f"{rate / baseline:.2f}x" if baseline else "-"
        print(
            f"{label:<19} {run['g_params']:>10,} {run['d_params']:>9,} {rate:>9.0f} {max(run['cpu']):>9.0f} "
            f"{speedup:>11} {60000 / rate:>8.0f}"
        )
    print("* = the default of the time (models.PRE_SEARCH_DEFAULT); s/epoch = 60,000 MNIST images at the images/s rate")


if __name__ == "__main__":
    main()
