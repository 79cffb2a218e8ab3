"""Write data/pretrained/ from the notebooks' full runs: each generator's float16 weights and manifest.json.

Run it from the repository root after the notebooks' full runs (``make course``), in full mode:

    .venv/bin/python data/make_pretrained.py            # every model of ganlab.pretrained.REGISTRY with a run
    .venv/bin/python data/make_pretrained.py dcgan      # only some
    .venv/bin/python data/make_pretrained.py classifier # only the digit classifier

For each model it reads ``notebooks/runs/<run>/generator.keras``, and how it was trained from the stored notebook's
outputs (the last progress line ``step S/S ... T s``, or ``epoch E/E ... T s``, gives the steps or epochs and the
seconds; the data notice the data). It
writes ``<name>.npz`` (``pretrained.save_weights``: float16, fixed zip dates, so the same weights give the same
sha256), reloads it with ``pretrained.load_weights``, checks that 500 images change by less than 0.01, scores 500
samples with ``metrics.evaluate`` and records it all in ``manifest.json``. Models whose run is missing keep their
record. To add a model: one ``Entry`` in ``ganlab.pretrained.REGISTRY``, its notebook's full run, then this script.

It also ships the full digit classifier that scored them (``ganlab.classifier``, trained on the MNIST sample) as
``classifier.keras`` without optimizer state, so ``classifier.get_classifier`` loads it instead of training it on a
machine whose cache is empty; its record (sha256, the cache file name it stands for, how it was trained) goes in
the manifest too. On the full MNIST the classifier is not shipped (its cache key differs) and its record is kept.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

from ganlab import config  # first: imports TensorFlow quietly

import keras
import numpy as np

from ganlab import classifier, data, metrics, pretrained, sampling

ROOT = Path(__file__).resolve().parent.parent
MACHINE = "2-core CPU"  # where the notebooks' stored full runs were made
N = 500  # samples scored per model, with seed 0
MAX_CHANGE = 1e-2  # the float16 round trip may move a pixel (on [-1, 1]) by at most this
KEEP = ("n", "frechet_distance", "classifier_score", "confident", "coverage", "min_share", "precision", "recall",
        "nearest_train_median", "histogram", "compared_with")


def notebook_run(entry: pretrained.Entry) -> dict:
    """Steps (or epochs), seconds and data of the run stored in the entry's notebook (its last full progress line)."""
    nb = json.loads((ROOT / "notebooks" / entry.notebook).read_text())
    text = "".join(o.get("text", "") if isinstance(o.get("text", ""), str) else "".join(o["text"])
                   for c in nb["cells"] if c["cell_type"] == "code" for o in c.get("outputs", []))
    ends = [m for m in re.finditer(r"(step|epoch)\s+([\d,]+)/([\d,]+)\s.*?([\d.]+) s\s*$", text, re.M) if m[2] == m[3]]
    if not ends:
        raise SystemExit(f"{entry.notebook} holds no finished training run (a line 'step S/S ... T s'): "
                         f"run it in full mode first (make course NB=notebooks/{entry.notebook})")
    if "SMOKE MODE" in text:
        raise SystemExit(f"{entry.notebook}'s stored outputs are a smoke run; store a full run first")
    unit, count = ends[-1][1], int(ends[-1][2].replace(",", ""))
    return {"unit": unit, "count": count, "seconds": float(ends[-1][4]), "sample": "MNIST sample" in text}


def draw(generator, z) -> np.ndarray:
    """G(z), a conditional generator asked for the labels the shipped files were made with (0-9 in turn)."""
    return sampling.run_generator(generator, z, pretrained.shipped_labels(generator, len(z)))


