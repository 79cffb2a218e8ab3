"""The instructor's reference solutions of the checked exercises, the usual mistakes, and the writer of the values
the checks compare with.

The checks in ``ganlab.exercises`` and ``ganlab.gan_exercises`` hold no reference code: they compare a student's
result with ``ganlab/exercises/values.py``, which this file writes (``python tests/exercise_solutions.py``) by running
the solutions below on the checks' own inputs. Each GAN exercise's stored mistakes (``"d:sign"``, ...) are the
results of the planted wrong answers in ``MISTAKES``, so a check can say which mistake a student made.
``tests/exercises/test_exercises.py`` checks that the stored values are what these solutions give now.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
from keras import ops

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ganlab import autodiff, exercises
from ganlab.exercises import gan as gan_exercises

sp = ops.softplus


def _slerp(z0, z1, t):
    omega = np.arccos(np.clip(z0 @ z1 / np.linalg.norm(z0) / np.linalg.norm(z1), -1, 1))
    return (np.sin((1 - t) * omega) * z0 + np.sin(t * omega) * z1) / np.sin(omega)


def d_loss(real_logits, fake_logits):
    return ops.mean(sp(-real_logits)) + ops.mean(sp(fake_logits))


def g_loss(fake_logits):
    return ops.mean(sp(-fake_logits))


def penalty(critic, real, fake, alpha, *, at=None, square=True, minus=1.0, reduce=ops.mean, root=True):
    x_hat = alpha * real + (1 - alpha) * fake if at is None else at(real, fake)
    grads = autodiff.input_grad(lambda x: critic(x, training=True), x_hat)
    squares = ops.sum(ops.square(ops.reshape(grads, (ops.shape(grads)[0], -1))), axis=1)
    norms = ops.sqrt(squares + 1e-12) if root else squares
    return reduce(ops.square(norms - minus) if square else norms)


def gradient_penalty(critic, real, fake, alpha):
    return penalty(critic, real, fake, alpha)


def conditional_d_loss(discriminator, real, labels, fake, fake_labels, wrong_labels):
    real_logits = discriminator([real, labels], training=True)
    rejected = ops.concatenate(
        [discriminator([fake, fake_labels], training=True), discriminator([real, wrong_labels], training=True)]
    )  # (2B, 1)
    return ops.mean(sp(-real_logits)) + ops.mean(sp(rejected))


# Reference answers, written independently of the checks' inputs. GAN exercises take several functions: a tuple.
SOLUTIONS = {
    "00.1": lambda x: (x.astype(np.float32) / 127.5 - 1)[..., None],
    "00.2": lambda images, labels: np.array(
        [np.count_nonzero(images[labels == d]) / images[labels == d].size for d in range(10)]
    ),
    "01.1": lambda l: (-1 / (1 + np.exp(-l)), -1 / (1 + np.exp(l))),
    "01.2": lambda p, q: (
        sum(0.5 * a * np.log(a / ((a + b) / 2)) for a, b in zip(p, q) if a > 0)
        + sum(0.5 * b * np.log(b / ((a + b) / 2)) for a, b in zip(p, q) if b > 0)
    ),
    "02.1": (d_loss, g_loss),
    "02.2": lambda l: float(np.mean(-np.logaddexp(0.0, l))),
    "02.3": lambda w: sum(a * b + b for a, b in zip(w[:-1], w[1:])),
    "03.1": lambda n, k, s, p: n * s if p == "same" else (n - 1) * s + k,
    "03.2": lambda k, s, n: np.convolve(np.kron(np.ones(n), np.eye(s)[0])[: (n - 1) * s + 1], np.ones(k)),
    "04.1": lambda probs, t: float((probs.max(1) > t).mean()),
    "04.2": lambda m1, s1, m2, s2: (m1 - m2) ** 2 + s1**2 + s2**2 - 2 * s1 * s2,
    "05.1": (gradient_penalty,),
    "05.2": lambda r, f, s: (
        np.mean(s * np.logaddexp(0, -r) + (1 - s) * np.logaddexp(0, r)) + np.mean(np.logaddexp(0, f))
    ),
    "05.3": lambda r, f: np.mean(f) - np.mean(r),
    "06.1": (conditional_d_loss,),
    "06.2": lambda asked, drawn: np.array([(drawn[asked == d] == d).mean() for d in range(10)]),
    "07.1": lambda z0, z1, t: _slerp(z0, z1, t),
    "07.2": lambda z, s: z[s >= np.median(s)].mean(0) - z[s < np.median(s)].mean(0),
}


def _cond(real_term, rejected_terms):
    def loss(d, real, labels, fake, fake_labels, wrong):
        r, f, w = d([real, labels]), d([fake, fake_labels]), d([real, wrong])
        return real_term(r, f, w) + rejected_terms(r, f, w)

    return loss


# The usual mistakes of the GAN exercises: (stored key, the planted answer). Every one must fail its check.
MISTAKES = {
    "02.1": {
        "d:sign": (lambda r, f: -d_loss(r, f), g_loss),
        "d:no_fake": (lambda r, f: ops.mean(sp(-r)), g_loss),
        "d:no_real": (lambda r, f: ops.mean(sp(f)), g_loss),
        "d:swapped": (lambda r, f: ops.mean(sp(r)) + ops.mean(sp(-f)), g_loss),
        "g:sign": (d_loss, lambda f: -g_loss(f)),
        "g:minimax": (d_loss, lambda f: -ops.mean(sp(f))),
        "g:fake_target": (d_loss, lambda f: ops.mean(sp(f))),
    },
    "05.1": {
        "gp:sign": (lambda *a: -gradient_penalty(*a),),
        "gp:no_minus_one": (lambda *a: penalty(*a, minus=0.0),),
        "gp:sum": (lambda *a: penalty(*a, reduce=ops.sum),),
        "gp:at_real": (lambda *a: penalty(*a, at=lambda real, fake: real),),
        "gp:squared_norm": (lambda *a: penalty(*a, root=False),),
    },
    "06.1": {
        "loss:sign": (lambda *a: -conditional_d_loss(*a),),
        "loss:no_wrong": (_cond(lambda r, f, w: ops.mean(sp(-r)), lambda r, f, w: ops.mean(sp(f))),),
        "loss:three_means": (
            _cond(lambda r, f, w: ops.mean(sp(-r)), lambda r, f, w: ops.mean(sp(f)) + ops.mean(sp(w))),
        ),
        "loss:wrong_as_real": (
            _cond(lambda r, f, w: ops.mean(sp(-ops.concatenate([r, w]))), lambda r, f, w: ops.mean(sp(f))),
        ),
        "loss:fake_right_label": (
            lambda d, real, labels, fake, fake_labels, wrong: conditional_d_loss(d, real, labels, fake, labels, wrong),
        ),
    },
}


def _number(x):
    x = np.asarray(
        ops.convert_to_numpy(x) if hasattr(x, "shape") and not isinstance(x, np.ndarray) else x, dtype=np.float64
    )
    return x.tolist()


def _gan_inputs(exercise_id):
    """The GAN exercises' fixed inputs, as each check passes them, and how its functions are applied to them."""
    if exercise_id == "02.1":
        real, fake = (ops.convert_to_tensor(x) for x in gan_exercises.fixed_logits())
        return lambda d, g: {"d": d(real, fake), "g": g(fake)}
    if exercise_id == "05.1":
        critic, *rest = gan_exercises.fixed_critic()
        return lambda fn: {"gp": fn(critic, *(ops.convert_to_tensor(x) for x in rest))}
    d, *batch = gan_exercises.fixed_conditional_d()
    return lambda fn: {"loss": fn(d, *(ops.convert_to_tensor(x) for x in batch))}


