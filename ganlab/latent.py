"""Walking in a GAN's latent space: interpolation, latent arithmetic and 2-D walks, with sliders to explore them.

A generator maps z ~ N(0, I_d) to an image. In d = 100 dimensions such z lie close to the sphere of radius
sqrt(d): the straight line between two of them (``lerp``) dips to a norm of about sqrt(d / 2) in the middle,
where the generator saw almost no z in training, while the great-circle arc (``slerp``: Shoemake, 1985; White,
"Sampling generative networks", 2016) keeps the norm. ``attribute_direction`` turns a property measured on the
samples (ink, a classifier's label) into a direction in z; ``plane_grid`` lays an n x n grid of latents on a plane.
``plot_interpolation`` and ``plot_walk`` draw; ``explore_interpolation`` and ``explore_walk`` wrap them in
ipywidgets sliders (a ``widgets.sliders.Explorer``) that redraw in place. Without a live kernel a widget shows nothing,
so a
notebook draws the static figure first (``plt.show()``) and then shows the widget.
"""

from __future__ import annotations

from ganlab import config  # first: imports TensorFlow quietly

import matplotlib.pyplot as plt
import numpy as np

from ganlab import plotting, sampling
from ganlab import checks

METHODS = ("lerp", "slerp")


def _array(x, name: str, ndims=(1, 2)) -> np.ndarray:
    """A finite float64 array with one of ``ndims`` dimensions (the last one: latent coordinates)."""
    a = checks.finite_array(x, name)
    if a.ndim not in ndims or a.shape[-1] == 0:
        raise checks.BadInput(f"{name} must be a latent vector (d,) or a batch (n, d), got shape {a.shape}")
    return a


def _pair(z0, z1) -> tuple[np.ndarray, np.ndarray]:
    z0, z1 = _array(z0, "z0"), _array(z1, "z1")
    if z0.shape != z1.shape:
        raise checks.BadInput(f"z0 and z1 must have the same shape, got {z0.shape} and {z1.shape}")
    return z0, z1


def _times(t, ndim: int) -> np.ndarray:
    """t as an array shaped to broadcast against (len(t), *z.shape); a scalar t keeps its scalar shape."""
    t = checks.finite_array(t, "t")
    if t.ndim > 1:
        raise checks.BadInput(f"t must be a number or a 1-D array of numbers, got shape {t.shape}")
    return t.reshape(t.shape + (1,) * ndim)


def lerp(z0, z1, t) -> np.ndarray:
    """Linear interpolation (1 - t) z0 + t z1; shape t.shape + z0.shape (t = 0 gives z0, t = 1 gives z1)."""
    z0, z1 = _pair(z0, z1)
    t = _times(t, z0.ndim)
    return (1 - t) * z0 + t * z1


def slerp(z0, z1, t, eps: float = 1e-6) -> np.ndarray:
    """Spherical interpolation along the great circle: (sin((1-t)w) z0 + sin(tw) z1) / sin w, w the angle.

    The angle to z0 grows linearly with t, and for endpoints of equal norm the norm stays constant. Nearly
    parallel endpoints (sin w < eps) fall back to ``lerp``, which is then the same path; opposite endpoints
    have no unique great circle and raise ValueError.
    """
    z0, z1 = _pair(z0, z1)
    n0, n1 = np.linalg.norm(z0, axis=-1, keepdims=True), np.linalg.norm(z1, axis=-1, keepdims=True)
    if np.any(n0 == 0) or np.any(n1 == 0):
        raise checks.BadInput("slerp needs non-zero endpoints: the angle to a zero vector is undefined (use lerp)")
    omega = np.arccos(np.clip(np.sum(z0 * z1, axis=-1, keepdims=True) / (n0 * n1), -1.0, 1.0))  # (..., 1)
    if np.any(np.pi - omega < 1e-6):
        raise checks.BadInput("z0 and z1 point in opposite directions: no unique great circle joins them (use lerp)")
    t = _times(t, z0.ndim)
    sin = np.sin(omega)
    near = sin < eps  # nearly parallel: the arc is the chord
    safe = np.where(near, 1.0, sin)
    w0 = np.where(near, 1 - t, np.sin((1 - t) * omega) / safe)
    w1 = np.where(near, t, np.sin(t * omega) / safe)
    return w0 * z0 + w1 * z1


