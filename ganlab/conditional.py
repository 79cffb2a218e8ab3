"""A conditional GAN (Mirza & Osindero, 2014): G(z, y) draws the digit y it is asked for; D(x, y) judges pairs.

The label enters G as a learned vector joined to z, and D at its end (a projection discriminator, Miyato & Koyama,
2018): D's logit is "how real the image features look" plus "how well they match digit y's learned template".
``ConditionalGAN`` trains on (images, labels): D calls (real image, its label) real, (G(z, y), y) fake and, so that
it must read the label, (real image, wrong label) fake too (Reed et al., 2016); G, asked for random y, must draw
a y to fool it. ``sampling.draw`` and ``sampling.run_generator`` draw from it like any generator (without labels:
``sampling.default_labels``, digits in order; 100 images: a row per digit); ``metrics.class_accuracy`` measures
whether it obeys. ``plot_digit`` draws one z as every digit, and ``explore_digits`` wraps it in notebook 06's digit
picker and latent sliders (``widgets.digit_explorer``): the pure drawing beside its thin widget, as STYLE.md keeps
them, and both about the conditional generator alone.
"""

from __future__ import annotations


from ganlab import config  # first: imports TensorFlow quietly

import keras
import matplotlib.pyplot as plt
import numpy as np
from keras import layers, ops

from ganlab import autodiff, checks, models, sampling
from ganlab.gan import GAN, METRICS

N_CLASSES = sampling.N_CLASSES
IMAGE_SHAPE = (28, 28, 1)
# G's BatchNorm averages for inference follow its fast-changing statistics over ~10 steps, not Keras' default ~100:
# with 0.99 the lagging averages cost class accuracy (one trial: 89% in inference mode, 96% with batch statistics).
BN_MOMENTUM = 0.9
# The DCGAN networks (models.DCGAN_PRESETS) the conditional GAN builds on: D with two convolutions, the DCGAN's
# default before the second recipe search gave it a third (benchmarks/README.md), which did not measure this GAN.
PRESET = "two-conv"


def build_cgan_generator(latent_dim=100, embed_dim=50, preset=PRESET, name="cgan_generator"):
    """Conditional DCGAN generator: [z (B, latent_dim), label (B,)] -> image (B, 28, 28, 1) in [-1, 1]."""
    latent_dim = checks.positive_int(latent_dim, "latent_dim")

    # The label becomes a learned vector that joins z; then the DCGAN generator's own layers.
    z = keras.Input((latent_dim,), name="z")  # (B, latent_dim)
    label = keras.Input((), dtype="int32", name="label")  # (B,)
    embedded = layers.Embedding(N_CLASSES, checks.positive_int(embed_dim, "embed_dim"), name="g_embed")(
        label
    )  # (B, embed_dim)
    x = layers.Concatenate(name="g_concat")([z, embedded])  # (B, latent_dim + embed_dim)
    image = models.dcgan_generator_stack(x, preset, IMAGE_SHAPE, bn_momentum=BN_MOMENTUM)  # (B, 28, 28, 1)
    model = keras.Model([z, label], image, name=checks.text(name, "name"))
    return models.assert_output_shape(model, (None, *IMAGE_SHAPE))


def build_cgan_discriminator(preset=PRESET, name="cgan_discriminator", spectral_norm=False):
    """Conditional DCGAN discriminator: [image (B, 28, 28, 1), label (B,)] -> one logit (B, 1), real = 1."""
    image = keras.Input(IMAGE_SHAPE, name="image")  # (B, 28, 28, 1)
    label = keras.Input((), dtype="int32", name="label")  # (B,)
    h = models.dcgan_discriminator_stack(image, preset, spectral_norm)  # (B, F) image features

    # The label enters at the end (a projection discriminator): how real h looks + how well h matches y's template.
    template = layers.Embedding(N_CLASSES, h.shape[-1], name="d_embed")(label)  # (B, F)
    match = layers.Dot(axes=1, name="d_match")([h, template])  # (B, 1)
    logits = layers.Add(name="d_logits")([layers.Dense(1, name="d_realness")(h), match])  # (B, 1)
    model = keras.Model([image, label], logits, name=checks.text(name, "name"))
    return models.assert_output_shape(model, (None, 1))


def _check_two_inputs(net, label: str, first: str, out) -> tuple:
    """Refuse a network that is not [``first``, integer label (B,)] -> ``out``; return its first input's shape."""
    checks.network(net, label)
    inputs = getattr(net, "inputs", None) or []
    shapes = [tuple(t.shape) for t in inputs]
    if len(shapes) != 2 or shapes[1] != (None,) or "int" not in str(inputs[1].dtype):
        raise checks.BadInput(
            f"a conditional {label} takes two inputs, [{first}, integer label (B,)], as "
            f"conditional.build_cgan_{label} makes; {net.name!r} takes {shapes}"
        )
    if tuple(net.output_shape) != out:
        raise checks.BadInput(f"the conditional {label} must output shape {out}, got {tuple(net.output_shape)}")
    return shapes[0][1:]


