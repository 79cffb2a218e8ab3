"""Pictures of a GAN at work: image grids, training curves and animations (the toy densities: ``playground``).

Pure functions compute (``make_grid``, ``animation_frames``) and are tested against NumPy; thin ``show_*`` /
``plot_*`` functions draw and return the matplotlib Figure, so a notebook cell ends with ``plt.show()``.
Images are floats in [-1, 1] (a tanh generator's output) or uint8 in [0, 255], shaped (N, H, W) or
(N, H, W, 1). ``animation`` returns an animated PNG that plays inline in JupyterLab and on GitHub alike.
"""

from __future__ import annotations

import io
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.ticker import MaxNLocator

from ganlab import checks, files

HOLD_LAST_MS = 1500  # the last frame of an animation stays up this long, so the result can be seen
REAL_STYLE = dict(color="tab:blue", label="real")
FAKE_STYLE = dict(color="tab:orange", label="generated")


def _to_unit(images, name: str = "images") -> np.ndarray:
    """Check a batch of grayscale images and return it as float32 (N, H, W) in [0, 1]."""
    x = checks.array(images, name)
    if np.issubdtype(x.dtype, np.integer) and x.dtype != np.uint8:  # any integer pixels in [0, 255], as uint8
        if x.size and (x.min() < 0 or x.max() > 255):
            raise checks.BadInput(f"integer {name} must be in [0, 255]; got values in [{x.min()}, {x.max()}].")
        x = x.astype(np.uint8)
    return (checks.images(x, name)[..., 0] + 1.0) / 2.0


def _check_labels(labels, n: int, what: str) -> list[str] | None:
    """Return ``labels`` as a list of n strings, or None."""
    if labels is None:
        return None
    labels = [str(s) for s in labels]
    if len(labels) != n:
        raise checks.BadInput(f"labels must have one entry per {what} ({n}); got {len(labels)}.")
    return labels


def make_grid(images, ncols: int = 8, pad: int = 1, pad_value: float = 1.0) -> np.ndarray:
    """Tile a batch of images row by row into one 2-D float array in [0, 1], ``pad`` pixels between and around."""
    ncols = checks.positive_int(ncols, "ncols")
    pad = checks.integer(pad, "pad", 0, meaning="pixels between and around the images")
    pad_value = checks.number(pad_value, "pad_value", 0, 1, meaning="a gray level, 1 = white")
    return _tile(_to_unit(images), ncols, pad, pad_value)


