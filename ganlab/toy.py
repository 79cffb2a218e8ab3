"""Toy GANs on 1-D and 2-D Gaussian mixtures, where every density is known and the theory can be checked.

``gaussian_1d``, ``ring`` (the ring of 8 Gaussians) and the other ``DATASETS`` are :class:`GaussianMixture`
objects that sample and evaluate their exact density. ``optimal_discriminator``, ``jsd`` and
``value_function`` are the closed forms of the minimax game on a grid; ``js_estimate`` and ``mode_shares``
measure a generator from its samples. :class:`ToyGAN` wraps two small MLPs in ``ganlab.gan.GAN`` and
trains them step by step (``step_d``, ``step_g``, ``train``), for the notebooks and ``ganlab.playground``.
"""

from __future__ import annotations

import math

from ganlab import config  # first: imports TensorFlow quietly

import keras
import numpy as np

from ganlab import autodiff, checks, gan, losses


class GaussianMixture:
    """Equal-weight mixture of isotropic Gaussians with one shared std: samples and exact density."""

    def __init__(self, name: str, means, std: float):
        means = checks.finite_array(means, "means")
        means = means[:, None] if means.ndim == 1 else means
        if means.ndim != 2 or len(means) == 0:
            raise checks.BadInput(f"means must have shape (K,) or (K, dim) with K >= 1; got shape {means.shape}.")
        self.name, self.means, self.std = name, means, checks.positive_number(std, "std")

    @property
    def dim(self) -> int:
        return self.means.shape[1]

    def __repr__(self) -> str:
        return f"GaussianMixture({self.name!r}: {len(self.means)} mode(s) in {self.dim}-D, std {self.std:.3g})"

    def sample(self, n: int, seed=None) -> np.ndarray:
        """``n`` float32 points, shape (n, dim); ``seed`` is an int or a ``np.random.Generator``."""
        n = checks.positive_int(n, "n")
        rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
        modes = rng.integers(len(self.means), size=n)
        return (self.means[modes] + self.std * rng.standard_normal((n, self.dim))).astype(np.float32)

    def pdf(self, x) -> np.ndarray:
        """Density at each point of ``x``, shape (N,) from (N, dim) (or (N,) in 1-D)."""
        x = _points(x, self.dim)
        sq = ((x[:, None, :] - self.means[None]) ** 2).sum(-1)  # (N, K)
        norm = (2 * math.pi * self.std**2) ** (self.dim / 2)
        return np.exp(-sq / (2 * self.std**2)).mean(axis=1) / norm


def gaussian_1d(mean: float = 2.0, std: float = 0.5) -> GaussianMixture:
    """One Gaussian on the line, N(mean, std²)."""
    return GaussianMixture("gaussian_1d", [mean], std)


def ring(n_modes: int = 8, radius: float = 2.0, std: float = 0.05) -> GaussianMixture:
    """``n_modes`` Gaussians evenly spaced on a circle: the classic mode-collapse test."""
    angles = 2 * math.pi * np.arange(checks.positive_int(n_modes, "n_modes")) / n_modes
    return GaussianMixture("ring", radius * np.stack([np.cos(angles), np.sin(angles)], axis=1), std)


DATASETS = {
    "gaussian_1d": gaussian_1d,
    "ring": ring,
    "blob": lambda: GaussianMixture("blob", [[1.0, 1.0]], 0.3),
    "two_blobs": lambda: GaussianMixture("two_blobs", [[-1.5, 0.0], [1.5, 0.0]], 0.25),
}


def get_data(data) -> GaussianMixture:
    """A GaussianMixture unchanged, or a new one from its name in ``DATASETS``."""
    if isinstance(data, GaussianMixture):
        return data
    if data not in DATASETS:
        raise checks.BadInput(
            f"data must be a GaussianMixture or one of {', '.join(map(repr, DATASETS))}; got {data!r}."
        )
    return DATASETS[data]()


