"""How the recipe search scores a generator: ``ganlab.metrics`` and a second, independent view of the same samples.

``ganlab.metrics`` sees images through the course's digit classifier (``ganlab.classifier``: two 3x3 conv blocks
with batch norm, ReLU, max pooling, a 128-feature layer). A search that tunes recipes against one network can
learn that network's quirks, so every sample is also scored by a second classifier that shares nothing with the
first but the training images: a LeNet-5-like network (5x5 convolutions, tanh, average pooling, no batch norm,
an 84-feature layer; LeCun et al. 1998), its own seed and no augmentation. Its confident share, rarest digit and
Fréchet distance (in its 84 features) are the ``second_*`` scores. It is trained once per data set and kept in
the classifier cache (``ganlab.classifier.cache_dir``).
"""

from __future__ import annotations

import json
import time

from ganlab import config

config.import_tensorflow()

import keras  # noqa: E402
import numpy as np  # noqa: E402

from ganlab import classifier, data, files, metrics, sampling  # noqa: E402

N_DISTRIBUTION = 500  # samples for the Fréchet distance and precision/recall: the sample's held-out set is 500
SECOND = "lenet5-tanh-avgpool-f84-b64-adam1e-3-3000steps-seed11-v1"  # change it whenever second_view changes


def _lenet() -> keras.Model:
    layers = keras.layers
    image = keras.Input((28, 28, 1))
    x = layers.Conv2D(6, 5, padding="same", activation="tanh")(image)
    x = layers.AveragePooling2D(2)(x)  # 14x14x6
    x = layers.Conv2D(16, 5, activation="tanh")(x)  # 10x10x16
    x = layers.AveragePooling2D(2)(x)  # 5x5x16
    x = layers.Dense(120, activation="tanh")(layers.Flatten()(x))
    features = layers.Dense(84, activation="tanh", name=classifier.FEATURES)(x)  # read as ganlab.classifier's
    return keras.Model(image, layers.Dense(10, activation="softmax")(features), name="second_view")


def second_view(mnist: data.ImageData) -> classifier.Classifier:
    """The second classifier for this data, as a ``ganlab.classifier.Classifier`` (probabilities and its 84
    features): from the cache, else trained (3,000 batches of 64, about a minute). ``held_out`` holds the features
    of the first N_DISTRIBUTION held-out images, which every Fréchet distance of this view compares with."""
    path = classifier.cache_dir() / f"second-{SECOND}-{classifier.data_hash(mnist)[:16]}.keras"
    try:
        second = classifier.Classifier(keras.models.load_model(path), json.loads(path.with_suffix(".json").read_text()))
    except Exception:  # missing, partial or from another Keras: train it afresh
        config.set_seed(11)
        rng = np.random.default_rng(11)
        model = _lenet()
        model.compile(keras.optimizers.Adam(1e-3), "sparse_categorical_crossentropy")
        idx = np.concatenate([rng.permutation(len(mnist.x_train)) for _ in range(-(-3000 * 64 // len(mnist.x_train)))])
        start = time.perf_counter()
        x, y = data.to_float(mnist.x_train[idx[: 3000 * 64]]), mnist.y_train[idx[: 3000 * 64]]
        model.fit(x, y, batch_size=64, shuffle=False, verbose=0)
        probs = model.predict(data.to_float(mnist.x_test), batch_size=500, verbose=0)
        info = {
            "data": f"{mnist.name} {mnist.source}",
            "n_test": len(mnist.x_test),
            "steps": 3000,
            "recipe": SECOND,
            "accuracy": float(np.mean(np.argmax(probs, axis=1) == mnist.y_test)),
            "train_seconds": round(time.perf_counter() - start, 1),
        }
        files.atomic_write(path, model.save)
        files.write_text(path.with_suffix(".json"), json.dumps(info))
        second = classifier.Classifier(model, info)
    second.held_out = second.predict(data.to_float(mnist.x_test[:N_DISTRIBUTION]))[1]
    return second


def score(mnist, clf, second, images) -> dict:
    """Per-sample scores on all images; distribution scores on the first N_DISTRIBUTION, as metrics.evaluate does;
    the second view's confident share, rarest digit and Fréchet distance (first N_DISTRIBUTION against as many
    held-out images)."""
    probs, _ = clf.predict(images)  # checked there: floats in [-1, 1], (N, 28, 28[, 1])
    shares = metrics.class_histogram(probs)
    full = metrics.evaluate(images[:N_DISTRIBUTION], mnist, N_DISTRIBUTION, classifier=clf)
    probs2, feats2 = second.predict(images)
    return {
        "confident": metrics.confident_rate(probs),
        "min_share": float(shares.min()),
        **{k: full[k] for k in ("frechet_distance", "precision", "recall")},
        "second_confident": metrics.confident_rate(probs2),
        "second_min_share": float(metrics.class_histogram(probs2).min()),
        "second_frechet": metrics.frechet_distance(feats2[:N_DISTRIBUTION], second.held_out),
    }


def real_scores(mnist, clf, second) -> dict:
    """The real held-out images' own scores at the same n (the row every table starts with)."""
    real = score(mnist, clf, second, data.to_float(mnist.x_test))
    reference = metrics.real_reference(mnist, N_DISTRIBUTION, classifier=clf)
    real.update({k: v for k, v in reference.items() if k in ("frechet_distance", "precision", "recall")})
    # The second view's real-vs-real distance: held-out images against as many training images.
    _, train2 = second.predict(data.to_float(mnist.x_train[:N_DISTRIBUTION]))
    real["second_frechet"] = metrics.frechet_distance(train2, second.held_out)
    return real


class ScoreAt(keras.callbacks.Callback):
    """Score the generator at given G step counts and training times (evaluation excluded); stop after both lists."""

    def __init__(self, steps, seconds, mnist, clf, second, n):
        super().__init__()
        self.steps, self.seconds = sorted(steps), sorted(seconds)
        self.mnist, self.clf, self.second, self.n = mnist, clf, second, n
        self.at_steps, self.at_seconds, self.paused = {}, {}, 0.0

    def on_train_begin(self, logs=None):
        self.start = time.perf_counter()

    def _score(self, step, elapsed):
        t0 = time.perf_counter()
        images = sampling.draw(self.model, self.n, seed=0)
        result = {**score(self.mnist, self.clf, self.second, images), "steps": step, "train_s": elapsed}
        self.paused += time.perf_counter() - t0
        return result

    def on_train_batch_end(self, batch, logs=None):
        step = int(self.model.g_optimizer.iterations.numpy())
        elapsed = time.perf_counter() - self.start - self.paused
        if any(s not in self.at_steps and step >= s for s in self.steps) or any(
            b not in self.at_seconds and elapsed >= b for b in self.seconds
        ):
            result = self._score(step, elapsed)
            for s in self.steps:
                self.at_steps.setdefault(s, result) if step >= s else None
            for b in self.seconds:
                self.at_seconds.setdefault(b, result) if elapsed >= b else None
        if len(self.at_steps) == len(self.steps) and len(self.at_seconds) == len(self.seconds):
            self.model.stop_training = True
