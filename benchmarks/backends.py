"""Steps per second of the course's GANs on each Keras backend (TensorFlow, JAX, PyTorch), on this machine.

One worker process per backend (Keras fixes its backend at import) builds the default DCGAN and the MLP GAN
(``ganlab.recipes``, batch 64), warms up, then runs rounds of ``--steps`` steps through ``training.train`` (the
trainer the notebooks and the CLI use) when told to; the backends take turns round by round, so machine load
affects each alike. Prints a Markdown table: median steps/s and the min-max over rounds.

    .venv/bin/python benchmarks/backends.py [--rounds 3] [--steps 150]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys

BACKENDS = ("tensorflow", "jax", "torch")
MODELS = (("DCGAN (default)", "dcgan", "default"), ("MLP GAN", "mlp", None))

WORKER = """
import json, sys, time
from ganlab import config, data, recipes, training
import keras
steps = int(sys.argv[1])
mnist = data.load_mnist(verbose=False)
runs = {}
for label, kind, preset in MODELS:
    gan = recipes.make_gan(kind, preset, seed=0)
    ds = data.make_dataset(mnist.x_train, recipes.recipe(kind, preset).batch_size, seed=0).repeat()
    runs[label] = (lambda gan=gan, ds=ds: training.train(gan, ds, epochs=1, steps_per_epoch=steps, verbose=0,
                                                          n_fixed=16))
    runs[label]()  # warm-up: tracing or compiling, and the first steps
print(json.dumps({"ready": keras.backend.backend(), "keras": keras.__version__}), flush=True)
for line in sys.stdin:
    rates = {}
    for label, run in runs.items():
        start = time.perf_counter()
        run()
        rates[label] = steps / (time.perf_counter() - start)
    print(json.dumps(rates), flush=True)
"""


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--steps", type=int, default=150)
    args = parser.parse_args()
    code = f"MODELS = {MODELS!r}\n{WORKER}"
    workers = {
        b: subprocess.Popen(
            [sys.executable, "-c", code, str(args.steps)],
            text=True,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env={**os.environ, "KERAS_BACKEND": b},
        )
        for b in BACKENDS
    }
    versions = {b: json.loads(w.stdout.readline()) for b, w in workers.items()}
    rates = {(b, label): [] for b in BACKENDS for label, _, _ in MODELS}
    for _ in range(args.rounds):
        for b, w in workers.items():  # one backend at a time: never two trainings at once
            w.stdin.write("go\n")
            w.stdin.flush()
            for label, rate in json.loads(w.stdout.readline()).items():
                rates[(b, label)].append(rate)
    for w in workers.values():
        w.stdin.close()
        w.wait()

    print(
        f"{args.steps} steps x {args.rounds} rounds (median); {platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} cores, Keras {versions['tensorflow']['keras']}\n"
    )
    print("| backend | " + " | ".join(f"{label}: steps/s (min-max)" for label, _, _ in MODELS) + " |")
    print("|---|" + "---|" * len(MODELS))
    for b in BACKENDS:
        cells = [
            f"{statistics.median(r):.1f} ({min(r):.1f}-{max(r):.1f})"
            for r in (rates[(b, label)] for label, _, _ in MODELS)
        ]
        print(f"| {b} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
