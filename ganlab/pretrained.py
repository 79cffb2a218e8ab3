"""Pretrained generators shipped in ``data/pretrained/``, and the notebooks' one switch: load, use your own, or train.

Each generator is shipped as its weights in float16 in a compressed ``.npz`` (half the size of float32; outputs
change by less than 0.01 on a [-1, 1] scale, and the file holds the float32 generator's images of 8 fixed z to
check that), beside ``manifest.json``: how and on what data each was trained (notebook, epochs, steps, batch
size, learning rate, seed, seconds), its sha256, and its metrics on 500 samples. ``load(name)`` checks the sha256,
rebuilds the architecture with the builder that trained it, and loads the weights as float32.

``get_generator(name, source)`` is the switch: "pretrained" (the shipped weights), "own" (the learner's run saved
by the notebook that trains it, e.g. ``runs/03_dcgan/generator.keras``), "auto" (own if present, else
pretrained) or "train" (train now for ``seconds``). It returns the generator and one line saying where it came
from. ``REGISTRY`` lists the models; ``data/make_pretrained.py`` writes the shipped files from the notebooks' runs,
so adding a model is one ``Entry`` plus a re-run of that script.
"""

from __future__ import annotations

import dataclasses
import importlib
import io
import json
import zipfile
from pathlib import Path

from ganlab import config  # first: imports TensorFlow quietly

import keras
import numpy as np

from ganlab import data, files, sampling
from ganlab import checks

SOURCES = ("auto", "own", "pretrained", "train")
MANIFEST = "manifest.json"
CHECK_N = 8  # fixed z whose float32 images each shipped file keeps
REBUILD = "python data/make_pretrained.py"


@dataclasses.dataclass(frozen=True)
class Entry:
    """One shipped generator: where its run comes from, how to rebuild its architecture and how to train it."""

    title: str  # "DCGAN"
    notebook: str  # the notebook whose full run it is, e.g. "03_dcgan_mnist.ipynb"
    run: str  # that notebook's run folder under runs/, which holds generator.keras
    build: str  # "module:function" building the untrained generator, called with build_kwargs
    build_kwargs: dict
    make: str  # "module:function" building the compiled GAN that trained it, called with make_kwargs
    make_kwargs: dict
    batch_size: int = 64
    labels: bool = False  # conditional: G takes [z, label] and trains on (images, labels)

    @property
    def latent_dim(self) -> int:
        return self.build_kwargs["latent_dim"]


# How the shipped generators were trained, spelled out (not the current defaults of ganlab.recipes, which may move).
# The MLP GAN's is notebook 02's; the DCGAN and the conditional GAN take notebook 03's (the recipe search's).
_MLP_RECIPE = {"latent_dim": 100, "lr": 2e-4, "beta_1": 0.5, "ema": 0, "loss": "non_saturating", "seed": 42}
_DCGAN_RECIPE = {"latent_dim": 100, "lr": 1e-3, "beta_1": 0.5, "ema": 0.999, "loss": "non_saturating", "seed": 42}
REGISTRY: dict[str, Entry] = {
    "mlp": Entry(
        "MLP GAN",
        "02_mlp_gan_mnist.ipynb",
        "02_mlp_gan",
        "ganlab.models:build_mlp_generator",
        {"latent_dim": 100},
        "ganlab.recipes:make_gan",
        {"kind": "mlp", "step": "alternating", **_MLP_RECIPE},
    ),
    "dcgan": Entry(
        "DCGAN",
        "03_dcgan_mnist.ipynb",
        "03_dcgan",
        "ganlab.models:build_dcgan_generator",
        {"latent_dim": 100, "preset": "default"},
        "ganlab.recipes:make_gan",
        {"kind": "dcgan", "preset": "default", "step": "alternating", **_DCGAN_RECIPE},
    ),
    "cgan": Entry(
        "conditional GAN",
        "06_conditional_gan.ipynb",
        "06_cgan",
        "ganlab.conditional:build_cgan_generator",
        {"latent_dim": 100, "preset": "two-conv"},
        "ganlab.recipes:make_gan",
        {"kind": "cgan", "preset": "two-conv", **_DCGAN_RECIPE},
        labels=True,
    ),
}
NAMES = tuple(REGISTRY)


def _call(target: str, kwargs: dict):
    module, function = target.split(":")
    return getattr(importlib.import_module(module), function)(**kwargs)


