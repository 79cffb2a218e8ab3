"""The checked exercises that are the GAN: the train step's losses (02.1), the gradient penalty (05.1) and the
conditional discriminator's loss (06.1).

Each check runs in two stages. First the student's function meets fixed inputs, and its result is compared with
stored values (``ganlab.exercises.grading``): a wrong result is matched against the stored results of the usual mistakes
(a flipped sign, a missing term, sum instead of mean) so the message can name the mistake. Then a short real
training run of a few seconds uses the student's function, and the check says whether it learned: a 1-D GAN whose
samples must reach the data's mean (02.1), a WGAN critic whose score gap must reach the true Wasserstein distance
of two 2-D Gaussians (05.1), and a conditional D on ten labelled clusters that must accept points with their
own label and reject them with a wrong one (06.1). The networks are tiny, so each run takes seconds on a CPU.
"""

from __future__ import annotations

import keras
import numpy as np
from keras import layers, ops

from ganlab import autodiff, losses
from ganlab.exercises.grading import diagnose, exercise

_SEED = 7


def fixed_logits():
    """Real and fake logits (6, 1) each, from confident-wrong to confident-right, for the loss checks."""
    real = np.array([[-8.0], [-1.5], [0.0], [0.5], [2.0], [9.0]], dtype=np.float32)
    fake = np.array([[-7.0], [-2.0], [-0.3], [0.0], [1.0], [6.0]], dtype=np.float32)
    return real, fake


def _train(loss_fn, net, batches, steps: int, lr: float = 1e-2):
    """``steps`` Adam updates of ``net``'s weights on ``loss_fn(*batches())``, compiled (as a train step is)."""
    variables = net.trainable_weights
    optimizer = keras.optimizers.Adam(lr, beta_1=0.5, beta_2=0.9)
    optimizer.build(variables)

    def step(*batch):
        loss, _, grads = autodiff.value_and_grad(lambda: (loss_fn(*batch), ()), variables)
        with autodiff.no_grad():
            optimizer.apply_gradients(zip(grads, variables))
        return loss

    compiled = autodiff.compile_step(step, [*variables, *net.non_trainable_variables, *optimizer.variables])
    for _ in range(steps):
        compiled(*(ops.convert_to_tensor(x) for x in batches()))


def _mlp(in_dim, out_dim, seed, hidden=32):
    keras.utils.set_random_seed(seed)
    return keras.Sequential(
        [
            keras.Input((in_dim,)),
            layers.Dense(hidden, activation="tanh"),
            layers.Dense(hidden, activation="tanh"),
            layers.Dense(out_dim),
        ]
    )


# 02.1: the discriminator's and the generator's losses.

D_MISTAKES = {
    "sign": "it has the opposite sign (D minimises its loss: make it small when D is right)",
    "no_fake": "it is only the real images' term: add the fakes' term, mean softplus(fake_logits)",
    "no_real": "it is only the fakes' term: add the real images' term, mean softplus(-real_logits)",
    "swapped": "real and fake are swapped: real images should get target 1, fakes target 0",
}
G_MISTAKES = {
    "sign": "it has the opposite sign (G minimises its loss: small when D calls the fakes real)",
    "minimax": "this is the saturating minimax loss mean log(1 - D(G(z))); the train step uses the "
    "non-saturating one, -mean log D(G(z))",
    "fake_target": "it is D's loss on fakes (target 0); G wants D to say real (target 1)",
}


