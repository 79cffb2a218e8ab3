"""A picture that redraws itself while a GAN trains: the newest fixed-noise snapshot, in place, in Jupyter.

``train(..., live=True)`` adds a ``LivePicture`` after its ``FixedNoiseSnapshots``: each new frame replaces the
last one in the same output (as the TensorFlow DCGAN tutorial shows a grid each epoch), so a stored notebook keeps
the final picture. Outside a Jupyter kernel (a terminal, a test) it draws nothing.
"""

from __future__ import annotations

import io

from ganlab import config  # first: imports TensorFlow quietly

import keras

from ganlab import checks


def in_jupyter() -> bool:
    """True inside a Jupyter kernel, where rich outputs show (not a terminal IPython, not plain Python)."""
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and hasattr(shell, "kernel")


def frame_png(frame, label: str, ncols: int = 16) -> bytes:
    """One snapshot (N, 28, 28, 1) uint8 or float in [-1, 1] as a PNG grid with ``label`` above it."""
    from PIL import Image

    from ganlab import plotting

    picture = plotting.animation_frames([frame], ncols=ncols, scale=2, labels=[label])[0]
    buffer = io.BytesIO()
    Image.fromarray(picture).save(buffer, format="PNG")
    return buffer.getvalue()


class LivePicture(keras.callbacks.Callback):
    """Show the newest frame of ``snapshots`` (a ``callbacks.FixedNoiseSnapshots``), redrawn in place.

    ``unit`` "step": label frames "step S" (a steps= budget), else "epoch E". ``n`` images of each frame show.
    """

    def __init__(self, snapshots, unit="epoch", n=32, ncols=16):
        super().__init__()
        self.unit = checks.one_of(unit, "unit", ("step", "epoch"))
        self.snapshots, self.n, self.ncols = snapshots, n, ncols
        self.handle, self.shown = None, 0  # the output to update; how many frames it has shown

    def label(self) -> str:
        """The newest frame's label: its generator step, or its epoch."""
        if self.unit == "step":
            return f"step {self.snapshots.frame_steps[-1]:,}"
        return f"epoch {self.snapshots.frame_epochs[-1]}"

    def redraw(self) -> None:
        """Show the newest frame if it is new (and this is a Jupyter kernel)."""
        frames = self.snapshots.frames
        if len(frames) == self.shown or not in_jupyter():
            return
        from IPython.display import Image, display

        image = Image(data=frame_png(frames[-1][: self.n], self.label(), self.ncols))
        if self.handle is None:
            self.handle = display(image, display_id=True)
        else:
            self.handle.update(image)
        self.shown = len(frames)

    def on_epoch_end(self, epoch, logs=None):
        self.redraw()

    def on_train_end(self, logs=None):
        self.redraw()  # the final frame, which the snapshots take at the end of training