def entry(name) -> Entry:
    """The registry entry of ``name``, or a ValueError listing the known names."""
    if not isinstance(name, str) or name not in REGISTRY:
        raise checks.BadInput(
            f"unknown pretrained generator {name!r}; the known ones are {', '.join(map(repr, NAMES))}"
        )
    return REGISTRY[name]


def folder() -> Path:
    """Where the shipped files live: ``pretrained/`` in the data folder (``data.data_dir()``)."""
    return data.data_dir() / "pretrained"


def manifest() -> dict:
    """The parsed ``manifest.json``: provenance, sha256 and metrics of every shipped generator."""
    path = folder() / MANIFEST
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError) as err:
        raise data.DataError(
            f"{data.relative(path)} is missing or unreadable ({type(err).__name__}). Restore it "
            f"from the repository, or rebuild the shipped generators with: {REBUILD}"
        ) from None


def info(name) -> dict:
    """The manifest's record of ``name``: file, sha256, bytes, how it was trained (``trained``) and ``metrics``."""
    e = entry(name)
    models = manifest().get("models", {})
    if name not in models:
        raise data.DataError(
            f"no shipped weights for {name!r} yet: run notebook {e.notebook} in full mode "
            f"(make course NB=notebooks/{e.notebook}), then {REBUILD}"
        )
    return models[name]


def _length(trained) -> str:
    """How long a shipped generator trained: ``100 epochs (7,000 steps of 64)``, or ``2,500 steps of 64``."""
    steps = f"{trained['steps']:,} steps of {trained['batch_size']}"
    return f"{trained['epochs']} epochs ({steps})" if trained.get("epochs") else steps  # a steps= run has no epochs


def describe(name) -> str:
    """One line: what the shipped generator is and how it was trained."""
    t = info(name)["trained"]
    return (
        f"{entry(name).title} from notebook {t['notebook'][:2]}'s full run: {_length(t)} on the {t['data']}, "
        f"{t['seconds']:.0f} s on a {t['machine']}"
    )


def build(name) -> keras.Model:
    """The untrained generator of ``name``, built by the same builder as the shipped weights."""
    e = entry(name)
    return _call(e.build, e.build_kwargs)


def shipped_labels(generator, n: int):
    """The labels the shipped check images and metrics were drawn with: the digits 0-9 in turn for a conditional
    generator ([z, label]), None for G(z). Not ``sampling.default_labels``: kept so the stored images still match."""
    return np.arange(n) % 10 if len(generator.inputs) == 2 else None


def _npy(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, np.ascontiguousarray(array), allow_pickle=False)
    return buffer.getvalue()


def save_weights(generator: keras.Model, path, check_z=None) -> Path:
    """Write the weights as float16 (keyed by variable path) plus images of ``check_z`` at float32, atomically.

    The zip entries carry a fixed date, so the same weights always give the same bytes (and sha256).
    """
    path = Path(path)
    check_z = (
        np.random.default_rng(0).standard_normal((CHECK_N, generator.inputs[0].shape[1]))
        if check_z is None
        else check_z
    )
    arrays = {f"weights/{i:03d}/{v.path}": np.asarray(v.numpy(), np.float16) for i, v in enumerate(generator.weights)}
    arrays["check/z"] = np.asarray(check_z, np.float32)
    z = arrays["check/z"]
    arrays["check/images"] = sampling.run_generator(generator, z, shipped_labels(generator, len(z))).astype(np.float32)
    if any(not np.all(np.isfinite(a)) for a in arrays.values()):
        raise checks.BadInput("the generator's weights do not fit float16 (or are not finite); they cannot be shipped")

    def write(tmp):
        with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
            for key in sorted(arrays):
                archive.writestr(
                    zipfile.ZipInfo(key + ".npy", date_time=(1980, 1, 1, 0, 0, 0)),
                    _npy(arrays[key]),
                    compress_type=zipfile.ZIP_DEFLATED,
                    compresslevel=9,
                )

    return files.atomic_write(path, write)


