"""Exercise checks and the student edition: each check passes on its solution and fails on the blank, and the
student edition holds no solution."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import numpy as np
import pytest

from ganlab import exercises, student

NOTEBOOKS = sorted((Path(__file__).parent.parent / "notebooks").glob("[0-9][0-9]_*.ipynb"))

# Reference answers, written independently of the checks' own references.
SOLUTIONS = {
    "00.1": lambda x: (x.astype(np.float32) / 127.5 - 1)[..., None],
    "00.2": lambda images, labels: np.array([np.count_nonzero(images[labels == d]) / images[labels == d].size
                                             for d in range(10)]),
    "01.1": lambda l: (-1 / (1 + np.exp(-l)), -1 / (1 + np.exp(l))),
    "01.2": lambda p, q: sum(0.5 * a * np.log(a / ((a + b) / 2)) for a, b in zip(p, q) if a > 0)
    + sum(0.5 * b * np.log(b / ((a + b) / 2)) for a, b in zip(p, q) if b > 0),
    "02.1": lambda l: float(np.mean(-np.logaddexp(0.0, l))),
    "02.2": lambda w: sum(a * b + b for a, b in zip(w[:-1], w[1:])),
    "03.1": lambda n, k, s, p: n * s if p == "same" else (n - 1) * s + k,
    "03.2": lambda k, s, n: np.convolve(np.kron(np.ones(n), np.eye(s)[0])[: (n - 1) * s + 1], np.ones(k)),
    "04.1": lambda probs, t: float((probs.max(1) > t).mean()),
    "04.2": lambda m1, s1, m2, s2: (m1 - m2) ** 2 + s1**2 + s2**2 - 2 * s1 * s2,
    "05.1": lambda r, f, s: np.mean(s * np.logaddexp(0, -r) + (1 - s) * np.logaddexp(0, r)) + np.mean(
        np.logaddexp(0, f)),
    "05.2": lambda r, f: np.mean(f) - np.mean(r),
    "06.1": lambda y, k: (y[:, None] == np.arange(k)).astype(float),
    "06.2": lambda asked, drawn: np.array([(drawn[asked == d] == d).mean() for d in range(10)]),
    "07.1": lambda z0, z1, t: _slerp(z0, z1, t),
    "07.2": lambda z, s: z[s >= np.median(s)].mean(0) - z[s < np.median(s)].mean(0),
}


def _slerp(z0, z1, t):
    omega = np.arccos(np.clip(z0 @ z1 / np.linalg.norm(z0) / np.linalg.norm(z1), -1, 1))
    return (np.sin((1 - t) * omega) * z0 + np.sin(t * omega) * z1) / np.sin(omega)


def test_every_check_has_a_reference_solution():
    assert set(SOLUTIONS) == set(exercises.CHECKS)


@pytest.mark.parametrize("exercise_id", sorted(exercises.CHECKS))
def test_check_passes_on_a_solution_and_fails_on_the_blank(exercise_id):
    assert exercises.check(exercise_id, SOLUTIONS[exercise_id])
    assert exercises.results[exercise_id] is True

    def blank(*args):
        raise NotImplementedError("your code here")

    result = exercises.check(exercise_id, blank)
    assert not result and "not answered yet" in repr(result)
    assert exercises.results[exercise_id] is False


@pytest.mark.parametrize("exercise_id", sorted(exercises.CHECKS))
def test_check_fails_on_a_wrong_answer_without_raising(exercise_id):
    def wrong(*args):
        got = SOLUTIONS[exercise_id](*args)
        if isinstance(got, tuple):
            return tuple(np.asarray(g) + 0.5 for g in got)
        return np.asarray(got) + 1  # off by one everywhere

    result = exercises.check(exercise_id, wrong)
    assert not result, f"{exercise_id} accepted an answer that is off by one"
    assert repr(result).startswith(f"✗ Exercise {exercise_id}")


def test_check_reports_student_errors_and_bad_answers():
    result = exercises.check("07.1", lambda z0, z1, t: z0 @ np.ones(3))
    assert not result and "raised ValueError" in result.message
    assert "expected a function" in exercises.check("07.1", 3.0).message
    assert "not answered yet" in exercises.check("07.1", ...).message
    with pytest.raises(ValueError, match="no exercise '9.9'.*00.1"):
        exercises.check("9.9", SOLUTIONS["00.1"])


def test_a_wrong_shape_is_named():
    result = exercises.check("00.1", lambda x: x.astype(np.float32) / 127.5 - 1)  # forgot the channel axis
    assert "shape (5, 28, 28), expected (5, 28, 28, 1)" in result.message
    assert "float32" in exercises.check("00.1", lambda x: x[..., None] / 127.5 - 1).message


# The student edition.

SOURCE = """import numpy as np

