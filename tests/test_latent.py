"""Tests for ganlab.latent: interpolation and latent arithmetic against closed forms, the drawers, the sliders."""

import sys

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.figure import Figure

from ganlab import latent, sampling
from tiny_models import LATENT, tiny_generator


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def generator():
    return tiny_generator()


def angle(a, b):
    return np.arccos(np.clip(a @ b / np.linalg.norm(a) / np.linalg.norm(b), -1, 1))


rng = np.random.default_rng(0)
Z0, Z1 = rng.standard_normal(100), rng.standard_normal(100)


# Interpolation.


def test_lerp_is_the_straight_line():
    t = np.array([0.0, 0.25, 1.0])
    path = latent.lerp(Z0, Z1, t)
    assert path.shape == (3, 100)
    np.testing.assert_array_equal(path[0], Z0)
    np.testing.assert_array_equal(path[2], Z1)
    np.testing.assert_allclose(path[1], 0.75 * Z0 + 0.25 * Z1)
    assert latent.lerp(Z0, Z1, 0.5).shape == (100,)


def test_slerp_endpoints_are_exact():
    path = latent.slerp(Z0, Z1, [0.0, 1.0])
    np.testing.assert_array_equal(path[0], Z0)
    np.testing.assert_array_equal(path[1], Z1)


def test_slerp_keeps_the_norm_of_equal_norm_endpoints_and_moves_at_constant_angular_speed():
    a, b = 3 * Z0 / np.linalg.norm(Z0), 3 * Z1 / np.linalg.norm(Z1)  # both of norm 3
    t = np.linspace(0, 1, 21)
    path = latent.slerp(a, b, t)
    np.testing.assert_allclose(np.linalg.norm(path, axis=1), 3.0, rtol=1e-12)
    np.testing.assert_allclose([angle(a, p) for p in path], t * angle(a, b), atol=1e-9)
    np.testing.assert_allclose([angle(p, b) for p in path], (1 - t) * angle(a, b), atol=1e-7)  # arccos near 1


def test_slerp_matches_the_formula_for_unequal_norms():
    omega, t = angle(Z0, Z1), 0.3
    want = (np.sin(0.7 * omega) * Z0 + np.sin(0.3 * omega) * Z1) / np.sin(omega)
    np.testing.assert_allclose(latent.slerp(Z0, Z1, t), want, rtol=1e-12)


def test_slerp_of_nearly_parallel_vectors_is_the_straight_line():
    z1 = 2 * Z0 + 1e-12 * Z1
    path = latent.slerp(Z0, z1, [0.0, 0.5, 1.0])
    assert np.all(np.isfinite(path))
    np.testing.assert_allclose(path, latent.lerp(Z0, z1, [0.0, 0.5, 1.0]), rtol=1e-9)


def test_slerp_works_row_by_row_on_batches():
    z0, z1 = rng.standard_normal((4, 6)), rng.standard_normal((4, 6))
    path = latent.slerp(z0, z1, [0.2, 0.9])
    assert path.shape == (2, 4, 6)
    np.testing.assert_allclose(path[1, 2], latent.slerp(z0[2], z1[2], 0.9), rtol=1e-12)


def test_gaussian_midpoints_lerp_shrinks_the_norm_by_sqrt2_and_slerp_does_not():
    # For z0, z1 ~ N(0, I_d): (z0 + z1) / 2 ~ N(0, I/2), so E|mid|^2 = d/2; slerp stays near |z| ~ sqrt(d).
    z = np.random.default_rng(1).standard_normal((2, 2000, 100))
    lerp_sq = np.sum(latent.lerp(z[0], z[1], 0.5) ** 2, axis=-1).mean()
    slerp_sq = np.sum(latent.slerp(z[0], z[1], 0.5) ** 2, axis=-1).mean()
    assert lerp_sq == pytest.approx(50, rel=0.02) and slerp_sq == pytest.approx(100, rel=0.02)


