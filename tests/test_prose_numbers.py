"""Numbers in prose are numbers an output printed, judged sentence by sentence: the stored notebooks' markdown
against their own outputs and code and the sources each sentence names, and README.md, docs/teaching.md and
data/README.md against the sources a sentence names or, if it names none, the notebooks, the pretrained manifest
and the benchmarks (tests/prose.py says what counts as a quoted number, a sentence and a named source)."""

import json
from pathlib import Path

import pytest

import prose

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
DOCS = [ROOT / "README.md", ROOT / "docs" / "teaching.md", ROOT / "data" / "README.md"]


def notebook(markdown: str, output: str, code: str = "x = 1") -> dict:
    return {
        "cells": [
            {"cell_type": "markdown", "source": [markdown]},
            {"cell_type": "code", "source": [code], "outputs": [{"output_type": "stream", "text": output}]},
        ]
    }


def repo(tmp_path: Path, files: dict[str, str]) -> Path:
    """A small repository under ``tmp_path``: {relative path: text}."""
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    return tmp_path


def numbers(problems: list[str]) -> list[str]:
    return [p.split(" in: ")[0] for p in problems]


def test_a_planted_wrong_number_is_caught_and_a_right_one_passes():
    printed = "class-conditional accuracy: 82.0% confident, Fréchet distance 13.5, 2,500 steps in 6.5 min"
    assert prose.unbacked(notebook("The generator is 82.0% confident after 2,500 steps.", printed)) == []
    wrong = prose.unbacked(notebook("The generator is 82.4% confident after 2,520 steps.", printed))
    assert numbers(wrong) == ["'82.4'", "'2,520'"]
    assert len(prose.unbacked(notebook("Its Fréchet distance is 12.9, in 211 s.", printed))) == 2
    # A percentage may be printed as a fraction, a step count without its comma, a parameter in the code.
    assert prose.unbacked(notebook("82.0% of them; 7,000 steps", "0.820", code="STEPS = 7000")) == []
    # Both sides of a comparison are quoted numbers; "4s or 7s" are digits, not seconds.
    assert numbers(prose.unbacked(notebook("Close (11.78 against 13.34).", "13.34"))) == ["'11.78'"]
    assert prose.quoted_numbers("two people's 4s or 7s") == []


def test_a_number_credited_to_a_file_is_checked_against_that_file(tmp_path):
    # Notebook 04's sentence: its Fréchet distances credited to benchmarks/README.md, which holds 11.78, not 19.55.
    root = repo(tmp_path, {"benchmarks/README.md": "| mlp | 11.78 |\n| dcgan | 13.34 |\n"})
    said = "The MLP GAN is a little ahead ({} against 13.34, as `benchmarks/README.md` does for the recipes)."
    assert prose.unbacked(notebook(said.format("11.78"), ""), root) == []
    wrong = prose.unbacked(notebook(said.format("19.55"), ""), root)
    assert numbers(wrong) == ["'19.55'"] and "benchmarks/README.md" in wrong[0]
    # Plain text names a file too; a folder stands for its README; a file that does not exist names nothing.
    assert prose.unbacked(notebook("Scored 11.78 against 13.34 in benchmarks/README.md.", ""), root) == []
    assert prose.unbacked(notebook("The `benchmarks/` folder has 11.78 against 13.34.", ""), root) == []
    assert len(prose.unbacked(notebook("Scored 11.78 against 13.34 (`benchmarks/OTHER.md`).", ""), root)) == 2
    # The file backs only the sentence that names it, not the next one in the same paragraph (the strict rule).
    two = "Scores are in `benchmarks/README.md`. The MLP GAN scored 11.78 against 13.34."
    assert numbers(prose.unbacked(notebook(two, "13.34"), root)) == ["'11.78'"]


def test_a_json_file_backs_its_values_as_prose_rounds_them(tmp_path):
    manifest = {"models": {"mlp": {"metrics": {"frechet_distance": 11.7757, "confident": 0.656}}}}
    times = {"notebooks": {"02_mlp_gan_mnist": {"sample": 200.0, "smoke": 21.6}}}
    root = repo(
        tmp_path,
        {"data/pretrained/manifest.json": json.dumps(manifest), "benchmarks/notebook_times.json": json.dumps(times)},
    )
    quality = "In `manifest.json`, the MLP GAN's Fréchet distance is {} with {}% confident samples."
    assert prose.unbacked(notebook(quality.format("11.8", "65.6"), ""), root) == []
    assert numbers(prose.unbacked(notebook(quality.format("11.9", "65.7"), ""), root)) == ["'11.9'", "'65.7'"]
    time = "**Time:** {} min, 22 s in smoke mode (`benchmarks/notebook_times.json`)."
    assert prose.unbacked(notebook(time.format("3.3"), ""), root) == []
    assert numbers(prose.unbacked(notebook(time.format("3.5"), ""), root)) == ["'3.5'"]


