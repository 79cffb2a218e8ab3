"""The playground of notebook 01 as a widget: ipywidgets around a ``toy.ToyGAN`` and a drawing of its state
(``playground.explore_gan`` makes one, handing it ``playground.plot_state``)."""

from __future__ import annotations

from ganlab import checks, losses, toy
from ganlab.widgets import controls


class Playground:
    """ipywidgets around a ToyGAN: choose data, loss and learning rates; step D, step G or train N steps; each
    change redraws ``draw(gan)``."""

    def __init__(self, draw, data="ring", loss="non_saturating", d_lr=1e-3, g_lr=1e-3, steps: int = 200, seed=0):
        self.draw, self.seed, self.steps = draw, seed, checks.positive_int(steps, "steps")
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
        self.widget = w.VBox(
            [
                w.HBox(list(self.controls.values())[:2] + [self.controls["steps"]]),
                w.HBox([self.controls["d_lr"], self.controls["g_lr"]]),
                w.HBox(list(self.buttons.values())),
                w.Label("Press a button: the playground draws its figure here."),
                self.output,
            ]
        )

    def __repr__(self) -> str:
        return f"Playground({self.gan!r})"

    def _repr_mimebundle_(self, **kwargs):
        text = "GAN playground: its controls need a live Jupyter kernel (the static figure shows its state)."
        return controls.mimebundle(self.widget, text, **kwargs)

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
        self.gan = toy.ToyGAN(
            data, loss, d_lr=c.get("d_lr", self.gan.d_lr), g_lr=c.get("g_lr", self.gan.g_lr), seed=self.seed
        )
        return self.redraw()

    def redraw(self):
        """Draw the state into the output area (replacing the old figure); return the Figure."""
        return controls.show_in(self.output, self.draw(self.gan))
