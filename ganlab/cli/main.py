"""The command line: ``python -m ganlab train|sample|evaluate`` (also installed as the ``ganlab`` command).

``train`` trains the course's MLP GAN, DCGAN or conditional DCGAN (cgan) on MNIST with checkpoints (resumable with
``--resume``); ``sample`` draws images from a saved generator (a cgan one: the digits in order, or only ``--digit``);
``evaluate`` scores a generator (or saved samples) beside real data, and a cgan generator's class-conditional accuracy.
A user's mistake (a ``checks.GanlabError``, by its type) gets one line and exit status 2, never a traceback; any other
exception is a bug, and surfaces as one. Ctrl-C or SIGTERM (``kill``, ``timeout``) gets one line saying what was
written, and status 130. Nothing here imports TensorFlow at load time: ``--help`` and a mistyped option answer at once.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import sys
from pathlib import Path

from ganlab import checks, files
from ganlab.cli import runs

MAX_SAMPLES = 1_000_000


def _checked(check, name: str, convert=int):
    """An argparse type: a ``ganlab.checks`` check of ``convert(text)`` (or of the text), refusing for the option."""

    def parse(text: str):
        with contextlib.suppress(ValueError):
            text = convert(text)
        try:
            return check(text, name)
        except checks.BadInput as err:
            raise argparse.ArgumentTypeError(str(err)) from None

    return parse


_n, _seed = _checked(checks.positive_int, "n"), _checked(checks.seed, "seed")
_seconds, _lr = _checked(checks.positive_number, "seconds", float), _checked(checks.learning_rate, "lr", float)
_steps, _epochs, _batch = (_checked(checks.positive_int, name) for name in ("steps", "epochs", "batch_size"))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m ganlab", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)

    t = sub.add_parser("train", help="train an MLP GAN, a DCGAN or a conditional DCGAN on MNIST")
    t.add_argument("model", choices=("mlp", "dcgan", "cgan"), help="which GAN (cgan: draws the digit asked for)")
    budget = t.add_mutually_exclusive_group()
    budget.add_argument(
        "--steps",
        type=_steps,
        help="total generator steps (counting resumed ones): takes the same time on the sample and on the full MNIST",
    )
    budget.add_argument("--epochs", type=_epochs, help="total epochs (counting resumed ones)")
    budget.add_argument("--seconds", type=_seconds, help="total seconds of training (counting resumed ones)")
    t.add_argument("--batch-size", type=_batch, help="images per step (default: the model's recipe, 64)")
    t.add_argument("--seed", type=_seed, help="random seed (default 42)")
    t.add_argument("--preset", help="DCGAN, cgan: default, two-conv (a D of 2 convs; cgan's default) or tutorial")
    t.add_argument("--loss", help="GAN loss (see ganlab.losses.LOSSES; default non_saturating)")
    t.add_argument("--lr", type=_lr, help="Adam learning rate for both networks (default: the model's recipe)")
    t.add_argument("--data", choices=("auto", "full", "sample"), default=None, help="MNIST source (default: auto)")
    t.add_argument("--resume", action="store_true", help="continue the run in --out from its last checkpoint")
    t.add_argument("--out", type=Path, required=True, help="folder for the models, history, images, checkpoints")
    t.add_argument("--quiet", action="store_true", help="no progress output")

    s = sub.add_parser("sample", help="draw images from a saved generator")
    s.add_argument("generator", type=Path, help="a generator saved as .keras (e.g. RUN/generator.keras)")
    s.add_argument("--n", type=_n, default=64, help="how many images")
    s.add_argument("--out", type=Path, required=True, help="the .npy file to write: (N, 28, 28, 1) float32 in [-1, 1]")
    s.add_argument("--png", type=Path, help="also save a grid of the images as a PNG")
    s.add_argument("--seed", type=_seed, default=0, help="seed for the noise (default 0)")
    digit_help = "a conditional (cgan) generator draws only this digit (default: all ten, in order)"
    s.add_argument("--digit", type=int, choices=range(10), metavar="0-9", help=digit_help)

    e = sub.add_parser("evaluate", help="score a generator, or saved samples, beside real data")
    e.add_argument("samples", type=Path, help="a generator.keras, or an .npy of images (N, 28, 28[, 1]) in [-1, 1]")
    n_help = "how many images to score (default: 500 drawn from a generator, all of an .npy); the real reference too"
    e.add_argument("--n", type=_n, help=n_help)
    e.add_argument("--json", type=Path, help="also write the results to this .json file")
    e.add_argument("--seed", type=_seed, default=0, help="seed for the noise and the real images compared with")
    e.add_argument("--data", choices=("auto", "full", "sample"), default=None, help="MNIST source (default: auto)")
    return parser


def _sentences(err, limit: int = 300) -> str:
    """An error's message in one line: its whole sentences that fit in ``limit`` characters (the first one, always)."""
    text = " ".join(str(err).split())
    return (re.match(rf"(.{{0,{limit}}}|.*?)[.!?](?= |$)", text) or re.match(".*", text))[0]


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
        reason, advice = str(err), "is it a complete generator.keras?"
        if "safe_mode" in reason:  # Keras' safe mode refuses code in the file (a Lambda layer's lambda)
            reason = re.sub(r"[^.]*safe_mode.*", "", " ".join(reason.split())) or reason  # less Keras' own advice
            advice = f"load it only if you trust it, with keras.models.load_model({str(path)!r}, safe_mode=False)"
        reason = f"{type(err).__name__}: {_sentences(reason)}"
        raise checks.BadInput(f"{path} could not be loaded as a Keras model ({reason}); {advice}") from None
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


