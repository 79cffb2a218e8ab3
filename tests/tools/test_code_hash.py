"""Stored outputs come from the code above them: make course records a hash of each notebook's code cells
(tools/code_hash.py), and a code cell edited after that is reported with the command that re-runs the notebook."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import nbformat
import pytest

from tools import cloud, code_hash, student

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def _write(path: Path, nb) -> Path:
    nbformat.write(nb, path)  # as Jupyter and nbconvert write a notebook
    return path


@pytest.fixture
def notebook(tmp_path) -> Path:
    """A small executed notebook: markdown, two code cells with outputs, an empty code cell."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("# A title\n\n**Time:** 1 s."),
        nbformat.v4.new_code_cell("x = 2\nprint(x)", execution_count=1),
        nbformat.v4.new_code_cell("print(x * 3)", execution_count=2),
        nbformat.v4.new_code_cell(""),
    ]
    nb.cells[1].outputs = [nbformat.v4.new_output("stream", name="stdout", text="2\n")]
    nb.cells[2].outputs = [nbformat.v4.new_output("stream", name="stdout", text="6\n")]
    return _write(tmp_path / "01_small.ipynb", nb)


def _edit(path: Path, edit) -> None:
    nb = nbformat.read(path, as_version=4)
    edit(nb)
    _write(path, nb)


def test_a_missing_hash_is_reported_with_the_command_that_re_runs_the_notebook(notebook):
    reason = code_hash.stale(notebook)
    assert reason == (
        f"{notebook}: no code hash recorded, so its stored outputs may not come from its code; "
        f"re-run it: make course NB={notebook}"
    )


def _move_a_line(nb):
    nb.cells[1].source, nb.cells[2].source = "x = 2", "print(x)\nprint(x * 3)"


@pytest.mark.parametrize(
    "edit",
    [
        lambda nb: setattr(nb.cells[2], "source", "print(x * 4)"),  # a changed line
        lambda nb: setattr(nb.cells[1], "source", "x = 2\n\nprint(x)"),  # a blank line inside a cell
        lambda nb: nb.cells.insert(1, nbformat.v4.new_code_cell("y = 1")),  # a new cell
        lambda nb: nb.cells.pop(2),  # a deleted cell
        lambda nb: nb.cells.__setitem__(slice(1, 3), [nb.cells[2], nb.cells[1]]),  # two cells swapped
        _move_a_line,  # the same lines, cut into cells differently
    ],
    ids=["changed", "blank-line", "inserted", "deleted", "swapped", "line-moved"],
)
def test_a_changed_code_cell_makes_the_outputs_stale(notebook, edit):
    code_hash.record(notebook)
    assert code_hash.stale(notebook) is None
    _edit(notebook, edit)
    reason = code_hash.stale(notebook)
    assert reason == (
        f"{notebook}: a code cell changed after its outputs were stored; re-run it: make course NB={notebook}"
    )


def _markdown(nb):
    nb.cells[0].source += "\n\nA new paragraph."


def _outputs(nb):
    nb.cells[1].outputs, nb.cells[2].outputs = [], [nbformat.v4.new_output("stream", name="stdout", text="7\n")]
    nb.cells[1].execution_count, nb.cells[2].execution_count = 5, None


def _metadata(nb):
    nb.cells[1].metadata["tags"] = ["hide-input"]
    nb.metadata["kernelspec"] = {"name": "ganlab", "display_name": "Python (ganlab)", "language": "python"}


def _trailing_whitespace(nb):
    nb.cells[1].source += "  \n\n"
    nb.cells[3].source = "\n"


def _colab_setup_cell(nb):  # what python -m tools.cloud does to every notebook of a fork
    nb.cells.insert(1, nbformat.v4.new_code_cell(cloud.SETUP_CELL.replace("ganlab/ganlab", "a-fork/ganlab")))


@pytest.mark.parametrize("edit", [_markdown, _outputs, _metadata, _trailing_whitespace, _colab_setup_cell])
def test_markdown_outputs_metadata_and_trailing_whitespace_do_not_count(notebook, edit):
    digest = code_hash.record(notebook)
    _edit(notebook, edit)
    assert code_hash.stale(notebook) is None
    assert code_hash.code_hash(nbformat.read(notebook, as_version=4)) == digest


