"""Generator and discriminator builders for MNIST-sized images: the classic MLP GAN and DCGAN.

Every builder returns a functional ``keras.Model`` with named layers (``g_dense``, ``g_up1``, ``d_conv1``,
``d_logits``, ...) and asserts its output shape. Generators map z of shape (B, latent_dim) to images in
[-1, 1] of shape (B, 28, 28, 1); discriminators map images to logits of shape (B, 1), with no sigmoid.
DCGAN sizes come from ``DCGAN_PRESETS``: "tutorial" is the TensorFlow DCGAN tutorial layer for layer,
"default" a smaller network that trains several times faster on a CPU, "two-conv" the same with the two-convolution D
it had before the second recipe search. ``spectral_norm=True`` wraps each of a
discriminator's Dense and Conv2D layers in ``keras.layers.SpectralNormalization`` (Miyato et al., 2018).
"""

from __future__ import annotations

import math

from ganlab import config  # first: imports TensorFlow quietly

import keras
from keras import layers

from ganlab import checks

# Plain parameters of the two DCGAN networks. The generator is
#   Dense(H/f * W/f * g_dense_channels) -> BN -> LeakyReLU -> Reshape
#   -> for each (filters, stride) in zip(g_channels, g_strides): Conv2DTranspose -> BN -> LeakyReLU
#   -> Conv2DTranspose(image channels, stride 2, tanh),
# where f = prod(g_strides) * 2 is the total upsampling. The discriminator is
#   for each filters in d_channels: Conv2D(stride 2) [-> BN, not on the first] -> LeakyReLU [-> Dropout(dropout)];
#   Flatten -> Dense(1).
# ``upsample`` "transpose" uses Conv2DTranspose(stride) for each up-block; "nearest" uses UpSampling2D(stride,
# nearest) then a stride-1 Conv2D (Odena et al., 2016, "Deconvolution and checkerboard artifacts").
DCGAN_PRESETS: dict[str, dict] = {
    # tensorflow.org/tutorials/generative/dcgan, exactly: 2,330,944 + 212,865 parameters.
    "tutorial": {
        "g_dense_channels": 256,  # z -> 7x7x256
        "g_channels": (128, 64),  # 7x7x128 (stride 1), then 14x14x64 (stride 2)
        "g_strides": (1, 2),
        "g_kernel": 5,
        "d_channels": (64, 128),  # 14x14x64, 7x7x128
        "d_kernel": 5,
        "dropout": 0.3,
        # tf.keras 2's LeakyReLU default slope was 0.3 (the tutorial's); Keras 3's default is 0.2.
        "negative_slope": 0.3,
        "upsample": "transpose",
        "d_batchnorm": False,
    },
    # CPU-friendly: no stride-1 block, half the tutorial's channels in G, and 4x4 kernels, which a stride of 2
    # divides evenly (no checkerboard pattern). D has batch norm (as Radford et al.'s DCGAN) instead of the
    # tutorial's dropout (the first recipe search, benchmarks/README.md), and a third stride-2 convolution, to 4x4
    # (the second search, issue 26: at equal steps and at equal time it beat the two-convolution D of "two-conv").
    "default": {
        "g_dense_channels": 128,  # z -> 7x7x128
        "g_channels": (64,),  # 14x14x64
        "g_strides": (2,),
        "g_kernel": 4,
        "d_channels": (32, 64, 128),  # 14x14x32, 7x7x64, 4x4x128
        "d_kernel": 4,
        "dropout": 0.0,
        "negative_slope": 0.2,
        "upsample": "transpose",
        "d_batchnorm": True,
    },
    # The default's networks after the first recipe search, before the second: D with two convolutions (36,769
    # weights with its logit). The conditional GAN keeps them (ganlab.conditional.PRESET).
    "two-conv": {
        "g_dense_channels": 128,
        "g_channels": (64,),
        "g_strides": (2,),
        "g_kernel": 4,
        "d_channels": (32, 64),  # 14x14x32, 7x7x64
        "d_kernel": 4,
        "dropout": 0.0,
        "negative_slope": 0.2,
        "upsample": "transpose",
        "d_batchnorm": True,
    },
}
UPSAMPLE = ("transpose", "nearest")
# The "default" preset before the recipe search (what runs and notebooks made before December 2026 trained).
PRE_SEARCH_DEFAULT: dict = DCGAN_PRESETS["two-conv"] | {"dropout": 0.3, "d_batchnorm": False}


