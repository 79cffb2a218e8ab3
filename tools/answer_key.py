"""The instructor's answer key: run the worked answers in ``docs/answers/*.md`` and say which exercise fails.

Each answer file holds, per exercise, a ``## Exercise N ★...`` heading, prose, and ```` ```python ```` blocks.
The blocks of one file run in order in one shared namespace, like a notebook's cells, inside a scratch folder,
with matplotlib on the Agg backend. A traceback points at the Markdown file and line of the failing code::

    python -m tools.answer_key                              # every docs/answers/NN_*.md, full mode
    GANLAB_SMOKE=1 python -m tools.answer_key docs/answers/02_mlp_gan_mnist.md   # one file, in seconds

``make answers`` runs it (``make answers GANLAB_SMOKE=1`` for the smoke run); ``make student`` never ships it.
"""

from __future__ import annotations

import os
import re
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass
from pathlib import Path

ANSWERS = Path(__file__).resolve().parent.parent / "docs" / "answers"
PREAMBLE = "(before the first exercise)"
_HEADING = re.compile(r"^##\s+(.+?)\s*$")
_OPEN, _CLOSE = re.compile(r"^```python\s*$"), re.compile(r"^```\s*$")


@dataclass
class Result:
    """How one exercise's blocks ran: ``error`` is the traceback text, or None when every block ran."""

    file: Path
    heading: str
    seconds: float
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def label(self) -> str:
        """``02 exercise 3`` for ``## Exercise 3 ★★`` in ``02_mlp_gan_mnist.md``."""
        number = re.match(r"Exercise\s+(\d+)", self.heading)
        return f"{self.file.name[:2]} " + (f"exercise {number.group(1)}" if number else self.heading)


def _parse(path: Path) -> list[tuple[str, int, str]]:
    """(heading, line number of the block's first code line, code) for each python block of ``path``."""
    found, heading, start, code = [], PREAMBLE, None, []
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
        if start is None:
            if _OPEN.match(line):
                start, code = number + 1, []
            elif match := _HEADING.match(line):
                heading = match.group(1)
        elif _CLOSE.match(line):
            found.append((heading, start, "\n".join(code) + "\n"))
            start = None
        else:
            code.append(line)
    if start is not None:
        raise ValueError(f"{path}, line {start - 1}: a ```python block is never closed with ```")
    return found


def blocks(path) -> list[tuple[str, str]]:
    """(exercise heading, code) for each ```python block of the answer file ``path``, in order."""
    return [(heading, code) for heading, _, code in _parse(Path(path))]


def run_file(path, workdir) -> list[Result]:
    """Run the blocks of ``path`` in one namespace inside ``workdir``; one Result per heading, in order.

    After a block fails, the rest of that exercise is skipped and the next exercise runs.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    path = Path(path).resolve()
    namespace = {"__name__": f"answers_{path.stem}"}
    results: list[Result] = []
    saved = os.getcwd()
    os.chdir(workdir)
    try:
        for heading, line, code in _parse(path):
            if not results or results[-1].heading != heading:
                results.append(Result(path, heading, 0.0))
            result = results[-1]
            if not result.ok:
                continue
            start = time.perf_counter()
            try:
                # Pad with blank lines so the compiled code's line numbers are the Markdown file's.
                exec(compile("\n" * (line - 1) + code, str(path), "exec"), namespace)
            except BaseException as error:
                if isinstance(error, KeyboardInterrupt):
                    raise
                frames = error.__traceback__.tb_next  # drop this function's own frame
                result.error = "".join(traceback.format_exception(type(error), error, frames))
            finally:
                result.seconds += time.perf_counter() - start
                plt.close("all")
    finally:
        os.chdir(saved)
    return results


def answer_files() -> list[Path]:
    """Every ``docs/answers/NN_*.md`` of the repository this package sits in."""
    if not ANSWERS.is_dir():
        raise FileNotFoundError(
            f"no answer key at {ANSWERS}: it lives in the repository's docs/answers/, which an installed "
            "(non-editable) ganlab does not have. Run it from a clone: pip install -e . and python -m tools.answer_key"
        )
    return sorted(ANSWERS.glob("[0-9][0-9]_*.md"))


def main(argv: list[str] | None = None) -> int:
    """Run the given answer files (default: all), print one line per exercise; 1 if any exercise failed."""
    argv = sys.argv[1:] if argv is None else argv
    try:
        files = [Path(name) for name in argv] or answer_files()
    except FileNotFoundError as error:
        print(error, file=sys.stderr)
        return 2
    from ganlab import config

    mode = "smoke" if config.is_smoke() else "full"
    failed = 0
    for path in files:
        print(f"== {path.name} ({mode} mode)", flush=True)
        start = time.perf_counter()
        with tempfile.TemporaryDirectory(prefix="ganlab-answers-") as workdir:
            results = run_file(path, workdir)
        for result in results:
            mark = "✓" if result.ok else "✗"
            print(f"{mark} {result.label} ({result.seconds:.1f} s)", flush=True)
            if not result.ok:
                failed += 1
                print(result.error, file=sys.stderr, flush=True)
        print(f"   {time.perf_counter() - start:.1f} s in all", flush=True)
    if failed:
        print(f"{failed} exercise(s) failed", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
