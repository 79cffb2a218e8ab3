"""Tests for ganlab.plotting: the pure grid/frame builders against NumPy, the drawers by what they draw."""

import io

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest
from PIL import Image

from ganlab import plotting


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def batch(n, seed=0, size=4):
    """n random float32 images in [-1, 1], shape (n, size, size, 1)."""
    return np.random.default_rng(seed).uniform(-1, 1, (n, size, size, 1)).astype(np.float32)


def label_texts(ax):
    return [line.get_label() for line in ax.get_lines()]


# make_grid


def test_make_grid_matches_hand_built_tiling():
    images = batch(3, size=2)
    unit = (images[..., 0] + 1) / 2
    expected = np.full((7, 7), 0.25, dtype=np.float32)  # 2 rows x 2 cols of 2x2 tiles, 1-pixel pad around all
    expected[1:3, 1:3] = unit[0]
    expected[1:3, 4:6] = unit[1]
    expected[4:6, 1:3] = unit[2]  # expected[4:6, 4:6] stays padding: the incomplete last row
    grid = plotting.make_grid(images, ncols=2, pad=1, pad_value=0.25)
    assert grid.shape == (7, 7) and grid.dtype == np.float32
    np.testing.assert_allclose(grid, expected, atol=1e-7)


def test_make_grid_maps_range_and_accepts_uint8_and_3d():
    floats = np.array([[[-1.0, 0.0], [0.5, 1.0]]], dtype=np.float32)  # (1, 2, 2)
    np.testing.assert_allclose(plotting.make_grid(floats, pad=0), [[0.0, 0.5], [0.75, 1.0]])
    ints = np.array([[[0, 51], [204, 255]]], dtype=np.uint8)
    np.testing.assert_allclose(plotting.make_grid(ints, pad=0), [[0.0, 0.2], [0.8, 1.0]], atol=1e-7)


def test_make_grid_shape_for_mnist_batch():
    grid = plotting.make_grid(batch(16, size=28), ncols=8, pad=2)
    assert grid.shape == (2 * 30 + 2, 8 * 30 + 2)
    assert grid.min() >= 0 and grid.max() <= 1


def test_make_grid_accepts_objects_with_numpy_method():
    class FakeTensor:
        def numpy(self):
            return batch(2)

    np.testing.assert_array_equal(plotting.make_grid(FakeTensor()), plotting.make_grid(batch(2)))


@pytest.mark.parametrize(
    "images, match",
    [
        (np.zeros((4, 4), np.float32), r"shape \(N, H, W\).*got \(4, 4\)"),
        (np.zeros((2, 4, 4, 3), np.float32), r"got \(2, 4, 4, 3\)"),
        (np.zeros((0, 4, 4), np.float32), "at least one"),
        (np.full((1, 2, 2), np.nan, np.float32), "NaN"),
        (np.full((1, 2, 2), 2.0, np.float32), r"\[-1, 1\].*got values in \[2, 2\]"),
        (np.full((1, 2, 2), 300, np.int32), r"\[0, 255\]"),
    ],
)
def test_make_grid_rejects_bad_images(images, match):
    with pytest.raises(ValueError, match=match):
        plotting.make_grid(images)


def test_make_grid_rejects_bad_options():
    with pytest.raises(ValueError, match="ncols"):
        plotting.make_grid(batch(2), ncols=0)
    with pytest.raises(ValueError, match="pad_value"):
        plotting.make_grid(batch(2), pad_value=255)


# show_grid


def test_show_grid_without_labels_is_one_image():
    fig = plotting.show_grid(batch(10), ncols=5, title="samples")
    assert isinstance(fig, matplotlib.figure.Figure)
    (ax,) = fig.axes
    assert ax.get_images()[0].get_array().shape == (2 * 5 + 1, 5 * 5 + 1)
    assert fig._suptitle.get_text() == "samples"


def test_show_grid_with_labels_makes_one_titled_panel_per_image():
    fig = plotting.show_grid(batch(5), labels=[f"digit {i}" for i in range(5)], ncols=3)
    assert len(fig.axes) == 5  # the sixth, empty slot is removed
    assert [ax.get_title() for ax in fig.axes] == [f"digit {i}" for i in range(5)]
    assert all(ax.get_xticks().size == 0 for ax in fig.axes)


def test_show_grid_rejects_wrong_label_count():
    with pytest.raises(ValueError, match=r"one entry per image \(3\); got 2"):
        plotting.show_grid(batch(3), labels=["a", "b"])


# plot_history


def test_plot_history_from_dict():
    history = {
        "d_loss": [1.2, 0.9, 0.8],
        "g_loss": [0.7, 1.1, 1.3],
        "d_real": [0.6, 0.7, 0.6],
        "d_fake": [0.4, 0.3, 0.4],
    }
    fig = plotting.plot_history(history, title="run")
    ax_loss, ax_prob = fig.axes
    assert label_texts(ax_loss) == ["d_loss", "g_loss"]
    np.testing.assert_allclose(ax_loss.get_lines()[0].get_xdata(), [1, 2, 3])
    np.testing.assert_allclose(ax_loss.get_lines()[1].get_ydata(), [0.7, 1.1, 1.3])
    labels = label_texts(ax_prob)
    assert labels[0].startswith("d_real") and labels[1].startswith("d_fake")
    equilibrium = ax_prob.get_lines()[-1]
    assert equilibrium.get_linestyle() == "--" and list(equilibrium.get_ydata()) == [0.5, 0.5]
    assert ax_loss.get_xlabel() == ax_prob.get_xlabel() == "epoch"


