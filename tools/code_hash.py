"""Stale stored outputs: a hash of each notebook's code, recorded when ``make course`` makes its outputs.

``make course`` runs a notebook in full mode in place (the outputs a learner reads without running anything) and
then ``record``s ``code_hash`` of its code cells in the notebook's metadata, as
``metadata["ganlab"]["code_sha256"]``. Any later edit to a code cell changes the hash, and ``stale`` says that the
stored outputs no longer come from the code above them (``tests/tools/test_code_hash.py`` checks every notebook).
Markdown, outputs, execution counts, metadata and whitespace at the end of a cell do not count, nor does the Colab
setup cell (``tools.cloud.SETUP_CELL``: it does nothing outside Colab, and a fork rewrites it in every notebook).

    python -m tools.code_hash record NOTEBOOK...   # after a full run in place (make course calls it)
    python -m tools.code_hash check NOTEBOOK...    # a line per notebook whose code changed since; exit 1 if any
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SECTION, KEY = "ganlab", "code_sha256"  # metadata["ganlab"]["code_sha256"]


def code_hash(notebook: dict) -> str:
    """Hex SHA-256 of the code cells' sources in order, each without the whitespace at its end."""
    from tools.cloud import MARKER

    sources = [_source(cell).rstrip() for cell in notebook["cells"] if cell["cell_type"] == "code"]
    sources = [source for source in sources if not source.startswith(MARKER)]
    return hashlib.sha256(json.dumps(sources).encode("utf-8")).hexdigest()


def record(path) -> str:
    """Store ``path``'s code hash in its metadata (atomically, in the format nbconvert writes); return the hash."""
    from ganlab import files

    path = Path(path)
    text = path.read_text(encoding="utf-8")
    notebook = json.loads(text)
    digest = code_hash(notebook)
    notebook.setdefault("metadata", {}).setdefault(SECTION, {})[KEY] = digest
    new_text = dumps(notebook)
    if new_text != text:
        files.write_text(path, new_text)
    return digest


def stale(path) -> str | None:
    """None if ``path``'s stored outputs come from its code as it is; else a one-line reason and what to run."""
    notebook = json.loads(Path(path).read_text(encoding="utf-8"))
    recorded = notebook.get("metadata", {}).get(SECTION, {}).get(KEY)
    if recorded == code_hash(notebook):
        return None
    if recorded is None:
        why = "no code hash recorded, so its stored outputs may not come from its code"
    else:
        why = "a code cell changed after its outputs were stored"
    name = _shown(path)
    return f"{name}: {why}; re-run it: make course NB={name}"


def dumps(notebook: dict) -> str:
    """A notebook as nbformat (and so nbconvert and Jupyter) writes it: 1-space indent, sorted keys, UTF-8."""
    return json.dumps(notebook, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def _source(cell: dict) -> str:
    source = cell.get("source", "")
    return source if isinstance(source, str) else "".join(source)


def _shown(path) -> str:
    """``path`` as the Makefile takes it: relative to the repository when it lies inside it."""
    try:
        return Path(path).resolve().relative_to(ROOT).as_posix()
    except ValueError:
        return str(path)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.code_hash", description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=("record", "check"))
    parser.add_argument("notebooks", nargs="+")
    args = parser.parse_args(argv)
    try:
        if args.command == "record":
            for nb in args.notebooks:
                print(f"   code hash {record(nb)[:12]} recorded in {_shown(nb)}")
            return 0
        reasons = [reason for nb in args.notebooks if (reason := stale(nb))]
    except (OSError, ValueError) as err:  # a missing file, a file that is not JSON
        print(f"error: {err}", file=sys.stderr)
        return 2
    print("\n".join(reasons) or f"{len(args.notebooks)} notebook(s): the stored outputs come from the code as it is")
    return 1 if reasons else 0


if __name__ == "__main__":
    sys.exit(main())
