"""Find the numbers a text quotes (percentages, times, step counts, Fréchet distances) that nothing backs.

The text is judged sentence by sentence: paragraphs split on blank lines, each list item, table row and heading is
its own sentence, and a sentence ends at ``.``, ``!`` or ``?`` followed by a space and a capital, a digit, a
backtick, ``*`` or ``(`` (never at a decimal point, nor after "e.g.", "i.e.", "et al.", "Fig.", "vs." or "cf.").
A colon does not end one: what follows it spells out the clause before it ("in `manifest.json`): MLP GAN 11.8").
A number a notebook's markdown quotes is backed when

- the notebook's own stored outputs print it or its code sets it (a parameter such as ``STEPS = 700``), or
- a source **the same sentence names** holds it: a file of the repository (``benchmarks/README.md``,
  ``benchmarks/notebook_times.json``, ``data/pretrained/manifest.json`` also written ``manifest.json``, ``README.md``
  for the root README, ``docs/teaching.md``; a folder such as ``benchmarks/`` stands for its README.md), or another
  notebook ("notebook 02", "notebooks 02 and 03", ``02_mlp_gan_mnist.ipynb``: its outputs and code).

The rule is strict: a sentence without a source of its own is checked against its notebook alone, never against
the sources of the sentences around it. A sentence that cites a paper ("et al.", or a year such as "(2018)" or
"Mirza & Osindero, 2014") is not checked at all, since a paper cannot be read here; the sentence after it is.
A JSON file holds raw values, so it also backs them as prose rounds them: to 3 significant figures, a fraction as a
percentage ("0.656" as "65.6%") and seconds as ``tools.course_times.fmt`` writes a time ("200.0" as "3.3 min").

README.md, docs/teaching.md and data/README.md (``unbacked_doc``) quote percentages and Fréchet distances: a
sentence that names a file or notebook is checked against exactly those; any other against the union of every
notebook's outputs, the manifest, benchmarks/README.md and benchmarks/notebook_times.json (``DOC_BACKING``).
Used by tests/test_prose_numbers.py; every reader takes the repository root, so tests can point it at tmp_path.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path

from tools.course_times import fmt

ROOT = Path(__file__).resolve().parent.parent
# What counts as a quoted result: "82.0%", "6.5 min", "40 s", "2,500 steps", "Fréchet distance 13.5", "13.5
# Fréchet", and both sides of a comparison ("11.78 against 13.34", "23.0 vs 47.5").
PATTERNS = (
    re.compile(r"(?<![\w.])(\d+(?:\.\d+)?)\s?%"),
    re.compile(r"(?<![\w.])(\d+(?:\.\d+)?)(?:-\d+(?:\.\d+)?)?(?:\s?(?:min|minutes|ms|seconds)|\ss)\b"),
    re.compile(r"(?<![\w.])(\d{1,3}(?:,\d{3})+|\d+)\s(?:generator\s)?(?:steps|updates)\b"),
    re.compile(r"Fréchet(?: distance)?(?: of| at [\d,]+ steps)?\s(?:is\s|was\s)?(\d+\.\d+)"),
    re.compile(r"(?<![\w.])(\d+\.\d+)\sFréchet"),
    re.compile(r"(?<![\w.,])(\d+(?:\.\d+)?)%?,?\s+(?:against|vs\.?|versus)\s+(\d+(?:\.\d+)?)(?![\d,]*\.?\d)"),
)
DOC_PATTERNS = (PATTERNS[0], PATTERNS[3], PATTERNS[4], PATTERNS[5])  # times: tests/tools/test_course_times.py
DOC_BACKING = ("data/pretrained/manifest.json", "benchmarks/README.md", "benchmarks/notebook_times.json")
ALIASES = {"manifest.json": "data/pretrained/manifest.json", "data/README": "data/README.md"}
TEXT_FILES = {".md", ".json", ".py", ".txt", ".csv", ".yml", ".yaml", ".toml"}

NOT_AN_END = re.compile(r"(?:\be\.g|\bi\.e|\bet al|\bFigs?|\bvs|\bcf|\bEqs?|\bSec|\bapprox)\.$")
SENTENCE_END = re.compile(r"[.!?]\s+(?=[A-Z\u00c0-\u00de`\d*(])")
OWN_LINE = re.compile(r"\s*(?:[-*+]\s|\d+[.)]\s|\||#)")  # a list item, table row or heading starts a sentence
MARKER = re.compile(r"^\s*(?:(?:[-*+]|\d+[.)]|#+)\s+)+")
PAPER = re.compile(r"\bet al\.|\((?:[^()]*\s)?(?:19[5-9]\d|20[0-4]\d)[a-z]?\)|,\s(?:19[5-9]\d|20[0-4]\d)[a-z]?[),;]")
NOTEBOOK = re.compile(r"\bnotebooks?\s+(\d\d\b(?:'s)?(?:\s*\(?(?:,|and|or|&)\s*\d\d\b(?:'s)?\)?)*)", re.I)
NOTEBOOK_FILE = re.compile(r"(?<!\d)(\d\d)_[a-z]\w*\.ipynb")
PATH = re.compile(r"(?<![\w/.-])((?:[A-Za-z_][\w.-]*/)+(?:[\w.-]*\w)?|[A-Za-z_][\w-]*\.(?:md|json))")
TOKEN = re.compile(r"\d[\d,]*(?:\.\d+)?")


def sentences(text: str) -> list[str]:
    """The sentences of markdown ``text``, each list item, table row and heading counted as one (see above)."""
    found = []
    for paragraph in re.split(r"\n\s*\n", text):
        chunks: list[str] = []
        for line, previous in zip(paragraph.split("\n"), [""] + paragraph.split("\n")):
            if OWN_LINE.match(line) or not chunks or previous.lstrip().startswith("#"):
                chunks.append(MARKER.sub("", line))
            else:
                chunks[-1] += "\n" + line
        for chunk in (" ".join(c.split()) for c in chunks):
            start = 0
            for end in SENTENCE_END.finditer(chunk):
                if not NOT_AN_END.search(chunk[: end.start() + 1]):
                    found.append(chunk[start : end.start() + 1])
                    start = end.end()
            found.append(chunk[start:])
    return [s.strip() for s in found if s.strip()]


def quoted_numbers(sentence: str, patterns=PATTERNS) -> list[str]:
    """Every result-like number in ``sentence``, in order, each once (a percentage in a comparison is one number)."""
    numbers = {}
    for pattern in patterns:
        for m in pattern.finditer(sentence):
            numbers |= {m.start(i): m.group(i) for i in range(1, len(m.groups()) + 1) if m.group(i)}
    return [numbers[start] for start in sorted(numbers)]


def cites_a_paper(sentence: str) -> bool:
    """Whether ``sentence`` credits a paper, whose numbers cannot be checked here."""
    return bool(PAPER.search(sentence))


def named_sources(sentence: str, root: Path = ROOT) -> list[Path]:
    """The repository files and notebooks ``sentence`` names, as paths under ``root`` (names that resolve to none
    are left out)."""
    found = []
    numbers = [n for m in NOTEBOOK.finditer(sentence) for n in re.findall(r"\d\d", m.group(1))]
    for number in numbers + NOTEBOOK_FILE.findall(sentence):
        found += sorted((root / "notebooks").glob(f"{number}_*.ipynb"))[:1]
    for name in re.findall(r"`([^`\s]+)`", sentence) + PATH.findall(sentence):
        name = ALIASES.get(name.rstrip(".,;:)"), name.rstrip(".,;:)"))
        path = root / name
        if path.is_dir():
            path = path / "README.md"
        if path.is_file() and path.suffix in TEXT_FILES | {".ipynb"}:
            found.append(path)
    return list(dict.fromkeys(p.resolve() for p in found))


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


def _tokens(text: str) -> set[str]:
    """The numbers in ``text``, with and without their thousands commas."""
    tokens = set(TOKEN.findall(text))
    return tokens | {t.replace(",", "") for t in tokens}


def notebook_tokens(notebook: dict, code: bool = True) -> set[str]:
    """The numbers a notebook's stored outputs print (and, with ``code``, its code cells hold)."""
    cells = [c for c in notebook["cells"] if c["cell_type"] == "code"]
    return _tokens(
        "\n".join(_text_of(c.get("outputs", [])) + ("\n" + "".join(c["source"]) if code else "") for c in cells)
    )


