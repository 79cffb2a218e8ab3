"""python -m ganlab: a train -> sample round trip, resume, and a clear one-line error for each bad input."""

import json
import subprocess
import sys

import numpy as np
import pytest

from ganlab.cli.main import main


@pytest.fixture(scope="module")
def trained_run(tmp_path_factory):
    """A real (smoke-sized) training run through the command line, shared by the tests below."""
    out = tmp_path_factory.mktemp("run")
    assert main(["train", "dcgan", "--seconds", "5", "--out", str(out), "--quiet"]) == 0
    return out


def test_train_writes_every_product(trained_run):
    for name in ("generator.keras", "discriminator.keras", "history.json", "samples.png", "progress.gif", "run.json"):
        assert (trained_run / name).is_file(), name
    history = json.loads((trained_run / "history.json").read_text())
    assert history["epoch"] and np.all(np.isfinite(history["d_loss"]))
    assert list((trained_run / "checkpoints").glob("ckpt-*"))


def test_sample_round_trip_shape_and_range(trained_run, tmp_path, capsys):
    out, png = tmp_path / "s.npy", tmp_path / "s.png"
    assert (
        main(["sample", str(trained_run / "generator.keras"), "--n", "37", "--out", str(out), "--png", str(png)]) == 0
    )
    x = np.load(out)
    assert x.shape == (37, 28, 28, 1) and x.dtype == np.float32
    assert x.min() >= -1.0 and x.max() <= 1.0 and x.std() > 0
    assert png.is_file() and "wrote" in capsys.readouterr().out


def test_sample_is_reproducible_with_a_seed(trained_run, tmp_path):
    a, b = tmp_path / "a.npy", tmp_path / "b.npy"
    for path in (a, b):
        main(["sample", str(trained_run / "generator.keras"), "--n", "4", "--seed", "3", "--out", str(path)])
    np.testing.assert_array_equal(np.load(a), np.load(b))


def test_resume_continues_the_run(trained_run, capsys):
    before = json.loads((trained_run / "history.json").read_text())["epoch"]
    assert (
        main(["train", "dcgan", "--resume", "--epochs", str(before[-1] + 1), "--out", str(trained_run), "--quiet"]) == 0
    )
    after = json.loads((trained_run / "history.json").read_text())["epoch"]
    assert after == before + [before[-1] + 1]


def test_a_second_run_into_the_same_folder_is_refused(trained_run, capsys):
    assert main(["train", "dcgan", "--epochs", "1", "--out", str(trained_run), "--quiet"]) == 2
    assert "resume" in capsys.readouterr().err


def test_resume_with_another_model_is_refused(trained_run, capsys):
    assert main(["train", "mlp", "--resume", "--epochs", "9", "--out", str(trained_run)]) == 2
    assert "holds a dcgan run" in capsys.readouterr().err


@pytest.mark.parametrize(
    "make_path, message",
    [
        (lambda d, run: d / "nope.keras", "no such file"),
        (lambda d, run: (d / "junk.keras").write_bytes(b"not a zip") and d / "junk.keras", "could not be loaded"),
        (lambda d, run: run / "discriminator.keras", "is it a discriminator"),
        (lambda d, run: run / "history.json", "not a .keras model file"),
    ],
)
def test_sample_rejects_bad_model_files(trained_run, tmp_path, capsys, make_path, message):
    path = make_path(tmp_path, trained_run)
    assert main(["sample", str(path), "--n", "2", "--out", str(tmp_path / "x.npy")]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert not (tmp_path / "x.npy").exists()


@pytest.mark.parametrize("n", ["0", "-5", "ten", "2.5"])
def test_sample_rejects_bad_n(trained_run, tmp_path, capsys, n):
    with pytest.raises(SystemExit) as exit_info:
        main(["sample", str(trained_run / "generator.keras"), "--n", n, "--out", str(tmp_path / "x.npy")])
    assert exit_info.value.code == 2
    assert "positive whole number" in capsys.readouterr().err


def test_unwritable_output_folder_is_a_clear_error(trained_run, tmp_path, capsys):
    blocker = tmp_path / "a-file"
    blocker.write_text("a file where a folder should be")
    assert main(["sample", str(trained_run / "generator.keras"), "--out", str(blocker / "x.npy")]) == 2
    assert "cannot write to the output folder" in capsys.readouterr().err
    assert main(["train", "mlp", "--epochs", "1", "--out", str(blocker / "run")]) == 2
    assert "cannot write to the output folder" in capsys.readouterr().err


def test_train_needs_a_budget(tmp_path, capsys):
    assert main(["train", "mlp", "--out", str(tmp_path)]) == 2
    assert "--epochs N or --seconds S" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["train", "mlp", "--epochs", "1", "--seconds", "5", "--out", str(tmp_path)])


def error_classes():
    """Every kind of ganlab error: the three of ganlab.checks and the modules' own."""
    from ganlab import checkpoints, checks, data, files

    return [
        checks.BadInput,
        checks.DamagedRun,
        checks.RefusedResume,
        data.DataError,
        checkpoints.DamagedCheckpoint,
        files.FolderInUse,
    ]


