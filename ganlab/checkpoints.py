"""Atomic, full-state checkpoints, so a stopped training run resumes exactly where it was saved.

A checkpoint is a folder ``ckpt-00004/`` (named by epoch) holding ``state.npz``, every array of the run (G and
D variables, both optimizers' variables with their step counters, the GAN's random-seed state, the fixed noise,
the snapshot frames, NumPy's RNG key), and ``meta.json`` (epoch, step, history, shapes). Saving writes a hidden
temp folder, fsyncs it, renames it into place and only then repoints ``latest.json``, so a kill at any moment
leaves the previous checkpoint loadable. The last ``keep`` checkpoints are kept. ``meta.json`` records the sha256
of ``state.npz``; loading verifies it, and a damaged newest checkpoint (a truncated or altered file) is reported in
one line and the newest undamaged one is loaded instead.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import time
import uuid
import zipfile
from pathlib import Path

from ganlab import config  # first: imports TensorFlow quietly

import numpy as np

from ganlab import autodiff, checks, data, files

FORMAT_VERSION = 1
PREFIX = "ckpt-"
TMP_PREFIX = ".tmp-"
POINTER = "latest.json"
STATE_FILE = "state.npz"
META_FILE = "meta.json"


class DamagedCheckpoint(checks.DamagedRun):
    """No checkpoint of a run folder can be loaded: each one is incomplete or its files are damaged."""


@dataclasses.dataclass
class CheckpointState:
    """What :func:`load_checkpoint` restored besides the variables: counters, history, noise and frames."""

    path: Path
    epoch: int
    step: int
    history: dict
    fixed_noise: np.ndarray | None
    frames: list
    frame_epochs: list
    extra: dict


def _number(x):
    """A history entry as a JSON number: ints (epoch numbers) stay ints, everything else becomes a float."""
    return int(x) if isinstance(x, (int, np.integer)) else float(x)


def _epoch_of(path: Path) -> int | None:
    """5 for ``ckpt-00005``; None for anything else."""
    name = path.name
    if not name.startswith(PREFIX) or not name[len(PREFIX) :].isdigit():
        return None
    return int(name[len(PREFIX) :])


def list_checkpoints(directory) -> list[Path]:
    """The ``ckpt-*`` folders in ``directory``, oldest epoch first (complete or not)."""
    directory = Path(directory)
    if not directory.is_dir():
        return []
    found = [p for p in directory.iterdir() if p.is_dir() and _epoch_of(p) is not None]
    return sorted(found, key=_epoch_of)


def _read_meta(path: Path) -> dict | None:
    """The parsed ``meta.json`` of a complete checkpoint folder, or None if the folder is incomplete."""
    try:
        meta = json.loads((path / META_FILE).read_text())
        complete = (path / STATE_FILE).is_file() and meta.get("format") == FORMAT_VERSION
        return meta if complete else None
    except (OSError, ValueError):
        return None


def latest_checkpoint(directory) -> Path | None:
    """The checkpoint ``latest.json`` names, else the newest complete ``ckpt-*`` folder, else None."""
    directory = Path(directory)
    try:
        name = json.loads((directory / POINTER).read_text())["checkpoint"]
        if isinstance(name, str) and _epoch_of(Path(name)) is not None and _read_meta(directory / name):
            return directory / name
    except (OSError, ValueError, KeyError, TypeError):
        pass  # missing or broken pointer: fall back to scanning
    for path in reversed(list_checkpoints(directory)):
        if _read_meta(path) is not None:
            return path
    return None


def _damage(path: Path) -> str | None:
    """Why the checkpoint folder ``path`` cannot be loaded (missing or unreadable meta.json, a checksum that
    differs), or None when it is whole. Checkpoints written before checksums existed are checked on loading."""
    meta = _read_meta(path)
    if meta is None:
        return f"{META_FILE} or {STATE_FILE} is missing or unreadable"
    expected = meta.get("sha256", {}).get(STATE_FILE)
    try:
        if expected is not None and data.sha256(path / STATE_FILE) != expected:
            return f"{STATE_FILE} does not match its checksum (truncated or altered)"
    except OSError as err:
        return f"{STATE_FILE} cannot be read ({err.strerror or err})"
    return None


def _write_arrays(path: Path, arrays: dict[str, np.ndarray]) -> None:
    with open(path, "wb") as f:
        np.savez(f, **arrays)
        f.flush()
        os.fsync(f.fileno())


def _write_json(path: Path, obj) -> None:
    with open(path, "w") as f:
        json.dump(obj, f)
        f.flush()
        os.fsync(f.fileno())


def _replace_pointer(directory: Path, name: str, epoch: int) -> None:
    """Point ``latest.json`` at ``name`` atomically (ganlab.files' one atomic writer)."""
    files.write_text(directory / POINTER, json.dumps({"checkpoint": name, "epoch": epoch}))
    files.fsync_dir(directory)


def clean_temp(directory) -> None:
    """Delete leftovers of interrupted saves (hidden ``.tmp-*`` entries)."""
    directory = Path(directory)
    if directory.is_dir():
        for p in directory.glob(TMP_PREFIX + "*"):
            shutil.rmtree(p, ignore_errors=True) if p.is_dir() else p.unlink(missing_ok=True)


def save_checkpoint(
    gan, directory, *, epoch, history, fixed_noise=None, frames=(), frame_epochs=(), step=None, extra=None, keep=2
) -> Path:
    """Write the full training state as ``directory/ckpt-{epoch:05d}`` atomically; return its path."""
    if isinstance(epoch, bool) or not isinstance(epoch, (int, np.integer)) or epoch < 0:
        raise checks.BadInput(f"epoch must be an int >= 0, got {epoch!r}")
    checks.positive_int(keep, "keep")
    epoch, directory = int(epoch), Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    clean_temp(directory)
    groups = gan.state()  # every variable, by group, in a fixed order: the GAN enumerates it
    step = int(gan.g_optimizer.iterations.numpy()) if step is None else int(step)
    frames = [np.asarray(f) for f in frames]
    frame_epochs = [int(e) for e in frame_epochs]
    if len(frames) != len(frame_epochs):
        raise checks.BadInput(f"got {len(frames)} frames but {len(frame_epochs)} frame_epochs")

    arrays = {f"{g}_{i:04d}": np.asarray(v.numpy()) for g, vs in groups.items() for i, v in enumerate(vs)}
    if fixed_noise is not None:
        arrays["fixed_noise"] = np.asarray(fixed_noise, dtype=np.float32)
    if frames:
        arrays["frames"] = np.stack(frames)  # (F, B, 28, 28, 1)
    rng, backend_rng = np.random.get_state(), autodiff.global_rng_state()
    arrays["numpy_rng_key"] = rng[1]
    if backend_rng is not None:  # resumed only on the same backend
        arrays[f"rng_{autodiff.backend()}"] = backend_rng
    meta = {
        "format": FORMAT_VERSION,
        "epoch": epoch,
        "step": step,
        "history": {k: [_number(x) for x in v] for k, v in history.items()},
        "frame_epochs": frame_epochs,
        "shapes": {g: [[v.path, list(v.shape)] for v in vs] for g, vs in groups.items()},
        "optimizers": {"g": type(gan.g_optimizer).__name__, "d": type(gan.d_optimizer).__name__},
        "numpy_rng": [rng[0], int(rng[2]), int(rng[3]), float(rng[4])],
        "backend": autodiff.backend(),
        "extra": extra or {},
        "saved_at": time.strftime("%Y-%m-%d %H:%M:%S"),
    }

    # Write everything into a fresh hidden folder, flush it to disk, then rename it into place.
    tmp = directory / f"{TMP_PREFIX}{PREFIX}{epoch:05d}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    tmp.mkdir()
    final = directory / f"{PREFIX}{epoch:05d}"
    try:
        _write_arrays(tmp / STATE_FILE, arrays)
        meta["sha256"] = {STATE_FILE: data.sha256(tmp / STATE_FILE)}
        _write_json(tmp / META_FILE, meta)
        files.fsync_dir(tmp)
        if final.exists():  # a stale folder from a run that was resumed from an earlier epoch
            os.rename(final, directory / f"{TMP_PREFIX}old-{final.name}")
        os.rename(tmp, final)
        files.fsync_dir(directory)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    _replace_pointer(directory, final.name, epoch)

    # Drop checkpoints from an abandoned future (epoch > this one) and all but the newest `keep`.
    older = [p for p in list_checkpoints(directory) if _epoch_of(p) < epoch]
    stale = [p for p in list_checkpoints(directory) if _epoch_of(p) > epoch]
    for p in stale + older[: max(0, len(older) - (keep - 1))]:
        shutil.rmtree(p, ignore_errors=True)
    clean_temp(directory)
    return final


def _check_fits(path: Path, meta: dict, groups: dict[str, list], gan_opts: tuple[str, str]) -> None:
    """Raise a RefusedResume naming the first variable whose count or shape differs from the checkpoint's."""
    fix = "Build the GAN with the same architecture and optimizer types that wrote it, or choose another folder."
    saved_opts, now_opts = meta.get("optimizers", {}), {"g_optimizer": gan_opts[0], "d_optimizer": gan_opts[1]}
    for group, variables in groups.items():
        saved = meta["shapes"].get(group, [])
        if len(saved) != len(variables):
            was = f" ({saved_opts.get(group[0], '?')})" if group in now_opts else ""
            now = f" ({now_opts[group]})" if group in now_opts else ""
            raise checks.RefusedResume(
                f"checkpoint {path} does not fit this GAN: its {group} has {len(saved)} variables{was}, "
                f"this one has {len(variables)}{now}. {fix}"
            )
        for i, (v, (saved_path, shape)) in enumerate(zip(variables, saved)):
            if tuple(v.shape) != tuple(shape):
                raise checks.RefusedResume(
                    f"checkpoint {path} does not fit this GAN: {group} variable {i} ({v.path}) has shape "
                    f"{tuple(v.shape)} here but {tuple(shape)} in the checkpoint ({saved_path}). {fix}"
                )


def load_checkpoint(gan, directory) -> CheckpointState:
    """Restore the newest complete checkpoint in ``directory`` into ``gan`` (built the same way) and return the rest.

    Everything is restored (weights, optimizer slots and step counters, seed states, NumPy's global RNG) except
    the optimizers' learning rates, which keep the values ``gan`` was compiled with.
    """
    directory = Path(directory)
    clean_temp(directory)
    newest = latest_checkpoint(directory)
    if newest is None and not list_checkpoints(directory):
        raise checks.BadInput(f"no complete checkpoint (ckpt-* folder) in {directory}")
    groups = gan.state()  # every variable, by group, in a fixed order: the GAN enumerates it
    # The newest first (latest.json's choice, then the folders by epoch); a damaged one is skipped, and said.
    candidates = ([newest] if newest else []) + [p for p in reversed(list_checkpoints(directory)) if p != newest]
    damaged = []
    for path in candidates:
        reason = _damage(path)
        if reason is None:
            meta = _read_meta(path)
            _check_fits(path, meta, groups, (type(gan.g_optimizer).__name__, type(gan.d_optimizer).__name__))
            try:
                with np.load(path / STATE_FILE, allow_pickle=False) as npz:
                    arrays = {k: npz[k] for k in npz.files}
                missing = [
                    f"{g}_{i:04d}" for g, vs in groups.items() for i in range(len(vs)) if f"{g}_{i:04d}" not in arrays
                ] + [k for k in ("numpy_rng_key",) if k not in arrays]
                if not missing:
                    break
                reason = f"{STATE_FILE} lacks {missing[0]}"
            except (OSError, ValueError, EOFError, zipfile.BadZipFile) as err:
                reason = f"{STATE_FILE} cannot be read ({type(err).__name__})"
        damaged.append(f"{path.name}: {reason}")
    else:
        raise DamagedCheckpoint(
            f"no checkpoint in {directory} can be loaded ({'; '.join(damaged)}); delete the "
            f"folder to start afresh, or choose another folder"
        )
    for line in damaged:
        print(f"skipped the damaged checkpoint {line}; loading {path.name}, the newest undamaged one", flush=True)
    # The learning rates stay as compiled now: after a divergence, "lower the rate and resume" must work.
    rates = (gan.g_optimizer.learning_rate, gan.d_optimizer.learning_rate)  # Variables (or schedule values)
    for group, variables in groups.items():
        for i, v in enumerate(variables):
            if not any(v is rate for rate in rates):
                v.assign(arrays[f"{group}_{i:04d}"])
    name, pos, has_gauss, cached = meta["numpy_rng"]
    np.random.set_state((name, arrays["numpy_rng_key"], pos, has_gauss, cached))
    autodiff.set_global_rng_state(arrays.get(f"rng_{autodiff.backend()}"))
    return CheckpointState(
        path,
        int(meta["epoch"]),
        int(meta["step"]),
        {k: list(v) for k, v in meta["history"].items()},
        arrays.get("fixed_noise"),
        list(arrays["frames"]) if "frames" in arrays else [],
        list(meta["frame_epochs"]),
        meta.get("extra", {}),
    )
