"""`make lab` really starts a JupyterLab server that lists the notebooks (checked headless, on a free port)."""

import json
import os
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_make_lab_serves_the_notebooks():
    port, token = free_port(), "ganlab-test"
    proc = subprocess.Popen(
        [
            "make",
            "--no-print-directory",
            "lab",
            f"PORT={port}",
            f"LAB_ARGS=--no-browser --ServerApp.token={token} --ServerApp.ip=127.0.0.1",
        ],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        names, deadline = None, time.monotonic() + 90
        while names is None and time.monotonic() < deadline and proc.poll() is None:
            try:
                url = f"http://127.0.0.1:{port}/api/contents?token={token}"
                with urllib.request.urlopen(url, timeout=2) as r:
                    names = [c["name"] for c in json.load(r)["content"]]
            except OSError:
                time.sleep(0.5)
        assert names is not None, "JupyterLab did not answer: " + (
            proc.stderr.read().decode()[-2000:] if proc.poll() is not None else "timed out"
        )
        expected = sorted(p.name for p in (ROOT / "notebooks").glob("*.ipynb"))
        assert sorted(n for n in names if n.endswith(".ipynb")) == expected
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
