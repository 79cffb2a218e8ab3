"""Colab and Binder: every notebook carries its own badges and the one install cell; the cell does nothing off
Colab and, on a simulated Colab, clones the course, installs it and makes ganlab and its data importable; Binder's
configuration installs the package from pyproject.toml with a Python the project supports."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import nbformat
import pytest
import yaml

from tools import cloud

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_each_notebook_has_its_badges_and_the_current_setup_cell(path):
    nb = nbformat.read(path, as_version=4)
    title = nb.cells[0].source
    assert title.splitlines()[2] == cloud.badges(path.name), "badges go on their own line under the H1 title"
    assert f"notebooks/{path.name}" in cloud.colab_url(path.name)
    assert f"notebooks%2F{path.name}" in cloud.binder_url(path.name)
    setup = next(i for i, c in enumerate(nb.cells) if c.source.startswith("## Setup"))
    assert nb.cells[setup + 1].source == cloud.SETUP_CELL, "run: python -m tools.cloud notebooks"
    assert "from ganlab import config" in nb.cells[setup + 2].source, "the Colab cell comes before ganlab's imports"


def test_apply_refreshes_old_badges_and_cells_once(tmp_path):
    path = tmp_path / NOTEBOOKS[0].name
    nb = nbformat.read(NOTEBOOKS[0], as_version=4)
    nb.cells[0].source = nb.cells[0].source.replace("ganlab/ganlab", "someone/old-name")
    setup = next(i for i, c in enumerate(nb.cells) if c.source.startswith("## Setup"))
    nb.cells[setup + 1].source = "# On Colab: an older version of the cell"
    nbformat.write(nb, path)
    assert cloud.apply(path) is True
    fixed = nbformat.read(path, as_version=4)
    assert fixed.cells[0].source == nbformat.read(NOTEBOOKS[0], as_version=4).cells[0].source
    assert fixed.cells[setup + 1].source == cloud.SETUP_CELL and len(fixed.cells) == len(nb.cells)
    assert cloud.apply(path) is False, "a second run changes nothing"


def test_apply_inserts_the_cell_into_a_notebook_without_one(tmp_path):
    path = tmp_path / "09_new.ipynb"
    nb = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_markdown_cell("# New\n\nOverview."),
            nbformat.v4.new_markdown_cell("## Setup"),
            nbformat.v4.new_code_cell("from ganlab import config"),
        ]
    )
    nbformat.write(nb, path)
    assert cloud.apply(path)
    got = nbformat.read(path, as_version=4)
    assert got.cells[0].source == f"# New\n\n{cloud.badges('09_new.ipynb')}\n\nOverview."
    assert [c.source for c in got.cells[2:]] == [cloud.SETUP_CELL, "from ganlab import config"]
    nb.cells = nb.cells[:1]
    nbformat.write(nb, path)
    with pytest.raises(ValueError, match="no '## Setup'"):
        cloud.apply(path)


def _run(code: str, cwd: Path) -> dict:
    """Run ``code`` in a fresh Python and return the JSON it prints last."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "GANLAB_DATA_DIR")}
    done = subprocess.run([sys.executable, "-c", code], cwd=cwd, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_setup_cell_does_nothing_off_colab(tmp_path):
    code = (
        "import json, os, subprocess, sys\n"
        "def refuse(*a, **k): raise AssertionError('ran a command off Colab')\n"
        "subprocess.run = refuse\n"
        "path, cwd = list(sys.path), os.getcwd()\n"
        f"exec({cloud.SETUP_CELL!r})\n"
        "print(json.dumps({'same_path': sys.path == path, 'same_cwd': os.getcwd() == cwd}))"
    )
    assert _run(code, tmp_path) == {"same_path": True, "same_cwd": True}


def test_setup_cell_on_a_simulated_colab_installs_the_course_with_its_data(tmp_path):
    if not (ROOT / ".git").exists():
        pytest.skip("needs the course as a git checkout to clone from")
    course = tmp_path / "content" / "ganlab"
    # The cell as Colab runs it, but cloning this checkout into a temporary folder instead of GitHub into /content.
    cell = cloud.SETUP_CELL.replace(cloud.REPOSITORY_URL, ROOT.as_uri()).replace('"/content/ganlab"', repr(str(course)))
    assert cell != cloud.SETUP_CELL and str(course) in cell
    code = (
        "import json, os, subprocess, sys, types\n"
        "sys.modules['google.colab'] = types.ModuleType('google.colab')\n"
        "sys.modules['google.colab'].output = types.ModuleType('google.colab.output')  # JAX imports it on Colab\n"
        "calls, real_run = [], subprocess.run\n"
        "def run(cmd, **kw):\n"
        "    calls.append(cmd)\n"
        "    # git really clones; pip is only recorded (this test must not reinstall the environment it runs in)\n"
        "    return real_run(cmd, **kw) if cmd[0] == 'git' else subprocess.CompletedProcess(cmd, 0)\n"
        "subprocess.run = run\n"
        f"exec({cell!r})\n"
        "first = list(calls)\n"
        f"exec({cell!r})  # run the cell again: nothing is fetched twice\n"
        "subprocess.run = real_run\n"
        "import ganlab, ganlab.data, ganlab.pretrained\n"
        "folder = ganlab.data.data_dir()\n"
        "print(json.dumps({'calls': first, 'again': calls[len(first):], 'cwd': os.getcwd(),\n"
        "                  'package': ganlab.__file__, 'data': str(folder),\n"
        "                  'sample': (folder / 'mnist_sample.npz').is_file(),\n"
        "                  'pretrained': sorted(ganlab.pretrained.manifest()['models'])}))"
    )
    got = _run(code, tmp_path)
    assert got["calls"][0][:3] == ["git", "clone", "--depth=1"] and got["calls"][0][-1] == str(course)
    assert got["calls"][1] == [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "-e", str(course)]
    assert got["again"] == []
    assert got["cwd"] == str(course / "notebooks")
    assert got["package"] == str(course / "ganlab" / "__init__.py"), "the kernel imports the freshly cloned ganlab"
    assert got["data"] == str(course / "data") and got["sample"], "the MNIST sample comes with the clone"
    assert got["pretrained"] == sorted(["mlp", "dcgan", "cgan"])


def test_binder_installs_the_package_from_pyproject_with_a_supported_python():
    requirements = [
        line.strip()
        for line in (ROOT / "binder" / "requirements.txt").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    installs = [line for line in requirements if not line.startswith(("-c", "--constraint"))]  # test_packaging
    assert installs == ["-e ."], "pyproject.toml is the one list of dependencies"
    runtime = (ROOT / "binder" / "runtime.txt").read_text().strip()
    assert re.fullmatch(r"python-3\.1[1-3]", runtime), runtime
    conda_python = next(
        d
        for d in yaml.safe_load((ROOT / "environment.yml").read_text())["dependencies"]
        if isinstance(d, str) and d.startswith("python=")
    )
    assert runtime.removeprefix("python-") == conda_python.removeprefix("python="), "one Python for Binder and conda"


def test_the_repository_url_is_stated_once():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["urls"]["Repository"] == cloud.REPOSITORY_URL
    readme = (ROOT / "README.md").read_text()
    assert cloud.colab_url("00_welcome.ipynb") in readme and cloud.binder_url("00_welcome.ipynb") in readme


def test_command_line_usage(tmp_path, capsys):
    assert cloud.main([str(tmp_path / "missing")]) == 2
    assert "usage" in capsys.readouterr().err
