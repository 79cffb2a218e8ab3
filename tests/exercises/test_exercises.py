"""Exercise checks and the student edition: each check passes on its solution and fails on the blank, and the
student edition holds no solution."""

from __future__ import annotations

import ast
import json
import sys
from pathlib import Path

import nbformat
import numpy as np
import pytest


from ganlab import exercises
from ganlab.exercises import gan as gan_exercises
from ganlab.exercises import grading
from ganlab.exercises import values as exercise_values
from tools import student

sys.path.insert(0, str(Path(__file__).parent))
import exercise_solutions

NOTEBOOKS = sorted((Path(__file__).resolve().parents[2] / "notebooks").glob("[0-9][0-9]_*.ipynb"))

SOLUTIONS, MISTAKES = exercise_solutions.SOLUTIONS, exercise_solutions.MISTAKES


def _answers(exercise_id):
    """The solution as the arguments of exercises.check: GAN exercises take a tuple of functions."""
    solution = SOLUTIONS[exercise_id]
    return solution if isinstance(solution, tuple) else (solution,)


def test_every_check_has_a_reference_solution():
    assert set(SOLUTIONS) == set(grading.CHECKS)
    assert set(MISTAKES) == {"02.1", "05.1", "06.1"}


def test_stored_values_are_what_the_solutions_give():
    """ganlab/exercises/values.py is up to date: rerun python tests/exercise_solutions.py after changing a check."""
    stored, now = exercise_values.VALUES, exercise_solutions.values()
    assert stored.keys() == now.keys()
    for exercise_id in now:
        assert stored[exercise_id].keys() == now[exercise_id].keys(), exercise_id
        for key, value in now[exercise_id].items():
            _assert_close(stored[exercise_id][key], value, f"{exercise_id} {key}")


def _assert_close(stored, now, where):
    if isinstance(now, list):
        assert isinstance(stored, list) and len(stored) == len(now), where
        for a, b in zip(stored, now):
            _assert_close(a, b, where)
    else:
        np.testing.assert_allclose(stored, now, rtol=1e-4, atol=1e-5, err_msg=where)


@pytest.mark.parametrize("exercise_id, mistake", [(e, m) for e, ms in MISTAKES.items() for m in ms])
def test_a_gan_exercise_names_each_planted_mistake(exercise_id, mistake):
    """Every planted wrong answer (a flipped sign, a missing term, ...) fails, with the sentence for that mistake."""
    result = exercises.check(exercise_id, *MISTAKES[exercise_id][mistake])
    assert not result and exercises.results[exercise_id] is False
    explanations = {
        "02.1": {
            **{f"d:{k}": v for k, v in gan_exercises.D_MISTAKES.items()},
            **{f"g:{k}": v for k, v in gan_exercises.G_MISTAKES.items()},
        },
        "05.1": {f"gp:{k}": v for k, v in gan_exercises.GP_MISTAKES.items()},
        "06.1": {f"loss:{k}": v for k, v in gan_exercises.CD_MISTAKES.items()},
    }[exercise_id]
    assert explanations[mistake] in result.message


def test_a_gan_exercise_fails_when_its_training_run_does_not_learn():
    """Right values are not enough: the check's training run must learn with the student's function."""
    d_loss, g_loss = SOLUTIONS["02.1"]
    calls = {"n": 0}

    def g_right_once(fake_logits):  # right on the check's fixed logits, then the wrong sign inside training
        calls["n"] += 1
        return g_loss(fake_logits) if calls["n"] == 1 else -g_loss(fake_logits)

    result = exercises.check("02.1", d_loss, g_right_once)
    assert not result and "did not learn" in result.message, result.message


def test_a_gan_exercise_needs_both_of_its_functions():
    assert "pass both functions" in exercises.check("02.1", SOLUTIONS["02.1"][0]).message


@pytest.mark.parametrize("exercise_id", sorted(grading.CHECKS))
def test_check_passes_on_a_solution_and_fails_on_the_blank(exercise_id):
    assert exercises.check(exercise_id, *_answers(exercise_id))
    assert exercises.results[exercise_id] is True

    def blank(*args):
        raise NotImplementedError("your code here")

    result = exercises.check(exercise_id, *[blank] * len(_answers(exercise_id)))
    assert not result and "not answered yet" in repr(result)
    assert exercises.results[exercise_id] is False


@pytest.mark.parametrize("exercise_id", sorted(set(grading.CHECKS) - set(MISTAKES)))
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
    assert "shape (3, 4, 4), expected (3, 4, 4, 1)" in result.message
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


@pytest.mark.parametrize(
    "bad, message",
    [
        ("### BEGIN SOLUTION\nx = 1", "never closed"),
        ("x = 1\n### END SOLUTION", "line 2: ### END SOLUTION without"),
        ("### BEGIN SOLUTION\n### BEGIN SOLUTION\n### END SOLUTION", "inside another"),
    ],
)
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
    assert sorted(used) == sorted(grading.CHECKS)


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


CHECK_MODULES = ("__init__", "grading", "gan", "values")  # what a check cell imports


def _solution_lines(nb, only=None):
    """The code lines of every solution region (of the exercises ``only``, if given), comments and very short lines
    left out, normalised."""
    lines = set()
    for cell in _solution_cells(nb):
        if only is not None and _exercise_id(cell.source) not in only:
            continue
        for region in cell.source.split(student.BEGIN)[1:]:
            for line in region.split(student.END)[0].splitlines():
                code = line.split("#")[0].strip()
                if len(code) >= 12:
                    lines.add(" ".join(code.split()))
    return lines


def test_the_student_edition_and_the_checks_leak_no_reference_answer(tmp_path):
    """No solution line of a GAN exercise is anywhere in the student's notebooks, no solution line of any exercise
    is in the modules the checks import, and the checks' stored values are plain numbers (no code). (The recall
    exercises' answers may be worked out from the cells above them: that is what they ask for.)"""
    student.write_edition(NOTEBOOKS[0].parent, tmp_path)
    package = Path(exercises.__file__).parent
    check_sources = {name: " ".join((package / f"{name}.py").read_text().split()) for name in CHECK_MODULES}
    for path in NOTEBOOKS:
        handout = " ".join((tmp_path / path.name).read_text().replace("\\n", " ").split())
        nb = nbformat.read(path, as_version=4)
        for line in _solution_lines(nb, only=MISTAKES):
            assert json.dumps(line)[1:-1] not in handout, f"the student's {path.name} holds {line!r}"
        for line in _solution_lines(nb):
            for name, text in check_sources.items():
                assert line not in text, f"ganlab/exercises/{name}.py holds the solution line {line!r} of {path.name}"
    tree = ast.parse((package / "values.py").read_text())
    values = [node for node in tree.body if isinstance(node, ast.Assign)]
    assert len(values) == 1 and isinstance(ast.literal_eval(values[0].value), dict)  # numbers, no code


def test_the_leak_test_catches_a_planted_leak(tmp_path):
    nb = nbformat.read(NOTEBOOKS[2], as_version=4)
    lines = _solution_lines(nb)
    assert "return ops.mean(ops.softplus(-fake_logits))" in lines
    leaky = student.student_notebook(nb)
    leaky.cells.append(nbformat.v4.new_code_cell("def g(f):\n    return ops.mean(ops.softplus(-fake_logits))"))
    text = " ".join(nbformat.writes(leaky).replace("\\n", " ").split())
    assert any(json.dumps(line)[1:-1] in text for line in lines)
