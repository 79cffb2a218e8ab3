"""The GAN as a ``keras.Model``: a generator and a discriminator whose ``train_step`` updates each in turn.

``GAN.train_step`` follows the keras-io GAN example ("Customizing what happens in fit()"): n_critic
discriminator updates on the discriminator's own weights, then one generator update on the generator's own
weights, each with its own optimizer, so nothing depends on toggling ``trainable``. The steps are written once,
with ``keras.ops``, and run on TensorFlow, JAX and PyTorch: ``ganlab.autodiff`` takes the gradients on each
backend (and on JAX wraps ``batch_step`` in the trainer's stateless ``train_step(state, data)``).
``ganlab.recipes.make_gan`` builds the course's compiled GANs; ``ganlab.training.train`` is the loop around ``fit``.

Two opt-in extras (off by default, so the default step and its metrics are unchanged), used by notebook 05:
``instance_noise=sigma`` adds Gaussian noise of std ``gan.noise_std`` (a variable that
``ganlab.diagnostics.AnnealInstanceNoise`` lowers to 0) to every image D sees, real and fake, in ``d_step`` and
``g_step``; ``track_grad_norms=True`` adds the metrics ``d_grad_norm`` and ``g_grad_norm``, the global L2 norm
of each network's gradient.

Two recipe choices, also off by default (``benchmarks/recipe_search.py`` measures them): ``ema=decay`` keeps an
exponential moving average of G's weights in ``gan.ema_generator`` (Karras et al., 2018; Yazıcı et al., 2019),
which ``sample``, ``sampling.draw`` and saved generators use, and checkpoints carry (the training snapshots show G
itself, the network being trained); ``step="joint"`` takes
both networks' gradients from one forward pass, as the TensorFlow DCGAN tutorial does, each network still updated
only by its own optimizer on its own weights.
"""

from __future__ import annotations

from ganlab import config  # first: imports TensorFlow quietly

import keras
import numpy as np
from keras import ops

from ganlab import autodiff, checks, losses, sampling

METRICS = ("d_loss", "g_loss", "d_real", "d_fake", "d_acc_real", "d_acc_fake")
GRAD_NORMS = ("d_grad_norm", "g_grad_norm")  # extra metrics with track_grad_norms=True
STEPS = ("alternating", "joint")


