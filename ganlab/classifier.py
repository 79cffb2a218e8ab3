"""The digit classifier that ``ganlab.metrics`` measures generated images with, trained once and cached on disk.

A small CNN trained on the real labels of whichever MNIST source is in use (the full set or the shipped sample),
with random shifts of up to 2 pixels as augmentation. It plays the part Inception-v3 plays for FID on photos: its
class probabilities give the classifier score, its penultimate layer (128 features) the Fréchet distance and the
precision/recall manifolds. The trained network is cached in ``$GANLAB_CACHE`` (default ``data/cache/``), keyed
by the data's content hash and the training recipe, so a change of either retrains; smoke mode trains for
seconds and caches under its own key. The course also ships the full classifier for the shipped MNIST sample in
``data/pretrained/`` (``SHIPPED``, sha256-checked, recorded in its manifest): on a cache miss for exactly that
data and recipe it is loaded instead of trained, so a classroom on the sample never waits for it.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path

from ganlab import checks, config, data, files

config.import_tensorflow()

import keras  # noqa: E402
import numpy as np  # noqa: E402

CACHE_ENV = "GANLAB_CACHE"
RECIPE = "cnn32-64-bn-f128-shift2-b64-adam2e-3-cos-bn0.9-v2"  # change it whenever build_model or _train changes
BATCH = 64
MAX_SHIFT = 2
FEATURES = "features"  # the penultimate layer's name
SHIPPED = "classifier.keras"  # the full classifier for the shipped sample, in data/pretrained/


def cache_dir() -> Path:
    """Where trained classifiers are kept: ``$GANLAB_CACHE``, else ``cache/`` in the data folder."""
    return Path(os.environ.get(CACHE_ENV) or data.data_dir() / "cache")


def data_hash(mnist: data.ImageData) -> str:
    """SHA-256 of the image and label arrays, so the cache follows the data's content, not a file name."""
    digest = hashlib.sha256()
    for name in ("x_train", "y_train", "x_test", "y_test"):
        array = np.ascontiguousarray(getattr(mnist, name))
        digest.update(f"{name}{array.shape}{array.dtype}".encode())
        digest.update(array.tobytes())
    return digest.hexdigest()


def build_model() -> keras.Model:
    """Two conv blocks with BatchNorm, a 128-unit feature layer, and softmax over 10 digits (about 422k weights)."""
    layers = keras.layers
    image = keras.Input((28, 28, 1))
    x = image
    for channels in (32, 64):
        x = layers.Conv2D(channels, 3, padding="same", use_bias=False)(x)
        x = layers.BatchNormalization(momentum=0.9)(x)
        x = layers.MaxPooling2D()(layers.ReLU()(x))  # (B, 14, 14, 32), then (B, 7, 7, 64)
    x = layers.Dense(128, use_bias=False)(layers.Flatten()(x))
    features = layers.ReLU(name=FEATURES)(layers.BatchNormalization(momentum=0.9)(x))  # (B, 128)
    probs = layers.Dense(10, activation="softmax")(layers.Dropout(0.4)(features))
    return keras.Model(image, probs, name="digit_classifier")


def random_shift(images: np.ndarray, rng: np.random.Generator, max_shift: int = MAX_SHIFT) -> np.ndarray:
    """Move each uint8 image (N, 28, 28) by a random whole number of pixels in [-max_shift, max_shift], zero-filled."""
    n, h, w = images.shape
    padded = np.pad(images, ((0, 0), (max_shift, max_shift), (max_shift, max_shift)))
    rows = rng.integers(0, 2 * max_shift + 1, n)[:, None] + np.arange(h)  # (N, H)
    cols = rng.integers(0, 2 * max_shift + 1, n)[:, None] + np.arange(w)  # (N, W)
    return padded[np.arange(n)[:, None, None], rows[:, :, None], cols[:, None, :]]


