"""How a checked exercise is graded: its one-line result, the registry of checks, and comparison with stored values.

A check calls the student's function on fixed inputs and compares the result with **values** stored in
``ganlab.exercises.values``, never with a reference implementation: the package a student has holds the expected
numbers, not the code that makes them. The reference solutions live with the instructor's material
(``tests/exercise_solutions.py``, which also writes ``ganlab/exercises/values.py``). ``ganlab.exercises`` runs the
checks.
"""

from __future__ import annotations

from dataclasses import dataclass
from collections.abc import Callable

import numpy as np

from ganlab.exercises import values as exercise_values

CHECKS: dict[str, tuple[str, Callable]] = {}


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


def exercise(exercise_id: str, title: str):
    """Register the decorated check under ``exercise_id``: it takes the student's function(s), returns None or a
    problem."""

    def register(fn):
        CHECKS[exercise_id] = (title, fn)
        return fn

    return register


def expected(exercise_id: str, key: str = "want"):
    """The stored expected value ``key`` of an exercise (numbers and nested lists, as ``values`` holds them)."""
    try:
        value = exercise_values.VALUES[exercise_id][key]
    except KeyError:
        raise KeyError(
            f"no stored value {key!r} for exercise {exercise_id}: run python tests/exercise_solutions.py "
            "to write ganlab/exercises/values.py"
        ) from None
    return value


def numpy(x) -> np.ndarray:
    """A student's result (NumPy, a Python number or a backend tensor) as a float64 NumPy array."""
    if not isinstance(x, (np.ndarray, int, float, list, tuple)) and hasattr(x, "shape"):
        from keras import ops

        x = ops.convert_to_numpy(x)
    return np.asarray(x, dtype=np.float64)


def close(got, want, what: str, atol: float = 1e-5, rtol: float = 1e-4) -> str | None:
    """None if ``got`` matches ``want`` in shape and value, else a sentence saying how it differs."""
    got, want = numpy(got), np.asarray(want, dtype=np.float64)
    if got.shape != want.shape:
        return f"{what} has shape {got.shape}, expected {want.shape}"
    if not np.all(np.isfinite(got)):
        return f"{what} contains inf or nan (expected {np.array2string(want.ravel()[:4], precision=4)}...)"
    if not np.allclose(got, want, atol=atol, rtol=rtol):
        i = int(np.argmax(np.abs(got - want).ravel()))
        return f"{what} is wrong: got {got.ravel()[i]:.6g} where {want.ravel()[i]:.6g} was expected (entry {i})"
    return None


def diagnose(got, exercise_id: str, case: str, what: str, mistakes: dict[str, str]) -> str | None:
    """Compare ``got`` with the stored value ``case``; if it is wrong, name a known mistake whose stored value it
    matches.

    ``mistakes`` maps a stored key (``f"{case}:{mistake}"``) to the sentence that explains that mistake.
    """
    problem = close(got, expected(exercise_id, case), what)
    if problem is None or problem.startswith(f"{what} has shape"):
        return problem
    for mistake, explanation in mistakes.items():
        if close(got, expected(exercise_id, f"{case}:{mistake}"), what) is None:
            return f"{what} is wrong: {explanation}"
    return problem
