"""Time to quality: the CLI's default DCGAN vs the tutorial's architecture vs the MLP GAN at equal CPU time.

Each contender is set up exactly as ``python -m ganlab train`` does (same optimizer, batch size, loss, data) and
trained for the largest budget; at each budget (60, 120, 300 s of training, evaluation time excluded) it is scored
with ``ganlab.metrics``: the confident rate, rarest digit and classifier score on 5,000 samples, and the Fréchet
distance and precision/recall on 500 samples beside real data's own at the same n. Prints a table.

    .venv/bin/python benchmarks/time_to_quality.py [--budgets 60 120 300] [--n 5000] [--contenders ...]
"""

from __future__ import annotations

import argparse
import json
import time

from ganlab import config

config.import_tensorflow()

import keras  # noqa: E402


from ganlab import data, metrics, models, recipes, sampling, training  # noqa: E402
from ganlab.classifier import get_classifier  # noqa: E402

# Each contender's recipe: the course's before the recipe search (Adam 2e-4, beta_1 0.5, no weight average), with
# the changes named.
BEFORE_THE_SEARCH = {"latent_dim": 100, "lr": 2e-4, "beta_1": 0.5, "ema": 0, "step": "alternating", "seed": 42}
CONTENDERS = {
    "dcgan-default": {"kind": "dcgan", "preset": "default"},
    "dcgan-tutorial": {"kind": "dcgan", "preset": "tutorial"},
    "mlp": {"kind": "mlp", "preset": None},
    # Candidates tried while choosing the CLI's defaults (see benchmarks/README.md).
    "dcgan-default-lr5e-4": {"kind": "dcgan", "preset": "default", "lr": 5e-4},
    "dcgan-default-b32": {"kind": "dcgan", "preset": "default", "batch_size": 32},
    "dcgan-g64": {"kind": "dcgan", "preset": models.dcgan_config("default", g_dense_channels=64, g_channels=(32,))},
}
N_DISTRIBUTION = 500  # samples for the Fréchet distance and precision/recall: the sample's held-out set is 500


def score(mnist, classifier, images) -> dict:
    """Per-sample scores on all images; distribution scores on the first N_DISTRIBUTION, as metrics.evaluate does."""
    probs, _ = classifier.predict(images)  # checked there: floats in [-1, 1], (N, 28, 28[, 1])
    shares = metrics.class_histogram(probs)
    full = metrics.evaluate(images[:N_DISTRIBUTION], mnist, N_DISTRIBUTION, classifier=classifier)
    return {
        "confident": metrics.confident_rate(probs),
        "min_share": float(shares.min()),
        "classifier_score": metrics.classifier_score(probs),
        **{k: full[k] for k in ("frechet_distance", "precision", "recall")},
    }


class ScoreAtBudgets(keras.callbacks.Callback):
    """Score the generator when training time (evaluation excluded) passes each budget; stop after the last."""

    def __init__(self, budgets, mnist, classifier, n, seed=0):
        super().__init__()
        self.budgets, self.mnist, self.classifier, self.n, self.seed = sorted(budgets), mnist, classifier, n, seed
        self.results, self.paused = {}, 0.0

    def on_train_begin(self, logs=None):
        self.start = time.perf_counter()

    def on_train_batch_end(self, batch, logs=None):
        elapsed = time.perf_counter() - self.start - self.paused
        pending = [b for b in self.budgets if b not in self.results and elapsed >= b]
        if pending:
            t0 = time.perf_counter()
            scores = score(self.mnist, self.classifier, sampling.draw(self.model, self.n, seed=self.seed))
            scores["steps"] = int(self.model.g_optimizer.iterations.numpy())
            for b in pending:
                self.results[b] = scores
            self.paused += time.perf_counter() - t0
        if len(self.results) == len(self.budgets):
            self.model.stop_training = True


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--budgets", type=float, nargs="+", default=[60, 120, 300])
    parser.add_argument("--n", type=int, default=5000)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--contenders", nargs="+", default=list(CONTENDERS), choices=list(CONTENDERS))
    parser.add_argument("--json", help="also write the results here")
    args = parser.parse_args()

    mnist = data.load_mnist(verbose=False)
    clf = get_classifier(mnist)
    accuracy = clf.accuracy
    print(
        f"data: {mnist.name} {mnist.source} ({len(mnist.x_train):,} training images); classifier held-out "
        f"accuracy {accuracy:.1%}; {args.n:,} samples per score; cores: {config.devices()['cpu_cores']}\n"
    )
    real = score(mnist, clf, data.to_float(mnist.x_test))
    reference = metrics.real_reference(mnist, N_DISTRIBUTION, classifier=clf)  # held-out vs training, same n
    real.update({k: reference[k] for k in ("frechet_distance", "precision", "recall")})
    table = {}
    for name in args.contenders:
        r = recipes.recipe(**{**BEFORE_THE_SEARCH, "batch_size": args.batch_size, **CONTENDERS[name]})
        config.set_seed(r.seed)
        gan = recipes.make_gan(r)
        dataset = data.make_dataset(mnist.x_train, r.batch_size, seed=r.seed)
        scorer = ScoreAtBudgets(args.budgets, mnist, clf, args.n)
        training.train(gan, dataset, epochs=10**6, verbose=0, callbacks=[scorer], n_fixed=16)
        table[name] = scorer.results
        print(
            f"{name}: "
            + ", ".join(
                f"{b:.0f} s: {r['confident']:.1%} confident, rarest {r['min_share']:.1%}"
                for b, r in sorted(scorer.results.items())
            ),
            flush=True,
        )

    print(
        "\n| model | budget (s) | G steps | confident (p>0.9) | rarest digit | classifier score | Fréchet (n=500) "
        "| precision | recall |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    rows = [("real held-out images", "-", "-", real)]
    rows += [
        (name, f"{budget:.0f}", s["steps"], s)
        for name, results in table.items()
        for budget, s in sorted(results.items())
    ]
    for name, budget, steps, s in rows:
        print(
            f"| {name} | {budget} | {steps} | {s['confident']:.1%} | {s['min_share']:.1%} | "
            f"{s['classifier_score']:.2f} | {s['frechet_distance']:.1f} | {s['precision']:.3f} | {s['recall']:.3f} |"
        )
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"real": real, "results": table, "classifier_accuracy": accuracy}, f, indent=1)


if __name__ == "__main__":
    main()