def _train(mnist: data.ImageData, steps: int, seed: int = 0) -> keras.Model:
    """Adam with cosine decay for ``steps`` batches of shifted training images (reseeds the global RNGs)."""
    config.set_seed(seed)
    rng = np.random.default_rng(seed)
    model = build_model()
    schedule = keras.optimizers.schedules.CosineDecay(2e-3, steps, alpha=0.02)
    model.compile(keras.optimizers.Adam(schedule), "sparse_categorical_crossentropy")
    done = 0
    while done < steps:  # one pass over a fresh shuffle, or the part of it the remaining steps need
        idx = rng.permutation(len(mnist.x_train))[: (steps - done) * BATCH]
        idx = idx[: len(idx) // BATCH * BATCH]
        x = data.to_float(random_shift(mnist.x_train[idx], rng))
        model.fit(x, mnist.y_train[idx], batch_size=BATCH, epochs=1, shuffle=False, verbose=0)
        done += len(idx) // BATCH
    return model


class Classifier:
    """A trained digit classifier: class probabilities and penultimate-layer features of images in [-1, 1]."""

    def __init__(self, model: keras.Model, info: dict):
        self.model, self.info = model, info
        self.accuracy = info["accuracy"]
        self._both = keras.Model(model.inputs, [model.output, model.get_layer(FEATURES).output])

    def predict(self, images: np.ndarray, batch_size: int = 500) -> tuple[np.ndarray, np.ndarray]:
        """Probabilities (N, 10) and features (N, 128) of images in [-1, 1] (or uint8), checked first."""
        x = checks.images(images, size=(28, 28))  # (N, 28, 28, 1) float32 in [-1, 1]
        probs, features = self._both.predict(x, batch_size=batch_size, verbose=0)
        return probs.astype(np.float64), features.astype(np.float64)

    def __repr__(self) -> str:
        return (
            f"Classifier({self.info['data']}, held-out accuracy {self.accuracy:.1%} on "
            f"{self.info['n_test']:,} images, {self.info['steps']} training steps)"
        )


_loaded: dict[str, Classifier] = {}  # cache file -> Classifier, so a notebook loads it once


def _steps(steps) -> int:
    """The training length: ``steps`` if given, else 1400 (60 in smoke mode, enough for about 94%)."""
    steps = steps if steps is not None else config.pick(full=1400, smoke=60)
    checks.positive_int(steps, "steps")
    return steps


def cache_path(mnist: data.ImageData, steps: int | None = None) -> Path:
    """The classifier's file for this data, recipe, length and mode (smoke runs never reuse a full run's file)."""
    mode = f"{'smoke' if config.is_smoke() else 'full'}{_steps(steps)}"
    return cache_dir() / f"digits-{RECIPE}-{mode}-{data_hash(mnist)[:16]}.keras"


def get_classifier(mnist: data.ImageData | None = None, steps: int | None = None, verbose: bool = True) -> Classifier:
    """The cached classifier for this data, trained (and cached) first if missing; ``steps`` as in ``_steps``."""
    mnist = mnist if mnist is not None else data.load_mnist(verbose=verbose)
    if not isinstance(mnist, data.ImageData):
        raise checks.BadInput(f"mnist must be the ImageData that data.load_mnist() returns, got {type(mnist).__name__}")
    if len(mnist.x_train) < BATCH:
        raise checks.BadInput(f"the classifier needs at least {BATCH} training images, got {len(mnist.x_train)}")
    steps, path = _steps(steps), cache_path(mnist, steps)
    meta = path.with_suffix(".json")
    if str(path) in _loaded:
        return _loaded[str(path)]
    try:
        clf = Classifier(keras.models.load_model(path), json.loads(meta.read_text()))
    except Exception:  # missing, partial or from another Keras: the shipped one if it fits, else train afresh
        clf = shipped(path, verbose) or _train_and_cache(mnist, steps, path, verbose)
    _loaded[str(path)] = clf
    return clf


def shipped(path: Path, verbose: bool = True) -> Classifier | None:
    """The classifier shipped in ``data/pretrained/`` if it is the one ``path`` would cache, else None.

    A damaged shipped file is reported in one line and ignored (the caller then trains a new classifier).
    """
    from ganlab import pretrained  # the manifest's reader; imported here as pretrained needs no classifier

    try:
        record = pretrained.manifest().get("classifier") or {}
    except data.DataError:
        return None
    if record.get("cache_file") != path.name:
        return None
    file = pretrained.folder() / record["file"]
    try:
        data.verify_file(file, record["sha256"], "")
        model = keras.models.load_model(file)
    except Exception as err:
        if verbose:
            why = "its sha256 does not match the manifest" if isinstance(err, data.DataError) else type(err).__name__
            print(
                f"{data.relative(file)} is damaged or missing ({why}); training a new digit classifier instead. "
                f"To restore the shipped one: git checkout -- {data.relative(file)}"
            )
        return None
    info = record["info"]
    if verbose:
        print(
            f"Loaded the shipped digit classifier ({data.relative(file)}): trained on {info['data']} "
            f"({info['steps']} steps, {info['train_seconds']:.0f} s), held-out accuracy {info['accuracy']:.1%} on "
            f"{info['n_test']:,} images"
        )
    return Classifier(model, info)


def _train_and_cache(mnist: data.ImageData, steps: int, path: Path, verbose: bool) -> Classifier:
    """Train the classifier, measure its held-out accuracy, and write it and its record into the cache."""
    start = time.perf_counter()
    model = _train(mnist, steps)
    seconds = time.perf_counter() - start
    probs = model.predict(data.to_float(mnist.x_test), batch_size=500, verbose=0)
    accuracy = float(np.mean(np.argmax(probs, axis=1) == mnist.y_test))
    info = {
        "data": f"{mnist.name} {mnist.source}",
        "n_train": len(mnist.x_train),
        "n_test": len(mnist.x_test),
        "steps": steps,
        "smoke": config.is_smoke(),
        "recipe": RECIPE,
        "accuracy": accuracy,
        "train_seconds": round(seconds, 1),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    files.atomic_write(path, model.save)
    files.atomic_write(path.with_suffix(".json"), lambda tmp: Path(tmp).write_text(json.dumps(info, indent=1)))
    if verbose:
        print(
            f"Trained the digit classifier on {info['data']} ({steps} steps) in {seconds:.0f} s: held-out "
            f"accuracy {accuracy:.1%} on {len(mnist.x_test):,} images; cached in {data.relative(path.parent)}/"
        )
    return Classifier(model, info)


def save_for_shipping(clf: Classifier, path) -> None:
    """Write ``clf``'s network without optimizer state (about a third of a cached file), atomically."""
    bare = build_model()
    bare.set_weights(clf.model.get_weights())
    files.atomic_write(path, bare.save)