def _check_int_tuple(values, name: str, example: str) -> tuple[int, ...]:
    if isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
        raise checks.BadInput(f"{name} must be a tuple of positive ints such as {example}, got {values!r}")
    values = tuple(values)
    if not values:
        raise checks.BadInput(f"{name} must not be empty; expected a tuple of positive ints such as {example}")
    return tuple(checks.positive_int(v, f"every entry of {name} {values}") for v in values)


def _check_image_shape(image_shape) -> tuple[int, int, int]:
    shape = _check_int_tuple(image_shape, "image_shape", "(28, 28, 1)")
    if len(shape) != 3:
        raise checks.BadInput(f"image_shape must be (height, width, channels) such as (28, 28, 1), got {image_shape!r}")
    return shape


def _maybe_spectral(layer, spectral_norm: bool):
    """``layer`` wrapped in spectral normalization (its kernel divided by its largest singular value) if asked."""
    if checks.flag(spectral_norm, "spectral_norm"):
        return layers.SpectralNormalization(layer, name=f"sn_{layer.name}")
    return layer


def assert_output_shape(model: keras.Model, expected: tuple) -> keras.Model:
    """Fail loudly, as the DCGAN tutorial does, if a builder's output is not the shape it promises."""
    got = tuple(model.output_shape)
    assert got == expected, f"{model.name} outputs shape {got}, expected {expected}"
    return model


def dcgan_config(preset="default", **overrides) -> dict:
    """Return a checked copy of a DCGAN preset with some parameters changed, e.g. for a benchmark."""
    if isinstance(preset, dict):
        params = dict(preset)
    elif isinstance(preset, str) and preset in DCGAN_PRESETS:
        params = dict(DCGAN_PRESETS[preset])
    else:
        valid = ", ".join(repr(p) for p in DCGAN_PRESETS)
        raise checks.BadInput(f"unknown DCGAN preset {preset!r}; valid presets are {valid} (or a dict of parameters)")
    params.update(overrides)
    required = set(DCGAN_PRESETS["default"])
    if set(params) != required:
        missing, extra = sorted(required - set(params)), sorted(set(params) - required)
        raise checks.BadInput(
            f"DCGAN parameters are wrong: missing {missing}, unknown {extra}; expected {sorted(required)}"
        )
    params["g_dense_channels"] = checks.positive_int(params["g_dense_channels"], "g_dense_channels")
    params["g_channels"] = _check_int_tuple(params["g_channels"], "g_channels", "(64,)")
    params["g_strides"] = _check_int_tuple(params["g_strides"], "g_strides", "(2,)")
    if len(params["g_strides"]) != len(params["g_channels"]):
        raise checks.BadInput(
            f"g_strides {params['g_strides']} must give one stride per entry of g_channels {params['g_channels']}"
        )
    params["d_channels"] = _check_int_tuple(params["d_channels"], "d_channels", "(32, 64)")
    for key in ("g_kernel", "d_kernel"):
        params[key] = checks.positive_int(params[key], key)
    checks.one_of(params["upsample"], "upsample", UPSAMPLE)
    checks.flag(params["d_batchnorm"], "d_batchnorm")
    for key in ("dropout", "negative_slope"):
        checks.number(params[key], key, 0, 1, high_open=True)
    return params


