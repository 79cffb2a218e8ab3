"""A run folder of ``python -m ganlab train``: its recipe (``run.json``), and the command that trains into it.

``recipe_of`` makes the run's one settings object, a ``recipes.Recipe``, from the command's options at the run's
start, or on ``--resume`` reads it back from ``run.json`` (sealed: an edited or damaged file is refused), refusing
options that contradict it in one line and applying a new ``--lr``; the data source is recorded too, and a resume
trains on the run's own. That one Recipe then builds the GAN (``recipes.make_gan``) and the data pipeline, and is
what ``run.json`` records. ``train`` holds the folder's lock (``locks.RunLock``) for the whole run, sweeps what a
killed write left, and writes nothing into the folder before training begins; a resume whose budget is spent writes
nothing at all. Ctrl-C and SIGTERM (``interrupt_once``: the first stops the command, later ones are ignored) leave
the products whole or absent and a last line naming the checkpoint a resume will use, with the command to paste.
Nothing here imports TensorFlow at load time, so that a mistyped option is answered at once.
"""

from __future__ import annotations

import json
import shlex
import signal
import sys
import threading
from pathlib import Path

from ganlab import checks

RUN_FILE = "run.json"  # the run's Recipe, so that --resume rebuilds the same networks with the same settings


def writable_dir(path: Path) -> Path:
    """Create ``path`` if needed and prove we can write there, or raise a BadInput saying so."""
    try:
        path.mkdir(parents=True, exist_ok=True)
        probe = path / ".ganlab-write-test"
        probe.write_text("ok")
        probe.unlink()
    except OSError as err:
        raise checks.BadInput(
            f"cannot write to the output folder {path}: {err.strerror or err}; choose a folder you can write to"
        ) from None
    return path


def check_train_args(args) -> None:
    """What can be checked before TensorFlow loads."""
    if args.steps is None and args.epochs is None and args.seconds is None:
        raise checks.BadInput("say how long to train: --steps N, --epochs N or --seconds S")
    if args.model == "mlp" and args.preset is not None:
        raise checks.BadInput(
            "--preset chooses a DCGAN's networks (dcgan, cgan); the MLP GAN has one set, so leave it out"
        )


def recipe_of(args):
    """The run's Recipe: a new one from the options and the course's recipe, or, on --resume, the run's own.

    On --resume an option given again must agree with the run's, except --lr, which changes the learning rate
    from here on (recorded in run.json); anything else that differs is refused in one line, never ignored.
    """
    from ganlab import recipes

    run_file = args.out / RUN_FILE
    if not (args.resume and run_file.exists()):
        return recipes.recipe(
            args.model,
            None if args.model == "mlp" else args.preset,
            batch_size=args.batch_size,
            seed=args.seed,
            loss=args.loss,
            lr=args.lr,
        )
    try:
        saved = recipes.Recipe.from_json(run_file.read_text())
    except (OSError, ValueError, KeyError, TypeError) as err:
        why = str(err) if isinstance(err, checks.GanlabError) else f"{type(err).__name__}: {err}"
        raise checks.DamagedRun(
            f"{run_file} is damaged ({why}); it holds the run's settings, so the run cannot be resumed: "
            "start a new one in another --out"
        ) from None
    if saved.kind != args.model or (args.model != "mlp" and saved.preset != (args.preset or saved.preset)):
        raise checks.RefusedResume(
            f"{args.out} holds a {saved.kind} run (preset {saved.preset}); resume it with the "
            "same model, or choose another --out"
        )
    for option, name, given in (
        ("--batch-size", "batch_size", args.batch_size),
        ("--seed", "seed", args.seed),
        ("--loss", "loss", args.loss),
    ):
        if given is not None and given != getattr(saved, name):
            raise checks.RefusedResume(
                f"{args.out} was trained with {option} {getattr(saved, name)}; --resume "
                f"continues it with the same, so leave {option} out (or start a new run in "
                "another --out)"
            )
    if args.lr is not None and args.lr != saved.lr:
        print(f"learning rate {saved.lr:g} -> {args.lr:g} for both networks from here on (recorded in {run_file})")
        saved = saved.override(lr=args.lr, lr_changes=(*saved.lr_changes, {"from": saved.lr, "to": args.lr}))
    return saved