def build_one(name: str, mnist, judge, z: np.ndarray) -> dict:
    entry = pretrained.entry(name)
    run_file = ROOT / "notebooks" / "runs" / entry.run / "generator.keras"
    original = keras.models.load_model(run_file, compile=False)
    out = pretrained.folder() / f"{name}.npz"
    pretrained.save_weights(original, out)
    shipped = pretrained.build(name)
    check = pretrained.load_weights(shipped, out)
    change = float(np.abs(draw(shipped, z) - draw(original, z)).max())
    change_check = float(np.abs(draw(shipped, check["z"]) - check["images"]).max())
    if max(change, change_check) >= MAX_CHANGE:
        raise SystemExit(f"{name}: float16 weights change the images by {change:.3g} (limit {MAX_CHANGE})")
    run = notebook_run(entry)
    images = draw(shipped, z)
    if run["sample"] != (mnist.source == "sample"):
        raise SystemExit(f"{entry.notebook} trained on other data than load_mnist() gives now ({mnist.source})")
    kw = entry.make_kwargs
    trained = {"notebook": entry.notebook, "run": f"notebooks/runs/{entry.run}/generator.keras",
               "data": f"{'MNIST sample' if run['sample'] else 'full MNIST'} ({len(mnist.x_train):,} training images)",
               "epochs": run["count"] if run["unit"] == "epoch" else None,
               "steps": run["count"] * (len(mnist.x_train) // entry.batch_size) if run["unit"] == "epoch" else run["count"],
               "batch_size": entry.batch_size, "optimizer": "Adam, one per network", "lr": kw["lr"],
               "beta_1": kw["beta_1"], "ema": kw.get("ema") or None, "loss": kw["loss"], "seed": kw["seed"],
               "seconds": run["seconds"],
               "machine": MACHINE}  # fmt: skip
    scores = metrics.evaluate(images, mnist, N, classifier=judge)
    return {"title": entry.title, "file": out.name, "sha256": data.sha256(out), "bytes": out.stat().st_size,
            "parameters": int(shipped.count_params()),
            "architecture": {"build": entry.build, "kwargs": entry.build_kwargs}, "trained": trained,
            "float16_max_abs_change": round(max(change, change_check), 6),
            "metrics": {k: (round(v, 4) if isinstance(v, float) else v) for k, v in scores.items() if k in KEEP}}


def ship_classifier(judge: classifier.Classifier, mnist) -> dict:
    """Write the judge as data/pretrained/classifier.keras, check the copy predicts the same, return its record."""
    out = pretrained.folder() / classifier.SHIPPED
    classifier.save_for_shipping(judge, out)
    x = data.to_float(mnist.x_test)
    change = float(np.abs(keras.models.load_model(out).predict(x, verbose=0) - judge.model.predict(x, verbose=0)).max())
    if change > 1e-5:
        raise SystemExit(f"the shipped classifier's probabilities differ from the cached one's by {change:.3g}")
    return {"file": out.name, "sha256": data.sha256(out), "bytes": out.stat().st_size,
            "cache_file": classifier.cache_path(mnist).name, "info": judge.info}


def main(names) -> None:
    if config.is_smoke():
        raise SystemExit("run data/make_pretrained.py in full mode (unset GANLAB_SMOKE): it scores with the full "
                         "classifier")  # fmt: skip
    config.set_seed(0)
    names = names or ["classifier"] + [n for n in pretrained.NAMES
                                       if (ROOT / "notebooks/runs" / pretrained.entry(n).run).is_dir()]
    path = pretrained.folder() / pretrained.MANIFEST
    old = json.loads(path.read_text()) if path.exists() else {}
    mnist = data.load_mnist(verbose=False)
    judge = classifier.get_classifier(mnist)
    reference = metrics.real_reference(mnist, N, classifier=judge)
    models, shipped_classifier = dict(old.get("models", {})), old.get("classifier")
    if "classifier" in names and mnist.source == "sample" and not judge.info["smoke"]:
        shipped_classifier = ship_classifier(judge, mnist)
        print(f"classifier: {shipped_classifier['bytes'] / 1e6:.2f} MB, sha256 {shipped_classifier['sha256']}, "
              f"held-out accuracy {judge.accuracy:.1%}")
    for name in (n for n in names if n != "classifier"):
        z = np.random.default_rng(0).standard_normal((N, pretrained.entry(name).latent_dim)).astype(np.float32)
        models[name] = build_one(name, mnist, judge, z)
        print(f"{name}: {models[name]['bytes'] / 1e6:.2f} MB, sha256 {models[name]['sha256']}, float16 change "
              f"{models[name]['float16_max_abs_change']:.2g}, confident {models[name]['metrics']['confident']:.1%}")
    manifest = {
        "format": 1,
        "about": "Generators trained by the course notebooks' full runs, shipped as float16 weights; load them with "
                 "ganlab.pretrained.load(name). The digit classifier that scored them, which "
                 "ganlab.classifier.get_classifier loads for the MNIST sample. Written by data/make_pretrained.py.",
        "licence": "MIT (the ganlab code that trained them); trained on MNIST, CC BY-SA 3.0 (see data/README.md)",
        "metrics_of": f"{N} samples of z ~ N(0, I) from numpy.random.default_rng(0), scored by ganlab.metrics.evaluate "
                      f"with the digit classifier ({judge.info['recipe']}, {judge.accuracy:.1%} held-out accuracy)",
        "real_reference": {k: (round(v, 4) if isinstance(v, float) else v) for k, v in reference.items() if k in KEEP},
        "classifier": shipped_classifier,
        "models": {name: models[name] for name in sorted(models, key=lambda n: list(pretrained.NAMES).index(n)
                                                         if n in pretrained.NAMES else 99)},
    }
    path.write_text(json.dumps(manifest, indent=1, ensure_ascii=False) + "\n")
    print(f"wrote {data.relative(path)}")


if __name__ == "__main__":
    main(sys.argv[1:])