@exercise("02.1", "the train step's losses (D: real -> 1, fake -> 0; G: non-saturating)")
def _check_02_1(d_loss_fn, g_loss_fn=None):
    if not callable(g_loss_fn):
        return 'pass both functions: exercises.check("02.1", d_loss_fn, g_loss_fn)'
    real, fake = (ops.convert_to_tensor(x) for x in fixed_logits())
    problem = diagnose(d_loss_fn(real, fake), "02.1", "d", "D's loss", D_MISTAKES)
    problem = problem or diagnose(g_loss_fn(fake), "02.1", "g", "G's loss", G_MISTAKES)
    if problem:
        return problem
    from ganlab import toy  # a course module: imported only when a student's losses are worth a training run

    steps = 300
    run = toy.ToyGAN("gaussian_1d", loss=losses.GANLoss("yours", d_loss_fn, g_loss_fn), latent_dim=1, hidden=16, seed=0)
    start = float(run.sample().mean())
    run.train(steps)
    end, target = float(run.sample().mean()), float(run.data.means.mean())
    if not abs(end - target) < 0.5:
        return (
            f"the values are right, but a {steps}-step GAN on a 1-D Gaussian did not learn with these losses: its "
            f"samples' mean went from {start:.2f} to {end:.2f}, the data's is {target:.2f}"
        )
    return None


# 05.1: the gradient penalty.

GP_MISTAKES = {
    "sign": "it is negative: the penalty is a mean of squares, added to the critic's loss",
    "no_minus_one": "it is the mean squared gradient norm: penalise (norm - 1)^2, the distance from 1",
    "sum": "it is a sum over the batch: take the mean",
    "at_real": "the gradient is taken at the real images: take it at x_hat = alpha*real + (1-alpha)*fake",
    "squared_norm": "it uses the squared norm: take the square root of the sum of squares first",
}


def fixed_critic():
    """A small fixed critic on (B, 3, 3, 1) images and the inputs of the penalty check (real, fake, alpha)."""
    rng = np.random.default_rng(_SEED)
    w1, w2 = rng.normal(0, 0.6, (9, 5)).astype("float32"), rng.normal(0, 0.8, (5, 1)).astype("float32")

    def critic(x, training=False):
        flat = ops.reshape(x, (ops.shape(x)[0], 9))  # (B, 9)
        return ops.matmul(ops.tanh(ops.matmul(flat, w1)), w2) + 0.2 * ops.sum(ops.square(flat), axis=1, keepdims=True)

    real = rng.uniform(-1, 1, (4, 3, 3, 1)).astype("float32")
    fake = rng.uniform(-1, 1, (4, 3, 3, 1)).astype("float32")
    alpha = np.array([0.0, 0.3, 0.7, 1.0], dtype="float32").reshape(4, 1, 1, 1)
    return critic, real, fake, alpha


@exercise("05.1", "gradient_penalty (WGAN-GP: mean of (||grad D(x_hat)|| - 1)^2)")
def _check_05_1(penalty_fn):
    critic, real, fake, alpha = fixed_critic()
    got = penalty_fn(critic, *(ops.convert_to_tensor(x) for x in (real, fake, alpha)))
    problem = diagnose(got, "05.1", "gp", "the penalty", GP_MISTAKES)
    if problem:
        return problem
    # A critic between two 2-D Gaussians, N((2, 0), 0.5^2 I) and N(0, 0.5^2 I): W1 = 2, and WGAN-GP's critic should
    # find it, with slope 1 (in 1-D a critic that starts with the wrong slope is stuck: turning it means norm 0).
    rng, steps, shift = np.random.default_rng(0), 300, np.array([2.0, 0.0], "float32")
    net = _mlp(2, 1, seed=0)

    def batches():
        noise = rng.normal(0.0, 0.5, (2, 128, 2)).astype("float32")
        return noise[0] + shift, noise[1], rng.uniform(0, 1, (128, 1)).astype("float32")

    def critic_loss(real, fake, alpha):
        return ops.mean(net(fake)) - ops.mean(net(real)) + 10.0 * penalty_fn(net, real, fake, alpha)

    _train(critic_loss, net, batches, steps)
    f = rng.normal(0.0, 0.5, (4000, 2)).astype("float32")
    gap = float(np.mean(ops.convert_to_numpy(net(f + shift))) - np.mean(ops.convert_to_numpy(net(f))))
    if not 1.4 < gap < 2.6:
        return (
            f"the values are right, but a critic trained {steps} steps with your penalty estimates the Wasserstein "
            f"distance between two Gaussians 2 apart as {gap:.2f}; the true distance is 2"
        )
    return None


