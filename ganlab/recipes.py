"""The course's training recipes, and ``make_gan``, which builds a compiled GAN from one.

A recipe is everything besides the data that decides how a GAN of the course trains: the size of z, Adam's
learning rate and beta_1 (the same for both networks), the batch size, the weight average of G (``ema``, a decay,
or None) and the kind of step (``"alternating"`` or ``"joint"``, see :class:`ganlab.gan.GAN`). Every caller
(the CLI, the notebooks, ``ganlab.pretrained``, the benchmarks) takes its settings from here, so a recipe
changes in one place. ``benchmarks/recipe_search.py`` compares candidate recipes (tables in
``benchmarks/README.md``); the TensorFlow tutorial's preset keeps the course's original recipe as the baseline.
"""

from __future__ import annotations

from ganlab import config  # first: imports TensorFlow quietly

import keras

from ganlab import losses, models
from ganlab.gan import GAN
from ganlab import checks

RECIPES: dict[str, dict] = {
    # The recipe search's leader for the default DCGAN (benchmarks/README.md, "Recipe search": candidate
    # "d32-dbn-ema0.999", with z of 100 as its "-z100" confirmation: the same at equal steps; its networks are
    # models.DCGAN_PRESETS["default"]). The conditional GAN takes it too.
    "dcgan": {"latent_dim": 100, "lr": 1e-3, "beta_1": 0.5, "batch_size": 64, "ema": 0.999, "step": "alternating"},
    # Notebook 02's classic MLP GAN, kept as the course's first, untuned GAN (the search's tuned MLP, Adam 1e-3
    # with a weight average, is measured in benchmarks/README.md and taught in notebook 03).
    "mlp": {"latent_dim": 100, "lr": 2e-4, "beta_1": 0.5, "batch_size": 64, "ema": None, "step": "alternating"},
    # The baseline: the course's recipe before the search, on the TensorFlow tutorial's networks.
    "tutorial": {"latent_dim": 100, "lr": 2e-4, "beta_1": 0.5, "batch_size": 64, "ema": None, "step": "alternating"},
}


def recipe(kind="dcgan", preset="default") -> dict:
    """A copy of the recipe the course trains ``kind`` ("mlp", "dcgan" or "cgan") with; a DCGAN's depends on its preset."""
    if kind == "mlp":
        return dict(RECIPES["mlp"])
    if kind not in ("dcgan", "cgan"):
        raise checks.BadInput(f"unknown GAN kind {kind!r}; expected 'mlp', 'dcgan' or 'cgan'")
    return dict(RECIPES["tutorial" if preset == "tutorial" else "dcgan"])


def make_gan(kind="dcgan", preset="default", latent_dim=None, *, lr=None, beta_1=None, ema=None, step=None,
             loss="non_saturating", seed=42, d_lr=None, g_lr=None, n_critic=1, spectral_norm=False,
             instance_noise=None, track_grad_norms=False, beta_2=0.999, fresh_batches=False) -> GAN:
    """A compiled GAN of the course: ``models.build_pair(kind, preset)``, seeded, with one Adam per network.

    Every setting left at None comes from ``recipe(kind, preset)``; ``ema=0`` turns the weight average off. A
    gradient-penalty loss or ``n_critic`` > 1 needs the alternating step, so that is the default step for them.
    ``d_lr`` / ``g_lr`` override ``lr`` for one network; ``spectral_norm`` wraps D's layers in spectral
    normalization; ``beta_2`` is both Adams' (WGAN-GP: ``beta_1=0, beta_2=0.9``); ``n_critic``, ``fresh_batches``
    (a real batch per critic step), ``instance_noise`` and ``track_grad_norms`` go to :class:`ganlab.gan.GAN`.
    """
    r = recipe(kind, preset)
    latent_dim = r["latent_dim"] if latent_dim is None else latent_dim
    lr, beta_1 = (r["lr"] if lr is None else lr), (r["beta_1"] if beta_1 is None else beta_1)
    ema = r["ema"] if ema is None else (ema or None)
    if step is None:
        step = "alternating" if n_critic != 1 or losses.get(loss).gp_weight > 0 else r["step"]
    config.set_seed(seed)
    gan = GAN(*models.build_pair(kind, preset, latent_dim, spectral_norm=spectral_norm), n_critic=n_critic, seed=seed,
              instance_noise=instance_noise, track_grad_norms=track_grad_norms, ema=ema, step=step,
              fresh_batches=fresh_batches)  # fmt: skip
    d_lr, g_lr = (lr if d_lr is None else d_lr), (lr if g_lr is None else g_lr)
    gan.compile(d_optimizer=keras.optimizers.Adam(d_lr, beta_1=beta_1, beta_2=beta_2),
                g_optimizer=keras.optimizers.Adam(g_lr, beta_1=beta_1, beta_2=beta_2), loss=loss)
    return gan
