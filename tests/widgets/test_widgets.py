"""The shared explorer plumbing: figures go into the output area and are closed; text stands in without a kernel."""

import ipywidgets
import matplotlib.pyplot as plt

from ganlab.widgets import controls as widgets


def test_show_in_closes_the_figure_and_fills_the_output():
    fig = plt.figure()
    assert widgets.show_in(None, fig) is fig and not plt.fignum_exists(fig.number)
    output, fig = RecordingOutput(), plt.figure()
    assert widgets.show_in(output, fig) is fig and not plt.fignum_exists(fig.number)
    assert output.calls == ["enter", "clear wait=True", "exit"]  # the old figure is replaced, inside the area


class RecordingOutput:
    """Stands in for ipywidgets.Output, which only captures inside a live kernel."""

    def __init__(self):
        self.calls = []

    def __enter__(self):
        self.calls.append("enter")

    def __exit__(self, *exc):
        self.calls.append("exit")

    def clear_output(self, wait=False):
        self.calls.append(f"clear wait={wait}")


def test_mimebundle_has_the_text_fallback_and_the_widget():
    assert widgets.mimebundle(None, "needs a kernel") == {"text/plain": "needs a kernel"}
    bundle = widgets.mimebundle(ipywidgets.Label("x"), "needs a kernel")
    assert bundle["text/plain"] == "needs a kernel" and "application/vnd.jupyter.widget-view+json" in bundle


def test_mimebundle_of_an_ipywidgets_7_widget_is_the_view_ipywidgets_8_would_show():
    # ipywidgets 7 (Google Colab's) has no _repr_mimebundle_, only the model id that its display message names.
    label = ipywidgets.Label("x")
    old_style = type("Widget7", (), {"_model_id": label.model_id})()
    bundle = widgets.mimebundle(old_style, "needs a kernel")
    view = "application/vnd.jupyter.widget-view+json"
    assert bundle == {view: label._repr_mimebundle_()[view], "text/plain": "needs a kernel"}
