"""Pytest set-up shared by the unit tests and the notebook tests.

The notebook run (``make notebooks``) loads this file with ``-p tests.conftest``: it tells nbval to compare only
plain-text outputs of the cells marked ``# NBVAL_CHECK_OUTPUT`` and never widgets, HTML, images or stderr.
"""

import os

os.environ.setdefault("GANLAB_SMOKE", "1")  # unit tests and notebooks under test always run the short version
os.environ.setdefault("MPLBACKEND", "Agg")

SKIPPED_OUTPUTS = (
    "text/html",
    "application/javascript",
    "application/vnd.jupyter.widget-view+json",
    "application/vnd.jupyter.widget-state+json",
    "image/png",
    "image/gif",
    "image/svg+xml",
    "stderr",
)


def pytest_collectstart(collector):
    """Skip widget, HTML and image outputs when nbval compares a notebook's stored outputs."""
    if getattr(collector, "path", None) is not None and collector.path.suffix == ".ipynb":
        collector.skip_compare += SKIPPED_OUTPUTS
