"""A run folder of ``python -m ganlab train``: its settings (``run.json``), the GAN they describe, and the command.

``settings_of`` fixes a run's settings at its start (the model, the recipe of ``ganlab.recipes``, the networks'
parameters) and, on ``--resume``, reads them back, refusing options that contradict them in one line and
applying a new ``--lr``. ``train`` holds the folder's lock (``files.RunLock``) for the whole run and writes
nothing into it before every check has passed; every file it writes is written atomically.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from ganlab import config

RUN_FILE = "run.json"  # the architecture and settings of a run, so --resume rebuilds the same networks


class CLIError(Exception):
    """A problem with the user's input: printed as one line, exit status 2."""


def writable_dir(path: Path) -> Path:
    """Create ``path`` if needed and prove we can write there, or raise a CLIError saying so."""
    try:
        path.mkdir(parents=True, exist_ok=True)
        probe = path / ".ganlab-write-test"
        probe.write_text("ok")
        probe.unlink()
    except OSError as err:
        raise CLIError(f"cannot write to the output folder {path}: {err.strerror or err}; "
                       "choose a folder you can write to") from None
    return path


def settings_of(args) -> dict:
    """The run's settings: new ones from the options and the recipe, or, on --resume, the run's own from run.json.

    On --resume an option given again must agree with the run's, except --lr, which changes the learning rate
    from here on (recorded in run.json); anything else that differs is refused in one line, never ignored.
    """
    from ganlab import losses, models, recipes

    preset = args.preset if args.model != "mlp" else None
    r = recipes.recipe(args.model, preset)
    settings = {"model": args.model, "preset": preset, "latent_dim": r["latent_dim"],
                "batch_size": args.batch_size or r["batch_size"], "seed": 42 if args.seed is None else args.seed,
                "loss": args.loss or "non_saturating", "lr": r["lr"] if args.lr is None else args.lr,
                "beta_1": r["beta_1"], "ema": r["ema"]}  # fmt: skip
    if args.model != "cgan":  # a gradient penalty needs the alternating step
        settings["step"] = "alternating" if losses.get(settings["loss"]).gp_weight > 0 else r["step"]
    if preset in models.DCGAN_PRESETS:  # the networks' parameters, so that a later change of the preset
        settings["networks"] = models.dcgan_config(preset)  # cannot break the resume of this run
    run_file = args.out / RUN_FILE
    if not (args.resume and run_file.exists()):
        return settings
    try:
        saved = json.loads(run_file.read_text())
        saved["model"], saved["lr"]  # noqa: B018  (a run.json without them is not one)
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise CLIError(f"{run_file} is damaged ({type(err).__name__}: {err}); it holds the run's settings, so the run "
                       f"cannot be resumed: start a new one in another --out") from None  # fmt: skip
    if saved["model"] != args.model or (args.model != "mlp" and saved["preset"] != args.preset):
        raise CLIError(f"{args.out} holds a {saved['model']} run (preset {saved['preset']}); "
                       f"resume it with the same model, or choose another --out")
    for option, key, given in (("--batch-size", "batch_size", args.batch_size), ("--seed", "seed", args.seed),
                               ("--loss", "loss", args.loss)):
        if given is not None and given != saved.get(key):
            raise CLIError(f"{args.out} was trained with {option} {saved.get(key)}; --resume continues it with "
                           f"the same, so leave {option} out (or start a new run in another --out)")
    # Runs from before the recipe search: Adam beta_1 0.5, no weight average, the alternating step, and the
    # default preset's old discriminator (dropout, no batch norm).
    saved.setdefault("beta_1", 0.5)
    saved.setdefault("ema", None)
    if saved["model"] != "cgan":
        saved.setdefault("step", "alternating")
    if saved["model"] != "mlp" and "networks" not in saved:
        saved["networks"] = models.PRE_SEARCH_DEFAULT if saved["preset"] == "default" else saved["preset"]
    if args.lr is not None and args.lr != saved["lr"]:
        saved.setdefault("lr_changes", []).append({"from": saved["lr"], "to": args.lr})
        print(f"learning rate {saved['lr']:g} -> {args.lr:g} for both networks from here on (recorded in "
              f"{run_file})")  # fmt: skip
        saved["lr"] = args.lr
    return saved


def check_train_args(args) -> None:
    """What can be checked before TensorFlow loads."""
    if args.steps is None and args.epochs is None and args.seconds is None:
        raise CLIError("say how long to train: --steps N, --epochs N or --seconds S")