def load_weights(generator: keras.Model, path) -> dict[str, np.ndarray]:
    """Load a ``save_weights`` file into ``generator`` (as float32); return its check arrays (z, images)."""
    path, fix = Path(path), f"Restore it from the repository or rebuild it with: {REBUILD}"
    try:
        with np.load(path, allow_pickle=False) as f:
            arrays = {key: f[key] for key in f.files}
    except Exception as err:  # zip or format errors: the file is damaged
        raise data.DataError(f"{path.name} could not be read ({type(err).__name__}). {fix}") from None
    # Weights in the builder's order; each must have its variable's shape and kind (kernel, bias, gamma, ...).
    saved = sorted((k.removeprefix("weights/"), a) for k, a in arrays.items() if k.startswith("weights/"))
    variables = generator.weights
    fits = len(saved) == len(variables) and all(
        a.shape == tuple(v.shape) and key.rsplit("/", 1)[-1] == v.path.rsplit("/", 1)[-1]
        for (key, a), v in zip(saved, variables)
    )
    if not fits:
        raise data.DataError(
            f"{path.name} does not match the generator {generator.name!r}: it holds {len(saved)} "
            f"weights, e.g. {[k.split('/', 1)[1] for k, _ in saved[:2]]}, the generator "
            f"{len(variables)}, e.g. {[v.path for v in variables[:2]]}. {fix}"
        )
    for (_, array), variable in zip(saved, variables):
        variable.assign(array.astype(np.float32))
    return {k.removeprefix("check/"): a for k, a in arrays.items() if k.startswith("check/")}


def load(name) -> keras.Model:
    """The shipped generator ``name`` as a float32 Keras model, after checking its file's sha256."""
    record = info(name)
    path = folder() / record["file"]
    data.verify_file(
        path, record["sha256"], f"Restore it from the repository (it is tracked in git) or rebuild it with: {REBUILD}"
    )
    generator = build(name)
    load_weights(generator, path)
    return generator


def own_path(name, runs_dir="runs") -> Path:
    """Where the notebook that trains ``name`` saves its generator: ``runs_dir/<run>/generator.keras``."""
    return Path(runs_dir) / entry(name).run / "generator.keras"


def load_own(name, runs_dir="runs") -> keras.Model:
    """The learner's own generator from its notebook's run folder, or FileNotFoundError saying what to run."""
    e, path = entry(name), own_path(name, runs_dir)
    if not path.is_file():
        raise FileNotFoundError(
            f"no generator of your own at {path}: run notebook {e.notebook} to the end (it saves "
            f"it there), or use source='pretrained' for the shipped weights"
        )
    importlib.import_module(e.build.split(":")[0])  # registers any custom layers before loading
    return keras.models.load_model(path, compile=False)


def train_now(name, seconds, mnist: data.ImageData | None = None, verbose: int = 0):
    """Train ``name``'s GAN with its notebook's recipe for ``seconds`` on ``mnist``; return the TrainingRun and GAN."""
    from ganlab import training

    e = entry(name)
    checks.positive_number(seconds, "seconds", "source='train' needs a time budget")
    mnist = mnist if mnist is not None else data.load_mnist(verbose=False)
    gan = _call(e.make, e.make_kwargs)
    labels = mnist.y_train if e.labels else None
    dataset = data.make_dataset(mnist.x_train, e.batch_size, labels=labels, seed=e.make_kwargs.get("seed", 0))
    return training.train(gan, dataset, seconds=seconds, verbose=verbose), gan


def get_generator(name, source="auto", *, seconds=None, runs_dir="runs", mnist=None) -> tuple[keras.Model, str]:
    """The generator ``name`` from ``source`` ("auto", "own", "pretrained" or "train"), and a line saying where from.

    "own" reads ``runs_dir/<run>/generator.keras`` (``runs_dir`` is relative to the working directory, which is
    ``notebooks/`` in Jupyter); "auto" falls back to the shipped weights when that file is missing; "train" trains
    for ``seconds`` now, on ``mnist`` (default ``data.load_mnist()``).
    """
    e = entry(name)
    checks.one_of(source, "source", SOURCES)
    if source == "train":
        run, gan = train_now(name, seconds, mnist)
        return gan.sampler, (
            f"{name}: trained now for {run.history['time_s'][-1]:.0f} s ({run.step:,} steps of "
            f"{e.batch_size}, notebook {e.notebook[:2]}'s recipe)"
        )
    path = own_path(name, runs_dir)
    if source == "own" or (source == "auto" and path.is_file()):
        return load_own(name, runs_dir), f"{name}: your own run of notebook {e.notebook[:2]}, {path}"
    generator, t = load(name), info(name)["trained"]
    where = (
        f"{name}: the shipped weights, {data.relative(folder() / info(name)['file'])} (notebook "
        f"{e.notebook[:2]}'s full run: {_length(t)}, {t['seconds']:.0f} s)"
    )
    return generator, where + (f", as {path} is missing" if source == "auto" else "")
