"""Numbers in prose are numbers an output printed: the stored notebooks' markdown against their own outputs and
code, and README.md, docs/teaching.md and data/README.md against the notebooks, the pretrained manifest and the
benchmarks' README (tests/prose.py says what counts as a quoted number and as a named source)."""

import json
from pathlib import Path

import pytest

import prose

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
DOCS = [ROOT / "README.md", ROOT / "docs" / "teaching.md", ROOT / "data" / "README.md"]


def notebook(markdown: str, output: str, code: str = "x = 1") -> dict:
    return {
        "cells": [
            {"cell_type": "markdown", "source": [markdown]},
            {"cell_type": "code", "source": [code], "outputs": [{"output_type": "stream", "text": output}]},
        ]
    }


def test_a_planted_wrong_number_is_caught_and_a_right_one_passes():
    printed = "class-conditional accuracy: 82.0% confident, Fréchet distance 13.5, 2,500 steps in 6.5 min"
    assert prose.unbacked(notebook("The generator is 82.0% confident after 2,500 steps.", printed)) == []
    wrong = prose.unbacked(notebook("The generator is 82.4% confident after 2,520 steps.", printed))
    assert [w.split(" in: ")[0] for w in wrong] == ["'82.4'", "'2,520'"]
    assert len(prose.unbacked(notebook("Its Fréchet distance is 12.9, in 211 s.", printed))) == 2
    # A percentage may be printed as a fraction, a step count without its comma, a parameter in the code.
    assert prose.unbacked(notebook("82.0% of them; 7,000 steps", "0.820", code="STEPS = 7000")) == []
    # A paragraph that names its source is not checked against this notebook.
    assert prose.unbacked(notebook("Over 3 seeds: 13.2 Fréchet at 2,000 steps (`benchmarks/README.md`).", "")) == []


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_the_notebooks_prose_quotes_their_own_outputs(path):
    problems = prose.unbacked(prose.load(path))
    assert not problems, f"{path.name}: numbers in the markdown that no output or code of it holds:\n" + "\n".join(
        problems
    )


def _backing() -> str:
    texts = []
    for path in NOTEBOOKS:
        for cell in prose.load(path)["cells"]:
            if cell["cell_type"] == "code":
                texts.append(prose._text_of(cell.get("outputs", [])))
    texts.append((ROOT / "data" / "pretrained" / "manifest.json").read_text())
    texts.append((ROOT / "benchmarks" / "README.md").read_text())
    texts.append((ROOT / "benchmarks" / "notebook_times.json").read_text())
    return "\n".join(texts)


@pytest.mark.parametrize("path", DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_the_docs_quote_percentages_and_frechet_distances_that_were_printed(path):
    backing = _backing()
    tokens = set(prose.re.findall(r"\d[\d,]*(?:\.\d+)?", backing))
    tokens |= {t.replace(",", "") for t in tokens}
    manifest = json.loads((ROOT / "data" / "pretrained" / "manifest.json").read_text())
    tokens |= {
        f"{100 * v:.1f}"
        for m in manifest.get("models", {}).values()
        for v in m.get("metrics", {}).values()
        if isinstance(v, float) and v <= 1
    }  # fractions the docs quote as percentages
    problems = []
    for paragraph in prose.re.split(r"\n\s*\n", path.read_text()):
        for pattern in (
            prose.PATTERNS[0],
            prose.PATTERNS[3],
        ):  # percentages, Fréchet distances (times: test_course_times)
            for m in pattern.finditer(paragraph):
                if not prose.forms(m.group(1)) & tokens:
                    problems.append(f"{m.group(0)!r} in: ...{paragraph[max(0, m.start() - 60) : m.end() + 20]!r}...")
    assert not problems, f"{path.name}: numbers that no output, manifest or benchmark holds:\n" + "\n".join(problems)
