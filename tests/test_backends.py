"""The engine on all three Keras backends: a run saved on one resumes on another (CI runs this file on each)."""

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

from ganlab import config

import keras
import pytest

from ganlab import checkpoints, training
from ganlab.gan import GAN
from tiny_models import random_dataset, tiny_discriminator, tiny_generator

pytestmark = pytest.mark.backends  # backend-sensitive: make test runs this file on TensorFlow, JAX and PyTorch

TESTS = Path(__file__).resolve().parent
NEXT = {"tensorflow": "jax", "jax": "torch", "torch": "tensorflow"}  # three CI runs cover the three pairs
STEPS = 4  # batches per epoch of random_dataset()

RESUME = """
import json, sys
import numpy as np, keras
sys.path.insert(0, {tests!r})
from ganlab import checkpoints, config, training
from ganlab.gan import GAN
from tiny_models import random_dataset, tiny_discriminator, tiny_generator
config.set_seed(7)
gan = GAN(tiny_generator(), tiny_discriminator(dropout=0.3), seed=7, ema=0.9)
gan.compile(keras.optimizers.Adam(1e-3), keras.optimizers.Adam(1e-3))
checkpoints.load_checkpoint(gan, {out!r})
with np.load({npz!r}) as saved:
    diff = max(float(np.abs(np.asarray(v.numpy(), np.float64) - saved[f"{{g}}_{{i:04d}}"]).max())
               for g, vs in gan.state().items() for i, v in enumerate(vs) if g != "seed")
run = training.train(gan, random_dataset(), epochs=2, out_dir={out!r}, resume=True, verbose=0)
print(json.dumps({{"backend": keras.backend.backend(), "diff": diff, "epochs": run.history["epoch"],
                  "g_steps": int(gan.g_optimizer.iterations.numpy()), "d_loss": run.history["d_loss"],
                  "finite": bool(np.isfinite(gan.sample(np.zeros((2, 8)))).all())}}))
"""


def make_gan():
    config.set_seed(0)
    gan = GAN(tiny_generator(), tiny_discriminator(dropout=0.3), seed=0, ema=0.9)
    gan.compile(keras.optimizers.Adam(1e-3), keras.optimizers.Adam(1e-3))
    return gan


def test_a_run_saved_on_this_backend_resumes_on_the_next_with_its_weights_optimizers_and_history(tmp_path):
    here = keras.backend.backend()
    other = NEXT[here]
    if importlib.util.find_spec(other) is None:
        pytest.skip(f"{other} is not installed (pip install -e '.[backends]')")
    first = training.train(make_gan(), random_dataset(), epochs=1, out_dir=tmp_path, verbose=0)
    npz = checkpoints.latest_checkpoint(tmp_path) / checkpoints.STATE_FILE
    code = RESUME.format(tests=str(TESTS), out=str(tmp_path), npz=str(npz))
    env = {**os.environ, "KERAS_BACKEND": other}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    got = json.loads(done.stdout.strip().splitlines()[-1])
    assert got["backend"] == other
    assert got["diff"] == 0.0, "every weight, optimizer slot and counter loads exactly"
    assert got["epochs"] == [1, 2] and got["g_steps"] == 2 * STEPS, "the counters and history carry on"
    assert got["d_loss"][0] == pytest.approx(first.history["d_loss"][0]) and got["finite"]
