"""House rules for the stored notebooks: the shared skeleton, short cells, and real, complete, clean stored runs."""

import json
import re
from pathlib import Path

import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parent.parent / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def load(path):
    return json.loads(path.read_text())


def code_cells(nb):
    return [c for c in nb["cells"] if c["cell_type"] == "code" and "".join(c["source"]).strip()]


def test_there_are_notebooks():
    assert NOTEBOOKS, "notebooks/ holds no NN_name.ipynb"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_skeleton(path):
    nb = load(path)
    markdown = ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown"]
    headings = [l for m in markdown for l in m.splitlines() if l.startswith("#")]
    assert sum(h.startswith("# ") for h in headings) == 1, "exactly one H1 title"
    assert re.search(r"\*\*Time:\*\* \d+(\.\d+)? (min|s)\b", markdown[0]), (
        "the overview states how long the notebook takes"
    )
    for section in ("## Setup", "## 0. Parameters", "## Summary", "## Exercises"):
        assert any(h.startswith(section) for h in headings), f"missing section {section!r}"
    params = next(i for i, c in enumerate(nb["cells"]) if "".join(c["source"]).startswith("## 0. Parameters"))
    assigned = re.findall(r"^(\w+)\s*=", "".join(nb["cells"][params + 1]["source"]), re.M)
    assert assigned and all(name.isupper() for name in assigned), "parameters are UPPER_CASE constants"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_cells_are_short_and_use_module_names(path):
    cells = code_cells(load(path))
    lengths = sorted(len("".join(c["source"]).splitlines()) for c in cells)
    assert lengths[-1] <= 40, f"a code cell has {lengths[-1]} lines (max 40)"
    assert lengths[len(lengths) // 2] <= 12, f"median cell length {lengths[len(lengths) // 2]} lines"
    assert not any("import *" in "".join(c["source"]) for c in cells)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_stored_outputs_are_a_clean_full_run(path):
    cells = code_cells(load(path))
    counts = [c.get("execution_count") for c in cells]
    assert None not in counts, "some code cells were never run: store a full run (make course)"
    assert counts == list(range(counts[0], counts[0] + len(counts))), "cells were not run top to bottom once"
    text = json.dumps([c.get("outputs", []) for c in cells])
    assert '"output_type": "error"' not in text, "a stored output is an error"
    assert "SMOKE MODE" not in text, "stored outputs must come from the full run, not smoke mode"
    assert not re.search(r"/(work|root|home|tmp|Users)/[\w.-]+", text), "an output shows a machine's path"
    assert not re.search(r"at 0x[0-9a-f]{6,}", text), "an output shows a bare repr with a memory address"
