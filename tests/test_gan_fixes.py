"""Tests for the opt-in fixes and traces of notebook 05: label smoothing, instance noise, gradient-norm metrics,
make_gan's per-network learning rates, and ganlab.diagnostics (coverage trace, noise schedule, run_trial)."""

from ganlab import config

import keras
import numpy as np
import pytest
from keras import ops

from ganlab import autodiff, checks, data, diagnostics, losses, metrics, recipes, training
from ganlab.gan import GAN, METRICS
from tiny_models import LATENT, random_dataset, random_images, tiny_discriminator, tiny_generator

pytestmark = pytest.mark.backends  # backend-sensitive: make test runs this file on TensorFlow, JAX and PyTorch

BATCH = 16


def make_gan(loss="non_saturating", seed=0, generator=None, discriminator=None, **kwargs):
    config.set_seed(seed)
    gan = GAN(generator or tiny_generator(), discriminator or tiny_discriminator(), seed=seed, **kwargs)
    gan.compile(keras.optimizers.Adam(1e-3), keras.optimizers.Adam(1e-3), loss=loss)
    return gan


images, dataset = random_images, random_dataset


def weights(gan):
    return [np.array(v.numpy()) for v in gan.generator.weights + gan.discriminator.weights]


# One-sided label smoothing, against the cross-entropy and squared error written in float64 NumPy.


def _bce(logits, target):
    d = 1.0 / (1.0 + np.exp(-logits.astype(np.float64)))
    return -np.mean(target * np.log(d) + (1.0 - target) * np.log(1.0 - d))


def _logits(seed, n=32):
    return np.random.default_rng(seed).normal(0.0, 2.0, (n, 1)).astype(np.float32)


@pytest.mark.parametrize("name", ["minimax", "non_saturating"])
@pytest.mark.parametrize("target", [0.9, 0.75])
def test_smoothed_cross_entropy_matches_numpy_reference(name, target):
    loss = losses.smoothed(name, target)
    real, fake = _logits(0), _logits(1)
    expected = _bce(real, target) + _bce(fake, 0.0)  # fakes keep target 0: one-sided
    np.testing.assert_allclose(float(loss.d_loss(real, fake)), expected, rtol=1e-5)
    # G's loss is the base loss's, untouched.
    np.testing.assert_allclose(float(loss.g_loss(fake)), float(losses.get(name).g_loss(fake)), rtol=1e-6)
    assert loss.name == f"{name}_smooth{target:g}" and loss.gp_weight == 0


def test_smoothed_least_squares_matches_numpy_reference():
    real, fake = _logits(2), _logits(3)
    expected = 0.5 * np.mean((real - 0.9) ** 2) + 0.5 * np.mean(fake**2)
    np.testing.assert_allclose(float(losses.smoothed("least_squares", 0.9).d_loss(real, fake)), expected, rtol=1e-5)


def test_smoothing_with_target_1_is_the_plain_loss_and_the_optimum_moves_to_the_target():
    real, fake = _logits(4), _logits(5)
    plain = losses.get("non_saturating").d_loss(real, fake)
    np.testing.assert_allclose(
        float(losses.smoothed("non_saturating", 1.0).d_loss(real, fake)), float(plain), rtol=1e-6
    )
    # The real term is smallest where sigmoid(logit) = target, i.e. logit = log(t / (1 - t)), not at +infinity.
    grid = np.linspace(-6, 6, 2401, dtype=np.float32).reshape(-1, 1)
    zeros = np.full((1, 1), -50.0, np.float32)  # a fake term of ~0
    values = [float(losses.smoothed("non_saturating", 0.9).d_loss(g[None], zeros)) for g in grid]
    assert grid[int(np.argmin(values)), 0] == pytest.approx(np.log(0.9 / 0.1), abs=0.01)


@pytest.mark.parametrize("name", ["wasserstein_gp", "hinge"])
def test_smoothing_refuses_losses_without_targets(name):
    with pytest.raises(ValueError, match="target for real images"):
        losses.smoothed(name)


@pytest.mark.parametrize("target", [0.5, 1.2, "0.9", True])
def test_smoothing_checks_the_target(target):
    with pytest.raises(ValueError, match="real_target"):
        losses.smoothed("non_saturating", target)


