"""Sliders around a drawing function, redrawn in place: the latent-space explorers of notebook 07
(``latent.explore_interpolation``, ``latent.explore_walk``)."""

from __future__ import annotations

from ganlab.widgets import controls
from ganlab import checks


class Explorer:
    """Sliders around a drawing function: each change redraws ``draw(**values)`` in place."""

    def __init__(self, draw, sliders: dict[str, tuple[float, float, float, float]]):
        self.draw, self.values, self.controls, self.output, self.widget = draw, {}, {}, None, None
        for name, (*_, value) in sliders.items():
            self.values[name] = float(value)
        try:
            import ipywidgets as w
        except ImportError:  # no widgets: the static figure is all there is
            return
        for name, (low, high, step, value) in sliders.items():
            self.controls[name] = w.FloatSlider(
                value=value, min=low, max=high, step=step, description=name, continuous_update=False
            )
            self.controls[name].observe(lambda change, key=name: self.set(**{key: change["new"]}), names="value")
        self.output = w.Output()
        self.widget = w.VBox(
            [w.HBox(list(self.controls.values())), w.Label("Move a slider: the figure is drawn here."), self.output]
        )

    def __repr__(self) -> str:
        return f"Explorer({', '.join(f'{k}={v:.3g}' for k, v in self.values.items())})"

    def _repr_mimebundle_(self, **kwargs):
        text = "Latent-space explorer: its sliders need a live Jupyter kernel (the static figure shows one setting)."
        return controls.mimebundle(self.widget, text, **kwargs)

    def set(self, **values):
        """Handler: change some values (as the sliders do), then redraw; return the Figure."""
        unknown = set(values) - set(self.values)
        if unknown:
            raise checks.BadInput(f"unknown slider(s) {sorted(unknown)}; this explorer has {sorted(self.values)}")
        self.values.update({k: float(v) for k, v in values.items()})
        return self.redraw()

    def redraw(self):
        """Draw the figure for the current values into the output area (replacing the old one)."""
        return controls.show_in(self.output, self.draw(**self.values))
