"""Tests for ganlab.playground: the drawer by what it draws, and the widget's handlers called as buttons would."""

import sys

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.figure import Figure

from ganlab import playground, toy


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def ring_gan():
    return toy.ToyGAN("ring", seed=0)


def weights(model):
    return [w.copy() for w in model.get_weights()]


def same(a, b):
    return all(np.array_equal(x, y) for x, y in zip(a, b))


def test_default_extent_holds_every_mode():
    assert playground.default_extent("ring") == pytest.approx((-3.2, 3.2))
    assert playground.default_extent(toy.gaussian_1d(2.0, 0.5)) == pytest.approx((-5.0, 5.0))


def test_plot_state_2d_draws_d_heatmap_points_arrows_and_js(ring_gan):
    fig = playground.plot_state(ring_gan, n_arrows=10)
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    bands = [c for c in ax.collections if type(c).__name__ == "QuadContourSet"]
    assert len(bands) == 1 and np.allclose(bands[0].levels, np.linspace(0, 1, 11))
    arrows = [c for c in ax.collections if type(c).__name__ == "Quiver"]
    assert len(arrows) == 1 and arrows[0].N == 10
    js = toy.js_estimate(ring_gan.data, ring_gan.sample(), extent=(-3.2, 3.2))
    push = np.linalg.norm(ring_gan.descent_direction(ring_gan.sample()[:10]), axis=1).mean()
    assert ax.get_title() == f"non_saturating, step 0\nJS ≈ {js:.3g}, push {push:.3g}"
    assert len(fig.axes) == 2  # the colorbar


def test_d_on_grid_is_d_at_the_grid_points(ring_gan):
    xx, yy, d = playground.d_on_grid(ring_gan, (-3.0, 3.0), n=5)
    assert xx.shape == yy.shape == d.shape == (5, 5)
    assert (xx[0, -1], yy[0, -1], yy[-1, 0]) == (3.0, -3.0, 3.0)  # rows run along x₂, columns along x₁
    np.testing.assert_allclose(d[0, -1], ring_gan.d_prob([[3.0, -3.0]])[0], rtol=1e-6)
    np.testing.assert_allclose(d.ravel(), ring_gan.d_prob(np.stack([xx.ravel(), yy.ravel()], 1)), rtol=1e-6)


def test_plot_state_1d_draws_densities_d_curve_and_arrows():
    gan = toy.ToyGAN("gaussian_1d", seed=0)
    fig = playground.plot_state(gan, title="one-D", n_arrows=5)
    ax = fig.axes[0]
    assert ax.get_title() == "one-D"
    assert [c for c in ax.collections if type(c).__name__ == "Quiver"][0].N == 5
    assert "D(x)" in [line.get_label() for a in fig.axes for line in a.get_lines()]


def test_plot_state_draws_into_given_axes(ring_gan):
    fig, axes = plt.subplots(1, 2)
    assert playground.plot_state(ring_gan, ax=axes[1], colorbar=False) is fig
    assert axes[1].collections and not axes[0].collections and len(fig.axes) == 2


def test_plot_state_checks_its_inputs(ring_gan):
    with pytest.raises(ValueError, match="gan must be a ganlab.toy.ToyGAN; got dict"):
        playground.plot_state({})
    with pytest.raises(ValueError, match="n_arrows must be a positive int, got 0"):
        playground.plot_state(ring_gan, n_arrows=0)


def test_widget_builds_without_a_frontend():
    pg = playground.explore_gan("two_blobs", steps=3)
    assert type(pg.widget).__name__ == "VBox"
    assert set(pg.buttons) == {"step D", "step G", "train N", "reset"}
    bundle = pg._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle and "live Jupyter kernel" in bundle["text/plain"]
    assert "0x" not in repr(pg)


def test_step_buttons_update_one_network_each_and_redraw():
    pg = playground.explore_gan("ring", steps=4)
    g0, d0 = weights(pg.gan.generator), weights(pg.gan.discriminator)
    assert isinstance(pg.step_d(pg.buttons["step D"]), Figure)
    assert same(weights(pg.gan.generator), g0) and not same(weights(pg.gan.discriminator), d0)
    d1 = weights(pg.gan.discriminator)
    pg.step_g(pg.buttons["step G"])
    assert same(weights(pg.gan.discriminator), d1) and not same(weights(pg.gan.generator), g0)
    pg.controls["steps"].value = 3
    pg.train(pg.buttons["train N"])
    assert (pg.gan.steps_d, pg.gan.steps_g) == (4, 4)
    pg.reset(pg.buttons["reset"])
    assert (pg.gan.steps_d, pg.gan.steps_g) == (0, 0) and same(weights(pg.gan.generator), g0)  # same seed


