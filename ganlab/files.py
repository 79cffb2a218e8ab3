"""Safe files: the one atomic writer, the sweep of what interrupted writes leave behind, and JSON records that
prove themselves (``seal``). The lock that gives a run folder to one process at a time is ``ganlab.locks``.

``atomic_write(path, write)`` lets ``write(tmp_path)`` fill a hidden temporary file beside ``path``, flushes it,
gives it the permissions a plain ``open()`` would (the user's umask, usually 0644, not ``mkstemp``'s private
0600) and renames it into place, so a crash never leaves half a file at ``path``. A write that fails (a full disk,
a read-only folder, a folder where the file belongs) raises :class:`checks.CannotWrite` in one line saying what to
do, and leaves ``path`` as it was. Every module that writes a file others read (the classifier cache, downloads,
GIFs, the shipped generators, checkpoints, run.json) uses it.

``remove_temporaries(folder)`` deletes the hidden temporary files and folders that a killed write leaves.

``seal(record)`` adds to a JSON record (a checkpoint's ``meta.json``, a run's ``run.json``) a checksum of its own
contents, and ``unseal(record, name)`` checks it, so that a damaged or edited record is reported by name, never
believed.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path

from ganlab import checks

TMP_MARK = ".tmp-"  # in every temporary name: atomic_write's ".{stem}.tmp-*" and checkpoints' ".tmp-*" folders
_NO_SPACE = {errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)}
_READ_ONLY = {errno.EACCES, errno.EPERM, errno.EROFS}


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def cannot_write(path, err: OSError) -> checks.CannotWrite:
    """``err`` (met while writing ``path``) as a one-line CannotWrite saying what to do."""
    path = Path(path)
    if err.errno == errno.EISDIR or path.is_dir():
        todo = f"{path} is a folder: remove it or choose another file name"
    elif err.errno in _NO_SPACE:
        todo = "free some disk space, then try again"
    elif err.errno in _READ_ONLY:
        todo = "the folder is read-only: choose a folder you can write to"
    else:
        todo = "check the folder"
    return checks.CannotWrite(f"could not write {path}: {err.strerror or err}; {todo}")


def _about_the_file(err: OSError) -> bool:
    """Whether an OSError from a write callback is the disk's (CannotWrite), not a download's network (kept as is)."""
    if err.errno is None or isinstance(err, (ConnectionError, TimeoutError)):
        return False
    return not any(c.__module__.split(".")[0] in ("ssl", "socket", "urllib", "http") for c in type(err).__mro__)


def atomic_write(path, write) -> Path:
    """Call ``write(tmp)`` with a temporary path in ``path``'s folder, then move it to ``path``; return ``path``.

    The folder is created if needed. On any error (or KeyboardInterrupt) the temporary file is removed and
    ``path`` is left as it was; an OSError of the disk's becomes a one-line ``checks.CannotWrite``. (A write
    callback's network errors, a download's, stay what they were: the caller handles those.)
    """
    path = Path(path)
    if path.is_dir():
        raise cannot_write(path, IsADirectoryError(errno.EISDIR, "Is a directory")) from None
    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # The same suffix as path's: Keras' save() insists on ".keras".
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}{TMP_MARK}", suffix=path.suffix)
        os.close(fd)
        write(tmp)
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException as err:
        if tmp is not None:
            try:
                Path(tmp).unlink(missing_ok=True)
            except OSError:
                pass
        if isinstance(err, OSError) and _about_the_file(err):
            raise cannot_write(path, err) from None
        raise
    return path


def write_bytes(path, data: bytes) -> Path:
    """``data`` to ``path``, atomically."""
    return atomic_write(path, lambda tmp: Path(tmp).write_bytes(data))


def write_text(path, text: str) -> Path:
    """``text`` to ``path`` (UTF-8), atomically."""
    return atomic_write(path, lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))


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


def remove_temporaries(folder) -> list[Path]:
    """Delete the leftovers of interrupted writes in ``folder`` (not below it); return what was deleted.

    These are atomic_write's hidden ``.{stem}.tmp-*`` files and checkpoint saves' hidden ``.tmp-*`` folders, which
    a process killed mid-write (kill -9, a crashed kernel) leaves. Call it only while holding the folder's
    :class:`RunLock`: another process's write in progress looks just the same. A missing folder has none.
    """
    try:
        entries = list(Path(folder).iterdir())
    except (FileNotFoundError, NotADirectoryError):
        return []
    removed = []
    for p in entries:
        if not (p.name.startswith(".") and TMP_MARK in p.name):
            continue
        try:
            shutil.rmtree(p) if p.is_dir() and not p.is_symlink() else p.unlink(missing_ok=True)
        except OSError:  # best effort: a leftover we cannot delete only takes space
            continue
        removed.append(p)
    return removed


SEAL = "checksum"  # the key under which seal() stores a JSON record's checksum of itself


def _digest(record: dict) -> str:
    body = json.dumps({k: v for k, v in record.items() if k != SEAL}, sort_keys=True, separators=(",", ":"))
    return "sha256:" + hashlib.sha256(body.encode()).hexdigest()


def seal(record: dict) -> dict:
    """``record`` with a checksum of its own contents added, so that any later change to it can be told."""
    return {**record, SEAL: _digest(record)}


def unseal(record, name: str) -> dict:
    """``record`` (parsed JSON) without its seal, after checking it; a ``checks.DamagedRun`` naming the file ``name``
    if the record is not a JSON object or was changed since it was sealed. A record never sealed (one written
    before ganlab sealed its files) passes as it is."""
    if not isinstance(record, dict):
        raise checks.DamagedRun(f"{name} holds a JSON {type(record).__name__}, not the object ganlab wrote")
    if SEAL in record and record[SEAL] != _digest(record):
        raise checks.DamagedRun(f"{name} does not match its checksum (edited or damaged)")
    return {k: v for k, v in record.items() if k != SEAL}
