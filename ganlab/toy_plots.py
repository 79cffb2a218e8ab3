"""Pictures of notebook 01's toy GANs: 1-D densities with D's curve (``plot_density_1d``) and 2-D point clouds.

They draw and return the matplotlib Figure (or draw into a given ``ax``), in ``plotting``'s real/generated styles.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from ganlab import checks

from ganlab.plotting import FAKE_STYLE, REAL_STYLE, _as_array


def _samples(x, name: str, dim: int) -> np.ndarray:
    """Check toy-GAN samples: 1-D -> shape (N,) (from (N,) or (N, 1)); 2-D -> shape (N, 2); finite, non-empty."""
    a = _as_array(x, name).astype(float)
    if dim == 1 and a.ndim == 2 and a.shape[1] == 1:
        a = a[:, 0]
    expected = "(N,) or (N, 1)" if dim == 1 else "(N, 2)"
    if (dim == 1 and a.ndim != 1) or (dim == 2 and (a.ndim != 2 or a.shape[1] != 2)) or len(a) == 0:
        raise ValueError(f"{name} must have shape {expected} with N >= 1; got shape {a.shape}.")
    if not np.all(np.isfinite(a)):
        raise ValueError(f"{name} contains {np.count_nonzero(~np.isfinite(a))} NaN/inf values; expected finite.")
    return a


def plot_density_1d(real, fake, d_fn=None, x_range=None, bins: int = 50, ax=None, title: str | None = None):
    """Step histograms (density=True) of 1-D real vs generated samples, and D's output curve on a twin axis."""
    real, fake = _samples(real, "real", 1), _samples(fake, "fake", 1)
    if x_range is None:
        lo, hi = min(real.min(), fake.min()), max(real.max(), fake.max())
        margin = 0.05 * (hi - lo) or 1.0
        x_range = (lo - margin, hi + margin)
    if np.shape(x_range) != (2,) or not np.all(np.isfinite(x_range)) or not x_range[0] < x_range[1]:
        raise ValueError(f"x_range must be two finite numbers (low, high) with low < high; got {x_range!r}.")
    fig, ax = plt.subplots(figsize=(7, 3.8), layout="constrained") if ax is None else (ax.figure, ax)
    edges = np.linspace(x_range[0], x_range[1], checks.positive_int(bins, "bins") + 1)
    ax.hist(real, bins=edges, density=True, histtype="step", lw=1.8, **REAL_STYLE)
    ax.hist(fake, bins=edges, density=True, histtype="step", lw=1.8, **FAKE_STYLE)
    ax.set(xlabel="x", ylabel="density", xlim=x_range, ylim=(0, 1.35 * ax.get_ylim()[1]))  # room for the legend
    handles, names, top = *ax.get_legend_handles_labels(), ax
    if d_fn is not None:
        xs = np.linspace(x_range[0], x_range[1], 200, dtype=np.float32)[:, None]  # (200, 1), a model's input
        d = _as_array(d_fn(xs), "d_fn(xs)").astype(float).reshape(-1)
        if d.shape != (200,) or not np.all((d >= 0) & (d <= 1)):  # NaN fails too
            got = f"{d.shape[0]} values in [{np.min(d):.3g}, {np.max(d):.3g}]" if d.size else "nothing"
            raise ValueError(
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
