"""A GAN Lab-style playground (after poloclub/ganlab) for the toy GANs of ``ganlab.toy``.

``plot_state`` is a pure drawer: D's output as a heatmap (2-D) or a curve (1-D), the real and generated points,
arrows showing where the next generator step pushes each generated point, and the JS estimate in the title.
``explore_gan`` wraps it in ipywidgets (data, loss, learning rates; step D, step G, train N steps). Without a
live kernel (GitHub, nbval) the widget shows nothing, so notebooks draw ``plot_state`` first with ``plt.show()``.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from ganlab import checks, losses, plotting, toy, toy_plots, widgets

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
    if pts.shape[1] == 1:
        ax.quiver(pts[:, 0], np.full(len(pts), y), move[:, 0], 0 * move[:, 0], angles="xy", scale_units="xy",
                  scale=1, color="tab:red", width=0.004, label="G's push")  # fmt: skip
    else:
        ax.quiver(pts[:, 0], pts[:, 1], move[:, 0], move[:, 1], angles="xy", scale_units="xy", scale=1,
                  color="tab:red", width=0.004, label="G's push")  # fmt: skip
    return mean_push


def plot_state(gan, ax=None, extent=None, n_real: int = 500, n_fake: int = 500, n_arrows: int = 64,
               arrow_scale=None, title: str | None = None, colorbar: bool = True):  # fmt: skip
    """Draw a ToyGAN as it is now: D, real and generated points, G's push on them; return the Figure.

    The title gives the JS estimate (``toy.js_estimate``) and the mean length of the push -d(G's loss)/dx.
    """
    if not isinstance(gan, toy.ToyGAN):
        raise ValueError(f"gan must be a ganlab.toy.ToyGAN; got {type(gan).__name__}.")
    extent = default_extent(gan.data) if extent is None else extent
    for name, n in (("n_real", n_real), ("n_fake", n_fake), ("n_arrows", n_arrows)):
        checks.positive_int(n, name)
    fake = gan.sample()  # (2000, dim) from the fixed noise
    real = gan.data.sample(n_real, seed=0)  # a fixed seed: drawing never moves the training RNG
    js = toy.js_estimate(gan.data, fake, extent=extent)
    if gan.data.dim == 1:
        fig = toy_plots.plot_density_1d(real, fake[:n_fake], d_fn=gan.d_prob, x_range=extent, ax=ax)
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


class Playground:
    """ipywidgets around a ToyGAN: choose data, loss and learning rates; step D, step G or train N steps."""

    def __init__(self, data="ring", loss="non_saturating", d_lr=1e-3, g_lr=1e-3, steps: int = 200, seed: int = 0):
        self.seed, self.steps = seed, checks.positive_int(steps, "steps")
        self.gan = toy.ToyGAN(data, loss, d_lr=d_lr, g_lr=g_lr, seed=seed)
        self.controls, self.output, self.widget = {}, None, None
        try:
            import ipywidgets as w
        except ImportError:  # no widgets: the static figure is all there is
            return
        names = [n for n in toy.DATASETS if toy.get_data(n).dim == 2]
        lr = dict(min=-5, max=-1, step=0.1, readout_format=".1e", continuous_update=False)
        self.controls = {
            "data": w.Dropdown(options=names, value=self.gan.data.name, description="data"),
            "loss": w.Dropdown(options=list(losses.LOSSES), value=self.gan.loss.name, description="loss"),
            "d_lr": w.FloatLogSlider(value=d_lr, description="D lr", **lr),
            "g_lr": w.FloatLogSlider(value=g_lr, description="G lr", **lr),
            "steps": w.BoundedIntText(value=self.steps, min=1, max=5000, description="N steps"),
        }
        buttons = {"step D": self.step_d, "step G": self.step_g, "train N": self.train, "reset": self.reset}
        self.buttons = {label: w.Button(description=label) for label in buttons}
        for label, handler in buttons.items():
            self.buttons[label].on_click(handler)
        for key in ("data", "loss"):
            self.controls[key].observe(self.reset, names="value")
        self.controls["d_lr"].observe(lambda change: self.gan.set_learning_rates(d_lr=change["new"]), names="value")
        self.controls["g_lr"].observe(lambda change: self.gan.set_learning_rates(g_lr=change["new"]), names="value")
        self.controls["steps"].observe(lambda change: setattr(self, "steps", int(change["new"])), names="value")
        self.output = w.Output()
        self.widget = w.VBox([w.HBox(list(self.controls.values())[:2] + [self.controls["steps"]]),
                              w.HBox([self.controls["d_lr"], self.controls["g_lr"]]),
                              w.HBox(list(self.buttons.values())),
                              w.Label("Press a button: the playground draws its figure here."), self.output])

    def __repr__(self) -> str:
        return f"Playground({self.gan!r})"

    def _repr_mimebundle_(self, **kwargs):
        text = "GAN playground: its controls need a live Jupyter kernel (the static figure shows its state)."
        return widgets.mimebundle(self.widget, text, **kwargs)

    def step_d(self, _button=None):
        """Button handler: one discriminator update, then redraw."""
        self.gan.step_d()
        return self.redraw()

    def step_g(self, _button=None):
        """Button handler: one generator update, then redraw."""
        self.gan.step_g()
        return self.redraw()

    def train(self, _button=None):
        """Button handler: ``steps`` rounds of one D and one G update, then redraw."""
        self.gan.train(self.steps)
        return self.redraw()

    def reset(self, _change=None):
        """Handler: a fresh ToyGAN with the data, loss and learning rates the controls show, then redraw."""
        c = {key: widget.value for key, widget in self.controls.items()}
        data, loss = c.get("data", self.gan.data), c.get("loss", self.gan.loss)
        self.gan = toy.ToyGAN(data, loss, d_lr=c.get("d_lr", self.gan.d_lr), g_lr=c.get("g_lr", self.gan.g_lr),
                              seed=self.seed)  # fmt: skip
        return self.redraw()

    def redraw(self):
        """Draw ``plot_state`` into the output area (replacing the old figure); return the Figure."""
        return widgets.show_in(self.output, plot_state(self.gan))


def explore_gan(data="ring", loss="non_saturating", d_lr=1e-3, g_lr=1e-3, steps: int = 200, seed: int = 0):
    """A :class:`Playground`; display it (the last line of a cell) to get its controls in a live kernel."""
    return Playground(data, loss, d_lr=d_lr, g_lr=g_lr, steps=steps, seed=seed)
