"""GAN losses under one convention: real = 1, and the discriminator (or critic) outputs logits.

Each loss is a pair of plain functions, ``*_d_loss(real_logits, fake_logits)`` for the discriminator and
``*_g_loss(fake_logits)`` for the generator, written with ``keras.ops`` so they take NumPy arrays or
tensors and return a scalar mean. A :class:`GANLoss` bundles a pair under a name, and :func:`get` looks one
up: ``losses.get("non_saturating")``. Sigmoid-based losses use softplus forms, which never give inf or nan:

    log D(x)     = log sigmoid(l)     = -softplus(-l)
    log(1 - D(x)) = log(1 - sigmoid(l)) = -softplus(l)
"""

from __future__ import annotations

from dataclasses import dataclass
from collections.abc import Callable

from ganlab import config  # first: imports TensorFlow quietly

import keras
import numpy as np
from keras import ops

from ganlab import autodiff
from ganlab import checks


@dataclass(frozen=True, repr=False)
class GANLoss:
    """A named pair of GAN losses: ``d_loss(real_logits, fake_logits)`` and ``g_loss(fake_logits)``.

    Both return a scalar that their network minimises. ``gp_weight`` > 0 asks the training step to add
    ``gp_weight * gradient_penalty(...)`` to the discriminator loss (WGAN-GP).
    """

    name: str
    d_loss: Callable
    g_loss: Callable
    gp_weight: float = 0.0

    def __post_init__(self):
        checks.text(self.name, "GANLoss name")
        for field in ("d_loss", "g_loss"):
            if not callable(getattr(self, field)):
                raise checks.BadInput(f"GANLoss {field} must be callable, got {getattr(self, field)!r}")
        checks.number(self.gp_weight, "GANLoss gp_weight", 0, meaning="0: no gradient penalty")

    def __repr__(self) -> str:
        # Function names, not reprs with memory addresses, so notebook output stays stable.
        d_name = getattr(self.d_loss, "__name__", type(self.d_loss).__name__)
        g_name = getattr(self.g_loss, "__name__", type(self.g_loss).__name__)
        return f"GANLoss(name={self.name!r}, d_loss={d_name}, g_loss={g_name}, gp_weight={self.gp_weight})"


def _as_logits(x, name: str):
    """Check that ``x`` holds discriminator outputs of shape (B,) or (B, 1), and return it as float32."""
    x = ops.convert_to_tensor(x)
    dtype = keras.backend.standardize_dtype(x.dtype)
    if not (dtype.startswith("float") or dtype.startswith("int") or dtype.startswith("uint")):
        raise checks.BadInput(f"{name} must hold real numbers, got dtype {dtype}")
    shape = tuple(x.shape)
    if len(shape) not in (1, 2) or (len(shape) == 2 and shape[1] != 1):
        raise checks.BadInput(
            f"{name} must be discriminator outputs of shape (B, 1) or (B,), got shape {shape}; "
            "did you pass images instead of D(images)?"
        )
    if shape[0] == 0:
        raise checks.BadInput(f"{name} is empty (shape {shape}); need at least one logit")
    return ops.cast(x, "float32")


# Minimax and non-saturating (Goodfellow et al. 2014): D is a sigmoid classifier on logits.


def minimax_d_loss(real_logits, fake_logits):
    """Discriminator cross-entropy: mean of -[log D(x) + log(1 - D(G(z)))], with D = sigmoid(logits)."""
    real = _as_logits(real_logits, "real_logits")
    fake = _as_logits(fake_logits, "fake_logits")
    # -log sigmoid(l) = softplus(-l);  -log(1 - sigmoid(l)) = softplus(l)
    return ops.mean(ops.softplus(-real)) + ops.mean(ops.softplus(fake))


def minimax_g_loss(fake_logits):
    """Saturating generator loss: mean of +log(1 - D(G(z))); its gradient vanishes when D(G(z)) ≈ 0."""
    fake = _as_logits(fake_logits, "fake_logits")
    return -ops.mean(ops.softplus(fake))


def non_saturating_d_loss(real_logits, fake_logits):
    """Same as :func:`minimax_d_loss`: mean of -[log D(x) + log(1 - D(G(z)))]."""
    return minimax_d_loss(real_logits, fake_logits)


