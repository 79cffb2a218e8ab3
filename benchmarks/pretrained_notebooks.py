"""How long the notebooks that need a trained generator take when a class skips training: shipped weights only.

Executes copies of notebooks 04 and 07 top to bottom in full mode with ``GENERATOR_SOURCE = "pretrained"`` (the
generators of ``data/pretrained/``) and an empty classifier cache (a fresh machine, as in a classroom: the digit
classifier then comes from ``data/pretrained/classifier.keras`` when the data is the shipped sample), and prints
each notebook's wall-clock time, its three slowest cells and where the generator and the classifier came from.
Run from the repository root, alone on the machine:

    .venv/bin/python benchmarks/pretrained_notebooks.py [--notebooks 04 07]
"""

from __future__ import annotations

import argparse
import os
import re
import tempfile
import time
from datetime import datetime
from pathlib import Path

import nbformat
from nbconvert.preprocessors import ExecutePreprocessor

ROOT = Path(__file__).resolve().parent.parent
SOURCE = re.compile(r'^GENERATOR_SOURCE = "\w+"', re.M)


def with_pretrained(path: Path):
    """The notebook with its parameters cell switched to the shipped generators."""
    nb = nbformat.read(path, as_version=4)
    cells = [c for c in nb.cells if c.cell_type == "code" and SOURCE.search(c.source)]
    if len(cells) != 1:
        raise SystemExit(f"{path.name} has no GENERATOR_SOURCE parameter: it does not load a trained generator")
    cells[0].source = SOURCE.sub('GENERATOR_SOURCE = "pretrained"', cells[0].source)
    return nb


def cell_seconds(cell) -> float:
    timing = cell.get("metadata", {}).get("execution", {})
    start, end = timing.get("iopub.execute_input"), timing.get("shell.execute_reply")
    if not (start and end):
        return 0.0
    parse = lambda s: datetime.fromisoformat(s.replace("Z", "+00:00"))  # noqa: E731
    return (parse(end) - parse(start)).total_seconds()


def provenance(nb) -> list[str]:
    """The lines the run printed about where its generator and its digit classifier came from."""
    lines = [
        line
        for c in nb.cells
        if c.cell_type == "code"
        for o in c.get("outputs", [])
        for line in "".join(o.get("text", "")).splitlines()
    ]
    return [l for l in lines if "the shipped weights" in l or l.startswith(("Loaded", "Trained the digit"))]


def run(path: Path, workdir: Path) -> tuple[float, list, list[str]]:
    nb = with_pretrained(path)
    start = time.perf_counter()
    ExecutePreprocessor(timeout=1800, kernel_name="python3").preprocess(nb, {"metadata": {"path": str(workdir)}})
    seconds = time.perf_counter() - start
    code = [c for c in nb.cells if c.cell_type == "code"]
    slowest = sorted(((cell_seconds(c), i) for i, c in enumerate(code, start=1)), reverse=True)[:3]
    return seconds, slowest, provenance(nb)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notebooks", nargs="+", default=["04", "07"], help="notebook numbers (default: 04 07)")
    args = parser.parse_args()
    os.environ["GANLAB_SMOKE"] = "0"
    os.environ.setdefault("MPLBACKEND", "Agg")
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["GANLAB_CACHE"] = str(Path(tmp) / "empty-cache")  # a fresh machine: nothing trained yet
        print("| notebook | wall clock | slowest cells (code cell number: seconds) |")
        print("|---|---|---|")
        notes = []
        for number in args.notebooks:
            path = next((ROOT / "notebooks").glob(f"{number}_*.ipynb"))
            workdir = Path(tmp) / "notebooks"  # beside nothing: "own" runs cannot be found, only shipped weights
            workdir.mkdir(exist_ok=True)
            seconds, slowest, lines = run(path, workdir)
            cells = ", ".join(f"{i}: {s:.1f} s" for s, i in slowest)
            print(f"| {path.name} | {seconds:.0f} s | {cells} |", flush=True)
            notes += [f"{path.name}: {line.strip()}" for line in lines]
        print("\n" + "\n".join(notes))


if __name__ == "__main__":
    main()
