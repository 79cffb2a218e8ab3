"""The lock that gives a run folder to one process at a time.

``RunLock(folder)`` is a context manager holding ``folder/.lock``: an operating-system lock on that file (``flock``;
``msvcrt.locking`` on Windows), which the OS drops when its process ends however it ends, so two processes can never
hold it at once. The file names the owner (pid, host, start time): a second process asking for the same folder
gets a :class:`FolderInUse` error at once saying who holds it and what to do, and a lock file whose OS lock nobody
holds (its process was killed with -9, a kernel crashed, a container restarted under another hostname) is reported
and taken over.
"""

from __future__ import annotations

import errno
import json
import os
import socket
import time
from pathlib import Path

from ganlab import checks

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None
    import msvcrt

LOCK_FILE = ".lock"
_HELD = {errno.EAGAIN, errno.EWOULDBLOCK, errno.EACCES, getattr(errno, "EDEADLOCK", errno.EAGAIN)}
_WINDOWS_BYTE = 1 << 30  # the byte Windows locks: past the owner record, which others must still read


class FolderInUse(checks.RefusedResume):
    """Another live process holds this run folder's lock."""


def _lock_fd(fd: int) -> bool:
    """Take the OS lock on ``fd`` without waiting: True if taken, False if another process holds it."""
    try:
        if fcntl is not None:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        else:
            os.lseek(fd, _WINDOWS_BYTE, os.SEEK_SET)
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
    except OSError as err:
        if err.errno in _HELD:
            return False
        raise
    return True


def _read_owner(fd: int) -> dict:
    """The owner record in the lock file open as ``fd`` ({} if empty or damaged)."""
    try:
        os.lseek(fd, 0, os.SEEK_SET)
        owner = json.loads(os.read(fd, 1 << 16).decode("utf-8"))
    except (OSError, ValueError):
        return {}
    return owner if isinstance(owner, dict) else {}


def _same_file(fd: int, path: Path) -> bool:
    """Whether ``path`` still names the file open as ``fd`` (not unlinked, not replaced)."""
    try:
        st = os.stat(path)
    except OSError:
        return False
    fst = os.fstat(fd)
    return (st.st_ino, st.st_dev) == (fst.st_ino, fst.st_dev)


class RunLock:
    """Hold ``folder/.lock`` while the ``with`` block runs; see the module's docstring."""

    def __init__(self, folder, *, notice=print):
        self.folder, self.path, self.notice, self.held = Path(folder), Path(folder) / LOCK_FILE, notice, False
        self._fd = None

    def acquire(self) -> RunLock:
        """Take the lock, or raise FolderInUse (another process holds it), BadInput or CannotWrite (cannot lock)."""
        if self.held:
            return self
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise checks.CannotWrite(
                f"could not create the run folder {self.folder}: {err.strerror or err}; "
                "choose a folder you can write to"
            ) from None
        for _ in range(10):  # again while the file we locked was released (unlinked) or replaced meanwhile
            fd = self._open()
            try:
                taken = _lock_fd(fd)
            except OSError as err:
                os.close(fd)
                raise checks.CannotWrite(
                    f"could not lock {self.path}: {err.strerror or err}; this filesystem may not support locks: "
                    f"choose a folder on a local disk"
                ) from None
            if not taken:
                owner = _read_owner(fd)
                os.close(fd)
                raise FolderInUse(self._in_use(owner))
            if not _same_file(fd, self.path):
                os.close(fd)
                continue
            self._take(fd, _read_owner(fd))
            return self
        raise FolderInUse(f"could not lock {self.folder}: other processes keep taking {self.path}; try again")

    def _open(self) -> int:
        try:
            return os.open(self.path, os.O_CREAT | os.O_RDWR | getattr(os, "O_BINARY", 0), 0o666)
        except IsADirectoryError:
            raise checks.BadInput(
                f"{self.path} is a folder, not a lock file: remove it (rm -r {self.path}), then try again"
            ) from None
        except OSError as err:
            raise checks.CannotWrite(
                f"could not open the lock {self.path}: {err.strerror or err}; choose a folder you can write to"
            ) from None

    def _in_use(self, owner: dict) -> str:
        pid, host, since = owner.get("pid"), owner.get("host", "?"), owner.get("started", "?")
        if pid is None:  # its owner has locked it but not yet written its name
            who, stop = "another process", "stop it"
        else:
            who, stop = f"process {pid} on {host} (since {since})", f"stop it (kill {pid} on {host})"
        return (
            f"{self.folder} is in use by {who}: wait for it to finish, {stop}, or choose another folder; "
            f"if no such process runs any more, delete {self.path}"
        )

    def _take(self, fd: int, old: dict) -> None:
        """Write this process's record into the locked file ``fd``, after reporting a stale owner's."""
        if old:
            self.notice(
                f"{self.folder}: removing a stale lock left by process {old.get('pid', '?')} on "
                f"{old.get('host', '?')} (started {old.get('started', '?')}), which no longer runs"
            )
        me = {"pid": os.getpid(), "host": socket.gethostname(), "started": time.strftime("%Y-%m-%d %H:%M:%S")}
        try:
            os.ftruncate(fd, 0)
            os.lseek(fd, 0, os.SEEK_SET)
            os.write(fd, json.dumps(me).encode("utf-8"))
        except OSError as err:
            self._fd, self.held = fd, True
            self.release()
            raise checks.CannotWrite(
                f"could not write the lock {self.path}: {err.strerror or err}; free some disk space or choose "
                f"a folder you can write to"
            ) from None
        self._fd, self.held = fd, True

    def release(self) -> None:
        """Delete the lock file while still holding its OS lock (so no one locks a vanishing file), then unlock."""
        if not self.held:
            return
        fd, self._fd, self.held = self._fd, None, False
        try:
            if not _same_file(fd, self.path):  # someone deleted it by hand: the path may be another's lock now
                return
            try:
                os.unlink(self.path)
            except OSError:  # Windows will not delete an open file: empty it, so no one takes it for stale
                try:
                    os.ftruncate(fd, 0)
                except OSError:
                    pass
        finally:
            os.close(fd)

    def __enter__(self) -> RunLock:
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()
