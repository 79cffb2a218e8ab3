"""Tests for ganlab.checks: each input check against values it accepts and refuses, and the words of its refusal
(what it got and what it expects), which the notebooks and the command line show to people."""

from ganlab import config  # first: imports TensorFlow quietly

import keras
import numpy as np
import pytest

from ganlab import checks
from tiny_models import tiny_generator


def refusal(check, *args, **kwargs) -> str:
    """The message of the BadInput that ``check(*args, **kwargs)`` raises (a ValueError, so except ValueError works)."""
    with pytest.raises(checks.BadInput) as info:
        check(*args, **kwargs)
    assert isinstance(info.value, ValueError)
    return str(info.value)


# Whole numbers.


@pytest.mark.parametrize("value", [1, 7, np.int64(3), np.uint8(200)])
def test_positive_int_accepts_whole_numbers_from_1_as_int(value):
    got = checks.positive_int(value, "n")
    assert got == value and type(got) is int


@pytest.mark.parametrize("value", [0, -2, 2.0, 2.5, True, "3", None, np.float32(3)])
def test_positive_int_refuses_the_rest_and_says_what_it_got(value):
    assert refusal(checks.positive_int, value, "n", "images to draw") == (
        f"n must be a positive int (images to draw), got {value!r}"
    )


def test_integer_names_its_range():
    assert checks.integer(0, "seed", 0) == 0 and checks.integer(5, "k", 1, 5) == 5 and checks.integer(2, "n", 2) == 2
    assert refusal(checks.integer, -1, "seed", 0) == "seed must be a non-negative int, got -1"
    assert refusal(checks.integer, 1, "n", 2, meaning="points per side") == (
        "n must be an int >= 2 (points per side), got 1"
    )
    assert refusal(checks.integer, 3000, "n", 10, 2250) == "n must be an int from 10 to 2,250, got 3000"
    assert refusal(checks.integer, False, "k", 0) == "k must be a non-negative int, got False"


# Real numbers.


def test_number_accepts_finite_reals_in_its_interval_as_float():
    assert checks.number(0, "dropout", 0, 1, high_open=True) == 0.0
    assert checks.number(np.float32(0.5), "t", 0, 1) == 0.5 and type(checks.number(1, "t", 0, 1)) is float
    assert checks.number(1, "real_target", 0.5, 1, low_open=True) == 1.0
    assert checks.number(-3e9, "x") == -3e9


@pytest.mark.parametrize(
    "value, kwargs, expected",
    [
        (1, dict(low=0, high=1, high_open=True), "dropout must be a number in [0, 1), got 1"),
        (0.5, dict(low=0.5, high=1, low_open=True), "dropout must be a number in (0.5, 1], got 0.5"),
        (0, dict(low=0, low_open=True), "dropout must be a positive number, got 0"),
        (-0.1, dict(low=0), "dropout must be a number >= 0, got -0.1"),
        (2, dict(high=1), "dropout must be a number <= 1, got 2"),
        (float("nan"), dict(low=0), "dropout must be a number >= 0, got nan"),
        (float("inf"), dict(low=0), "dropout must be a number >= 0, got inf"),
        (float("inf"), dict(), "dropout must be a finite number, got inf"),
        (True, dict(low=0), "dropout must be a number >= 0, got True"),
        ("0.2", dict(low=0), "dropout must be a number >= 0, got '0.2'"),
    ],
)
def test_number_refuses_what_lies_outside_and_says_where_it_should_lie(value, kwargs, expected):
    assert refusal(checks.number, value, "dropout", **kwargs) == expected


def test_positive_number_is_number_above_0():
    assert checks.positive_number(1.5, "seconds") == 1.5
    assert refusal(checks.positive_number, 0, "seconds", "a time budget") == (
        "seconds must be a positive number (a time budget), got 0"
    )
    assert refusal(checks.positive_number, None, "seconds") == "seconds must be a positive number, got None"


# Flags, names and choices.


def test_flag_text_and_one_of():
    assert checks.flag(False, "mismatch") is False
    assert refusal(checks.flag, 1, "mismatch", "show D wrong labels") == (
        "mismatch must be True or False (show D wrong labels), got 1"
    )
    assert checks.text("gan", "name") == "gan"
    assert refusal(checks.text, "", "name") == "name must be a non-empty string, got ''"
    assert checks.one_of("lerp", "method", ("lerp", "slerp")) == "lerp"
    assert refusal(checks.one_of, "cubic", "method", ("lerp", "slerp")) == (
        "method must be one of 'lerp', 'slerp', got 'cubic'"
    )
    assert refusal(checks.one_of, [1], "verbose", (0, 1, 2)) == "verbose must be one of 0, 1, 2, got [1]"
    assert "got array" in refusal(checks.one_of, np.zeros(2), "verbose", (0, 1))


