"""A run folder of ``python -m ganlab train``: its recipe (``run.json``), and the command that trains into it.

``recipe_of`` makes the run's one settings object, a ``recipes.Recipe``, from the command's options at the run's
start, or on ``--resume`` reads it back from ``run.json``, refusing options that contradict it in one line and
applying a new ``--lr``. That one Recipe then builds the GAN (``recipes.make_gan``) and the data pipeline (batch
size, seed), and is what ``run.json`` records. ``train`` holds the folder's lock (``files.RunLock``) for the
whole run and writes nothing into it before every check has passed; every file it writes is written atomically.
Nothing here imports TensorFlow at load time, so that a mistyped option is answered at once.
"""

from __future__ import annotations

import json
import sys
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


def recipe_of(args):
    """The run's Recipe: a new one from the options and the course's recipe, or, on --resume, the run's own.

    On --resume an option given again must agree with the run's, except --lr, which changes the learning rate
    from here on (recorded in run.json); anything else that differs is refused in one line, never ignored.
    """
    from ganlab import recipes

    run_file = args.out / RUN_FILE
    if not (args.resume and run_file.exists()):
        preset = None if args.model == "mlp" else args.preset
        return recipes.recipe(
            args.model, preset, batch_size=args.batch_size, seed=args.seed, loss=args.loss, lr=args.lr
        )
    try:
        saved = recipes.Recipe.from_json(run_file.read_text())
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise checks.DamagedRun(
            f"{run_file} is damaged ({type(err).__name__}: {err}); it holds the run's settings, "
            "so the run cannot be resumed: start a new one in another --out"
        ) from None
    if saved.kind != args.model or (args.model != "mlp" and saved.preset != args.preset):
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
    from ganlab import checkpoints, files, losses, models

    if args.model != "mlp" and args.preset not in models.DCGAN_PRESETS:
        raise checks.BadInput(f"unknown --preset {args.preset!r}; choose from {', '.join(models.DCGAN_PRESETS)}")
    if args.loss is not None and args.loss not in losses.LOSSES:
        raise checks.BadInput(f"unknown --loss {args.loss!r}; choose from {', '.join(losses.LOSSES)}")
    out = writable_dir(args.out)
    with files.RunLock(out):  # one process per run folder; nothing in it is written before every check passed
        if not args.resume and ((out / RUN_FILE).exists() or checkpoints.list_checkpoints(out / "checkpoints")):
            raise checks.RefusedResume(
                f"{out} already holds a training run; continue it with --resume, or choose another --out"
            )
        return _train(args, out)


def _train(args, out: Path) -> int:
    from ganlab import config, data, files, plotting, recipes, training

    r = recipe_of(args)
    config.set_seed(r.seed)
    config.smoke_banner()
    mnist = data.load_mnist(args.data)
    cgan = r.kind == "cgan"  # trains on (image, label) pairs; 100 snapshot images: a row per digit
    dataset = data.make_dataset(mnist.x_train, r.batch_size, labels=mnist.y_train if cgan else None, seed=r.seed)
    gan, ncols = recipes.make_gan(r), 10 if cgan else 8
    g, d = gan.sampler, gan.discriminator  # the generator that draws: the weight average, if the recipe keeps one
    files.write_text(out / RUN_FILE, r.to_json())

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
        )
    except training.TrainingDiverged as err:  # the settings, not a bug: say which option to change
        kept = f"the last checkpoint is {err.run.checkpoint.name}" if err.run.checkpoint else "no checkpoint was saved"
        raise checks.BadInput(
            f"training diverged ({err.run.stopped_reason}); {kept}. Continue with --resume and a --lr below {r.lr:g}"
        ) from None

    # The products of the run, written even after an interruption (they show the weights reached so far).
    files.atomic_write(out / "generator.keras", g.save)
    files.atomic_write(out / "discriminator.keras", d.save)
    files.write_text(out / "history.json", json.dumps(run.history, indent=1))
    import matplotlib

    matplotlib.use("Agg")
    fig = plotting.show_grid(gan.sample(run.fixed_noise), ncols=ncols, title=f"{r.kind} after {_done(run)}")
    files.atomic_write(out / "samples.png", lambda tmp: fig.savefig(tmp, dpi=100))
    labels = [f"step {s}" for s in run.frame_steps] if run.round_steps else [f"epoch {e}" for e in run.frame_epochs]
    if run.frames:
        plotting.save_gif(run.frames, out / "progress.gif", ncols=ncols, labels=labels)
    print(
        f"wrote {out}/: generator.keras, discriminator.keras, history.json, samples.png, progress.gif, "
        f"checkpoints/ ({run.epochs_done} epochs, {run.step} generator steps)"
    )
    if run.interrupted:
        print(
            f"interrupted: continue with  python -m ganlab train {r.kind} --resume --out {out} "
            f"{'--steps N' if args.steps else '--epochs N' if args.epochs else '--seconds S'}"
        )
        return 130
    return 0


def _done(run) -> str:
    """How far a run got, in its budget's unit: "1,200 steps" or "12 epochs"."""
    return f"{run.epochs_done * run.round_steps:,} steps" if run.round_steps else f"{run.epochs_done} epochs"
