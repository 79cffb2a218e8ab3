"""The command line: ``python -m ganlab train|sample|evaluate`` (also installed as the ``ganlab`` command).

``train`` trains the course's MLP GAN, DCGAN or conditional DCGAN (cgan) on MNIST with checkpoints, so an
interrupted run resumes with ``--resume``; ``sample`` draws images from a saved generator (a conditional one
draws the digits in order, or only ``--digit``); ``evaluate`` scores a generator (or saved samples) beside real
data, and a conditional generator's class-conditional accuracy. A user's mistake (a ``checks.GanlabError``, by its
type) gets one clear line and exit status 2, never a traceback; any other exception is a bug, and surfaces as one.
Nothing here imports TensorFlow at load time: ``--help`` and a mistyped option are answered at once.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from ganlab import checks
from ganlab.cli import runs

MAX_SAMPLES = 1_000_000


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive whole number, got {value}")
    return value


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive number of seconds, got {text!r}") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"expected a positive number of seconds, got {text}")
    return value


def _learning_rate(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a learning rate such as 2e-4, got {text!r}") from None
    if not 0 < value < 1:  # nan, inf, 0, negatives (gradient ascent) and rates that blow any Adam run apart
        raise argparse.ArgumentTypeError(f"expected a learning rate between 0 and 1 (such as 2e-4), got {text}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m ganlab", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)

    t = sub.add_parser("train", help="train an MLP GAN, a DCGAN or a conditional DCGAN on MNIST")
    t.add_argument("model", choices=("mlp", "dcgan", "cgan"), help="which GAN (cgan: draws the digit asked for)")
    budget = t.add_mutually_exclusive_group()
    budget.add_argument(
        "--steps",
        type=_positive_int,
        help="total generator steps (counting resumed ones): takes the same time on the sample and on the full MNIST",
    )
    budget.add_argument("--epochs", type=_positive_int, help="total epochs (counting resumed ones)")
    budget.add_argument("--seconds", type=_positive_float, help="wall-clock training budget in seconds")
    t.add_argument("--batch-size", type=_positive_int, help="images per step (default: the model's recipe, 64)")
    t.add_argument("--seed", type=int, help="random seed (default 42)")
    t.add_argument("--preset", default="default", help="DCGAN and cgan preset: default (CPU-friendly) or tutorial")
    t.add_argument("--loss", help="GAN loss (see ganlab.losses.LOSSES; default non_saturating)")
    t.add_argument(
        "--lr",
        type=_learning_rate,
        help="Adam learning rate for both networks (default: the model's recipe, ganlab.recipes)",
    )
    t.add_argument("--data", choices=("auto", "full", "sample"), default=None, help="MNIST source (default: auto)")
    t.add_argument("--resume", action="store_true", help="continue the run in --out from its last checkpoint")
    t.add_argument("--out", type=Path, required=True, help="folder for the models, history, images, checkpoints")
    t.add_argument("--quiet", action="store_true", help="no progress output")

    s = sub.add_parser("sample", help="draw images from a saved generator")
    s.add_argument("generator", type=Path, help="a generator saved as .keras (e.g. RUN/generator.keras)")
    s.add_argument("--n", type=_positive_int, default=64, help="how many images")
    s.add_argument("--out", type=Path, required=True, help="the .npy file to write: (N, 28, 28, 1) float32 in [-1, 1]")
    s.add_argument("--png", type=Path, help="also save a grid of the images as a PNG")
    s.add_argument("--seed", type=int, default=0)
    s.add_argument(
        "--digit",
        type=int,
        choices=range(10),
        metavar="0-9",
        help="a conditional (cgan) generator draws only this digit (default: all ten, in order)",
    )

    e = sub.add_parser("evaluate", help="score a generator, or saved samples, beside real data")
    e.add_argument("samples", type=Path, help="a generator.keras, or an .npy of images (N, 28, 28[, 1]) in [-1, 1]")
    e.add_argument(
        "--n",
        type=_positive_int,
        help="how many images to score (default: 500 drawn from a generator, "
        "all of an .npy); the real reference uses the same n",
    )
    e.add_argument("--json", type=Path, help="also write the results to this .json file")
    e.add_argument("--seed", type=int, default=0, help="seed for the noise and the real images compared with")
    e.add_argument("--data", choices=("auto", "full", "sample"), default=None, help="MNIST source (default: auto)")
    return parser


def load_generator(path: Path):
    """Load a saved generator, or raise a BadInput that says what is wrong with the file."""
    import keras

    from ganlab import conditional

    if not path.exists():
        raise checks.BadInput(
            f"no such file: {path} (train one with: python -m ganlab train dcgan --seconds 120 --out runs/dcgan)"
        )
    if path.suffix != ".keras":
        raise checks.BadInput(f"{path} is not a .keras model file; pass the generator.keras that 'train' wrote")
    try:
        model = keras.models.load_model(path, compile=False)
    except Exception as err:  # zip, JSON and Keras errors all mean: not a usable model file
        raise checks.BadInput(
            f"{path} could not be loaded as a Keras model ({type(err).__name__}: "
            f"{str(err).splitlines()[0][:200]}); is it a complete generator.keras?"
        ) from None
    if tuple(model.output_shape) == (None, 1):
        raise checks.BadInput(
            f"{path} outputs one number per input, not images: is it a discriminator? "
            "Pass the generator.keras that 'train' wrote"
        )
    if conditional.is_conditional(model):  # [z, label] -> image: a cgan generator
        return model
    if not isinstance(model.input_shape, tuple) or len(model.input_shape) != 2:
        raise checks.BadInput(
            f"{path} takes inputs of shape {model.input_shape}; a generator takes noise z of shape (N, latent_dim)"
        )
    if tuple(model.output_shape[1:]) != (28, 28, 1):
        raise checks.BadInput(
            f"{path} outputs shape {model.output_shape}, not images (N, 28, 28, 1): is it a discriminator?"
        )
    return model


def draw(model, n: int, seed: int, digit=None):
    """n images (N, 28, 28, 1) from a loaded generator with noise from ``seed``: ``sampling.draw``.

    A conditional generator draws the digits in order (``sampling.default_labels``), or only ``digit``.
    """
    from ganlab import conditional, sampling

    if digit is not None and not conditional.is_conditional(model):
        raise checks.BadInput(
            f"--digit needs a conditional generator (python -m ganlab train cgan ...); {model.name} is not"
        )
    return sampling.draw(model, n, labels=digit, seed=seed)


def sample(args) -> int:
    import numpy as np

    if args.n > MAX_SAMPLES:
        raise checks.BadInput(f"--n {args.n} is more than the {MAX_SAMPLES:,} images one call makes; use several calls")
    if args.out.suffix != ".npy":
        raise checks.BadInput(f"--out {args.out} must end in .npy")
    for path in (args.out, args.png):
        if path is not None:
            runs.writable_dir(path.parent if str(path.parent) else Path("."))
    model = load_generator(args.generator)
    images = checks.images(draw(model, args.n, args.seed, args.digit), f"the images {args.generator} drew")
    np.save(args.out, images)
    print(f"wrote {args.out}: {images.shape} float32 in [-1, 1]")
    if args.png:
        import matplotlib

        matplotlib.use("Agg")
        from ganlab import plotting

        plotting.show_grid(images[:100], ncols=10).savefig(args.png, dpi=100)
        print(f"wrote {args.png}")
    return 0


def _load_samples(path: Path):
    """The images in an .npy file, or a BadInput saying why they cannot be read."""
    import numpy as np

    if not path.exists():
        raise checks.BadInput(
            f"no such file: {path} (make one with: python -m ganlab sample GENERATOR.keras --out {path})"
        )
    try:
        return np.load(path, allow_pickle=False)
    except (OSError, ValueError) as err:
        raise checks.BadInput(
            f"{path} could not be read as a NumPy .npy array ({str(err).splitlines()[0][:200]})"
        ) from None


def _class_accuracy(model, classifier, n: int, seed: int) -> dict:
    """Print and return a conditional generator's class-conditional accuracy ({} for an unconditional one)."""
    from ganlab import conditional, metrics

    if not conditional.is_conditional(model):
        return {}
    acc = metrics.class_accuracy(model, classifier, n_per_class=max(n // 10, 1), seed=seed)
    per_digit = "  ".join(f"{d}: {a:.0%}" for d, a in enumerate(acc["per_class"]))
    print(
        f"class-conditional accuracy (asked {acc['n_per_class']} times for each digit, judged by the classifier): "
        f"{acc['mean']:.1%}\n  per digit  {per_digit}"
    )
    return {
        "class_accuracy": {
            "mean": acc["mean"],
            "per_class": acc["per_class"].tolist(),
            "n_per_class": acc["n_per_class"],
        }
    }


def evaluate(args) -> int:
    from ganlab import config, data, metrics
    from ganlab.classifier import get_classifier

    if args.samples.suffix not in (".keras", ".npy"):
        raise checks.BadInput(f"{args.samples} is neither a generator (.keras) nor samples (.npy); pass one of those")
    if args.json is not None:
        if args.json.suffix != ".json":
            raise checks.BadInput(f"--json {args.json} must end in .json")
        runs.writable_dir(args.json.parent if str(args.json.parent) else Path("."))
    from_npy = args.samples.suffix == ".npy"
    if from_npy:
        images = checks.images(_load_samples(args.samples), str(args.samples), metrics.SIZE)
    else:
        model = load_generator(args.samples)
    config.smoke_banner()
    mnist = data.load_mnist(args.data, verbose=False)
    limit = metrics.max_n(mnist)
    n = args.n or (min(len(images), limit) if from_npy else min(500, limit))
    if from_npy and n > len(images):
        raise checks.BadInput(f"--n {n} but {args.samples} holds only {len(images)} images")
    if n > limit:
        raise checks.BadInput(
            f"--n {n} is more than the {limit:,} images that {mnist.name} {mnist.source} has a "
            "real reference for (n held-out images, or n training images besides the n compared "
            "with)"
        )
    if not from_npy:
        images = checks.images(draw(model, n, args.seed), f"samples from {args.samples}", metrics.SIZE)
    classifier = get_classifier(mnist)
    scores = metrics.evaluate(images, mnist, n, seed=args.seed, classifier=classifier)
    real = metrics.real_reference(mnist, n, seed=args.seed, classifier=classifier)
    print(
        f"{n:,} samples from {args.samples} and {real['images']}, each compared with {scores['compared_with']}; "
        f"classifier held-out accuracy {classifier.accuracy:.1%}"
    )
    print(metrics.format_table(scores, real))
    extra = {} if from_npy else _class_accuracy(model, classifier, n, args.seed)
    if args.json is not None:
        result = {
            "samples_file": str(args.samples),
            "data": f"{mnist.name} {mnist.source}",
            "n": n,
            "seed": args.seed,
            "classifier": classifier.info,
            "samples": scores,
            "real": real,
            **extra,
        }
        args.json.write_text(json.dumps(result, indent=1))
        print(f"wrote {args.json}")
    return 0


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)  # before TensorFlow: --help and a mistyped option answer at once
    try:
        if args.command == "train":
            runs.check_train_args(args)
        from ganlab import config

        config.import_tensorflow()  # quietly, before any module imports it
        return {"train": runs.train, "sample": sample, "evaluate": evaluate}[args.command](args)
    except checks.GanlabError as err:  # a user's mistake, by its type; anything else is a bug and raises
        print(f"error: {' '.join(str(err).split())}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    sys.exit(main())