def _points(x, dim: int) -> np.ndarray:
    """Check points: shape (N, dim) (or (N,) when dim is 1), finite; return float64 (N, dim)."""
    x = checks.finite_array(x, "points")
    x = x[:, None] if dim == 1 and x.ndim == 1 else x
    if x.ndim != 2 or x.shape[1] != dim or len(x) == 0:
        raise checks.BadInput(f"points must have shape (N, {dim}) with N >= 1; got shape {x.shape}.")
    return x


def _densities(p, q):
    """Check two density arrays on the same grid; return them as masses that each sum to 1."""
    p, q = checks.finite_array(p, "p"), checks.finite_array(q, "q")
    if p.shape != q.shape:
        raise checks.BadInput(f"p and q must be on the same grid; got shapes {p.shape} and {q.shape}.")
    for name, a in (("p", p), ("q", q)):
        if a.size == 0 or a.min() < 0 or a.sum() <= 0:
            raise checks.BadInput(
                f"{name} must be finite, non-negative densities with a positive sum; got {a.size} "
                f"values summing to {a.sum():.3g}."
            )
    return p / p.sum(), q / q.sum()


def optimal_discriminator(p_data, p_g) -> np.ndarray:
    """D*(x) = p_data / (p_data + p_g) (Goodfellow et al. 2014), 0.5 where both densities are 0."""
    p_data, p_g = np.asarray(p_data, dtype=np.float64), np.asarray(p_g, dtype=np.float64)
    if p_data.shape != p_g.shape or np.any(p_data < 0) or np.any(p_g < 0):
        raise checks.BadInput(
            f"p_data and p_g must be non-negative densities of the same shape; got shapes "
            f"{p_data.shape} and {p_g.shape}."
        )
    total = p_data + p_g
    return np.divide(p_data, total, out=np.full(total.shape, 0.5), where=total > 0)


def jsd(p, q) -> float:
    """Jensen–Shannon divergence (natural log, in [0, log 2]) of two densities given on the same grid."""
    p, q = _densities(p, q)
    m = (p + q) / 2

    def kl(a):  # KL(a ‖ m), with 0 log 0 = 0
        return float(np.sum(a[a > 0] * np.log(a[a > 0] / m[a > 0])))

    return max(0.5 * kl(p) + 0.5 * kl(q), 0.0)


def value_function(d, p_data, p_g) -> float:
    """V(D, G) = E_data[log D] + E_g[log(1 - D)] for D's values ``d`` on the grid of the two densities.

    D is kept one float step inside (0, 1): a D that rounds to exactly 0 or 1 (a saturated sigmoid) then costs a
    large finite penalty where the other density is tiny, instead of making V = -inf.
    """
    p, q = _densities(p_data, p_g)
    d = np.asarray(d, dtype=np.float64)
    if d.shape != p.shape or not np.all((d >= 0) & (d <= 1)):
        raise checks.BadInput(
            f"d must hold probabilities in [0, 1] on the densities' grid {p.shape}; got shape {d.shape}."
        )
    d = np.clip(d, np.finfo(np.float64).tiny, np.nextafter(1.0, 0.0))
    return float(np.sum(p * np.log(d)) + np.sum(q * np.log1p(-d)))


def grid(extent, n: int, dim: int) -> np.ndarray:
    """A regular grid over ``extent`` = (low, high): (n, 1) points in 1-D, (n * n, 2) row-major in 2-D."""
    axis = np.linspace(*checks.interval(extent, "extent"), checks.positive_int(n, "n"))
    if dim == 1:
        return axis[:, None]
    xx, yy = np.meshgrid(axis, axis)
    return np.stack([xx.ravel(), yy.ravel()], axis=1)


