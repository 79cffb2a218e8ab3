"""ganlab.metrics and ganlab.classifier: closed forms, constructed clouds and probabilities, class_accuracy against
generators whose classes are known, the cache, the CLI."""

import contextlib
import io
import json

import keras
import numpy as np
import pytest

from ganlab import classifier, data, metrics
from ganlab.cli.main import main
from tiny_models import LATENT, tiny_discriminator, tiny_generator


@pytest.fixture(scope="module", autouse=True)
def cache(tmp_path_factory):
    """Every classifier of this module lives in a temporary cache, trained in smoke mode."""
    with pytest.MonkeyPatch.context() as mp:
        folder = tmp_path_factory.mktemp("cache")
        mp.setenv(classifier.CACHE_ENV, str(folder))
        mp.setenv("GANLAB_SMOKE", "1")
        mp.setattr(classifier, "_loaded", {})
        yield folder


@pytest.fixture(scope="module")
def mnist():
    return data.load_mnist("sample", verbose=False)


@pytest.fixture(scope="module")
def clf(mnist):
    """The smoke-mode classifier (60 steps, about 94% on the sample's held-out images), trained once."""
    with contextlib.redirect_stdout(io.StringIO()) as printed:
        model = classifier.get_classifier(mnist)
    model.printed = printed.getvalue()
    return model


def rotation(theta):
    return np.array([[np.cos(theta), -np.sin(theta)], [np.sin(theta), np.cos(theta)]])


# Fréchet distance against closed forms.


def test_frechet_1d_is_mean_gap_plus_std_gap():
    # (m1 - m2)^2 + (s1 - s2)^2 with s = standard deviations 2 and 3.
    assert metrics.frechet_from_stats([1.0], [[4.0]], [-2.0], [[9.0]]) == pytest.approx(9 + 1)


def test_frechet_diagonal_covariances():
    a, b = np.array([1.0, 4.0, 0.25]), np.array([9.0, 1.0, 0.25])
    mu1, mu2 = np.array([0.0, 1.0, 2.0]), np.array([1.0, 1.0, 0.0])
    expected = np.sum((mu1 - mu2) ** 2) + np.sum((np.sqrt(a) - np.sqrt(b)) ** 2)
    assert metrics.frechet_from_stats(mu1, np.diag(a), mu2, np.diag(b)) == pytest.approx(expected)


def test_frechet_non_commuting_covariances():
    s1 = np.diag([4.0, 1.0])
    s2 = rotation(0.7) @ np.diag([9.0, 0.25]) @ rotation(0.7).T
    assert not np.allclose(s1 @ s2, s2 @ s1)
    # For 2x2 PSD M = S1 S2 (similar to S1^1/2 S2 S1^1/2): tr M^1/2 = sqrt(tr M + 2 sqrt(det M)).
    m = s1 @ s2
    cross = np.sqrt(np.trace(m) + 2 * np.sqrt(np.linalg.det(m)))
    mu1, mu2 = np.array([1.0, 0.0]), np.array([0.0, 2.0])
    expected = 1 + 4 + np.trace(s1) + np.trace(s2) - 2 * cross
    assert metrics.frechet_from_stats(mu1, s1, mu2, s2) == pytest.approx(expected)
    # A rotation of both leaves the distance unchanged.
    r = rotation(-1.1)
    assert metrics.frechet_from_stats(r @ mu1, r @ s1 @ r.T, r @ mu2, r @ s2 @ r.T) == pytest.approx(expected)


def test_frechet_from_samples_approaches_the_closed_form():
    rng = np.random.default_rng(0)
    s2 = rotation(0.7) @ np.diag([9.0, 0.25]) @ rotation(0.7).T
    a = rng.multivariate_normal([1.0, 0.0], np.diag([4.0, 1.0]), 40_000)
    b = rng.multivariate_normal([0.0, 2.0], s2, 40_000)
    exact = metrics.frechet_from_stats([1.0, 0.0], np.diag([4.0, 1.0]), [0.0, 2.0], s2)
    assert metrics.frechet_distance(a, b) == pytest.approx(exact, rel=0.03)


