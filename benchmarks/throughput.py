"""Throughput: ganlab's trainer (GAN.fit through training.train, all callbacks on) vs a plain tf.function loop.

For the course's own GANs at their recipe's sizes (``ganlab.recipes``: the default DCGAN and the MLP GAN, batch
64), the plain loop is a hand-written ``tf.function`` doing exactly the recipe's step (joint or alternating, and
the weight-average update when the recipe keeps one) on the same networks. The TensorFlow tutorial's own joint
step on its own network (batch 256) is measured the same way for reference. Contenders run in alternating
rounds in one process, so machine load affects each alike. Prints a Markdown table.

    .venv/bin/python benchmarks/throughput.py [--rounds 5] [--steps 100]
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time

from ganlab import config

tf = config.import_tensorflow()

import keras  # noqa: E402

from ganlab import data, losses, models, recipes, training  # noqa: E402


def plain_loop(kind, preset, dataset, steps):
    """The recipe's step, hand-written: D then G on fresh noise (alternating), or both from one pass (joint)."""
    r = recipes.recipe(kind, preset)
    config.set_seed(0)
    g, d = models.build_pair(kind, preset or "default", r.latent_dim)
    d_opt, g_opt = (keras.optimizers.Adam(r.lr, beta_1=r.beta_1) for _ in range(2))
    ema = keras.models.clone_model(g) if r.ema else None
    noise = lambda n: tf.random.normal((n, r.latent_dim))  # noqa: E731

    @tf.function
    def step(real):
        n = tf.shape(real)[0]
        if r.step == "joint":
            with tf.GradientTape() as g_tape, tf.GradientTape() as d_tape:
                real_out, fake_out = d(real, training=True), d(g(noise(n), training=True), training=True)
                d_loss = losses.non_saturating_d_loss(real_out, fake_out)
                g_loss = losses.non_saturating_g_loss(fake_out)
            d_opt.apply_gradients(zip(d_tape.gradient(d_loss, d.trainable_weights), d.trainable_weights))
            g_opt.apply_gradients(zip(g_tape.gradient(g_loss, g.trainable_weights), g.trainable_weights))
        else:
            fake = g(noise(n), training=True)
            with tf.GradientTape() as tape:
                d_loss = losses.non_saturating_d_loss(d(real, training=True), d(fake, training=True))
            d_opt.apply_gradients(zip(tape.gradient(d_loss, d.trainable_weights), d.trainable_weights))
            with tf.GradientTape() as tape:
                g_loss = losses.non_saturating_g_loss(d(g(noise(n), training=True), training=True))
            g_opt.apply_gradients(zip(tape.gradient(g_loss, g.trainable_weights), g.trainable_weights))
        if ema is not None:
            for avg, w in zip(ema.trainable_variables, g.trainable_variables):
                avg.assign(r.ema * avg + (1 - r.ema) * w)
            for avg, w in zip(ema.non_trainable_variables, g.non_trainable_variables):
                avg.assign(w)
        return d_loss

    return lambda: [step(x) for x in dataset.take(steps)][-1].numpy()


def plain_tutorial(dataset, steps):
    """The TensorFlow tutorial's own train_step on its own network: both gradients from one forward pass."""
    config.set_seed(0)
    g, d = models.build_pair("dcgan", "tutorial")
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


def ganlab_trainer(kind, preset, dataset, steps):
    gan = recipes.make_gan(kind, preset, seed=0)
    return lambda: training.train(gan, dataset, epochs=1, steps_per_epoch=steps, verbose=0, n_fixed=16)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--steps", type=int, default=100, help="steps per round (the tutorial's row runs a quarter)")
    args = parser.parse_args()

    mnist = data.load_mnist(verbose=False)
    batch = {k: recipes.recipe(k, p).batch_size for k, p in (("dcgan", "default"), ("mlp", None))}
    sets = {k: data.make_dataset(mnist.x_train, b, seed=0).repeat() for k, b in batch.items()}
    tutorial_set, tutorial_steps = data.make_dataset(mnist.x_train, 256, seed=0).repeat(), max(1, args.steps // 4)
    contenders = {  # name: (run, images per round, the plain loop it is compared with)
        "DCGAN (default): ganlab trainer": (
            ganlab_trainer("dcgan", "default", sets["dcgan"], args.steps),
            args.steps * batch["dcgan"],
            "DCGAN (default): plain loop",
        ),
        "DCGAN (default): plain loop": (
            plain_loop("dcgan", "default", sets["dcgan"], args.steps),
            args.steps * batch["dcgan"],
            None,
        ),
        "MLP GAN: ganlab trainer": (
            ganlab_trainer("mlp", None, sets["mlp"], args.steps),
            args.steps * batch["mlp"],
            "MLP GAN: plain loop",
        ),
        "MLP GAN: plain loop": (plain_loop("mlp", None, sets["mlp"], args.steps), args.steps * batch["mlp"], None),
        "tutorial network, its own joint step (batch 256)": (
            plain_tutorial(tutorial_set, tutorial_steps),
            tutorial_steps * 256,
            None,
        ),
    }
    for run, _, _ in contenders.values():  # warm-up: tracing and the first steps
        run()
    rates = {name: [] for name in contenders}
    for _ in range(args.rounds):
        for name, (run, images, _) in contenders.items():
            start = time.perf_counter()
            run()
            rates[name].append(images / (time.perf_counter() - start))

    print(
        f"{args.steps} steps x {args.rounds} rounds (median); {platform.processor() or platform.machine()}, "
        f"{config.devices()['cpu_cores']} cores, TensorFlow {tf.__version__}, Keras {keras.__version__}\n"
    )
    print("| trainer | batch | images/s (median) | min-max | steps/s | vs plain loop, same step |")
    print("|---|---|---|---|---|---|")
    for name, (_, _images, base) in contenders.items():
        r, size = rates[name], 256 if "256" in name else batch["mlp" if name.startswith("MLP") else "dcgan"]
        ratio = f"{statistics.median(r) / statistics.median(rates[base]):.2f}x" if base else "-"
        print(
            f"| {name} | {size} | {statistics.median(r):.0f} | {min(r):.0f}-{max(r):.0f} | "
            f"{statistics.median(r) / size:.1f} | {ratio} |"
        )


if __name__ == "__main__":
    main()