def is_conditional(model) -> bool:
    """True for a ConditionalGAN, or a Keras generator taking [z, label] (e.g. a loaded ``generator.keras``)."""
    try:
        return bool(sampler(model))
    except ValueError:
        return False


def sampler(generator) -> keras.Model:
    """The Keras network that draws for a ConditionalGAN (its ``sampler``), or a conditional generator itself,
    checked to take [z, label] to an image; else a ValueError."""
    net = generator.sampler if isinstance(generator, ConditionalGAN) else generator
    if not isinstance(net, keras.Model):
        raise checks.BadInput(
            f"expected a ConditionalGAN or a generator taking [z, label]; got {type(generator).__name__}"
        )
    _check_two_inputs(net, "generator", "z (B, latent_dim)", (None, *IMAGE_SHAPE))
    return net


def matching_d_loss(loss_fn, discriminator, real, labels, fake, fake_labels, wrong_labels=None):
    """D's loss on (real, its label) as real and (fake, its label) as fake, and with ``wrong_labels`` (real, wrong
    label) as fake too, the fakes and the wrong pairs judged as one batch of 2B; returns ``(loss, (real_logits,
    fake_logits))``. ``loss_fn`` is a ``losses.GANLoss``; notebook 06's exercise 06.1 writes this for its loss."""
    real_logits = discriminator([real, labels], training=True)  # (B, 1)
    fake_logits = discriminator([fake, fake_labels], training=True)  # (B, 1)
    rejected = fake_logits
    if wrong_labels is not None:  # (real image, a wrong label) is fake too, so D must check the label
        rejected = ops.concatenate([fake_logits, discriminator([real, wrong_labels], training=True)])  # (2B, 1)
    return loss_fn.d_loss(real_logits, rejected), (real_logits, fake_logits)