class GAN(keras.Model):
    """A generator and a discriminator trained against each other by ``fit()`` (real = 1, D outputs logits)."""

    def __init__(
        self,
        generator,
        discriminator,
        latent_dim=None,
        n_critic=1,
        seed=None,
        *,
        instance_noise=None,
        track_grad_norms=False,
        ema=None,
        step="alternating",
        fresh_batches=False,
        **kwargs,
    ):
        super().__init__(**kwargs)
        checks.positive_int(n_critic, "n_critic", "D updates per G update")
        checks.flag(fresh_batches, "fresh_batches")
        # WGAN-GP's Algorithm 1: each critic step on its own real batch; a batch then holds n_critic of them.
        self.fresh_batches = fresh_batches
        self.check_networks(generator, discriminator, latent_dim)
        self.generator, self.discriminator, self.n_critic = generator, discriminator, n_critic
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.trackers = {name: keras.metrics.Mean(name=name) for name in (*METRICS, "gp")}
        self.d_optimizer = self.g_optimizer = self.loss_fn = None
        self.track_grad_norms = checks.flag(track_grad_norms, "track_grad_norms")
        if track_grad_norms:
            self.trackers.update({name: keras.metrics.Mean(name=name) for name in GRAD_NORMS})
        # Instance noise: off (None) unless asked for; its own seed stream leaves the step's other randomness as is.
        self.noise_std = self.noise_seed = None
        if instance_noise is not None:
            std = checks.number(instance_noise, "instance_noise", 0, meaning="a std such as 0.1; None: off")
            self.noise_std = keras.Variable(std, trainable=False, dtype="float32", name="noise_std")
            self.noise_seed = keras.random.SeedGenerator(None if seed is None else seed + 1)
        if checks.one_of(step, "step", STEPS) == "joint" and n_critic != 1:
            raise checks.BadInput(
                f"step='joint' updates D and G once each per batch; it needs n_critic=1, got {n_critic}"
            )
        self.step_kind = step
        self.ema_decay, self.ema_generator = None, None
        if ema is not None:
            self.ema_decay = checks.number(
                ema, "ema", 0, 1, low_open=True, high_open=True, meaning="a decay such as 0.999; None: off"
            )
            self.ema_generator = keras.models.clone_model(generator)
            self.ema_generator.set_weights(generator.get_weights())
        self.built = True  # its networks are built; fit() must not build it by calling it on a batch of images

    def check_networks(self, generator, discriminator, latent_dim) -> None:
        """Check that G maps z (B, latent_dim) to images D takes, and D gives one logit; set the shapes."""
        checks.network(generator, "generator")
        checks.network(discriminator, "discriminator")
        self.latent_shape = checks.declared_shape(generator, "input_shape", "generator")[1:]
        if latent_dim is not None and self.latent_shape != (latent_dim,):
            raise checks.BadInput(f"latent_dim={latent_dim!r} but the generator takes z of shape {self.latent_shape}")
        self.latent_dim = self.latent_shape[0] if len(self.latent_shape) == 1 else None
        self.image_shape = checks.declared_shape(generator, "output_shape", "generator")[1:]
        d_in = checks.declared_shape(discriminator, "input_shape", "discriminator")[1:]
        if len(d_in) != len(self.image_shape) or any(a and a != b for a, b in zip(d_in, self.image_shape)):
            raise checks.BadInput(
                f"the generator makes images of shape {self.image_shape} but the discriminator takes {d_in}"
            )
        d_out = checks.declared_shape(discriminator, "output_shape", "discriminator")
        if d_out[1:] != (1,):
            raise checks.BadInput(f"the discriminator must output one logit per image, shape (B, 1); got {d_out}")

    @property
    def sampler(self) -> keras.Model:
        """The network that draws images: the weight average with ``ema``, else the generator itself."""
        return self.generator if self.ema_generator is None else self.ema_generator

    def state(self) -> dict[str, list]:
        """Every variable of the training state, by group, in a fixed order: what a checkpoint saves and restores."""
        self.build_optimizers()
        groups = {
            "generator": list(self.generator.variables),  # weights, BN statistics, dropout seeds
            "discriminator": list(self.discriminator.variables),
            "g_optimizer": list(self.g_optimizer.variables),  # iterations, learning rate, slots
            "d_optimizer": list(self.d_optimizer.variables),
            "seed": [self.seed_generator.state],
        }
        if self.noise_seed is not None:
            groups["noise"] = [self.noise_std, self.noise_seed.state]
        if self.ema_generator is not None:
            groups["ema_generator"] = list(self.ema_generator.variables)
        return groups

    def step_variables(self) -> list:
        """Every variable a train step reads or changes (networks, optimizers, metrics, seeds), each once."""
        trackers = [v for m in self.trackers.values() for v in m.variables]
        return list({id(v): v for v in [*self.variables, *self.optimizer.variables, *trackers]}.values())

    def compile(self, d_optimizer, g_optimizer, loss="non_saturating", **kwargs):
        """Set each network's optimizer and the GAN loss (a name from ``losses.LOSSES`` or a GANLoss)."""
        d_optimizer, g_optimizer = keras.optimizers.get(d_optimizer), keras.optimizers.get(g_optimizer)
        if d_optimizer is g_optimizer:
            raise checks.BadInput(
                "d_optimizer and g_optimizer must be two optimizer objects (each keeps per-weight "
                "state for its own network); create two, e.g. keras.optimizers.Adam(2e-4) twice."
            )
        # No Keras-level optimizer: train_step applies d_optimizer and g_optimizer itself.
        super().compile(optimizer=None, **kwargs)
        self.d_optimizer, self.g_optimizer, self.loss_fn = d_optimizer, g_optimizer, losses.get(loss)
        self.optimizer = autodiff.OptimizerPair(d_optimizer, g_optimizer)
        if self.step_kind == "joint" and self.loss_fn.gp_weight > 0:
            raise checks.BadInput(
                f"the {self.loss_fn.name!r} loss has a gradient penalty, which needs the alternating "
                "step; build the GAN with step='alternating'"
            )
        self.build_optimizers()

    def build_optimizers(self) -> None:
        """Create the optimizers' variables now (a checkpoint can only be loaded into built optimizers)."""
        for optimizer, net in ((self.d_optimizer, self.discriminator), (self.g_optimizer, self.generator)):
            if optimizer is None:
                raise checks.BadInput("call gan.compile(d_optimizer=..., g_optimizer=...) first")
            if not optimizer.built:
                optimizer.build(net.trainable_variables)

    @property
    def metrics(self):
        # Listed here so that fit() resets them at the start of each epoch.
        names = METRICS + (("gp",) if self.loss_fn is not None and self.loss_fn.gp_weight > 0 else ())
        return [self.trackers[name] for name in names + (GRAD_NORMS if self.track_grad_norms else ())]

    def call(self, z, training=False):
        return self.generator(z, training=training)

    def _noise(self, batch_size):
        return keras.random.normal((batch_size, *self.latent_shape), seed=self.seed_generator)

    def add_instance_noise(self, images):
        """``images + noise_std * N(0, 1)``, what D sees when instance noise is on; ``images`` unchanged when off."""
        if self.noise_std is None:
            return images
        return images + self.noise_std.value * keras.random.normal(ops.shape(images), seed=self.noise_seed)

    def _track_grad_norm(self, name, grads):
        if self.track_grad_norms:
            self.trackers[name].update_state(ops.sqrt(sum(ops.sum(ops.square(g)) for g in grads if g is not None)))

    @staticmethod
    def apply(optimizer, grads, variables) -> None:
        """One optimizer update of ``variables`` (outside any gradient recording, as PyTorch needs)."""
        with autodiff.no_grad():
            optimizer.apply_gradients(zip(grads, variables))

    def d_step(self, real):
        """One discriminator update on the discriminator's weights only; G is used but not changed."""
        batch_size = ops.shape(real)[0]
        fake = ops.stop_gradient(self.generator(self._noise(batch_size), training=True))  # (B, 28, 28, 1)
        real, fake = self.add_instance_noise(real), self.add_instance_noise(fake)  # no-ops unless instance_noise
        gp_weight = self.loss_fn.gp_weight
        if gp_weight > 0:
            alpha = keras.random.uniform((batch_size,) + (1,) * (len(real.shape) - 1), seed=self.seed_generator)

        def d_loss_fn():
            real_logits = self.discriminator(real, training=True)  # (B, 1)
            fake_logits = self.discriminator(fake, training=True)  # (B, 1)
            d_loss, gp = self.loss_fn.d_loss(real_logits, fake_logits), None
            if gp_weight > 0:
                gp = losses.gradient_penalty(self.discriminator, real, fake, alpha)
                d_loss = d_loss + gp_weight * gp
            return d_loss, (real_logits, fake_logits, gp)

        d_vars = self.discriminator.trainable_weights
        d_loss, (real_logits, fake_logits, gp), grads = autodiff.value_and_grad(d_loss_fn, d_vars)
        if gp is not None:
            self.trackers["gp"].update_state(gp)
        self._track_grad_norm("d_grad_norm", grads)
        self.apply(self.d_optimizer, grads, d_vars)
        return self.track_d(d_loss, real_logits, fake_logits)

    def track_d(self, d_loss, real_logits, fake_logits):
        """Record a D step's loss, D's mean outputs and its accuracies on real and fake images; return d_loss."""
        self.trackers["d_loss"].update_state(d_loss)
        self.trackers["d_real"].update_state(ops.mean(ops.sigmoid(real_logits)))
        self.trackers["d_fake"].update_state(ops.mean(ops.sigmoid(fake_logits)))
        self.trackers["d_acc_real"].update_state(ops.mean(ops.cast(real_logits > 0, "float32")))
        self.trackers["d_acc_fake"].update_state(ops.mean(ops.cast(fake_logits < 0, "float32")))
        return d_loss

    def g_step(self, batch_size):
        """One generator update on the generator's weights only: make D call the fakes real."""

        def g_loss_fn():
            fake = self.generator(self._noise(batch_size), training=True)  # (B, 28, 28, 1)
            return self.loss_fn.g_loss(self.discriminator(self.add_instance_noise(fake), training=True)), ()

        g_vars = self.generator.trainable_weights
        g_loss, _, grads = autodiff.value_and_grad(g_loss_fn, g_vars)
        self._track_grad_norm("g_grad_norm", grads)
        self.apply(self.g_optimizer, grads, g_vars)
        self.trackers["g_loss"].update_state(g_loss)
        return g_loss

    def joint_step(self, real):
        """D and G updated from one forward pass (the TF tutorial's step): each by its own optimizer, on its weights."""

        def both_losses():
            fake = self.generator(self._noise(ops.shape(real)[0]), training=True)  # (B, 28, 28, 1)
            real_logits = self.discriminator(self.add_instance_noise(real), training=True)  # (B, 1)
            fake_logits = self.discriminator(self.add_instance_noise(fake), training=True)  # (B, 1)
            d_loss = self.loss_fn.d_loss(real_logits, fake_logits)
            return (d_loss, self.loss_fn.g_loss(fake_logits)), (real_logits, fake_logits)

        d_vars, g_vars = self.discriminator.trainable_weights, self.generator.trainable_weights
        (d_loss, g_loss), (real_logits, fake_logits), (d_grads, g_grads) = autodiff.values_and_grads(
            both_losses, [d_vars, g_vars]
        )
        self._track_grad_norm("d_grad_norm", d_grads)
        self._track_grad_norm("g_grad_norm", g_grads)
        self.apply(self.d_optimizer, d_grads, d_vars)
        self.apply(self.g_optimizer, g_grads, g_vars)
        self.trackers["g_loss"].update_state(g_loss)
        return self.track_d(d_loss, real_logits, fake_logits)

    def update_ema(self) -> None:
        """Move the averaged generator towards G: w_ema <- d w_ema + (1 - d) w, d warmed up as min(d, (1+t)/(10+t))."""
        if self.ema_generator is None:
            return
        t = ops.cast(self.g_optimizer.iterations, "float32")
        decay = ops.minimum(self.ema_decay, (1.0 + t) / (10.0 + t))
        with autodiff.no_grad():
            for avg, w in zip(self.ema_generator.trainable_variables, self.generator.trainable_variables):
                avg.assign(decay * avg + (1.0 - decay) * w)
            for avg, w in zip(self.ema_generator.non_trainable_variables, self.generator.non_trainable_variables):
                avg.assign(w)  # BatchNorm's moving statistics: G's own

    def train_step(self, *args):
        """One batch through ``batch_step``; on JAX, Keras passes ``(state, data)`` and takes ``(logs, state)`` back."""
        if autodiff.backend() == "jax" and len(args) == 2:
            state, data = args
            return autodiff.stateless_train_step(self, state, lambda: self.batch_step(data))
        return self.batch_step(*args)

    def batch_step(self, data):
        """n_critic D updates and one G update (or the joint step) on one batch; returns the metrics' values."""
        real = data[0] if isinstance(data, (tuple, list)) else data  # drop labels if any
        real = ops.cast(real, "float32")
        if self.step_kind == "joint":
            self.joint_step(real)
        else:
            batch_size = ops.shape(real)[0] // (self.n_critic if self.fresh_batches else 1)
            for i in range(self.n_critic):  # fresh noise each time; a fresh real batch too with fresh_batches
                self.d_step(real[i * batch_size : (i + 1) * batch_size] if self.fresh_batches else real)
            self.g_step(batch_size)
        self.update_ema()
        return {m.name: m.result() for m in self.metrics}

    def sample(self, z, labels=None) -> np.ndarray:
        """Images G(z) (a ConditionalGAN's: G(z, labels)) from ``sampler``: ``sampling.run_generator(self, z, ...)``."""
        return sampling.run_generator(self, z, labels)
