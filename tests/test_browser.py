"""A real browser runs notebook 01's playground in JupyterLab started by `make lab`, and the widget responds.

Headless Chromium opens a copy of ``notebooks/01_minimax_objective.ipynb`` (outputs and saved widget state
removed, so every widget on the page comes from the live kernel), runs all its cells in smoke mode, waits for
the playground's ipywidgets, presses "step D" and "step G", and checks that the figure in the widget's output
appears and then changes. A screenshot is kept in ``build/browser/01_playground.png`` (on failure:
``01_playground_failure.png``).

Driver: Selenium with Debian's ``chromium`` and ``chromium-driver``. The two come from one Debian source
package, so driver and browser versions always match; Playwright would drive a Chromium build it was not made
for (its own browser download cannot work offline). Both paths are given explicitly, so Selenium Manager never
runs and nothing is downloaded. Without Chromium the test is skipped, unless ``GANLAB_REQUIRE_BROWSER=1`` (set
by ``.ci/run``) turns the skip into a failure. Run it alone with ``make browser-test``.
"""

import importlib.util
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest
from test_lab import ROOT, free_port

NOTEBOOK = ROOT / "notebooks" / "01_minimax_objective.ipynb"
COPY_DIR = ROOT / ".nbtest_browser"  # beside notebooks/ like make test's copies; git-ignored (.nbtest*/)
SHOTS = ROOT / "build" / "browser"
TOKEN = "ganlab-browser-test"
# Page scripts: the widget button labelled arguments[0]; the src of the figure inside that widget ('' while none);
# the notebook kernel's name once it is idle.
BUTTON_JS = """return [...document.querySelectorAll('button.widget-button')]
    .find(b => b.textContent.trim() === arguments[0]) || null;"""
FIGURE_JS = f"""const button = (() => {{ {BUTTON_JS} }})();
    const img = button && button.closest('.widget-vbox').querySelector('.widget-output img');
    return img ? img.src : '';"""
KERNEL_JS = """const panel = window.jupyterapp && window.jupyterapp.shell.currentWidget;
    const kernel = panel && panel.sessionContext && panel.sessionContext.session && panel.sessionContext.session.kernel;
    return kernel && kernel.status === 'idle' ? kernel.name : null;"""
INSTALL_HINT = "install Chromium to run it: sudo apt-get install chromium chromium-driver"


def browser_paths():
    """(chromium, chromedriver) paths, or skip (fail when GANLAB_REQUIRE_BROWSER=1) saying how to install them."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    missing = [name for name, path in (("chromium", chromium), ("chromedriver", driver)) if path is None]
    if missing or importlib.util.find_spec("selenium") is None:
        reason = (
            f"no {' or '.join(missing)} on PATH; {INSTALL_HINT}"
            if missing
            else "no selenium in this environment; `make browser-test` installs the test extra"
        )
        if os.environ.get("GANLAB_REQUIRE_BROWSER") == "1":
            pytest.fail(f"GANLAB_REQUIRE_BROWSER=1 but {reason}")
        pytest.skip(reason)
    return chromium, driver


def fresh_copy() -> Path:
    """Copy notebook 01 beside notebooks/ without outputs or saved widget state; return the copy's path."""
    shutil.rmtree(COPY_DIR, ignore_errors=True)
    COPY_DIR.mkdir()
    nb = json.loads(NOTEBOOK.read_text())
    nb["metadata"].pop("widgets", None)
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            cell["outputs"], cell["execution_count"] = [], None
    path = COPY_DIR / NOTEBOOK.name
    path.write_text(json.dumps(nb, indent=1))
    return path


def get_json(port, path):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}?token={TOKEN}", timeout=5) as r:
        return json.load(r)


def lab_env():
    """A learner's environment in smoke mode: without conftest's MPLBACKEND=Agg, which would stop inline figures."""
    env = {key: value for key, value in os.environ.items() if key != "MPLBACKEND"}
    return {**env, "GANLAB_SMOKE": "1"}