def test_a_smoothed_loss_trains_a_gan():
    gan = make_gan(loss=losses.smoothed("non_saturating", 0.9))
    logs = gan.fit(dataset(), epochs=1, verbose=0, shuffle=False).history
    assert np.isfinite(logs["d_loss"][0]) and gan.loss_fn.name == "non_saturating_smooth0.9"


# Instance noise.


def test_instance_noise_of_std_0_is_exactly_the_default_step():
    plain, silent = make_gan(), make_gan(instance_noise=0.0)
    for gan in (plain, silent):
        gan.fit(dataset(), epochs=2, verbose=0, shuffle=False)
    for a, b in zip(weights(plain), weights(silent)):
        np.testing.assert_array_equal(a, b)
    noisy = make_gan(instance_noise=0.5)
    noisy.fit(dataset(), epochs=2, verbose=0, shuffle=False)
    assert not all(np.array_equal(a, b) for a, b in zip(weights(plain), weights(noisy)))


def test_add_instance_noise_has_the_asked_std_and_is_off_by_default():
    x = ops.zeros((64, 28, 28, 1))
    assert make_gan().add_instance_noise(x) is x
    noise = ops.convert_to_numpy(make_gan(instance_noise=0.3).add_instance_noise(x))
    assert abs(noise.mean()) < 0.01 and noise.std() == pytest.approx(0.3, rel=0.02)


def _probe_pair():
    """G draws all-zero images; D's logit is w * mean(x^2) with w = 1: D(x) = sigmoid(sigma^2) for noisy zeros."""
    z = keras.Input((LATENT,))
    g = keras.layers.Dense(784, activation="tanh", kernel_initializer="zeros", bias_initializer="zeros")(z)
    generator = keras.Model(z, keras.layers.Reshape((28, 28, 1))(g))
    image = keras.Input((28, 28, 1))
    energy = keras.layers.Lambda(lambda x: ops.mean(ops.square(x), axis=(1, 2, 3))[:, None])(image)  # (B, 1)
    logit = keras.layers.Dense(1, kernel_initializer="ones", bias_initializer="zeros")(energy)
    return generator, keras.Model(image, logit)


@pytest.mark.parametrize("sigma", [0.0, 1.0, 2.0])
def test_instance_noise_reaches_d_for_real_and_fake_images_in_both_steps(sigma):
    gan = make_gan(*(), generator=_probe_pair()[0], discriminator=_probe_pair()[1], instance_noise=sigma)
    gan.d_step(ops.zeros((256, 28, 28, 1)))  # real images are zeros too
    gan.g_step(256)
    seen = {m.name: float(m.result()) for m in gan.metrics}
    expected = 1 / (1 + np.exp(-(sigma**2)))  # sigmoid(mean(noise^2)) = sigmoid(sigma^2)
    assert seen["d_real"] == pytest.approx(expected, abs=0.02)
    assert seen["d_fake"] == pytest.approx(expected, abs=0.02)
    # The G step sees noisy fakes too: non-saturating g_loss = softplus(-sigma^2) (D barely moved in one step).
    assert seen["g_loss"] == pytest.approx(np.log1p(np.exp(-(sigma**2))), abs=0.03)


@pytest.mark.parametrize("bad", [-0.1, float("nan"), "0.1", True])
def test_instance_noise_is_checked(bad):
    with pytest.raises(ValueError, match="instance_noise"):
        make_gan(instance_noise=bad)


def test_anneal_instance_noise_goes_linearly_to_0_during_fit():
    gan = make_gan(instance_noise=0.4)
    schedule = diagnostics.AnnealInstanceNoise(0.4, steps=6)
    assert [schedule.std_at(s) for s in (0, 3, 6, 9)] == pytest.approx([0.4, 0.2, 0.0, 0.0])
    seen = []

    class Record(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):  # self.model: on JAX, the weights as training left them
            seen.append(float(ops.convert_to_numpy(self.model.noise_std)))

    record = Record()
    gan.fit(dataset(), epochs=2, verbose=0, shuffle=False, callbacks=[schedule, record])
    assert seen == pytest.approx([0.4 * max(0, 1 - s / 6) for s in range(8)])


