"""Throughput: ganlab's trainer (GAN.fit through training.train, all callbacks on) vs plain tf.function loops.

All on the TensorFlow DCGAN tutorial's architecture at the tutorial's batch size, measured in the same process in
alternating rounds so that machine load affects every contender alike. Prints a Markdown table.

    .venv/bin/python benchmarks/throughput.py [--rounds 5] [--steps 30] [--batch-size 256]
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time

from ganlab import config

tf = config.import_tensorflow()

import keras  # noqa: E402

from ganlab import data, losses, models, training  # noqa: E402


def make_networks():
    config.set_seed(0)
    return models.build_pair("dcgan", "tutorial")


def plain_alternating(dataset, steps):
    """The same algorithm as ganlab's train_step (D update, then G update with fresh noise), hand-written."""
    g, d = make_networks()
    d_opt, g_opt = keras.optimizers.Adam(2e-4, beta_1=0.5), keras.optimizers.Adam(2e-4, beta_1=0.5)

    @tf.function
    def step(real):
        n = tf.shape(real)[0]
        fake = g(tf.random.normal((n, 100)), training=True)
        with tf.GradientTape() as tape:
            d_loss = losses.non_saturating_d_loss(d(real, training=True), d(fake, training=True))
        d_opt.apply_gradients(zip(tape.gradient(d_loss, d.trainable_weights), d.trainable_weights))
        with tf.GradientTape() as tape:
            g_loss = losses.non_saturating_g_loss(d(g(tf.random.normal((n, 100)), training=True), training=True))
        g_opt.apply_gradients(zip(tape.gradient(g_loss, g.trainable_weights), g.trainable_weights))
        return d_loss, g_loss

    return lambda: [step(x) for x in dataset.take(steps)][-1][0].numpy()


def plain_tutorial(dataset, steps):
    """The TensorFlow tutorial's own train_step: both gradients from one forward pass."""
    g, d = make_networks()
    d_opt, g_opt = keras.optimizers.Adam(1e-4), keras.optimizers.Adam(1e-4)

    @tf.function
    def step(real):
        with tf.GradientTape() as g_tape, tf.GradientTape() as d_tape:
            fake = g(tf.random.normal((tf.shape(real)[0], 100)), training=True)
            real_out, fake_out = d(real, training=True), d(fake, training=True)
            g_loss = losses.non_saturating_g_loss(fake_out)
            d_loss = losses.non_saturating_d_loss(real_out, fake_out)
        g_opt.apply_gradients(zip(g_tape.gradient(g_loss, g.trainable_weights), g.trainable_weights))
        d_opt.apply_gradients(zip(d_tape.gradient(d_loss, d.trainable_weights), d.trainable_weights))
        return d_loss

    return lambda: [step(x) for x in dataset.take(steps)][-1].numpy()


def ganlab_trainer(dataset, steps):
    g, d = make_networks()
    gan = training.GAN(g, d, seed=0)
    gan.compile(d_optimizer=keras.optimizers.Adam(2e-4, beta_1=0.5),
                g_optimizer=keras.optimizers.Adam(2e-4, beta_1=0.5))
    return lambda: training.train(gan, dataset, epochs=1, steps_per_epoch=steps, verbose=0, n_fixed=16)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--batch-size", type=int, default=256)
    args = parser.parse_args()

    mnist = data.load_mnist(verbose=False)
    dataset = data.make_dataset(mnist.x_train, args.batch_size, seed=0).repeat()
    contenders = {
        "ganlab trainer (GAN.fit + callbacks)": ganlab_trainer(dataset, args.steps),
        "plain tf.function loop, same algorithm": plain_alternating(dataset, args.steps),
        "plain tf.function loop, tutorial's joint step": plain_tutorial(dataset, args.steps),
    }
    for run in contenders.values():  # warm-up: tracing and the first steps
        run()
    rates = {name: [] for name in contenders}
    for _ in range(args.rounds):
        for name, run in contenders.items():
            start = time.perf_counter()
            run()
            rates[name].append(args.steps * args.batch_size / (time.perf_counter() - start))

    base = statistics.median(rates["plain tf.function loop, same algorithm"])
    print(f"DCGAN tutorial architecture, batch {args.batch_size}, {args.steps} steps x {args.rounds} rounds "
          f"(median); {platform.processor() or platform.machine()}, {config.devices()['cpu_cores']} cores, "
          f"TensorFlow {tf.__version__}\n")
    print("| trainer | images/s (median) | min-max | vs plain loop, same algorithm |")
    print("|---|---|---|---|")
    for name, r in rates.items():
        print(f"| {name} | {statistics.median(r):.0f} | {min(r):.0f}-{max(r):.0f} | "
              f"{statistics.median(r) / base:.2f}x |")


if __name__ == "__main__":
    main()
