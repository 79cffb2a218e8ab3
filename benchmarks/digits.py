"""A small digit classifier that scores generated MNIST samples, shared by the benchmarks.

Trained on the real labels of whichever MNIST source is in use and cached in benchmarks/results/. The
evaluation issue moves this into ``ganlab.metrics``; until then the benchmarks keep their own copy here.
"""

from __future__ import annotations

from pathlib import Path

from ganlab import config

config.import_tensorflow()

import keras  # noqa: E402
import numpy as np  # noqa: E402

from ganlab import data  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"


def build_classifier() -> keras.Model:
    """Two conv blocks and a dense head: about 99% on MNIST, seconds per epoch on a CPU."""
    return keras.Sequential([
        keras.Input((28, 28, 1)),
        keras.layers.Conv2D(32, 3, activation="relu"),
        keras.layers.MaxPooling2D(),
        keras.layers.Conv2D(64, 3, activation="relu"),
        keras.layers.MaxPooling2D(),
        keras.layers.Flatten(),
        keras.layers.Dropout(0.4),
        keras.layers.Dense(128, activation="relu"),
        keras.layers.Dense(10, activation="softmax"),
    ], name="digit_classifier")


def classifier(mnist: data.ImageData, epochs: int = 15) -> tuple[keras.Model, float]:
    """The cached classifier for this data source (trained if missing) and its held-out accuracy."""
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"classifier-{mnist.source}.keras"
    x_test, y_test = data.to_float(mnist.x_test), mnist.y_test
    if path.exists():
        model = keras.models.load_model(path)
    else:
        config.set_seed(0)
        model = build_classifier()
        model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
        model.fit(data.to_float(mnist.x_train), mnist.y_train, epochs=epochs, batch_size=64, verbose=0)
        model.save(path)
    accuracy = float(np.mean(np.argmax(model.predict(x_test, verbose=0), axis=1) == y_test))
    return model, accuracy


def score(model: keras.Model, images: np.ndarray) -> dict[str, float]:
    """Confident-sample rate (max p > 0.9), the rarest digit's share, and the classifier score (max 10)."""
    p = model.predict(images, batch_size=500, verbose=0)  # (N, 10)
    shares = np.bincount(np.argmax(p, axis=1), minlength=10) / len(p)
    marginal = p.mean(axis=0)
    kl = np.sum(p * (np.log(p + 1e-12) - np.log(marginal + 1e-12)), axis=1)
    return {
        "confident": float(np.mean(p.max(axis=1) > 0.9)),
        "min_share": float(shares.min()),
        "classifier_score": float(np.exp(kl.mean())),
    }
