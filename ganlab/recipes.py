"""The course's training recipes: ``Recipe``, the one settings object, and ``make_gan``, the one factory.

A recipe is everything besides the data that decides how a GAN of the course trains: which GAN (``kind``: "mlp",
"dcgan" or "cgan", the conditional DCGAN) on which networks (``preset``), the size of z, Adam's learning rate and
betas (the same for both networks), the batch size and seed, the loss, the weight average of G (``ema``, a
decay, or None) and the kind of step (``"alternating"`` or ``"joint"``, see :class:`ganlab.gan.GAN`); a command-line
run also records its data source. A Recipe checks its values as it is made (``ganlab.checks``), so the Python API
refuses what the command line refuses.
``recipe(kind, preset, **overrides)`` is the course's recipe with some settings changed, and ``make_gan`` builds
the compiled GAN a recipe describes. Every caller (the command line, which keeps a run's recipe in its
``run.json``; the notebooks; ``ganlab.pretrained``; the benchmarks) takes its settings from here, so a recipe
changes in one place. ``benchmarks/recipe_search.py`` compares candidate recipes (tables in
``benchmarks/README.md``); the TensorFlow tutorial's preset keeps the course's original recipe as the baseline.
"""

from __future__ import annotations

from ganlab import config  # first: imports TensorFlow quietly

import dataclasses
import json

import keras

from ganlab import checks, conditional, files, losses, models
from ganlab.gan import GAN

KINDS = ("mlp", "dcgan", "cgan")
RECIPES: dict[str, dict] = {
    # The recipe search's leader for the default DCGAN (benchmarks/README.md, "Recipe search": candidate
    # "d32-dbn-ema0.999", with z of 100 as its "-z100" confirmation: the same at equal steps; its networks are
    # models.DCGAN_PRESETS["default"]). The conditional GAN takes it too (on conditional.PRESET's networks).
    "dcgan": {"latent_dim": 100, "lr": 1e-3, "beta_1": 0.5, "batch_size": 64, "ema": 0.999, "step": "alternating"},
    # Notebook 02's classic MLP GAN, kept as the course's first, untuned GAN (the search's tuned MLP, Adam 1e-3
    # with a weight average, is measured in benchmarks/README.md and taught in notebook 03).
    "mlp": {"latent_dim": 100, "lr": 2e-4, "beta_1": 0.5, "batch_size": 64, "ema": None, "step": "alternating"},
    # The baseline: the course's recipe before the search, on the TensorFlow tutorial's networks.
    "tutorial": {"latent_dim": 100, "lr": 2e-4, "beta_1": 0.5, "batch_size": 64, "ema": None, "step": "alternating"},
}
# What the conditional GAN's one step (one D update, one G update per batch) has no room for: each setting's "off".
NOT_CONDITIONAL = {
    "step": "alternating",
    "n_critic": 1,
    "fresh_batches": False,
    "instance_noise": None,
    "track_grad_norms": False,
}


@dataclasses.dataclass(frozen=True)
class Recipe:
    """How one GAN of the course is built and trained: the one settings object, from the command line to the trainer."""

    kind: str  # "mlp", "dcgan" or "cgan"
    preset: str | dict | None  # the DCGAN's networks: a name of models.DCGAN_PRESETS, or parameters; None: the MLP
    latent_dim: int  # the size of z
    lr: float  # Adam's learning rate, both networks
    beta_1: float
    ema: float | None  # the decay of G's weight average, which then draws the samples; None (or 0): none
    step: str  # "alternating" (D, then G on fresh noise) or "joint" (both from one pass)
    batch_size: int = 64
    seed: int = 42  # seeds the weights, the noise and the data order
    loss: str = "non_saturating"  # a name of losses.LOSSES (or a losses.GANLoss, which run.json cannot hold)
    beta_2: float = 0.999  # Adam's, both networks (WGAN-GP: beta_1=0, beta_2=0.9)
    d_lr: float | None = None  # one network's own learning rate instead of lr
    g_lr: float | None = None
    n_critic: int = 1  # D updates per G update; fresh_batches: a real batch for each
    fresh_batches: bool = False
    spectral_norm: bool = False  # wrap D's layers in spectral normalization
    instance_noise: float | None = None  # the std of the noise added to D's inputs (ganlab.gan.GAN)
    track_grad_norms: bool = False  # record each network's gradient norm in the history
    mismatch: bool = True  # cgan: D also calls real images with a wrong label fake
    networks: str | dict | None = None  # the networks run.json pins (to_json); None: the preset's
    lr_changes: tuple = ()  # a resumed run's changes of lr, each {"from": old, "to": new}
    data: str | None = None  # the MNIST source a command-line run trains on ("sample", "full"; data.load_mnist)

    def __post_init__(self):
        """The same checks as the command line's, so that a notebook's ``make_gan(lr=-1e-3)`` is refused too."""
        checks.one_of(self.kind, "kind", KINDS)
        checks.positive_int(self.latent_dim, "latent_dim", "the size of z")
        checks.positive_int(self.batch_size, "batch_size")
        checks.seed(self.seed)
        checks.positive_int(self.n_critic, "n_critic", "D updates per G update")
        checks.one_of(self.step, "step", ("alternating", "joint"))
        for name in ("lr", "d_lr", "g_lr"):
            if name == "lr" or getattr(self, name) is not None:
                checks.learning_rate(getattr(self, name), name)
        checks.beta(self.beta_1, "beta_1")
        checks.beta(self.beta_2, "beta_2")
        if self.ema is not None:
            checks.number(self.ema, "ema", 0, 1, high_open=True, meaning="the decay of G's weight average")
        if self.instance_noise is not None:
            checks.positive_number(self.instance_noise, "instance_noise", "the std of the noise added to D's inputs")

    def override(self, **changes) -> Recipe:
        """This recipe with ``changes``; None keeps a setting, ``ema=0`` turns the weight average off, and a
        gradient-penalty loss or ``n_critic`` > 1 gets the alternating step unless ``step`` is given too."""
        changes = {name: value for name, value in changes.items() if value is not None}
        r = dataclasses.replace(self, **changes)
        if "step" not in changes and (r.n_critic != 1 or losses.get(r.loss).gp_weight > 0):
            r = dataclasses.replace(r, step="alternating")
        return dataclasses.replace(r, ema=r.ema or None)

    def to_json(self) -> str:
        """The text of a run's ``run.json``, the networks' parameters included, so that a later change of the
        preset cannot break the run's resume; sealed with its checksum (``files.seal``)."""
        fields = dataclasses.asdict(self)
        if self.kind != "mlp" and self.networks is None:
            fields["networks"] = models.dcgan_config(self.preset)
        return json.dumps(files.seal(fields), indent=2)

    @classmethod
    def from_json(cls, text: str) -> Recipe:
        """The Recipe of a ``run.json``; one from before the Recipe (``"model"`` for ``kind``) or before the
        recipe search gets the settings its run was trained with, so that it resumes as it was."""
        fields = files.unseal(json.loads(text), "run.json")  # a DamagedRun if it changed since it was written
        if "model" in fields:
            fields["kind"] = fields.pop("model")
        # Before the search: Adam beta_1 0.5, no weight average, the alternating step, and the default preset's old
        # discriminator (dropout, no batch norm).
        fields = {"beta_1": 0.5, "ema": None, "step": "alternating", **fields}
        if fields["kind"] != "mlp" and "networks" not in fields:
            fields["networks"] = models.PRE_SEARCH_DEFAULT if fields["preset"] == "default" else fields["preset"]
        return cls(**{**fields, "lr_changes": tuple(fields.get("lr_changes", ()))})


