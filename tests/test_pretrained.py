"""Tests for ganlab.pretrained: the shipped files against their manifest, the float16 round trip, every source."""

import dataclasses
import shutil

import keras
import numpy as np
import pytest

from ganlab import data, models, pretrained
from tiny_models import LATENT, tiny_generator

SHIPPED = sorted(pretrained.manifest()["models"])


@pytest.fixture
def copy_of_data(tmp_path, monkeypatch):
    """A private copy of data/pretrained/ that a test may damage; GANLAB_DATA_DIR points at it."""
    shutil.copytree(pretrained.folder(), tmp_path / "pretrained")
    monkeypatch.setenv(data.DATA_DIR_ENV, str(tmp_path))
    return tmp_path / "pretrained"


@pytest.fixture(scope="module")
def small_mnist():
    mnist = data.load_mnist("sample", verbose=False)
    return dataclasses.replace(mnist, x_train=mnist.x_train[:256], y_train=mnist.y_train[:256])


def weights(model):
    return [w.copy() for w in model.get_weights()]


# The shipped files.

def test_mlp_and_dcgan_are_shipped():
    assert {"mlp", "dcgan"} <= set(SHIPPED) and set(SHIPPED) <= set(pretrained.NAMES)


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_file_matches_its_manifest_record(name):
    record = pretrained.info(name)
    path = pretrained.folder() / record["file"]
    assert data.sha256(path) == record["sha256"]
    assert path.stat().st_size == record["bytes"] < 4e6  # a few MB at most
    t = record["trained"]
    assert t["steps"] == t["epochs"] * (4500 // t["batch_size"]) and t["seconds"] > 0
    assert t["notebook"] == pretrained.entry(name).notebook


@pytest.mark.parametrize("name", SHIPPED)
def test_loaded_generator_draws_the_float32_generators_images_within_1e_2(name):
    generator = pretrained.load(name)
    assert generator.count_params() == pretrained.info(name)["parameters"]
    with np.load(pretrained.folder() / pretrained.info(name)["file"]) as f:
        z, images = f["check/z"], f["check/images"]
    change = np.abs(pretrained.draw(generator, z) - images).max()
    assert 0 < change < 1e-2  # float16 weights change something, but less than a hundredth
    assert all(w.dtype == "float32" for w in generator.weights)


def test_describe_says_how_it_was_trained():
    line = pretrained.describe("dcgan")
    t = pretrained.info("dcgan")["trained"]
    assert line.startswith("DCGAN from notebook 03's full run:") and f"{t['epochs']} epochs" in line


# save_weights / load_weights on a tiny generator.

def test_weights_round_trip_through_float16_and_the_same_weights_give_the_same_bytes(tmp_path):
    original = tiny_generator()
    first = pretrained.save_weights(original, tmp_path / "a.npz")
    second = pretrained.save_weights(original, tmp_path / "b.npz")
    assert data.sha256(first) == data.sha256(second)
    copy = tiny_generator()
    check = pretrained.load_weights(copy, first)
    for a, b in zip(copy.get_weights(), original.get_weights()):
        np.testing.assert_array_equal(a, b.astype(np.float16).astype(np.float32))
    assert check["z"].shape == (pretrained.CHECK_N, LATENT)
    np.testing.assert_allclose(pretrained.draw(copy, check["z"]), check["images"], atol=1e-2)


def test_load_weights_refuses_another_architecture(tmp_path):
    path = pretrained.save_weights(tiny_generator(), tmp_path / "tiny.npz")
    with pytest.raises(data.DataError, match="does not match the generator"):
        pretrained.load_weights(tiny_generator(width=8), path)


def test_draw_gives_a_conditional_generator_the_digits_in_turn():
    z_in, label_in = keras.Input((4,)), keras.Input((), dtype="int32")
    out = keras.layers.Reshape((28, 28, 1))(keras.layers.Dense(784)(
        keras.layers.Concatenate()([z_in, keras.layers.Embedding(10, 3)(label_in)])))
    cgen = keras.Model([z_in, label_in], out)
    z = np.random.default_rng(0).standard_normal((12, 4)).astype("float32")
    labels = np.array([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1], dtype="int32")
    np.testing.assert_allclose(pretrained.draw(cgen, z), cgen([z, labels]), atol=1e-6)


# Errors for people.

def test_unknown_name_lists_the_known_ones():
    with pytest.raises(ValueError, match="unknown pretrained generator 'gan'; the known ones are 'mlp', 'dcgan'"):
        pretrained.load("gan")
    with pytest.raises(ValueError, match="source must be one of 'auto', 'own', 'pretrained', 'train'"):
        pretrained.get_generator("mlp", source="download")


def test_corrupt_file_says_how_to_rebuild(copy_of_data):
    path = copy_of_data / "dcgan.npz"
    raw = bytearray(path.read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    path.write_bytes(bytes(raw))
    with pytest.raises(data.DataError, match="corrupt.*python data/make_pretrained.py"):
        pretrained.load("dcgan")


def test_missing_file_and_missing_manifest_say_how_to_rebuild(copy_of_data):
    (copy_of_data / "mlp.npz").unlink()
    with pytest.raises(data.DataError, match="mlp.npz is missing.*make_pretrained.py"):
        pretrained.load("mlp")
    (copy_of_data / pretrained.MANIFEST).unlink()
    with pytest.raises(data.DataError, match="manifest.json is missing or unreadable.*make_pretrained.py"):
        pretrained.load("dcgan")


def test_a_registered_model_without_shipped_weights_says_which_notebook_to_run(copy_of_data, monkeypatch):
    entry = dataclasses.replace(pretrained.REGISTRY["dcgan"], notebook="09_new.ipynb")
    monkeypatch.setitem(pretrained.REGISTRY, "new", entry)
    with pytest.raises(data.DataError, match="no shipped weights for 'new' yet: run notebook 09_new.ipynb"):
        pretrained.load("new")


# The switch: every source.

def save_own(tmp_path, name):
    generator = pretrained.build(name)
    path = pretrained.own_path(name, tmp_path)
    path.parent.mkdir(parents=True)
    generator.save(path)
    return generator


def test_pretrained_source_loads_the_shipped_weights():
    generator, line = pretrained.get_generator("dcgan", "pretrained")
    shipped = pretrained.load("dcgan")
    assert all(np.array_equal(a, b) for a, b in zip(weights(generator), weights(shipped)))
    t = pretrained.info("dcgan")["trained"]
    assert line == (f"dcgan: the shipped weights, data/pretrained/dcgan.npz (notebook 03's full run: {t['epochs']} "
                    f"epochs, {t['steps']:,} steps, {t['seconds']:.0f} s)")


def test_own_source_loads_the_learners_run(tmp_path):
    mine = save_own(tmp_path, "mlp")
    generator, line = pretrained.get_generator("mlp", "own", runs_dir=tmp_path)
    assert all(np.array_equal(a, b) for a, b in zip(weights(generator), weights(mine)))
    assert line == f"mlp: your own run of notebook 02, {tmp_path / '02_mlp_gan' / 'generator.keras'}"


def test_own_source_without_a_run_says_which_notebook_to_run(tmp_path):
    with pytest.raises(FileNotFoundError, match="run notebook 03_dcgan_mnist.ipynb to the end.*source='pretrained'"):
        pretrained.get_generator("dcgan", "own", runs_dir=tmp_path)


def test_auto_source_prefers_the_learners_run_and_falls_back_to_the_shipped_weights(tmp_path):
    _, line = pretrained.get_generator("dcgan", "auto", runs_dir=tmp_path)
    assert "the shipped weights" in line and line.endswith(f"as {tmp_path / '03_dcgan' / 'generator.keras'} is missing")
    mine = save_own(tmp_path, "dcgan")
    generator, line = pretrained.get_generator("dcgan", "auto", runs_dir=tmp_path)
    assert line.startswith("dcgan: your own run of notebook 03")
    assert all(np.array_equal(a, b) for a, b in zip(weights(generator), weights(mine)))


def test_train_source_trains_the_notebooks_recipe_for_the_time_budget(small_mnist):
    generator, line = pretrained.get_generator("mlp", "train", seconds=1, mnist=small_mnist)
    keras.utils.set_random_seed(42)
    untrained = models.build_mlp_generator(100)  # make_gan seeds 42 before building, as notebook 02 does
    assert not np.array_equal(generator.get_weights()[0], untrained.get_weights()[0])
    assert line.startswith("mlp: trained now for ") and "steps of 64, notebook 02's recipe" in line
    with pytest.raises(ValueError, match="source='train' needs a time budget"):
        pretrained.get_generator("mlp", "train")


def test_data_readme_lists_each_shipped_files_sha256_and_size():
    readme = (pretrained.folder().parent / "README.md").read_text()
    for name in SHIPPED:
        record = pretrained.info(name)
        assert record["sha256"] in readme and f"{record['bytes']:,}" in readme, f"update data/README.md for {name}"
