"""python -m ganlab: a train -> sample round trip, resume, and a clear one-line error for each bad input."""

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from ganlab.cli.main import main


@pytest.fixture(scope="module")
def trained_run(tmp_path_factory):
    """A real (smoke-sized) training run through the command line, shared by the tests below."""
    out = tmp_path_factory.mktemp("run")
    assert main(["train", "dcgan", "--epochs", "2", "--out", str(out), "--quiet"]) == 0
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
    assert "argument --n: n must be a positive int" in capsys.readouterr().err


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
    from ganlab import checkpoints, checks, data, locks

    return [
        checks.BadInput,
        checks.DamagedRun,
        checks.RefusedResume,
        data.DataError,
        checkpoints.DamagedCheckpoint,
        locks.FolderInUse,
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


# Cases careful users hit: one check per option, outputs that are folders, a foreign generator, Ctrl-C and SIGTERM.

ROOT = Path(__file__).resolve().parents[2]  # the repository: python -m ganlab runs its ganlab
ENV = {**os.environ, "GANLAB_SMOKE": "1", "PYTHONWARNINGS": "ignore", "PYTHONUNBUFFERED": "1"}


def save_generator(path, width=16, last=None):
    """A tiny generator z (8) -> 28x28x1 saved at ``path``; ``last``: a layer after its tanh, or a linear output
    layer's constant value instead of the tanh."""
    import keras

    from tiny_models import LATENT, tiny_generator

    if last is None:
        tiny_generator(width).save(path)
        return path
    z, linear = keras.Input((LATENT,)), isinstance(last, float)
    dense = keras.layers.Dense(28 * 28, activation=None if linear else "tanh")
    x = keras.layers.Reshape((28, 28, 1))(dense(z))
    if linear:  # a linear output layer whose every pixel is ``last``
        dense.kernel.assign(np.zeros(dense.kernel.shape, "float32"))
        dense.bias.assign(np.full(dense.bias.shape, last, "float32"))
    keras.Model(z, x if linear else last(x)).save(path)
    return path


@pytest.fixture(scope="module")
def generator(tmp_path_factory):
    return save_generator(tmp_path_factory.mktemp("g") / "generator.keras")


def one_line_error(capsys, *fragments):
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("error: ") and "Traceback" not in err, err
    for fragment in fragments:
        assert fragment in err, err
    return err


COMMANDS = {
    "train": lambda tmp: ["train", "mlp", "--epochs", "1", "--out", str(tmp / "run")],
    "sample": lambda tmp: ["sample", str(tmp / "g.keras"), "--out", str(tmp / "x.npy")],
    "evaluate": lambda tmp: ["evaluate", str(tmp / "g.keras")],
}


@pytest.mark.parametrize("seed", ["-1", "4294967296", "ten", "1.5"])
@pytest.mark.parametrize("command", COMMANDS)
def test_every_seed_option_is_checked_once_and_named(tmp_path, capsys, command, seed):
    with pytest.raises(SystemExit) as exit_info:
        main([*COMMANDS[command](tmp_path), "--seed", seed])
    assert exit_info.value.code == 2
    assert "argument --seed: seed must be an int from 0 to 4,294,967,295 (a random seed)" in capsys.readouterr().err
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize("lr", ["-1", "0", "nan", "inf", "1", "ten"])
def test_the_learning_rate_is_checked_by_checks_learning_rate(tmp_path, capsys, lr):
    with pytest.raises(SystemExit):
        main([*COMMANDS["train"](tmp_path), "--lr", lr])
    assert "argument --lr: lr must be a number in (0, 1) (a learning rate such as 2e-4)" in capsys.readouterr().err


def test_the_largest_seed_and_a_small_learning_rate_are_accepted():
    from ganlab.cli.main import build_parser

    args = build_parser().parse_args(["train", "dcgan", "--seed", "4294967295", "--lr", "2e-4", "--out", "x"])
    assert (args.seed, args.lr) == (2**32 - 1, 2e-4)


def test_preset_is_none_unless_given(capsys):
    from ganlab.cli.main import build_parser

    assert build_parser().parse_args(["train", "dcgan", "--out", "x"]).preset is None
    assert build_parser().parse_args(["train", "cgan", "--preset", "tutorial", "--out", "x"]).preset == "tutorial"
    with pytest.raises(SystemExit):
        main(["train", "--help"])
    assert "DCGAN, cgan: default, two-conv (a D of 2 convs; cgan's default) or tutorial" in " ".join(
        capsys.readouterr().out.split()
    )


@pytest.mark.parametrize(
    "command, option, folder",
    [("sample", "--out", "x.npy"), ("sample", "--png", "grid"), ("evaluate", "--json", "scores.json")],
)
def test_an_output_that_is_a_folder_is_refused_before_any_work(
    generator, tmp_path, capsys, monkeypatch, command, option, folder
):
    from ganlab import data
    from ganlab.cli import main as cli

    def too_late(*args, **kwargs):
        raise AssertionError("the folder should have been refused before this")

    monkeypatch.setattr(cli, "load_generator", too_late)
    monkeypatch.setattr(data, "load_mnist", too_late)
    (tmp_path / folder).mkdir()
    args = [command, str(generator), option, str(tmp_path / folder)]
    assert main(args + (["--out", str(tmp_path / "x.npy")] if option == "--png" else [])) == 2
    one_line_error(capsys, f"{option} {tmp_path / folder} is a folder; name the file to write")
    assert sorted(p.name for p in tmp_path.rglob("*")) == [folder]


def broken_write(file, *args, **kwargs):
    """Write half a file, then be stopped by Ctrl-C (the writer of an .npy or a PNG)."""
    with open(file, "wb") if isinstance(file, (str, Path)) else file as f:
        f.write(b"half a file")
        f.flush()
        raise KeyboardInterrupt


def test_an_interrupted_npy_write_leaves_the_old_file(generator, tmp_path, capsys, monkeypatch):
    out = tmp_path / "x.npy"
    out.write_bytes(b"the old samples")
    monkeypatch.setattr(np, "save", broken_write)
    assert main(["sample", str(generator), "--n", "3", "--out", str(out)]) == 130
    assert capsys.readouterr().err == "interrupted: sample stopped; nothing was written\n"
    assert out.read_bytes() == b"the old samples" and [p.name for p in tmp_path.iterdir()] == ["x.npy"]


def test_an_interrupted_png_write_says_the_npy_is_complete(generator, tmp_path, capsys, monkeypatch):
    from matplotlib.figure import Figure

    out, png = tmp_path / "x.npy", tmp_path / "x.png"
    monkeypatch.setattr(Figure, "savefig", lambda self, file, **kwargs: broken_write(file))
    assert main(["sample", str(generator), "--n", "3", "--out", str(out), "--png", str(png)]) == 130
    assert capsys.readouterr().err == f"interrupted: sample stopped; only {out} was written (complete)\n"
    assert np.load(out).shape == (3, 28, 28, 1) and sorted(p.name for p in tmp_path.iterdir()) == ["x.npy"]


@pytest.mark.parametrize("excess", [1e-4, 20.0])
def test_a_generator_whose_output_leaves_minus_one_to_one_is_refused_by_sample_and_evaluate(tmp_path, capsys, excess):
    path = save_generator(tmp_path / "linear.keras", last=1.0 + excess)
    assert main(["sample", str(path), "--n", "4", "--out", str(tmp_path / "x.npy")]) == 2
    sample_err = one_line_error(capsys, f"{path} outputs values in [", "outside the pixel range [-1, 1]")
    assert main(["evaluate", str(path), "--n", "20", "--data", "sample", "--json", str(tmp_path / "e.json")]) == 2
    assert one_line_error(capsys) == sample_err and "ends in tanh" in sample_err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["linear.keras"]


def test_a_generator_keras_refuses_in_safe_mode_gets_its_whole_reason_and_what_to_do(tmp_path, capsys):
    import keras

    path = save_generator(tmp_path / "lambda.keras", last=keras.layers.Lambda(lambda x: x))
    assert main(["sample", str(path), "--out", str(tmp_path / "x.npy")]) == 2
    err = one_line_error(capsys, f"{path} could not be loaded as a Keras model (ValueError: Requested the deserial")
    assert "is a Python lambda. This carries a potential risk of arbitrary code execution and thus it is " in err
    assert err.endswith(
        f"disallowed by default.); load it only if you trust it, with keras.models.load_model('{path}', "
        "safe_mode=False)\n"
    )


@pytest.mark.parametrize("command", COMMANDS)
def test_ctrl_c_before_the_command_begins_is_one_line_and_status_130(tmp_path, capsys, monkeypatch, command):
    from ganlab import config

    def ctrl_c():
        raise KeyboardInterrupt

    monkeypatch.setattr(config, "import_tensorflow", ctrl_c)
    save_generator(tmp_path / "g.keras")
    assert main(COMMANDS[command](tmp_path)) == 130
    what = "train stopped before training began" if command == "train" else f"{command} stopped"
    assert capsys.readouterr().err == f"interrupted: {what}; nothing was written\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["g.keras"]


def test_sigterm_is_ctrl_c_and_the_previous_handler_comes_back(generator, tmp_path, capsys, monkeypatch):
    from ganlab import sampling

    def terminated(*args, **kwargs):
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(10)  # the handler raises here (before the change: SIGTERM is ignored, and this returns None)

    before = signal.signal(signal.SIGTERM, signal.SIG_IGN)
    try:
        monkeypatch.setattr(sampling, "draw", terminated)
        assert main(["sample", str(generator), "--out", str(tmp_path / "x.npy")]) == 130
        assert capsys.readouterr().err == "interrupted: sample stopped; nothing was written\n"
        assert signal.getsignal(signal.SIGTERM) is signal.SIG_IGN and not list(tmp_path.iterdir())
    finally:
        signal.signal(signal.SIGTERM, before)


def test_main_runs_outside_the_main_thread(tmp_path, capsys):
    codes = []
    thread = threading.Thread(target=lambda: codes.append(main(COMMANDS["sample"](tmp_path))))
    thread.start()
    thread.join()
    assert codes == [2] and "no such file" in capsys.readouterr().err


def test_kill_stops_a_real_sample_run_with_one_line_and_nothing_written(tmp_path):
    path = save_generator(tmp_path / "wide.keras", width=1024)  # slow enough to be stopped while drawing
    out, png = tmp_path / "x.npy", tmp_path / "x.png"
    cmd = [sys.executable, "-m", "ganlab", "sample", str(path), "--n", "100000", "--out", str(out), "--png", str(png)]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().startswith("drawing 100,000 images from")
        proc.send_signal(signal.SIGTERM)
        stdout, stderr = proc.communicate(timeout=120)
    finally:
        proc.kill()
    assert proc.returncode == 130, stderr
    assert stderr == "interrupted: sample stopped; nothing was written\n" and stdout == ""
    assert sorted(p.name for p in tmp_path.iterdir()) == ["wide.keras"]