def test_plot_history_from_list_of_dicts_with_missing_keys():
    history = [{"d_loss": 1.0, "g_loss": 0.5}, {"d_loss": 0.8, "g_loss": 0.9, "d_fake": 0.3}]
    fig = plotting.plot_history(history)
    ax_loss, ax_prob = fig.axes
    assert label_texts(ax_loss) == ["d_loss", "g_loss"]
    d_fake = ax_prob.get_lines()[0]
    assert d_fake.get_label().startswith("d_fake")
    np.testing.assert_allclose(d_fake.get_ydata(), [np.nan, 0.3])


def test_plot_history_with_only_losses_marks_right_panel_empty():
    fig = plotting.plot_history({"g_loss": [1.0, 2.0]})
    ax_loss, ax_prob = fig.axes
    assert label_texts(ax_loss) == ["g_loss"]
    assert [t.get_text() for t in ax_prob.texts] == ["not recorded"]


def test_plot_history_rejects_unknown_or_empty():
    with pytest.raises(ValueError, match="expected some of d_loss"):
        plotting.plot_history({"loss": [1.0]})
    with pytest.raises(ValueError, match="empty"):
        plotting.plot_history({"d_loss": []})
    with pytest.raises(ValueError, match="dict of lists"):
        plotting.plot_history("d_loss")


# animations


def frames_list(k=3, n=4):
    return [batch(n, seed=i) for i in range(k)]


def test_animation_frames_upscale_nearest_without_labels():
    frames = frames_list(2)
    pics = plotting.animation_frames(frames, ncols=2, scale=3)
    grid = plotting.make_grid(frames[1], ncols=2)
    assert len(pics) == 2 and pics[1].dtype == np.uint8
    expected = np.repeat(np.repeat(np.round(grid * 255).astype(np.uint8), 3, axis=0), 3, axis=1)
    np.testing.assert_array_equal(pics[1], expected)


def test_animation_frames_labels_add_a_strip_above_the_grid():
    frames = frames_list(2)
    plain = plotting.animation_frames(frames, ncols=2, scale=2)
    labelled = plotting.animation_frames(frames, ncols=2, scale=2, labels=["epoch 1", "epoch 2"])
    strip = labelled[0].shape[0] - plain[0].shape[0]
    assert strip > 0 and labelled[0].shape[1] == plain[0].shape[1]
    np.testing.assert_array_equal(labelled[0][strip:], plain[0])
    assert labelled[0][:strip].min() < 128  # some dark text was drawn
    assert not np.array_equal(labelled[0][:strip], labelled[1][:strip])


@pytest.mark.parametrize(
    "frames, kwargs, match",
    [
        ([], {}, "frames is empty"),
        (batch(3), {}, "list of image batches"),
        ([batch(2), batch(3)], {}, "same batch shape"),
        ([batch(2), np.full((2, 4, 4, 1), np.nan, np.float32)], {}, r"frames\[1\].*NaN"),
        (frames_list(2), {"labels": ["only one"]}, r"one entry per frame \(2\)"),
    ],
)
def test_animation_frames_rejects_bad_input(frames, kwargs, match):
    with pytest.raises(ValueError, match=match):
        plotting.animation_frames(frames, **kwargs)


def test_save_gif_writes_every_frame_atomically(tmp_path):
    path = tmp_path / "out" / "progress.gif"  # parent folder does not exist yet
    result = plotting.save_gif(frames_list(3), path, fps=5, labels=["epoch 1", "epoch 2", "epoch 3"])
    assert result == path
    with Image.open(path) as gif:
        assert gif.format == "GIF" and gif.n_frames == 3
        durations = []
        for i in range(gif.n_frames):
            gif.seek(i)
            durations.append(gif.info["duration"])
    assert durations[0] == 200 and durations[-1] > durations[0]  # the last frame is held longer
    assert [p.name for p in path.parent.iterdir()] == ["progress.gif"]  # no temp file left behind


def test_save_gif_rejects_bad_fps_and_writes_nothing(tmp_path):
    with pytest.raises(ValueError, match="fps"):
        plotting.save_gif(frames_list(2), tmp_path / "x.gif", fps=0)
    assert list(tmp_path.iterdir()) == []


def test_animation_is_an_animated_png():
    from IPython.display import Image as IPythonImage

    shown = plotting.animation(frames_list(4), fps=4, labels=[f"epoch {i}" for i in range(1, 5)])
    assert isinstance(shown, IPythonImage) and shown.format == "png"
    assert shown.data[:8] == b"\x89PNG\r\n\x1a\n"
    assert "image/png" in shown._repr_mimebundle_()[0]
    with Image.open(io.BytesIO(shown.data)) as png:
        assert png.format == "PNG" and png.n_frames == 4 and png.is_animated
        assert png.info.get("loop") == 0
