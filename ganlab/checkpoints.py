"""Atomic, full-state checkpoints, so a stopped training run resumes exactly where it was saved.

A checkpoint is a folder ``ckpt-00004/`` (named by epoch) holding ``state.npz``, every array of the run (G and
D variables, both optimizers' variables with their step counters, the GAN's random-seed state, the fixed noise,
the snapshot frames, NumPy's RNG key), and ``meta.json`` (epoch, generator step, history, shapes, the run's budget).
Saving writes a hidden temp folder, fsyncs it and renames it into place, so a kill at any moment leaves the
previous checkpoint loadable; the last ``keep`` checkpoints are kept. Both files prove themselves: ``meta.json``
records the sha256 of ``state.npz`` and is sealed with a checksum of its own (``files.seal``). Loading takes the
newest checkpoint whose files are whole; each damaged one it passes over is reported in one line, naming the file
and what is wrong with it, never skipped in silence.
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

FORMAT_VERSION = 2  # 2: meta.json sealed, frame_steps; 1 (no seal) still loads
PREFIX = "ckpt-"
TMP_PREFIX = ".tmp-"
STATE_FILE = "state.npz"
META_FILE = "meta.json"
META_KEYS = ("epoch", "step", "history", "frame_epochs", "shapes", "numpy_rng")  # what loading reads


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
    frame_steps: list  # the generator step of each frame (None for frames of a format-1 checkpoint)
    extra: dict


def _number(x):
    """A history entry as a JSON number: ints (epoch numbers) stay ints, everything else becomes a float."""
    return int(x) if isinstance(x, (int, np.integer)) else float(x)


def _epoch_of(path: Path) -> int | None:
    """5 for ``ckpt-00005``; None for anything else."""
    number = path.name[len(PREFIX) :]
    return int(number) if path.name.startswith(PREFIX) and number.isdigit() else None


def list_checkpoints(directory) -> list[Path]:
    """The ``ckpt-*`` folders in ``directory``, oldest epoch first (complete or not)."""
    directory = Path(directory)
    if not directory.is_dir():
        return []
    found = [p for p in directory.iterdir() if p.is_dir() and _epoch_of(p) is not None]
    return sorted(found, key=_epoch_of)


def _inspect(path: Path) -> tuple[dict | None, str | None]:
    """``(meta, None)`` when the checkpoint folder ``path`` is whole, else ``(None, what is wrong)`` naming the file."""
    try:
        raw = json.loads((path / META_FILE).read_text())
        meta = files.unseal(raw, META_FILE)
    except FileNotFoundError:
        return None, f"{META_FILE} is missing"
    except OSError as err:
        return None, f"{META_FILE} cannot be read ({err.strerror or err})"
    except checks.DamagedRun as err:  # changed since it was written (a seal that does not match)
        return None, str(err)
    except ValueError:  # not JSON: truncated, empty, bit-flipped
        return None, f"{META_FILE} is not valid JSON (truncated or damaged)"
    if meta.get("format") not in (1, FORMAT_VERSION):
        return None, f"{META_FILE} has format {meta.get('format')!r}, which this ganlab cannot read"
    if meta["format"] == FORMAT_VERSION and files.SEAL not in raw:
        return None, f"{META_FILE} has lost its checksum (edited or damaged)"
    missing = [key for key in META_KEYS if key not in meta]
    if missing:
        return None, f"{META_FILE} lacks {missing[0]!r}"
    if meta["epoch"] != _epoch_of(path):
        return None, f"{META_FILE} says epoch {meta['epoch']!r}, not {_epoch_of(path)} as its folder's name does"
    expected = meta.get("sha256", {}).get(STATE_FILE)  # format 1 before checksums: checked when its arrays load
    try:
        if expected is not None and data.sha256(path / STATE_FILE) != expected:
            return None, f"{STATE_FILE} does not match its checksum (truncated or altered)"
    except FileNotFoundError:
        return None, f"{STATE_FILE} is missing"
    except OSError as err:
        return None, f"{STATE_FILE} cannot be read ({err.strerror or err})"
    return meta, None


def describe(path) -> dict:
    """The ``meta.json`` of the checkpoint folder ``path`` (epoch, step, history, ...), checked like loading does."""
    meta, reason = _inspect(Path(path))
    if reason is not None:
        raise DamagedCheckpoint(f"checkpoint {path} is damaged: {reason}")
    return meta


def latest_checkpoint(directory) -> Path | None:
    """The newest ``ckpt-*`` folder whose files are whole, or None."""
    for path in reversed(list_checkpoints(directory)):
        if _inspect(path)[0] is not None:
            return path
    return None


def _write_arrays(path: Path, arrays: dict[str, np.ndarray]) -> None:
    with open(path, "wb") as f:
        np.savez(f, **arrays)
        f.flush()
        os.fsync(f.fileno())


def save_checkpoint(
    gan,
    directory,
    *,
    epoch,
    history,
    fixed_noise=None,
    frames=(),
    frame_epochs=(),
    frame_steps=None,
    step=None,
    extra=None,
    keep=2,
) -> Path:
    """Write the full training state as ``directory/ckpt-{epoch:05d}`` atomically; return its path."""
    if isinstance(epoch, bool) or not isinstance(epoch, (int, np.integer)) or epoch < 0:
        raise checks.BadInput(f"epoch must be an int >= 0, got {epoch!r}")
    checks.positive_int(keep, "keep")
    epoch, directory = int(epoch), Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    files.remove_temporaries(directory)
    groups = gan.state()  # every variable, by group, in a fixed order: the GAN enumerates it
    step = int(gan.g_optimizer.iterations.numpy()) if step is None else int(step)
    frames = [np.asarray(f) for f in frames]
    frame_epochs = [int(e) for e in frame_epochs]
    frame_steps = (
        [None] * len(frame_epochs) if frame_steps is None else [None if x is None else int(x) for x in frame_steps]
    )
    if not len(frames) == len(frame_epochs) == len(frame_steps):
        raise checks.BadInput(
            f"got {len(frames)} frames but {len(frame_epochs)} frame_epochs and {len(frame_steps)} frame_steps"
        )

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
        "frame_steps": frame_steps,
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
        with open(tmp / META_FILE, "w") as f:
            json.dump(files.seal(meta), f)
            f.flush()
            os.fsync(f.fileno())
        files.fsync_dir(tmp)
        if final.exists():  # a stale folder from a run that was resumed from an earlier epoch
            os.rename(final, directory / f"{TMP_PREFIX}old-{final.name}")
        os.rename(tmp, final)
        files.fsync_dir(directory)
    except BaseException as err:
        shutil.rmtree(tmp, ignore_errors=True)
        if isinstance(err, OSError):  # a full disk, a read-only folder: the previous checkpoint is intact
            raise files.cannot_write(final / STATE_FILE, err) from None
        raise

    # Drop checkpoints from an abandoned future (epoch > this one) and all but the newest `keep`.
    older = [p for p in list_checkpoints(directory) if _epoch_of(p) < epoch]
    stale = [p for p in list_checkpoints(directory) if _epoch_of(p) > epoch]
    for p in stale + older[: max(0, len(older) - (keep - 1))]:
        shutil.rmtree(p, ignore_errors=True)
    files.remove_temporaries(directory)
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
    files.remove_temporaries(directory)
    candidates = list(reversed(list_checkpoints(directory)))  # the newest first; a damaged one is passed over, said
    if not candidates:
        raise checks.BadInput(f"no checkpoint (ckpt-* folder) in {directory}")
    groups = gan.state()  # every variable, by group, in a fixed order: the GAN enumerates it
    damaged = []
    for path in candidates:
        meta, reason = _inspect(path)
        if reason is None:
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
        list(meta.get("frame_steps", [None] * len(meta["frame_epochs"]))),
        meta.get("extra", {}),
    )
