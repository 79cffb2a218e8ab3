"""Tests for ganlab.losses against NumPy references written with plain logs and closed forms."""

from ganlab import config  # first: imports TensorFlow quietly

import keras
import numpy as np
import pytest
from keras import ops

from ganlab import autodiff, losses

pytestmark = pytest.mark.backends  # backend-sensitive: make test runs this file on TensorFlow, JAX and PyTorch

# Random logits plus extremes: float32 sigmoid(±100) rounds to exactly 1 or 0, so a naive log gives inf.
EXTREMES = np.array([30.0, -30.0, 100.0, -100.0])


def _logits(seed: int, n: int = 64) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.concatenate([rng.normal(0.0, 3.0, n), EXTREMES]).reshape(-1, 1)  # (n + 4, 1)


# Reference formulas in float64, straight from the papers, with no softplus.
def _log_d(l):
    return np.log(1.0 / (1.0 + np.exp(-l)))  # log sigmoid(l)


def _log_1m_d(l):
    return np.log(1.0 / (1.0 + np.exp(l)))  # log(1 - sigmoid(l)) = log sigmoid(-l)


REFERENCES = {
    "minimax": (
        lambda r, f: -np.mean(_log_d(r)) - np.mean(_log_1m_d(f)),
        lambda f: np.mean(_log_1m_d(f)),
    ),
    "non_saturating": (
        lambda r, f: -np.mean(_log_d(r)) - np.mean(_log_1m_d(f)),
        lambda f: -np.mean(_log_d(f)),
    ),
    "least_squares": (
        lambda r, f: 0.5 * np.mean((r - 1.0) ** 2) + 0.5 * np.mean(f**2),
        lambda f: 0.5 * np.mean((f - 1.0) ** 2),
    ),
    "wasserstein_gp": (
        lambda r, f: np.mean(f) - np.mean(r),
        lambda f: -np.mean(f),
    ),
    "hinge": (
        lambda r, f: np.mean(np.maximum(0.0, 1.0 - r)) + np.mean(np.maximum(0.0, 1.0 + f)),
        lambda f: -np.mean(f),
    ),
}


def test_registry_matches_references():
    assert set(losses.LOSSES) == set(REFERENCES)