def _rounded(value: float) -> set[str]:
    """A stored value as prose quotes it: 3 significant figures, a fraction as a percentage, seconds as a time."""
    out = {f"{value:.1f}", format(value, "#.3g").rstrip(".")}
    if 0 <= value <= 1:
        out |= {f"{100 * value:.1f}", format(100 * value, "#.3g").rstrip(".")}
    if value > 0:
        out.add(fmt(value).split()[0])
    return out


def _json_numbers(value) -> list[float]:
    if isinstance(value, dict):
        return [n for v in value.values() for n in _json_numbers(v)]
    if isinstance(value, list):
        return [n for v in value for n in _json_numbers(v)]
    return [float(value)] if isinstance(value, (int, float)) and not isinstance(value, bool) else []


def file_tokens(path: Path) -> frozenset[str]:
    """The numbers a repository file or notebook holds (for a JSON file, also as prose rounds them)."""
    return _file_tokens(Path(path).read_text(errors="replace"), Path(path).suffix)


@cache
def _file_tokens(text: str, suffix: str) -> frozenset[str]:
    if suffix == ".ipynb":
        return frozenset(notebook_tokens(json.loads(text)))
    tokens = _tokens(text)
    if suffix == ".json":
        tokens |= {form for n in _json_numbers(json.loads(text)) for form in _rounded(n)}
    return frozenset(tokens)