def test_anneal_instance_noise_needs_a_gan_with_instance_noise():
    with pytest.raises(ValueError, match="instance_noise"):
        make_gan().fit(
            dataset(), epochs=1, verbose=0, shuffle=False, callbacks=[diagnostics.AnnealInstanceNoise(0.1, 10)]
        )
    for start, steps in ((-1, 10), (0.1, 0), (0.1, 2.5)):
        with pytest.raises(ValueError):
            diagnostics.AnnealInstanceNoise(start, steps)


# Gradient-norm metrics.


def _by_hand(gan, step, build_loss, variables):
    """Global gradient norm of one step computed by hand, replaying the GAN's own random draws."""
    state = np.array(gan.seed_generator.state.numpy())
    _, _, grads = autodiff.value_and_grad(lambda: (build_loss(), ()), variables)  # (checked in test_autodiff)
    expected = np.sqrt(sum(np.sum(np.square(ops.convert_to_numpy(g).astype(np.float64))) for g in grads))
    gan.seed_generator.state.assign(state)  # the step draws the same noise again
    step()
    return expected


def test_gradient_norms_match_a_norm_computed_by_hand():
    gan = make_gan(track_grad_norms=True)
    real = ops.convert_to_tensor(images(BATCH))

    def d_loss():
        fake = gan.generator(gan._noise(BATCH), training=True)
        return gan.loss_fn.d_loss(gan.discriminator(real, training=True), gan.discriminator(fake, training=True))

    def g_loss():
        return gan.loss_fn.g_loss(gan.discriminator(gan.generator(gan._noise(BATCH), training=True), training=True))

    d_expected = _by_hand(gan, lambda: gan.d_step(real), d_loss, gan.discriminator.trainable_weights)
    g_expected = _by_hand(gan, lambda: gan.g_step(BATCH), g_loss, gan.generator.trainable_weights)
    seen = {m.name: float(m.result()) for m in gan.metrics}
    assert seen["d_grad_norm"] == pytest.approx(d_expected, rel=1e-4)
    assert seen["g_grad_norm"] == pytest.approx(g_expected, rel=1e-4)


def test_gradient_norms_are_opt_in_extra_history_keys():
    assert [m.name for m in make_gan().metrics] == list(METRICS)
    gan = make_gan(track_grad_norms=True)
    assert [m.name for m in gan.metrics] == [*METRICS, "d_grad_norm", "g_grad_norm"]
    run = training.train(gan, dataset(), epochs=2, verbose=0)
    assert len(run.history["d_grad_norm"]) == 2 and min(run.history["g_grad_norm"]) > 0
    with pytest.raises(ValueError, match="track_grad_norms"):
        make_gan(track_grad_norms=1)


# make_gan's opt-in options.


def test_make_gan_sets_each_networks_learning_rate_and_options():
    gan = recipes.make_gan(
        "mlp",
        latent_dim=8,
        lr=1e-4,
        d_lr=3e-3,
        n_critic=2,
        spectral_norm=True,
        instance_noise=0.1,
        track_grad_norms=True,
    )
    assert float(gan.d_optimizer.learning_rate.numpy()) == pytest.approx(3e-3)
    assert float(gan.g_optimizer.learning_rate.numpy()) == pytest.approx(1e-4)
    assert gan.n_critic == 2 and gan.track_grad_norms and float(gan.noise_std.numpy()) == pytest.approx(0.1)
    wrapped = [layer for layer in gan.discriminator.layers if isinstance(layer, keras.layers.SpectralNormalization)]
    assert len(wrapped) == 3  # two hidden Dense layers and the logit layer
    plain = recipes.make_gan("mlp", latent_dim=8)
    assert plain.noise_std is None and not plain.track_grad_norms
    assert float(plain.d_optimizer.learning_rate.numpy()) == pytest.approx(2e-4)


# ganlab.diagnostics: the coverage trace and run_trial, with a stand-in classifier.


class PixelJudge:
    """A stand-in classifier: the class is the image's mean brightness in 10 bins; features are 7x7 means."""

    def predict(self, x):
        x = checks.images(x, size=(28, 28))
        level = np.clip(((x.mean(axis=(1, 2, 3)) + 1) / 2 * 10).astype(int), 0, 9)
        probs = np.full((len(x), 10), 0.01 / 9)
        probs[np.arange(len(x)), level] = 0.99
        features = x.reshape(len(x), 7, 4, 7, 4).mean(axis=(2, 4)).reshape(len(x), 49)
        return probs, features.astype(np.float64)