def test_interpolate_includes_both_ends():
    for method in latent.METHODS:
        path = latent.interpolate(Z0, Z1, 5, method)
        assert path.shape == (5, 100)
        np.testing.assert_allclose(path[[0, -1]], [Z0, Z1], atol=1e-12)
    np.testing.assert_allclose(latent.interpolate(Z0, Z1, 3, "lerp")[1], (Z0 + Z1) / 2)


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: latent.lerp(Z0, Z1[:5], 0.5), "same shape"),
        (lambda: latent.lerp(Z0, np.full(100, np.nan), 0.5), "NaN"),
        (lambda: latent.lerp(np.zeros((2, 2, 2)), np.zeros((2, 2, 2)), 0.5), r"\(d,\) or a batch"),
        (lambda: latent.lerp(Z0, Z1, [[0.5]]), "1-D array"),
        (lambda: latent.slerp(Z0, -Z0, 0.5), "opposite directions"),
        (lambda: latent.slerp(np.zeros(100), Z1, 0.5), "non-zero"),
        (lambda: latent.interpolate(Z0, Z1, 1), "n must be an int >= 2"),
        (lambda: latent.interpolate(Z0, Z1, 5, "cubic"), "method must be one of"),
    ],
)
def test_interpolation_checks_its_inputs(call, message):
    with pytest.raises(ValueError, match=message):
        call()


# Latent arithmetic and planes.


def test_attribute_direction_is_top_mean_minus_bottom_mean():
    z, scores = rng.standard_normal((40, 8)), rng.standard_normal(40)
    order = np.argsort(scores)
    np.testing.assert_allclose(latent.attribute_direction(z, scores), z[order[20:]].mean(0) - z[order[:20]].mean(0))
    np.testing.assert_allclose(latent.attribute_direction(z, scores, 0.1), z[order[-4:]].mean(0) - z[order[:4]].mean(0))


def test_attribute_direction_of_a_linear_score_recovers_its_weights():
    # Scores w.z of Gaussian z: halves split at 0, and E[w.z | w.z > 0] = sqrt(2/pi) for a unit w.
    w = np.array([3.0, -4.0, 0, 0, 0, 0, 0, 0]) / 5
    z = np.random.default_rng(2).standard_normal((20000, 8))
    direction = latent.attribute_direction(z, z @ w)
    assert direction @ w / np.linalg.norm(direction) > 0.99
    assert direction @ w == pytest.approx(2 * np.sqrt(2 / np.pi), rel=0.03)


def test_mean_latent_averages_the_selected_rows():
    z = np.arange(12.0).reshape(4, 3)
    np.testing.assert_allclose(latent.mean_latent(z, [True, False, True, False]), [3.0, 4.0, 5.0])
    with pytest.raises(ValueError, match="selects no rows"):
        latent.mean_latent(z, [False] * 4)
    with pytest.raises(ValueError, match="one per row of z"):
        latent.attribute_direction(z, [1.0, 2.0])
    with pytest.raises(ValueError, match=r"fraction must be a number in \(0, 0.5\]"):
        latent.attribute_direction(z, np.arange(4.0), 0.8)


def test_orthonormal_is_gram_schmidt():
    u1, u2 = latent.orthonormal([2.0, 0, 0], [1.0, 3.0, 0])
    np.testing.assert_allclose(u1, [1, 0, 0])
    np.testing.assert_allclose(u2, [0, 1, 0])
    with pytest.raises(ValueError, match="parallel"):
        latent.orthonormal([1.0, 2.0, 3.0], [-2.0, -4.0, -6.0])
    with pytest.raises(ValueError, match="non-zero"):
        latent.orthonormal([0.0, 0, 0], [1.0, 0, 0])


def test_plane_grid_lays_a_grid_on_the_plane():
    center = np.array([1.0, 1.0, 1.0, 1.0])
    grid = latent.plane_grid(center, [0, 2.0, 0, 0], [0, 1.0, 5.0, 0], n=5, span=2.0)
    assert grid.shape == (5, 5, 4)
    np.testing.assert_allclose(grid[2, 2], center)  # the middle
    np.testing.assert_allclose(grid[0, 0], center + [0, -2, 2, 0])  # top left: x = -span, y = +span
    np.testing.assert_allclose(grid[4, 4], center + [0, 2, -2, 0])
    np.testing.assert_allclose(np.diff(grid, axis=1), np.broadcast_to([0, 1.0, 0, 0], (5, 4, 4)), atol=1e-12)
    np.testing.assert_allclose(np.diff(grid, axis=0), np.broadcast_to([0, 0, -1.0, 0], (4, 5, 4)), atol=1e-12)
    raw = latent.plane_grid(center, [0, 2.0, 0, 0], [0, 1.0, 5.0, 0], n=3, span=1.0, orthonormalize=False)
    np.testing.assert_allclose(raw[0, 2], center + [0, 2, 0, 0] + [0, 1, 5, 0])
    with pytest.raises(ValueError, match="span must be a positive number"):
        latent.plane_grid(center, [1.0, 0, 0, 0], [0, 1.0, 0, 0], span=0)
    with pytest.raises(ValueError, match="z_center's shape"):
        latent.plane_grid(center, [1.0, 0, 0], [0, 1.0, 0])


