"""The instructor's answer key (docs/answers/*.md, run by ganlab/answer_key.py): its parser, every answer file
in smoke mode, and one answer section for each open exercise of every notebook."""

import os
import re
from pathlib import Path

import nbformat
import pytest

from tools import answer_key

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))

FIXTURE = """# Answers: a test

## Exercise 1 ★

> A question.

```python
x = 1
```

Prose between blocks.

```python
y = x + 1
```

## Exercise 2 ★★

```bash
not python
```

```python
assert y == 2
1 / 0
```
"""


def test_blocks_pairs_each_python_block_with_its_exercise_heading(tmp_path):
    path = tmp_path / "99_fixture.md"
    path.write_text(FIXTURE)
    assert answer_key.blocks(path) == [
        ("Exercise 1 ★", "x = 1\n"),
        ("Exercise 1 ★", "y = x + 1\n"),
        ("Exercise 2 ★★", "assert y == 2\n1 / 0\n"),
    ]


def test_run_file_shares_one_namespace_and_points_a_failure_at_the_markdown_line(tmp_path):
    path = tmp_path / "99_fixture.md"
    path.write_text(FIXTURE)
    (tmp_path / "work").mkdir()
    before = os.getcwd()
    results = answer_key.run_file(path, tmp_path / "work")
    assert os.getcwd() == before
    assert [(r.label, r.ok) for r in results] == [("99 exercise 1", True), ("99 exercise 2", False)]
    line = FIXTURE.splitlines().index("1 / 0") + 1
    assert f'{path}", line {line}' in results[1].error and "ZeroDivisionError" in results[1].error


def test_an_unclosed_block_is_an_error_naming_its_line(tmp_path):
    path = tmp_path / "99_open.md"
    path.write_text("## Exercise 1\n\n```python\nx = 1\n")
    with pytest.raises(ValueError, match="line 3"):
        answer_key.blocks(path)


@pytest.mark.skipif(
    os.environ.get("KERAS_BACKEND", "tensorflow") != "tensorflow",
    reason="the answer key runs once, on TensorFlow (make test runs the unit tests on three backends)",
)
@pytest.mark.parametrize("path", answer_key.answer_files(), ids=lambda p: p.name)
def test_every_answer_runs_in_smoke_mode(path, tmp_path, monkeypatch):
    monkeypatch.setenv("GANLAB_SMOKE", "1")
    results = answer_key.run_file(path, tmp_path)
    assert results, f"{path.name} has no python blocks"
    failed = [f"{r.label}:\n{r.error}" for r in results if not r.ok]
    assert not failed, "\n".join(failed)


def open_exercises(notebook: Path) -> list[int]:
    """The numbers of the ★ exercises listed under the notebook's ## Exercises heading."""
    for cell in nbformat.read(notebook, as_version=4).cells:
        if cell.cell_type == "markdown" and "## Exercises" in cell.source:
            text = cell.source.split("## Exercises", 1)[1]
            return [int(n) for n in re.findall(r"^(\d+)\. ★", text, flags=re.MULTILINE)]
    return []


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_open_exercise_has_an_answer(notebook):
    numbers = open_exercises(notebook)
    assert numbers, f"{notebook.name} lists no ★ exercises under ## Exercises"
    answers = answer_key.ANSWERS / f"{notebook.stem}.md"
    assert answers.exists(), f"no answer file {answers.relative_to(ROOT)} for {notebook.name}"
    headings = {h for h in re.findall(r"^## (Exercise \d+)\b", answers.read_text(), flags=re.MULTILINE)}
    missing = [n for n in numbers if f"Exercise {n}" not in headings]
    assert not missing, f"{answers.name} has no ## Exercise section for {missing}"
