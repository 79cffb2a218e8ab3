"""Recipe search: which training choices make the DCGAN (and the MLP GAN) draw digits, at equal steps and time.

Each candidate is a recipe (networks, optimizer, batch, EMA, step kind) trained by ``ganlab.training.train``, the
course's own trainer, on the shipped sample. While it trains it is scored with ``ganlab.metrics`` when its
generator step count reaches each of ``--steps`` and when its training time (evaluation excluded) passes each of
``--seconds``: the confident rate and rarest digit on 5,000 samples, the Fréchet distance and precision/recall on
500 samples (real held-out images' own numbers at the same n are printed first). Seeds run in the outer loop and
candidates in the inner one, so contenders alternate and share the machine's speed changes. Prints, per
candidate and budget, the median and the range over seeds; steps/s is reported separately.

    .venv/bin/python benchmarks/recipe_search.py --candidates default lr1e-3 ... --seeds 1 2 3 --steps 500 1000
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from ganlab import config

config.import_tensorflow()

import keras  # noqa: E402
import numpy as np  # noqa: E402

from ganlab import data, gan, models, recipes, training  # noqa: E402
from ganlab.classifier import get_classifier  # noqa: E402

from search_scores import ScoreAt, real_scores, second_view  # noqa: E402

# The discriminator the leads of the recipe issue started from: twice the default's width, no dropout.
WIDE_D = {"d_channels": (64, 128), "dropout": 0.0}
# A DCGAN candidate's networks are the preset "from" with the changes in "preset". The first search's candidates
# start from the default of its time (models.PRE_SEARCH_DEFAULT), so they train today what they trained then.
BASE = {
    "model": "dcgan",
    "from": models.PRE_SEARCH_DEFAULT,
    "preset": {},
    "latent_dim": 100,
    "lr": 2e-4,
    "beta_1": 0.5,
    "beta_2": 0.999,
    "batch_size": 64,
    "ema": None,
    "step": "alternating",
}
LEAD = {**BASE, "preset": WIDE_D, "latent_dim": 64, "lr": 1e-3}
# The course's DCGAN after the first search (ganlab.recipes' "dcgan" on the "two-conv" preset), as a recipe here.
NOW = {**BASE, "from": "two-conv", "lr": 1e-3, "ema": 0.999}


def _with(recipe, **changes):
    preset = {**recipe["preset"], **changes.pop("preset", {})}
    return {**recipe, **changes, "preset": preset}


CANDIDATES = {
    # The course's DCGAN before this search (Adam 2e-4, D 32 -> 64 with dropout 0.3, z of 100).
    "default": BASE,
    "lr1e-3": _with(BASE, lr=1e-3),
    # D 64 -> 128 without dropout, z of 64, Adam 1e-3: the starting point.
    "lead": LEAD,
    "lead-lr5e-4": _with(LEAD, lr=5e-4),
    "lead-lr2e-3": _with(LEAD, lr=2e-3),
    "lead-beta0.9": _with(LEAD, beta_1=0.9),
    "lead-ema0.99": _with(LEAD, ema=0.99),
    "lead-ema0.999": _with(LEAD, ema=0.999),
    "lead-joint": _with(LEAD, step="joint"),
    "lead-nearest": _with(LEAD, preset={"upsample": "nearest"}),
    "lead-dbn": _with(LEAD, preset={"d_batchnorm": True}),
    "lead-dropout": _with(LEAD, preset={"dropout": 0.3}),
    "lead-d32": _with(LEAD, preset={"d_channels": (32, 64)}),
    "lead-halfG": _with(LEAD, preset={"g_dense_channels": 64, "g_channels": (32,)}),
    "lead-z100": _with(LEAD, latent_dim=100),
    "lead-b32": _with(LEAD, batch_size=32),
    "lead-b128": _with(LEAD, batch_size=128),
    "lead-stride1-256": _with(LEAD, preset={"g_dense_channels": 256, "g_channels": (128, 64), "g_strides": (1, 2)}),
    # Combinations of the choices that paid off alone: D 32 -> 64 (the default's width, no dropout) was as good
    # per step as 64 -> 128 at twice the steps per second, batch norm in D and the weight average helped.
    "d32-dbn": _with(LEAD, preset={"d_channels": (32, 64), "d_batchnorm": True}),
    "d32-dbn-ema0.999": _with(LEAD, preset={"d_channels": (32, 64), "d_batchnorm": True}, ema=0.999),
    "d32-dbn-ema0.999-lr2e-3": _with(LEAD, preset={"d_channels": (32, 64), "d_batchnorm": True}, ema=0.999, lr=2e-3),
    "d32-dbn-ema0.999-z100": _with(
        LEAD, preset={"d_channels": (32, 64), "d_batchnorm": True}, ema=0.999, latent_dim=100
    ),
    "d32-dbn-ema0.999-z100-b128": _with(
        LEAD, preset={"d_channels": (32, 64), "d_batchnorm": True}, ema=0.999, latent_dim=100, batch_size=128
    ),
    "d32-dbn-ema0.999-joint": _with(
        LEAD, preset={"d_channels": (32, 64), "d_batchnorm": True}, ema=0.999, step="joint"
    ),
    "d32-ema0.999-joint": _with(LEAD, preset={"d_channels": (32, 64)}, ema=0.999, step="joint"),
    "d32-dbn-ema0.999-halfG": _with(
        LEAD,
        preset={"d_channels": (32, 64), "d_batchnorm": True, "g_dense_channels": 64, "g_channels": (32,)},
        ema=0.999,
    ),
    "d32-dbn-ema0.999-nearest": _with(
        LEAD, preset={"d_channels": (32, 64), "d_batchnorm": True, "upsample": "nearest"}, ema=0.999
    ),
    "lead-joint-ema0.999": _with(LEAD, step="joint", ema=0.999),
    "lead-joint-ema0.99": _with(LEAD, step="joint", ema=0.99),
    "lead-nearest-ema0.999": _with(LEAD, preset={"upsample": "nearest"}, ema=0.999),
    "lead-nearest-joint-ema0.999": _with(LEAD, preset={"upsample": "nearest"}, step="joint", ema=0.999),
    # What the course trains now: ganlab.recipes.make_gan, as the CLI and the notebooks build it.
    "course-dcgan": {"course": ("dcgan", "default")},
    # The course's DCGAN before the second search's change of D (the "two-conv" preset, the conditional GAN's).
    "course-two-conv": {"course": ("dcgan", "two-conv")},
    # The second search (issue 26) starts from the course's DCGAN and gives D more capacity: a third convolution
    # (to 4x4), at the default's widths or at twice them (the 662,465-weight D of the probe).
    "now-d3": _with(NOW, preset={"d_channels": (32, 64, 128)}),
    "now-d3-wide": _with(NOW, preset={"d_channels": (64, 128, 256)}),
    # Second screen, on now-d3: R3GAN's and StyleGAN2's Adam (beta_1 0, beta_2 0.99); G twice as wide; a batch of
    # 128; nearest-neighbour upsampling in G.
    "d3-adam0": _with(NOW, preset={"d_channels": (32, 64, 128)}, beta_1=0.0, beta_2=0.99),
    "d3-g2": _with(NOW, preset={"d_channels": (32, 64, 128), "g_dense_channels": 256, "g_channels": (128,)}),
    "d3-b128": _with(NOW, preset={"d_channels": (32, 64, 128)}, batch_size=128),
    "d3-nearest": _with(NOW, preset={"d_channels": (32, 64, 128), "upsample": "nearest"}),
    "course-mlp": {"course": ("mlp", None)},
    "course-tutorial": {"course": ("dcgan", "tutorial")},
    # The MLP GAN: the course's recipe before the search, and the same choices.
    "mlp": {**BASE, "model": "mlp"},
    "mlp-lr1e-3": {**BASE, "model": "mlp", "lr": 1e-3},
    "mlp-lr5e-4": {**BASE, "model": "mlp", "lr": 5e-4},
    "mlp-ema0.999": {**BASE, "model": "mlp", "ema": 0.999},
    "mlp-joint": {**BASE, "model": "mlp", "step": "joint"},
    "mlp-lr1e-3-ema0.999": {**BASE, "model": "mlp", "lr": 1e-3, "ema": 0.999},
    "mlp-lr1e-3-joint": {**BASE, "model": "mlp", "lr": 1e-3, "step": "joint"},
    "mlp-lr5e-4-ema0.999": {**BASE, "model": "mlp", "lr": 5e-4, "ema": 0.999},
}


def build(recipe: dict, seed: int) -> gan.GAN:
    """The compiled GAN of a recipe, seeded as ``recipes.make_gan`` seeds the course's (which builds "course-*")."""
    if "course" in recipe:
        return recipes.make_gan(*recipe["course"], seed=seed)
    config.set_seed(seed)
    if recipe["model"] == "mlp":
        g, d = models.build_mlp_generator(recipe["latent_dim"]), models.build_mlp_discriminator()
    else:
        preset = models.dcgan_config(recipe["from"], **recipe["preset"])
        g = models.build_dcgan_generator(recipe["latent_dim"], preset=preset)
        d = models.build_dcgan_discriminator(preset=preset)
    net = gan.GAN(g, d, seed=seed, ema=recipe["ema"], step=recipe["step"])
    net.compile(
        d_optimizer=keras.optimizers.Adam(recipe["lr"], beta_1=recipe["beta_1"], beta_2=recipe["beta_2"]),
        g_optimizer=keras.optimizers.Adam(recipe["lr"], beta_1=recipe["beta_1"], beta_2=recipe["beta_2"]),
    )
    return net


