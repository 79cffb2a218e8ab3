"""MNIST (and Fashion-MNIST) that works offline, plus the scaling helpers and the tf.data input pipeline.

``load_mnist()`` looks for the data in this order: the full set in ``data/mnist.npz`` (Keras' format), then
Keras' own download (cached in ``data/``) when online, then the 5,000-image sample shipped in
``data/mnist_sample.npz``, with a one-line notice. ``GANLAB_DATA=full|sample|auto`` forces a source.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import tempfile
import urllib.request
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from ganlab import checks, config

SOURCE_ENV = "GANLAB_DATA"
DATA_DIR_ENV = "GANLAB_DATA_DIR"
SOURCES = ("auto", "full", "sample", "standin")  # standin: Fashion-MNIST in MNIST's place, to time full-size runs

MNIST_FILE = "mnist.npz"
MNIST_URL = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz"
MNIST_SHA256 = "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"
SAMPLE_FILE = "mnist_sample.npz"
SAMPLE_SHA256 = "4e5997c2395adbc595d47ff8a84f2ccffe8a21692933707704ae6b73a6edc7ba"

FASHION_FILE = "fashion-mnist.npz"
FASHION_DEBIAN_DIR = Path("/usr/share/datasets/fashion-mnist")
FASHION_URL = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
FASHION_PARTS = {
    "x_train": "train-images-idx3-ubyte.gz",
    "y_train": "train-labels-idx1-ubyte.gz",
    "x_test": "t10k-images-idx3-ubyte.gz",
    "y_test": "t10k-labels-idx1-ubyte.gz",
}
FASHION_CLASSES = (
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
)

DOWNLOAD_TIMEOUT_S = 15
HOW_TO_GET_FULL = (
    "for the full 60,000-image set, run once with internet, or copy Keras' mnist.npz "
    f"(sha256 {MNIST_SHA256[:12]}...) into data/"
)


class DataError(checks.BadInput):
    """The data files are missing or damaged; the message says what to do."""


@dataclass(frozen=True)
class ImageData:
    """A labelled image set as uint8 arrays in Keras' layout, with where it came from and why."""

    x_train: np.ndarray  # (N, 28, 28) uint8
    y_train: np.ndarray  # (N,) uint8
    x_test: np.ndarray
    y_test: np.ndarray
    name: str  # "MNIST" or "Fashion-MNIST"
    source: str  # "full", "sample" or "standin" (Fashion-MNIST standing in for the full MNIST)
    path: str  # the file it was read from, relative to the data folder's parent where possible
    note: str  # why this source was used
    class_names: tuple[str, ...] = tuple(str(d) for d in range(10))

    def __repr__(self) -> str:
        return (
            f"ImageData({self.name}, source={self.source!r}, train={len(self.x_train):,}, "
            f"test={len(self.x_test):,}, from {self.path})"
        )


def data_dir() -> Path:
    """The folder holding the course's data: ``$GANLAB_DATA_DIR`` or the repository's ``data/``."""
    if os.environ.get(DATA_DIR_ENV):
        return Path(os.environ[DATA_DIR_ENV])
    return Path(__file__).resolve().parent.parent / "data"


def sha256(path: str | os.PathLike) -> str:
    """Hex SHA-256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def verify_file(path: str | os.PathLike, expected_sha256: str, fix: str) -> None:
    """Raise DataError if ``path`` is missing or its hash differs; ``fix`` says how to repair it."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path.name} is missing from {path.parent}. {fix}")
    actual = sha256(path)
    if actual != expected_sha256:
        raise DataError(
            f"{path.name} is corrupt or not the expected file: sha256 is {actual[:16]}..., "
            f"expected {expected_sha256[:16]}.... {fix}"
        )


def _read_npz(path: Path) -> dict[str, np.ndarray]:
    try:
        with np.load(path, allow_pickle=False) as f:
            arrays = {k: f[k] for k in ("x_train", "y_train", "x_test", "y_test")}
    except Exception as err:  # zip/pickle/key errors all mean the same thing to a learner
        raise DataError(f"{path} could not be read as an MNIST .npz file ({err}). Delete it and run again.") from err
    for split in ("train", "test"):
        x, y = arrays[f"x_{split}"], arrays[f"y_{split}"]
        if x.ndim != 3 or x.shape[1:] != (28, 28) or x.dtype != np.uint8 or len(x) != len(y):
            raise DataError(
                f"{path} holds x_{split} of shape {x.shape} and dtype {x.dtype}; "
                "expected (N, 28, 28) uint8 with one label per image. Delete it and run again."
            )
    return arrays


