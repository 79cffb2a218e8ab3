"""The package's layout is its architecture: which folder may import which, read from the folders themselves.

``ganlab/*.py`` are the concepts a learner meets (``data``, ``models``, ``gan``, ``training``, ``metrics``, ...);
``ganlab/callbacks/`` is part of the training engine; ``ganlab/widgets/``, ``ganlab/exercises/`` and
``ganlab/cli/`` sit on top of the concepts, each for one role. The rules, each a test below:

1. A concept module never imports a role package (widgets, exercises, command line), with one exception that is
   a naming rule, not a list: an ``explore_*`` function (the thin widget wrapper beside a pure ``plot_*``,
   STYLE.md) imports ``ganlab.widgets`` inside itself.
2. ``callbacks`` imports only concepts; no role package imports another role package.
3. Nothing in ``ganlab`` imports the repository's ``tools`` or ``tests``.
4. No two modules import each other at load time (no import circle), and no module imports another's private
   (``_name``) function.

The checker reads each module's source with ``ast``: imports at module level and inside functions and methods,
``import ganlab.x``, ``from ganlab import x``, ``from ganlab.x import y``, relative imports and
``importlib.import_module("ganlab.x")``.
"""

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "ganlab"
ROLES = ("widgets", "exercises", "cli")  # the role packages: each sits on top of the concepts
ENGINE_PACKAGES = ("callbacks",)  # subpackages that are part of the engine the concepts use


def modules(package: Path = PACKAGE) -> dict[str, str]:
    """Every module of the package by dotted name relative to it ("gan", "cli.main", "exercises" for its __init__)."""
    found = {}
    for path in sorted(package.rglob("*.py")):
        parts = list(path.relative_to(package).with_suffix("").parts)
        if parts[-1] == "__init__" and len(parts) > 1:
            parts = parts[:-1]
        found[".".join(parts)] = path.read_text()
    return found


def folder_of(module: str) -> str:
    """The layer a module belongs to: "concept" (ganlab/*.py), or the name of its subpackage (``__main__`` is cli's)."""
    if module == "__main__":
        return "cli"
    return module.split(".")[0] if "." in module or module in ROLES + ENGINE_PACKAGES else "concept"


def imports(source: str, module: str = ""):
    """(line, enclosing function or None, imported ganlab module (dotted, relative to ganlab), names, statement).

    ``names`` are the names a ``from`` import takes from that module. The function is qualified
    (``DigitExplorer.__init__``); None is module level, a class body included.
    """
    found = []

    def visit(node, scope, function):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                name = f"{scope}.{child.name}" if scope else child.name
                visit(child, name, name if not isinstance(child, ast.ClassDef) else function)
                continue
            for target, names in _targets(child, module):
                found.append((child.lineno, function, target, names, ast.unparse(child)))
            visit(child, scope, function)

    visit(ast.parse(source), "", None)
    return found


def _targets(node, module: str) -> list[tuple[str, list[str]]]:
    """The ganlab modules one node imports, relative to ganlab, each with the names taken from it."""
    if isinstance(node, ast.Import):
        return [(a.name.removeprefix("ganlab."), []) for a in node.names if a.name.startswith("ganlab.")]
    if isinstance(node, ast.ImportFrom):
        if node.level:  # relative: from . import x, from .x import y
            base = module.split(".")[: -node.level] if "." in module else []
            prefix = ".".join(base + ([node.module] if node.module else []))
        elif node.module == "ganlab" or (node.module or "").startswith("ganlab."):
            prefix = node.module.removeprefix("ganlab").lstrip(".")
        else:
            return []
        names = [a.name for a in node.names]
        if not prefix:  # from ganlab import x, y: each x is a module (or a name of the package itself)
            return [(name, []) for name in names]
        # from ganlab.pkg import mod: a submodule, if the package has one of that name
        submodules = [n for n in names if (PACKAGE / prefix.replace(".", "/") / f"{n}.py").exists()]
        others = [n for n in names if n not in submodules]
        return [(f"{prefix}.{n}", []) for n in submodules] + ([(prefix, others)] if others else [])
    if isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
        called = getattr(node.func, "attr", None) or getattr(node.func, "id", None)  # importlib.import_module(...)
        name = node.args[0].value
        if called in ("import_module", "__import__") and isinstance(name, str) and name.startswith("ganlab."):
            return [(name.removeprefix("ganlab."), [])]
    return []


def layer_violations(module: str, source: str) -> list[str]:
    """Each import in ``module``'s source that breaks rules 1-3 of this file's docstring."""
    problems, here = [], folder_of(module)
    for line, function, target, _, statement in imports(source, module):
        there = folder_of(target)
        where = f"in {function}()" if function else "at module level"
        wrapper = function is not None and function.split(".")[-1].startswith("explore_")
        if here == "concept" and there in ROLES and not (there == "widgets" and wrapper):
            rule = "a concept imports a role package only as an explore_* function's widget"
        elif here in ENGINE_PACKAGES and there in ROLES:
            rule = "the engine's callbacks import only concepts"
        elif here in ROLES and there in ROLES and there != here:
            rule = "no role package imports another"
        else:
            continue
        problems.append(f"ganlab.{module} imports ganlab.{target} {where}, line {line} ({rule}): {statement}")
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            roots = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
            if any(r.split(".")[0] in ("tools", "tests") for r in roots) and not node.level:
                problems.append(
                    f"ganlab.{module} imports the repository's {roots[0]}, line {node.lineno} "
                    "(the installed package never needs the repository's tools or tests)"
                )
    return problems


