"""Tests for ganlab.models: shapes, ranges, the tutorial's parameter counts, and errors for people."""

from ganlab import config  # first: imports TensorFlow quietly

import keras
import numpy as np
import pytest

from ganlab import models

pytestmark = pytest.mark.backends  # backend-sensitive: make test runs this file on TensorFlow, JAX and PyTorch

LATENT_DIM = 16
BATCH = 4


def _z(latent_dim: int = LATENT_DIM, batch: int = BATCH, scale: float = 1.0) -> np.ndarray:
    return (np.random.default_rng(0).normal(size=(batch, latent_dim)) * scale).astype(np.float32)


def _images(batch: int = BATCH, scale: float = 1.0) -> np.ndarray:
    return np.random.default_rng(1).uniform(-scale, scale, (batch, 28, 28, 1)).astype(np.float32)


GENERATORS = {
    "mlp": lambda: models.build_mlp_generator(LATENT_DIM, hidden=(32, 64)),
    "dcgan_default": lambda: models.build_dcgan_generator(LATENT_DIM),
    "dcgan_tutorial": lambda: models.build_dcgan_generator(LATENT_DIM, preset="tutorial"),
}
DISCRIMINATORS = {
    "mlp": lambda: models.build_mlp_discriminator(hidden=(32, 16)),
    "dcgan_default": lambda: models.build_dcgan_discriminator(),
    "dcgan_tutorial": lambda: models.build_dcgan_discriminator(preset="tutorial"),
}


@pytest.mark.parametrize("kind", sorted(GENERATORS))
def test_generator_outputs_images_in_tanh_range(kind):
    generator = GENERATORS[kind]()
    assert generator.output_shape == (None, 28, 28, 1)
    # Large z pushes the tanh to saturation: values must still stay within [-1, 1].
    for training in (False, True):
        images = keras.ops.convert_to_numpy(generator(_z(scale=50.0), training=training))
        assert images.shape == (BATCH, 28, 28, 1) and images.dtype == np.float32
        assert np.all(np.isfinite(images)) and images.min() >= -1.0 and images.max() <= 1.0
        assert images.std() > 0  # not a constant image


@pytest.mark.parametrize("kind", sorted(DISCRIMINATORS))
def test_discriminator_outputs_one_logit_per_image(kind):
    discriminator = DISCRIMINATORS[kind]()
    assert discriminator.output_shape == (None, 1)
    assert discriminator.get_layer("d_logits").activation.__name__ == "linear"  # logits: no sigmoid
    logits = keras.ops.convert_to_numpy(discriminator(_images(scale=100.0), training=False))
    assert logits.shape == (BATCH, 1) and np.all(np.isfinite(logits))
    # Unbounded logits: out-of-range inputs give values a sigmoid could never produce.
    assert logits.min() < 0.0 or logits.max() > 1.0


def test_tutorial_preset_matches_tensorflow_dcgan_tutorial_parameter_counts():
    generator = models.build_dcgan_generator(100, preset="tutorial")
    discriminator = models.build_dcgan_discriminator(preset="tutorial")
    assert generator.count_params() == 2_330_944
    assert discriminator.count_params() == 212_865
    # The tutorial's layer order and output shapes.
    assert [type(layer).__name__ for layer in generator.layers[1:]] == [
        "Dense",
        "BatchNormalization",
        "LeakyReLU",
        "Reshape",
        "Conv2DTranspose",
        "BatchNormalization",
        "LeakyReLU",
        "Conv2DTranspose",
        "BatchNormalization",
        "LeakyReLU",
        "Conv2DTranspose",
    ]
    assert generator.get_layer("g_reshape").output.shape == (None, 7, 7, 256)
    assert generator.get_layer("g_up1").output.shape == (None, 7, 7, 128)
    assert generator.get_layer("g_up2").output.shape == (None, 14, 14, 64)
    assert generator.get_layer("g_lrelu1").negative_slope == pytest.approx(0.3)
    assert [type(layer).__name__ for layer in discriminator.layers[1:]] == [
        "Conv2D",
        "LeakyReLU",
        "Dropout",
        "Conv2D",
        "LeakyReLU",
        "Dropout",
        "Flatten",
        "Dense",
    ]
    assert discriminator.get_layer("d_dropout1").rate == pytest.approx(0.3)


def test_default_preset_is_smaller_than_the_tutorial_and_its_d_has_three_convolutions():
    generator = models.build_dcgan_generator(preset="default")
    assert generator.count_params() < models.build_dcgan_generator(preset="tutorial").count_params() / 2
    # The second recipe search's D: a third stride-2 convolution, to 4x4x128; "two-conv" keeps the first search's D
    # (and the same G), which the conditional GAN and runs pinned before the change use.
    d3, d2 = models.build_dcgan_discriminator(preset="default"), models.build_dcgan_discriminator(preset="two-conv")
    assert d3.get_layer("d_conv3").output.shape == (None, 4, 4, 128) and d3.count_params() == 167_393
    assert d2.count_params() == 36_769 and "d_conv3" not in [layer.name for layer in d2.layers]
    assert models.build_dcgan_generator(preset="two-conv").count_params() == generator.count_params()


