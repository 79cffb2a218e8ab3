"""Tests for ganlab.gan's recipe choices on tiny models: the weight average of G (EMA) against its formula, what
samples and checkpoints use, the joint step against a hand computation (each network moved only by its own
optimizer, from one forward pass), the state a GAN enumerates, and ConditionalGAN built through GAN.__init__."""

from ganlab import config

import keras
import numpy as np
import pytest
from keras import ops

from ganlab import autodiff, checkpoints, conditional, gan as gan_module, losses, training
from tiny_models import LATENT, random_dataset, random_images, tiny_discriminator, tiny_generator

pytestmark = pytest.mark.backends  # backend-sensitive: make test runs this file on TensorFlow, JAX and PyTorch

BATCH = 16


def make_gan(seed=0, optimizer=keras.optimizers.Adam, lr=1e-3, **kwargs):
    config.set_seed(seed)
    gan = gan_module.GAN(tiny_generator(), tiny_discriminator(dropout=0.3), seed=seed, **kwargs)
    gan.compile(optimizer(lr), optimizer(lr))
    return gan


images, dataset = random_images, random_dataset


def values(variables):
    return [np.array(v.numpy()) for v in variables]


# The weight average of G.


def test_ema_follows_its_formula_with_warm_up():
    gan = make_gan(ema=0.999)
    for avg, w in zip(gan.ema_generator.weights, gan.generator.weights):  # starts as a copy of G
        np.testing.assert_array_equal(avg.numpy(), w.numpy())
    avg_before = values(gan.ema_generator.trainable_variables)
    gan.train_step(ops.convert_to_tensor(images(BATCH)))
    t = 1.0  # G's step counter after the step
    decay = min(0.999, (1 + t) / (10 + t))  # warm-up: the first steps move the average fast
    for before, avg, w in zip(avg_before, gan.ema_generator.trainable_variables, gan.generator.trainable_variables):
        np.testing.assert_allclose(avg.numpy(), decay * before + (1 - decay) * w.numpy(), rtol=1e-5, atol=1e-7)
    for avg, w in zip(gan.ema_generator.non_trainable_variables, gan.generator.non_trainable_variables):
        np.testing.assert_array_equal(avg.numpy(), w.numpy())  # BatchNorm statistics: G's own


def test_ema_is_what_samples_and_not_what_trains():
    gan = make_gan(ema=0.99)
    training.train(gan, dataset(), epochs=2, verbose=0)
    z = np.random.default_rng(1).standard_normal((8, LATENT)).astype("float32")
    from_average = ops.convert_to_numpy(gan.ema_generator(z, training=False))
    from_g = ops.convert_to_numpy(gan.generator(z, training=False))
    assert gan.sampler is gan.ema_generator
    np.testing.assert_array_equal(gan.sample(z), from_average)
    assert not np.allclose(from_average, from_g)  # the average is a different network from G
    plain = make_gan()
    assert plain.sampler is plain.generator and plain.ema_generator is None and "ema_generator" not in plain.state()


def test_checkpoints_carry_the_average_and_resume_it_exactly(tmp_path):
    straight = make_gan(ema=0.9)
    training.train(straight, dataset(), epochs=4, out_dir=tmp_path / "straight", verbose=0)
    first = make_gan(ema=0.9)
    training.train(first, dataset(), epochs=2, out_dir=tmp_path / "run", verbose=0)
    resumed = make_gan(seed=5, ema=0.9)  # other initial weights, average included
    training.train(resumed, dataset(), epochs=4, out_dir=tmp_path / "run", resume=True, verbose=0)
    for a, b in zip(straight.ema_generator.variables, resumed.ema_generator.variables):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    # A checkpoint without the average does not fit a GAN with one, and says so.
    training.train(make_gan(), dataset(), epochs=1, out_dir=tmp_path / "plain", verbose=0)
    with pytest.raises(ValueError, match="its ema_generator has 0 variables"):
        checkpoints.load_checkpoint(make_gan(ema=0.9), tmp_path / "plain")


def test_state_lists_the_instance_noise_state_so_resume_is_exact():
    gan = make_gan(instance_noise=0.1)
    groups = gan.state()
    assert groups["noise"][0] is gan.noise_std and groups["noise"][1] is gan.noise_seed.state
    assert set(groups) == {"generator", "discriminator", "g_optimizer", "d_optimizer", "seed", "noise"}


# The joint step.


