"""The package's layers: the GAN engine never imports a course, instructor or command-line module, and no two
modules import each other at load time.

Every module of ``ganlab`` belongs to one group below, so a new module has to be placed before the tests pass.
The checker reads each module's source with ``ast``: imports at module level and inside functions and methods,
``import ganlab.x``, ``from ganlab import x``, ``from ganlab.x import y``, relative imports and
``importlib.import_module("ganlab.x")``.
"""

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "ganlab"

GROUPS = {
    # What trains, checks, saves, samples and scores a GAN: usable from a script with no notebook or widget.
    "engine": {"__init__", "autodiff", "callbacks", "checkpoints", "checks", "classifier", "conditional", "config",
               "data", "files", "gan", "live", "losses", "metrics", "models", "progress", "recipes", "sampling",
               "training"},
    # Pictures: drawing functions the engine's plot_* helpers call (imported inside them, where they draw).
    "drawing": {"plotting"},
    # The notebooks' lessons and explorers: toy GANs, traces, latent walks, widgets, badges, shipped generators.
    "course": {"cloud", "course_times", "diagnostics", "digit_explorer", "latent", "playground", "pretrained", "toy",
               "toy_plots", "widgets"},
    "instructor": {"answer_key", "exercise_values", "exercises", "gan_exercises", "grading", "student"},
    "command-line": {"__main__", "runs"},
}
GROUP = {module: group for group, modules in GROUPS.items() for module in modules}

# The engine's imports of other groups that stay on purpose: (module, function, imported module).
ALLOWED = {
    ("conditional", "explore_digits", "digit_explorer"),  # the thin widget wrapper beside plot_digit (STYLE.md)
    ("classifier", "shipped", "pretrained"),  # reads the shipped classifier's record with pretrained.manifest()
}


def ganlab_imports(source: str):
    """(line, enclosing function or None, imported ganlab module, statement) for each import of a ganlab module.

    The function is qualified (``DigitExplorer.__init__``); None is module level, a class body included.
    """
    found = []

    def visit(node, scope, function):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                name = f"{scope}.{child.name}" if scope else child.name
                visit(child, name, name if not isinstance(child, ast.ClassDef) else function)
                continue
            found.extend((child.lineno, function, target, ast.unparse(child)) for target in _targets(child))
            visit(child, scope, function)

    visit(ast.parse(source), "", None)
    return found


def _targets(node) -> list[str]:
    """The ganlab modules (or, after ``from ganlab import``, names) that one node imports."""
    if isinstance(node, ast.Import):
        return [a.name.split(".")[1] for a in node.names if a.name.startswith("ganlab.")]
    if isinstance(node, ast.ImportFrom):
        if (node.level, node.module) in ((0, "ganlab"), (1, None)):
            return [a.name for a in node.names]  # from ganlab import x, from . import x
        if node.level == 0 and (node.module or "").startswith("ganlab."):
            return [node.module.split(".")[1]]
        return [node.module.split(".")[0]] if node.level == 1 else []
    if isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
        called = getattr(node.func, "attr", None) or getattr(node.func, "id", None)  # importlib.import_module(...)
        name = node.args[0].value
        if called in ("import_module", "__import__") and isinstance(name, str) and name.startswith("ganlab."):
            return [name.split(".")[1]]
    return []


def engine_violations(module: str, source: str, package: Path = PACKAGE) -> list[str]:
    """Each import in engine ``module``'s source of a module outside the engine, other than those allowed."""
    problems = []
    for line, function, target, statement in ganlab_imports(source):
        if not (package / f"{target}.py").exists():
            continue  # a name of the package itself (from ganlab import __version__), not a module
        group = GROUP.get(target, "unclassified")
        if group == "engine" or (group == "drawing" and function) or (module, function, target) in ALLOWED:
            continue
        where = f"in {function}()" if function else "at module level"
        problems.append(f"ganlab.{module} imports the {group} module ganlab.{target} {where}, line {line}: {statement}")
    return problems


def modules():
    return {path.stem: path.read_text() for path in sorted(PACKAGE.glob("*.py"))}