def build_mlp_generator(latent_dim=100, hidden=(256, 512, 1024), image_shape=(28, 28, 1), name="mlp_generator"):
    """Classic MLP generator: (Dense -> LeakyReLU(0.2) -> BatchNorm(0.8)) per hidden width, then tanh pixels."""
    latent_dim = checks.positive_int(latent_dim, "latent_dim")
    hidden = _check_int_tuple(hidden, "hidden", "(256, 512, 1024)")
    image_shape = _check_image_shape(image_shape)

    z = keras.Input((latent_dim,), name="z")  # (B, latent_dim)
    x = z
    for i, width in enumerate(hidden, start=1):
        x = layers.Dense(width, name=f"g_dense{i}")(x)  # (B, width)
        x = layers.LeakyReLU(negative_slope=0.2, name=f"g_lrelu{i}")(x)
        x = layers.BatchNormalization(momentum=0.8, name=f"g_bn{i}")(x)
    x = layers.Dense(math.prod(image_shape), activation="tanh", name="g_out")(x)  # (B, 784)
    image = layers.Reshape(image_shape, name="g_reshape")(x)  # (B, 28, 28, 1)
    model = keras.Model(z, image, name=checks.text(name, "name"))
    return assert_output_shape(model, (None, *image_shape))


def build_mlp_discriminator(image_shape=(28, 28, 1), hidden=(512, 256), name="mlp_discriminator", spectral_norm=False):
    """Classic MLP discriminator: Flatten -> (Dense -> LeakyReLU(0.2)) per hidden width -> Dense(1) logits."""
    image_shape = _check_image_shape(image_shape)
    hidden = _check_int_tuple(hidden, "hidden", "(512, 256)")

    image = keras.Input(image_shape, name="image")  # (B, 28, 28, 1)
    x = layers.Flatten(name="d_flatten")(image)  # (B, 784)
    for i, width in enumerate(hidden, start=1):
        x = _maybe_spectral(layers.Dense(width, name=f"d_dense{i}"), spectral_norm)(x)  # (B, width)
        x = layers.LeakyReLU(negative_slope=0.2, name=f"d_lrelu{i}")(x)
    logits = _maybe_spectral(layers.Dense(1, name="d_logits"), spectral_norm)(x)  # (B, 1)
    model = keras.Model(image, logits, name=checks.text(name, "name"))
    return assert_output_shape(model, (None, 1))


def _upsample(x, filters, kernel, stride, p, name, activation=None):
    """One up-block's convolution: transposed (stride) or nearest-neighbour resize then a stride-1 convolution."""
    if p["upsample"] == "nearest" and stride > 1:
        x = layers.UpSampling2D(stride, interpolation="nearest", name=f"{name}_resize")(x)
        return layers.Conv2D(filters, kernel, padding="same", use_bias=False, activation=activation, name=name)(x)
    return layers.Conv2DTranspose(
        filters, kernel, strides=stride, padding="same", use_bias=False, activation=activation, name=name
    )(x)