def download(url: str, dest: Path, expected_sha256: str | None = None, timeout: float = DOWNLOAD_TIMEOUT_S) -> Path:
    """Download ``url`` to ``dest`` atomically: a failed or interrupted download leaves nothing at ``dest``."""
    from ganlab import files

    def fetch(tmp):
        with open(tmp, "wb") as out, urllib.request.urlopen(url, timeout=timeout) as response:
            for chunk in iter(lambda: response.read(1 << 20), b""):
                out.write(chunk)
        if expected_sha256 is not None and sha256(tmp) != expected_sha256:
            raise DataError(f"the file downloaded from {url} does not have the expected sha256; try again later.")

    files.atomic_write(dest, fetch)
    return dest


def relative(path: Path) -> str:
    """A path as a learner should see it: relative to the data folder's parent, never this machine's root."""
    try:
        return str(path.relative_to(data_dir().parent))
    except ValueError:
        return str(path)


def _resolve_source(source: str | None) -> str:
    source = source if source is not None else (os.environ.get(SOURCE_ENV) or "auto")
    source = source.strip().lower()
    if source not in SOURCES:
        raise checks.BadInput(
            f"MNIST source {source!r} is not one of {', '.join(SOURCES)} (set by the source argument or {SOURCE_ENV})."
        )
    return source


def _full_mnist(folder: Path, allow_download: bool) -> tuple[Path, str]:
    """The full MNIST file, downloading it if needed; raise OSError/DataError when it cannot be had."""
    path = folder / MNIST_FILE
    if path.exists():
        verify_file(path, MNIST_SHA256, f"Delete {path.name} and run again to download it afresh.")
        return path, f"full MNIST found in {relative(path)}"
    if not allow_download:
        raise DataError(f"{relative(path)} is missing and downloading is switched off.")
    download(MNIST_URL, path, MNIST_SHA256)
    return path, f"full MNIST downloaded from Keras' server into {relative(path)}"


def load_mnist(source: str | None = None, *, allow_download: bool = True, verbose: bool = True) -> ImageData:
    """Load MNIST as uint8 arrays: the full set where it can be had, else the shipped 5,000-image sample."""
    # How the caller asked, for messages: an argument (the same words for the command line's --data and Python's
    # source), or the environment.
    asked = "" if source is not None else f" ({SOURCE_ENV}=full)"
    source = _resolve_source(source)
    folder = data_dir()
    if source == "standin":  # a real 60,000-image set of MNIST's shape, for measuring what full-size data costs
        fashion = load_fashion_mnist(allow_download=allow_download, verbose=False)
        note = (
            f"STAND-IN ({SOURCE_ENV}=standin): {fashion.name}'s {len(fashion.x_train):,} training images in MNIST's "
            "place, to time a full-size run; the pictures and scores are of clothes, not digits."
        )
        if verbose:
            print(note)
        return replace(fashion, source="standin", note=note)
    if source in ("auto", "full"):
        try:
            path, note = _full_mnist(folder, allow_download)
            arrays = _read_npz(path)
            return ImageData(**arrays, name="MNIST", source="full", path=relative(path), note=note)
        except (OSError, DataError) as err:
            reason = str(getattr(err, "reason", None) or err)
            if source == "full":
                sample = f"{SOURCE_ENV}=sample" if asked else "'sample'"
                raise DataError(
                    f"Full MNIST was requested{asked} but cannot be had ({reason}). To get it, "
                    f"{HOW_TO_GET_FULL.removeprefix('for the full 60,000-image set, ')}; or use the "
                    f"shipped 5,000-image sample ({sample})."
                ) from err
            why = f"no full MNIST in data/ and the download failed ({reason})"
    else:
        why = f"{SOURCE_ENV}=sample"
    path = folder / SAMPLE_FILE
    verify_file(
        path,
        SAMPLE_SHA256,
        "Restore the shipped file with `git checkout -- data/mnist_sample.npz` (or re-clone the course).",
    )
    arrays = _read_npz(path)
    note = f"Using the shipped 5,000-image MNIST sample ({why}); {HOW_TO_GET_FULL}."
    if verbose:
        print(note)
    return ImageData(**arrays, name="MNIST", source="sample", path=relative(path), note=note)


