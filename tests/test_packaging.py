"""The one list of dependencies: environment.yml must agree with pyproject.toml; CI runs the README's command."""

import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
ENV = yaml.safe_load((ROOT / "environment.yml").read_text())


def conda_deps():
    return [d for d in ENV["dependencies"] if isinstance(d, str)]


def pip_deps():
    (pip,) = [d["pip"] for d in ENV["dependencies"] if isinstance(d, dict)]
    return pip


def test_environment_installs_the_package_with_existing_extras():
    (line,) = pip_deps()
    match = re.fullmatch(r"-e \.(?:\[([\w,]+)\])?", line)
    assert match, f"environment.yml should install only '-e .[extras]' with pip, got {line!r}"
    extras = set(filter(None, (match.group(1) or "").split(",")))
    assert extras <= set(PYPROJECT["project"]["optional-dependencies"]), extras
    assert "test" in extras


def test_environment_adds_nothing_but_python_and_pip():
    names = {re.split(r"[=<>]", d)[0] for d in conda_deps()}
    assert names == {"python", "pip"}, f"dependencies belong in pyproject.toml, not environment.yml: {names}"
    assert ENV["channels"] == ["conda-forge"]


def test_python_pin_is_inside_requires_python():
    (pin,) = [d for d in conda_deps() if d.startswith("python")]
    minor = int(pin.split("=")[1].split(".")[1])
    spec = PYPROJECT["project"]["requires-python"]
    low = int(re.search(r">=3\.(\d+)", spec).group(1))
    high = int(re.search(r"<3\.(\d+)", spec).group(1))
    assert low <= minor < high, (pin, spec)


def test_every_dependency_has_a_reason():
    text = (ROOT / "pyproject.toml").read_text()
    for dep in PYPROJECT["project"]["dependencies"]:
        line = next(l for l in text.splitlines() if f'"{dep}"' in l)
        assert "#" in line, f"{dep} has no one-line reason in pyproject.toml"


def test_ci_runs_the_readme_test_command():
    assert "make test" in (ROOT / ".ci" / "run").read_text()
    assert "make test" in (ROOT / "README.md").read_text()


def lock():
    """requirements.lock as {normalised name: version}."""
    lines = [l for l in (ROOT / "requirements.lock").read_text().splitlines() if l and not l.startswith("#")]
    assert all("==" in l for l in lines), [l for l in lines if "==" not in l]
    return {re.sub(r"[-_.]+", "-", l.split("==")[0]).lower(): l.split("==")[1] for l in lines}


def test_every_dependency_is_pinned_in_the_lock_and_make_installs_with_it():
    pinned = lock()
    for dep in PYPROJECT["project"]["dependencies"] + PYPROJECT["project"]["optional-dependencies"]["test"]:
        name = re.sub(r"[-_.]+", "-", re.split(r"[<>=\[ ]", dep)[0]).lower()
        assert name in pinned, f"{name} is not pinned in requirements.lock: run make lock"
    makefile = (ROOT / "Makefile").read_text()
    assert 'pip install --quiet -e ".[test]" -c requirements.lock' in makefile
    assert "$(STAMP): pyproject.toml requirements.lock" in makefile  # a new lock re-installs


def test_binder_installs_with_the_lock():
    requirements = ROOT / "binder" / "requirements.txt"
    named = re.findall(r"^(?:-c|--constraint)[ =]?\s*(\S+)", requirements.read_text(), flags=re.MULTILINE)
    assert len(named) == 1, f"binder/requirements.txt should say -c ../requirements.lock once, got {named}"
    lock_file = (requirements.parent / named[0]).resolve()  # pip reads a -c path relative to the file it is in
    assert lock_file == ROOT / "requirements.lock", f"-c {named[0]} names {lock_file}, not the lock"
    assert lock_file.is_file()


def test_the_environment_running_the_tests_is_the_locked_one():
    from importlib.metadata import version

    pinned = lock()
    for name in ("keras", "tensorflow", "numpy", "nbval"):
        assert version(name) == pinned[name], f"{name} {version(name)} installed, {pinned[name]} locked: run make test"