def test_mlp_generator_has_the_classic_blocks():
    generator = models.build_mlp_generator(100)
    assert generator.get_layer("g_bn1").momentum == pytest.approx(0.8)
    assert generator.get_layer("g_lrelu1").negative_slope == pytest.approx(0.2)
    assert [generator.get_layer(f"g_dense{i}").units for i in (1, 2, 3)] == [256, 512, 1024]
    assert generator.get_layer("g_out").units == 784


def test_dcgan_builders_follow_image_shape():
    generator = models.build_dcgan_generator(8, image_shape=(32, 32, 3))
    discriminator = models.build_dcgan_discriminator(image_shape=(32, 32, 3))
    assert generator.output_shape == (None, 32, 32, 3)
    assert generator.get_layer("g_reshape").output.shape == (None, 8, 8, 128)
    assert discriminator(np.zeros((2, 32, 32, 3), np.float32)).shape == (2, 1)


def test_dcgan_config_overrides_and_checks():
    params = models.dcgan_config("tutorial", g_kernel=4)
    assert params["g_kernel"] == 4 and models.DCGAN_PRESETS["tutorial"]["g_kernel"] == 5  # a copy
    generator = models.build_dcgan_generator(LATENT_DIM, preset=params)
    assert generator.get_layer("g_up1").kernel_size == (4, 4)
    with pytest.raises(ValueError, match=r"unknown \['g_base'\]"):
        models.dcgan_config("default", g_base=64)
    with pytest.raises(ValueError, match="one stride per entry"):
        models.dcgan_config("default", g_strides=(1, 2))
    with pytest.raises(ValueError, match=r"dropout must be a number in \[0, 1\)"):
        models.dcgan_config("default", dropout=1.5)


def test_nearest_upsampling_resizes_then_convolves():
    params = models.dcgan_config("default", upsample="nearest")
    generator = models.build_dcgan_generator(LATENT_DIM, preset=params)
    resize = generator.get_layer("g_up1_resize")
    assert type(resize).__name__ == "UpSampling2D" and resize.interpolation == "nearest"
    assert type(generator.get_layer("g_up1")).__name__ == "Conv2D" and generator.get_layer("g_up1").strides == (1, 1)
    assert generator.get_layer("g_up1").output.shape == (None, 14, 14, params["g_channels"][0])
    assert generator.get_layer("g_out").activation.__name__ == "tanh"
    assert generator.output_shape == (None, 28, 28, 1)
    with pytest.raises(ValueError, match="upsample must be one of"):
        models.dcgan_config("default", upsample="bilinear")


def test_discriminator_batchnorm_skips_the_first_layer_and_dropout_zero_has_no_layer():
    params = models.dcgan_config("default", d_channels=(16, 32, 64), d_batchnorm=True, dropout=0.0)
    names = [layer.name for layer in models.build_dcgan_discriminator(preset=params).layers[1:]]
    assert names == [
        "d_conv1",
        "d_lrelu1",
        "d_conv2",
        "d_bn2",
        "d_lrelu2",
        "d_conv3",
        "d_bn3",
        "d_lrelu3",
        "d_flatten",
        "d_logits",
    ]
    with pytest.raises(ValueError, match="d_batchnorm must be True or False"):
        models.dcgan_config("default", d_batchnorm="yes")


def test_conditional_networks_reuse_the_dcgan_stacks():
    from ganlab import conditional

    for preset in ("default", "tutorial", models.dcgan_config("default", upsample="nearest", d_batchnorm=True)):
        plain_g = models.build_dcgan_generator(LATENT_DIM, preset=preset)
        cond_g = conditional.build_cgan_generator(LATENT_DIM, preset=preset)
        plain_d = models.build_dcgan_discriminator(preset=preset)
        cond_d = conditional.build_cgan_discriminator(preset=preset)
        shared_g = [(type(l).__name__, l.name) for l in plain_g.layers[1:]]
        assert [
            (type(l).__name__, l.name) for l in cond_g.layers if l.name in dict(map(reversed, shared_g))
        ] == shared_g
        shared_d = [(type(l).__name__, l.name) for l in plain_d.layers[1:-1]]  # all but the logit
        assert [
            (type(l).__name__, l.name)
            for l in cond_d.layers
            if l.name.startswith("d_") and l.name in {n for _, n in shared_d}
        ] == shared_d


