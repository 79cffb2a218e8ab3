"""Training traces for diagnosing a GAN: class coverage over time, an instance-noise schedule, and one-call trials.

Notebook 05 reproduces GAN failures on purpose and measures each fix the same way. The pieces:

- :class:`CoverageTrace`, a callback that shows G's samples from fixed noise to the digit classifier every few
  epochs and records the digits covered, the confident rate and the class shares, so mode collapse shows up as
  a number falling over time;
- :class:`AnnealInstanceNoise`, a callback that lowers a GAN's instance-noise std linearly to 0;
- :func:`run_trial`, which trains one compiled GAN for a number of steps with those traces and scores its
  samples with ``ganlab.metrics``, returning a :class:`Trial`;
- :func:`plot_trials`, one row per trial: D's outputs, gradient norms, coverage over time, samples.
"""

from __future__ import annotations

import dataclasses
import time

from ganlab import config  # first: imports TensorFlow quietly

import keras
import numpy as np

from ganlab import checks, data, metrics, training
from ganlab.callbacks.guards import TrainingDiverged
from ganlab.classifier import get_classifier
from ganlab.callbacks.progress import fmt


class CoverageTrace(keras.callbacks.Callback):
    """Every ``every`` epochs (and before training), score G(z) for a fixed z with the digit classifier.

    ``history`` gets lists ``epoch``, ``coverage`` (digits with at least half their fair share, 0-10),
    ``confident`` (share of samples the classifier is over 90% sure of) and ``histogram`` (class shares).
    """

    def __init__(self, classifier, z, every=1):
        super().__init__()
        checks.positive_int(every, "every", "epochs between measurements")
        z = np.asarray(z, dtype=np.float32)
        if z.ndim != 2 or len(z) < metrics.MIN_N:
            raise checks.BadInput(
                f"z must be a batch of at least {metrics.MIN_N} noise vectors (n, latent_dim), got shape {z.shape}"
            )
        self.classifier, self.z, self.every = classifier, z, every
        self.history = {"epoch": [], "coverage": [], "confident": [], "histogram": []}

    def measure(self, epoch: int) -> None:
        images = self.model.sample(self.z)
        if not np.all(np.isfinite(images)):
            return  # a diverged generator; StopOnNonFinite reports it
        probs, _ = self.classifier.predict(np.clip(images, -1.0, 1.0))
        for key, value in (
            ("epoch", int(epoch)),
            ("coverage", metrics.coverage(probs)),
            ("confident", metrics.confident_rate(probs)),
            ("histogram", metrics.class_histogram(probs)),
        ):
            self.history[key].append(value)

    def on_train_begin(self, logs=None):
        if not self.history["epoch"]:
            self.measure(0)

    def on_epoch_end(self, epoch, logs=None):
        if (epoch + 1) % self.every == 0:
            self.measure(epoch + 1)


class AnnealInstanceNoise(keras.callbacks.Callback):
    """Set ``gan.noise_std`` to ``start * max(0, 1 - step / steps)`` before every batch: linear decay to 0.

    ``step`` is the generator's update count, so a resumed run picks up the schedule where it stopped.
    """

    def __init__(self, start, steps):
        super().__init__()
        self.start = checks.number(start, "start", 0, meaning="the first std, such as 0.1")
        self.steps = checks.positive_int(steps, "steps", "updates until the noise reaches 0")

    def std_at(self, step: int) -> float:
        return self.start * max(0.0, 1.0 - step / self.steps)

    def on_train_begin(self, logs=None):
        if getattr(self.model, "noise_std", None) is None:
            raise checks.BadInput(
                "this GAN has no instance noise; build it with instance_noise=... "
                "(e.g. recipes.make_gan(..., instance_noise=0.1))"
            )

    def on_train_batch_begin(self, batch, logs=None):
        self.model.noise_std.assign(self.std_at(int(self.model.g_optimizer.iterations.numpy())))


@dataclasses.dataclass(repr=False)
class Trial:
    """One training run of notebook 05: its per-epoch history, coverage trace, final samples and scores."""

    name: str
    history: dict
    coverage: dict
    samples: np.ndarray | None
    scores: dict | None
    steps: int
    seconds: float
    diverged: str | None = None
    round_steps: int | None = None  # steps per history row (a steps= run); None: rows are epochs

    def summary(self) -> str:
        """One line: steps, then the Fréchet distance, confident rate, digits covered, precision and recall."""
        head = f"{self.name}: {self.steps} G steps"
        if self.scores is None:
            return f"{head}; diverged ({self.diverged}), nothing to score"
        s = self.scores
        return (
            f"{head}; Fréchet {fmt(s['frechet_distance'])}, confident {s['confident']:.1%}, "
            f"digits {s['coverage']}/10, precision {s['precision']:.3f}, recall {s['recall']:.3f}"
        )

    def __repr__(self) -> str:
        return f"Trial({self.summary()})"