def _tile(x: np.ndarray, ncols: int, pad: int, pad_value: float) -> np.ndarray:
    """Tile checked (N, H, W) images in [0, 1] into a (rows * (H + pad) + pad, cols * (W + pad) + pad) grid."""
    n, h, w = x.shape
    ncols = min(ncols, n)
    nrows = -(-n // ncols)
    grid = np.full((nrows * (h + pad) + pad, ncols * (w + pad) + pad), pad_value, dtype=np.float32)
    for i in range(n):
        top, left = pad + (i // ncols) * (h + pad), pad + (i % ncols) * (w + pad)
        grid[top : top + h, left : left + w] = x[i]
    return grid


def show_grid(images, labels=None, ncols: int = 8, title: str | None = None, figsize=None):
    """Show a batch as one gray grid, or as one small titled panel per image when ``labels`` are given."""
    x = _to_unit(images)
    n = x.shape[0]
    labels = _check_labels(labels, n, "image")
    ncols = min(checks.positive_int(ncols, "ncols"), n)
    nrows = -(-n // ncols)
    if labels is None:
        figsize = figsize or (0.6 * ncols + 0.2, 0.6 * nrows + (0.5 if title else 0.2))
        fig, ax = plt.subplots(figsize=figsize, layout="constrained")
        ax.imshow(_tile(x, ncols, 1, 1.0), cmap="gray", vmin=0, vmax=1, interpolation="nearest")
        ax.set_axis_off()
    else:
        figsize = figsize or (1.0 * ncols + 0.2, 1.2 * nrows + (0.4 if title else 0.1))
        fig, axes = plt.subplots(nrows, ncols, figsize=figsize, squeeze=False, layout="constrained")
        for i, ax in enumerate(axes.flat):
            if i >= n:
                fig.delaxes(ax)
                continue
            ax.imshow(x[i], cmap="gray", vmin=0, vmax=1, interpolation="nearest")
            ax.set_title(labels[i], fontsize=8, pad=2)
            ax.set_xticks([])
            ax.set_yticks([])
    if title:
        fig.suptitle(title)
    return fig


def _history_columns(history) -> dict[str, np.ndarray]:
    """Turn a dict of lists, a list of per-epoch dicts, or a Keras History into {key: float array}."""
    if hasattr(history, "history") and isinstance(history.history, dict):  # keras.callbacks.History
        history = history.history
    if isinstance(history, dict):
        columns = {k: np.asarray([float(checks.array(v, k)) for v in vals]) for k, vals in history.items()}
    elif isinstance(history, (list, tuple)) and all(isinstance(row, dict) for row in history):
        keys = dict.fromkeys(k for row in history for k in row)  # ordered union of keys
        columns = {k: np.asarray([float(checks.array(row.get(k, np.nan), k)) for row in history]) for k in keys}
    else:
        kind = type(history).__name__
        raise checks.BadInput(f"history must be a dict of lists, a list of per-epoch dicts or a History; got {kind}.")
    if not any(len(v) for v in columns.values()):
        raise checks.BadInput(f"history is empty; got keys {sorted(columns)} with no values.")
    return columns


# What each history key means on the right panel, and how it is drawn: D's outputs solid, accuracies dotted.
D_OUTPUT_LINES = {
    "d_real": ("D(x), real", {"color": "tab:blue"}),
    "d_fake": ("D(G(z)), generated", {"color": "tab:orange"}),
    "d_acc_real": ("D accuracy, real", {"color": "tab:blue", "ls": ":", "alpha": 0.7}),
    "d_acc_fake": ("D accuracy, generated", {"color": "tab:orange", "ls": ":", "alpha": 0.7}),
}


def plot_history(history, title: str | None = None, round_steps: int | None = None):
    """Plot D and G losses (left) and D's mean outputs on real and generated images (right) per epoch.

    ``round_steps`` (a steps= run's ``run.round_steps``): the x axis counts generator steps instead of epochs, the
    exact ``step`` of each row where the history records it.
    """
    cols = _history_columns(history)
    scale, xlabel = (round_steps, "generator step") if round_steps else (1, "epoch")

    def x(key):  # the rows' generator steps (or epochs)
        exact = round_steps and "step" in cols and len(cols["step"]) == len(cols[key])
        return cols["step"] if exact else np.arange(1, len(cols[key]) + 1) * scale

    loss_keys = [k for k in ("d_loss", "g_loss") if k in cols]
    prob_keys = [k for k in D_OUTPUT_LINES if k in cols]
    if not loss_keys and not prob_keys:
        raise checks.BadInput(f"history has keys {sorted(cols)}; expected some of d_loss, g_loss, d_real, d_fake.")
    fig, (ax_loss, ax_prob) = plt.subplots(1, 2, figsize=(11, 4.2), sharex=True, layout="constrained")
    for key in loss_keys:
        ax_loss.plot(x(key), cols[key], marker="o" if len(cols[key]) < 30 else None, ms=3, label=key)
    for key in prob_keys:
        name, style = D_OUTPUT_LINES[key]
        ax_prob.plot(x(key), cols[key], label=f"{key}: {name}", **style)
    if prob_keys:
        ax_prob.axhline(0.5, color="gray", ls="--", lw=1, label="0.5: equilibrium")
    ax_loss.set(xlabel=xlabel, ylabel="loss", title="Losses")
    ax_prob.set(xlabel=xlabel, ylabel="mean D output", title="What D says", ylim=(-0.02, 1.02))
    ax_loss.xaxis.set_major_locator(MaxNLocator(integer=True))
    for ax, keys in ((ax_loss, loss_keys), (ax_prob, prob_keys)):
        ax.grid(alpha=0.3)
        if not keys:
            ax.text(0.5, 0.5, "not recorded", ha="center", va="center", transform=ax.transAxes, color="gray")
    if loss_keys:
        ax_loss.legend(fontsize=8)
    if prob_keys:  # below the panel: D's curves span the whole height, so any spot inside would hide one
        ax_prob.legend(fontsize=8, ncols=2, loc="upper center", bbox_to_anchor=(0.5, -0.16), frameon=False)
    if title:
        fig.suptitle(title)
    return fig


def animation_frames(frames, ncols: int = 8, scale: int = 3, labels=None) -> list[np.ndarray]:
    """Turn a list of image batches into gray (L) uint8 pictures: each grid upscaled ``scale``x, label on top."""
    if isinstance(frames, np.ndarray) or hasattr(frames, "numpy") or not hasattr(frames, "__len__"):
        raise checks.BadInput(f"frames must be a list of image batches; got {type(frames).__name__}.")
    if len(frames) == 0:
        raise checks.BadInput("frames is empty; expected a list of at least one image batch.")
    scale, ncols = checks.positive_int(scale, "scale"), checks.positive_int(ncols, "ncols")
    labels = _check_labels(labels, len(frames), "frame")
    grids = [_tile(_to_unit(f, f"frames[{i}]"), ncols, 1, 1.0) for i, f in enumerate(frames)]
    for i, g in enumerate(grids):
        if g.shape != grids[0].shape:
            raise checks.BadInput(
                f"all frames must have the same batch shape; frames[{i}] gives a {g.shape} grid, "
                f"frames[0] a {grids[0].shape} grid."
            )
    # (H, W) in [0, 1] -> (H * scale, W * scale) uint8
    pictures = [np.kron(np.round(g * 255).astype(np.uint8), np.ones((scale, scale), np.uint8)) for g in grids]
    if labels is None:
        return pictures
    from PIL import Image, ImageDraw, ImageFont

    measure, width = ImageDraw.Draw(Image.new("L", (1, 1))), pictures[0].shape[1]
    for size in range(max(11, 5 * scale), 5, -1):  # the largest font (down to 6 px) that fits every label
        try:
            font = ImageFont.load_default(size=size)
        except TypeError:  # Pillow < 10.1 has only its fixed bitmap font
            font = ImageFont.load_default()
            break
        if max(measure.textlength(text, font=font) for text in labels) <= width - 4:
            break
    top, bottom = measure.textbbox((0, 0), "Ag", font=font)[1::2]
    strip = bottom - top + 2 * max(3, scale)
    out = []
    for pic, text in zip(pictures, labels):
        img = Image.new("L", (pic.shape[1], pic.shape[0] + strip), 255)
        img.paste(Image.fromarray(pic), (0, strip))
        ImageDraw.Draw(img).text((pic.shape[1] / 2, strip / 2), text, fill=0, font=font, anchor="mm")
        out.append(np.asarray(img))
    return out


def _encode(frames, fmt: str, fps: float, ncols: int, labels, loop: int) -> bytes:
    """Encode frames as an animated GIF or PNG, the last frame held for ``HOLD_LAST_MS``."""
    from PIL import Image

    fps = checks.number(fps, "fps", 0, 50, low_open=True, meaning="frames per second")
    loop = checks.integer(loop, "loop", 0, meaning="0: forever; else the repeat count")
    images = [Image.fromarray(p) for p in animation_frames(frames, ncols=ncols, labels=labels)]
    step = int(round(1000 / fps))
    durations = [step] * (len(images) - 1) + [max(step, HOLD_LAST_MS)]
    buffer = io.BytesIO()
    images[0].save(buffer, format=fmt, save_all=True, append_images=images[1:], duration=durations, loop=int(loop))
    return buffer.getvalue()


def save_gif(frames, path, fps: float = 4, ncols: int = 8, labels=None, loop: int = 0) -> Path:
    """Write the frames as an animated GIF (atomically, creating the folder) and return its Path.

    Pillow merges consecutive identical frames into one longer frame; distinct ``labels`` keep every frame.
    """
    path = Path(path)
    data = _encode(frames, "GIF", fps, ncols, labels, loop)
    return files.write_bytes(path, data)


def animation(frames, fps: float = 4, ncols: int = 8, labels=None):
    """Return an animated PNG as an ``IPython.display.Image``: it plays inline in JupyterLab and on GitHub.

    GitHub runs no JavaScript but shows a stored image/png output, and browsers animate APNG in it.
    """
    from IPython.display import Image as IPythonImage

    return IPythonImage(data=_encode(frames, "PNG", fps, ncols, labels, loop=0), format="png")
