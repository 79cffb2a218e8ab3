"""Measuring a GAN on MNIST: distances and scores computed in a digit classifier's eyes, beside real data's own.

``evaluate(images)`` scores generated digits with the classifier from ``ganlab.classifier``: the Fréchet distance
between Gaussians fitted to its penultimate-layer features (FID's recipe), the classifier score (the Inception Score
analogue, 1 to 10), the share of confident samples, the class histogram and coverage, precision and recall of the
k-nearest-neighbour manifolds (Kynkäänniemi et al., 2019) and the distance to the nearest training image (a copy
check). ``real_reference(mnist, n)`` gives the same numbers for held-out real images at the same ``n``: Fréchet
distance is biased by the sample size, so a number means something only next to real data's own at the same n.
``class_accuracy`` asks a conditional generator for each digit and counts how often the classifier agrees.
"""

from __future__ import annotations

import numpy as np

from ganlab import checks, data, sampling
from ganlab.classifier import get_classifier

MIN_N = 10
CONFIDENT = 0.9
SIZE = (28, 28)  # the classifier's images: (N, 28, 28) or (N, 28, 28, 1)


def _points(x, name: str, min_n: int = 2) -> np.ndarray:
    """A finite (N, d) float64 array with N >= min_n."""
    x = checks.finite_array(x, name)
    if x.ndim != 2:
        raise checks.BadInput(f"{name} must be a 2-D array (N samples, d features), got shape {x.shape}")
    if len(x) < min_n:
        raise checks.BadInput(
            f"{name} has {len(x)} samples; at least {min_n} are needed (a covariance or k-th "
            "neighbour needs several points)"
        )
    return x


def _probs(p) -> np.ndarray:
    """Check class probabilities: (N, K), non-negative, each row summing to 1."""
    p = _points(p, "probabilities", min_n=1)
    if p.min() < 0 or not np.allclose(p.sum(axis=1), 1.0, atol=1e-3):
        raise checks.BadInput(
            "probabilities must be non-negative with rows summing to 1 (a softmax output), got rows "
            f"summing to [{p.sum(axis=1).min():.3g}, {p.sum(axis=1).max():.3g}]"
        )
    return p


def frechet_from_stats(mu1, cov1, mu2, cov2) -> float:
    """||mu1 - mu2||^2 + tr(S1 + S2 - 2 (S1 S2)^1/2), with tr (S1 S2)^1/2 from eigenvalues of S1^1/2 S2 S1^1/2."""
    mu1, mu2 = np.atleast_1d(mu1).astype(np.float64), np.atleast_1d(mu2).astype(np.float64)
    cov1, cov2 = np.atleast_2d(cov1).astype(np.float64), np.atleast_2d(cov2).astype(np.float64)
    d = len(mu1)
    if mu2.shape != (d,) or cov1.shape != (d, d) or cov2.shape != (d, d):
        raise checks.BadInput(
            f"means and covariances must agree: got {mu1.shape}, {cov1.shape}, {mu2.shape}, {cov2.shape}"
        )
    w, v = np.linalg.eigh(cov1)
    root1 = (v * np.sqrt(np.clip(w, 0, None))) @ v.T  # S1^1/2, symmetric
    inner = root1 @ cov2 @ root1
    cross = np.sqrt(np.clip(np.linalg.eigvalsh((inner + inner.T) / 2), 0, None)).sum()
    return float(max(np.sum((mu1 - mu2) ** 2) + np.trace(cov1) + np.trace(cov2) - 2 * cross, 0.0))


def frechet_distance(features_a, features_b) -> float:
    """Fréchet distance between Gaussians fitted to two feature sets (N, d): FID's formula, any features."""
    a, b = _points(features_a, "features_a"), _points(features_b, "features_b")
    if a.shape[1] != b.shape[1]:
        raise checks.BadInput(f"the two feature sets have {a.shape[1]} and {b.shape[1]} features; they must match")
    return frechet_from_stats(a.mean(0), np.cov(a, rowvar=False), b.mean(0), np.cov(b, rowvar=False))


def classifier_score(probs) -> float:
    """exp E_x[KL(p(y|x) || p(y))]: 1 when every sample looks alike, K (10) for confident and balanced classes."""
    p = _probs(probs)
    marginal = p.mean(axis=0)
    kl = np.sum(p * (np.log(p + 1e-12) - np.log(marginal + 1e-12)), axis=1)
    return float(np.exp(kl.mean()))


def confident_rate(probs, threshold: float = CONFIDENT) -> float:
    """Share of samples whose most likely class has probability above ``threshold``."""
    return float(np.mean(_probs(probs).max(axis=1) > threshold))


def class_histogram(probs) -> np.ndarray:
    """Share of samples assigned (argmax) to each class, shape (K,)."""
    p = _probs(probs)
    return np.bincount(np.argmax(p, axis=1), minlength=p.shape[1]) / len(p)


