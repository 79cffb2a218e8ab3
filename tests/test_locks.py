"""ganlab.locks: one holder of a run folder's lock, always (an OS lock, so a competitor's fresh lock is never taken
for a stale one), a stale lock from any host taken over, and one-line refusals that say how to get out."""

import json
import multiprocessing
import os
import socket
import subprocess
import sys

import pytest

from ganlab import checks, files, locks


def test_the_lock_refuses_a_live_owner_and_is_released(tmp_path):
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from ganlab import locks; "
            f"lock = locks.RunLock({str(tmp_path)!r}).acquire(); print('held', flush=True); "
            "sys.stdin.read()",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(locks.FolderInUse, match=f"in use by process {holder.pid}") as refused:
            locks.RunLock(tmp_path).acquire()
        assert f"delete {tmp_path / locks.LOCK_FILE}" in str(refused.value)
    finally:
        holder.kill()
        holder.wait()
    notices = []
    with locks.RunLock(tmp_path, notice=notices.append):  # the killed holder's lock is stale now
        assert json.loads((tmp_path / locks.LOCK_FILE).read_text())["pid"] == os.getpid()
    assert notices and f"stale lock left by process {holder.pid}" in notices[0]
    assert not (tmp_path / locks.LOCK_FILE).exists()


def test_a_lock_with_this_processs_pid_but_not_held_is_a_reused_pid(tmp_path):
    (tmp_path / locks.LOCK_FILE).write_text(
        json.dumps({"pid": os.getpid(), "host": os.uname().nodename, "started": "earlier", "started_ticks": "1"})
    )
    notices = []
    with locks.RunLock(tmp_path, notice=notices.append):
        pass
    assert "stale lock" in notices[0]


def test_a_live_holders_refusal_says_who_and_how_to_get_out(tmp_path):
    with locks.RunLock(tmp_path):
        with pytest.raises(locks.FolderInUse) as refused:
            locks.RunLock(tmp_path).acquire()  # another open of the file: refused even in the same process
    message = str(refused.value)
    assert f"process {os.getpid()} on {socket.gethostname()}" in message and "\n" not in message
    assert f"kill {os.getpid()}" in message and f"delete {tmp_path / locks.LOCK_FILE}" in message


def _contend(folder, record, start, done):
    """One contender of the race: try the lock, write this pid to ``record`` if it was had, hold it until all tried."""
    lock = locks.RunLock(folder, notice=lambda m: None)
    try:
        start.wait()
        try:
            lock.acquire()
        except locks.FolderInUse:
            pass
        else:
            fd = os.open(record, os.O_WRONLY | os.O_APPEND | os.O_CREAT)
            os.write(fd, f"{os.getpid()}\n".encode())
            os.close(fd)
        done.wait()
        lock.release()
    except Exception as err:  # anything else is a failure the parent reports
        with open(record, "a") as f:
            f.write(f"error {err!r}\n")


@pytest.mark.skipif("fork" not in multiprocessing.get_all_start_methods(), reason="needs fork for speed")
def test_contenders_for_a_stale_lock_never_both_hold_it(tmp_path):
    ctx = multiprocessing.get_context("fork")
    gone = ctx.Process(target=int)
    gone.start()
    gone.join()
    stale = json.dumps({"pid": gone.pid, "host": socket.gethostname(), "started": "earlier"})
    holders = []
    for trial in range(200):
        folder, record, n = tmp_path / f"run{trial}", tmp_path / f"held{trial}", 2 + trial % 3
        folder.mkdir()
        (folder / locks.LOCK_FILE).write_text(stale)
        start, done = ctx.Barrier(n, timeout=20), ctx.Barrier(n, timeout=20)
        procs = [ctx.Process(target=_contend, args=(folder, record, start, done)) for _ in range(n)]
        for p in procs:
            p.start()
        for p in procs:
            p.join(30)
        lines = record.read_text().splitlines() if record.exists() else []
        assert not [l for l in lines if l.startswith("error")], lines
        holders.append(len(lines))
        assert not (folder / locks.LOCK_FILE).exists()
    assert holders == [1] * 200, f"{sum(h > 1 for h in holders)} of 200 trials had several holders"


def test_a_stale_lock_from_another_host_is_taken_over(tmp_path):
    (tmp_path / locks.LOCK_FILE).write_text(json.dumps({"pid": 4242, "host": "old-container", "started": "monday"}))
    notices = []
    with locks.RunLock(tmp_path, notice=notices.append) as lock:
        assert lock.held and json.loads((tmp_path / locks.LOCK_FILE).read_text())["pid"] == os.getpid()
    assert len(notices) == 1 and "stale lock left by process 4242 on old-container (started monday)" in notices[0]


def test_a_lock_file_that_is_a_folder_is_a_one_line_error(tmp_path):
    (tmp_path / locks.LOCK_FILE).mkdir()
    with pytest.raises(checks.BadInput, match="is a folder, not a lock file: remove it") as refused:
        locks.RunLock(tmp_path).acquire()
    assert str(tmp_path / locks.LOCK_FILE) in str(refused.value) and "\n" not in str(refused.value)


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_read_only_folder_is_a_one_line_error(tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        with pytest.raises(checks.CannotWrite, match="choose a folder you can write to") as refused:
            locks.RunLock(folder).acquire()
        assert "\n" not in str(refused.value)
        with pytest.raises(checks.CannotWrite, match="the folder is read-only: choose a folder you can write to"):
            files.write_text(folder / "run.json", "{}")
    finally:
        folder.chmod(0o755)
    assert list(folder.iterdir()) == []