def make_gan(settings: dict):
    """The compiled GAN a run's settings describe (also used by the benchmarks, so they measure the CLI's setup)."""
    from ganlab import conditional, recipes

    common = {"lr": settings["lr"], "beta_1": settings.get("beta_1", 0.5), "ema": settings.get("ema") or 0,
              "loss": settings["loss"], "seed": settings["seed"]}
    networks = settings.get("networks") or settings["preset"]  # a preset's parameters, or its name
    if settings["model"] == "cgan":
        return conditional.make_cgan(settings["latent_dim"], preset=networks, **common)
    return recipes.make_gan(settings["model"], networks, settings["latent_dim"],
                            step=settings.get("step", "alternating"), **common)


def train(args) -> int:
    from ganlab import checkpoints, files, losses, models

    if args.model != "mlp" and args.preset not in models.DCGAN_PRESETS:
        raise CLIError(f"unknown --preset {args.preset!r}; choose from {', '.join(models.DCGAN_PRESETS)}")
    if args.loss is not None and args.loss not in losses.LOSSES:
        raise CLIError(f"unknown --loss {args.loss!r}; choose from {', '.join(losses.LOSSES)}")
    out = writable_dir(args.out)
    with files.RunLock(out):  # one process per run folder; nothing in it is written before every check passed
        if not args.resume and ((out / RUN_FILE).exists() or checkpoints.list_checkpoints(out / "checkpoints")):
            raise CLIError(f"{out} already holds a training run; continue it with --resume, or choose another --out")
        return _train(args, out)


def _train(args, out: Path) -> int:
    from ganlab import data, files, plotting, training

    settings = settings_of(args)
    config.set_seed(settings["seed"])
    config.smoke_banner()
    mnist = data.load_mnist(args.data)
    cgan = settings["model"] == "cgan"  # trains on (image, label) pairs; 100 snapshot images: a row per digit
    dataset = data.make_dataset(mnist.x_train, settings["batch_size"], labels=mnist.y_train if cgan else None,
                                seed=settings["seed"])  # fmt: skip
    gan, ncols = make_gan(settings), 10 if cgan else 8
    g, d = gan.sampler, gan.discriminator  # the generator that draws: the weight average, if the recipe keeps one
    files.write_text(out / RUN_FILE, json.dumps(settings, indent=2))

    # Smoke mode: 5 batches per epoch (or 5 steps in all) and at most 3 seconds.
    steps, epochs, seconds, per_epoch = args.steps, args.epochs, args.seconds, None
    if config.is_smoke():
        steps, seconds, per_epoch = steps and min(steps, 5), seconds and min(seconds, 3.0), None if steps else 5
    run = training.train(gan, dataset, steps=steps, epochs=epochs, seconds=seconds, steps_per_epoch=per_epoch,
                         out_dir=out / "checkpoints",
                         resume=args.resume, verbose=0 if args.quiet else (2 if sys.stdout.isatty() else 1),
                         n_fixed=100 if cgan else 64)  # fmt: skip

    # The products of the run, written even after an interruption (they show the weights reached so far).
    files.atomic_write(out / "generator.keras", g.save)
    files.atomic_write(out / "discriminator.keras", d.save)
    files.write_text(out / "history.json", json.dumps(run.history, indent=1))
    import matplotlib

    matplotlib.use("Agg")
    fig = plotting.show_grid(gan.sample(run.fixed_noise), ncols=ncols, title=f"{settings['model']} after "
                             f"{_done(run)}")
    files.atomic_write(out / "samples.png", lambda tmp: fig.savefig(tmp, dpi=100))
    labels = [f"step {s}" for s in run.frame_steps] if run.round_steps else [f"epoch {e}" for e in run.frame_epochs]
    if run.frames:
        plotting.save_gif(run.frames, out / "progress.gif", ncols=ncols, labels=labels)
    print(f"wrote {out}/: generator.keras, discriminator.keras, history.json, samples.png, progress.gif, "
          f"checkpoints/ ({run.epochs_done} epochs, {run.step} generator steps)")
    if run.interrupted:
        print(f"interrupted: continue with  python -m ganlab train {settings['model']} --resume --out {out} "
              f"{'--steps N' if args.steps else '--epochs N' if args.epochs else '--seconds S'}")
        return 130
    return 0


def _done(run) -> str:
    """How far a run got, in its budget's unit: "1,200 steps" or "12 epochs"."""
    return f"{run.epochs_done * run.round_steps:,} steps" if run.round_steps else f"{run.epochs_done} epochs"
