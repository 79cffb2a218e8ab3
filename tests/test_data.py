"""ganlab.data: the offline sample, hash checks, the source order, atomic downloads, scaling, the pipeline."""

import gzip
import hashlib
import shutil
from pathlib import Path

import numpy as np
import pytest

from ganlab import checks, data

REPO_DATA = Path(__file__).resolve().parent.parent / "data"


@pytest.fixture
def data_folder(tmp_path, monkeypatch):
    """An empty data folder with a copy of the shipped sample, used instead of the repository's data/."""
    shutil.copy(REPO_DATA / data.SAMPLE_FILE, tmp_path / data.SAMPLE_FILE)
    monkeypatch.setenv(data.DATA_DIR_ENV, str(tmp_path))
    monkeypatch.delenv(data.SOURCE_ENV, raising=False)
    return tmp_path


@pytest.fixture
def offline(monkeypatch):
    """Make every download fail the way it does with no network."""

    def refuse(url, *args, **kwargs):
        raise OSError("no network (test)")

    monkeypatch.setattr(data.urllib.request, "urlopen", refuse)


def write_full_mnist(path):
    """A file in Keras' mnist.npz layout with the real set's sizes (blank images: a fixture, not data)."""
    np.savez(
        path,
        x_train=np.zeros((60000, 28, 28), np.uint8),
        y_train=np.zeros(60000, np.uint8),
        x_test=np.zeros((10000, 28, 28), np.uint8),
        y_test=np.zeros(10000, np.uint8),
    )
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def test_shipped_sample_matches_readme_and_loader():
    readme = (REPO_DATA / "README.md").read_text()
    assert data.SAMPLE_SHA256 in readme
    assert data.sha256(REPO_DATA / data.SAMPLE_FILE) == data.SAMPLE_SHA256


def test_offline_auto_falls_back_to_balanced_sample_with_notice(data_folder, offline, capsys):
    d = data.load_mnist()
    out = capsys.readouterr().out
    assert d.source == "sample" and "5,000-image MNIST sample" in out and "full 60,000" in out
    assert out.count("\n") == 1  # one line
    assert d.x_train.shape == (4500, 28, 28) and d.x_test.shape == (500, 28, 28)
    assert d.x_train.dtype == np.uint8 and d.x_train.max() == 255
    assert np.all(np.bincount(d.y_train, minlength=10) == 450)
    assert np.all(np.bincount(d.y_test, minlength=10) == 50)
    assert not list(data_folder.glob("*.part"))  # the failed download left nothing behind


def test_full_file_is_preferred_and_verified(data_folder, monkeypatch, capsys):
    digest = write_full_mnist(data_folder / data.MNIST_FILE)
    monkeypatch.setattr(data, "MNIST_SHA256", digest)
    d = data.load_mnist()
    assert d.source == "full" and len(d.x_train) == 60000 and len(d.x_test) == 10000
    assert capsys.readouterr().out == ""  # no notice when the full set is used


def test_corrupt_full_file_in_auto_mode_falls_back_and_says_why(data_folder, offline):
    (data_folder / data.MNIST_FILE).write_bytes(b"not an npz")
    d = data.load_mnist(verbose=False)
    assert d.source == "sample" and "corrupt" in d.note


def test_forcing_full_without_it_is_a_clear_error_in_the_callers_terms(data_folder, offline, monkeypatch):
    # An argument reads the same from Python (source=) and the command line (--data): no parameter's name.
    with pytest.raises(data.DataError, match=r"requested but cannot be had.*sample \('sample'\)\.$") as info:
        data.load_mnist("full")
    assert "source" not in str(info.value) and isinstance(info.value, checks.BadInput)
    monkeypatch.setenv(data.SOURCE_ENV, "full")
    with pytest.raises(data.DataError, match=r"requested \(GANLAB_DATA=full\).*\(GANLAB_DATA=sample\)\.$"):
        data.load_mnist()


def test_env_forces_sample_even_with_full_present(data_folder, monkeypatch):
    digest = write_full_mnist(data_folder / data.MNIST_FILE)
    monkeypatch.setattr(data, "MNIST_SHA256", digest)
    monkeypatch.setenv(data.SOURCE_ENV, "sample")
    assert data.load_mnist(verbose=False).source == "sample"


def test_unknown_source_is_rejected(data_folder):
    with pytest.raises(ValueError, match="auto, full, sample"):
        data.load_mnist("everything")