def js_estimate(data, fake, extent=(-3.0, 3.0), bins: int = 60) -> float:
    """JSD between ``data``'s exact density and a histogram of the ``fake`` samples on a ``bins``-cell grid."""
    data = get_data(data)
    fake = _points(fake, data.dim)
    edges = np.linspace(*checks.interval(extent, "extent"), checks.positive_int(bins, "bins") + 1)
    centres = grid(((edges[0] + edges[1]) / 2, (edges[-2] + edges[-1]) / 2), bins, data.dim)
    hist = np.histogramdd(fake, bins=[edges] * data.dim)[0]  # (bins,) or (bins, bins), x first
    p = data.pdf(centres).reshape((bins,) * data.dim)  # row-major (y, x) in 2-D
    return jsd(p, hist.T if data.dim == 2 else hist)


def mode_shares(fake, data) -> np.ndarray:
    """Share of the ``fake`` points within 3 std of each mode of ``data``, shape (K,); the rest are off-mode."""
    data = get_data(data)
    fake = _points(fake, data.dim)
    dist = np.sqrt(((fake[:, None, :] - data.means[None]) ** 2).sum(-1))  # (N, K)
    nearest = dist.argmin(axis=1)
    close = dist[np.arange(len(fake)), nearest] <= 3 * data.std
    return np.bincount(nearest[close], minlength=len(data.means)) / len(fake)


def mlp(in_dim: int, out_dim: int, hidden: int = 64, depth: int = 2, seed: int = 0, name: str = "mlp"):
    """A functional Keras MLP, (B, in_dim) -> (B, out_dim), ReLU hidden layers and a linear output."""
    x = inputs = keras.Input((in_dim,))
    for i in range(depth):
        init = keras.initializers.GlorotUniform(seed=seed + i)
        x = keras.layers.Dense(hidden, activation="relu", kernel_initializer=init, name=f"{name}_hidden{i + 1}")(x)
    out = keras.layers.Dense(
        out_dim, kernel_initializer=keras.initializers.GlorotUniform(seed=seed + depth), name=f"{name}_out"
    )(x)
    return keras.Model(inputs, out, name=name)