def non_saturating_g_loss(fake_logits):
    """Non-saturating generator loss: mean of -log D(G(z)); strong gradient while D rejects the fakes."""
    fake = _as_logits(fake_logits, "fake_logits")
    return ops.mean(ops.softplus(-fake))


# Least squares (LSGAN, Mao et al. 2017): squared error on the raw outputs, targets real = 1, fake = 0.


def least_squares_d_loss(real_logits, fake_logits):
    """LSGAN discriminator loss: 0.5 * mean((D(x) - 1)^2) + 0.5 * mean(D(G(z))^2) on raw outputs."""
    real = _as_logits(real_logits, "real_logits")
    fake = _as_logits(fake_logits, "fake_logits")
    return 0.5 * ops.mean(ops.square(real - 1.0)) + 0.5 * ops.mean(ops.square(fake))


def least_squares_g_loss(fake_logits):
    """LSGAN generator loss: 0.5 * mean((D(G(z)) - 1)^2) on raw outputs."""
    fake = _as_logits(fake_logits, "fake_logits")
    return 0.5 * ops.mean(ops.square(fake - 1.0))


# Wasserstein (Arjovsky et al. 2017): the critic's raw scores, real scored high.


def wasserstein_d_loss(real_logits, fake_logits):
    """Critic loss: mean(D(G(z))) - mean(D(x)), the negative of the estimated Wasserstein-1 distance."""
    real = _as_logits(real_logits, "real_logits")
    fake = _as_logits(fake_logits, "fake_logits")
    return ops.mean(fake) - ops.mean(real)


def wasserstein_g_loss(fake_logits):
    """Wasserstein generator loss: -mean(D(G(z)))."""
    fake = _as_logits(fake_logits, "fake_logits")
    return -ops.mean(fake)


# Hinge (Lim & Ye 2017; used by SAGAN and BigGAN).


def hinge_d_loss(real_logits, fake_logits):
    """Hinge discriminator loss: mean(relu(1 - D(x))) + mean(relu(1 + D(G(z))))."""
    real = _as_logits(real_logits, "real_logits")
    fake = _as_logits(fake_logits, "fake_logits")
    return ops.mean(ops.relu(1.0 - real)) + ops.mean(ops.relu(1.0 + fake))


def hinge_g_loss(fake_logits):
    """Hinge generator loss: -mean(D(G(z)))."""
    fake = _as_logits(fake_logits, "fake_logits")
    return -ops.mean(fake)


# WGAN-GP (Gulrajani et al. 2017).


def gradient_penalty(discriminator, real, fake, alpha, *, training: bool = True):
    """WGAN-GP penalty mean((||grad_x D(x_hat)||_2 - 1)^2) at x_hat = alpha*real + (1-alpha)*fake.

    ``alpha`` (shape (B, 1, 1, 1) for images; (B, 1, ..., 1) in general) comes from the caller, so the
    function is pure. Compute it inside the discriminator's loss: the penalty is differentiable with
    respect to the discriminator's weights. D must score each sample on its own (no BatchNormalization).
    """
    if not callable(discriminator):
        raise checks.BadInput(f"discriminator must be a callable model, got {type(discriminator).__name__}")
    real, fake = ops.cast(ops.convert_to_tensor(real), "float32"), ops.cast(ops.convert_to_tensor(fake), "float32")
    if tuple(real.shape) != tuple(fake.shape):
        raise checks.BadInput(
            f"real and fake must have the same shape, got {tuple(real.shape)} and {tuple(fake.shape)}"
        )
    if len(real.shape) < 2:
        raise checks.BadInput(f"real must be a batch of shape (B, ...), e.g. (B, 28, 28, 1), got {tuple(real.shape)}")
    alpha_values = alpha
    alpha = ops.cast(ops.convert_to_tensor(alpha), "float32")
    expected = (real.shape[0],) + (1,) * (len(real.shape) - 1)
    if len(alpha.shape) != len(expected) or any(
        a is not None and e is not None and a != e for a, e in zip(alpha.shape, expected)
    ):
        raise checks.BadInput(
            f"alpha must have shape {expected} (one mixing weight per sample), got {tuple(alpha.shape)}"
        )
    if autodiff.is_concrete(alpha_values):
        a = np.asarray(ops.convert_to_numpy(alpha_values), dtype=np.float64)
        if not np.all(np.isfinite(a)) or a.min() < 0.0 or a.max() > 1.0:
            raise checks.BadInput(f"alpha must lie in [0, 1], got values in [{a.min():.3g}, {a.max():.3g}]")

    # Interpolate between real and fake samples, one alpha per sample.
    x_hat = alpha * real + (1.0 - alpha) * fake  # (B, 28, 28, 1)
    # (B, 28, 28, 1); the gradient of the sum over B is fine: sample i's score only sees x_hat[i]
    grads = autodiff.input_grad(lambda x: discriminator(x, training=training), x_hat)
    if grads is None:
        raise checks.BadInput(
            "the discriminator's output does not depend on its input; cannot compute a gradient penalty"
        )
    grads = ops.reshape(grads, (ops.shape(grads)[0], -1))  # (B, 784)
    # The small epsilon keeps sqrt differentiable where a gradient is exactly zero.
    norms = ops.sqrt(ops.sum(ops.square(grads), axis=1) + 1e-12)  # (B,)
    return ops.mean(ops.square(norms - 1.0))