def run_one(name, seed, mnist, clf, second, args) -> dict:
    recipe = CANDIDATES[name]
    net = build(recipe, seed)
    batch_size = recipes.recipe(*recipe["course"]).batch_size if "course" in recipe else recipe["batch_size"]
    dataset = data.make_dataset(mnist.x_train, batch_size, seed=seed)
    scorer = ScoreAt(args.steps, args.seconds, mnist, clf, second, args.n)
    t0 = time.perf_counter()
    training.train(net, dataset, epochs=10**6, verbose=0, callbacks=[scorer], n_fixed=16)
    steps = int(net.g_optimizer.iterations.numpy())
    train_s = time.perf_counter() - t0 - scorer.paused
    return {
        "candidate": name,
        "seed": seed,
        "steps_per_s": steps / train_s,
        "at_steps": scorer.at_steps,
        "at_seconds": scorer.at_seconds,
    }


def _cell(values, fmt):
    values = sorted(values)
    med = float(np.median(values))
    return (
        fmt.format(med) if len(values) == 1 else f"{fmt.format(med)} [{fmt.format(values[0])}-{fmt.format(values[-1])}]"
    )


def _second(rows, key, fmt, scale=1):
    values = [scale * x[key] for x in rows if key in x]
    return _cell(values, fmt) if values else "-"