def start_lab(port, workspaces):
    """`make lab` headless on ``port``, serving the copy, in smoke mode; wait until it answers (90 s at most)."""
    lab_args = (
        f"--no-browser --ServerApp.token={TOKEN} --ServerApp.ip=127.0.0.1 "
        f"--LabApp.expose_app_in_browser=True --LabApp.workspaces_dir={workspaces}"
    )
    with open(Path(workspaces) / "lab.log", "wb") as log:
        proc = subprocess.Popen(
            ["make", "--no-print-directory", "lab", f"LAB_DIR={COPY_DIR.name}", f"PORT={port}", f"LAB_ARGS={lab_args}"],
            cwd=ROOT,
            env=lab_env(),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            get_json(port, "/api/status")
            return proc
        except OSError:
            time.sleep(0.5)
    stop(proc)
    pytest.fail(f"`make lab` did not answer in 90 s: {(Path(workspaces) / 'lab.log').read_text()[-2000:]}")


def stop(proc):
    """End the server's whole process group: make and jupyter lab, which shuts down its kernels as it exits."""
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
    except ProcessLookupError:
        pass
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)


def start_browser(chromium, driver, profile):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--window-size=1400,1200",
        f"--user-data-dir={profile}",
    ):
        options.add_argument(arg)
    return webdriver.Chrome(options=options, service=Service(executable_path=driver))


def wait_for(browser, what, seconds, check):
    """Poll ``check()`` until it returns something truthy; fail naming ``what`` and any cell errors."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.5)
    errors = browser.execute_script(
        "return [...document.querySelectorAll('[data-mime-type=\"application/vnd.jupyter.error\"]')]"
        ".map(e => e.innerText.slice(-800));"
    )
    pytest.fail(f"timed out after {seconds} s waiting for {what}; cell errors on the page: {errors or 'none'}")


def test_playground_renders_and_responds_in_jupyterlab():
    chromium, driver = browser_paths()
    copy = fresh_copy()
    kernel = json.loads(copy.read_text())["metadata"]["kernelspec"]["name"]
    SHOTS.mkdir(parents=True, exist_ok=True)
    for name in ("01_playground.png", "01_playground_failure.png"):
        (SHOTS / name).unlink(missing_ok=True)  # no stale picture from an earlier run
    with tempfile.TemporaryDirectory(prefix="ganlab-browser-") as tmp:
        port = free_port()
        proc = start_lab(port, tmp)
        browser = None
        try:
            offered = get_json(port, "/api/kernelspecs")["kernelspecs"]
            assert kernel in offered, f"the notebook asks for kernel {kernel!r}; the server offers {sorted(offered)}"
            browser = start_browser(chromium, driver, Path(tmp) / "profile")
            browser.get(f"http://127.0.0.1:{port}/lab/tree/{copy.name}?reset&token={TOKEN}")

            # Wait for the notebook's kernel, then run every cell with JupyterLab's own command.
            assert wait_for(browser, "the notebook's kernel", 90, lambda: browser.execute_script(KERNEL_JS)) == kernel
            browser.execute_script("window.jupyterapp.commands.execute('notebook:run-all-cells');")

            # The playground's widget appears when its cell has run; its output area starts empty.
            button = wait_for(
                browser, "the playground's 'step D' button", 240, lambda: browser.execute_script(BUTTON_JS, "step D")
            )
            browser.execute_script("arguments[0].closest('.widget-vbox').scrollIntoView({block: 'start'});", button)
            assert browser.execute_script(FIGURE_JS, "step D") == "", "the widget showed a figure before any click"

            # Each press runs a handler in the kernel that redraws the figure inside the widget.
            button.click()
            figure = lambda: browser.execute_script(FIGURE_JS, "step D")  # noqa: E731
            first = wait_for(browser, "a figure after 'step D'", 60, figure)
            browser.execute_script(BUTTON_JS, "step G").click()
            second = wait_for(browser, "a new figure after 'step G'", 60, lambda: (src := figure()) != first and src)
            assert first.startswith("data:image/png") and second.startswith("data:image/png"), (first[:40], second[:40])
            time.sleep(0.5)  # let the new image paint before the screenshot
            browser.save_screenshot(str(SHOTS / "01_playground.png"))
            print(f"screenshot: {SHOTS / '01_playground.png'}")
        except BaseException:
            if browser is not None:
                try:
                    browser.save_screenshot(str(SHOTS / "01_playground_failure.png"))
                    print(f"failure screenshot: {SHOTS / '01_playground_failure.png'}")
                except Exception as error:  # a crashed browser: keep the test's own error
                    print(f"no failure screenshot: {error}")
            print((Path(tmp) / "lab.log").read_text()[-3000:])
            raise
        finally:
            try:
                if browser is not None:
                    browser.quit()
            finally:
                stop(proc)
    shutil.rmtree(COPY_DIR, ignore_errors=True)