@pytest.mark.parametrize("name", sorted(REFERENCES))
def test_d_and_g_loss_match_numpy_reference(name):
    loss = losses.get(name)
    d_ref, g_ref = REFERENCES[name]
    real, fake = _logits(0), _logits(1)
    d = float(loss.d_loss(real, fake))
    g = float(loss.g_loss(fake))
    assert np.isfinite(d) and np.isfinite(g)
    np.testing.assert_allclose(d, d_ref(real, fake), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(g, g_ref(fake), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("name", sorted(REFERENCES))
def test_losses_accept_tensors_and_flat_batches(name):
    loss = losses.get(name)
    real, fake = _logits(2), _logits(3)
    from_numpy = float(loss.d_loss(real, fake))
    from_tensor = float(
        loss.d_loss(ops.convert_to_tensor(real[:, 0], "float32"), ops.convert_to_tensor(fake, "float32"))
    )
    np.testing.assert_allclose(from_numpy, from_tensor, rtol=1e-5)
    assert tuple(loss.g_loss(ops.convert_to_tensor(fake, "float32")).shape) == ()


def test_extreme_logits_give_the_right_values_not_inf():
    # A confident, correct D: its loss is ~0. A confident, wrong D: its loss is ~100 per term.
    right = float(losses.minimax_d_loss(np.array([[100.0]]), np.array([[-100.0]])))
    wrong = float(losses.minimax_d_loss(np.array([[-100.0]]), np.array([[100.0]])))
    assert right == pytest.approx(0.0, abs=1e-6)
    assert wrong == pytest.approx(200.0, rel=1e-6)
    assert float(losses.non_saturating_g_loss(np.array([[-100.0]]))) == pytest.approx(100.0, rel=1e-6)
    assert float(losses.minimax_g_loss(np.array([[100.0]]))) == pytest.approx(-100.0, rel=1e-6)


def _grad_wrt_fake(g_loss, logit: float, n: int = 4) -> np.ndarray:
    fake = keras.Variable(np.full((n, 1), logit, dtype=np.float32))
    _, _, (grad,) = autodiff.value_and_grad(lambda: (g_loss(fake.value), ()), [fake])
    return ops.convert_to_numpy(grad) * n  # per-sample gradient, undoing the mean


def test_minimax_g_saturates_where_non_saturating_does_not():
    # Early in training D rejects fakes confidently: D(G(z)) = sigmoid(-10) ≈ 4.5e-5.
    minimax = _grad_wrt_fake(losses.minimax_g_loss, -10.0)
    non_saturating = _grad_wrt_fake(losses.non_saturating_g_loss, -10.0)
    # d/dl log(1 - sigmoid(l)) = -sigmoid(l) ≈ 0;  d/dl -log sigmoid(l) = -sigmoid(-l) ≈ -1.
    np.testing.assert_allclose(minimax, -1.0 / (1.0 + np.exp(10.0)), rtol=1e-4)
    np.testing.assert_allclose(non_saturating, -1.0 / (1.0 + np.exp(-10.0)), rtol=1e-4)
    assert np.all(np.abs(minimax) < 1e-4) and np.all(np.abs(non_saturating) > 0.99)
    # Both push the fake logit up (negative gradient of the loss they minimise).
    assert np.all(minimax < 0) and np.all(non_saturating < 0)


def _linear_critic(w: np.ndarray) -> keras.Model:
    """D(x) = sum(w * x): Flatten then Dense(1, use_bias=False) with the given weights."""
    inputs = keras.Input((28, 28, 1))
    flat = keras.layers.Flatten()(inputs)  # (B, 784)
    outputs = keras.layers.Dense(1, use_bias=False, name="d_logits")(flat)  # (B, 1)
    model = keras.Model(inputs, outputs)
    model.get_layer("d_logits").set_weights([w.reshape(784, 1).astype(np.float32)])
    return model


def _batch(seed: int, n: int = 8):
    rng = np.random.default_rng(seed)
    real = rng.uniform(-1, 1, (n, 28, 28, 1)).astype(np.float32)
    fake = rng.uniform(-1, 1, (n, 28, 28, 1)).astype(np.float32)
    alpha = rng.uniform(0, 1, (n, 1, 1, 1)).astype(np.float32)
    return real, fake, alpha


@pytest.mark.parametrize("norm", [0.5, 1.0, 3.0])
def test_gradient_penalty_closed_form_for_linear_critic(norm):
    # grad_x sum(w * x) = w everywhere, so the penalty is (||w|| - 1)^2 whatever real, fake and alpha are.
    w = np.random.default_rng(4).normal(size=784)
    w *= norm / np.linalg.norm(w)
    gp = float(losses.gradient_penalty(_linear_critic(w), *_batch(5)))
    assert gp == pytest.approx((norm - 1.0) ** 2, abs=1e-5)


def test_gradient_penalty_is_differentiable_wrt_critic_weights():
    # d/dw (||w|| - 1)^2 = 2 (||w|| - 1) w / ||w||: the penalty can train the critic.
    w = np.random.default_rng(6).normal(size=784) * 0.1
    critic = _linear_critic(w)
    _, _, (grad,) = autodiff.value_and_grad(
        lambda: (losses.gradient_penalty(critic, *_batch(7)), ()), critic.trainable_weights
    )
    norm = np.linalg.norm(w)
    expected = 2.0 * (norm - 1.0) * w / norm
    np.testing.assert_allclose(ops.convert_to_numpy(grad).ravel(), expected, rtol=1e-3, atol=1e-6)


def test_gradient_penalty_works_inside_a_compiled_step():
    w = np.random.default_rng(8).normal(size=784)
    critic = _linear_critic(w)
    step = autodiff.compile_step(lambda r, f, a: losses.gradient_penalty(critic, r, f, a), critic.variables)
    gp = step(*(ops.convert_to_tensor(x) for x in _batch(9)))
    assert float(gp) == pytest.approx((np.linalg.norm(w) - 1.0) ** 2, rel=1e-4)


@pytest.mark.parametrize(
    "alpha, match",
    [
        (np.full((8, 1, 1), 0.5, np.float32), r"alpha must have shape \(8, 1, 1, 1\)"),
        (np.full((8, 28, 28, 1), 0.5, np.float32), r"alpha must have shape \(8, 1, 1, 1\)"),
        (np.full((8, 1, 1, 1), 1.5, np.float32), r"alpha must lie in \[0, 1\]"),
        (np.full((8, 1, 1, 1), -0.1, np.float32), r"alpha must lie in \[0, 1\]"),
    ],
)
def test_gradient_penalty_rejects_bad_alpha(alpha, match):
    real, fake, _ = _batch(10)
    with pytest.raises(ValueError, match=match):
        losses.gradient_penalty(_linear_critic(np.ones(784)), real, fake, alpha)


def test_gradient_penalty_rejects_mismatched_batches():
    real, fake, alpha = _batch(11)
    with pytest.raises(ValueError, match="same shape"):
        losses.gradient_penalty(_linear_critic(np.ones(784)), real, fake[:4], alpha)


def test_losses_reject_images_in_place_of_logits():
    images = np.zeros((4, 28, 28, 1), np.float32)
    with pytest.raises(ValueError, match=r"shape \(B, 1\) or \(B,\), got shape \(4, 28, 28, 1\)"):
        losses.non_saturating_g_loss(images)
    with pytest.raises(ValueError, match="real_logits"):
        losses.hinge_d_loss(np.zeros((4, 2)), np.zeros((4, 1)))


def test_get_returns_registered_losses_and_passes_instances_through():
    assert losses.get("wasserstein_gp").gp_weight == 10.0
    assert losses.get("non-saturating") is losses.LOSSES["non_saturating"]
    assert all(losses.get(name).gp_weight == 0.0 for name in losses.LOSSES if name != "wasserstein_gp")
    custom = losses.GANLoss("custom", losses.hinge_d_loss, losses.hinge_g_loss, gp_weight=1.0)
    assert losses.get(custom) is custom
    assert repr(custom) == "GANLoss(name='custom', d_loss=hinge_d_loss, g_loss=hinge_g_loss, gp_weight=1.0)"


def test_get_unknown_name_lists_valid_names():
    with pytest.raises(ValueError, match="unknown loss 'wgan'") as info:
        losses.get("wgan")
    for name in losses.LOSSES:
        assert repr(name) in str(info.value)
    with pytest.raises(ValueError, match="GANLoss or one of"):
        losses.get(3)


def test_ganloss_is_frozen_and_validated():
    loss = losses.get("hinge")
    with pytest.raises(AttributeError):
        loss.gp_weight = 5.0
    with pytest.raises(ValueError, match="gp_weight"):
        losses.GANLoss("bad", losses.hinge_d_loss, losses.hinge_g_loss, gp_weight=-1.0)
    with pytest.raises(ValueError, match="g_loss must be callable"):
        losses.GANLoss("bad", losses.hinge_d_loss, "hinge")