def test_every_module_is_in_exactly_one_group():
    placed = [m for group in GROUPS.values() for m in group]
    assert len(placed) == len(set(placed)), "a module is in two groups"
    assert set(modules()) == set(placed), f"place these in GROUPS: {sorted(set(modules()) ^ set(placed))}"


def test_the_engine_never_imports_the_course_the_instructor_or_the_command_line():
    problems = [p for name, source in modules().items() if GROUP[name] == "engine"
                for p in engine_violations(name, source)]  # fmt: skip
    assert not problems, "\n".join(problems)


def test_every_allowed_exception_is_still_there():
    used = {(name, function, target) for name, source in modules().items()
            for _, function, target, _ in ganlab_imports(source)}  # fmt: skip
    assert ALLOWED <= used, f"no longer imported, drop from ALLOWED: {sorted(ALLOWED - used)}"


def first_cycle(graph: dict[str, set[str]]) -> list[str]:
    """A cycle of ``graph`` (module -> the modules it imports) as [a, b, ..., a], or [] if there is none."""
    done, path = set(), []

    def walk(name):
        if name in path:
            return path[path.index(name):] + [name]
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


def test_no_two_modules_import_each_other_at_load_time():
    # Imports inside functions run later, so only module-level ones count; every ganlab.x loads __init__ first.
    graph = {name: {t for _, function, t, _ in ganlab_imports(source) if function is None and t in GROUP}
             for name, source in modules().items()}  # fmt: skip
    graph = {name: targets - {name, "__init__"} for name, targets in graph.items()}
    assert first_cycle(graph) == [], "import cycle at load time: " + " -> ".join(first_cycle(graph))


def test_first_cycle_finds_a_planted_cycle():
    assert first_cycle({"gan": {"checks"}, "callbacks": {"gan", "checks"}, "checks": set()}) == []
    assert first_cycle({"gan": {"checks", "callbacks"}, "callbacks": {"checkpoints"}, "checkpoints": {"gan"}}) == [
        "callbacks", "checkpoints", "gan", "callbacks"]


PLANTED = '''
import importlib
import numpy as np
import ganlab.widgets
import ganlab.models as m
from ganlab import checks, exercises as ex, __version__
from ganlab.toy import ToyGAN
from . import student
from .runs import CLIError
from ganlab import plotting

def explore_digits():
    from ganlab.digit_explorer import DigitExplorer

def plot_digit():
    from ganlab import plotting, gan

class Explorer:
    def show(self):
        from ganlab.digit_explorer import DigitExplorer
        importlib.import_module("ganlab.cloud")
'''


def test_the_checker_finds_every_kind_of_import_of_the_course():
    found = engine_violations("conditional", PLANTED)
    assert found == [
        "ganlab.conditional imports the course module ganlab.widgets at module level, line 4: import ganlab.widgets",
        "ganlab.conditional imports the instructor module ganlab.exercises at module level, line 6: "
        "from ganlab import checks, exercises as ex, __version__",
        "ganlab.conditional imports the course module ganlab.toy at module level, line 7: from ganlab.toy import ToyGAN",
        "ganlab.conditional imports the instructor module ganlab.student at module level, line 8: from . import student",
        "ganlab.conditional imports the command-line module ganlab.runs at module level, line 9: "
        "from .runs import CLIError",
        "ganlab.conditional imports the drawing module ganlab.plotting at module level, line 10: "
        "from ganlab import plotting",
        "ganlab.conditional imports the course module ganlab.digit_explorer in Explorer.show(), line 20: "
        "from ganlab.digit_explorer import DigitExplorer",
        "ganlab.conditional imports the course module ganlab.cloud in Explorer.show(), line 21: "
        "importlib.import_module('ganlab.cloud')",
    ]  # fmt: skip
    # The same function-level import is allowed only where ALLOWED names it.
    assert any("digit_explorer in explore_digits" in p for p in engine_violations("metrics", PLANTED))


def test_a_module_in_no_group_counts_as_outside_the_engine(tmp_path):
    (tmp_path / "gan.py").write_text("")
    (tmp_path / "newthing.py").write_text("")
    assert engine_violations("gan", "def f():\n    from ganlab import newthing", tmp_path) == [
        "ganlab.gan imports the unclassified module ganlab.newthing in f(), line 2: from ganlab import newthing"]
