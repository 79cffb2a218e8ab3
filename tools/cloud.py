"""Colab and Binder: the badges and the install cell that every notebook carries, written from one place.

Each notebook's first cell shows an "Open in Colab" and a "launch Binder" badge for that notebook, and its Setup
section starts with ``SETUP_CELL``: on Colab it clones the course into ``/content/ganlab`` and installs ganlab from
it (editable, so ``data/``, the MNIST sample and the pretrained generators come with it), then moves into its
``notebooks/`` folder; anywhere else (your machine, Binder, CI) it does nothing. It installs ganlab without its
dependencies: Colab already has TensorFlow, Keras 3, NumPy and Matplotlib, and pip must not replace the ipywidgets
7 and Jupyter packages Colab's front end is built for (``ganlab.widgets`` works with ipywidgets 7 and 8). Binder
needs no cell: its image is built from ``binder/requirements.txt`` (``-e .`` at the versions of
``requirements.lock``), so ganlab is installed before the notebook opens.

``python -m tools.cloud notebooks`` writes or refreshes both in every notebook; ``tests/tools/test_cloud.py`` checks
that each notebook holds exactly the current ones. A fork changes ``REPOSITORY`` (and pyproject's Repository URL,
which a test keeps equal) and runs that command.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from urllib.parse import quote

import nbformat

REPOSITORY = "ganlab/ganlab"  # owner/name on GitHub, where Colab and Binder fetch the course from
BRANCH = "main"
REPOSITORY_URL = f"https://github.com/{REPOSITORY}"
COLAB_BADGE = "https://colab.research.google.com/assets/colab-badge.svg"
BINDER_BADGE = "https://mybinder.org/badge_logo.svg"
_BADGE_LINE = re.compile(r"^\[!\[Open In Colab\].*$\n?", re.M)

MARKER = "# On Colab"  # how the setup cell starts (tools/code_hash.py leaves it out of the hash)
SETUP_CELL = f'''# On Colab: fetch the course and install ganlab (once per session). Anywhere else this cell does nothing.
import os, subprocess, sys

if "google.colab" in sys.modules:
    COURSE = "/content/ganlab"
    if not os.path.isdir(COURSE):
        subprocess.run(["git", "clone", "--depth=1", "{REPOSITORY_URL}", COURSE], check=True)
        # --no-deps: Colab has TensorFlow, Keras 3, NumPy and Matplotlib, and the ipywidgets and Jupyter it needs
        subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "-e", COURSE], check=True)
    sys.path.insert(0, COURSE)  # this kernel started before the install: let it find ganlab now
    os.chdir(f"{{COURSE}}/notebooks")'''


def colab_url(notebook: str) -> str:
    """The Colab address that opens ``notebooks/<notebook>`` from the repository."""
    return f"https://colab.research.google.com/github/{REPOSITORY}/blob/{BRANCH}/notebooks/{notebook}"


def binder_url(notebook: str) -> str:
    """The Binder address that builds the repository and opens ``notebooks/<notebook>`` in JupyterLab."""
    return f"https://mybinder.org/v2/gh/{REPOSITORY}/{BRANCH}?labpath={quote('notebooks/' + notebook, safe='')}"


def badges(notebook: str) -> str:
    """One markdown line: the Colab and Binder badges of ``notebook`` (a file name such as ``00_welcome.ipynb``)."""
    return (
        f"[![Open In Colab]({COLAB_BADGE})]({colab_url(notebook)}) "
        f"[![Launch Binder]({BINDER_BADGE})]({binder_url(notebook)})"
    )


def _setup_index(nb) -> int:
    """Index of the cell right after the ``## Setup`` heading, where SETUP_CELL belongs."""
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "markdown" and cell.source.lstrip().startswith("## Setup"):
            return i + 1
    raise ValueError("the notebook has no '## Setup' markdown cell to put the Colab cell under")


def apply(path) -> bool:
    """Write the badges (under the H1 title) and SETUP_CELL (first in Setup) into a notebook; True if it changed."""
    path = Path(path)
    nb = nbformat.read(path, as_version=4)
    before = nbformat.writes(nb)
    # Badges: a line of their own right under the title, replacing an older badge line.
    title = nb.cells[0]
    if title.cell_type != "markdown" or not title.source.startswith("# "):
        raise ValueError(f"{path.name}: the first cell must be the markdown H1 title")
    head, _, rest = _BADGE_LINE.sub("", title.source).partition("\n")
    body = rest.lstrip("\n")
    title.source = f"{head}\n\n{badges(path.name)}\n\n{body}".rstrip("\n")
    # The install cell: first in Setup; replace an older version of it, keep everything else.
    at = _setup_index(nb)
    if nb.cells[at].cell_type == "code" and nb.cells[at].source.startswith(MARKER):
        nb.cells[at].source = SETUP_CELL
    else:
        nb.cells.insert(at, nbformat.v4.new_code_cell(SETUP_CELL))
    after = nbformat.writes(nb)
    if after != before:
        nbformat.write(nb, path)
    return after != before


def main(argv: list[str] | None = None) -> int:
    """``python -m tools.cloud NOTEBOOK_DIR``: refresh the badges and the Colab cell in every notebook there."""
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1 or not Path(argv[0]).is_dir():
        print("usage: python -m tools.cloud NOTEBOOK_DIR   (e.g. notebooks)", file=sys.stderr)
        return 2
    for path in sorted(Path(argv[0]).glob("[0-9][0-9]_*.ipynb")):
        print(f"{path}: {'updated' if apply(path) else 'already current'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