@pytest.mark.parametrize("error", error_classes(), ids=lambda e: e.__name__)
def test_every_ganlab_error_is_one_line_by_its_type(tmp_path, capsys, monkeypatch, error):
    from ganlab import checks
    from ganlab.cli import runs

    assert issubclass(error, checks.GanlabError) and issubclass(error, ValueError)

    def refuse(args):
        raise error("what was wrong,\n  and what to do")

    monkeypatch.setattr(runs, "check_train_args", refuse)
    assert main(["train", "mlp", "--epochs", "1", "--out", str(tmp_path / "run")]) == 2
    assert capsys.readouterr().err == "error: what was wrong, and what to do\n"


@pytest.mark.parametrize("bug", [ValueError, KeyError, RuntimeError, FileNotFoundError])
def test_any_other_exception_is_a_bug_and_raises(tmp_path, monkeypatch, bug):
    from ganlab.cli import runs

    def crash(args):
        raise bug("a bug, not the user's mistake")

    monkeypatch.setattr(runs, "check_train_args", crash)
    with pytest.raises(bug, match="a bug"):
        main(["train", "mlp", "--epochs", "1", "--out", str(tmp_path / "run")])


def test_a_diverged_run_is_one_line_that_names_the_option_to_change(tmp_path, capsys, monkeypatch):
    from ganlab import training

    def diverge(gan, dataset, **kwargs):
        err = training.TrainingDiverged("Training diverged: ... then resume from it with train(..., resume=True).")
        err.run = training.TrainingRun({}, [], [], 0, 3, stopped_reason="d_loss became nan at step 3 (epoch 1)")
        raise err

    monkeypatch.setattr(training, "train", diverge)
    assert main(["train", "mlp", "--steps", "5", "--out", str(tmp_path / "run"), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: training diverged (d_loss became nan at step 3 (epoch 1)); no checkpoint was saved")
    assert "--resume and a --lr below 0.0002" in err and "resume=True" not in err and err.count("\n") == 1


def test_errors_from_the_real_command_have_no_traceback(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "ganlab", "sample", str(tmp_path / "missing.keras"), "--out", str(tmp_path / "x.npy")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2
    assert result.stderr.startswith("error: no such file") and "Traceback" not in result.stderr


# The conditional GAN (cgan).


@pytest.fixture(scope="module")
def cgan_run(tmp_path_factory):
    """A smoke-sized conditional DCGAN run through the command line."""
    out = tmp_path_factory.mktemp("cgan")
    assert main(["train", "cgan", "--seconds", "2", "--out", str(out), "--quiet"]) == 0
    return out


def test_train_cgan_writes_every_product(cgan_run):
    for name in ("generator.keras", "discriminator.keras", "history.json", "samples.png", "progress.gif", "run.json"):
        assert (cgan_run / name).is_file(), name
    assert json.loads((cgan_run / "run.json").read_text())["kind"] == "cgan"
    assert np.all(np.isfinite(json.loads((cgan_run / "history.json").read_text())["d_loss"]))
    frames = np.load(sorted((cgan_run / "checkpoints").glob("ckpt-*"))[-1] / "state.npz")["frames"]
    assert frames.shape[1] == 100  # 100 fixed noise vectors: a row per digit in the 10-column grid


def test_sample_from_a_conditional_generator_draws_the_digits_asked_for(cgan_run, tmp_path):
    import keras

    from ganlab import sampling

    generator = keras.models.load_model(cgan_run / "generator.keras")
    z = np.random.default_rng(0).standard_normal((20, generator.inputs[0].shape[1]))  # --seed 0's noise
    for extra, labels in (([], sampling.default_labels(20)), (["--digit", "7"], [7] * 20)):
        assert (
            main(["sample", str(cgan_run / "generator.keras"), "--n", "20", "--out", str(tmp_path / "x.npy"), *extra])
            == 0
        )
        np.testing.assert_allclose(np.load(tmp_path / "x.npy"), sampling.run_generator(generator, z, labels), atol=1e-6)


def test_digit_needs_a_conditional_generator(trained_run, tmp_path, capsys):
    assert main(["sample", str(trained_run / "generator.keras"), "--digit", "3", "--out", str(tmp_path / "x.npy")]) == 2
    assert "--digit needs a conditional generator" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["sample", str(trained_run / "generator.keras"), "--digit", "10", "--out", str(tmp_path / "x.npy")])


def test_evaluate_reports_the_class_conditional_accuracy(cgan_run, tmp_path, capsys):
    assert main(["evaluate", str(cgan_run / "generator.keras"), "--n", "50", "--json", str(tmp_path / "e.json")]) == 0
    assert "class-conditional accuracy (asked 5 times for each digit" in capsys.readouterr().out
    result = json.loads((tmp_path / "e.json").read_text())["class_accuracy"]
    assert len(result["per_class"]) == 10 and result["mean"] == pytest.approx(np.mean(result["per_class"]))