def test_sources_stored_as_lines_or_as_one_string_hash_alike(notebook):
    nb = json.loads(notebook.read_text())
    assert isinstance(nb["cells"][1]["source"], list)  # as nbformat stores a multi-line source
    joined = {**nb, "cells": [{**c, "source": "".join(c["source"])} for c in nb["cells"]]}
    assert code_hash.code_hash(joined) == code_hash.code_hash(nb)
    assert re.fullmatch(r"[0-9a-f]{64}", code_hash.code_hash(nb))


def test_record_adds_the_key_and_leaves_every_other_byte_of_a_stored_notebook(tmp_path):
    path = shutil.copy(ROOT / "notebooks" / "00_welcome.ipynb", tmp_path)  # non-ASCII text, widgets, images
    nb = json.loads(Path(path).read_text(encoding="utf-8"))
    nb["metadata"].pop("ganlab", None)  # as a notebook looks before its first record
    before = code_hash.dumps(nb)
    Path(path).write_text(before, encoding="utf-8")
    digest = code_hash.record(path)
    after = Path(path).read_text(encoding="utf-8")
    added = f'  "ganlab": {{\n   "code_sha256": "{digest}"\n  }},\n'  # sorted keys: first in metadata
    assert after.replace(added, "", 1) == before
    assert after.count(added) == 1 and after.endswith("}\n")
    assert code_hash.record(path) == digest and Path(path).read_text(encoding="utf-8") == after  # idempotent
    nbformat.validate(nbformat.read(path, as_version=4))  # still a valid notebook


def test_the_command_line_records_then_checks(notebook, capsys):
    assert code_hash.main(["check", str(notebook)]) == 1
    assert "no code hash recorded" in capsys.readouterr().out
    assert code_hash.main(["record", str(notebook)]) == 0
    assert code_hash.main(["check", str(notebook)]) == 0
    assert "the stored outputs come from the code as it is" in capsys.readouterr().out
    _edit(notebook, lambda nb: setattr(nb.cells[2], "source", "print(x * 4)"))
    assert code_hash.main(["check", str(notebook)]) == 1
    assert capsys.readouterr().out == code_hash.stale(notebook) + "\n"
    assert code_hash.main(["check", str(notebook.with_name("missing.ipynb"))]) == 2
    assert "error:" in capsys.readouterr().err


def test_a_notebook_in_the_repository_is_named_as_make_course_takes_it(monkeypatch):
    monkeypatch.chdir(ROOT)
    assert code_hash._shown(ROOT / "notebooks" / "00_welcome.ipynb") == "notebooks/00_welcome.ipynb"
    assert code_hash._shown("notebooks/../notebooks/00_welcome.ipynb") == "notebooks/00_welcome.ipynb"


def test_the_student_edition_drops_the_code_hash_its_stripped_code_no_longer_fits(notebook, tmp_path):
    _edit(notebook, lambda nb: setattr(nb.cells[2], "source", "### BEGIN SOLUTION\nprint(x * 3)\n### END SOLUTION"))
    code_hash.record(notebook)
    [written] = student.write_edition(notebook.parent, tmp_path / "student")
    nb = nbformat.read(written, as_version=4)
    nbformat.validate(nb)
    assert "raise NotImplementedError" in nb.cells[2].source
    assert "ganlab" not in nb.metadata and "ganlab" in nbformat.read(notebook, as_version=4).metadata


def test_make_course_records_the_hash_after_a_successful_run():
    makefile = (ROOT / "Makefile").read_text()
    recipe = makefile.split("\ncourse:", 1)[1].split("\n\n", 1)[0]
    run = recipe.index("nbconvert --to notebook --execute --inplace")
    assert "|| exit 1" in recipe[run : recipe.index("tools.code_hash record")], "record only a run that succeeded"
    assert recipe.index('tools.code_hash record "$$nb"') > run


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_each_stored_notebooks_outputs_come_from_its_code(path):
    assert code_hash.stale(path) is None