@pytest.mark.parametrize("n, d", [(300, 16), (50, 128)])  # the second has singular covariances (n < d)
def test_frechet_of_identical_sets_is_zero(n, d):
    x = np.random.default_rng(1).standard_normal((n, d))
    assert abs(metrics.frechet_distance(x, x)) < 1e-6 * d


# Scores on constructed probabilities.


def test_classifier_score_extremes():
    eye = np.eye(10)
    assert metrics.classifier_score(np.repeat(eye, 5, axis=0)) == pytest.approx(10, rel=1e-6)  # confident, balanced
    assert metrics.classifier_score(np.tile(eye[3], (50, 1))) == pytest.approx(1)  # one class only
    assert metrics.classifier_score(np.full((50, 10), 0.1)) == pytest.approx(1)  # never sure


def test_confident_rate_histogram_and_coverage():
    p = np.full((4, 10), 0.0)
    p[0, 2], p[1, 2], p[2, 5] = 1.0, 1.0, 0.95
    p[2, 0] = 0.05
    p[3, :] = 0.1
    p[3, 7] = 0.1 + 1e-6
    p[3] /= p[3].sum()
    assert metrics.confident_rate(p) == 0.75
    np.testing.assert_allclose(metrics.class_histogram(p), np.eye(10)[[2, 2, 5, 7]].mean(axis=0))
    assert metrics.coverage(p) == 3  # digits 2, 5 and 7 get at least 5% each


# Precision and recall on constructed point clouds.


def test_precision_recall_identical_clouds():
    x = np.random.default_rng(2).standard_normal((500, 2))
    assert metrics.precision_recall(x, x) == (1.0, 1.0)


def test_precision_recall_when_fakes_cover_half_the_real_data():
    rng = np.random.default_rng(3)
    real = rng.uniform(0, 1, (2000, 2)) * [2, 1]  # the rectangle [0, 2] x [0, 1]
    fake = rng.uniform(0, 1, (1000, 2))  # its left half, at the same density
    precision, recall = metrics.precision_recall(real, fake, k=3)
    assert precision > 0.9  # a k-NN manifold misses a few points even of the same distribution
    assert recall == pytest.approx(0.5, abs=0.05)


def test_precision_recall_disjoint_clouds():
    rng = np.random.default_rng(4)
    assert metrics.precision_recall(rng.standard_normal((300, 4)), rng.standard_normal((300, 4)) + 50) == (0.0, 0.0)


# The memorization check.


def test_nearest_training_finds_copies(mnist):
    train = mnist.x_train[:300]
    picks = np.array([17, 3, 250, 99])
    idx, dist = metrics.nearest_training(train[picks], train, k=2)
    np.testing.assert_array_equal(idx[:, 0], picks)
    np.testing.assert_allclose(dist[:, 0], 0, atol=1e-9)
    assert np.all(dist[:, 1] > 1) and idx.shape == dist.shape == (4, 2)
    shifted = np.roll(data.to_float(train[picks]), 3, axis=2)  # a moved copy is no longer a copy
    assert np.all(metrics.nearest_training(shifted, train)[1] > 1)


def test_plot_nearest_shows_each_sample_beside_its_neighbours(mnist):
    fig = metrics.plot_nearest(mnist.x_train[:2], mnist.x_train[:50], n=2, k=2)
    titles = [ax.get_title() for ax in fig.axes]
    assert titles == ["sample", "d=0.00", titles[2], "sample", "d=0.00", titles[5]]
    assert titles[2].startswith("d=") and float(titles[2][2:]) > 1