def draw(model, path: Path, n: int, seed: int, digit=None):
    """n images (N, 28, 28, 1) from the generator loaded from ``path`` (``sampling.draw``: a conditional one draws
    the digits in order, or only ``digit``); values outside [-1, 1], which no ganlab generator makes, are refused."""
    from ganlab import conditional, sampling

    if digit is not None and not conditional.is_conditional(model):
        raise checks.BadInput(
            f"--digit needs a conditional generator (python -m ganlab train cgan ...); {model.name} is not"
        )
    images = sampling.draw(model, n, labels=digit, seed=seed)
    low, high = float(images.min()), float(images.max())
    if low < -1 or high > 1:  # a tanh never leaves [-1, 1]; checks.images would clip a little and refuse more
        raise checks.BadInput(
            f"{path} outputs values in [{low:.6g}, {high:.6g}], outside the pixel range [-1, 1]: a ganlab "
            "generator ends in tanh; pass the generator.keras that 'train' wrote"
        )
    return checks.images(images, f"the images {path} drew", (28, 28))


def _output(path: Path | None, option: str, suffix: str = "") -> None:
    """Refuse, before any work, an output file without ``suffix``, that is a folder, or in a folder we cannot write."""
    if path is not None and suffix and path.suffix != suffix:
        raise checks.BadInput(f"{option} {path} must end in {suffix}")
    if path is not None and path.is_dir():
        raise checks.BadInput(f"{option} {path} is a folder; name the file to write (it may be in that folder)")
    if path is not None:
        runs.writable_dir(path.parent)