class ConditionalGAN(GAN):
    """A conditional GAN trained by ``fit()`` on (images, labels) batches (real = 1, D outputs logits)."""

    def __init__(self, generator, discriminator, latent_dim=None, mismatch=True, seed=None, *, ema=None, **kwargs):
        if "step" in kwargs or "n_critic" in kwargs:
            raise checks.BadInput(
                "a ConditionalGAN takes one alternating D step and one G step per batch; it has no "
                "step= or n_critic= choice"
            )
        checks.flag(mismatch, "mismatch", "show D real images with wrong labels")
        super().__init__(generator, discriminator, latent_dim, seed=seed, ema=ema, **kwargs)
        self.mismatch = mismatch

    def check_networks(self, generator, discriminator, latent_dim) -> None:
        """Check G takes [z, label] to an image and D [image, label] to one logit; set the shapes."""
        self.latent_shape = _check_two_inputs(generator, "generator", "z (B, latent_dim)", (None, *IMAGE_SHAPE))
        _check_two_inputs(discriminator, "discriminator", "image (B, 28, 28, 1)", (None, 1))
        if len(self.latent_shape) != 1 or (latent_dim is not None and self.latent_shape != (latent_dim,)):
            raise checks.BadInput(f"latent_dim={latent_dim!r} but the generator takes z of shape {self.latent_shape}")
        self.latent_dim, self.image_shape = self.latent_shape[0], IMAGE_SHAPE

    def compile(self, d_optimizer, g_optimizer, loss="non_saturating", **kwargs):
        """As ``GAN.compile``; losses with a gradient penalty are refused (it would need labels too)."""
        super().compile(d_optimizer, g_optimizer, loss=loss, **kwargs)
        if self.loss_fn.gp_weight > 0:
            raise checks.BadInput(
                f"ConditionalGAN does not support the {self.loss_fn.name!r} loss (its gradient penalty "
                "calls D on images alone); use non_saturating, minimax, least_squares or hinge"
            )

    @property
    def metrics(self):
        return [self.trackers[name] for name in METRICS]

    def call(self, inputs, training=False):
        """G([z, labels]); z alone gets ``default_labels`` (so snapshots of 100 show a row per digit)."""
        if isinstance(inputs, (list, tuple)):
            return self.generator(list(inputs), training=training)
        n = ops.shape(inputs)[0]
        return self.generator([inputs, ops.cast(ops.arange(n) * N_CLASSES // n, "int32")], training=training)

    def _noise(self, batch_size):
        return keras.random.normal((batch_size, *self.latent_shape), seed=self.seed_generator)

    def _random_labels(self, batch_size, low=0):
        return keras.random.randint((batch_size,), low, N_CLASSES, dtype="int32", seed=self.seed_generator)

    def d_step(self, real, labels):
        """One D update on D's weights: (real image, its label) is real; (G(z, y), y) for random y is fake, and so,
        with ``mismatch``, is (real image, a wrong label) (the matching-aware discriminator of Reed et al., 2016)."""
        real, labels, batch_size = ops.cast(real, "float32"), ops.cast(labels, "int32"), ops.shape(real)[0]
        fake_labels = self._random_labels(batch_size)  # (B,)
        fake = ops.stop_gradient(
            self.generator([self._noise(batch_size), fake_labels], training=True)
        )  # (B, 28, 28, 1)
        if self.mismatch:  # (real image, a wrong label) is fake too, so D must check the label
            wrong = (labels + self._random_labels(batch_size, low=1)) % N_CLASSES  # (B,), never the true one

        def d_loss_fn():
            return matching_d_loss(
                self.loss_fn, self.discriminator, real, labels, fake, fake_labels, wrong if self.mismatch else None
            )

        d_vars = self.discriminator.trainable_weights
        d_loss, (real_logits, fake_logits), grads = autodiff.value_and_grad(d_loss_fn, d_vars)
        self.apply(self.d_optimizer, grads, d_vars)
        return self.track_d(d_loss, real_logits, fake_logits)

    def g_step(self, batch_size):
        """One G update on G's weights: asked for random digits y, make D call (G(z, y), y) real."""
        labels = self._random_labels(batch_size)

        def g_loss_fn():
            fake = self.generator([self._noise(batch_size), labels], training=True)  # (B, 28, 28, 1)
            return self.loss_fn.g_loss(self.discriminator([fake, labels], training=True)), ()

        g_vars = self.generator.trainable_weights
        g_loss, _, grads = autodiff.value_and_grad(g_loss_fn, g_vars)
        self.apply(self.g_optimizer, grads, g_vars)
        self.trackers["g_loss"].update_state(g_loss)
        return g_loss

    def batch_step(self, data):
        if not isinstance(data, (tuple, list)) or len(data) < 2:
            raise checks.BadInput(
                "a ConditionalGAN trains on (images, labels) batches; make its dataset with "
                "data.make_dataset(images, batch_size, labels=labels)"
            )
        self.d_step(data[0], data[1])
        self.g_step(ops.shape(data[0])[0])
        self.update_ema()
        return {m.name: m.result() for m in self.metrics}


def plot_digit(generator, z, digit, title=None):
    """Draw G(z, digit) large, beside the same z drawn as every digit 0..9 (``digit`` boxed); return the Figure."""
    from matplotlib.patches import Rectangle

    from ganlab import plotting

    digit, z = int(sampling.check_labels(digit, 1)[0]), np.asarray(z, dtype=np.float32).reshape(1, -1)
    row = sampling.run_generator(
        sampler(generator), np.repeat(z, N_CLASSES, axis=0), np.arange(N_CLASSES)
    )  # (10, 28, 28, 1): the same z as each digit
    fig, (big, strip) = plt.subplots(1, 2, figsize=(9, 2.2), width_ratios=[1, 4.2], layout="constrained")
    big.imshow(plotting.make_grid(row[digit : digit + 1], pad=0), cmap="gray", vmin=0, vmax=1)
    big.set_title(title or f"asked for a {digit}", fontsize=10)
    strip.imshow(plotting.make_grid(row, ncols=5), cmap="gray", vmin=0, vmax=1)  # 2 rows of 5, 29 px apart
    box = (29 * (digit % 5) + 0.5, 29 * (digit // 5) + 0.5)  # the asked digit's tile (pixel centres at integers)
    strip.add_patch(Rectangle(box, 28, 28, fill=False, color="tab:red", linewidth=2))
    strip.set_title("the same z as 0-4 (top) and 5-9", fontsize=10)
    big.set_axis_off(), strip.set_axis_off()
    return fig


def explore_digits(generator, n_sliders=3, digit=0, seed=0):
    """A ``widgets.digit_explorer.DigitExplorer`` around ``plot_digit``: display it (the last line of a cell) to get its
    digit picker and latent sliders in a live kernel."""
    from ganlab.widgets.digit_explorer import DigitExplorer

    def draw(z, digit, title):
        return plot_digit(generator, z, digit, title=title)

    latent_dim = sampler(generator).inputs[0].shape[1]
    return DigitExplorer(draw, latent_dim, n_sliders=n_sliders, digit=digit, seed=seed)