def _read_idx_gz(path: Path) -> np.ndarray:
    """Read one gzipped IDX file (the original MNIST/Fashion-MNIST format)."""
    with gzip.open(path, "rb") as f:
        raw = f.read()
    if raw[:2] != b"\x00\x00" or raw[2] != 0x08:
        raise DataError(f"{path} is not an IDX file of unsigned bytes.")
    ndim = raw[3]
    shape = tuple(int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(shape)


def load_fashion_mnist(*, allow_download: bool = True, verbose: bool = True) -> ImageData:
    """Load Fashion-MNIST: ``data/fashion-mnist.npz``, else Debian's ``dataset-fashion-mnist``, else Keras' download."""
    folder = data_dir()
    cached = folder / FASHION_FILE
    if cached.exists():
        arrays, path = _read_npz(cached), relative(cached)
        note = f"Fashion-MNIST from {path}"
    elif all((FASHION_DEBIAN_DIR / f).exists() for f in FASHION_PARTS.values()):
        arrays, path = (
            {k: _read_idx_gz(FASHION_DEBIAN_DIR / f) for k, f in FASHION_PARTS.items()},
            str(FASHION_DEBIAN_DIR),
        )
        note = f"Fashion-MNIST from Debian's dataset-fashion-mnist ({FASHION_DEBIAN_DIR})"
    elif allow_download:
        with tempfile.TemporaryDirectory(dir=folder) as tmp:
            try:
                arrays = {k: _read_idx_gz(download(FASHION_URL + f, Path(tmp) / f)) for k, f in FASHION_PARTS.items()}
            except OSError as err:
                raise DataError(
                    f"Fashion-MNIST is not on this machine and the download failed ({err}). Install Debian's "
                    "package (sudo apt-get install dataset-fashion-mnist) or run again with internet."
                ) from err
            np.savez_compressed(Path(tmp) / FASHION_FILE, **arrays)
            os.replace(Path(tmp) / FASHION_FILE, cached)
        path = relative(cached)
        note = f"Fashion-MNIST downloaded from Keras' server into {path}"
    else:
        raise DataError("Fashion-MNIST is not on this machine and downloading is switched off.")
    if verbose:
        print(note)
    return ImageData(**arrays, name="Fashion-MNIST", source="full", path=path, note=note, class_names=FASHION_CLASSES)


def to_float(images) -> np.ndarray:
    """uint8 images in [0, 255] → float32 in [-1, 1] with a channel axis: (N, 28, 28) → (N, 28, 28, 1)."""
    dtype = np.asarray(images).dtype
    if dtype != np.uint8:
        raise checks.BadInput(
            f"to_float expects uint8 images in [0, 255], got dtype {dtype}; float images are probably scaled already."
        )
    return checks.images(images)  # x / 127.5 - 1


def to_uint8(images) -> np.ndarray:
    """float images in [-1, 1] → uint8 in [0, 255], same shape (the inverse of ``to_float``)."""
    return np.round((checks.pixels(images) + 1.0) * 127.5).astype(np.uint8)


def make_dataset(
    images, batch_size: int = 128, *, labels=None, shuffle: bool = True, seed: int = 0, drop_remainder: bool = True
):
    """A tf.data pipeline for training: scale to [-1, 1], shuffle each epoch, batch, prefetch."""
    tf = config.import_tensorflow()
    batch_size = checks.positive_int(batch_size, "batch_size")
    x = checks.images(images)  # (N, H, W, 1) float32 in [-1, 1]; uint8 pixels scaled as to_float does
    if drop_remainder and len(x) < batch_size:
        raise checks.BadInput(f"batch_size {batch_size} is larger than the {len(x)} images; use a smaller batch size.")
    if labels is not None:
        labels = np.asarray(labels)
        if len(labels) != len(x):
            raise checks.BadInput(f"got {len(x)} images but {len(labels)} labels.")
        ds = tf.data.Dataset.from_tensor_slices((x, labels.astype(np.int32)))
    else:
        ds = tf.data.Dataset.from_tensor_slices(x)
    if shuffle:
        ds = ds.shuffle(len(x), seed=seed, reshuffle_each_iteration=True)
    return ds.batch(batch_size, drop_remainder=drop_remainder).prefetch(tf.data.AUTOTUNE)
