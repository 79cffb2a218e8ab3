"""Tests for ganlab.recipes: make_gan builds what the recipe says, overrides win, the baseline stays the old recipe,
a Recipe goes to run.json and back (old run.json files included), and the CLI trains and resumes with the recipe
(weight average included)."""

import dataclasses
import json
import os
import subprocess
import sys
from pathlib import Path

from ganlab import config  # first: imports TensorFlow quietly

import numpy as np
import pytest

import keras

from ganlab import checkpoints, checks, conditional, data, files, models, recipes, sampling, training

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("kind, preset", [("dcgan", "default"), ("mlp", None), ("dcgan", "tutorial")])
def test_make_gan_follows_the_recipe(kind, preset):
    r = recipes.recipe(kind, preset)
    gan = recipes.make_gan(kind, preset)
    assert gan.latent_shape == (r.latent_dim,) and gan.step_kind == r.step
    assert (gan.ema_decay, gan.sampler is gan.generator) == (r.ema, r.ema is None)
    for optimizer in (gan.d_optimizer, gan.g_optimizer):
        assert float(optimizer.learning_rate.numpy()) == pytest.approx(r.lr)
        assert optimizer.beta_1 == pytest.approx(r.beta_1)


# A run.json from before the Recipe ("model") and before the recipe search (no beta_1, ema, step, networks).
OLD_RUN_FILE = {
    "model": "dcgan",
    "preset": "default",
    "latent_dim": 100,
    "batch_size": 64,
    "seed": 42,
    "loss": "non_saturating",
    "lr": 2e-4,
}


def test_the_tutorial_baseline_keeps_the_recipe_from_before_the_search():
    r = recipes.recipe("dcgan", "tutorial")
    assert (r.latent_dim, r.lr, r.beta_1, r.batch_size, r.ema, r.step) == (100, 2e-4, 0.5, 64, None, "alternating")
    assert recipes.recipe("dcgan").lr == recipes.RECIPES["dcgan"]["lr"] == 1e-3
    with pytest.raises(dataclasses.FrozenInstanceError):  # one settings object: changed only by override()
        r.lr = 1.0


def test_the_dcgan_has_the_second_searchs_d_and_runs_pinned_before_it_keep_theirs():
    assert recipes.recipe("dcgan").preset == "default" and recipes.recipe("cgan").preset == conditional.PRESET
    assert recipes.make_gan("dcgan").discriminator.get_layer("d_flatten").input.shape[1:] == (4, 4, 128)
    assert recipes.make_gan("cgan").discriminator.get_layer("d_flatten").input.shape[1:] == (7, 7, 64)
    # A run.json written between the two searches pinned the two-convolution D under the name "default".
    before = json.loads(recipes.recipe("dcgan", "two-conv").to_json())
    before = files.seal({**{k: v for k, v in before.items() if k != files.SEAL}, "preset": "default"})
    r = recipes.Recipe.from_json(json.dumps(before))
    gan = recipes.make_gan(r)
    assert gan.discriminator.count_params() == models.build_dcgan_discriminator("two-conv").count_params() == 36_769
    # A conditional GAN's run of that time says "default" too, with the same two convolutions pinned.
    cgan = json.loads(recipes.recipe("cgan").to_json())
    cgan = files.seal({**{k: v for k, v in cgan.items() if k != files.SEAL}, "preset": "default"})
    resumed = recipes.make_gan(recipes.Recipe.from_json(json.dumps(cgan)))
    assert resumed.discriminator.count_params() == recipes.make_gan("cgan").discriminator.count_params()
    assert resumed.discriminator.get_layer("d_flatten").input.shape[1:] == (7, 7, 64)


def test_overrides_win_and_gradient_penalties_get_the_alternating_step():
    gan = recipes.make_gan("dcgan", lr=3e-4, beta_1=0.0, ema=0, step="alternating", latent_dim=16)
    assert gan.latent_shape == (16,) and gan.ema_generator is None and gan.step_kind == "alternating"
    assert float(gan.g_optimizer.learning_rate.numpy()) == pytest.approx(3e-4) and gan.g_optimizer.beta_1 == 0.0
    assert recipes.make_gan("dcgan", loss="wasserstein_gp").step_kind == "alternating"
    assert recipes.make_gan("dcgan", n_critic=3).step_kind == "alternating"
    with pytest.raises(checks.BadInput, match="unknown GAN kind 'vae'"):
        recipes.recipe("vae")


def test_a_recipe_object_builds_the_same_gan_as_its_arguments():
    r = recipes.recipe("mlp", latent_dim=8, lr=1e-3, seed=3)
    assert (r.kind, r.preset, r.latent_dim, r.lr, r.seed) == ("mlp", None, 8, 1e-3, 3)
    a, b = recipes.make_gan(r), recipes.make_gan("mlp", latent_dim=8, lr=1e-3, seed=3)
    z = np.random.default_rng(0).standard_normal((4, 8)).astype("float32")
    np.testing.assert_array_equal(a.sample(z), b.sample(z))
    assert recipes.make_gan(r, lr=5e-4).g_optimizer.learning_rate.numpy() == pytest.approx(5e-4)  # overrides win