# Drawing and the sliders.


def test_plot_interpolation_draws_both_paths_and_their_norms(generator):
    z0, z1 = rng.standard_normal(LATENT), rng.standard_normal(LATENT)
    fig = latent.plot_interpolation(generator, z0, z1, t=0.3, n=5)
    strip, lerp_ax, slerp_ax, norms = fig.axes
    assert (lerp_ax.get_title(), slerp_ax.get_title()) == ("lerp, t = 0.30", "slerp, t = 0.30")
    lerp_line, slerp_line = norms.get_lines()[:2]
    np.testing.assert_allclose(lerp_line.get_ydata()[50], np.linalg.norm((z0 + z1) / 2))
    np.testing.assert_allclose(slerp_line.get_ydata()[[0, -1]], [np.linalg.norm(z0), np.linalg.norm(z1)])
    assert strip.get_lines()[0].get_xdata()[0] == 0.3  # the red marker at t
    with pytest.raises(ValueError, match=r"t must be a number in \[0, 1\]"):
        latent.plot_interpolation(generator, z0, z1, t=1.5)


def test_plot_walk_marks_the_point_and_draws_it(generator):
    z, d1, d2 = rng.standard_normal((3, LATENT))
    fig = latent.plot_walk(generator, z, d1, d2, x=0.5, y=-1.0, n=3, span=1.0)
    grid_ax, image_ax = fig.axes
    assert tuple(grid_ax.get_lines()[0].get_xydata()[0]) == (0.5, -1.0)
    assert image_ax.get_title() == "x = 0.50, y = -1.00"
    u1, u2 = latent.orthonormal(d1, d2)
    want = sampling.run_generator(generator, (z + 0.5 * u1 - u2)[None])[0, ..., 0]
    np.testing.assert_allclose(image_ax.get_images()[0].get_array(), (want + 1) / 2, atol=1e-6)


def test_interpolation_explorer_builds_without_a_frontend_and_its_slider_redraws(generator):
    z0, z1 = rng.standard_normal((2, LATENT))
    ex = latent.explore_interpolation(generator, z0, z1, n=4)
    assert type(ex.widget).__name__ == "VBox" and set(ex.controls) == {"t"}
    bundle = ex._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle and "live Jupyter kernel" in bundle["text/plain"]
    ex.controls["t"].value = 0.75  # what moving the slider does
    assert ex.values["t"] == 0.75
    fig = ex.set(t=0.25)
    assert isinstance(fig, Figure) and fig.axes[1].get_title() == "lerp, t = 0.25"
    assert "0x" not in repr(ex)
    with pytest.raises(ValueError, match="unknown slider"):
        ex.set(x=1.0)


def test_walk_explorer_sliders_move_the_cross(generator):
    z, d1, d2 = rng.standard_normal((3, LATENT))
    ex = latent.explore_walk(generator, z, d1, d2, n=3, span=2.0)
    assert set(ex.controls) == {"x", "y"} and ex.controls["x"].min == -2.0
    fig = ex.set(x=1.0, y=-0.4)
    assert tuple(fig.axes[0].get_lines()[0].get_xydata()[0]) == (1.0, -0.4)


def test_without_ipywidgets_the_explorer_still_draws(monkeypatch, generator):
    monkeypatch.setitem(sys.modules, "ipywidgets", None)  # import ipywidgets now raises ImportError
    ex = latent.explore_interpolation(generator, *rng.standard_normal((2, LATENT)))
    assert ex.widget is None and "live Jupyter kernel" in ex._repr_mimebundle_()["text/plain"]
    assert isinstance(ex.set(t=0.5), Figure)