def test_corrupt_sample_is_detected_by_hash(data_folder):
    path = data_folder / data.SAMPLE_FILE
    raw = bytearray(path.read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    path.write_bytes(bytes(raw))
    with pytest.raises(data.DataError, match=r"corrupt.*git checkout -- data/mnist_sample.npz"):
        data.load_mnist("sample")


def test_missing_sample_says_how_to_restore(data_folder):
    (data_folder / data.SAMPLE_FILE).unlink()
    with pytest.raises(data.DataError, match="missing.*git checkout"):
        data.load_mnist("sample")


def test_download_is_atomic_when_interrupted(tmp_path, monkeypatch):
    class Broken:
        """A response that delivers one chunk, then the connection drops."""

        def __init__(self):
            self.calls = 0

        def read(self, n):
            self.calls += 1
            if self.calls == 1:
                return b"x" * 1000
            raise ConnectionResetError("connection dropped (test)")

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

    monkeypatch.setattr(data.urllib.request, "urlopen", lambda url, timeout: Broken())
    with pytest.raises(ConnectionResetError):
        data.download("https://example.invalid/mnist.npz", tmp_path / "mnist.npz")
    assert list(tmp_path.iterdir()) == []


def test_download_with_wrong_hash_leaves_nothing(tmp_path):
    src = tmp_path / "src.bin"
    src.write_bytes(b"hello")
    dest = tmp_path / "out" / "mnist.npz"
    with pytest.raises(data.DataError, match="expected sha256"):
        data.download(src.as_uri(), dest, expected_sha256="0" * 64)
    assert list(dest.parent.iterdir()) == []
    data.download(src.as_uri(), dest, expected_sha256=hashlib.sha256(b"hello").hexdigest())
    assert dest.read_bytes() == b"hello"


def test_fashion_mnist_reads_debian_idx_files(tmp_path, monkeypatch):
    images = np.arange(3 * 28 * 28, dtype=np.uint64).astype(np.uint8).reshape(3, 28, 28)
    labels = np.array([9, 0, 3], np.uint8)
    for key, name in data.FASHION_PARTS.items():
        arr = images if key.startswith("x") else labels
        header = bytes([0, 0, 8, arr.ndim]) + b"".join(int(s).to_bytes(4, "big") for s in arr.shape)
        with gzip.open(tmp_path / name, "wb") as f:
            f.write(header + arr.tobytes())
    monkeypatch.setattr(data, "FASHION_DEBIAN_DIR", tmp_path)
    monkeypatch.setenv(data.DATA_DIR_ENV, str(tmp_path / "empty"))
    d = data.load_fashion_mnist(allow_download=False, verbose=False)
    np.testing.assert_array_equal(d.x_train, images)
    assert d.class_names[d.y_train[0]] == "Ankle boot"


def test_the_standin_source_is_fashion_mnist_and_says_so(tmp_path, monkeypatch, capsys):
    images = np.zeros((2, 28, 28), np.uint8)
    for key, name in data.FASHION_PARTS.items():
        arr = images if key.startswith("x") else np.array([1, 2], np.uint8)
        header = bytes([0, 0, 8, arr.ndim]) + b"".join(int(s).to_bytes(4, "big") for s in arr.shape)
        with gzip.open(tmp_path / name, "wb") as f:
            f.write(header + arr.tobytes())
    monkeypatch.setattr(data, "FASHION_DEBIAN_DIR", tmp_path)
    monkeypatch.setenv(data.DATA_DIR_ENV, str(tmp_path / "empty"))
    monkeypatch.setenv(data.SOURCE_ENV, "standin")
    d = data.load_mnist()
    assert d.source == "standin" and d.name == "Fashion-MNIST" and d.x_train.shape == (2, 28, 28)
    assert capsys.readouterr().out.startswith("STAND-IN (GANLAB_DATA=standin): Fashion-MNIST's 2 training images")


def test_scaling_round_trip_is_exact():
    x = np.arange(256, dtype=np.uint8).reshape(1, 16, 16)
    f = data.to_float(x)
    assert f.dtype == np.float32 and f.shape == (1, 16, 16, 1)
    assert f.min() == -1.0 and f.max() == 1.0
    np.testing.assert_array_equal(data.to_uint8(f)[..., 0], x)


@pytest.mark.parametrize(
    "bad, message",
    [
        (np.zeros((2, 28, 28), np.float32), "uint8"),
        (np.zeros((2, 28, 28, 3), np.uint8), "shape"),
    ],
)
def test_to_float_rejects_bad_input(bad, message):
    with pytest.raises(ValueError, match=message):
        data.to_float(bad)


@pytest.mark.parametrize(
    "bad, message",
    [
        (np.full((1, 28, 28, 1), np.nan, np.float32), "non-finite"),
        (np.full((1, 28, 28, 1), 3.0, np.float32), r"\[-1, 1\]"),
    ],
)
def test_to_uint8_rejects_bad_input(bad, message):
    with pytest.raises(ValueError, match=message):
        data.to_uint8(bad)


def test_make_dataset_batches_scaled_images_and_reshuffles():
    x = np.arange(10, dtype=np.uint8).repeat(28 * 28).reshape(10, 28, 28)
    ds = data.make_dataset(x, batch_size=4, seed=1)
    epoch1 = [b.numpy() for b in ds]
    epoch2 = [b.numpy() for b in ds]
    assert [b.shape for b in epoch1] == [(4, 28, 28, 1), (4, 28, 28, 1)]  # remainder dropped
    assert all(b.dtype == np.float32 and b.min() >= -1 and b.max() <= 1 for b in epoch1)

    def firsts(ep):
        return [float(b[0, 0, 0, 0]) for b in ep]

    assert firsts(epoch1) != firsts(epoch2) or not np.array_equal(epoch1[0], epoch2[0])


def test_make_dataset_errors():
    x = np.zeros((10, 28, 28), np.uint8)
    with pytest.raises(ValueError, match="larger than the 10 images"):
        data.make_dataset(x, batch_size=64)
    with pytest.raises(ValueError, match="positive int"):
        data.make_dataset(x, batch_size=0)
    with pytest.raises(ValueError, match="10 images but 3 labels"):
        data.make_dataset(x, batch_size=2, labels=[1, 2, 3])
