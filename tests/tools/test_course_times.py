"""The times the course states come from one measured table (benchmarks/notebook_times.json, tools/course_times.py):
every notebook's Time line, README's course map and the teaching guide's table quote it, and nothing else."""

import json
import re
from pathlib import Path

import pytest

from tools import course_times

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
TABLE = {
    "machine": "2-core CPU",
    "notebooks": {
        "02_mlp_gan_mnist": {"sample": 390.0, "standin": 412.4, "smoke": 21.2},
        "04_evaluating_gans": {"sample": 31.0, "smoke": 24.0},
    },
}


def test_times_are_formatted_one_way_and_a_planted_wrong_time_is_caught():
    assert [course_times.fmt(s) for s in (8.4, 99.4, 390, 725)] == ["8 s", "99 s", "6.5 min", "12 min"]
    assert course_times.phrases("02", TABLE) == {
        "full": "6.5 min (6.9 min with 60,000 training images)",
        "smoke": "21 s",
    }
    assert course_times.phrases("04", TABLE) == {"full": "31 s", "smoke": "24 s"}
    line = "**Time:** 6.5 min (6.9 min with 60,000 training images) for the full run, 21 s in smoke mode."
    assert course_times.stray_times(line, "02", TABLE) == []
    assert course_times.stray_times(line.replace("21 s", "20 seconds"), "02", TABLE) == ["20 seconds"]
    assert course_times.stray_times("about 4.5-8 min", "02", TABLE) == ["4.5-8 min"]
    with pytest.raises(KeyError, match="no measured times for notebook '07'"):
        course_times.phrases("07", TABLE)


def test_recording_keeps_the_other_measurements(tmp_path, monkeypatch):
    monkeypatch.setattr(course_times, "TABLE", tmp_path / "times.json")
    course_times.record("notebooks/03_dcgan_mnist.ipynb", "sample", 301.26)
    course_times.record("03_dcgan_mnist", "smoke", 30)
    saved = json.loads((tmp_path / "times.json").read_text())
    assert saved["notebooks"] == {"03_dcgan_mnist": {"sample": 301.3, "smoke": 30.0}}
    with pytest.raises(ValueError, match="kind must be one of"):
        course_times.record("03_dcgan_mnist", "laptop", 1)


def test_every_notebook_has_its_times_measured():
    table = course_times.load()
    for path in NOTEBOOKS:
        kinds = {"sample", "smoke"} | ({"standin"} if path.name[:2] in course_times.TRAINING else set())
        assert kinds <= set(table["notebooks"].get(path.stem, {})), f"{path.stem}: missing {kinds}"


def _time_line(path: Path) -> str:
    overview = "".join(json.loads(path.read_text())["cells"][0]["source"])
    lines = [line for line in overview.split("\n\n") if line.startswith("**Time:**")]
    assert len(lines) == 1, f"{path.name}: the overview needs one paragraph starting **Time:**"
    return lines[0]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_each_notebooks_time_line_quotes_the_table(path):
    line, words = _time_line(path), course_times.phrases(path.name[:2])
    assert words["full"] in line and words["smoke"] in line, f"{path.name}: {line!r} should quote {words}"
    assert course_times.stray_times(line, path.name[:2]) == []


# Where each document's table says a notebook's times: README's course map (notebook, what, full run, smoke) and the
# teaching guide's (notebook, full run, smoke, then a column from benchmarks/pretrained_notebooks.py).
COLUMNS = {"README.md": slice(None), "docs/teaching.md": slice(0, 3)}


@pytest.mark.parametrize("doc", COLUMNS)
def test_the_readme_and_the_teaching_guide_quote_the_table(doc):
    rows = {}
    for line in (ROOT / doc).read_text().splitlines():
        name = re.match(r"\| `?(0[0-7])[_ ]", line)
        if name and name.group(1) not in rows:  # the first table that lists the notebooks: the times table
            rows[name.group(1)] = "|".join(line.split("|")[1:-1][COLUMNS[doc]])
    assert sorted(rows) == [p.name[:2] for p in NOTEBOOKS], f"{doc}: a table row per notebook"
    for name, row in rows.items():
        words = course_times.phrases(name)
        assert words["full"] in row and words["smoke"] in row, f"{doc}, notebook {name}: {row!r} should quote {words}"
        assert course_times.stray_times(row, name) == [], f"{doc}, notebook {name}: {row!r}"