def test_coverage_trace_records_the_classifiers_view_every_few_epochs():
    gan = make_gan()
    z = np.random.default_rng(0).standard_normal((40, LATENT)).astype("float32")
    trace = diagnostics.CoverageTrace(PixelJudge(), z, every=2)
    gan.fit(dataset(), epochs=4, verbose=0, shuffle=False, callbacks=[trace])
    assert trace.history["epoch"] == [0, 2, 4]
    probs, _ = PixelJudge().predict(gan.sample(z))  # the last measurement is of the final generator
    assert trace.history["coverage"][-1] == metrics.coverage(probs)
    assert trace.history["confident"][-1] == metrics.confident_rate(probs)
    np.testing.assert_allclose(trace.history["histogram"][-1], metrics.class_histogram(probs))
    with pytest.raises(ValueError, match="every"):
        diagnostics.CoverageTrace(PixelJudge(), z, every=0)
    with pytest.raises(ValueError, match="noise vectors"):
        diagnostics.CoverageTrace(PixelJudge(), z[:3])


def test_run_trial_trains_traces_and_scores_the_same_samples():
    mnist = data.load_mnist(verbose=False)
    gan = make_gan(track_grad_norms=True)
    trial = diagnostics.run_trial(
        "tiny", gan, mnist, 10, round_steps=5, batch_size=256, n=50, trace_n=20, seed=3, classifier=PixelJudge()
    )
    z = np.random.default_rng(3).standard_normal((50, LATENT)).astype("float32")
    np.testing.assert_array_equal(trial.samples, gan.sample(z))
    probs, _ = PixelJudge().predict(trial.samples[:20])  # the trace's last point: the first trace_n samples
    assert trial.coverage["confident"][-1] == metrics.confident_rate(probs)
    expected = metrics.evaluate(trial.samples, mnist, 50, seed=3, classifier=PixelJudge())
    assert trial.scores["frechet_distance"] == pytest.approx(expected["frechet_distance"])
    assert trial.steps == 10 and trial.round_steps == 5 and trial.coverage["epoch"] == [0, 1, 2]
    assert trial.history["epoch"] == [1, 2] and "d_grad_norm" in trial.history and trial.diverged is None
    assert trial.summary().startswith(f"tiny: {trial.steps} G steps; Fréchet ")
    fig = diagnostics.plot_trials([trial, trial])
    assert len(fig.axes) == 8 and fig.axes[0].get_xlabel() == "round of 5 steps"
    np.testing.assert_allclose(fig.axes[0].lines[0].get_ydata(), trial.history["d_real"])
    np.testing.assert_allclose(fig.axes[2].lines[0].get_ydata(), np.array(trial.coverage["coverage"]) / 10)
    # A trial without gradient norms or a coverage trace (e.g. built by hand) says so instead of plotting nothing.
    bare = diagnostics.Trial("bare", {"epoch": [1], "d_real": [0.5], "d_fake": [0.5]}, {}, None, None, 0, 0.0)
    fig = diagnostics.plot_trials(bare)
    assert [t.get_text() for t in fig.axes[1].texts] == ["not recorded"] and not fig.axes[2].lines
    with pytest.raises(ValueError, match="Trial"):
        diagnostics.plot_trials([])


def test_run_trial_reports_a_diverged_run_without_scores():
    def nan_d_loss(real_logits, fake_logits):
        return ops.mean(real_logits) * np.nan

    gan = make_gan(loss=losses.GANLoss("nan", nan_d_loss, losses.non_saturating_g_loss))
    trial = diagnostics.run_trial(
        "broken", gan, data.load_mnist(verbose=False), 1, batch_size=256, n=50, classifier=PixelJudge()
    )
    assert trial.scores is None and trial.samples is None and "d_loss" in trial.diverged
    assert "diverged" in trial.summary()
    with pytest.raises(ValueError, match="n_train"):
        diagnostics.run_trial("x", gan, data.load_mnist(verbose=False), 1, batch_size=64, n_train=10)
