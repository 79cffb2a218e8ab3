"""Tests for ganlab.toy_plots: the 1-D density and 2-D point plots, by what they draw and what they refuse."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from ganlab import toy_plots  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


# toy densities


def test_plot_density_1d_draws_two_histograms_and_d_curve():
    rng = np.random.default_rng(0)
    real, fake = rng.normal(4, 1, 500), rng.normal(0, 1, (300, 1))
    fig = toy_plots.plot_density_1d(real, fake, d_fn=lambda x: 1 / (1 + np.exp(-(x - 2))), bins=20, title="t")
    ax, twin = fig.axes
    steps = ax.patches
    assert [p.get_label() for p in steps] == ["real", "generated"]
    assert twin.get_ylabel() == "D(x)" and twin.get_ylim() == (0, 1)
    (curve,) = twin.get_lines()
    assert np.all(np.diff(curve.get_ydata()) > 0)  # the sigmoid we passed in
    assert [t.get_text() for t in twin.get_legend().get_texts()] == ["real", "generated", "D(x)"]


def test_plot_density_1d_histograms_are_densities():
    real = np.array([0.0, 0.0, 1.0, 1.0])
    fig = toy_plots.plot_density_1d(real, real, x_range=(0, 2), bins=2)
    (ax,) = fig.axes
    xy = ax.patches[0].get_xy()  # step outline: heights 0.5 on [0, 1) and [1, 2]
    assert set(np.round(xy[:, 1], 6)) == {0.0, 0.5}


def test_plot_density_1d_draws_into_given_axes():
    fig, ax = plt.subplots()
    assert toy_plots.plot_density_1d([0.0, 1.0], [0.5], ax=ax) is fig


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"real": np.zeros((3, 2))}, r"real must have shape \(N,\) or \(N, 1\).*\(3, 2\)"),
        ({"fake": [np.nan, 1.0]}, "fake contains 1 NaN"),
        ({"x_range": (1, 0)}, "low < high"),
        ({"d_fn": lambda x: 3 * x}, "probabilities in"),
    ],
)
def test_plot_density_1d_rejects_bad_input(kwargs, match):
    args = {"real": [0.0, 1.0], "fake": [0.5, 0.7], **kwargs}
    with pytest.raises(ValueError, match=match):
        toy_plots.plot_density_1d(**args)


def test_plot_points_2d_scatters_with_equal_aspect():
    angles = np.linspace(0, 2 * np.pi, 8, endpoint=False)
    real = np.stack([np.cos(angles), np.sin(angles)], axis=1)
    fig = toy_plots.plot_points_2d(real, real[:3] * 0.5, title="ring")
    (ax,) = fig.axes
    assert [c.get_offsets().shape for c in ax.collections] == [(8, 2), (3, 2)]
    assert ax.get_aspect() == 1.0 and ax.get_title() == "ring"


def test_plot_points_2d_rejects_wrong_shape():
    with pytest.raises(ValueError, match=r"fake must have shape \(N, 2\).*\(5,\)"):
        toy_plots.plot_points_2d(np.zeros((4, 2)), np.zeros(5))