# Errors for people.


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: metrics.frechet_distance(np.zeros((1, 3)), np.zeros((5, 3))), "1 samples; at least 2"),
        (lambda: metrics.frechet_distance(np.zeros((5, 3)), np.zeros((5, 4))), "3 and 4 features"),
        (lambda: metrics.frechet_distance(np.zeros(5), np.zeros(5)), "2-D array"),
        (lambda: metrics.frechet_distance(np.full((5, 2), np.inf), np.zeros((5, 2))), "non-finite"),
        (lambda: metrics.frechet_from_stats([0, 0], np.eye(2), [0], np.eye(2)), "must agree"),
        (lambda: metrics.precision_recall(np.zeros((5, 2)), np.zeros((9, 2)), k=5), "k must be an int from 1 to 4"),
        (lambda: metrics.classifier_score(np.full((3, 10), 0.5)), "summing to 1"),
        (lambda: metrics.confident_rate(-np.eye(3)), "non-negative"),
    ],
)
def test_metric_functions_reject_bad_input(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_n_is_checked_against_the_real_reference(mnist, clf):
    assert metrics.max_n(mnist) == 2250  # 500 held-out images, or 2,250 + 2,250 training images
    x = data.to_float(mnist.x_test[:50])
    with pytest.raises(ValueError, match="only 50 images"):
        metrics.evaluate(x, mnist, n=60, classifier=clf)
    with pytest.raises(ValueError, match=r"from 10 to 2,250 \(the most for MNIST sample"):
        metrics.real_reference(mnist, 3000, classifier=clf)
    with pytest.raises(ValueError, match="from 10"):
        metrics.evaluate(x[:5], mnist, classifier=clf)
    with pytest.raises(ValueError, match="same n"):
        metrics.format_table(
            metrics.evaluate(x, mnist, classifier=clf), metrics.real_reference(mnist, 60, classifier=clf)
        )


# The classifier, its cache, and what it sees.

# class_accuracy: asked for each digit, how often the judge sees it.


def lookup_generator(images):
    """A 'generator' that ignores z and returns ``images[label]``: its output for each label is known."""
    z, y = keras.Input((LATENT,)), keras.Input((), dtype="int32")
    table = keras.layers.Embedding(
        10, 784, embeddings_initializer=keras.initializers.Constant(images.reshape(10, 784)), trainable=False
    )
    x = keras.layers.Reshape((28, 28, 1))(table(y))
    return keras.Model([z, y], keras.layers.Add()([x, 0.0 * keras.layers.Dense(1)(z)[:, :, None, None]]))


class GreyLevelClassifier:
    """A stub judge: an image filled with grey level -0.9 + 0.2 k is digit k."""

    def predict(self, images):
        k = np.clip(np.round((np.asarray(images).mean(axis=(1, 2, 3)) + 0.9) / 0.2), 0, 9).astype(int)
        return np.eye(10)[k], np.zeros((len(k), 128))


def test_class_accuracy_against_a_generator_whose_classes_are_known():
    levels = -0.9 + 0.2 * np.arange(10)
    flat = np.ones((10, 28, 28)) * levels[:, None, None]  # image k is digit k for the stub judge
    perfect = metrics.class_accuracy(lookup_generator(flat), GreyLevelClassifier(), n_per_class=7)
    assert perfect["mean"] == 1.0 and np.all(perfect["confusion"] == 7 * np.eye(10))
    perm = np.array([0, 1, 2, 3, 4, 5, 6, 8, 9, 7])  # asked for 7, 8, 9 it draws 8, 9, 7
    mixed = metrics.class_accuracy(lookup_generator(flat[perm]), GreyLevelClassifier(), n_per_class=3)
    np.testing.assert_array_equal(mixed["per_class"], [1, 1, 1, 1, 1, 1, 1, 0, 0, 0])
    assert mixed["mean"] == pytest.approx(0.7) and np.all(mixed["confusion"] == 3 * np.eye(10)[perm])


def test_class_accuracy_with_the_real_classifier_on_real_digits(mnist, clf):
    judge = clf
    first = np.array([np.flatnonzero(mnist.y_test == k)[0] for k in range(10)])  # a real image of each digit
    real = data.to_float(mnist.x_test[first])[..., 0]
    right = metrics.class_accuracy(lookup_generator(real), judge, n_per_class=2)
    shifted = metrics.class_accuracy(lookup_generator(real[(np.arange(10) + 1) % 10]), judge, n_per_class=2)
    seen = judge.predict(real)[0].argmax(axis=1)  # the digit the judge reads in each real image
    np.testing.assert_array_equal(right["per_class"], seen == np.arange(10))
    np.testing.assert_array_equal(shifted["per_class"], seen[(np.arange(10) + 1) % 10] == np.arange(10))
    assert right["mean"] >= 0.8 and shifted["mean"] <= 0.2


def test_class_accuracy_checks_its_inputs():
    with pytest.raises(ValueError, match=r"labels are for a conditional generator \(\[z, label\]\); '\w+' takes z"):
        metrics.class_accuracy(tiny_generator(), GreyLevelClassifier())
    with pytest.raises(ValueError, match="must be a GAN or a built Keras model with declared inputs, got str"):
        metrics.class_accuracy("generator.keras", GreyLevelClassifier())
    flat = lookup_generator(np.zeros((10, 28, 28)))
    with pytest.raises(ValueError, match="n_per_class must be a positive int, got 0"):
        metrics.class_accuracy(flat, GreyLevelClassifier(), n_per_class=0)
    with pytest.raises(ValueError, match="classifier must have .predict"):
        metrics.class_accuracy(flat, "judge")


def test_cache_round_trip_trains_once(mnist, clf, cache, monkeypatch, capsys):
    assert clf.printed.startswith("Trained the digit classifier") and clf.printed.count("\n") == 1
    path = classifier.cache_path(mnist)
    assert sorted(p.name for p in cache.iterdir()) == [path.with_suffix(".json").name, path.name]  # no temp files
    monkeypatch.setattr(classifier, "_loaded", {})

    def refuse(*args, **kwargs):
        raise AssertionError("trained again instead of loading the cache")

    monkeypatch.setattr(classifier, "_train", refuse)
    loaded = classifier.get_classifier(mnist)
    assert capsys.readouterr().out == "" and loaded is not clf
    x = data.to_float(mnist.x_test[:8])
    np.testing.assert_allclose(loaded.predict(x)[1], clf.predict(x)[1], atol=1e-5)
    assert loaded.info == clf.info and loaded.accuracy == clf.accuracy


def test_a_damaged_cache_file_is_retrained(mnist, tmp_path, monkeypatch):
    monkeypatch.setenv(classifier.CACHE_ENV, str(tmp_path))
    monkeypatch.setattr(classifier, "_train", lambda mnist, steps: classifier.build_model())
    path = classifier.cache_path(mnist, steps=2)
    path.write_bytes(b"half a file")
    assert classifier.get_classifier(mnist, steps=2, verbose=False).info["steps"] == 2
    assert path.stat().st_size > 1000 and path.with_suffix(".json").is_file()


def test_smoke_and_full_classifiers_never_share_a_file(mnist, monkeypatch):
    smoke = classifier.cache_path(mnist)
    monkeypatch.setenv("GANLAB_SMOKE", "0")
    full = classifier.cache_path(mnist)
    assert smoke != full and "smoke60" in smoke.name and "full1400" in full.name
    other = data.ImageData(
        mnist.x_train[::-1],
        mnist.y_train[::-1],
        mnist.x_test,
        mnist.y_test,
        name="MNIST",
        source="sample",
        path=mnist.path,
        note="",
    )
    assert classifier.cache_path(other) != full  # same file name, different content


def test_random_shift_moves_by_whole_pixels():
    image = np.zeros((1, 28, 28), np.uint8)
    image[0, 10:15, 12:14] = 255
    shifted = classifier.random_shift(np.repeat(image, 200, axis=0), np.random.default_rng(0))
    rows, cols = np.nonzero(shifted.sum(axis=(0, 2)))[0], np.nonzero(shifted.sum(axis=(0, 1)))[0]
    assert (rows.min(), rows.max(), cols.min(), cols.max()) == (8, 16, 10, 15)
    assert np.all(shifted.reshape(200, -1).sum(axis=1) == image.sum())  # nothing cut off, nothing added


def test_trained_classifier_ranks_real_digits_far_above_noise(mnist, clf):
    assert clf.accuracy > 0.8  # smoke training; the full recipe reaches about 98%
    real = metrics.real_reference(mnist, 100, classifier=clf)
    noise = metrics.evaluate(np.random.default_rng(0).uniform(-1, 1, (100, 28, 28)), mnist, classifier=clf)
    assert real["images"] == "100 held-out images"
    assert 5 * real["frechet_distance"] < noise["frechet_distance"]
    assert real["precision"] > 0.8 and noise["precision"] < 0.1
    assert real["recall"] > 0.7 and noise["recall"] < 0.1
    assert real["classifier_score"] > 3 * noise["classifier_score"]
    assert real["coverage"] == 10


def test_images_of_one_digit_cover_one_class(mnist, clf):
    sevens = data.to_float(mnist.x_test[mnist.y_test == 7])  # a generator that only draws 7s
    result = metrics.evaluate(sevens, mnist, classifier=clf)
    # The smoke classifier (60 steps) misreads a few 7s, as 9s say; how many depends on the backend it trained on.
    assert result["coverage"] <= 2 and np.argmax(result["histogram"]) == 7 and result["histogram"][7] >= 0.85
    assert result["classifier_score"] < 1.5
    assert result["recall"] < 0.3  # one digit out of ten


def test_copies_of_training_images_are_flagged(mnist, clf):
    copies = metrics.evaluate(data.to_float(mnist.x_train[:100]), mnist, classifier=clf)
    assert copies["nearest_train_median"] == pytest.approx(0, abs=1e-6)
    # A reference beyond the held-out images uses other training images, never scored against themselves.
    real = metrics.real_reference(mnist, 600, classifier=clf)
    assert real["images"] == "600 other training images" and real["nearest_train_median"] > 5


# python -m ganlab evaluate


@pytest.fixture
def real_npy(mnist, tmp_path):
    path = tmp_path / "real.npy"
    np.save(path, data.to_float(mnist.x_test[:40]))
    return path


def test_cli_evaluates_an_npy_and_writes_json(real_npy, tmp_path, clf, capsys):
    out = tmp_path / "scores.json"
    assert main(["evaluate", str(real_npy), "--data", "sample", "--json", str(out)]) == 0
    text = capsys.readouterr().out
    assert "| metric" in text and "real data" in text and "40 held-out images" in text
    result = json.loads(out.read_text())
    assert result["n"] == result["samples"]["n"] == result["real"]["n"] == 40
    assert result["samples"]["coverage"] >= 7 and result["classifier"]["steps"] == 60


def test_cli_evaluates_a_generator(tmp_path, clf, capsys):
    path = tmp_path / "generator.keras"
    tiny_generator().save(path)
    assert main(["evaluate", str(path), "--n", "30", "--data", "sample"]) == 0
    text = capsys.readouterr().out
    assert "30 samples from" in text and "Fréchet distance" in text


@pytest.mark.parametrize(
    "make_args, message",
    [
        (lambda d, npy: [str(d / "missing.npy")], "no such file"),
        (lambda d, npy: [str(d / "missing.keras")], "no such file"),
        (lambda d, npy: [str(npy.with_suffix(".txt"))], "neither a generator (.keras) nor samples (.npy)"),
        (
            lambda d, npy: [str((d / "junk.npy").write_bytes(b"junk") and d / "junk.npy")],
            "could not be read as a NumPy",
        ),
        (
            lambda d, npy: [str(np.save(d / "rgb.npy", np.zeros((20, 28, 28, 3))) or d / "rgb.npy")],
            "got (20, 28, 28, 3)",
        ),
        (lambda d, npy: [str(np.save(d / "nan.npy", np.full((20, 28, 28), np.nan)) or d / "nan.npy")], "non-finite"),
        (lambda d, npy: [str(np.save(d / "big.npy", np.full((20, 28, 28), 9.0)) or d / "big.npy")], "[-1, 1]"),
        (lambda d, npy: [str(npy), "--n", "41"], "holds only 40 images"),
        (lambda d, npy: [str(npy), "--n", "5"], "n must be an int from 10"),
        (lambda d, npy: [str(npy), "--json", str(d / "out.txt")], "must end in .json"),
        (lambda d, npy: [str(tiny_discriminator().save(d / "d.keras") or d / "d.keras")], "is it a discriminator"),
        (
            lambda d, npy: [str(tiny_generator().save(d / "g.keras") or d / "g.keras"), "--n", "3000"],
            "more than the 2,250",
        ),
    ],
)
def test_cli_evaluate_errors_are_one_line(real_npy, tmp_path, capsys, make_args, message):
    assert main(["evaluate", *make_args(tmp_path, real_npy), "--data", "sample"]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and err.count("\n") == 1