def _problems(sentence: str, own: set[str], own_name: str, root: Path, patterns) -> list[str]:
    """``number in: sentence (against ...)`` for each number of ``sentence`` that neither ``own`` nor the sources
    the sentence names hold; a sentence that cites a paper has none."""
    numbers = quoted_numbers(sentence, patterns)
    if not numbers or cites_a_paper(sentence):
        return []
    sources = named_sources(sentence, root)
    backing = set(own).union(*(file_tokens(p) for p in sources))
    names = ([own_name] if own_name else []) + [str(p.relative_to(root.resolve())) for p in sources]
    return [f"{n!r} in: {sentence!r} (against {', '.join(names)})" for n in numbers if not forms(n) & backing]


def unbacked(notebook: dict, root: Path = ROOT) -> list[str]:
    """The numbers this notebook's markdown quotes that neither its outputs and code nor the sources their sentence
    names hold (each with its sentence and what it was checked against)."""
    own = notebook_tokens(notebook)
    markdown = "\n\n".join("".join(c["source"]) for c in notebook["cells"] if c["cell_type"] == "markdown")
    return [p for s in sentences(markdown) for p in _problems(s, own, "this notebook", root, PATTERNS)]


def doc_backing(root: Path = ROOT) -> set[str]:
    """What a doc's sentence without a named source may quote: every notebook's outputs, plus ``DOC_BACKING``."""
    tokens = set().union(
        *(notebook_tokens(load(p), code=False) for p in (root / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    )
    return tokens.union(*(file_tokens((root / name).resolve()) for name in DOC_BACKING if (root / name).is_file()))


def unbacked_doc(text: str, root: Path = ROOT) -> list[str]:
    """The percentages and Fréchet distances a doc quotes that nothing backs: a sentence naming a file or notebook
    against exactly those, any other against ``doc_backing``."""
    union, problems = doc_backing(root), []
    for sentence in sentences(text):
        own, name = (set(), "") if named_sources(sentence, root) else (union, "the notebooks and DOC_BACKING")
        problems += _problems(sentence, own, name, root, DOC_PATTERNS)
    return problems


def load(path: Path) -> dict:
    """A notebook, as its JSON."""
    return json.loads(Path(path).read_text())