def recipe(kind="dcgan", preset=None, **overrides) -> Recipe:
    """The course's Recipe for ``kind`` ("mlp", "dcgan" or "cgan") with ``overrides`` (see ``Recipe.override``).

    A DCGAN's recipe depends on its preset ("default" when None; the conditional GAN's is
    ``conditional.PRESET``); the conditional GAN takes the DCGAN's recipe.
    """
    if kind not in KINDS:
        raise checks.BadInput(f"unknown GAN kind {kind!r}; expected 'mlp', 'dcgan' or 'cgan'")
    if preset is None:
        preset = {"mlp": None, "dcgan": "default", "cgan": conditional.PRESET}[kind]
    base = RECIPES["mlp" if kind == "mlp" else "tutorial" if preset == "tutorial" else "dcgan"]
    return Recipe(kind, preset, **base).override(**overrides)


def make_gan(kind="dcgan", preset=None, latent_dim=None, **overrides) -> GAN:
    """The compiled GAN a recipe describes: its two networks, seeded, with one Adam per network.

    ``kind`` is a Recipe, or a GAN kind for ``recipe(kind, preset, latent_dim=..., **overrides)``; ``overrides``
    are Recipe fields, and each left at None comes from the recipe: ``make_gan("dcgan", lr=3e-4, ema=0)``,
    ``make_gan("cgan", mismatch=False)`` and, on the command line, ``make_gan(run_recipe)``. The networks are
    ``models.build_pair(kind, preset)``, or for "cgan" ``conditional``'s, a :class:`ganlab.conditional.ConditionalGAN`.
    """
    if isinstance(kind, Recipe):
        r = kind.override(preset=preset, latent_dim=latent_dim, **overrides)
    else:
        r = recipe(kind, preset, latent_dim=latent_dim, **overrides)
    config.set_seed(r.seed)
    gan = _conditional_gan(r) if r.kind == "cgan" else _gan(r)
    d_lr, g_lr = (r.lr if r.d_lr is None else r.d_lr), (r.lr if r.g_lr is None else r.g_lr)
    gan.compile(
        d_optimizer=keras.optimizers.Adam(d_lr, beta_1=r.beta_1, beta_2=r.beta_2),
        g_optimizer=keras.optimizers.Adam(g_lr, beta_1=r.beta_1, beta_2=r.beta_2),
        loss=r.loss,
    )
    return gan


def _gan(r: Recipe) -> GAN:
    if not r.mismatch:
        raise checks.BadInput(f"mismatch=False is the conditional GAN's option (kind 'cgan'), not the {r.kind}'s")
    return GAN(
        *models.build_pair(r.kind, r.networks or r.preset, r.latent_dim, spectral_norm=r.spectral_norm),
        n_critic=r.n_critic,
        seed=r.seed,
        instance_noise=r.instance_noise,
        track_grad_norms=r.track_grad_norms,
        ema=r.ema or None,
        step=r.step,
        fresh_batches=r.fresh_batches,
    )


def _conditional_gan(r: Recipe) -> conditional.ConditionalGAN:
    asked = [f"{name}={getattr(r, name)!r}" for name, off in NOT_CONDITIONAL.items() if getattr(r, name) != off]
    if asked:
        raise checks.BadInput(
            f"the conditional GAN makes one D update and one G update per batch, without instance "
            f"noise or gradient norms; it has no {', '.join(asked)}"
        )
    networks = r.networks or r.preset
    return conditional.ConditionalGAN(
        conditional.build_cgan_generator(r.latent_dim, preset=networks),
        conditional.build_cgan_discriminator(preset=networks, spectral_norm=r.spectral_norm),
        mismatch=r.mismatch,
        seed=r.seed,
        ema=r.ema or None,
    )