def train(args) -> int:
    from ganlab import checkpoints, files, locks, losses, models

    if args.model != "mlp" and (args.preset or "default") not in models.DCGAN_PRESETS:
        raise checks.BadInput(f"unknown --preset {args.preset!r}; choose from {', '.join(models.DCGAN_PRESETS)}")
    if args.loss is not None and args.loss not in losses.LOSSES:
        raise checks.BadInput(f"unknown --loss {args.loss!r}; choose from {', '.join(losses.LOSSES)}")

    def holds_run() -> bool:
        return args.out.is_dir() and bool(
            (args.out / RUN_FILE).exists() or checkpoints.list_checkpoints(args.out / "checkpoints")
        )

    if args.resume and not holds_run():  # before the folder is made: a misspelled path must not start a new run
        raise checks.BadInput(
            f"--resume: {args.out} holds no run to resume (no {RUN_FILE}, no checkpoints); check the path, or "
            "leave out --resume to start a new run there"
        )
    out = writable_dir(args.out)
    try:
        with locks.RunLock(out):  # one process per run folder; nothing in it is written before every check passed
            if not args.resume and holds_run():  # asked under the lock: a run that just finished counts
                raise checks.RefusedResume(
                    f"{out} already holds a training run; continue it with --resume, or choose another --out"
                )
            files.remove_temporaries(out)  # what a killed write left
            return _train(args, out)
    except KeyboardInterrupt:  # Ctrl-C (or SIGTERM) before training began, or while the products were written
        ignore_interrupts()
        print(f"interrupted: {_resume_point(args, out)}", file=sys.stderr)
        return 130


def _set_handlers(handlers: dict) -> dict:
    """Set signal handlers (in the main thread, the only one that can); return the ones they replace."""
    if threading.current_thread() is not threading.main_thread():
        return {}
    return {sig: signal.signal(sig, handler) for sig, handler in handlers.items()}


def _interrupt_once(signum, frame):
    """Stop what runs now (KeyboardInterrupt) and ignore any later Ctrl-C or SIGTERM, so that the stop's last words
    (the products, the line naming the checkpoint a resume will use) come out whole."""
    ignore_interrupts()
    raise KeyboardInterrupt


def interrupt_once() -> dict:
    """Make Ctrl-C and SIGTERM (``kill``, ``timeout``) stop the command, once; return the handlers they replace."""
    return _set_handlers({signal.SIGINT: _interrupt_once, signal.SIGTERM: _interrupt_once})


def restore_handlers(previous: dict) -> None:
    """Put back the handlers ``interrupt_once`` replaced (None, one set outside Python: the default)."""
    _set_handlers({sig: signal.SIG_DFL if handler is None else handler for sig, handler in previous.items()})


def ignore_interrupts() -> None:
    """Ignore Ctrl-C and SIGTERM from here on, so that the last words of a stopped command come out whole."""
    _set_handlers({signal.SIGINT: signal.SIG_IGN, signal.SIGTERM: signal.SIG_IGN})


def _command(args, out: Path) -> str:
    """The command that continues this run, to paste into a shell."""
    budget = next(f"--{name} {getattr(args, name):g}" for name in ("steps", "epochs", "seconds") if getattr(args, name))
    return f"python -m ganlab train {args.model} --resume --out {shlex.quote(str(out))} {budget}"


def _resume_point(args, out: Path) -> str:
    """Which checkpoint a resume will start from, and the command that does it."""
    from ganlab import checkpoints

    newest = checkpoints.latest_checkpoint(out / "checkpoints")
    if newest is None:
        return f"no checkpoint yet; start again with: {_command(args, out).replace(' --resume', '')}"
    meta = checkpoints.describe(newest)
    return f"a resume starts from {newest.name} (generator step {meta['step']:,}); continue with: {_command(args, out)}"


