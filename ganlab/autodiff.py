"""Gradients and compiled steps on whichever Keras 3 backend runs: TensorFlow, JAX or PyTorch.

The GAN's train steps are written once, with ``keras.ops``; the few things that differ between backends live
here and nowhere else in the engine:

- :func:`value_and_grad` is ``tf.GradientTape`` on TensorFlow, ``torch.autograd.grad`` on PyTorch, and
  ``jax.value_and_grad`` on JAX, where the step's variables are pure values: the function runs in a
  ``keras.StatelessScope`` that maps each variable to its current value (the keras-io guide
  ``custom_train_step_in_jax`` and fchollet's advice in keras-team/keras#18881: "open a StatelessScope and
  pretend everything is stateful"), and what it assigns (BatchNorm statistics, seeds, metrics) comes back out;
- :func:`input_grad`, the gradient with respect to an input, differentiable again (the gradient penalty);
- :func:`stateless_train_step`, the JAX trainer's ``train_step(state, data)`` around a stateful step;
- :class:`OptimizerPair`, a GAN's two optimizers as the one ``model.optimizer`` the trainers (JAX's above all) expect;
- :func:`compile_step`, a step compiled outside ``fit`` (the toy GANs of notebook 01).
"""

from __future__ import annotations

import contextlib

from ganlab import config  # first: imports TensorFlow quietly

import keras
from keras.src.backend.common.stateless_scope import get_stateless_scope  # no public name in Keras 3.15

BACKENDS = ("tensorflow", "jax", "torch")


def backend() -> str:
    """The running Keras backend's name, refused with a clear message if ganlab has no train step for it."""
    name = keras.backend.backend()
    if name not in BACKENDS:
        raise RuntimeError(
            f"ganlab trains on the Keras backends {', '.join(BACKENDS)}, not {name!r}; "
            "set KERAS_BACKEND=tensorflow (or jax, or torch) before starting Python"
        )
    return name


class _RecordingScope(keras.StatelessScope):
    """A StatelessScope that sees what the enclosing one sees, with ``overrides`` ({id(variable): value}) on top,
    and keeps the variables assigned inside it (BatchNorm statistics, seeds, metric totals) in ``assigned``."""

    def __init__(self, overrides: dict):
        super().__init__()
        outer = get_stateless_scope()
        self.state_mapping = {**(outer.state_mapping if outer is not None else {}), **overrides}
        self.assigned = {}

    def add_update(self, update):
        super().add_update(update)
        self.assigned[id(update[0])] = update[0]


def _jax_run(fn, overrides: dict, assigned: dict):
    """``fn()`` in a _RecordingScope; returns its result and the new values it assigned, {id(variable): value}.
    The variables themselves go into ``assigned`` (Python objects cannot cross a JAX transformation)."""
    scope = _RecordingScope(overrides)
    with scope:
        out = fn()
    assigned.update(scope.assigned)
    return out, {k: scope.state_mapping[k] for k in scope.assigned if k not in overrides}


def _jax_keep(updates: dict, assigned: dict) -> None:
    """Assign what a differentiated function assigned: into the enclosing StatelessScope (the train step's), if
    there is one, else into the variables themselves (a step called directly, as tests and notebooks do)."""
    outer = get_stateless_scope()
    for k, value in updates.items():
        if outer is not None:
            outer.add_update((assigned[k], value))
        else:
            assigned[k].assign(value)


def value_and_grad(fn, variables):
    """``loss, aux, grads``: ``fn()`` returns ``(loss, aux)``; ``grads`` is d loss / d each of ``variables``.

    ``fn`` may change other variables as it runs (BatchNorm statistics, seed generators); those changes are kept
    on every backend, inside ``fit`` or called directly. Only ``variables`` are differentiated: whatever else the
    loss depends on is held fixed.
    """

    def one_loss():
        loss, aux = fn()
        return (loss,), aux

    (loss,), aux, (grads,) = values_and_grads(one_loss, [variables])
    return loss, aux, grads


def values_and_grads(fn, groups):
    """``losses, aux, grads`` from one run of ``fn()``, which returns ``(losses, aux)``: ``grads[i]`` is
    d losses[i] / d each variable of ``groups[i]`` (D's and G's losses from one forward pass, say)."""
    groups = [list(g) for g in groups]
    name = backend()
    if name == "tensorflow":
        import tensorflow as tf

        with tf.GradientTape(persistent=len(groups) > 1) as tape:
            losses, aux = fn()
        return losses, aux, [tape.gradient(loss, g) for loss, g in zip(losses, groups)]
    if name == "torch":
        import torch

        losses, aux = fn()
        grads = [
            list(torch.autograd.grad(loss, [v.value for v in g], allow_unused=True, retain_graph=i < len(groups) - 1))
            for i, (loss, g) in enumerate(zip(losses, groups))
        ]
        return losses, aux, grads
    import jax

    ids, assigned = [[id(v) for v in g] for g in groups], {}

    def pure(*values):
        overrides = {k: x for group_ids, group_values in zip(ids, values) for k, x in zip(group_ids, group_values)}
        (losses, aux), updates = _jax_run(fn, overrides, assigned)
        return tuple(losses), (aux, updates)

    losses, pullback, (aux, updates) = jax.vjp(pure, *[[v.value for v in g] for g in groups], has_aux=True)
    _jax_keep(updates, assigned)
    grads = []
    for i in range(len(groups)):  # one pull-back per loss: d losses[i] / d groups[i]
        cotangent = tuple(keras.ops.ones_like(x) if j == i else keras.ops.zeros_like(x) for j, x in enumerate(losses))
        grads.append(list(pullback(cotangent)[i]))
    return losses, aux, grads