def test_joint_step_equals_the_hand_computation():
    # Each network moves by its own loss's gradient, both taken at the weights before the step, from one z.
    config.set_seed(0)
    g, d = tiny_generator(), tiny_discriminator()  # no dropout: the step is deterministic given z
    g2, d2 = tiny_generator(), tiny_discriminator()
    g2.set_weights(g.get_weights())
    d2.set_weights(d.get_weights())
    gan = gan_module.GAN(g2, d2, seed=3, step="joint")
    gan.compile(keras.optimizers.SGD(0.1), keras.optimizers.SGD(0.1))
    real = ops.convert_to_tensor(images(BATCH))
    z = keras.random.normal((BATCH, LATENT), seed=keras.random.SeedGenerator(3))  # the step's one draw

    def both_losses():  # by hand: each loss's gradient at the weights before the step (autodiff: test_autodiff)
        fake = g(z, training=True)
        real_logits, fake_logits = d(real, training=True), d(fake, training=True)
        loss = losses.get("non_saturating")
        return (loss.d_loss(real_logits, fake_logits), loss.g_loss(fake_logits)), ()

    (d_loss, g_loss), _, (d_grads, g_grads) = autodiff.values_and_grads(
        both_losses, [d.trainable_variables, g.trainable_variables]
    )

    logs = gan.train_step(real)
    assert int(gan.d_optimizer.iterations.numpy()) == 1 and int(gan.g_optimizer.iterations.numpy()) == 1
    for w, grad, v in zip(g.trainable_variables, g_grads, g2.trainable_variables):
        np.testing.assert_allclose(v.numpy(), w.numpy() - 0.1 * ops.convert_to_numpy(grad), rtol=1e-4, atol=1e-6)
    for w, grad, v in zip(d.trainable_variables, d_grads, d2.trainable_variables):
        np.testing.assert_allclose(v.numpy(), w.numpy() - 0.1 * ops.convert_to_numpy(grad), rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(float(logs["d_loss"]), float(d_loss), rtol=1e-5)
    np.testing.assert_allclose(float(logs["g_loss"]), float(g_loss), rtol=1e-5)


def test_recipe_choices_are_checked():
    with pytest.raises(ValueError, match=r"ema must be a number in \(0, 1\) \(a decay .*; None: off\), got 1.0"):
        make_gan(ema=1.0)
    with pytest.raises(ValueError, match="step must be one of"):
        make_gan(step="both")
    with pytest.raises(ValueError, match="needs n_critic=1, got 5"):
        make_gan(step="joint", n_critic=5)
    gan = gan_module.GAN(tiny_generator(), tiny_discriminator(), step="joint")
    with pytest.raises(ValueError, match="gradient penalty, which needs the alternating step"):
        gan.compile(keras.optimizers.Adam(), keras.optimizers.Adam(), loss="wasserstein_gp")


# ConditionalGAN is a GAN built through GAN.__init__.


def test_conditional_gan_is_built_by_gan_init_and_can_average():
    cgan = conditional.ConditionalGAN(
        conditional.build_cgan_generator(8), conditional.build_cgan_discriminator(), seed=0, ema=0.99
    )
    plain = gan_module.GAN(tiny_generator(), tiny_discriminator())

    def attributes(model):  # on PyTorch, sub-models live in _modules, not in vars()
        return set(vars(model)) | set(getattr(model, "_modules", {}))

    missing = attributes(plain) - attributes(cgan)
    assert not missing, f"ConditionalGAN lacks GAN attributes {sorted(missing)}"
    cgan.compile(keras.optimizers.Adam(1e-3), keras.optimizers.Adam(1e-3))
    assert cgan.sampler is cgan.ema_generator and "ema_generator" in cgan.state()
    x = images(BATCH)
    cgan.train_step((ops.convert_to_tensor(x), ops.convert_to_tensor(np.arange(BATCH) % 10)))
    labels = np.arange(4) % 10
    z = np.zeros((4, 8), "float32")
    np.testing.assert_array_equal(
        cgan.sample(z, labels), ops.convert_to_numpy(cgan.ema_generator([z, labels], training=False))
    )


def test_fresh_batches_give_each_critic_step_its_own_real_batch():
    """WGAN-GP's Algorithm 1: with fresh_batches, a batch of n_critic x B images is n_critic critic batches."""
    gan = make_gan(n_critic=3, fresh_batches=True)
    seen, g_sizes = [], []
    gan.d_step = lambda real: seen.append(ops.convert_to_numpy(real))
    gan.g_step = lambda batch_size: g_sizes.append(int(batch_size))
    real = random_images(12)
    gan.batch_step(ops.convert_to_tensor(real))
    assert [len(x) for x in seen] == [4, 4, 4] and g_sizes == [4]
    np.testing.assert_array_equal(np.concatenate(seen), real)  # every image once, in order
    plain = make_gan(n_critic=3)
    seen.clear()
    plain.d_step, plain.g_step = (lambda real: seen.append(ops.convert_to_numpy(real))), (lambda batch_size: None)
    plain.batch_step(ops.convert_to_tensor(real))
    assert [len(x) for x in seen] == [12, 12, 12]  # the keras-io example's way: one batch for every critic step
    with pytest.raises(ValueError, match="fresh_batches must be True or False"):
        make_gan(fresh_batches="yes")
