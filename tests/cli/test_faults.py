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

from ganlab import files, locks

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


def start_training(out: Path, *extra):
    """``python -m ganlab train mlp --epochs 40`` into ``out``, started in the background: the Popen."""
    return subprocess.Popen(
        [sys.executable, "-m", "ganlab", "train", "mlp", "--epochs", "40", "--out", str(out), "--quiet", *extra],
        cwd=ROOT,
        env=ENV,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def wait_for(path: Path, seconds=120) -> None:
    deadline = time.time() + seconds
    while not path.exists() and time.time() < deadline:
        time.sleep(0.05)
    assert path.exists(), f"the run never wrote {path}"


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
    assert proc.returncode == 2 and "argument --lr: lr must be a number in (0, 1)" in proc.stderr
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
    assert "resumed from" in proc.stdout and "ckpt-00001 (after 1 epoch)" in proc.stdout
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
    with locks.RunLock(run_dir):  # this test's process is the live owner
        proc = cli("train", "dcgan", "--epochs", 3, "--resume", "--out", run_dir, "--quiet")
        assert_one_line_error(proc, f"is in use by process {os.getpid()}")
        assert snapshot(run_dir) == before | {locks.LOCK_FILE: (run_dir / locks.LOCK_FILE).read_bytes()}
    assert not (run_dir / locks.LOCK_FILE).exists()


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
    assert settings["kind"] == "dcgan" and not (out / locks.LOCK_FILE).exists()
    assert [p.name for p in (out / "checkpoints").iterdir() if p.name.startswith("ckpt-")]


def test_kill_9_mid_run_then_resume_reports_the_stale_lock_and_continues(tmp_path):
    out = tmp_path / "run"
    proc = start_training(out)
    try:
        wait_for(out / "checkpoints" / "ckpt-00003")
        proc.send_signal(signal.SIGKILL)  # somewhere in the epochs after 3, perhaps inside a save
    finally:
        proc.kill()
        proc.wait()
    assert (out / locks.LOCK_FILE).exists()  # kill -9 leaves the lock behind
    resumed = cli("train", "mlp", "--epochs", 40, "--resume", "--out", out, "--quiet")
    assert resumed.returncode == 0, resumed.stderr
    assert "removing a stale lock left by process" in resumed.stdout and "resumed from" in resumed.stdout
    history = json.loads((out / "history.json").read_text())["epoch"]
    assert history == list(range(1, 41)) and not (out / locks.LOCK_FILE).exists()


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


# Issue 25: resume means exactly what was asked. In-process calls of the command line (fast: TensorFlow is loaded
# once), and real processes where a signal is the point.


def ganlab(capsys, *args):
    """``python -m ganlab ARGS`` in this process: (exit status, stdout, stderr)."""
    from ganlab.cli import main

    capsys.readouterr()
    code = main.main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def one_line(code, err, *fragments):
    lines = err.strip().splitlines()
    assert code == 2 and len(lines) == 1 and lines[0].startswith("error: "), (code, err)
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


def test_a_larger_steps_budget_on_resume_trains_exactly_the_difference(tmp_path, capsys):
    # Before: --steps 2, then --steps 4 --resume said "nothing to do" after 2 of 4 steps.
    out = tmp_path / "run"
    assert ganlab(capsys, "train", "mlp", "--steps", 2, "--out", out, "--quiet")[0] == 0
    code, stdout, _ = ganlab(capsys, "train", "mlp", "--steps", 4, "--resume", "--out", out, "--quiet")
    assert code == 0 and "(4 generator steps)" in stdout, stdout
    assert json.loads((out / "history.json").read_text())["step"] == [2, 4]
    assert json.loads((out / "run.json").read_text())["data"] == "sample"  # the data source, recorded


def test_another_budget_unit_on_resume_is_one_line_and_leaves_the_folder(run_dir, capsys):
    # Before: --seconds 3, then --epochs 4 --resume ended with "4 epochs" though the third was 2 steps long.
    before = snapshot(run_dir)
    one_line(
        *ganlab(capsys, "train", "dcgan", "--steps", 50, "--resume", "--out", run_dir)[::2],
        "counts its budget in epochs",
    )
    assert snapshot(run_dir) == before


def test_a_spent_budget_rewrites_nothing_even_after_a_damaged_newest_checkpoint(run_dir, capsys):
    # Before: epoch 2's checkpoint damaged, --epochs 1 --resume replaced the epoch-2 generator and history.
    state = run_dir / "checkpoints" / "ckpt-00002" / "state.npz"
    data = bytearray(state.read_bytes())
    data[len(data) // 2] ^= 0xFF
    state.write_bytes(bytes(data))
    before = snapshot(run_dir)
    code, stdout, _ = ganlab(capsys, "train", "dcgan", "--epochs", 1, "--resume", "--out", run_dir, "--quiet")
    assert code == 0 and "skipped the damaged checkpoint ckpt-00002: state.npz" in stdout
    assert "already trained 1 epoch (asked for 1 epochs); nothing to do" in stdout
    assert snapshot(run_dir) == before


def test_an_edited_meta_json_is_reported_and_never_believed(run_dir, capsys):
    # Before: "epoch": 2 edited to 7 was accepted ("already trained 7 epochs").
    meta_file = run_dir / "checkpoints" / "ckpt-00002" / "meta.json"
    meta_file.write_text(meta_file.read_text().replace('"epoch": 2', '"epoch": 7'))
    code, stdout, _ = ganlab(capsys, "train", "dcgan", "--epochs", 3, "--resume", "--out", run_dir, "--quiet")
    assert code == 0 and "skipped the damaged checkpoint ckpt-00002: meta.json does not match its checksum" in stdout
    assert json.loads((run_dir / "history.json").read_text())["epoch"] == [1, 2, 3]


@pytest.mark.parametrize(
    "args, fragments",
    [
        (("--resume", "--epochs", 1), ("holds no run to resume", "check the path")),
        (("--preset", "tutorial", "--epochs", 1), ("--preset chooses a DCGAN's networks",)),
    ],
)
def test_a_misspelled_resume_folder_or_an_ignored_option_is_refused_and_makes_nothing(
    tmp_path, capsys, args, fragments
):
    # Before: --resume into a misspelled folder started a fresh run with status 0; --preset was ignored for mlp.
    one_line(*ganlab(capsys, "train", "mlp", *args, "--out", tmp_path / "typo")[::2], *fragments)
    assert not (tmp_path / "typo").exists()


@pytest.mark.parametrize("errno_name", ["ENOSPC", "EROFS"])
def test_a_full_disk_or_read_only_checkpoints_are_one_line_naming_the_checkpoint_to_resume(
    tmp_path, capsys, monkeypatch, errno_name
):
    import errno

    from ganlab import checkpoints

    real, calls = checkpoints._write_arrays, []

    def failing(path, arrays):
        calls.append(path)
        if len(calls) == 2:
            number = getattr(errno, errno_name)
            raise OSError(number, os.strerror(number))
        real(path, arrays)

    monkeypatch.setattr(checkpoints, "_write_arrays", failing)
    out = tmp_path / "my run"
    code, _, err = ganlab(capsys, "train", "mlp", "--epochs", 3, "--out", out, "--quiet")
    todo = "free some disk space" if errno_name == "ENOSPC" else "read-only"
    one_line(code, err, "could not write", todo, "a resume starts from ckpt-00001", f"--out '{out}' --epochs 3")
    assert [p.name for p in checkpoints.list_checkpoints(out / "checkpoints")] == ["ckpt-00001"]


def test_damaged_or_contradicting_run_settings_are_one_line(run_dir, capsys):
    run_file = run_dir / "run.json"
    settings = files.unseal(json.loads(run_file.read_text()), "run.json")
    run_file.write_text(json.dumps(files.seal({**settings, "data": "standin"})))  # trained on other data
    before = snapshot(run_dir)
    code, _, err = ganlab(capsys, "train", "dcgan", "--epochs", 3, "--resume", "--data", "sample", "--out", run_dir)
    one_line(code, err, "was trained on the standin data", "leave --data out")
    del settings["lr"]
    run_file.write_text(json.dumps(files.seal(settings)))  # a key missing
    one_line(*ganlab(capsys, "train", "dcgan", "--epochs", 3, "--resume", "--out", run_dir)[::2], "run.json is damaged")
    assert {k: v for k, v in snapshot(run_dir).items() if k != "run.json"} == {
        k: v for k, v in before.items() if k != "run.json"
    }


def test_a_lock_that_is_a_folder_is_one_line(tmp_path, capsys):
    (tmp_path / "run" / locks.LOCK_FILE).mkdir(parents=True)
    one_line(*ganlab(capsys, "train", "mlp", "--epochs", 1, "--out", tmp_path / "run")[::2], "is a folder, not a lock")


def test_what_a_killed_product_write_left_is_swept_at_the_next_run(run_dir, capsys):
    # Before: a kill -9 while generator.keras was written left a 6 MB hidden temporary file for good.
    leftover = run_dir / ".generator.tmp-k1ll3d.keras"
    leftover.write_bytes(os.urandom(1 << 20))
    assert ganlab(capsys, "train", "dcgan", "--epochs", 3, "--resume", "--out", run_dir, "--quiet")[0] == 0
    assert not leftover.exists()


def test_sigterm_is_ctrl_c_products_whole_and_the_last_line_a_command_to_paste(tmp_path):
    # Before: SIGTERM (what `timeout` sends) left no products, and the hint was the Python API's, unquoted.
    out = tmp_path / "my run"
    proc = start_training(out)
    try:
        wait_for(out / "checkpoints" / "ckpt-00002")
        proc.send_signal(signal.SIGTERM)
        stdout, stderr = proc.communicate(timeout=120)
    finally:
        proc.kill()
    assert proc.returncode == 130 and "Traceback" not in stderr, stderr
    last = stdout.strip().splitlines()[-1]
    assert last.startswith("interrupted: a resume starts from ckpt-"), last
    command = last.split("continue with: ")[1]
    assert f"--out '{out}'" in command and "resume=True" not in stdout
    for name in ("generator.keras", "history.json", "samples.png"):
        assert (out / name).is_file(), name
    import shlex

    resumed = cli(*shlex.split(command)[3:])  # python -m ganlab ...
    assert resumed.returncode == 0, resumed.stderr
    assert json.loads((out / "history.json").read_text())["epoch"] == list(range(1, 41))


@pytest.mark.parametrize("presses", [1, 2])
def test_ctrl_c_at_any_moment_is_one_line_and_status_130(tmp_path, presses):
    # Before: Ctrl-C during start-up, during the products, or pressed twice gave a traceback.
    out = tmp_path / "run"
    for delay in (0.5, 4.0, 8.0):  # importing TensorFlow, building, training or writing
        proc = start_training(out, *(["--resume"] if (out / "run.json").exists() else []))
        try:
            time.sleep(delay)
            for _ in range(presses):
                proc.send_signal(signal.SIGINT)
                time.sleep(0.2)
            stdout, stderr = proc.communicate(timeout=120)
        finally:
            proc.kill()
        assert proc.returncode in (0, 130) and "Traceback" not in stderr, (delay, stderr)
        if proc.returncode == 130:
            assert "interrupted" in (stdout + stderr).strip().splitlines()[-1], (delay, stdout, stderr)