def interpolate(z0, z1, n: int = 10, method: str = "slerp") -> np.ndarray:
    """``n`` latents from z0 to z1 (both ends included) by "lerp" or "slerp": shape (n, *z0.shape)."""
    n = checks.integer(n, "n", 2, meaning="the path includes both ends")
    path = lerp if checks.one_of(method, "method", METHODS) == "lerp" else slerp
    return path(z0, z1, np.linspace(0.0, 1.0, n))


def _scores(z, scores, name="scores") -> tuple[np.ndarray, np.ndarray]:
    z = _array(z, "z", ndims=(2,))
    s = checks.finite_array(scores, name)
    if s.shape != (len(z),):
        raise checks.BadInput(f"{name} must be {len(z)} numbers, one per row of z; got shape {s.shape}")
    return z, s


def mean_latent(z, mask) -> np.ndarray:
    """The mean of the rows of z (n, d) where ``mask`` (n booleans) is true, e.g. the samples drawn as a 7."""
    z, m = _scores(z, np.asarray(mask, dtype=float), "mask")
    if not np.any(m):
        raise checks.BadInput("mask selects no rows of z: no sample has the property, so there is no mean to take")
    return z[m.astype(bool)].mean(axis=0)


def attribute_direction(z, scores, fraction: float = 0.5) -> np.ndarray:
    """Mean z of the top ``fraction`` of samples by score minus the mean z of the bottom ``fraction``: (d,)."""
    z, s = _scores(z, scores)
    fraction = checks.number(fraction, "fraction", 0, 0.5, low_open=True, meaning="the share of samples at each end")
    k = max(1, int(round(fraction * len(z))))
    order = np.argsort(s, kind="stable")
    return z[order[-k:]].mean(axis=0) - z[order[:k]].mean(axis=0)


def orthonormal(d1, d2) -> tuple[np.ndarray, np.ndarray]:
    """Gram-Schmidt: d1 scaled to unit length, and the unit part of d2 orthogonal to it."""
    d1, d2 = _pair(d1, d2)
    if d1.ndim != 1:
        raise checks.BadInput(f"d1 and d2 must be single directions (d,), got shape {d1.shape}")
    if not np.any(d1) or not np.any(d2):
        raise checks.BadInput("d1 and d2 must be non-zero directions: they have to span a plane")
    u1 = d1 / np.linalg.norm(d1)
    rest = d2 - (d2 @ u1) * u1
    if np.linalg.norm(rest) < 1e-9 * np.linalg.norm(d2):
        raise checks.BadInput("d1 and d2 are parallel: they must point in different directions to span a plane")
    return u1, rest / np.linalg.norm(rest)


def plane_grid(z_center, d1, d2, n: int = 7, span: float = 2.0, orthonormalize: bool = True) -> np.ndarray:
    """An n x n grid of latents z_center + x u1 + y u2, x and y from -span to span: shape (n, n, d).

    Columns run along u1 (x grows to the right), rows along u2 (row 0 is y = +span, as on a plot). With
    ``orthonormalize`` (the default) u1, u2 = ``orthonormal(d1, d2)``, so span is a distance in z.
    """
    z_center = _array(z_center, "z_center", ndims=(1,))
    n = checks.integer(n, "n", 2, meaning="points per side")
    span = checks.positive_number(span, "span", "the grid reaches span either side")
    u1, u2 = orthonormal(d1, d2) if orthonormalize else _pair(d1, d2)
    if u1.shape != z_center.shape:
        raise checks.BadInput(f"d1 and d2 must have z_center's shape {z_center.shape}, got {u1.shape}")
    xs, ys = np.linspace(-span, span, n), np.linspace(span, -span, n)
    return z_center + xs[None, :, None] * u1 + ys[:, None, None] * u2


def _image(ax, image, title):
    ax.imshow(plotting.make_grid(image[None], ncols=1, pad=0), cmap="gray", vmin=0, vmax=1)
    ax.set_title(title, fontsize=9)
    ax.set_axis_off()


