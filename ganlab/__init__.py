"""ganlab: the companion package of the GAN course. The layout is the map; each module is one concept.

The concepts a notebook meets, one hop away (``from ganlab import models`` then ``models.build_dcgan_generator``):

- setting up: ``config`` (the smoke switch, seeds, a quiet TensorFlow import: import it first), ``data`` (MNIST
  that works offline, scaling to [-1, 1], the input pipeline), ``checks`` (ganlab's errors and every input check),
  ``files`` (the one atomic writer, and JSON records sealed with their own checksum), ``locks`` (the lock that
  gives a run folder to one process);
- the networks and the game: ``models`` (MLP and DCGAN builders), ``losses`` (every GAN loss, one label
  convention), ``autodiff`` (gradients on TensorFlow, JAX or PyTorch: the only backend-specific code), ``gan``
  (the GAN as a ``keras.Model`` and its train step), ``conditional`` (the conditional GAN), ``recipes`` (the
  course's settings as one ``Recipe``, and ``make_gan``, the one factory of every GAN of the course),
  ``sampling`` (the one place that runs a generator: on given noise, or on noise from a seed);
- training: ``training`` (``train()``, budgets in steps, epochs or seconds), ``checkpoints`` (the checkpoint
  format and resume), and ``callbacks/`` (what ``train()`` puts around ``fit()``: ``records``, ``guards``,
  ``progress``, ``live``);
- judging: ``classifier`` (the digit classifier that judges), ``metrics`` (Fréchet distance, precision/recall,
  coverage, class accuracy, ...), ``plotting`` (grids, curves, animations);
- the lessons: ``toy`` and ``playground`` (notebook 01's toy GANs), ``diagnostics`` (notebook 05's traces and
  trials), ``latent`` (notebook 07's latent space), ``pretrained`` (the shipped generators).

Supporting parts, each in a folder named by its role, on top of the concepts (``tests/test_layers.py`` enforces
which folder may import which):

- ``widgets/``: the interactive explorers (``controls``, ``playground``, ``digit_explorer``, ``sliders``), made by
  the ``explore_*`` function beside the drawing each wraps;
- ``exercises/``: the checked exercises (``exercises.check``), their grading and stored values;
- ``cli/``: the command line, ``python -m ganlab`` (``__main__``): ``main`` (the commands) and ``runs`` (run
  folders).

The repository's own tools (the answer key, the student edition, the Colab cell, the course's times) are in
``tools/`` beside the package, not in it.
"""

__version__ = "0.1.0"
