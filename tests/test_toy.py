"""Tests for ganlab.toy: densities, D*, JSD and V(D, G) against closed forms; the ToyGAN's steps on its own weights."""

import math

from ganlab import config  # first: imports TensorFlow quietly

import numpy as np
import pytest

from ganlab import toy

LOG2, LOG4 = math.log(2), math.log(4)


def normal_pdf(x, mean, std):
    return np.exp(-((x - mean) ** 2) / (2 * std**2)) / (std * math.sqrt(2 * math.pi))


def line(lo=-10.0, hi=14.0, n=6001):
    return np.linspace(lo, hi, n)


def weights(model):
    return [w.copy() for w in model.get_weights()]


def same(a, b):
    return all(np.array_equal(x, y) for x, y in zip(a, b))


@pytest.fixture(scope="module")
def trained_gan():
    gan = toy.ToyGAN("ring", seed=3)
    gan.train(20)
    return gan


# Distributions


def test_gaussian_1d_pdf_is_the_normal_density():
    x = line()
    np.testing.assert_allclose(toy.gaussian_1d(2.0, 0.5).pdf(x), normal_pdf(x, 2.0, 0.5), rtol=1e-12)


def test_ring_pdf_integrates_to_one_and_peaks_at_the_modes():
    data = toy.ring(std=0.1)
    pts, step = toy.grid((-3, 3), 301, 2), 6 / 300
    assert data.pdf(pts).sum() * step**2 == pytest.approx(1.0, abs=1e-3)
    peak = 1 / 8 / (2 * math.pi * 0.1**2)  # one mode's share at its own centre
    np.testing.assert_allclose(data.pdf(data.means), peak, rtol=1e-6)


def test_ring_sampler_statistics():
    data = toy.ring()
    x = data.sample(40_000, seed=0)
    assert x.shape == (40_000, 2) and x.dtype == np.float32
    np.testing.assert_allclose(data.means[:, 0], 2 * np.cos(np.arange(8) * math.pi / 4), atol=1e-12)
    shares = toy.mode_shares(x, data)
    np.testing.assert_allclose(shares, 1 / 8, atol=0.01)
    assert shares.sum() == pytest.approx(1 - math.exp(-4.5), abs=0.005)  # P(chi²₂ <= 9): inside 3 std
    np.testing.assert_allclose(np.linalg.norm(x, axis=1).mean(), 2.0, atol=0.01)
    nearest = data.means[np.argmin(((x[:, None] - data.means) ** 2).sum(-1), axis=1)]
    np.testing.assert_allclose((x - nearest).std(axis=0), 0.05, rtol=0.03)


def test_sample_is_reproducible_with_a_seed():
    data = toy.ring()
    np.testing.assert_array_equal(data.sample(10, seed=1), data.sample(10, seed=1))
    rng = np.random.default_rng(1)
    assert not np.array_equal(data.sample(10, seed=rng), data.sample(10, seed=rng))


def test_get_data_and_repr():
    assert toy.get_data("two_blobs").means.shape == (2, 2)
    data = toy.ring()
    assert toy.get_data(data) is data
    assert repr(data) == "GaussianMixture('ring': 8 mode(s) in 2-D, std 0.05)"


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: toy.get_data("moons"), r"one of 'gaussian_1d', 'ring'.*got 'moons'"),
        (lambda: toy.GaussianMixture("x", [[0.0, np.nan]], 1.0), r"means holds 1 non-finite values"),
        (lambda: toy.GaussianMixture("x", [0.0], 0), r"std must be a positive number, got 0"),
        (lambda: toy.ring().pdf(np.zeros((5, 3))), r"shape \(N, 2\).*got shape \(5, 3\)"),
        (lambda: toy.ring().sample(0), r"n must be a positive int, got 0"),
        (lambda: toy.grid((1, 1), 10, 2), r"low < high; got \(1, 1\)"),
        (lambda: toy.js_estimate("ring", np.zeros((3, 2)), extent=(2, -2)), r"low < high; got \(2, -2\)"),
        (lambda: toy.mode_shares(np.zeros((3, 1)), "ring"), r"shape \(N, 2\) with N >= 1; got shape \(3, 1\)"),
    ],
)
def test_bad_inputs_say_what_was_received(call, match):
    with pytest.raises(ValueError, match=match):
        call()


# Closed forms: D*, JSD, V(D, G)