def run_trial(
    name,
    gan,
    mnist,
    steps,
    *,
    round_steps=None,
    batch_size=64,
    n=500,
    trace_n=250,
    every=1,
    seed=0,
    classifier=None,
    callbacks=(),
    n_train=None,
):
    """Train a compiled ``gan`` on ``mnist.x_train`` for ``steps`` with a :class:`CoverageTrace`, then score it.

    The history and the traces have a row per round of ``round_steps`` steps (``training.train``'s default if None).

    The data order (``seed``), the traced noise and the ``n`` scored samples are the same for every trial, so two
    trials differ only in their GAN; the coverage trace looks at the first ``trace_n`` of them every ``every``
    rounds. A GAN with ``fresh_batches`` gets ``n_critic`` batches per step. ``n_train`` trains on the first
    n_train images only (smoke runs). A run that diverges (NaN) is
    returned with ``diverged`` set and no scores.
    """
    checks.text(name, "name")
    if n_train is not None:
        checks.integer(n_train, "n_train", batch_size, meaning="at least a batch; None: all images")
    classifier = classifier or get_classifier(mnist)
    z = np.random.default_rng(seed).standard_normal((n, *gan.latent_shape)).astype(np.float32)
    trace = CoverageTrace(classifier, z[:trace_n], every=every)
    per_step = batch_size * (gan.n_critic if getattr(gan, "fresh_batches", False) else 1)  # a batch per critic step
    dataset = data.make_dataset(mnist.x_train[:n_train], per_step, seed=seed)
    start, diverged = time.perf_counter(), None
    try:
        run = training.train(
            gan, dataset, steps=steps, steps_per_epoch=round_steps, verbose=0, callbacks=[trace, *callbacks]
        )
    except TrainingDiverged as error:
        run = error.run
        diverged = run.stopped_reason
    seconds = time.perf_counter() - start
    samples = gan.sample(z)
    scores = None
    if np.all(np.isfinite(samples)):
        scores = metrics.evaluate(samples, mnist, n, seed=seed, classifier=classifier)
    else:
        samples, diverged = None, diverged or "the generator's samples are not finite"
    return Trial(name, run.history, trace.history, samples, scores, run.step, seconds, diverged, run.round_steps)


def plot_trials(trials, n_images=24):
    """One row per :class:`Trial`: D(x) and D(G(z)), gradient norms, coverage and confident rate, samples."""
    import matplotlib.pyplot as plt

    from ganlab import plotting

    trials = [trials] if isinstance(trials, Trial) else list(trials)
    if not trials or not all(isinstance(t, Trial) for t in trials):
        raise checks.BadInput("plot_trials needs a Trial or a list of Trials (from diagnostics.run_trial)")
    fig, axes = plt.subplots(
        len(trials),
        4,
        figsize=(14, 2.5 * len(trials)),
        squeeze=False,
        layout="constrained",
        gridspec_kw={"width_ratios": (1, 1, 1, 1.5)},
    )
    for row, trial in zip(axes, trials):
        h, c = trial.history, trial.coverage
        xlabel = f"round of {trial.round_steps} steps" if trial.round_steps else "epoch"
        ax = row[0]
        ax.plot(h.get("epoch", []), h.get("d_real", []), label="D(x)")
        ax.plot(h.get("epoch", []), h.get("d_fake", []), label="D(G(z))")
        ax.set(ylim=(-0.03, 1.03), xlabel=xlabel, title=f"{trial.name}: D's outputs")
        ax = row[1]
        for key, label in (("d_grad_norm", "D's gradient"), ("g_grad_norm", "G's gradient")):
            if key in h:
                ax.plot(h["epoch"], h[key], label=label)
        ax.set(yscale="log", xlabel=xlabel, title="gradient norms (log scale)")
        ax = row[2]
        if c.get("epoch"):
            ax.plot(c["epoch"], np.asarray(c["coverage"]) / 10, marker=".", label="digits covered / 10")
            ax.plot(c["epoch"], c["confident"], marker=".", label="confident")
        ax.set(ylim=(-0.03, 1.03), xlabel=xlabel, title="G's samples, judged by the classifier")
        for ax in row[:3]:
            ax.grid(alpha=0.3)
            if ax.get_legend_handles_labels()[0]:
                ax.legend(fontsize=8)
            else:  # e.g. gradient norms not tracked
                title = ax.get_title()
                ax.cla()
                ax.set(xticks=[], yticks=[], title=title)
                ax.text(0.5, 0.5, "not recorded", ha="center", va="center", transform=ax.transAxes)
        ax = row[3]
        ax.axis("off")
        if trial.samples is not None:
            ax.imshow(
                plotting.make_grid(trial.samples[:n_images], ncols=8),
                cmap="gray",
                vmin=0,
                vmax=1,
                interpolation="nearest",
            )
        ax.set_title(f"samples after {trial.steps} G steps" if trial.samples is not None else "diverged")
    return fig