def private_imports(module: str, source: str) -> list[str]:
    """Each ``from ganlab.x import _name`` in ``module``: another module's private function used from outside."""
    return [
        f"ganlab.{module} imports {name} from ganlab.{target}, line {line}: make it public or move it"
        for line, _, target, names, _ in imports(source, module)
        if target != module
        for name in names
        if name.startswith("_") and not name.startswith("__")
    ]


def load_time_graph(sources: dict[str, str]) -> dict[str, set[str]]:
    """module -> the modules it imports at load time (imports inside functions run later, so they do not count)."""
    graph = {}
    for name, source in sources.items():
        targets = {t for _, function, t, _, _ in imports(source, name) if function is None and t in sources}
        graph[name] = targets - {name}
    return graph


def first_cycle(graph: dict[str, set[str]]) -> list[str]:
    """A cycle of ``graph`` (module -> the modules it imports) as [a, b, ..., a], or [] if there is none."""
    done, path = set(), []

    def walk(name):
        if name in path:
            return path[path.index(name) :] + [name]
        if name in done:
            return []
        path.append(name)
        for target in sorted(graph.get(name, ())):
            if cycle := walk(target):
                return cycle
        path.pop()
        done.add(name)
        return []

    return next((cycle for name in sorted(graph) if (cycle := walk(name))), [])


def test_every_import_keeps_to_the_layers():
    problems = [p for name, source in modules().items() for p in layer_violations(name, source)]
    assert not problems, "\n".join(problems)


def test_no_module_imports_another_modules_private_names():
    problems = [p for name, source in modules().items() for p in private_imports(name, source)]
    assert not problems, "\n".join(problems)


def test_no_two_modules_import_each_other_at_load_time():
    graph = load_time_graph(modules())
    assert first_cycle(graph) == [], "import cycle at load time: " + " -> ".join(first_cycle(graph))


def test_the_top_level_holds_the_concepts_and_each_module_is_one_concept():
    top = [p.stem for p in PACKAGE.glob("*.py") if p.stem not in ("__init__", "__main__")]
    assert len(top) <= 22, f"{len(top)} top-level modules: group what is not a learner's concept by its role"
    long = {name: n for name, source in modules().items() if (n := len(source.splitlines())) > 300}
    assert not long, f"over 300 lines, likely two concepts: split them: {long}"


def test_the_package_docstring_names_every_module_and_folder():
    doc = ast.get_docstring(ast.parse((PACKAGE / "__init__.py").read_text()))
    names = [p.stem for p in PACKAGE.glob("*.py") if p.stem != "__init__"] + [
        p.name for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").exists()
    ]
    missing = [n for n in names if f"``{n}``" not in doc and f"``{n}/``" not in doc]
    assert not missing, f"the map in ganlab/__init__.py does not name: {missing}"


# The checker itself, on planted sources: each rule fires where it should and only there.

PLANTED = """
import importlib
import numpy as np
import ganlab.widgets.controls
import ganlab.models as m
from ganlab import checks, exercises as ex, __version__
from ganlab.cli.runs import train
from . import cli
from ganlab.conditional import _net, N_CLASSES
from tools import cloud

def explore_digits():
    from ganlab.widgets.digit_explorer import DigitExplorer

def plot_digit():
    from ganlab.widgets import controls

class Explorer:
    def show(self):
        importlib.import_module("ganlab.cli.main")
"""


def test_the_checker_finds_every_kind_of_forbidden_import():
    found = layer_violations("latent", PLANTED)
    assert [p.split(" (")[0] for p in found] == [
        "ganlab.latent imports ganlab.widgets.controls at module level, line 4",
        "ganlab.latent imports ganlab.exercises at module level, line 6",
        "ganlab.latent imports ganlab.cli.runs at module level, line 7",
        "ganlab.latent imports ganlab.cli at module level, line 8",
        "ganlab.latent imports ganlab.widgets.controls in plot_digit(), line 16",
        "ganlab.latent imports ganlab.cli.main in Explorer.show(), line 20",
        "ganlab.latent imports the repository's tools, line 10",
    ]
    assert private_imports("latent", PLANTED) == [
        "ganlab.latent imports _net from ganlab.conditional, line 9: make it public or move it"
    ]


def test_role_packages_may_use_concepts_but_not_each_other():
    assert layer_violations("widgets.digit_explorer", "from ganlab import checks, conditional\n") == []
    assert layer_violations("cli.main", "from ganlab.exercises import grading\n") == [
        "ganlab.cli.main imports ganlab.exercises.grading at module level, line 1 (no role package imports another): "
        "from ganlab.exercises import grading"
    ]
    assert layer_violations("callbacks.records", "from ganlab.widgets import controls\n") != []


def test_first_cycle_finds_a_planted_cycle():
    assert first_cycle({"gan": {"checks"}, "callbacks": {"gan", "checks"}, "checks": set()}) == []
    assert first_cycle({"gan": {"checks", "callbacks"}, "callbacks": {"checkpoints"}, "checkpoints": {"gan"}}) == [
        "callbacks",
        "checkpoints",
        "gan",
        "callbacks",
    ]
    planted = {"a": "from ganlab import b\n", "b": "def f():\n    from ganlab import a\n", "c": "import ganlab.a\n"}
    assert load_time_graph(planted) == {"a": {"b"}, "b": set(), "c": {"a"}}
