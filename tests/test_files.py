"""ganlab.files: the atomic writer (whole files or none, the user's permissions) and the run-folder lock."""

import json
import os
import subprocess
import sys

import pytest

from ganlab import files


def test_atomic_write_gives_normal_permissions_and_keeps_the_suffix(tmp_path):
    seen = []
    path = files.atomic_write(
        tmp_path / "sub" / "model.keras", lambda tmp: (seen.append(tmp), open(tmp, "w").write("x"))
    )
    assert seen[0].endswith(".keras") and path.read_text() == "x"
    umask = os.umask(0o022)
    os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask


def test_a_failed_write_leaves_the_old_file_and_no_temporary_one(tmp_path):
    path = files.write_text(tmp_path / "run.json", "old")

    def broken(tmp):
        open(tmp, "w").write("half")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        files.atomic_write(path, broken)
    assert path.read_text() == "old" and sorted(p.name for p in tmp_path.iterdir()) == ["run.json"]


def test_the_lock_refuses_a_live_owner_and_is_released(tmp_path):
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from ganlab import files; "
            f"lock = files.RunLock({str(tmp_path)!r}).acquire(); print('held', flush=True); "
            "sys.stdin.read()",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(files.FolderInUse, match=f"in use by process {holder.pid}"):
            files.RunLock(tmp_path).acquire()
    finally:
        holder.kill()
        holder.wait()
    notices = []
    with files.RunLock(tmp_path, notice=notices.append):  # the killed holder's lock is stale now
        assert json.loads((tmp_path / files.LOCK_FILE).read_text())["pid"] == os.getpid()
    assert notices and f"stale lock left by process {holder.pid}" in notices[0]
    assert not (tmp_path / files.LOCK_FILE).exists()


def test_a_lock_with_this_processs_pid_but_not_held_is_a_reused_pid(tmp_path):
    (tmp_path / files.LOCK_FILE).write_text(
        json.dumps({"pid": os.getpid(), "host": os.uname().nodename, "started": "earlier", "started_ticks": "1"})
    )
    notices = []
    with files.RunLock(tmp_path, notice=notices.append):
        pass
    assert "stale lock" in notices[0]