def values() -> dict:
    """What the checks compare with: each exercise's results of its solution (and, for GAN ones, of its mistakes)."""
    out = {}
    for exercise_id, make_cases in exercises.CASES.items():
        out[exercise_id] = {"cases": [_number_tree(SOLUTIONS[exercise_id](*args)) for args in make_cases()]}
    for exercise_id, mistakes in MISTAKES.items():
        apply = _gan_inputs(exercise_id)
        stored = {key: _number(v) for key, v in apply(*SOLUTIONS[exercise_id]).items()}
        for key, answer in mistakes.items():
            stored[key] = _number(apply(*answer)[key.split(":")[0]])
        out[exercise_id] = stored
    return dict(sorted(out.items()))


def _number_tree(x):
    if isinstance(x, tuple):
        return [_number(v) for v in x]
    return _number(x)


def main() -> None:
    target = Path(exercises.__file__).with_name("values.py")
    lines = [
        '"""The values the exercise checks compare with: written by tests/exercise_solutions.py; do not edit."""',
        "",
        "VALUES = {",
    ]
    for exercise_id, stored in values().items():
        lines.append(f"    {exercise_id!r}: {{")
        lines += [f"        {key!r}: {value!r}," for key, value in stored.items()]
        lines.append("    },")
    lines.append("}")
    tmp = target.with_suffix(".py.part")
    tmp.write_text("\n".join(lines) + "\n")
    tmp.replace(target)
    print(f"wrote {target}")


if __name__ == "__main__":
    main()
