"""The student edition: copies of the notebooks with every exercise solution removed, ready to hand out.

In the instructor edition (``notebooks/``) an exercise's solution sits between two marker lines::

    def slerp(z0, z1, t):
        ### BEGIN SOLUTION
        ...
        ### END SOLUTION

``make student`` (``python -m tools.student notebooks student``) writes each notebook with every such region
replaced by ``raise NotImplementedError("your code here")`` at the same indentation, and clears the outputs of
those cells, so the check below each one says "not answered yet" until the student writes the code. Every
other cell keeps its stored output: students see the full run's results.
"""

from __future__ import annotations

import copy
import re
import sys
from pathlib import Path

import nbformat

from ganlab.exercises import BLANK

BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
_MARKER = re.compile(r"^(\s*)(### (?:BEGIN|END) SOLUTION)\s*$")


def strip_solutions(source: str, where: str = "cell") -> str:
    """``source`` with each BEGIN/END SOLUTION region replaced by one ``raise NotImplementedError`` line."""
    out, indent, inside = [], None, False
    for number, line in enumerate(source.splitlines(), start=1):
        match = _MARKER.match(line)
        if match and match.group(2) == BEGIN:
            if inside:
                raise ValueError(f"{where}, line {number}: {BEGIN} inside another solution; close it with {END}")
            inside, indent = True, match.group(1)
        elif match:
            if not inside:
                raise ValueError(f"{where}, line {number}: {END} without a {BEGIN} before it")
            inside = False
            out.append(indent + BLANK)
        elif not inside:
            out.append(line)
    if inside:
        raise ValueError(f"{where}: {BEGIN} is never closed; add a line {END} after the solution")
    return "\n".join(out)


def has_solution(source: str) -> bool:
    """True if the cell holds a solution region (a line that is exactly the BEGIN marker)."""
    return any(_MARKER.match(line) for line in source.splitlines())


def student_notebook(nb: nbformat.NotebookNode, name: str = "notebook") -> nbformat.NotebookNode:
    """A copy of ``nb`` with solutions stripped and the outputs of exercise cells cleared."""
    nb = copy.deepcopy(nb)
    nb.metadata.pop("ganlab", None)  # the instructor's code hash (tools/code_hash.py) no longer fits its code
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "code" and has_solution(cell.source):
            cell.source = strip_solutions(cell.source, where=f"{name}, cell {index}")
            cell.outputs, cell.execution_count = [], None
    return nb


def write_edition(src_dir, out_dir) -> list[Path]:
    """Write the student edition of every ``NN_*.ipynb`` in ``src_dir`` into ``out_dir``; return the paths."""
    src_dir, out_dir = Path(src_dir), Path(out_dir)
    notebooks = sorted(src_dir.glob("[0-9][0-9]_*.ipynb"))
    if not notebooks:
        raise ValueError(f"no notebooks named NN_*.ipynb in {src_dir}; pass the course's notebooks/ folder")
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for path in notebooks:
        nb = student_notebook(nbformat.read(path, as_version=4), name=path.name)
        target = out_dir / path.name
        tmp = target.with_suffix(".ipynb.part")
        nbformat.write(nb, tmp)
        tmp.replace(target)  # a half-written notebook never replaces a good one
        written.append(target)
    return written


def main(argv=None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2:
        print("usage: python -m tools.student NOTEBOOKS_DIR OUT_DIR", file=sys.stderr)
        return 2
    try:
        written = write_edition(*args)
    except ValueError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    stripped = sum(
        sum(has_solution(c.source) for c in nbformat.read(p, as_version=4).cells if c.cell_type == "code")
        for p in sorted(Path(args[0]).glob("[0-9][0-9]_*.ipynb"))
    )
    print(f"wrote {len(written)} student notebooks to {args[1]} ({stripped} exercise cells without their solutions)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
