"""Checks for the notebooks' coding exercises: ``exercises.check("03.1", my_function)`` says passed or what is wrong.

Each checked exercise asks for one small function. Its check calls the function on fixed inputs and compares
the result with a reference (a closed form or the ganlab function the notebook taught), and answers in one
line: "passed", "not answered yet" (the student edition's ``raise NotImplementedError``), or what was wrong,
including an exception the student's code raised. No grading framework: a check never raises for a wrong
answer. In the instructor edition the solution sits between ``### BEGIN SOLUTION`` and ``### END SOLUTION``;
``ganlab.student`` replaces it with ``raise NotImplementedError``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

BLANK = 'raise NotImplementedError("your code here")'
CHECKS: dict[str, tuple[str, Callable]] = {}
results: dict[str, bool] = {}  # exercise id -> did its latest check pass


@dataclass(frozen=True)
class CheckResult:
    """The outcome of one check; true when it passed, and shown in a notebook as its one-line message."""

    exercise: str
    passed: bool
    message: str

    def __bool__(self) -> bool:
        return self.passed

    def __repr__(self) -> str:
        return f"{'✓' if self.passed else '✗'} Exercise {self.exercise}: {self.message}"


def _exercise(exercise_id: str, title: str):
    def register(fn):
        CHECKS[exercise_id] = (title, fn)
        return fn

    return register


def _close(got, want, what: str, atol: float = 1e-5, rtol: float = 1e-4) -> str | None:
    """None if ``got`` matches ``want`` in shape and value, else a sentence saying how it differs."""
    got = np.asarray(got, dtype=np.float64) if not isinstance(got, np.ndarray) else got.astype(np.float64)
    want = np.asarray(want, dtype=np.float64)
    if got.shape != want.shape:
        return f"{what} has shape {got.shape}, expected {want.shape}"
    if not np.all(np.isfinite(got)):
        return f"{what} contains inf or nan (expected {np.array2string(want.ravel()[:4], precision=4)}...)"
    if not np.allclose(got, want, atol=atol, rtol=rtol):
        i = int(np.argmax(np.abs(got - want).ravel()))
        return f"{what} is wrong: got {got.ravel()[i]:.6g} where {want.ravel()[i]:.6g} was expected (entry {i})"
    return None


def check(exercise_id: str, answer) -> CheckResult:
    """Check ``answer`` (the function the exercise asks for); return a CheckResult, never raise for a wrong one."""
    if exercise_id not in CHECKS:
        raise ValueError(f"no exercise {exercise_id!r}; the checked exercises are {', '.join(sorted(CHECKS))}")
    title, fn = CHECKS[exercise_id]
    if answer is ... or answer is None:
        problem = "not answered yet: write your function, then run this cell again"
    elif not callable(answer):
        problem = f"expected a function, got {type(answer).__name__}"
    else:
        try:
            problem = fn(answer)
        except NotImplementedError:
            problem = "not answered yet: replace `raise NotImplementedError` with your code, then run this cell"
        except Exception as err:  # the student's code failed: report it, don't raise
            problem = f"your function raised {type(err).__name__}: {err}"
    passed = problem is None
    results[exercise_id] = passed
    return CheckResult(exercise_id, passed, f"{title}: passed" if passed else f"{title}: {problem}")


_RNG_SEED = 7


# Notebook 00: the data.


@_exercise("00.1", "to_unit_range (uint8 pixels to [-1, 1])")
def _check_00_1(fn):
    x = np.random.default_rng(_RNG_SEED).integers(0, 256, (5, 28, 28)).astype(np.uint8)
    x[0, 0, 0], x[0, 0, 1] = 0, 255
    got = np.asarray(fn(x))
    if got.dtype != np.float32:
        return f"the result's dtype is {got.dtype}, expected float32 (Keras computes in float32)"
    return _close(got, x[..., None].astype(np.float32) / 127.5 - 1.0, "the result")


@_exercise("00.2", "ink_by_digit (fraction of non-background pixels per digit)")
def _check_00_2(fn):
    rng = np.random.default_rng(_RNG_SEED)
    labels = np.repeat(np.arange(10), 3)
    images = (rng.random((30, 28, 28)) < (labels[:, None, None] + 1) / 20) * rng.integers(1, 256, (30, 28, 28))
    images = images.astype(np.uint8)
    want = np.array([(images[labels == d] > 0).mean() for d in range(10)])
    return _close(fn(images, labels), want, "the ink fractions")


# Notebook 01: the minimax objective.


@_exercise("01.1", "generator_gradients (d loss / d logit for both generator losses)")
def _check_01_1(fn):
    logits = np.array([-30.0, -5.0, -1.0, 0.0, 2.0, 30.0])
    got = fn(logits)
    if not isinstance(got, (tuple, list)) or len(got) != 2:
        return "return a pair: (gradient of the minimax loss, gradient of the non-saturating loss)"
    d = 1 / (1 + np.exp(-logits))
    return _close(got[0], -d, "the minimax gradient") or _close(got[1], -(1 - d), "the non-saturating gradient")


@_exercise("01.2", "js_divergence (two discrete distributions, natural log)")
def _check_01_2(fn):
    cases = [([0.5, 0.5], [0.5, 0.5], 0.0), ([1.0, 0.0], [0.0, 1.0], np.log(2))]
    p, q = np.array([0.1, 0.2, 0.7]), np.array([0.3, 0.3, 0.4])
    m = (p + q) / 2
    cases.append((p, q, 0.5 * np.sum(p * np.log(p / m)) + 0.5 * np.sum(q * np.log(q / m))))
    for p, q, want in cases:
        problem = _close(fn(np.array(p), np.array(q)), want, f"JSD({p}, {q})")
        if problem:
            return problem
    return None


# Notebook 02: the MLP GAN.


@_exercise("02.1", "saturating_g_loss (the minimax generator loss, stable at any logit)")
def _check_02_1(fn):
    logits = np.array([[-100.0], [-3.0], [0.0], [4.0], [100.0]])
    return _close(fn(logits), np.mean(-np.logaddexp(0, logits)), "the loss")  # log(1 - sigmoid(l)) = -softplus(l)


@_exercise("02.2", "dense_params (weights of an MLP with these layer widths)")
def _check_02_2(fn):
    for widths, want in (([100, 256, 512, 1024, 784], 1_486_352), ([784, 1], 785), ([3, 4, 5], 41)):
        got = fn(widths)
        if got != want:
            return f"dense_params({widths}) returned {got}, expected {want} (a Dense layer has in × out + out)"
    return None


# Notebook 03: the DCGAN.


@_exercise("03.1", "conv_transpose_size (output side of a Conv2DTranspose)")
def _check_03_1(fn):
    cases = [((7, 5, 2, "same"), 14), ((7, 4, 2, "same"), 14), ((7, 5, 2, "valid"), 17), ((14, 3, 1, "valid"), 16),
             ((1, 7, 1, "valid"), 7), ((4, 4, 3, "same"), 12)]
    for args, want in cases:
        got = fn(*args)
        if got != want:
            return f"conv_transpose_size{args} returned {got}, expected {want}"
    return None


@_exercise("03.2", "overlap_counts (kernel taps landing on each output pixel, 1-D)")
def _check_03_2(fn):
    for kernel, stride, n in ((5, 2, 6), (4, 2, 6), (3, 2, 5), (3, 1, 4)):
        want = np.zeros((n - 1) * stride + kernel, dtype=int)
        for i in range(n):
            want[i * stride: i * stride + kernel] += 1
        problem = _close(fn(kernel, stride, n), want, f"overlap_counts({kernel}, {stride}, {n})")
        if problem:
            return problem
    return None


# Notebook 04: evaluating GANs.


@_exercise("04.1", "confident_rate (share of samples the classifier is sure about)")
def _check_04_1(fn):
    probs = np.random.default_rng(_RNG_SEED).dirichlet(np.full(10, 0.2), size=200)
    for threshold in (0.9, 0.5):
        problem = _close(fn(probs, threshold), np.mean(probs.max(axis=1) > threshold), f"threshold {threshold}")
        if problem:
            return problem
    return None


@_exercise("04.2", "frechet_1d (Fréchet distance of two 1-D Gaussians)")
def _check_04_2(fn):
    for mu1, s1, mu2, s2 in ((0, 1, 0, 1), (0, 1, 3, 1), (1, 2, -1, 0.5), (5, 0.1, 5, 3)):
        problem = _close(fn(mu1, s1, mu2, s2), (mu1 - mu2) ** 2 + (s1 - s2) ** 2, f"frechet_1d{(mu1, s1, mu2, s2)}")
        if problem:
            return problem + " (the arguments are means and standard deviations)"
    return None


# Notebook 05: failure modes and fixes.


@_exercise("05.1", "smoothed_d_loss (one-sided label smoothing, logits)")
def _check_05_1(fn):
    real, fake = np.array([[-50.0], [0.0], [3.0]]), np.array([[-2.0], [0.0], [50.0]])
    for smooth in (0.9, 1.0):
        want = np.mean(smooth * np.logaddexp(0, -real) + (1 - smooth) * np.logaddexp(0, real)) + np.mean(
            np.logaddexp(0, fake))
        problem = _close(fn(real, fake, smooth), want, f"the loss with smooth={smooth}")
        if problem:
            return problem
    return None


@_exercise("05.2", "critic_loss (the Wasserstein critic's loss, without the penalty)")
def _check_05_2(fn):
    real, fake = np.array([[3.0], [1.0], [2.0]]), np.array([[-1.0], [0.5], [0.0]])
    return _close(fn(real, fake), fake.mean() - real.mean(), "the critic loss")


# Notebook 06: the conditional GAN.


@_exercise("06.1", "one_hot (labels to one-hot rows)")
def _check_06_1(fn):
    labels = np.array([3, 0, 9, 3])
    got = np.asarray(fn(labels, 10))
    return _close(got, np.eye(10)[labels], "one_hot([3, 0, 9, 3], 10)")


@_exercise("06.2", "per_class_accuracy (how often the digit asked for is the digit drawn)")
def _check_06_2(fn):
    asked = np.repeat(np.arange(10), 4)
    drawn = asked.copy()
    drawn[[0, 1, 5, 39]] = [1, 2, 4, 0]
    want = np.array([np.mean(drawn[asked == d] == d) for d in range(10)])
    return _close(fn(asked, drawn), want, "the per-digit accuracies")


# Notebook 07: the latent space.


@_exercise("07.1", "slerp (spherical interpolation)")
def _check_07_1(fn):
    rng = np.random.default_rng(_RNG_SEED)
    z0, z1 = rng.standard_normal(16), rng.standard_normal(16)
    omega = np.arccos(np.dot(z0, z1) / np.linalg.norm(z0) / np.linalg.norm(z1))
    for t in (0.0, 0.3, 0.5, 1.0):
        want = (np.sin((1 - t) * omega) * z0 + np.sin(t * omega) * z1) / np.sin(omega)
        problem = _close(fn(z0, z1, t), want, f"slerp at t={t}")
        if problem:
            return problem
    return None


@_exercise("07.2", "attribute_direction (mean latent of the high-scoring half minus the low half)")
def _check_07_2(fn):
    rng = np.random.default_rng(_RNG_SEED)
    z, scores = rng.standard_normal((40, 8)), rng.standard_normal(40)
    order = np.argsort(scores)
    return _close(fn(z, scores), z[order[20:]].mean(0) - z[order[:20]].mean(0), "the direction")