def test_controls_change_rates_in_place_and_data_or_loss_reset():
    pg = playground.explore_gan("ring")
    pg.step_d()
    pg.controls["d_lr"].value = 0.01
    assert pg.gan.d_lr == pytest.approx(0.01) and pg.gan.steps_d == 1  # same GAN, new rate
    pg.controls["loss"].value = "minimax"
    assert pg.gan.loss.name == "minimax" and pg.gan.steps_d == 0 and pg.gan.d_lr == pytest.approx(0.01)
    pg.controls["data"].value = "blob"
    assert pg.gan.data.name == "blob"


def test_without_ipywidgets_it_still_draws(monkeypatch):
    monkeypatch.setitem(sys.modules, "ipywidgets", None)  # import ipywidgets now raises ImportError
    pg = playground.explore_gan("ring", steps=5)
    assert pg.widget is None and "live Jupyter kernel" in pg._repr_mimebundle_()["text/plain"]
    assert isinstance(pg.train(), Figure) and pg.gan.steps_g == 5


# The toy densities (plot_density_1d, plot_points_2d)


def test_plot_density_1d_draws_two_histograms_and_d_curve():
    rng = np.random.default_rng(0)
    real, fake = rng.normal(4, 1, 500), rng.normal(0, 1, (300, 1))
    fig = playground.plot_density_1d(real, fake, d_fn=lambda x: 1 / (1 + np.exp(-(x - 2))), bins=20, title="t")
    ax, twin = fig.axes
    steps = ax.patches
    assert [p.get_label() for p in steps] == ["real", "generated"]
    assert twin.get_ylabel() == "D(x)" and twin.get_ylim() == (0, 1)
    (curve,) = twin.get_lines()
    assert np.all(np.diff(curve.get_ydata()) > 0)  # the sigmoid we passed in
    assert [t.get_text() for t in twin.get_legend().get_texts()] == ["real", "generated", "D(x)"]


def test_plot_density_1d_histograms_are_densities():
    real = np.array([0.0, 0.0, 1.0, 1.0])
    fig = playground.plot_density_1d(real, real, x_range=(0, 2), bins=2)
    (ax,) = fig.axes
    xy = ax.patches[0].get_xy()  # step outline: heights 0.5 on [0, 1) and [1, 2]
    assert set(np.round(xy[:, 1], 6)) == {0.0, 0.5}


def test_plot_density_1d_draws_into_given_axes():
    fig, ax = plt.subplots()
    assert playground.plot_density_1d([0.0, 1.0], [0.5], ax=ax) is fig


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"real": np.zeros((3, 2))}, r"real must have shape \(N,\) or \(N, 1\).*\(3, 2\)"),
        ({"fake": [np.nan, 1.0]}, r"fake holds 1 non-finite values \(NaN or inf\)"),
        ({"x_range": (1, 0)}, "low < high"),
        ({"d_fn": lambda x: 3 * x}, "probabilities in"),
    ],
)
def test_plot_density_1d_rejects_bad_input(kwargs, match):
    args = {"real": [0.0, 1.0], "fake": [0.5, 0.7], **kwargs}
    with pytest.raises(ValueError, match=match):
        playground.plot_density_1d(**args)


def test_plot_points_2d_scatters_with_equal_aspect():
    angles = np.linspace(0, 2 * np.pi, 8, endpoint=False)
    real = np.stack([np.cos(angles), np.sin(angles)], axis=1)
    fig = playground.plot_points_2d(real, real[:3] * 0.5, title="ring")
    (ax,) = fig.axes
    assert [c.get_offsets().shape for c in ax.collections] == [(8, 2), (3, 2)]
    assert ax.get_aspect() == 1.0 and ax.get_title() == "ring"


def test_plot_points_2d_rejects_wrong_shape():
    with pytest.raises(ValueError, match=r"fake must have shape \(N, 2\).*\(5,\)"):
        playground.plot_points_2d(np.zeros((4, 2)), np.zeros(5))