class ToyGAN:
    """Two small MLPs in a ``ganlab.gan.GAN`` on toy data, trained one D or G step at a time."""

    def __init__(
        self,
        data="ring",
        loss="non_saturating",
        d_lr=1e-3,
        g_lr=1e-3,
        latent_dim=2,
        hidden=64,
        batch_size=128,
        beta_1=0.5,
        seed=0,
    ):
        self.data, self.loss = get_data(data), losses.get(loss)
        for name, lr in (("d_lr", d_lr), ("g_lr", g_lr)):
            checks.number(lr, name, 0, 10, low_open=True, high_open=True, meaning="a learning rate such as 1e-3")
        self.batch_size, self.rng = checks.positive_int(batch_size, "batch_size"), np.random.default_rng(seed)
        latent_dim, hidden = checks.positive_int(latent_dim, "latent_dim"), checks.positive_int(hidden, "hidden")
        self.generator = mlp(latent_dim, self.data.dim, hidden, seed=seed, name="generator")
        self.discriminator = mlp(self.data.dim, 1, hidden, seed=seed + 10, name="discriminator")
        self.gan = gan.GAN(self.generator, self.discriminator, seed=seed)
        self.gan.compile(
            d_optimizer=keras.optimizers.Adam(d_lr, beta_1=beta_1),
            g_optimizer=keras.optimizers.Adam(g_lr, beta_1=beta_1),
            loss=self.loss,
        )
        variables = self.gan.step_variables()
        self._d_step = autodiff.compile_step(self.gan.d_step, variables)
        self._g_step = autodiff.compile_step(lambda: self.gan.g_step(self.batch_size), variables)
        self.fixed_z = self.rng.standard_normal((2000, latent_dim)).astype(np.float32)
        self.history = {"step": [], "d_loss": [], "g_loss": []}

    def __repr__(self) -> str:
        return (
            f"ToyGAN(data={self.data.name!r}, loss={self.loss.name!r}, d_lr={self.d_lr:.3g}, "
            f"g_lr={self.g_lr:.3g}, steps_d={self.steps_d}, steps_g={self.steps_g})"
        )

    steps_d = property(
        lambda self: int(keras.ops.convert_to_numpy(self.gan.d_optimizer.iterations)), doc="D updates so far."
    )
    steps_g = property(
        lambda self: int(keras.ops.convert_to_numpy(self.gan.g_optimizer.iterations)), doc="G updates so far."
    )
    d_lr = property(
        lambda self: float(keras.ops.convert_to_numpy(self.gan.d_optimizer.learning_rate)), doc="D's learning rate."
    )
    g_lr = property(
        lambda self: float(keras.ops.convert_to_numpy(self.gan.g_optimizer.learning_rate)), doc="G's learning rate."
    )

    def set_learning_rates(self, d_lr=None, g_lr=None) -> None:
        """Change either learning rate in place; training goes on from the same weights."""
        for name, lr, opt in (("d_lr", d_lr, self.gan.d_optimizer), ("g_lr", g_lr, self.gan.g_optimizer)):
            if lr is not None:
                opt.learning_rate.assign(
                    checks.number(
                        lr, name, 0, 10, low_open=True, high_open=True, meaning="a learning rate such as 1e-3"
                    )
                )

    def _real_batch(self):
        # A tensor, not an array: a compiled step converts NumPy input slowly, every call.
        return keras.ops.convert_to_tensor(self.data.sample(self.batch_size, self.rng))

    def step_d(self) -> float:
        """One discriminator update on a fresh real batch; returns D's loss."""
        return float(self._d_step(self._real_batch()))

    def step_g(self) -> float:
        """One generator update on fresh noise; returns G's loss."""
        return float(self._g_step())

    def train(self, steps: int, n_critic: int = 1, n_gen: int = 1, record_every: int = 10) -> dict:
        """``steps`` rounds of ``n_critic`` D updates then ``n_gen`` G updates; losses go to ``history``."""
        steps, n_critic = checks.positive_int(steps, "steps"), checks.positive_int(n_critic, "n_critic")
        n_gen, record_every = checks.positive_int(n_gen, "n_gen"), checks.positive_int(record_every, "record_every")
        for i in range(steps):
            for _ in range(n_critic):
                d_loss = self._d_step(self._real_batch())
            for _ in range(n_gen):
                g_loss = self._g_step()
            if (i + 1) % record_every == 0 or i == steps - 1:
                for key, value in (("step", self.steps_g), ("d_loss", d_loss), ("g_loss", g_loss)):
                    self.history[key].append(float(value))
        return self.history

    def sample(self, n: int | None = None) -> np.ndarray:
        """G(z) as NumPy (n, dim): the 2000 fixed noise vectors when ``n`` is None, else fresh noise."""
        z = (
            self.fixed_z
            if n is None
            else self.rng.standard_normal((checks.positive_int(n, "n"), self.fixed_z.shape[1]))
        )
        return self.gan.sample(z.astype(np.float32))

    def d_prob(self, x) -> np.ndarray:
        """D(x) = sigmoid(logit) as NumPy, shape (N,)."""
        x = _points(x, self.data.dim).astype(np.float32)
        return keras.ops.convert_to_numpy(keras.ops.sigmoid(self.discriminator(x, training=False)))[:, 0]

    def descent_direction(self, x, loss=None) -> np.ndarray:
        """-d(G's loss)/dx per point: where a generator step pushes each generated point ``x``, shape (N, dim)."""
        x = keras.ops.convert_to_tensor(_points(x, self.data.dim).astype(np.float32))
        g_loss = losses.get(loss or self.loss).g_loss
        # G's loss is a mean; times N it is a sum, whose gradient is each point's own
        grad = autodiff.input_grad(lambda x: g_loss(self.discriminator(x, training=False)) * x.shape[0], x)
        return -keras.ops.convert_to_numpy(grad)
