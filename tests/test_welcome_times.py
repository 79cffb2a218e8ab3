"""Notebook 00's table of the course (section 5) reads every notebook's Time line with a regex: a rewording of a Time
line that the regex no longer parses must fail here, not print a blank in the learner's table."""

import contextlib
import io
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
MISSING = "(no Time line)"  # what the table prints for a notebook whose Time line it cannot parse


def _cell_source(path: Path, needle: str) -> str:
    cells = ["".join(c["source"]) for c in json.loads(path.read_text(encoding="utf-8"))["cells"]]
    found = [s for s in cells if needle in s]
    assert len(found) == 1, f"{path.name}: expected one cell holding {needle!r}, found {len(found)}"
    return found[0]


@pytest.fixture(scope="module")
def table_cell():
    """The table cell's code, run as the notebook runs it: its namespace and what it printed."""
    source = _cell_source(ROOT / "notebooks" / "00_welcome.ipynb", MISSING)
    namespace, printed = {}, io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(source, "00_welcome.ipynb (table of times)", "exec"), namespace)
    return namespace, printed.getvalue()


def test_the_table_cell_is_a_checked_output(table_cell):
    source = _cell_source(ROOT / "notebooks" / "00_welcome.ipynb", MISSING)
    assert source.startswith("# NBVAL_CHECK_OUTPUT\n"), "make notebooks compares this cell's output only if marked"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_each_notebooks_time_line_is_parsed_by_the_welcome_table(path, table_cell):
    namespace, printed = table_cell
    overview = "".join(json.loads(path.read_text(encoding="utf-8"))["cells"][0]["source"])
    match = namespace["time_line"].search(overview)
    assert match, f"{path.name}: notebook 00's table cannot parse this notebook's Time line; reword one or the other"
    full, smoke = match.group("full", "smoke")
    assert full[0].isdigit() and smoke[0].isdigit(), f"{path.name}: parsed {full!r} / {smoke!r}"
    title = overview.splitlines()[0].lstrip("# ")
    row = next(line for line in printed.splitlines() if line.startswith(f"{path.name[:2]} {title}"))
    assert full in row and row.endswith(smoke) and MISSING not in row