def coverage(probs) -> int:
    """How many classes get at least half their fair share (1/2K) of the samples."""
    shares = class_histogram(probs)
    return int(np.sum(shares >= 0.5 / len(shares)))


def _sq_dists(a: np.ndarray, b: np.ndarray, rows: int):
    """Yield the squared distances of a[i:i + rows] to all of b, for i = 0, rows, ...: chunks bound the memory."""
    b_sq = np.sum(b * b, axis=1)
    for start in range(0, len(a), rows):
        chunk = a[start : start + rows]
        yield np.maximum(np.sum(chunk * chunk, axis=1)[:, None] + b_sq[None, :] - 2 * chunk @ b.T, 0)


def _kth_radius(x: np.ndarray, k: int) -> np.ndarray:
    """Squared distance of each point to its k-th nearest other point in the same set."""
    rows = max(1, 2**24 // len(x))
    return np.concatenate([np.partition(d, k, axis=1)[:, k] for d in _sq_dists(x, x, rows)])


def _inside(points: np.ndarray, centres: np.ndarray, radii: np.ndarray) -> np.ndarray:
    """True for each point that lies inside at least one centre's ball."""
    rows = max(1, 2**24 // len(centres))
    return np.concatenate([np.any(d <= radii[None, :], axis=1) for d in _sq_dists(points, centres, rows)])


def precision_recall(real_features, fake_features, k: int = 3) -> tuple[float, float]:
    """Kynkäänniemi et al. (2019): precision = share of fakes inside the real k-NN manifold, recall the reverse."""
    real, fake = _points(real_features, "real_features"), _points(fake_features, "fake_features")
    if real.shape[1] != fake.shape[1]:
        raise checks.BadInput(f"real and fake features have {real.shape[1]} and {fake.shape[1]} dimensions")
    k = checks.integer(k, "k", 1, min(len(real), len(fake)) - 1, "fewer than the points in each set")
    precision = _inside(fake, real, _kth_radius(real, k)).mean()
    recall = _inside(real, fake, _kth_radius(fake, k)).mean()
    return float(precision), float(recall)


def nearest_training(images, train_images, k: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Each image's k nearest training images in pixel space: indices (N, k) and L2 distances (N, k) on [-1, 1]."""
    x = checks.images(images, size=SIZE).reshape(-1, 784).astype(np.float64)
    train = checks.images(train_images, "train_images", SIZE).reshape(-1, 784)
    k = checks.integer(k, "k", 1, len(train), "at most the training images")
    found = [np.argpartition(d, k - 1, axis=1)[:, :k] for d in _sq_dists(x.astype(np.float32), train, 256)]
    idx = np.concatenate(found)
    # Exact distances of the candidates in float64, nearest first.
    dist = np.linalg.norm(x[:, None, :] - train[idx].astype(np.float64), axis=2)
    order = np.argsort(dist, axis=1)
    return np.take_along_axis(idx, order, 1), np.take_along_axis(dist, order, 1)


def plot_nearest(images, train_images, n: int = 6, k: int = 3):
    """Show the first ``n`` images (left column) beside their ``k`` nearest training images and distances."""
    from ganlab import plotting

    x = checks.images(images, size=SIZE)[:n]
    idx, dist = nearest_training(x, train_images, k)
    train = checks.images(train_images, "train_images", SIZE)
    rows = [np.concatenate([x[i : i + 1], train[idx[i]]]) for i in range(len(x))]
    labels = [text for i in range(len(x)) for text in ["sample", *(f"d={d:.2f}" for d in dist[i])]]
    return plotting.show_grid(np.concatenate(rows), labels=labels, ncols=k + 1, title="nearest training images")


def max_n(mnist: data.ImageData) -> int:
    """The largest n with a real reference: n held-out images, or else n training images outside the n compared."""
    return max(min(len(mnist.x_test), len(mnist.x_train)), len(mnist.x_train) // 2)


def _setup(mnist, n, classifier, seed):
    """The data, the classifier and the n training images that samples and references are compared with."""
    mnist = mnist if mnist is not None else data.load_mnist(verbose=False)
    checks.integer(
        n,
        "n",
        MIN_N,
        max_n(mnist),
        f"the most for {mnist.name} {mnist.source}: a real reference needs n real images besides the n compared with",
    )
    classifier = classifier or get_classifier(mnist)
    order = np.random.default_rng(seed).permutation(len(mnist.x_train))
    return mnist, classifier, order


def _scores(x, mnist, classifier, train_idx, k, not_train=()) -> dict:
    """Every metric for checked images x against the n training images train_idx (and all but not_train)."""
    probs, feats = classifier.predict(x)
    _, train_feats = classifier.predict(data.to_float(mnist.x_train[train_idx]))
    precision, recall = precision_recall(train_feats, feats, k)
    _, nearest = nearest_training(x, np.delete(mnist.x_train, not_train, axis=0))
    return {
        "n": len(x),
        "frechet_distance": frechet_distance(feats, train_feats),
        "classifier_score": classifier_score(probs),
        "confident": confident_rate(probs),
        "coverage": coverage(probs),
        "min_share": float(class_histogram(probs).min()),
        "precision": precision,
        "recall": recall,
        "k": k,
        "nearest_train_median": float(np.median(nearest)),
        "histogram": class_histogram(probs).round(4).tolist(),
        "compared_with": f"{len(train_idx):,} {mnist.name} {mnist.source} training images",
    }


def evaluate(
    images, mnist: data.ImageData | None = None, n: int | None = None, k: int = 3, seed: int = 0, classifier=None
) -> dict:
    """Score the first n images (default: all) against n training images; compare with ``real_reference``."""
    x = checks.images(images, size=SIZE)
    n = len(x) if n is None else n
    if isinstance(n, (int, np.integer)) and not isinstance(n, bool) and n > len(x):
        raise checks.BadInput(f"n={n} but only {len(x)} images were given")
    mnist, classifier, order = _setup(mnist, n, classifier, seed)
    return _scores(x[:n], mnist, classifier, order[:n], k)


def real_reference(
    mnist: data.ImageData | None = None, n: int = 500, k: int = 3, seed: int = 0, classifier=None
) -> dict:
    """The same metrics for n real images the classifier never trained on (held-out), else n other training images."""
    mnist, classifier, order = _setup(mnist, n, classifier, seed)
    if n <= len(mnist.x_test):
        real = mnist.x_test[np.random.default_rng(seed).permutation(len(mnist.x_test))[:n]]
        what, not_train = "held-out", ()
    else:  # never scored against themselves in the copy check
        real, what, not_train = mnist.x_train[order[n : 2 * n]], "other training", order[n : 2 * n]
    scores = _scores(data.to_float(real), mnist, classifier, order[:n], k, not_train)
    return {**scores, "images": f"{n:,} {what} images"}


ROWS = (
    ("frechet_distance", "Fréchet distance, classifier features (lower is better)", "{:.3g}"),
    ("classifier_score", "classifier score (1 to 10)", "{:.3g}"),
    ("confident", f"confident samples (max p > {CONFIDENT})", "{:.1%}"),
    ("coverage", "digits covered (>= 5% of samples each)", "{}/10"),
    ("min_share", "rarest digit's share", "{:.1%}"),
    ("precision", "precision (k-NN manifold)", "{:.3f}"),
    ("recall", "recall (k-NN manifold)", "{:.3f}"),
    ("nearest_train_median", "median L2 distance to nearest training image", "{:.2f}"),
)


def format_table(samples: dict, real: dict) -> str:
    """A Markdown table: one row per metric, the samples' value beside real data's."""
    if samples["n"] != real["n"]:
        raise checks.BadInput(f"samples (n={samples['n']}) and real data (n={real['n']}) must use the same n")
    lines = [("metric", "samples", "real data")]
    lines += [(label, fmt.format(samples[key]), fmt.format(real[key])) for key, label, fmt in ROWS]
    shares = [" ".join(f"{100 * s:.0f}" for s in result["histogram"]) for result in (samples, real)]
    lines.append(("digit shares 0-9 (%)", *shares))
    widths = [max(len(row[i]) for row in lines) for i in range(3)]
    rows = ["| " + " | ".join(cell.ljust(w) for cell, w in zip(row, widths)) + " |" for row in lines]
    return "\n".join([rows[0], "|" + "|".join("-" * (w + 2) for w in widths) + "|", *rows[1:]])


def class_accuracy(generator, classifier, n_per_class=100, seed=0) -> dict:
    """Ask a conditional generator for ``n_per_class`` of each digit; the share the classifier labels as asked.

    Returns ``per_class`` (10,), ``mean``, and ``confusion`` (10, 10): row = digit asked for, column = digit seen.
    """
    n_per_class = checks.positive_int(n_per_class, "n_per_class")
    if not callable(getattr(classifier, "predict", None)):
        raise checks.BadInput(
            f"classifier must have .predict(images) -> (probs, features), as "
            f"classifier.get_classifier's does; got {type(classifier).__name__}"
        )
    asked = np.repeat(np.arange(sampling.N_CLASSES), n_per_class)  # (10 n,): 0, 0, ..., 1, 1, ...
    probs = np.asarray(classifier.predict(sampling.draw(generator, len(asked), labels=asked, seed=seed))[0])
    confusion = np.zeros((sampling.N_CLASSES, sampling.N_CLASSES), dtype=np.int64)
    np.add.at(confusion, (asked, probs.argmax(axis=1)), 1)
    per_class = np.diag(confusion) / n_per_class
    return {"per_class": per_class, "mean": float(per_class.mean()), "confusion": confusion, "n_per_class": n_per_class}
