"""The conditional GAN's explorer: a digit picker and sliders for the first coordinates of z, around a drawing
function (notebook 06 makes one with ``conditional.explore_digits``, which hands it ``conditional.plot_digit``)."""

from __future__ import annotations

import numpy as np

from ganlab import checks
from ganlab.widgets import controls
from ganlab.sampling import N_CLASSES, check_labels


class DigitExplorer:
    """ipywidgets around ``draw(z, digit, title)``: a digit picker and sliders for the first latent coordinates of z."""

    def __init__(self, draw, latent_dim: int, n_sliders=3, digit=0, seed=0):
        self.draw = draw
        if checks.positive_int(n_sliders, "n_sliders") > latent_dim:
            raise checks.BadInput(f"n_sliders={n_sliders} but z has only {latent_dim} coordinates")
        self.z = np.random.default_rng(seed).standard_normal(latent_dim).astype(np.float32)
        self.z[:n_sliders] = np.round(self.z[:n_sliders], 1)  # the values the sliders show
        self.digit, self.n_sliders = int(check_labels(digit, 1)[0]), n_sliders
        self.controls, self.output, self.widget = {}, None, None
        try:
            import ipywidgets as w
        except ImportError:  # no widgets: the static figure is all there is
            return
        self.controls["digit"] = w.ToggleButtons(
            options=list(range(N_CLASSES)), value=self.digit, description="digit", style={"button_width": "32px"}
        )
        self.controls["digit"].observe(lambda change: self.set_digit(change["new"]), names="value")
        for i in range(n_sliders):
            self.controls[i] = w.FloatSlider(
                value=float(self.z[i]), min=-3, max=3, step=0.1, description=f"z[{i}]", continuous_update=False
            )
            self.controls[i].observe(lambda change, i=i: self.set_coordinate(i, change["new"]), names="value")
        self.output = w.Output()
        hint = w.Label("Pick a digit or move a slider: the figure appears here.")
        self.widget = w.VBox([*self.controls.values(), hint, self.output])

    def _repr_mimebundle_(self, **kwargs):
        text = "Digit explorer: its controls need a live Jupyter kernel (the static figure shows what it draws)."
        return controls.mimebundle(self.widget, text, **kwargs)

    def set_digit(self, digit):
        """Handler of the digit picker: draw the same z as ``digit``."""
        self.digit = int(check_labels(digit, 1)[0])
        return self.redraw()

    def set_coordinate(self, i, value):
        """Handler of slider ``i``: set z[i] to ``value`` and redraw."""
        self.z[i] = float(value)
        return self.redraw()

    def redraw(self):
        """Draw the figure into the output area (replacing the old one); return the Figure."""
        coords = ", ".join(f"{v:.1f}" for v in self.z[: self.n_sliders])
        title = f"a {self.digit}; z[:{self.n_sliders}] = {coords}"
        return controls.show_in(self.output, self.draw(self.z, self.digit, title))