def plot_interpolation(generator, z0, z1, t: float = 0.5, n: int = 9):
    """Lerp and slerp from z0 to z1: both image strips, the two images at t, and |z| along both paths."""
    z0, z1 = _pair(z0, z1)
    if z0.ndim != 1:
        raise checks.BadInput(f"z0 and z1 must be single latents (d,), got shape {z0.shape}")
    t = checks.number(t, "t", 0, 1, meaning="how far from z0 to z1")
    strips = [sampling.run_generator(generator, interpolate(z0, z1, n, m)) for m in METHODS]  # 2 x (n, 28, 28, 1)
    at_t = sampling.run_generator(generator, np.stack([lerp(z0, z1, t), slerp(z0, z1, t)]))
    fig, axes = plt.subplots(1, 4, figsize=(14, 2.6), width_ratios=[5.5, 1, 1, 2.2], layout="constrained")
    axes[0].imshow(
        plotting.make_grid(np.concatenate(strips), ncols=n),
        cmap="gray",
        vmin=0,
        vmax=1,
        extent=(-0.5 / (n - 1), 1 + 0.5 / (n - 1), 0, 2),
        aspect="auto",
    )
    axes[0].axvline(t, color="tab:red", lw=2)
    axes[0].set(yticks=[0.5, 1.5], yticklabels=["slerp", "lerp"], xlabel="t", title="z0 → z1")
    _image(axes[1], at_t[0], f"lerp, t = {t:.2f}")
    _image(axes[2], at_t[1], f"slerp, t = {t:.2f}")
    ts = np.linspace(0, 1, 101)
    for method, style in zip(METHODS, ("--", "-")):
        path = lerp(z0, z1, ts) if method == "lerp" else slerp(z0, z1, ts)
        axes[3].plot(ts, np.linalg.norm(path, axis=-1), style, label=method)
    axes[3].axhline(np.sqrt(len(z0)), color="gray", lw=0.8, label="√d")
    axes[3].axvline(t, color="tab:red", lw=1)
    axes[3].set(xlabel="t", ylabel="|z|", title="norm along the path")
    axes[3].legend(fontsize=7)
    return fig


def plot_walk(
    generator, z_center, d1, d2, x: float = 0.0, y: float = 0.0, n: int = 7, span: float = 2.0, grid_images=None
):
    """The n x n grid of a plane through z_center (``plane_grid``) with a cross at (x, y), and G at that point."""
    grid = plane_grid(z_center, d1, d2, n, span)
    if grid_images is None:
        grid_images = sampling.run_generator(generator, grid.reshape(n * n, -1))
    u1, u2 = orthonormal(d1, d2)
    image = sampling.run_generator(generator, (_array(z_center, "z_center") + x * u1 + y * u2)[None])[0]
    fig, axes = plt.subplots(1, 2, figsize=(8, 4.2), width_ratios=[2, 1], layout="constrained")
    half = span / (n - 1)
    axes[0].imshow(
        plotting.make_grid(grid_images, ncols=n, pad=0),
        cmap="gray",
        vmin=0,
        vmax=1,
        extent=(-span - half, span + half, -span - half, span + half),
    )
    axes[0].plot([x], [y], "x", color="tab:red", ms=14, mew=3)
    axes[0].set(xlabel="x (along d1)", ylabel="y (along d2)", title="a plane through z_center")
    _image(axes[1], image, f"x = {x:.2f}, y = {y:.2f}")
    return fig


def explore_interpolation(generator, z0, z1, n: int = 9, t: float = 0.5):
    """``plot_interpolation`` with a slider for t; display it (a cell's last line) in a live kernel."""
    from ganlab.widgets.sliders import Explorer

    _pair(z0, z1)
    return Explorer(lambda t: plot_interpolation(generator, z0, z1, t, n), {"t": (0.0, 1.0, 0.05, t)})


def explore_walk(generator, z_center, d1, d2, n: int = 7, span: float = 2.0):
    """``plot_walk`` with x and y sliders over the plane; the grid's images are drawn once."""
    from ganlab.widgets.sliders import Explorer

    images = sampling.run_generator(generator, plane_grid(z_center, d1, d2, n, span).reshape(n * n, -1))
    draw = lambda x, y: plot_walk(generator, z_center, d1, d2, x, y, n, span, grid_images=images)  # noqa: E731
    return Explorer(draw, {"x": (-span, span, span / 10, 0.0), "y": (-span, span, span / 10, 0.0)})