def test_optimal_discriminator_is_the_closed_form():
    x = line()
    p, q = normal_pdf(x, 2.0, 0.5), normal_pdf(x, -1.0, 1.0)
    np.testing.assert_allclose(toy.optimal_discriminator(p, q), 1 / (1 + q / p), rtol=1e-9)
    assert toy.optimal_discriminator(np.array([0.0, 3.0]), np.array([0.0, 1.0])).tolist() == [0.5, 0.75]


def test_optimal_discriminator_maximises_v():
    x = line()
    p, q = normal_pdf(x, 2.0, 0.5), normal_pdf(x, -1.0, 1.0)
    d_star = toy.optimal_discriminator(p, q)
    best = toy.value_function(d_star, p, q)
    for nudge in (-0.05, 0.05):
        assert toy.value_function(np.clip(d_star + nudge, 1e-9, 1 - 1e-9), p, q) < best


def test_jsd_identical_disjoint_and_by_hand():
    p = normal_pdf(line(), 0.0, 1.0)
    assert toy.jsd(p, 3 * p) == pytest.approx(0.0, abs=1e-12)  # scale does not matter: masses are normalised
    assert toy.jsd([1, 1, 0, 0], [0, 0, 2, 5]) == pytest.approx(LOG2, abs=1e-12)
    by_hand = 0.5 * math.log(1 / 0.75) + 0.5 * (0.5 * math.log(0.5 / 0.75) + 0.5 * math.log(0.5 / 0.25))
    assert toy.jsd([1, 0], [1, 1]) == pytest.approx(by_hand, abs=1e-12)
    assert toy.jsd([1, 0], [1, 1]) == pytest.approx(toy.jsd([1, 1], [1, 0]), abs=1e-12)


@pytest.mark.parametrize("mean_g", [-1.0, 1.5, 2.0, 6.0])
def test_value_at_d_star_is_minus_log4_plus_twice_jsd(mean_g):
    x = line()
    p, q = normal_pdf(x, 2.0, 0.5), normal_pdf(x, mean_g, 1.0)
    v = toy.value_function(toy.optimal_discriminator(p, q), p, q)
    assert v == pytest.approx(-LOG4 + 2 * toy.jsd(p, q), abs=1e-9)


def test_value_of_a_saturated_discriminator_is_finite():
    p, q = np.array([1.0, 1e-30]), np.array([1e-30, 1.0])
    v = toy.value_function(np.array([1.0, 0.0]), p, q)  # right everywhere, but rounded to exactly 1 and 0
    assert np.isfinite(v) and v == pytest.approx(0.0, abs=1e-12)


def test_value_of_the_coin_flip_discriminator_is_minus_log4():
    p = normal_pdf(line(), 0.0, 1.0)
    assert toy.value_function(np.full_like(p, 0.5), p, p[::-1]) == pytest.approx(-LOG4, abs=1e-12)


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: toy.jsd([1, 2], [1, 2, 3]), r"same grid; got shapes \(2,\) and \(3,\)"),
        (lambda: toy.jsd([1, -1], [1, 1]), r"p must be finite, non-negative"),
        (lambda: toy.jsd([0, 0], [1, 1]), r"positive sum; got 2 values summing to 0"),
        (lambda: toy.value_function([0.5, 1.5], [1, 1], [1, 1]), r"probabilities in \[0, 1\]"),
        (lambda: toy.optimal_discriminator([1.0], [1.0, 2.0]), r"same shape; got shapes \(1,\) and \(2,\)"),
    ],
)
def test_closed_form_inputs_are_checked(call, match):
    with pytest.raises(ValueError, match=match):
        call()


# Estimates from samples


def test_js_estimate_small_for_data_and_log2_for_far_samples():
    data = toy.ring()
    assert toy.js_estimate(data, data.sample(4000, seed=0)) < 0.03
    far = np.full((100, 2), 2.9) + np.random.default_rng(0).normal(0, 0.01, (100, 2))
    assert toy.js_estimate(data, far) == pytest.approx(LOG2, abs=1e-6)
    assert toy.js_estimate("gaussian_1d", toy.gaussian_1d().sample(4000, seed=0), extent=(-3, 5)) < 0.02


def test_js_estimate_grid_orientation_matches_the_data():
    data = toy.GaussianMixture("corner", [[2.0, -2.0]], 0.2)
    assert toy.js_estimate(data, data.sample(2000, seed=0)) < 0.05
    assert toy.js_estimate(data, data.sample(2000, seed=0)[:, ::-1]) > 0.6  # the mirror image is elsewhere


