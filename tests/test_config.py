"""ganlab.config: the smoke switch, pick(), the banner, seeding."""

import numpy as np
import pytest

from ganlab import config


@pytest.mark.parametrize("value, expected", [("1", True), ("true", True), ("0", False), ("", False)])
def test_smoke_switch_reads_the_environment(monkeypatch, value, expected):
    monkeypatch.setenv(config.SMOKE_ENV, value)
    assert config.is_smoke() is expected
    assert config.pick(full=30, smoke=1) == (1 if expected else 30)


def test_unset_switch_means_full_run(monkeypatch):
    monkeypatch.delenv(config.SMOKE_ENV, raising=False)
    assert config.pick(full="full", smoke="smoke") == "full"


def test_unclear_switch_value_is_an_error(monkeypatch):
    monkeypatch.setenv(config.SMOKE_ENV, "maybe")
    with pytest.raises(ValueError, match="GANLAB_SMOKE=1"):
        config.is_smoke()


def test_banner_prints_once_and_only_in_smoke_mode(monkeypatch, capsys):
    monkeypatch.setattr(config, "_banner_shown", False)
    monkeypatch.setenv(config.SMOKE_ENV, "0")
    assert config.smoke_banner() is None
    monkeypatch.setenv(config.SMOKE_ENV, "1")
    assert "SMOKE MODE" in config.smoke_banner()
    assert config.smoke_banner() is None
    assert capsys.readouterr().out.count("SMOKE MODE") == 1


def test_set_seed_makes_numpy_and_keras_repeatable():
    import keras

    config.set_seed(7)
    a = np.random.rand(3), keras.ops.convert_to_numpy(keras.random.normal((3,)))
    config.set_seed(7)
    b = np.random.rand(3), keras.ops.convert_to_numpy(keras.random.normal((3,)))
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    with pytest.raises(ValueError, match="non-negative int"):
        config.set_seed(-1)
