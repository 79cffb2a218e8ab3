"""ganlab.files: the atomic writer (whole files or none, the user's permissions, one-line CannotWrite), the sweep
of interrupted writes, and sealed JSON records."""

import errno
import json
import os
import urllib.error
from pathlib import Path

import pytest

from ganlab import checks, files, locks


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


def test_a_full_disk_is_cannot_write_and_leaves_the_old_file(tmp_path, monkeypatch):
    path = files.write_text(tmp_path / "model.keras", "old")

    def full(tmp):
        open(tmp, "w").write("half")
        raise OSError(errno.ENOSPC, "No space left on device")

    with pytest.raises(checks.CannotWrite, match="No space left on device; free some disk space") as refused:
        files.atomic_write(path, full)
    assert str(refused.value).startswith(f"could not write {path}: ") and "\n" not in str(refused.value)
    monkeypatch.setattr(Path, "write_text", lambda *a, **k: full(a[0]))
    with pytest.raises(checks.CannotWrite, match="free some disk space"):
        files.write_text(path, "new")
    assert path.read_text() == "old" and [p.name for p in tmp_path.iterdir()] == ["model.keras"]


def test_writing_onto_a_folder_is_cannot_write(tmp_path):
    (tmp_path / "samples.png").mkdir()
    with pytest.raises(checks.CannotWrite, match="samples.png is a folder: remove it or choose another file name"):
        files.write_bytes(tmp_path / "samples.png", b"png")
    assert [p.name for p in tmp_path.iterdir()] == ["samples.png"]


def test_a_downloads_network_error_stays_what_it_was(tmp_path):
    def offline(tmp):
        raise urllib.error.URLError("no network")

    with pytest.raises(urllib.error.URLError):  # data.py falls back to the shipped sample on an OSError
        files.atomic_write(tmp_path / "mnist.npz", offline)
    assert list(tmp_path.iterdir()) == []


def test_remove_temporaries_removes_interrupted_writes_and_nothing_else(tmp_path):
    files.write_text(tmp_path / "run.json", "{}")
    (tmp_path / ".generator.tmp-k2j4x9_a.keras").write_bytes(b"half a model")
    for name in (".tmp-ckpt-00003-1234-ab12cd34", ".tmp-old-ckpt-00003", "ckpt-00002", "sub"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "state.npz").write_bytes(b"x")
    (tmp_path / "sub" / ".run.tmp-abcdefgh.json").write_text("nested: kept")
    (tmp_path / "notes.tmp-1").write_text("not hidden: kept")
    (tmp_path / locks.LOCK_FILE).write_text("{}")
    removed = files.remove_temporaries(tmp_path)
    assert sorted(p.name for p in removed) == [
        ".generator.tmp-k2j4x9_a.keras",
        ".tmp-ckpt-00003-1234-ab12cd34",
        ".tmp-old-ckpt-00003",
    ]
    assert sorted(p.name for p in tmp_path.iterdir()) == [".lock", "ckpt-00002", "notes.tmp-1", "run.json", "sub"]
    assert (tmp_path / "sub" / ".run.tmp-abcdefgh.json").exists()
    assert files.remove_temporaries(tmp_path / "missing") == []


def test_the_seal_finds_any_change():
    record = files.seal({"epoch": 3, "history": {"d_loss": [0.5, 0.25]}})
    assert files.unseal(json.loads(json.dumps(record)), "x.json") == {"epoch": 3, "history": {"d_loss": [0.5, 0.25]}}
    for changed in ({**record, "epoch": 4}, {**record, "history": {"d_loss": [0.5, 0.26]}}, {**record, "new": 1}):
        with pytest.raises(checks.DamagedRun, match="x.json does not match its checksum"):
            files.unseal(changed, "x.json")
    with pytest.raises(checks.DamagedRun, match="holds a JSON list"):
        files.unseal([1, 2], "x.json")