def f(x):
    y = x + 1
    ### BEGIN SOLUTION
    return y * 2
    ### END SOLUTION

def g():
    ### BEGIN SOLUTION
    return 3
    ### END SOLUTION

exercises.check("00.1", f)"""


def test_strip_solutions_keeps_indentation_and_everything_outside():
    out = student.strip_solutions(SOURCE)
    assert "return y * 2" not in out and "return 3" not in out and "SOLUTION" not in out
    assert out.count(f"    {exercises.BLANK}") == 2
    assert out.splitlines()[:4] == SOURCE.splitlines()[:4] and out.endswith('exercises.check("00.1", f)')
    namespace = {}
    exec(out.replace('exercises.check("00.1", f)', ""), namespace)
    with pytest.raises(NotImplementedError):
        namespace["f"](1)


@pytest.mark.parametrize("bad, message", [
    ("### BEGIN SOLUTION\nx = 1", "never closed"),
    ("x = 1\n### END SOLUTION", "line 2: ### END SOLUTION without"),
    ("### BEGIN SOLUTION\n### BEGIN SOLUTION\n### END SOLUTION", "inside another"),
])  # fmt: skip
def test_strip_solutions_refuses_broken_markers(bad, message):
    with pytest.raises(ValueError, match=message):
        student.strip_solutions(bad, where="nb.ipynb, cell 3")


def _solution_cells(nb):
    return [c for c in nb.cells if c.cell_type == "code" and student.has_solution(c.source)]


def _exercise_id(source: str) -> str:
    return source.split('exercises.check("')[1].split('"')[0]


def test_every_notebook_has_checked_exercises_and_every_check_is_used_once():
    used = []
    for path in NOTEBOOKS:
        cells = _solution_cells(nbformat.read(path, as_version=4))
        assert cells, f"{path.name} has no checked exercise (a cell with {student.BEGIN})"
        used += [_exercise_id(c.source) for c in cells]
        assert all(_exercise_id(c.source).startswith(path.name[:2] + ".") for c in cells), path.name
    assert sorted(used) == sorted(exercises.CHECKS)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name[:2])
def test_notebook_exercises_pass_as_written_and_fail_in_the_student_edition(path):
    nb = nbformat.read(path, as_version=4)
    setup = next(c.source for c in nb.cells if c.cell_type == "code" and "from ganlab import" in c.source)
    for cell in _solution_cells(nb):
        exercise_id = _exercise_id(cell.source)
        for source, expected in ((cell.source, True), (student.strip_solutions(cell.source), False)):
            namespace = {}
            exec(setup, namespace)  # the notebook's own imports
            exec(source, namespace)
            assert exercises.results[exercise_id] is expected, f"{path.name} exercise {exercise_id}: {source}"


def test_student_edition_holds_no_solution(tmp_path):
    written = student.write_edition(NOTEBOOKS[0].parent, tmp_path)
    assert [p.name for p in written] == [p.name for p in NOTEBOOKS]
    for original, copy in zip(NOTEBOOKS, written):
        nb, text = nbformat.read(original, as_version=4), copy.read_text()
        assert "SOLUTION" not in text, copy.name
        for cell in _solution_cells(nb):
            body = cell.source.split(student.BEGIN)[1].split(student.END)[0].strip()
            assert json.dumps(body)[1:-1] not in text, f"{copy.name} leaks {body!r}"
        handout = nbformat.read(copy, as_version=4)
        for before, after in zip(nb.cells, handout.cells):
            if student.has_solution(before.source):
                assert after.outputs == [] and exercises.BLANK in after.source
            elif before.cell_type == "code":
                assert after.outputs == before.outputs  # every other result stays for the student to read


def test_student_command(tmp_path, capsys):
    assert student.main([str(NOTEBOOKS[0].parent), str(tmp_path / "out")]) == 0
    assert f"wrote {len(NOTEBOOKS)} student notebooks" in capsys.readouterr().out
    assert student.main([str(tmp_path / "empty"), str(tmp_path / "x")]) == 2
    assert "no notebooks named NN_*.ipynb" in capsys.readouterr().err
