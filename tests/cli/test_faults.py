"""Fault injection on the command line's run folders: kill -9, two processes, damaged checkpoints, refused
commands that must leave a folder exactly as it was, options changed on --resume, and one-line errors."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ganlab import files

ROOT = Path(__file__).resolve().parents[2]  # the repository: python -m ganlab runs its ganlab
ENV = {**os.environ, "GANLAB_SMOKE": "1", "PYTHONWARNINGS": "ignore"}


def cli(*args, timeout=300):
    """Run ``python -m ganlab`` in a fresh process, as a user would; return the CompletedProcess."""
    return subprocess.run(
        [sys.executable, "-m", "ganlab", *map(str, args)],
        cwd=ROOT,
        env=ENV,
        text=True,
        capture_output=True,
        timeout=timeout,
    )


def snapshot(folder: Path) -> dict:
    """Every file under ``folder`` and its bytes."""
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def assert_one_line_error(proc, *fragments):
    assert proc.returncode == 2, proc.stdout + proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and "Traceback" not in proc.stderr, proc.stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


@pytest.fixture(scope="module")
def two_epochs(tmp_path_factory):
    """A finished 2-epoch DCGAN run (checkpoints ckpt-00001 and ckpt-00002), copied afresh for each test."""
    out = tmp_path_factory.mktemp("faults") / "run"
    proc = cli("train", "dcgan", "--epochs", 2, "--out", out, "--quiet")
    assert proc.returncode == 0, proc.stderr
    return out


@pytest.fixture
def run_dir(two_epochs, tmp_path):
    import shutil

    copy = tmp_path / "run"
    shutil.copytree(two_epochs, copy)
    return copy


@pytest.mark.parametrize(
    "args, fragments",
    [
        (("train", "mlp", "--epochs", 3), ("already holds a training run", "--resume")),
        (("train", "mlp", "--epochs", 3, "--resume"), ("holds a dcgan run",)),
        (
            ("train", "dcgan", "--epochs", 3, "--resume", "--batch-size", 32),
            ("--batch-size 64", "leave --batch-size out"),
        ),
        (("train", "dcgan", "--epochs", 3, "--resume", "--loss", "hinge"), ("--loss non_saturating",)),
    ],
)
def test_a_refused_command_leaves_the_folder_byte_for_byte_unchanged(run_dir, args, fragments):
    before = snapshot(run_dir)
    assert_one_line_error(cli(*args, "--out", run_dir), *fragments)
    assert snapshot(run_dir) == before


def test_resume_with_a_new_learning_rate_applies_and_records_it(run_dir):
    proc = cli("train", "dcgan", "--epochs", 3, "--resume", "--lr", "1e-5", "--out", run_dir, "--quiet")
    assert proc.returncode == 0, proc.stderr
    assert "learning rate 0.001 -> 1e-05" in proc.stdout
    settings = json.loads((run_dir / "run.json").read_text())
    assert settings["lr"] == 1e-5 and settings["lr_changes"] == [{"from": 1e-3, "to": 1e-5}]


@pytest.mark.parametrize("lr", ["-1", "0", "nan", "inf", "10"])
def test_a_learning_rate_that_cannot_train_is_refused_before_anything_runs(tmp_path, lr):
    proc = cli("train", "mlp", "--epochs", 1, "--lr", lr, "--out", tmp_path / "run")
    assert proc.returncode == 2 and "expected a learning rate between 0 and 1" in proc.stderr
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize("damage", ["truncate", "flip", "random"])
def test_a_damaged_newest_checkpoint_is_reported_and_the_older_one_used(run_dir, damage):
    state = run_dir / "checkpoints" / "ckpt-00002" / "state.npz"
    data = bytearray(state.read_bytes())
    if damage == "truncate":
        data = data[: len(data) // 2]
    elif damage == "flip":
        data[len(data) // 2] ^= 0xFF
    else:
        data = bytearray(os.urandom(len(data)))
    state.write_bytes(bytes(data))
    proc = cli("train", "dcgan", "--epochs", 3, "--resume", "--out", run_dir, "--quiet")
    assert proc.returncode == 0, proc.stderr
    assert "skipped the damaged checkpoint ckpt-00002: state.npz" in proc.stdout
    assert "resumed from" in proc.stdout and "ckpt-00001 (epoch 1," in proc.stdout
    assert json.loads((run_dir / "history.json").read_text())["epoch"] == [1, 2, 3]


def test_every_checkpoint_damaged_is_one_line(run_dir):
    for state in (run_dir / "checkpoints").glob("ckpt-*/state.npz"):
        state.write_bytes(b"not a zip")
    proc = cli("train", "dcgan", "--epochs", 3, "--resume", "--out", run_dir, "--quiet")
    assert_one_line_error(proc, "no checkpoint in", "ckpt-00001", "ckpt-00002", "delete the folder to start afresh")


def test_a_damaged_run_file_is_one_line_and_touches_nothing(run_dir):
    (run_dir / "run.json").write_text('{"model": "dcg')
    before = snapshot(run_dir)
    assert_one_line_error(cli("train", "dcgan", "--epochs", 3, "--resume", "--out", run_dir), "run.json is damaged")
    assert snapshot(run_dir) == before


def test_a_second_process_is_refused_while_the_first_holds_the_folder(run_dir):
    before = snapshot(run_dir)
    with files.RunLock(run_dir):  # this test's process is the live owner
        proc = cli("train", "dcgan", "--epochs", 3, "--resume", "--out", run_dir, "--quiet")
        assert_one_line_error(proc, f"is in use by process {os.getpid()}")
        assert snapshot(run_dir) == before | {files.LOCK_FILE: (run_dir / files.LOCK_FILE).read_bytes()}
    assert not (run_dir / files.LOCK_FILE).exists()


def test_two_runs_started_together_into_one_folder_leave_one_whole_run(tmp_path):
    out = tmp_path / "run"
    cmd = [sys.executable, "-m", "ganlab", "train", "dcgan", "--epochs", 2, "--out", out, "--quiet"]
    procs = [
        subprocess.Popen(
            list(map(str, cmd)), cwd=ROOT, env=ENV, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        for _ in range(2)
    ]
    results = [(p.wait(timeout=300), p.stderr.read()) for p in procs]
    # The second is refused: while the first trains (in use), or after it finished (it already holds a run).
    assert sorted(code for code, _ in results) == [0, 2], results
    assert any("is in use by process" in err or "already holds a training run" in err for _, err in results)
    settings = json.loads((out / "run.json").read_text())
    assert settings["kind"] == "dcgan" and not (out / files.LOCK_FILE).exists()
    assert [p.name for p in (out / "checkpoints").iterdir() if p.name.startswith("ckpt-")]


def test_kill_9_mid_run_then_resume_reports_the_stale_lock_and_continues(tmp_path):
    out = tmp_path / "run"
    proc = subprocess.Popen(
        [sys.executable, "-m", "ganlab", "train", "mlp", "--epochs", "40", "--out", str(out), "--quiet"],
        cwd=ROOT,
        env=ENV,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.time() + 120
        while not (out / "checkpoints" / "ckpt-00003").exists() and time.time() < deadline:
            time.sleep(0.05)
        assert (out / "checkpoints" / "ckpt-00003").exists(), "the run never reached epoch 3"
        proc.send_signal(signal.SIGKILL)  # somewhere in the epochs after 3, perhaps inside a save
    finally:
        proc.kill()
        proc.wait()
    assert (out / files.LOCK_FILE).exists()  # kill -9 leaves the lock behind
    resumed = cli("train", "mlp", "--epochs", 40, "--resume", "--out", out, "--quiet")
    assert resumed.returncode == 0, resumed.stderr
    assert "removing a stale lock left by process" in resumed.stdout and "resumed from" in resumed.stdout
    history = json.loads((out / "history.json").read_text())["epoch"]
    assert history == list(range(1, 41)) and not (out / files.LOCK_FILE).exists()


def test_library_errors_are_one_line_in_words_a_command_line_user_reads(tmp_path):
    proc = cli("train", "mlp", "--epochs", 1, "--data", "full", "--out", tmp_path / "run")
    assert_one_line_error(proc, "Full MNIST was requested", "('sample')")
    assert "source" not in proc.stderr and "resume=True" not in proc.stderr


@pytest.mark.parametrize(
    "args, answer",
    [
        (("train", "mlp"), "required: --out"),
        (("train", "mlp", "--bogus", "--out", "x"), "unrecognized arguments: --bogus"),
        (("train", "--help"), "usage: python -m ganlab train"),
        (("--help",), "usage: python -m ganlab"),
    ],
)
def test_bad_arguments_and_help_are_answered_before_tensorflow_loads(args, answer):
    # -X importtime lists every module the command imported, on stderr: neither TensorFlow nor Keras may be one.
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "ganlab", *args],
        cwd=ROOT,
        env=ENV,
        text=True,
        capture_output=True,
        timeout=60,
    )
    imported = {
        line.split("|")[-1].strip().split(".")[0]
        for line in proc.stderr.splitlines()
        if line.startswith("import time:")
    }
    assert "ganlab" in imported and not imported & {"tensorflow", "keras"}, sorted(imported)
    assert answer in proc.stdout + proc.stderr and proc.returncode == (0 if "--help" in args else 2)


def test_written_files_have_the_users_normal_permissions(run_dir):
    umask = os.umask(0o022)
    os.umask(umask)
    expected = 0o666 & ~umask
    for name in ("progress.gif", "samples.png", "generator.keras", "history.json", "run.json"):
        assert (run_dir / name).stat().st_mode & 0o777 == expected, name