# 06.1: the conditional discriminator's loss: (real, right label), (fake, its label), (real, wrong label).

CD_MISTAKES = {
    "sign": "it has the opposite sign (D minimises its loss)",
    "no_wrong": "the (real image, wrong label) pairs are missing: without them D never has to read the label",
    "three_means": "the fakes and the wrong-label pairs are averaged separately and added; treat them as "
    "one batch of 2B rejected pairs (concatenate their logits, then one mean)",
    "wrong_as_real": "the wrong-label pairs are called real: they must be rejected (target 0)",
    "fake_right_label": "the fakes are judged with the real images' labels: use the labels G was asked for",
}


def fixed_conditional_d():
    """A fixed linear conditional D on (B, 3, 3, 1) images and the inputs of the 06.1 check."""
    rng = np.random.default_rng(_SEED)
    w = rng.normal(0, 0.7, (10, 9)).astype("float32")

    def discriminator(inputs, training=False):
        images, labels = inputs
        flat = ops.reshape(images, (ops.shape(images)[0], 9))  # (B, 9)
        return ops.sum(flat * ops.take(w, ops.cast(labels, "int32"), axis=0), axis=1, keepdims=True)  # (B, 1)

    real, fake = rng.uniform(-1, 1, (2, 5, 3, 3, 1)).astype("float32")
    labels, fake_labels = np.array([0, 3, 3, 7, 9], "int32"), np.array([1, 1, 4, 8, 2], "int32")
    wrong = np.array([5, 2, 8, 1, 0], "int32")
    return discriminator, real, labels, fake, fake_labels, wrong


def _clusters(rng, n):
    """Ten labelled 2-D clusters on a ring of radius 2: points (n, 2) and their labels (n,)."""
    labels = rng.integers(0, 10, n)
    angles = 2 * np.pi * labels / 10
    points = np.stack([2 * np.cos(angles), 2 * np.sin(angles)], 1) + rng.normal(0, 0.1, (n, 2))
    return points.astype("float32"), labels.astype("int32")


@exercise("06.1", "conditional_d_loss (real with its label -> real; fakes and real with a wrong label -> fake)")
def _check_06_1(loss_fn):
    d, *batch = fixed_conditional_d()
    problem = diagnose(loss_fn(d, *(ops.convert_to_tensor(x) for x in batch)), "06.1", "loss", "the loss", CD_MISTAKES)
    if problem:
        return problem
    # A small conditional D on ten labelled clusters; its fakes are points spread over the plane.
    rng, steps = np.random.default_rng(0), 200
    keras.utils.set_random_seed(0)
    point, label = keras.Input((2,)), keras.Input((), dtype="int32")
    h = layers.Concatenate()([point, layers.Embedding(10, 8)(label)])
    h = layers.Dense(64, activation="relu")(layers.Dense(64, activation="relu")(h))
    net = keras.Model([point, label], layers.Dense(1)(h))

    def batches():
        real, labels = _clusters(rng, 128)
        fake = rng.uniform(-3, 3, (128, 2)).astype("float32")
        fake_labels, wrong = rng.integers(0, 10, 128).astype("int32"), (labels + rng.integers(1, 10, 128)) % 10
        return real, labels, fake, fake_labels, wrong.astype("int32")

    _train(lambda *batch: loss_fn(net, *batch), net, batches, steps)
    real, labels = _clusters(rng, 2000)
    right = ops.convert_to_numpy(net([real, labels]))
    wrong = ops.convert_to_numpy(net([real, ((labels + rng.integers(1, 10, 2000)) % 10).astype("int32")]))
    accepted, rejected = float(np.mean(right > 0)), float(np.mean(wrong < 0))
    if not (accepted > 0.8 and rejected > 0.8):
        return (
            f"the values are right, but a conditional D trained {steps} steps with your loss accepts "
            f"{accepted:.0%} of real points with their own label and rejects {rejected:.0%} with a wrong one "
            "(both should pass 80%)"
        )
    return None
