"""The ipywidgets plumbing shared by the course's explorers (playground, digit picker, latent sliders).

Each explorer is a pure ``plot_...`` function plus a class that owns its controls and an ``Output`` area. Two
pieces are the same in all of them: drawing a new figure into the output area in place of the old one, and the
notebook representation, which is the live widget where there is a kernel and one line of text elsewhere
(GitHub, nbval), since notebooks draw a static figure first.
"""

from __future__ import annotations

import matplotlib.pyplot as plt


def show_in(output, fig):
    """Show ``fig`` in the ipywidgets ``output`` (replacing what it showed), close it, and return it.

    With ``output=None`` (no ipywidgets, or a test calling a handler) the figure is only closed and returned.
    """
    if output is not None:
        from IPython.display import display

        with output:
            output.clear_output(wait=True)
            display(fig)
    plt.close(fig)
    return fig


def mimebundle(widget, text: str, **kwargs) -> dict:
    """A notebook representation: ``widget``'s own (if any) with ``text`` as its plain-text fallback."""
    if widget is None:
        bundle = {}
    elif hasattr(widget, "_repr_mimebundle_"):  # ipywidgets 8
        bundle = widget._repr_mimebundle_(**kwargs)
    else:  # ipywidgets 7 (what Google Colab runs): the view its _ipython_display_ would send
        bundle = {
            "application/vnd.jupyter.widget-view+json": {
                "version_major": 2,
                "version_minor": 0,
                "model_id": widget._model_id,
            }
        }
    return {**bundle, "text/plain": text}
