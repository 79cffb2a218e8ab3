"""Tests for ganlab.pretrained: the shipped files against their manifest, the float16 round trip, every source."""

import dataclasses
import shutil
from pathlib import Path

import keras
import numpy as np
import pytest

from ganlab import data, models, pretrained, sampling
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
    if t["epochs"]:  # a run budgeted in epochs (a steps= run has none)
        assert t["steps"] == t["epochs"] * (4500 // t["batch_size"])
    assert t["steps"] > 0 and t["seconds"] > 0
    assert t["notebook"] == pretrained.entry(name).notebook


@pytest.mark.parametrize("name", SHIPPED)
def test_loaded_generator_draws_the_float32_generators_images_within_1e_2(name):
    generator = pretrained.load(name)
    assert generator.count_params() == pretrained.info(name)["parameters"]
    with np.load(pretrained.folder() / pretrained.info(name)["file"]) as f:
        z, images = f["check/z"], f["check/images"]
    change = np.abs(sampling.run_generator(generator, z, pretrained.shipped_labels(generator, len(z))) - images).max()
    assert 0 < change < 1e-2  # float16 weights change something, but less than a hundredth
    assert all(w.dtype == "float32" for w in generator.weights)


def test_describe_says_how_it_was_trained():
    line = pretrained.describe("dcgan")
    t = pretrained.info("dcgan")["trained"]
    assert line.startswith("DCGAN from notebook 03's full run:") and f"{t['steps']:,} steps of 64" in line


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
    np.testing.assert_allclose(sampling.run_generator(copy, check["z"]), check["images"], atol=1e-2)


def test_load_weights_refuses_another_architecture(tmp_path):
    path = pretrained.save_weights(tiny_generator(), tmp_path / "tiny.npz")
    with pytest.raises(data.DataError, match="does not match the generator"):
        pretrained.load_weights(tiny_generator(width=8), path)


def test_the_shipped_checks_ask_a_conditional_generator_for_the_digits_in_turn():
    z_in, label_in = keras.Input((4,)), keras.Input((), dtype="int32")
    out = keras.layers.Reshape((28, 28, 1))(
        keras.layers.Dense(784)(keras.layers.Concatenate()([z_in, keras.layers.Embedding(10, 3)(label_in)]))
    )
    cgen = keras.Model([z_in, label_in], out)
    z = np.random.default_rng(0).standard_normal((12, 4)).astype("float32")
    labels = np.array([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1], dtype="int32")
    np.testing.assert_array_equal(pretrained.shipped_labels(cgen, 12), labels)
    assert pretrained.shipped_labels(tiny_generator(), 12) is None
    drawn = sampling.run_generator(cgen, z, pretrained.shipped_labels(cgen, 12))
    np.testing.assert_allclose(drawn, keras.ops.convert_to_numpy(cgen([z, labels])), atol=1e-6)


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
    assert line == (
        f"dcgan: the shipped weights, data/pretrained/dcgan.npz (notebook 03's full run: "
        f"{t['steps']:,} steps of 64, {t['seconds']:.0f} s)"
    )  # a steps= run: no "None epochs"
    assert t["epochs"] is None


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


# The shipped digit classifier (the judge of notebooks 04-07 on the MNIST sample).


@pytest.fixture
def empty_cache(tmp_path, monkeypatch):
    """Full mode, an empty classifier cache and nothing loaded yet: a fresh machine."""
    from ganlab import classifier

    monkeypatch.setenv("GANLAB_SMOKE", "0")
    monkeypatch.setenv(classifier.CACHE_ENV, str(tmp_path / "cache"))
    monkeypatch.setattr(classifier, "_loaded", {})
    return classifier


def test_shipped_classifier_matches_its_record_and_stands_for_the_samples_full_classifier(empty_cache):
    record = pretrained.manifest()["classifier"]
    path = pretrained.folder() / record["file"]
    assert data.sha256(path) == record["sha256"] and path.stat().st_size == record["bytes"] < 4e6
    mnist = data.load_mnist("sample", verbose=False)
    assert record["cache_file"] == empty_cache.cache_path(mnist).name, "the shipped file stands for this data+recipe"
    assert record["info"]["recipe"] == empty_cache.RECIPE and not record["info"]["smoke"]
    readme = (pretrained.folder().parent / "README.md").read_text()
    assert record["sha256"] in readme and f"{record['bytes']:,}" in readme, "update data/README.md for the classifier"


def test_an_empty_cache_loads_the_shipped_classifier_instead_of_training(empty_cache, monkeypatch, capsys):
    def refuse(*args, **kwargs):
        raise AssertionError("trained a classifier although the shipped one fits")

    monkeypatch.setattr(empty_cache, "_train", refuse)
    mnist = data.load_mnist("sample", verbose=False)
    judge = empty_cache.get_classifier(mnist)
    assert capsys.readouterr().out.startswith("Loaded the shipped digit classifier")
    probs, features = judge.predict(data.to_float(mnist.x_test))
    accuracy = float(np.mean(probs.argmax(axis=1) == mnist.y_test))
    assert accuracy == pytest.approx(judge.accuracy, abs=1e-9) and accuracy > 0.97  # its record is its own
    assert features.shape == (500, 128)


def test_other_data_never_gets_the_shipped_classifier(empty_cache, monkeypatch):
    mnist = data.load_mnist("sample", verbose=False)
    other = dataclasses.replace(mnist, x_train=mnist.x_train[:256], y_train=mnist.y_train[:256])
    trained = []
    monkeypatch.setattr(
        empty_cache, "_train", lambda m, steps: trained.append(len(m.x_train)) or empty_cache.build_model()
    )
    empty_cache.get_classifier(other, verbose=False)
    assert trained == [256]


def test_a_damaged_shipped_classifier_is_reported_and_replaced_by_training(
    empty_cache, copy_of_data, monkeypatch, capsys
):
    shutil.copy(Path(__file__).resolve().parent.parent / "data" / "mnist_sample.npz", copy_of_data.parent)
    record = pretrained.manifest()["classifier"]
    (copy_of_data / record["file"]).write_bytes(b"not a model")
    monkeypatch.setattr(empty_cache, "_train", lambda m, steps: empty_cache.build_model())
    mnist = data.load_mnist("sample", verbose=False)
    judge = empty_cache.get_classifier(mnist)
    out = capsys.readouterr().out
    assert "is damaged or missing (its sha256 does not match the manifest)" in out and "git checkout" in out
    assert out.splitlines()[-1].startswith("Trained the digit classifier") and judge.info["steps"] == 1400