def sample(args) -> int:
    import numpy as np

    if args.n > MAX_SAMPLES:
        raise checks.BadInput(f"--n {args.n} is more than the {MAX_SAMPLES:,} images one call makes; use several calls")
    _output(args.out, "--out", ".npy")
    _output(args.png, "--png")
    model = load_generator(args.generator)
    print(f"drawing {args.n:,} images from {args.generator}", flush=True)
    images = draw(model, args.generator, args.n, args.seed, args.digit)

    def save(tmp):
        with open(tmp, "wb") as f:  # a file object: np.save would add .npy to a name
            np.save(f, images)

    args.written.append(files.atomic_write(args.out, save))
    print(f"wrote {args.out}: {images.shape} float32 in [-1, 1]")
    if args.png:
        import matplotlib

        matplotlib.use("Agg")
        from ganlab import plotting  # after choosing the backend: it imports pyplot

        fig = plotting.show_grid(images[:100], ncols=10)  # the temporary file has --png's suffix: the same format
        args.written.append(files.atomic_write(args.png, lambda tmp: fig.savefig(tmp, dpi=100)))
        plotting.plt.close(fig)
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
        raise checks.BadInput(f"{path} could not be read as a NumPy .npy array ({_sentences(err)})") from None


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
    keep = {"mean": acc["mean"], "per_class": acc["per_class"].tolist(), "n_per_class": acc["n_per_class"]}
    return {"class_accuracy": keep}


def evaluate(args) -> int:
    from ganlab import config, data, metrics
    from ganlab.classifier import get_classifier

    if args.samples.suffix not in (".keras", ".npy"):
        raise checks.BadInput(f"{args.samples} is neither a generator (.keras) nor samples (.npy); pass one of those")
    _output(args.json, "--json", ".json")
    from_npy = args.samples.suffix == ".npy"
    images = checks.images(_load_samples(args.samples), str(args.samples), metrics.SIZE) if from_npy else None
    model = None if from_npy else load_generator(args.samples)
    config.smoke_banner()
    mnist = data.load_mnist(args.data, verbose=False)
    limit = metrics.max_n(mnist)
    n = args.n or (min(len(images), limit) if from_npy else min(500, limit))
    if from_npy and n > len(images):
        raise checks.BadInput(f"--n {n} but {args.samples} holds only {len(images)} images")
    if n > limit:
        raise checks.BadInput(
            f"--n {n} is more than the {limit:,} images that {mnist.name} {mnist.source} has a real reference for "
            "(n held-out images, or n training images besides the n compared with)"
        )
    if not from_npy:
        images = draw(model, args.samples, n, args.seed)
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
        result = dict(samples_file=str(args.samples), data=f"{mnist.name} {mnist.source}", n=n, seed=args.seed)
        result.update(classifier=classifier.info, samples=scores, real=real, **extra)
        args.written.append(files.write_text(args.json, json.dumps(result, indent=1)))
        print(f"wrote {args.json}")
    return 0


def _interrupted(args, began: bool) -> str:
    """The one line for a Ctrl-C or SIGTERM: what stopped, and which outputs (each written atomically) are whole."""
    if args.command == "train":  # runs.train reports its own; this is the last resort
        return "interrupted: train stopped" + ("" if began else " before training began; nothing was written")
    written = " and ".join(map(str, args.written))
    written = f"only {written} was written (complete)" if written else "nothing was written"
    return f"interrupted: {args.command} stopped; {written}"


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)  # before TensorFlow: --help and a mistyped option answer at once
    args.written, began = [], False  # the outputs written whole, and whether the command itself began
    previous = runs.interrupt_once()  # Ctrl-C, kill, timeout: one stop, with its last words whole
    try:
        if args.command == "train":
            runs.check_train_args(args)
        from ganlab import config

        config.import_tensorflow()  # quietly, before any module imports it
        began = True
        return {"train": runs.train, "sample": sample, "evaluate": evaluate}[args.command](args)
    except checks.GanlabError as err:  # a user's mistake, by its type; anything else is a bug and raises
        print(f"error: {' '.join(str(err).split())}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        runs.ignore_interrupts()
        print(_interrupted(args, began), file=sys.stderr, flush=True)
        if argv is None:  # the process is this command: end now (a TensorFlow import cut short can crash shutdown)
            sys.stdout.flush()
            os._exit(130)
        return 130
    finally:
        if argv is not None:  # called in-process: put the signal handlers back
            runs.restore_handlers(previous)


if __name__ == "__main__":
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    sys.exit(main())