def test_mode_shares_counts_points_near_each_mode():
    data = toy.ring()
    x = np.concatenate([np.tile(data.means[2], (30, 1)), np.tile(data.means[5], (10, 1)), np.zeros((10, 2))])
    np.testing.assert_allclose(toy.mode_shares(x, data), [0, 0, 0.6, 0, 0, 0.2, 0, 0])


# ToyGAN


@pytest.mark.backends
def test_step_d_changes_only_the_discriminator():
    gan = toy.ToyGAN("ring", seed=1)
    g_before, d_before = weights(gan.generator), weights(gan.discriminator)
    loss = gan.step_d()
    assert np.isfinite(loss) and (gan.steps_d, gan.steps_g) == (1, 0)
    assert same(weights(gan.generator), g_before) and not same(weights(gan.discriminator), d_before)


@pytest.mark.backends
def test_step_g_changes_only_the_generator():
    gan = toy.ToyGAN("gaussian_1d", loss="minimax", seed=1)
    g_before, d_before = weights(gan.generator), weights(gan.discriminator)
    gan.step_g()
    assert (gan.steps_d, gan.steps_g) == (0, 1)
    assert same(weights(gan.discriminator), d_before) and not same(weights(gan.generator), g_before)


@pytest.mark.backends
def test_train_counts_steps_and_records_history():
    gan = toy.ToyGAN("blob", seed=0, batch_size=32)
    history = gan.train(7, n_critic=2, record_every=3)
    assert (gan.steps_d, gan.steps_g) == (14, 7)
    assert history["step"] == [3.0, 6.0, 7.0] and len(history["d_loss"]) == len(history["g_loss"]) == 3


@pytest.mark.backends
def test_same_seed_same_generator():
    a, b = toy.ToyGAN("ring", seed=5), toy.ToyGAN("ring", seed=5)
    np.testing.assert_array_equal(a.sample(), b.sample())
    assert a.sample().shape == (2000, 2) and a.sample(7).shape == (7, 2)


@pytest.mark.backends
def test_descent_direction_of_the_two_losses_differs_by_d_over_one_minus_d(trained_gan):
    x = trained_gan.sample()[:50]
    d = trained_gan.d_prob(x)[:, None]
    ns = trained_gan.descent_direction(x, loss="non_saturating")  # (1 - D) * grad logit
    mm = trained_gan.descent_direction(x, loss="minimax")  # D * grad logit
    np.testing.assert_allclose(mm, ns * d / (1 - d), rtol=1e-3, atol=1e-7)


@pytest.mark.backends
def test_descent_direction_matches_finite_differences(trained_gan):
    x, eps = np.array([[0.3, -0.2]]), 1e-3

    def g_loss(point):  # non-saturating: -log D(x) = softplus(-logit)
        return -np.log(trained_gan.d_prob(point)[0])

    numeric = [-(g_loss(x + eps * e) - g_loss(x - eps * e)) / (2 * eps) for e in np.eye(2)]
    np.testing.assert_allclose(trained_gan.descent_direction(x)[0], numeric, rtol=2e-2, atol=1e-4)


def test_learning_rates_change_in_place(trained_gan):
    trained_gan.set_learning_rates(d_lr=0.01)
    assert trained_gan.d_lr == pytest.approx(0.01) and trained_gan.g_lr == pytest.approx(1e-3)
    assert repr(trained_gan).startswith("ToyGAN(data='ring', loss='non_saturating', d_lr=0.01, g_lr=0.001")
    with pytest.raises(ValueError, match=r"g_lr must be a number in \(0, 10\) \(a learning rate .*\), got -1"):
        trained_gan.set_learning_rates(g_lr=-1)


def test_d_prob_is_a_probability_per_point(trained_gan):
    p = trained_gan.d_prob(np.zeros((4, 2)))
    assert p.shape == (4,) and np.all((p > 0) & (p < 1))


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"d_lr": 0}, r"d_lr must be a number in \(0, 10\) \(a learning rate such as 1e-3\), got 0"),
        ({"loss": "kl"}, r"unknown loss 'kl'"),
        ({"batch_size": 2.5}, r"batch_size must be a positive int, got 2.5"),
    ],
)
def test_toygan_checks_its_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        toy.ToyGAN("ring", **kwargs)
