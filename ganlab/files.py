"""Safe file writing: the one atomic writer, and the lock that gives a run folder to one process at a time.

``atomic_write(path, write)`` lets ``write(tmp_path)`` fill a hidden temporary file beside ``path``, flushes it,
gives it the permissions a plain ``open()`` would (the user's umask, usually 0644, not ``mkstemp``'s private
0600) and renames it into place, so a crash never leaves half a file at ``path``. Every module that writes a
file others read (the classifier cache, downloads, GIFs, the shipped generators, checkpoints, run.json) uses it.

``RunLock(folder)`` is a context manager holding ``folder/.lock`` (the owner's pid, host and start time): a
second process asking for the same folder gets a :class:`FolderInUse` error at once, and a lock left by a
process that no longer runs (killed with -9, a crashed kernel) is reported and taken over.
"""

from __future__ import annotations

import json
import os
import socket
import tempfile
import time
from pathlib import Path

from ganlab import checks

LOCK_FILE = ".lock"


class FolderInUse(checks.RefusedResume):
    """Another live process holds this run folder's lock."""


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def atomic_write(path, write) -> Path:
    """Call ``write(tmp)`` with a temporary path in ``path``'s folder, then move it to ``path``; return ``path``.

    The folder is created if needed. On any error (or KeyboardInterrupt) the temporary file is removed and
    ``path`` is left as it was.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # The same suffix as path's: Keras' save() insists on ".keras".
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.tmp-", suffix=path.suffix)
    os.close(fd)
    try:
        write(tmp)
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def write_bytes(path, data: bytes) -> Path:
    """``data`` to ``path``, atomically."""
    return atomic_write(path, lambda tmp: Path(tmp).write_bytes(data))


def fsync_dir(path: Path) -> None:
    """Flush a folder's entries (new names, renames) to disk; a no-op where the OS cannot open folders."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def write_text(path, text: str) -> Path:
    """``text`` to ``path`` (UTF-8), atomically."""
    return atomic_write(path, lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))


def _started(pid: int) -> str | None:
    """When process ``pid`` started (Linux: clock ticks since boot), or None where that cannot be read."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return None


def _alive(owner: dict) -> bool:
    """Whether the process that wrote the lock ``owner`` still runs (not merely another one with its pid)."""
    pid = owner["pid"]
    if pid == os.getpid():  # this process does not hold it (it would know): a pid reused after a restart
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists, owned by someone else
        pass
    except OSError:
        return False
    started = _started(pid)
    return owner.get("started_ticks") is None or started is None or started == owner["started_ticks"]


class RunLock:
    """Hold ``folder/.lock`` while the ``with`` block runs; see the module's docstring."""

    def __init__(self, folder, *, notice=print):
        self.folder, self.path, self.notice, self.held = Path(folder), Path(folder) / LOCK_FILE, notice, False

    def _owner(self) -> dict:
        try:
            return json.loads(self.path.read_text())
        except (OSError, ValueError):
            return {}

    def acquire(self) -> RunLock:
        self.folder.mkdir(parents=True, exist_ok=True)
        me = {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "started": time.strftime("%Y-%m-%d %H:%M:%S"),
            "started_ticks": _started(os.getpid()),
        }
        for _ in range(3):  # a stale lock is removed, then taken like a free one
            try:
                fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666)
            except FileExistsError:
                owner = self._owner()
                pid, host = owner.get("pid"), owner.get("host")
                if isinstance(pid, int) and (host != me["host"] or _alive(owner)):
                    raise FolderInUse(
                        f"{self.folder} is in use by process {pid} on {host} (since "
                        f"{owner.get('started', '?')}); wait for it to finish, stop it, or choose "
                        f"another folder"
                    ) from None
                if not owner and time.time() - self._mtime() < 2:  # being written by its owner right now
                    time.sleep(0.2)
                    continue
                self.notice(
                    f"{self.folder}: removing a stale lock left by process {pid or '?'} "
                    f"(started {owner.get('started', '?')}), which no longer runs"
                )
                self.path.unlink(missing_ok=True)
                continue
            with os.fdopen(fd, "w") as f:
                json.dump(me, f)
            self.held = True
            return self
        raise FolderInUse(f"could not lock {self.folder}: another process keeps taking {self.path}")

    def _mtime(self) -> float:
        try:
            return self.path.stat().st_mtime
        except OSError:
            return 0.0

    def release(self) -> None:
        if self.held and self._owner().get("pid") == os.getpid():
            self.path.unlink(missing_ok=True)
        self.held = False

    def __enter__(self) -> RunLock:
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()