def test_unknown_preset_lists_valid_presets():
    for build in (models.build_dcgan_generator, models.build_dcgan_discriminator):
        with pytest.raises(ValueError, match="unknown DCGAN preset 'huge'") as info:
            build(preset="huge")
        for name in models.DCGAN_PRESETS:
            assert repr(name) in str(info.value)


@pytest.mark.parametrize(
    "build, kwargs, match",
    [
        (models.build_mlp_generator, dict(latent_dim=0), "latent_dim must be a positive int, got 0"),
        (models.build_mlp_generator, dict(latent_dim=2.5), "latent_dim must be a positive int, got 2.5"),
        (models.build_mlp_generator, dict(latent_dim=True), "latent_dim must be a positive int, got True"),
        (models.build_mlp_generator, dict(hidden=()), "hidden must not be empty"),
        (models.build_mlp_generator, dict(hidden=(256, -1)), r"every entry of hidden \(256, -1\)"),
        (models.build_mlp_generator, dict(image_shape=(28, 28)), r"image_shape must be \(height, width, channels\)"),
        (models.build_mlp_discriminator, dict(hidden=512), "hidden must be a tuple of positive ints"),
        (models.build_mlp_discriminator, dict(name=""), "name must be a non-empty string"),
        (models.build_dcgan_generator, dict(latent_dim=-3), "latent_dim must be a positive int, got -3"),
        (models.build_dcgan_generator, dict(image_shape=(30, 30, 1)), "divisible by 4"),
        (models.build_dcgan_discriminator, dict(image_shape="28x28"), "image_shape must be a tuple"),
    ],
)
def test_bad_arguments_raise_helpful_value_errors(build, kwargs, match):
    with pytest.raises(ValueError, match=match):
        build(**kwargs)


def test_build_pair_gives_matching_networks():
    g, d = models.build_pair("dcgan", "tutorial", latent_dim=8)
    assert g.input_shape == (None, 8) and g.count_params() != models.build_pair("dcgan", "default", 8)[0].count_params()
    assert d(g(np.zeros((2, 8), "float32"))).shape == (2, 1)
    g, d = models.build_pair("mlp", latent_dim=8)
    assert g.name == "mlp_generator" and d.name == "mlp_discriminator"
    with pytest.raises(ValueError, match="'mlp' or 'dcgan'"):
        models.build_pair("vae")


# Spectral normalization (opt-in).


def _top_singular_value(kernel) -> float:
    kernel = np.asarray(kernel, dtype=np.float64)
    return float(np.linalg.svd(kernel.reshape(-1, kernel.shape[-1]), compute_uv=False)[0])


@pytest.mark.parametrize("kind", ["mlp", "dcgan_default"])
def test_spectral_norm_makes_each_kernels_largest_singular_value_1(kind):
    build = {
        "mlp": lambda: models.build_mlp_discriminator(hidden=(32, 16), spectral_norm=True),
        "dcgan_default": lambda: models.build_dcgan_discriminator(spectral_norm=True),
    }[kind]
    keras.utils.set_random_seed(0)
    discriminator = build()
    wrapped = [layer for layer in discriminator.layers if isinstance(layer, keras.layers.SpectralNormalization)]
    assert len(wrapped) == {"mlp": 3, "dcgan_default": 4}[kind] and wrapped[-1].layer.name == "d_logits"
    # Scale the kernels far from 1 first: normalization must undo any scale.
    for layer in wrapped:
        layer.kernel.assign(layer.kernel.numpy() * 7.0)
    assert min(_top_singular_value(layer.kernel.numpy()) for layer in wrapped) > 1.5
    for _ in range(30):  # one power iteration per training call
        discriminator(_images(), training=True)
    for layer in wrapped:
        assert _top_singular_value(layer.kernel.numpy()) == pytest.approx(1.0, abs=0.02)
    assert discriminator.output_shape == (None, 1)


def test_spectral_norm_is_off_by_default_and_checked():
    plain, normed = (
        models.build_mlp_discriminator(hidden=(32, 16)),
        models.build_mlp_discriminator(hidden=(32, 16), spectral_norm=True),
    )
    assert not any(isinstance(layer, keras.layers.SpectralNormalization) for layer in plain.layers)
    # Same trainable weights; each wrapper adds one non-trainable power-iteration vector.
    assert [w.shape for w in plain.trainable_weights] == [w.shape for w in normed.trainable_weights]
    assert len(normed.non_trainable_weights) == 3
    g, d = models.build_pair("mlp", latent_dim=8, spectral_norm=True)
    assert any(isinstance(layer, keras.layers.SpectralNormalization) for layer in d.layers)
    with pytest.raises(ValueError, match="spectral_norm must be True or False"):
        models.build_dcgan_discriminator(spectral_norm="yes")
