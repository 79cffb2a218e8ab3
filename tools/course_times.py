"""The course's measured times: one table that the notebooks' Time lines, README's course map and the teaching guide
quote, and the commands that measure it.

``benchmarks/notebook_times.json`` holds, per notebook, the seconds of its full run on the shipped MNIST sample
(``make course`` records it as it makes the stored outputs), of its full run on a full-size dataset (Debian's
Fashion-MNIST standing in for the 60,000-image MNIST, ``GANLAB_DATA=standin``; measured out of place, the stored
outputs untouched) and of its smoke run. ``phrases(name)`` turns an entry into the words every document must use,
and ``stray_times(text, name)`` lists the times a text quotes that the table does not hold
(``tests/tools/test_course_times.py``).

    python -m tools.course_times record NOTEBOOK SECONDS          # after a full run in place (make course)
    python -m tools.course_times measure standin|smoke NOTEBOOK... # run copies and record their times
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TABLE = ROOT / "benchmarks" / "notebook_times.json"
KINDS = ("sample", "standin", "smoke")  # full run on the sample, full run on full-size data, smoke run
TRAINING = ("02", "03", "05", "06")  # the notebooks whose time grows with training: measured on full-size data too
# A time as prose writes it: "6.5 min", "40 s", "15 seconds", "1.5-6 minutes".
TIME = re.compile(r"(\d+(?:\.\d+)?)(?:-\d+(?:\.\d+)?)?\s*(min|minutes|s|seconds)\b")


def load() -> dict:
    """The table: {"machine": ..., "notebooks": {"02_mlp_gan_mnist": {"sample": s, "standin": s, "smoke": s}}}."""
    return json.loads(TABLE.read_text()) if TABLE.exists() else {"machine": "", "notebooks": {}}


def record(name: str, kind: str, seconds: float) -> None:
    """Store one measurement (atomically: a stopped run leaves the old table)."""
    from ganlab import files

    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}, got {kind!r}")
    table = load()
    table["machine"] = table.get("machine") or f"{os.cpu_count()}-core CPU, no GPU"
    table["notebooks"].setdefault(Path(name).stem, {})[kind] = round(float(seconds), 1)
    table["notebooks"] = dict(sorted(table["notebooks"].items()))
    files.write_text(TABLE, json.dumps(table, indent=1) + "\n")


def fmt(seconds: float) -> str:
    """A time as the documents quote it: "40 s" under 100 s, else "6.5 min" (whole minutes from 10 min)."""
    if seconds < 100:
        return f"{seconds:.0f} s"
    minutes = seconds / 60
    return f"{minutes:.1f} min" if minutes < 10 else f"{minutes:.0f} min"


def phrases(name: str, table: dict | None = None) -> dict:
    """The words for notebook ``name`` ("02"): {"full": "6.5 min (6.9 min with 60,000 images)", "smoke": "20 s"}."""
    entry = _entry(name, table or load())
    full = fmt(entry["sample"])
    if name[:2] in TRAINING:
        full += f" ({fmt(entry['standin'])} with 60,000 training images)"
    return {"full": full, "smoke": fmt(entry["smoke"])}


def stray_times(text: str, name: str, table: dict | None = None) -> list[str]:
    """The times in ``text`` about notebook ``name`` that are not that notebook's measured times, as quoted."""
    entry = _entry(name, table or load())
    allowed = {fmt(entry[kind]) for kind in KINDS if kind in entry}
    found = [m.group(0) for m in TIME.finditer(text)]
    return [t for t in found if _normal(t) not in allowed]


def _normal(quoted: str) -> str:
    number, unit = TIME.fullmatch(quoted).groups()
    return f"{number} {'min' if unit.startswith('min') else 's'}"


def _entry(name: str, table: dict) -> dict:
    hits = [v for k, v in table["notebooks"].items() if k.startswith(name[:2])]
    if len(hits) != 1:
        raise KeyError(
            f"no measured times for notebook {name!r} in {TABLE.name}; run `make course NB=...` and "
            f"`python -m tools.course_times measure standin|smoke ...`"
        )
    return hits[0]


def measure(kind: str, notebooks: list[str]) -> None:
    """Run copies of ``notebooks`` (full run on the stand-in, or smoke run) beside notebooks/, and record each time."""
    env = dict(os.environ, GANLAB_SMOKE="1" if kind == "smoke" else "0")
    if kind == "standin":
        env["GANLAB_DATA"] = "standin"
    with tempfile.TemporaryDirectory(prefix=".times-", dir=ROOT) as tmp:  # beside notebooks/: relative paths hold
        for nb in notebooks:
            copy = Path(tmp) / Path(nb).name
            copy.write_bytes(Path(nb).read_bytes())
            start = time.perf_counter()
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "jupyter",
                    "nbconvert",
                    "--to",
                    "notebook",
                    "--execute",
                    "--inplace",
                    "--ExecutePreprocessor.timeout=3600",
                    "--ExecutePreprocessor.kernel_name=python3",
                    str(copy),
                ],
                env=env,
                check=True,
                cwd=tmp,
            )
            seconds = time.perf_counter() - start
            record(nb, kind, seconds)
            print(f"{Path(nb).stem}: {kind} {seconds:.0f} s", flush=True)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.course_times", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    r = sub.add_parser("record", help="store a full run's seconds on the data it used (make course calls this)")
    r.add_argument("notebook")
    r.add_argument("seconds", type=float)
    m = sub.add_parser("measure", help="run copies of notebooks and store their times")
    m.add_argument("kind", choices=("standin", "smoke"))
    m.add_argument("notebooks", nargs="+")
    args = parser.parse_args(argv)
    if args.command == "record":
        from ganlab import data

        source = data.load_mnist(verbose=False).source  # what the run trained on
        if source == "full":  # the table's columns are the sample and the stand-in
            print(f"not recorded: {args.notebook} ran on the full MNIST", file=sys.stderr)
        else:
            record(args.notebook, source, args.seconds)
    else:
        measure(args.kind, args.notebooks)
    return 0


if __name__ == "__main__":
    sys.exit(main())