def _train(args, out: Path) -> int:
    import keras

    from ganlab import config, data, files, recipes, training

    r = recipe_of(args)
    config.set_seed(r.seed)
    config.smoke_banner()
    mnist = data.load_mnist(args.data or r.data)
    if r.data is not None and mnist.source != r.data:
        raise checks.RefusedResume(
            f"{out} was trained on the {r.data} data, and --data {args.data} gives the {mnist.source} data; "
            "leave --data out: a resume trains on the run's own data"
        )
    r = r.override(data=mnist.source)
    cgan = r.kind == "cgan"  # trains on (image, label) pairs; 100 snapshot images: a row per digit
    dataset = data.make_dataset(mnist.x_train, r.batch_size, labels=mnist.y_train if cgan else None, seed=r.seed)
    gan = recipes.make_gan(r)
    record = keras.callbacks.LambdaCallback(on_train_begin=lambda logs: files.write_text(out / RUN_FILE, r.to_json()))

    # Smoke mode: 5 batches per epoch (or 5 steps in all) and at most 3 seconds.
    steps, epochs, seconds, per_epoch = args.steps, args.epochs, args.seconds, None
    if config.is_smoke():
        steps, seconds, per_epoch = steps and min(steps, 5), seconds and min(seconds, 3.0), None if steps else 5
    try:
        run = training.train(
            gan,
            dataset,
            steps=steps,
            epochs=epochs,
            seconds=seconds,
            steps_per_epoch=per_epoch,
            out_dir=out / "checkpoints",
            resume=args.resume,
            verbose=0 if args.quiet else (2 if sys.stdout.isatty() else 1),
            n_fixed=100 if cgan else 64,
            callbacks=[record],
            resume_hint=f"continue with: {_command(args, out)}",
        )
    except training.TrainingDiverged as err:  # the settings, not a bug: say which option to change
        kept = f"the last checkpoint is {err.run.checkpoint.name}" if err.run.checkpoint else "no checkpoint was saved"
        raise checks.BadInput(
            f"training diverged ({err.run.stopped_reason}); {kept}. Continue with --resume and a --lr below {r.lr:g}"
        ) from None
    except checks.CannotWrite as err:  # a full disk, a read-only folder: the checkpoints written before are intact
        raise checks.CannotWrite(f"{err}; {_resume_point(args, out)}") from None
    if run.already_done:
        return 0  # nothing trained, nothing written
    _write_products(out, gan, run, r)
    if run.interrupted:
        ignore_interrupts()
        print(f"interrupted: {_resume_point(args, out)}")
        return 130
    return 0


def _write_products(out: Path, gan, run, r) -> None:
    """The run's products, each written whole (atomically), even after an interruption: they show the weights
    reached so far. A Ctrl-C here keeps the ones already written, and says so."""
    import matplotlib

    from ganlab import files, plotting

    matplotlib.use("Agg")
    ncols, written = 10 if r.kind == "cgan" else 8, []
    done = f"{run.step:,} generator steps" + ("" if run.round_steps else f", {run.epochs_done} epochs")
    products = {
        "generator.keras": lambda path: files.atomic_write(path, gan.sampler.save),  # the weight average, if kept
        "discriminator.keras": lambda path: files.atomic_write(path, gan.discriminator.save),
        "history.json": lambda path: files.write_text(path, json.dumps(run.history, indent=1)),
        "samples.png": lambda path: files.atomic_write(
            path,
            plotting.show_grid(gan.sample(run.fixed_noise), ncols=ncols, title=f"{r.kind} after {done}").savefig,
        ),
    }
    if run.frames:
        labels = [_label(run, i) for i in range(len(run.frames))]
        products["progress.gif"] = lambda path: plotting.save_gif(run.frames, path, ncols=ncols, labels=labels)
    try:
        for name, write in products.items():
            write(out / name)
            written.append(name)
    except KeyboardInterrupt:
        missing = [name for name in products if name not in written]
        wrote = ", ".join(written) or "none"
        print(
            f"interrupted while writing the products: wrote {wrote}; not written: {', '.join(missing)} "
            "(each file is whole or absent; the checkpoints are intact)",
            file=sys.stderr,
        )
        raise
    print(f"wrote {out}/: {', '.join(written)}, checkpoints/ ({done})")


def _label(run, i: int) -> str:
    """Frame ``i``'s label in a run's GIF: its generator step (a steps budget, or where recorded), else its epoch."""
    step = run.frame_steps[i] if i < len(run.frame_steps) else None
    return f"step {step:,}" if step is not None else f"epoch {run.frame_epochs[i]}"
