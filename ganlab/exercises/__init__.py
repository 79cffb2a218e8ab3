"""Checks for the notebooks' coding exercises: ``exercises.check("03.1", my_function)`` says passed or what is wrong.

Each checked exercise asks for a function. Its check calls it on fixed inputs (the ``CASES`` below, or the GAN
exercises' own in ``ganlab.exercises.gan``) and compares the result with values stored in
``ganlab.exercises.values`` (``ganlab.exercises.grading``): the package holds expected numbers, not reference code.
It answers
in one line: "passed", "not answered yet" (the student edition's ``raise NotImplementedError``), or what was wrong,
including an exception the student's code raised. A check never raises for a wrong answer. In the instructor
edition the solution sits between ``### BEGIN SOLUTION`` and ``### END SOLUTION``; ``tools/student.py`` replaces it
with ``raise NotImplementedError``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ganlab.exercises import gan  # noqa: F401  (registers the GAN exercises 02.1, 05.1 and 06.1)
from ganlab.exercises.grading import CHECKS, CheckResult, close, exercise, expected
from ganlab import checks

BLANK = 'raise NotImplementedError("your code here")'
results: dict[str, bool] = {}  # exercise id -> did its latest check pass
CASES: dict[str, Callable[[], list[tuple]]] = {}  # exercise id -> the argument tuples its function is called with


def check(exercise_id: str, *answers) -> CheckResult:
    """Check ``answers`` (the function(s) the exercise asks for); return a CheckResult, never raise for a wrong one."""
    if exercise_id not in CHECKS:
        raise checks.BadInput(f"no exercise {exercise_id!r}; the checked exercises are {', '.join(sorted(CHECKS))}")
    title, fn = CHECKS[exercise_id]
    if not answers or any(a is ... or a is None for a in answers):
        problem = "not answered yet: write your function, then run this cell again"
    elif not all(callable(a) for a in answers):
        problem = f"expected a function, got {', '.join(type(a).__name__ for a in answers if not callable(a))}"
    else:
        try:
            problem = fn(*answers)
        except NotImplementedError:
            problem = "not answered yet: replace `raise NotImplementedError` with your code, then run this cell"
        except Exception as err:  # the student's code failed: report it, don't raise
            problem = f"your function raised {type(err).__name__}: {err}"
    passed = problem is None
    results[exercise_id] = passed
    return CheckResult(exercise_id, passed, f"{title}: passed" if passed else f"{title}: {problem}")


def _cases_exercise(
    exercise_id: str,
    title: str,
    what: Callable[[tuple], str],
    hint: str = "",
    compare=close,
    validate: Callable | None = None,
):
    """Register a check that calls the student's function on each of ``CASES[exercise_id]`` and compares the result
    with the stored value (``compare(got, want, what)``); ``validate(got)`` may first name a problem of its own."""

    def register(make_cases):
        CASES[exercise_id] = make_cases

        @exercise(exercise_id, title)
        def run(fn):
            for args, want in zip(make_cases(), expected(exercise_id, "cases")):
                got = fn(*args)
                problem = (validate and validate(got)) or compare(got, want, what(args))
                if problem:
                    return problem + hint
            return None

        return make_cases

    return register


def _pair(got, want, what):
    if not isinstance(got, (tuple, list)) or len(got) != 2:
        return "return a pair: (gradient of the minimax loss, gradient of the non-saturating loss)"
    return close(got[0], want[0], f"{what}, the minimax gradient") or close(
        got[1], want[1], f"{what}, the non-saturating gradient"
    )


def _float32(got):
    if isinstance(got, np.ndarray) and got.dtype != np.float32:
        return f"the result's dtype is {got.dtype}, expected float32 (Keras computes in float32)"
    return None


_RNG_SEED = 7


# Notebook 00: the data.


@_cases_exercise("00.1", "to_unit_range (uint8 pixels to [-1, 1])", lambda a: "the result", validate=_float32)
def _cases_00_1():
    x = np.random.default_rng(_RNG_SEED).integers(0, 256, (3, 4, 4)).astype(np.uint8)
    x[0, 0, 0], x[0, 0, 1] = 0, 255
    return [(x,)]


@_cases_exercise("00.2", "ink_by_digit (fraction of non-background pixels per digit)", lambda a: "the ink fractions")
def _cases_00_2():
    rng = np.random.default_rng(_RNG_SEED)
    labels = np.repeat(np.arange(10), 3)
    images = (rng.random((30, 28, 28)) < (labels[:, None, None] + 1) / 20) * rng.integers(1, 256, (30, 28, 28))
    return [(images.astype(np.uint8), labels)]


# Notebook 01: the minimax objective.


@_cases_exercise(
    "01.1",
    "generator_gradients (d loss / d logit for both generator losses)",
    lambda a: "at these logits",
    compare=_pair,
)
def _cases_01_1():
    return [(np.array([-30.0, -5.0, -1.0, 0.0, 2.0, 30.0]),)]


@_cases_exercise("01.2", "js_divergence (two discrete distributions, natural log)", lambda a: f"JSD({a[0]}, {a[1]})")
def _cases_01_2():
    return [
        (np.array(p), np.array(q))
        for p, q in (([0.5, 0.5], [0.5, 0.5]), ([1.0, 0.0], [0.0, 1.0]), ([0.1, 0.2, 0.7], [0.3, 0.3, 0.4]))
    ]


# Notebook 02: the MLP GAN (02.1, the train step's losses, is in ganlab.exercises.gan).


@_cases_exercise("02.2", "saturating_g_loss (the minimax generator loss, stable at any logit)", lambda a: "the loss")
def _cases_02_2():
    return [(np.array([[-100.0], [-3.0], [0.0], [4.0], [100.0]]),)]


@_cases_exercise(
    "02.3",
    "dense_params (weights of an MLP with these layer widths)",
    lambda a: f"dense_params({a[0]})",
    " (a Dense layer has in × out + out)",
)
def _cases_02_3():
    return [([100, 256, 512, 1024, 784],), ([784, 1],), ([3, 4, 5],)]


# Notebook 03: the DCGAN.


@_cases_exercise("03.1", "conv_transpose_size (output side of a Conv2DTranspose)", lambda a: f"conv_transpose_size{a}")
def _cases_03_1():
    return [
        (7, 5, 2, "same"),
        (7, 4, 2, "same"),
        (7, 5, 2, "valid"),
        (14, 3, 1, "valid"),
        (1, 7, 1, "valid"),
        (4, 4, 3, "same"),
    ]


@_cases_exercise(
    "03.2", "overlap_counts (kernel taps landing on each output pixel, 1-D)", lambda a: f"overlap_counts{a}"
)
def _cases_03_2():
    return [(5, 2, 6), (4, 2, 6), (3, 2, 5), (3, 1, 4)]


# Notebook 04: evaluating GANs.


@_cases_exercise(
    "04.1", "confident_rate (share of samples the classifier is sure about)", lambda a: f"threshold {a[1]}"
)
def _cases_04_1():
    probs = np.random.default_rng(_RNG_SEED).dirichlet(np.full(10, 0.2), size=200)
    return [(probs, 0.9), (probs, 0.5)]


@_cases_exercise(
    "04.2",
    "frechet_1d (Fréchet distance of two 1-D Gaussians)",
    lambda a: f"frechet_1d{a}",
    " (the arguments are means and standard deviations)",
)
def _cases_04_2():
    return [(0, 1, 0, 1), (0, 1, 3, 1), (1, 2, -1, 0.5), (5, 0.1, 5, 3)]


# Notebook 05: failure modes and fixes (05.1, the gradient penalty, is in ganlab.exercises.gan).


@_cases_exercise(
    "05.2", "smoothed_d_loss (one-sided label smoothing, logits)", lambda a: f"the loss with smooth={a[2]}"
)
def _cases_05_2():
    real, fake = np.array([[-50.0], [0.0], [3.0]]), np.array([[-2.0], [0.0], [50.0]])
    return [(real, fake, 0.9), (real, fake, 1.0)]


@_cases_exercise(
    "05.3", "critic_loss (the Wasserstein critic's loss, without the penalty)", lambda a: "the critic loss"
)
def _cases_05_3():
    return [(np.array([[3.0], [1.0], [2.0]]), np.array([[-1.0], [0.5], [0.0]]))]


# Notebook 06: the conditional GAN (06.1, the conditional D's loss, is in ganlab.exercises.gan).


@_cases_exercise(
    "06.2",
    "per_class_accuracy (how often the digit asked for is the digit drawn)",
    lambda a: "the per-digit accuracies",
)
def _cases_06_2():
    asked = np.repeat(np.arange(10), 4)
    drawn = asked.copy()
    drawn[[0, 1, 5, 39]] = [1, 2, 4, 0]
    return [(asked, drawn)]


# Notebook 07: the latent space.


@_cases_exercise("07.1", "slerp (spherical interpolation)", lambda a: f"slerp at t={a[2]}")
def _cases_07_1():
    rng = np.random.default_rng(_RNG_SEED)
    z0, z1 = rng.standard_normal(16), rng.standard_normal(16)
    return [(z0, z1, t) for t in (0.0, 0.3, 0.5, 1.0)]


@_cases_exercise(
    "07.2", "attribute_direction (mean latent of the high-scoring half minus the low half)", lambda a: "the direction"
)
def _cases_07_2():
    rng = np.random.default_rng(_RNG_SEED)
    return [(rng.standard_normal((40, 8)), rng.standard_normal(40))]