def test_the_conditional_gan_takes_the_dcgan_recipe_and_is_seeded():
    r = recipes.recipe("cgan")
    cgan = recipes.make_gan("cgan")
    assert isinstance(cgan, conditional.ConditionalGAN) and cgan.mismatch and cgan.loss_fn.name == "non_saturating"
    assert cgan.latent_shape == (r.latent_dim,) and cgan.ema_decay == r.ema == recipes.recipe("dcgan").ema
    assert float(cgan.d_optimizer.learning_rate.numpy()) == pytest.approx(r.lr)
    a, b = recipes.make_gan("cgan", latent_dim=16, seed=3), recipes.make_gan("cgan", latent_dim=16, seed=3)
    np.testing.assert_array_equal(sampling.draw(a, 4, labels=3, seed=0), sampling.draw(b, 4, labels=3, seed=0))
    assert not recipes.make_gan("cgan", latent_dim=16, mismatch=False).mismatch
    with pytest.raises(checks.BadInput, match="no n_critic=3, fresh_batches=True"):
        recipes.make_gan("cgan", n_critic=3, fresh_batches=True)
    with pytest.raises(checks.BadInput, match="mismatch=False is the conditional GAN's option"):
        recipes.make_gan("mlp", mismatch=False)
    with pytest.raises(ValueError, match="no step= or n_critic= choice"):
        conditional.ConditionalGAN(cgan.generator, cgan.discriminator, step="joint")


def test_a_recipe_goes_to_run_json_and_back_and_old_run_files_keep_their_settings():
    r = recipes.recipe("dcgan", batch_size=32, lr=3e-4).override(lr_changes=({"from": 3e-4, "to": 1e-4},))
    back = recipes.Recipe.from_json(r.to_json())
    assert back == dataclasses.replace(r, networks=json.loads(r.to_json())["networks"])  # the networks are pinned
    assert models.dcgan_config(back.networks) == models.dcgan_config("default")
    # A run.json from before the Recipe ("model") and before the recipe search (no beta_1, ema, step, networks).
    old = recipes.Recipe.from_json(json.dumps(OLD_RUN_FILE))
    assert (old.kind, old.beta_1, old.ema, old.step) == ("dcgan", 0.5, None, "alternating")
    assert old.networks == models.PRE_SEARCH_DEFAULT and old.lr_changes == ()
    for damaged in ('{"model": "dcg', "[1, 2]", '{"kind": "mlp"}', '{"kind": "mlp", "lr": 1, "colour": "red"}'):
        with pytest.raises((ValueError, KeyError, TypeError)):
            recipes.Recipe.from_json(damaged)


def test_cli_records_the_recipe_saves_the_average_and_resumes_old_runs(tmp_path):
    out = tmp_path / "run"
    cmd = [sys.executable, "-m", "ganlab", "train", "dcgan", "--seconds", "2", "--out", str(out), "--quiet"]
    subprocess.run(cmd, check=True, cwd=ROOT, capture_output=True, env={**os.environ, "GANLAB_SMOKE": "1"})
    settings = json.loads((out / "run.json").read_text())
    r = recipes.recipe("dcgan")
    expected = dataclasses.replace(r, networks=settings["networks"], data="sample")  # the data source recorded
    assert recipes.Recipe.from_json(json.dumps(settings)) == expected
    # The networks' parameters are recorded, so a later change of the preset cannot break this run's resume.
    assert models.dcgan_config(settings["networks"]) == models.dcgan_config("default")
    # generator.keras is what the GAN's sampler draws with (the weight average, when the recipe keeps one).
    saved = keras.models.load_model(out / "generator.keras", compile=False)
    gan = recipes.make_gan("dcgan")
    checkpoints.load_checkpoint(gan, out / "checkpoints")
    z = np.random.default_rng(0).standard_normal((4, r.latent_dim)).astype("float32")
    np.testing.assert_allclose(saved.predict(z, verbose=0), gan.sample(z), atol=1e-6)

    # A run from before the recipe search (its run.json has no beta_1, ema or step) resumes as it was trained.
    old_dir = tmp_path / "old"
    # It also trained the default preset's old discriminator (dropout, no batch norm).
    old = recipes.make_gan(
        "dcgan", models.PRE_SEARCH_DEFAULT, latent_dim=100, lr=2e-4, beta_1=0.5, ema=0, step="alternating"
    )
    images = data.to_float(data.load_mnist(verbose=False).x_train[:128])
    training.train(old, data.make_dataset(images, 64), epochs=1, out_dir=old_dir / "checkpoints", verbose=0)
    (old_dir / "run.json").write_text(json.dumps(OLD_RUN_FILE))
    resumed = subprocess.run(
        cmd[:5] + ["--epochs", "2", "--resume", "--out", str(old_dir)],
        cwd=ROOT,
        text=True,
        capture_output=True,
        env={**os.environ, "GANLAB_SMOKE": "1"},
    )
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert "resumed from" in resumed.stdout


@pytest.mark.parametrize(
    "setting, value, fragment",
    [
        ("lr", -1e-3, "lr must be a number in (0, 1)"),
        ("lr", 10, "lr must be"),
        ("beta_1", 2, "beta_1 must be"),
        ("beta_2", 1.0, "beta_2 must be"),
        ("d_lr", 0.0, "d_lr must be"),
        ("seed", -1, "seed must be an int from 0"),
        ("batch_size", 0, "batch_size must be a positive int"),
        ("ema", 1.5, "ema must be"),
    ],
)
def test_the_api_refuses_what_the_command_line_refuses(setting, value, fragment):
    # Before: make_gan("mlp", lr=-1e-3), lr=10 and beta_1=2 trained without an error (d_loss 139, then 3.9e9).
    with pytest.raises(checks.BadInput, match=fragment.replace("(", r"\(").replace(")", r"\)")):
        recipes.make_gan("mlp", **{setting: value})