def dcgan_generator_stack(x, preset="default", image_shape=(28, 28, 1), bn_momentum=0.99):
    """The DCGAN generator's layers applied to ``x`` (B, d): Dense to a small map, up-blocks, a tanh image.

    Shared by :func:`build_dcgan_generator` and the conditional generator (``ganlab.conditional``), whose ``x``
    is z joined to a label's embedding.
    """
    p = dcgan_config(preset)
    height, width, channels = _check_image_shape(image_shape)
    factor = math.prod(p["g_strides"]) * 2  # total upsampling, the output layer's stride 2 included
    if height % factor or width % factor:
        raise checks.BadInput(
            f"image_shape {tuple(image_shape)} needs height and width divisible by {factor} "
            f"(the upsampling of strides {p['g_strides']} then 2), e.g. (28, 28, 1)"
        )
    slope, kernel = p["negative_slope"], p["g_kernel"]

    # Project to a small feature map.
    x = layers.Dense(height // factor * width // factor * p["g_dense_channels"], use_bias=False, name="g_dense")(x)
    x = layers.BatchNormalization(momentum=bn_momentum, name="g_bn0")(x)
    x = layers.LeakyReLU(negative_slope=slope, name="g_lrelu0")(x)
    x = layers.Reshape((height // factor, width // factor, p["g_dense_channels"]), name="g_reshape")(x)  # (B, 7, 7, C)

    # Upsample; in the tutorial preset g_up1 has stride 1 and keeps 7x7.
    for i, (filters, stride) in enumerate(zip(p["g_channels"], p["g_strides"]), start=1):
        x = _upsample(x, filters, kernel, stride, p, f"g_up{i}")  # (B, 14, 14, filters) after a stride-2 block
        x = layers.BatchNormalization(momentum=bn_momentum, name=f"g_bn{i}")(x)
        x = layers.LeakyReLU(negative_slope=slope, name=f"g_lrelu{i}")(x)
    return _upsample(x, channels, kernel, 2, p, "g_out", activation="tanh")  # (B, 28, 28, 1)


def dcgan_discriminator_stack(image, preset="default", spectral_norm=False):
    """The DCGAN discriminator's convolutions applied to ``image``: its flattened features (B, F), before the logit.

    Batch normalization (``d_batchnorm``) follows every convolution but the first, as Radford et al. (2016)
    advise: never on D's input. Shared by :func:`build_dcgan_discriminator` and the conditional discriminator.
    """
    p = dcgan_config(preset)
    x = image
    for i, filters in enumerate(p["d_channels"], start=1):
        conv = layers.Conv2D(filters, p["d_kernel"], strides=2, padding="same", name=f"d_conv{i}")
        x = _maybe_spectral(conv, spectral_norm)(x)  # (B, 14, 14, filters) after the first
        if p["d_batchnorm"] and i > 1:
            x = layers.BatchNormalization(name=f"d_bn{i}")(x)
        x = layers.LeakyReLU(negative_slope=p["negative_slope"], name=f"d_lrelu{i}")(x)
        if p["dropout"] > 0:
            x = layers.Dropout(p["dropout"], name=f"d_dropout{i}")(x)
    return layers.Flatten(name="d_flatten")(x)  # (B, 4 * 4 * 128) for "default", (B, 7 * 7 * 64) for "two-conv"


def build_dcgan_generator(latent_dim=100, preset="default", image_shape=(28, 28, 1), name="dcgan_generator"):
    """DCGAN generator: Dense to a small feature map, (transposed) convolutions up to a tanh image."""
    latent_dim = checks.positive_int(latent_dim, "latent_dim")
    image_shape = _check_image_shape(image_shape)
    z = keras.Input((latent_dim,), name="z")  # (B, latent_dim)
    image = dcgan_generator_stack(z, preset, image_shape)
    model = keras.Model(z, image, name=checks.text(name, "name"))
    return assert_output_shape(model, (None, *image_shape))


def build_dcgan_discriminator(
    preset="default", image_shape=(28, 28, 1), name="dcgan_discriminator", spectral_norm=False
):
    """DCGAN discriminator: stride-2 convolutions with LeakyReLU (and dropout or BN), then one logit per image."""
    image_shape = _check_image_shape(image_shape)
    image = keras.Input(image_shape, name="image")  # (B, 28, 28, 1)
    features = dcgan_discriminator_stack(image, preset, spectral_norm)
    logits = _maybe_spectral(layers.Dense(1, name="d_logits"), spectral_norm)(features)  # (B, 1)
    model = keras.Model(image, logits, name=checks.text(name, "name"))
    return assert_output_shape(model, (None, 1))


def build_pair(kind="dcgan", preset="default", latent_dim=100, spectral_norm=False):
    """The generator and discriminator of one of the course's GANs: ``kind`` "mlp" or "dcgan" (with a preset)."""
    if kind == "mlp":
        return build_mlp_generator(latent_dim), build_mlp_discriminator(spectral_norm=spectral_norm)
    if kind == "dcgan":
        return (
            build_dcgan_generator(latent_dim, preset=preset),
            build_dcgan_discriminator(preset=preset, spectral_norm=spectral_norm),
        )
    raise checks.BadInput(f"unknown GAN kind {kind!r}; expected 'mlp' or 'dcgan'")
