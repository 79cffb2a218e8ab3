"""The Keras callbacks that ``training.train`` puts around ``fit()``, one module per job.

``records`` (the loss history, fixed-noise snapshots, checkpoints), ``guards`` (a time budget, the first NaN,
weights that must move), ``progress`` (the compact progress line and number formatting) and ``live`` (the picture
that redraws itself in Jupyter while a GAN trains).
"""
