"""The notebooks' interactive explorers: ipywidgets around the course's pure ``plot_*`` functions.

``controls`` (the plumbing every explorer shares: redraw in place, a text fallback without a kernel),
``playground`` (notebook 01's toy-GAN playground), ``digit_explorer`` (notebook 06's digit picker) and
``sliders`` (notebook 07's latent sliders). A notebook makes each with the ``explore_*`` function beside the
drawing it wraps (``playground.explore_gan``, ``conditional.explore_digits``, ``latent.explore_walk``), which
imports this package only when called, so the engine never needs ipywidgets.
"""