def input_grad(fn, x):
    """d sum(fn(x)) / dx, itself differentiable with respect to the weights ``fn`` uses (for a gradient penalty)."""
    name = backend()
    if name == "tensorflow":
        import tensorflow as tf

        with tf.GradientTape() as tape:
            tape.watch(x)
            total = keras.ops.sum(fn(x))
        return tape.gradient(total, x)
    if name == "torch":
        import torch

        x = x.detach().requires_grad_(True)
        return torch.autograd.grad(keras.ops.sum(fn(x)), x, create_graph=True, allow_unused=True)[0]
    import jax

    assigned = {}

    def pure(x):
        return _jax_run(lambda: keras.ops.sum(fn(x)), {}, assigned)

    grad, updates = jax.grad(pure, has_aux=True)(x)
    _jax_keep(updates, assigned)
    return grad


def no_grad():
    """A block whose operations record no gradient (PyTorch needs it around in-place updates); a no-op elsewhere."""
    if backend() == "torch":
        import torch

        return torch.no_grad()
    return contextlib.nullcontext()


def is_concrete(x) -> bool:
    """True if ``x`` has values now (NumPy, an eager tensor), False inside a traced or compiled step."""
    name = backend()
    if name == "tensorflow":
        import tensorflow as tf

        return not tf.is_tensor(x) or (tf.executing_eagerly() and hasattr(x, "numpy"))
    if name == "jax":
        import jax

        return not isinstance(x, jax.core.Tracer)
    return True


def global_rng_state():
    """The backend's global random state where layers draw from it (PyTorch's unseeded dropout), as NumPy; else None.

    A checkpoint keeps it, so that a PyTorch run resumes exactly; JAX and TensorFlow draw only from seed generators.
    """
    if backend() != "torch":
        return None
    import torch

    return torch.get_rng_state().numpy()


def set_global_rng_state(state) -> None:
    """Restore what :func:`global_rng_state` returned (nothing to do for None)."""
    if state is not None and backend() == "torch":
        import numpy as np
        import torch

        torch.set_rng_state(torch.from_numpy(np.asarray(state, dtype=np.uint8)))


class OptimizerPair:
    """D's and G's optimizers as the one ``model.optimizer`` Keras' trainers look for: on JAX its ``variables`` are
    carried through ``fit`` as the training state; learning-rate callbacks find each in ``optimizers``."""

    def __init__(self, d_optimizer, g_optimizer):
        self.optimizers = [d_optimizer, g_optimizer]

    @property
    def built(self) -> bool:
        return all(o.built for o in self.optimizers)

    def build(self, variables) -> None:
        """Nothing to do: ``GAN.build_optimizers`` builds each optimizer on its own network's weights."""

    @property
    def variables(self) -> list:
        return [v for o in self.optimizers for v in o.variables]

    @property
    def iterations(self):
        return self.optimizers[1].iterations  # G updates


def stateless_train_step(model, state, step):
    """The JAX trainer's ``train_step(state, data) -> (logs, state)`` around ``step()``, a stateful step.

    ``state`` is Keras' tuple (trainable, non-trainable, optimizer, metrics variables' values); ``step`` reads and
    assigns ``model``'s variables as on TensorFlow, inside a StatelessScope that maps each to its value.
    """
    groups = (
        model.trainable_variables,
        model.non_trainable_variables,
        model.optimizer.variables,
        model.metrics_variables,
    )
    mapping = [(v, value) for vs, values in zip(groups, state) for v, value in zip(vs, values)]
    with keras.StatelessScope(state_mapping=mapping) as scope:
        logs = step()
    new_state = tuple([scope.get_current_value(v) for v in vs] for vs in groups)
    return logs, new_state


def compile_step(fn, variables):
    """``fn`` compiled for repeated calls outside ``fit``: ``tf.function`` on TensorFlow, ``jax.jit`` on JAX (with
    ``variables``, every variable ``fn`` reads or changes, carried in and out), and ``fn`` itself on PyTorch."""
    name = backend()
    if name == "tensorflow":
        import tensorflow as tf

        return tf.function(fn)
    if name == "torch":
        return fn
    import jax

    variables = list(variables)

    def pure(values, *args):
        with keras.StatelessScope(state_mapping=list(zip(variables, values))) as scope:
            out = fn(*args)
        return out, [scope.get_current_value(v) for v in variables]

    jitted = jax.jit(pure)

    def run(*args):
        out, values = jitted([v.value for v in variables], *args)
        for v, value in zip(variables, values):
            v.assign(value)
        return out

    return run