def test_interval_is_two_finite_numbers_in_order():
    assert checks.interval((np.float32(-1), 2), "extent") == (-1.0, 2.0)
    for bad in [(1, 1), (2, -2), (0, np.inf), (0, 1, 2), 3]:
        assert refusal(checks.interval, bad, "extent") == (
            f"extent must be two finite numbers (low, high) with low < high; got {bad!r}"
        )


# Arrays.


def test_array_takes_tensors_and_lists_and_refuses_ragged_ones():
    np.testing.assert_array_equal(checks.array(keras.ops.convert_to_tensor([[1.0, 2.0]]), "x"), [[1.0, 2.0]])
    assert refusal(checks.array, [[1, 2], [3]], "x").startswith("x must be array-like; got list (")


def test_finite_array_counts_what_is_not_finite():
    a = checks.finite_array([1, 2], "z")
    assert a.dtype == np.float64 and checks.finite_array([1, 2], "z", np.float32).dtype == np.float32
    assert refusal(checks.finite_array, [np.nan, 1.0, -np.inf], "z") == (
        "z holds 2 non-finite values (NaN or inf); expected finite numbers"
    )
    assert refusal(checks.finite_array, ["a", "b"], "z") == "z must hold numbers, got dtype <U1"


def test_pixels_are_finite_and_within_rounding_of_the_unit_range():
    x = np.array([[-1.0005, 0.25, 1.0]], np.float32)
    np.testing.assert_array_equal(checks.pixels(x), [[-1.0, 0.25, 1.0]])  # rounding is clipped
    inside = np.zeros((2, 3), np.float32)
    assert checks.pixels(inside) is inside  # nothing to clip: no copy
    assert checks.pixels(np.zeros((0, 28, 28, 1))).shape == (0, 28, 28, 1)
    assert refusal(checks.pixels, np.full((2, 2), 255.0), "the dataset's first batch") == (
        "the dataset's first batch must be in [-1, 1], got values in [255, 255]; scale uint8 pixels with "
        "x / 127.5 - 1 (ganlab.data.to_float)"
    )
    assert refusal(checks.pixels, [0.0, np.nan]) == (
        "images holds 1 non-finite values (NaN or inf); expected finite numbers"
    )


# Images.


def test_images_give_float32_batches_with_a_channel_axis():
    x = checks.images(np.full((2, 28, 28), 255, np.uint8))
    assert x.shape == (2, 28, 28, 1) and x.dtype == np.float32 and np.all(x == 1.0)
    np.testing.assert_array_equal(checks.images(np.zeros((3, 5, 4, 1), np.float64)), np.zeros((3, 5, 4, 1)))
    pixels = np.array([0, 51, 128, 255], np.uint8).reshape(1, 2, 2)
    np.testing.assert_allclose(checks.images(pixels)[..., 0], pixels / 127.5 - 1, atol=1e-7)  # as data.to_float


@pytest.mark.parametrize(
    "bad, size, expected",
    [
        (
            np.zeros((5, 28, 28), np.int64),
            None,
            "images must be floats in [-1, 1] (or uint8 in [0, 255]), got dtype int64",
        ),
        (
            np.zeros((5, 28, 28, 3), np.float32),
            (28, 28),
            "images must have shape (N, 28, 28) or (N, 28, 28, 1), got (5, 28, 28, 3)",
        ),
        (
            np.zeros((5, 14, 14), np.float32),
            (28, 28),
            "images must have shape (N, 28, 28) or (N, 28, 28, 1), got (5, 14, 14)",
        ),
        (np.zeros((5, 784), np.float32), None, "images must have shape (N, H, W) or (N, H, W, 1), got (5, 784)"),
        (
            np.zeros((0, 28, 28), np.float32),
            None,
            "images is empty (shape (0, 28, 28, 1)); expected at least one image",
        ),
        (
            np.full((5, 28, 28), 255.0, np.float32),
            None,
            "images must be in [-1, 1], got values in [255, 255]; scale uint8 "
            "pixels with x / 127.5 - 1 (ganlab.data.to_float)",
        ),
        (
            np.where(np.eye(28)[None] > 0, np.nan, 0.0).repeat(2, axis=0),
            None,
            "images holds 56 non-finite values (NaN or inf); expected finite numbers",
        ),
    ],
)
def test_images_refuse_what_no_metric_or_plot_can_read(bad, size, expected):
    assert refusal(checks.images, bad, size=size) == expected


# Networks.


def test_network_refuses_what_is_not_a_trainable_keras_model():
    checks.network(tiny_generator(), "generator")
    assert refusal(checks.network, "G", "generator") == "generator must be a keras.Model, got str"
    frozen = tiny_generator()
    frozen.trainable = False
    message = refusal(checks.network, frozen, "discriminator")
    assert message.startswith(f"The discriminator {frozen.name!r} has no trainable weights")
    assert checks.FREEZE_TRAP in message
    assert message.endswith("Set discriminator.trainable = True before building the GAN.")
    unbuilt = keras.Sequential([keras.layers.Dense(3)])
    assert "is not built (it has no weights yet)" in refusal(checks.network, unbuilt, "generator")