LOSSES: dict[str, GANLoss] = {
    "minimax": GANLoss("minimax", minimax_d_loss, minimax_g_loss),
    "non_saturating": GANLoss("non_saturating", non_saturating_d_loss, non_saturating_g_loss),
    "least_squares": GANLoss("least_squares", least_squares_d_loss, least_squares_g_loss),
    "wasserstein_gp": GANLoss("wasserstein_gp", wasserstein_d_loss, wasserstein_g_loss, gp_weight=10.0),
    "hinge": GANLoss("hinge", hinge_d_loss, hinge_g_loss),
}


def smoothed(loss="non_saturating", real_target=0.9) -> GANLoss:
    """One-sided label smoothing (Salimans et al., 2016): D's target for real images becomes ``real_target``.

    Fakes keep target 0 (smoothing them too would reward D for giving fakes some realness). For the
    cross-entropy losses (minimax, non_saturating) D's real term becomes
    ``-[t log D(x) + (1 - t) log(1 - D(x))]``; for least squares ``0.5 * (D(x) - t)^2``. G's loss is unchanged.
    """
    base = get(loss)
    t = checks.number(real_target, "real_target", 0.5, 1, low_open=True, meaning="1 means no smoothing; 0.9 is usual")

    if base.d_loss in (minimax_d_loss, non_saturating_d_loss):

        def smoothed_d_loss(real_logits, fake_logits):
            real = _as_logits(real_logits, "real_logits")
            fake = _as_logits(fake_logits, "fake_logits")
            # -[t log sigmoid(l) + (1 - t) log(1 - sigmoid(l))] = t softplus(-l) + (1 - t) softplus(l)
            real_term = t * ops.softplus(-real) + (1.0 - t) * ops.softplus(real)
            return ops.mean(real_term) + ops.mean(ops.softplus(fake))

    elif base.d_loss is least_squares_d_loss:

        def smoothed_d_loss(real_logits, fake_logits):
            real = _as_logits(real_logits, "real_logits")
            fake = _as_logits(fake_logits, "fake_logits")
            return 0.5 * ops.mean(ops.square(real - t)) + 0.5 * ops.mean(ops.square(fake))

    else:
        raise checks.BadInput(
            f"label smoothing needs a loss with a target for real images (minimax, non_saturating, "
            f"least_squares); {base.name!r} scores images without targets"
        )
    return GANLoss(f"{base.name}_smooth{t:g}", smoothed_d_loss, base.g_loss, base.gp_weight)


def get(name_or_loss) -> GANLoss:
    """Return the :class:`GANLoss` registered under a name (see ``LOSSES``), or a GANLoss unchanged."""
    if isinstance(name_or_loss, GANLoss):
        return name_or_loss
    valid = ", ".join(repr(name) for name in LOSSES)
    if not isinstance(name_or_loss, str):
        raise checks.BadInput(
            f"loss must be a GANLoss or one of {valid}; got {type(name_or_loss).__name__} {name_or_loss!r}"
        )
    key = name_or_loss.strip().lower().replace("-", "_")
    if key not in LOSSES:
        raise checks.BadInput(f"unknown loss {name_or_loss!r}; valid names are {valid}")
    return LOSSES[key]
