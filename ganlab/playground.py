"""A GAN Lab-style playground (after poloclub/ganlab) for the toy GANs of ``ganlab.toy``.

``plot_state`` is a pure drawer: D's output as a heatmap (2-D) or a curve (1-D), the real and generated points,
arrows showing where the next generator step pushes each generated point, and the JS estimate in the title.
``explore_gan`` wraps it in ipywidgets (data, loss, learning rates; step D, step G, train N steps). Without a
live kernel (GitHub, nbval) the widget shows nothing, so notebooks draw ``plot_state`` first with ``plt.show()``.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from ganlab import checks, plotting, toy
from ganlab.plotting import FAKE_STYLE, REAL_STYLE

HEATMAP = dict(cmap="PRGn", vmin=0.0, vmax=1.0, alpha=0.75)  # purple: D says fake, green: real, white: 0.5
LEVELS = np.linspace(0.0, 1.0, 11)  # D's heatmap in bands of 0.1


def default_extent(data) -> tuple[float, float]:
    """A symmetric (low, high) range that holds every mode of ``data`` with room around it."""
    data = toy.get_data(data)
    r = float(np.abs(data.means).max() + 4 * data.std + 1.0)
    return (-r, r)


def d_on_grid(gan, extent, n: int = 100):
    """D(x) of a 2-D ToyGAN on an n x n grid over ``extent``: (X, Y, D), each (n, n), rows along x₂."""
    axis = np.linspace(extent[0], extent[1], checks.positive_int(n, "n"))
    xx, yy = np.meshgrid(axis, axis)  # (n, n) each
    return xx, yy, gan.d_prob(np.stack([xx.ravel(), yy.ravel()], axis=1)).reshape(n, n)


def _arrows(ax, gan, fake, n_arrows, arrow_scale, extent, y=None) -> float:
    """Quiver the descent direction of the first ``n_arrows`` generated points; return its mean length.

    With ``arrow_scale=None`` the longest arrow is drawn at 12% of the plot's width, so lengths compare within
    one picture only; the returned mean length compares across pictures.
    """
    pts = fake[:n_arrows]
    move = gan.descent_direction(pts)  # (n, dim)
    mean_push = float(np.linalg.norm(move, axis=1).mean())
    longest = float(np.abs(move).max()) if move.size else 0.0
    if arrow_scale is None:
        arrow_scale = 0.12 * (extent[1] - extent[0]) / longest if longest > 0 else 0.0
    move = move * arrow_scale
    one_d = pts.shape[1] == 1  # a 1-D GAN draws its points on the line y = y, pushed sideways
    ys, dys = (np.full(len(pts), y), 0 * move[:, 0]) if one_d else (pts[:, 1], move[:, 1])
    ax.quiver(
        pts[:, 0],
        ys,
        move[:, 0],
        dys,
        angles="xy",
        scale_units="xy",
        scale=1,
        color="tab:red",
        width=0.004,
        label="G's push",
    )
    return mean_push


def plot_state(
    gan,
    ax=None,
    extent=None,
    n_real: int = 500,
    n_fake: int = 500,
    n_arrows: int = 64,
    arrow_scale=None,
    title: str | None = None,
    colorbar: bool = True,
):
    """Draw a ToyGAN as it is now: D, real and generated points, G's push on them; return the Figure.

    The title gives the JS estimate (``toy.js_estimate``) and the mean length of the push -d(G's loss)/dx.
    """
    if not isinstance(gan, toy.ToyGAN):
        raise checks.BadInput(f"gan must be a ganlab.toy.ToyGAN; got {type(gan).__name__}.")
    extent = default_extent(gan.data) if extent is None else extent
    for name, n in (("n_real", n_real), ("n_fake", n_fake), ("n_arrows", n_arrows)):
        checks.positive_int(n, name)
    fake = gan.sample()  # (2000, dim) from the fixed noise
    real = gan.data.sample(n_real, seed=0)  # a fixed seed: drawing never moves the training RNG
    js = toy.js_estimate(gan.data, fake, extent=extent)
    if gan.data.dim == 1:
        fig = plot_density_1d(real, fake[:n_fake], d_fn=gan.d_prob, x_range=extent, ax=ax)
        ax = fig.axes[0] if ax is None else ax
        push = _arrows(ax, gan, fake, n_arrows, arrow_scale, extent, y=0.03 * ax.get_ylim()[1])
    else:
        fig, ax = plt.subplots(figsize=(6, 5), layout="constrained") if ax is None else (ax.figure, ax)
        image = ax.contourf(*d_on_grid(gan, extent), levels=LEVELS, **HEATMAP)  # bands: small PNGs
        if colorbar:
            fig.colorbar(image, ax=ax, shrink=0.8, label="D(x)", ticks=LEVELS[::2])
        ax.scatter(real[:, 0], real[:, 1], s=5, alpha=0.5, **plotting.REAL_STYLE)
        ax.scatter(fake[:n_fake, 0], fake[:n_fake, 1], s=5, alpha=0.6, **plotting.FAKE_STYLE)
        push = _arrows(ax, gan, fake, n_arrows, arrow_scale, extent)
        ax.set(xlim=extent, ylim=extent, aspect="equal", xlabel="x₁", ylabel="x₂")
        ax.legend(loc="upper right", fontsize=7, markerscale=2, framealpha=0.8)
    ax.set_title(title or f"{gan.loss.name}, step {gan.steps_g}\nJS ≈ {js:.3g}, push {push:.3g}", fontsize=10)
    return fig


def explore_gan(data="ring", loss="non_saturating", d_lr=1e-3, g_lr=1e-3, steps: int = 200, seed: int = 0):
    """A ``widgets.playground.Playground`` around ``plot_state``; display it (a cell's last line) in a live kernel."""
    from ganlab.widgets.playground import Playground

    return Playground(plot_state, data, loss, d_lr=d_lr, g_lr=g_lr, steps=steps, seed=seed)


# The toy densities, drawn: notebook 01's 1-D densities with D's curve, and 2-D point clouds.


def _samples(x, name: str, dim: int) -> np.ndarray:
    """Check toy-GAN samples: 1-D -> shape (N,) (from (N,) or (N, 1)); 2-D -> shape (N, 2); finite, non-empty."""
    a = checks.finite_array(x, name)
    if dim == 1 and a.ndim == 2 and a.shape[1] == 1:
        a = a[:, 0]
    expected = "(N,) or (N, 1)" if dim == 1 else "(N, 2)"
    if (dim == 1 and a.ndim != 1) or (dim == 2 and (a.ndim != 2 or a.shape[1] != 2)) or len(a) == 0:
        raise checks.BadInput(f"{name} must have shape {expected} with N >= 1; got shape {a.shape}.")
    return a


def plot_density_1d(real, fake, d_fn=None, x_range=None, bins: int = 50, ax=None, title: str | None = None):
    """Step histograms (density=True) of 1-D real vs generated samples, and D's output curve on a twin axis."""
    real, fake = _samples(real, "real", 1), _samples(fake, "fake", 1)
    if x_range is None:
        lo, hi = min(real.min(), fake.min()), max(real.max(), fake.max())
        margin = 0.05 * (hi - lo) or 1.0
        x_range = (lo - margin, hi + margin)
    x_range = checks.interval(x_range, "x_range")
    fig, ax = plt.subplots(figsize=(7, 3.8), layout="constrained") if ax is None else (ax.figure, ax)
    edges = np.linspace(x_range[0], x_range[1], checks.positive_int(bins, "bins") + 1)
    ax.hist(real, bins=edges, density=True, histtype="step", lw=1.8, **REAL_STYLE)
    ax.hist(fake, bins=edges, density=True, histtype="step", lw=1.8, **FAKE_STYLE)
    ax.set(xlabel="x", ylabel="density", xlim=x_range, ylim=(0, 1.35 * ax.get_ylim()[1]))  # room for the legend
    handles, names, top = *ax.get_legend_handles_labels(), ax
    if d_fn is not None:
        xs = np.linspace(x_range[0], x_range[1], 200, dtype=np.float32)[:, None]  # (200, 1), a model's input
        d = checks.array(d_fn(xs), "d_fn(xs)").astype(float).reshape(-1)
        if d.shape != (200,) or not np.all((d >= 0) & (d <= 1)):  # NaN fails too
            got = f"{d.shape[0]} values in [{np.min(d):.3g}, {np.max(d):.3g}]" if d.size else "nothing"
            raise checks.BadInput(
                f"d_fn must map a (200, 1) array to 200 probabilities in [0, 1]; got {got}. "
                "Wrap a discriminator that outputs logits in a sigmoid."
            )
        twin = ax.twinx()
        line = twin.plot(xs[:, 0], d, color="tab:green", ls="--", label="D(x)")
        twin.set(ylabel="D(x)", ylim=(0, 1))
        handles, names, top = handles + line, names + ["D(x)"], twin
    top.legend(handles, names, loc="upper left", fontsize=8, ncols=len(names))  # on the twin, drawn above D(x)
    if title:
        ax.set_title(title)
    return fig


def plot_points_2d(real, fake, ax=None, title: str | None = None):
    """Scatter 2-D real vs generated points (e.g. the ring of 8 Gaussians) with equal aspect."""
    real, fake = _samples(real, "real", 2), _samples(fake, "fake", 2)
    fig, ax = plt.subplots(figsize=(5, 5), layout="constrained") if ax is None else (ax.figure, ax)
    ax.scatter(real[:, 0], real[:, 1], s=6, alpha=0.4, **REAL_STYLE)
    ax.scatter(fake[:, 0], fake[:, 1], s=6, alpha=0.4, marker="x", **FAKE_STYLE)
    ax.set(xlabel="x₁", ylabel="x₂", aspect="equal")
    ax.legend(loc="upper right", fontsize=8, markerscale=2)
    ax.grid(alpha=0.3)
    if title:
        ax.set_title(title)
    return fig