def table(runs, real) -> str:
    """Median [min-max] over seeds of each candidate at each budget, in the order the candidates were given; the
    second view's columns ("2nd") are "-" for runs scored before it existed."""
    lines = [
        "| candidate | budget | seeds | G steps | Fréchet (n=500) | confident (p>0.9) | rarest digit | precision "
        "| recall | 2nd Fréchet | 2nd confident | 2nd rarest | steps/s |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
        f"| real held-out images | - | - | - | {real['frechet_distance']:.1f} | {real['confident']:.1%} | "
        f"{real['min_share']:.1%} | {real['precision']:.3f} | {real['recall']:.3f} | {real['second_frechet']:.2f} | "
        f"{real['second_confident']:.1%} | {real['second_min_share']:.1%} | - |",
    ]
    names = list(dict.fromkeys(r["candidate"] for r in runs))
    for name in names:
        mine = [r for r in runs if r["candidate"] == name]
        rate = _cell([r["steps_per_s"] for r in mine], "{:.1f}")
        for kind, unit in (("at_steps", " steps"), ("at_seconds", " s")):
            for budget in sorted({float(b) for r in mine for b in r[kind]}):
                rows = [r[kind][b] for r in mine for b in r[kind] if float(b) == budget]
                lines.append(
                    f"| {name} | {budget:g}{unit} | {len(rows)} | {_cell([x['steps'] for x in rows], '{:.0f}')} | "
                    f"{_cell([x['frechet_distance'] for x in rows], '{:.1f}')} | "
                    f"{_cell([100 * x['confident'] for x in rows], '{:.1f}')}% | "
                    f"{_cell([100 * x['min_share'] for x in rows], '{:.1f}')}% | "
                    f"{_cell([x['precision'] for x in rows], '{:.3f}')} | "
                    f"{_cell([x['recall'] for x in rows], '{:.3f}')} | "
                    f"{_second(rows, 'second_frechet', '{:.2f}')} | "
                    f"{_second(rows, 'second_confident', '{:.1f}%', 100)} | "
                    f"{_second(rows, 'second_min_share', '{:.1f}%', 100)} "
                    f"| {rate} |"
                )
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--candidates", nargs="+", default=["default", "lead"], choices=list(CANDIDATES))
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--steps", type=int, nargs="*", default=[500, 1000, 2000])
    parser.add_argument("--seconds", type=float, nargs="*", default=[])
    parser.add_argument("--n", type=int, default=5000, help="samples for the confident rate and rarest digit")
    parser.add_argument(
        "--json",
        type=Path,
        help="write every run here as it finishes (and read it back: a "
        "candidate and seed already in it is not run again)",
    )
    parser.add_argument("--table", type=Path, help="print the table of this --json file and exit")
    args = parser.parse_args()

    mnist = data.load_mnist(verbose=False)
    clf = get_classifier(mnist)
    second = second_view(mnist)
    real = real_scores(mnist, clf, second)
    if args.table:
        print(table(json.loads(args.table.read_text())["runs"], real))
        return
    print(
        f"data: {mnist.name} {mnist.source} ({len(mnist.x_train):,} training images); classifier held-out accuracy "
        f"{clf.accuracy:.1%}, second view's {second.accuracy:.1%}; cores: {config.devices()['cpu_cores']}; "
        f"Keras {keras.__version__}",
        flush=True,
    )
    runs = json.loads(args.json.read_text())["runs"] if args.json and args.json.exists() else []
    for seed in args.seeds:
        for name in args.candidates:
            if any(r["candidate"] == name and r["seed"] == seed for r in runs):
                continue
            r = run_one(name, seed, mnist, clf, second, args)
            runs.append(r)
            last = r["at_steps"][max(r["at_steps"])] if r["at_steps"] else r["at_seconds"][max(r["at_seconds"])]
            print(
                f"{name} seed {seed}: {r['steps_per_s']:.1f} steps/s; at {last['steps']} steps Fréchet "
                f"{last['frechet_distance']:.1f}, confident {last['confident']:.1%}",
                flush=True,
            )
            if args.json:
                args.json.write_text(json.dumps({"runs": runs}, indent=1))
    print()
    print(table([r for r in runs if r["candidate"] in args.candidates], real))


if __name__ == "__main__":
    main()
