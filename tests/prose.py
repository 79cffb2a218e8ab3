"""Find the numbers a text quotes (percentages, times, step counts, Fréchet distances) that nothing backs.

A number in a notebook's markdown is backed when the notebook's stored outputs print it, when its code sets it (a
parameter such as ``STEPS = 700``), or when its paragraph names where it comes from: another notebook, a file of
the repository (``benchmarks/README.md``, ``data/pretrained/manifest.json``), or a paper ("et al."). A number
another notebook printed is not backed here: say which file records it. Used by
tests/test_prose_numbers.py on the stored notebooks, README.md, docs/teaching.md and data/README.md.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

# What counts as a quoted result: "82.0%", "6.5 min", "40 s", "2,500 steps", "Fréchet distance 13.5" / "13.5 Fréchet".
PATTERNS = (
    re.compile(r"(?<![\w.])(\d+(?:\.\d+)?)\s?%"),
    re.compile(r"(?<![\w.])(\d+(?:\.\d+)?)(?:-\d+(?:\.\d+)?)?\s?(?:min|minutes|ms|s|seconds)\b"),
    re.compile(r"(?<![\w.])(\d{1,3}(?:,\d{3})+|\d+)\s(?:generator\s)?(?:steps|updates)\b"),
    re.compile(r"Fréchet(?: distance)?(?: of| at [\d,]+ steps)?\s(?:is\s|was\s)?(\d+\.\d+)"),
)
# A paragraph that says where its numbers come from.
SOURCED = re.compile(r"benchmarks/|data/README|manifest\.json|README\.md|docs/|et al\.")


def quoted_numbers(text: str) -> list[tuple[str, str]]:
    """(number, paragraph) for every result-like number in ``text`` whose paragraph names no source."""
    found = []
    for paragraph in re.split(r"\n\s*\n", text):
        if SOURCED.search(paragraph):
            continue
        for pattern in PATTERNS:
            found += [(m.group(1), paragraph) for m in pattern.finditer(paragraph)]
    return found


def forms(number: str) -> set[str]:
    """The ways an output may print ``number``: "2,500" as 2500 or 2,500; "82.0" as 82.0 or 0.820; "13" as 13.0."""
    plain = number.replace(",", "")
    out = {number, plain, f"{int(float(plain)):,}" if float(plain).is_integer() else plain}
    if "." in plain:
        decimals = len(plain.split(".")[1])
        out.add(f"{float(plain) / 100:.{decimals + 2}f}")  # a percentage printed as a fraction
    else:
        out |= {f"{plain}.0", f"{float(plain) / 100:.2f}"}
    return out


def _text_of(outputs) -> str:
    parts = []
    for o in outputs:
        text = o.get("text") or o.get("data", {}).get("text/plain", "")
        parts.append(text if isinstance(text, str) else "".join(text))
    return "\n".join(parts)


def unbacked(notebook: dict) -> list[str]:
    """The numbers this notebook's markdown quotes that its outputs and code do not hold (with their context)."""
    code = [c for c in notebook["cells"] if c["cell_type"] == "code"]
    backing = "\n".join(_text_of(c.get("outputs", [])) + "\n" + "".join(c["source"]) for c in code)
    tokens = set(re.findall(r"\d[\d,]*(?:\.\d+)?", backing)) | {
        t.replace(",", "") for t in re.findall(r"\d[\d,]*", backing)
    }
    problems = []
    for cell in notebook["cells"]:
        if cell["cell_type"] != "markdown":
            continue
        for number, paragraph in quoted_numbers("".join(cell["source"])):
            if not forms(number) & tokens:
                where = paragraph.find(number)
                problems.append(f"{number!r} in: ...{paragraph[max(0, where - 60) : where + 40]!r}...")
    return problems


def load(path: Path) -> dict:
    return json.loads(Path(path).read_text())