def test_a_number_credited_to_another_notebook_is_checked_against_its_outputs(tmp_path):
    root = repo(
        tmp_path,
        {
            "notebooks/02_mlp_gan_mnist.ipynb": json.dumps(notebook("", "Fréchet distance 11.78", "STEPS = 7000")),
            "notebooks/03_dcgan_mnist.ipynb": json.dumps(notebook("", "Fréchet distance 13.34")),
        },
    )
    here = "Notebook 02's MLP GAN trained for 7,000 steps and reached a Fréchet distance of {}."
    assert prose.unbacked(notebook(here.format("11.78"), ""), root) == []
    assert numbers(prose.unbacked(notebook(here.format("12.78"), ""), root)) == ["'12.78'"]
    # "notebooks 02 and 03" names both; a file name names its notebook; another notebook's number needs its name.
    both = "The GANs of notebooks 02 and 03 scored 11.78 against 13.34."
    assert prose.unbacked(notebook(both, ""), root) == []
    assert prose.unbacked(notebook("`03_dcgan_mnist.ipynb` reached a Fréchet distance of 13.34.", ""), root) == []
    unnamed = prose.unbacked(notebook("The DCGAN reached a Fréchet distance of 13.34.", ""), root)
    assert numbers(unnamed) == ["'13.34'"]
    # Notebook 03 does not back what is credited to notebook 02 alone.
    assert numbers(prose.unbacked(notebook(here.format("13.34"), ""), root)) == ["'13.34'"]


def test_a_paper_exempts_its_own_sentence_only():
    cited = "Goodfellow et al. (2014) reported 82.0% after 5,000 steps."
    assert prose.unbacked(notebook(cited, "")) == []
    assert prose.unbacked(notebook("LSGAN (Mao & Li, 2017) needs 70.0% fewer steps.", "")) == []
    assert prose.unbacked(notebook("Miyato et al.'s trick helps: 95.5% coverage.", "")) == []
    # The next sentence, in the same paragraph, has no paper of its own: it is checked.
    after = prose.unbacked(notebook(cited + " Our run reached 90.0% after 700 steps.", "STEPS = 700"))
    assert numbers(after) == ["'90.0'"]


def test_sentences_split_at_full_stops_not_at_decimals_or_abbreviations():
    text = (
        "The distance fell to 12.6 in 1.5 min, e.g. for the DCGAN. Fig. 2 shows it, as in Radford et\n"
        "al. (2015). Is it good? Yes! `GAN` wins: And so on."
    )
    assert prose.sentences(text) == [
        "The distance fell to 12.6 in 1.5 min, e.g. for the DCGAN.",
        "Fig. 2 shows it, as in Radford et al. (2015).",
        "Is it good?",
        "Yes!",
        "`GAN` wins: And so on.",
    ]


def test_list_items_table_rows_and_headings_are_sentences_of_their_own():
    text = (
        "## 3. Train for 700 steps\n"
        "Intro line that runs\non to a second line:\n"
        "- first item, 82.0%\n  continued\n"
        "1. numbered item\n"
        "| model | 13.5 |\n|---|---|\n"
        "\n"
        "A new paragraph."
    )
    assert prose.sentences(text) == [
        "Train for 700 steps",
        "Intro line that runs on to a second line:",
        "first item, 82.0% continued",
        "numbered item",
        "| model | 13.5 |",
        "|---|---|",
        "A new paragraph.",
    ]
    # So a list item's source does not cover the next item.
    items = "- Read `benchmarks/README.md`: 11.78.\n- The DCGAN took 40 s."
    assert numbers(prose.unbacked(notebook(items, ""))) == ["'40'"]


def test_a_doc_sentence_that_names_a_notebook_is_checked_against_that_notebook(tmp_path):
    root = repo(
        tmp_path,
        {
            "notebooks/04_evaluating_gans.ipynb": json.dumps(notebook("", "classifier accuracy 98.0%")),
            "notebooks/06_conditional_gan.ipynb": json.dumps(notebook("", "class-conditional accuracy 100.0%")),
            "benchmarks/README.md": "Fréchet 13.2\n",
        },
    )
    # Without a source of its own a sentence may quote any notebook's output or the benchmarks.
    assert prose.unbacked_doc("The classifier scores 98.0% and the DCGAN a Fréchet distance of 13.2.", root) == []
    # Naming a notebook or file narrows the backing to exactly that.
    assert numbers(prose.unbacked_doc("The classifier scores 98.0% in notebook 06.", root)) == ["'98.0'"]
    assert prose.unbacked_doc("The classifier scores 98.0% in notebook 04.", root) == []
    assert numbers(prose.unbacked_doc("Notebook 04 reports a Fréchet distance of 13.2.", root)) == ["'13.2'"]
    assert numbers(prose.unbacked_doc("It scores 99.0%.", root)) == ["'99.0'"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_the_notebooks_prose_quotes_their_own_outputs_or_a_named_source(path):
    problems = prose.unbacked(prose.load(path))
    assert not problems, f"{path.name}: numbers in the markdown that nothing their sentence names holds:\n" + "\n".join(
        problems
    )


@pytest.mark.parametrize("path", DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_the_docs_quote_percentages_and_frechet_distances_that_were_printed(path):
    problems = prose.unbacked_doc(path.read_text())
    assert not problems, f"{path.name}: numbers that no output, manifest or benchmark holds:\n" + "\n".join(problems)
