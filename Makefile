# ganlab: the two commands a learner needs are `make lab` and `make test`.
# Everything installs into ./.venv from pyproject.toml; nothing is installed system-wide.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.ganlab-installed
BACKENDS_STAMP := $(VENV)/.ganlab-backends
# The Keras backends make test runs the unit tests on besides TensorFlow (e.g. make test OTHER_BACKENDS=jax),
# and those it runs the notebooks on (smoke mode) besides TensorFlow.
OTHER_BACKENDS ?= jax torch
NOTEBOOK_BACKENDS ?= jax
NOTEBOOKS := $(sort $(wildcard notebooks/[0-9][0-9]_*.ipynb))
NB     ?= $(NOTEBOOKS)
PORT   ?= 8888
# The folder JupyterLab serves (tests/test_browser.py points it at a throw-away copy of a notebook).
LAB_DIR ?= notebooks
# JupyterLab refuses to run as root (containers, CI) unless told to.
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root)

.PHONY: help lab test unit notebooks course gpu clean-venv browser-test student answers lock

help:
	@echo "make lab     - set up .venv if needed and open JupyterLab on notebooks/"
	@echo "make test    - set up .venv if needed, run unit tests (on TensorFlow, JAX and PyTorch), then every notebook"
	@echo "               (smoke mode, on TensorFlow and on JAX: make notebooks-on-torch for PyTorch)"
	@echo "make course  - execute every notebook in full mode, in place (how stored outputs are made), recording"
	@echo "               its time in benchmarks/notebook_times.json"
	@echo "               one notebook: make course NB=notebooks/02_mlp_gan_mnist.ipynb"
	@echo "make gpu     - add NVIDIA GPU support (Linux) to .venv"
	@echo "make lock    - update requirements.lock (the pinned versions) to the newest that pyproject.toml allows"
	@echo "make student - write student/: the notebooks without exercise solutions, to hand out"
	@echo "make answers - run the instructor's answer key (docs/answers/*.md) in full mode; in seconds:"
	@echo "               make answers GANLAB_SMOKE=1; one file: make answers ANSWERS=docs/answers/02_mlp_gan_mnist.md"
	@echo "make browser-test - only the headless-Chromium test of notebook 01's playground (part of make test)"

# Create or update the environment whenever pyproject.toml changes.
$(STAMP): pyproject.toml requirements.lock
	@$(PYTHON) -c 'import sys; v = sys.version_info[:2]; sys.exit(0 if (3, 11) <= v < (3, 14) else \
	  "ganlab needs Python 3.11, 3.12 or 3.13, but $(PYTHON) is %d.%d. Install one, then run: make PYTHON=python3.12 ..." % v)'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]" -c requirements.lock
	$(BIN)/python -m ipykernel install --user --name ganlab --display-name "Python (ganlab)" >/dev/null
	touch $(STAMP)

# JAX and PyTorch (CPU build), the other two Keras backends, for make test (make lab does not need them).
$(BACKENDS_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -e ".[test,backends]" -c requirements.lock
	touch $(BACKENDS_STAMP)

lab: $(STAMP)
	$(BIN)/jupyter lab --ServerApp.root_dir=$(LAB_DIR) --port=$(PORT) $(ROOT_FLAG) $(LAB_ARGS)

test: unit notebooks $(addprefix notebooks-on-,$(NOTEBOOK_BACKENDS))

# The unit tests on TensorFlow, then on each other backend (the browser test once: it tests no engine code).
unit: $(STAMP) $(if $(strip $(OTHER_BACKENDS)),$(BACKENDS_STAMP))
	GANLAB_SMOKE=1 $(BIN)/python -m pytest tests
	@for backend in $(OTHER_BACKENDS); do \
	  echo "== unit tests on KERAS_BACKEND=$$backend"; \
	  KERAS_BACKEND=$$backend GANLAB_SMOKE=1 $(BIN)/python -m pytest -q tests --deselect tests/test_browser.py || exit 1; \
	done

# Run copies in .nbtest/ (beside notebooks/, so relative paths still work): the smoke runs' files (runs/,
# checkpoints) must never replace a learner's full runs in notebooks/runs/.
notebooks: $(STAMP)
	rm -rf .nbtest && mkdir -p .nbtest && cp $(NOTEBOOKS) .nbtest/
	GANLAB_SMOKE=1 $(BIN)/python -m pytest -p tests.conftest -p no:cacheprovider --nbval-lax --nbval-current-env \
	  --nbval-sanitize-with tests/nbval_sanitize.cfg .nbtest/

# The same on another Keras backend: make notebooks-on-jax, make notebooks-on-torch.
notebooks-on-%: $(BACKENDS_STAMP)
	rm -rf .nbtest-$* && mkdir -p .nbtest-$* && cp $(NOTEBOOKS) .nbtest-$*/
	KERAS_BACKEND=$* GANLAB_SMOKE=1 $(BIN)/python -m pytest -p tests.conftest -p no:cacheprovider --nbval-lax \
	  --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize_backends.cfg .nbtest-$*/

course: $(STAMP)
	@for nb in $(NB); do \
	  echo "== $$nb (full mode)"; start=$$(date +%s); \
	  GANLAB_SMOKE=0 $(BIN)/jupyter nbconvert --to notebook --execute --inplace \
	    --ExecutePreprocessor.timeout=1800 --ExecutePreprocessor.kernel_name=python3 "$$nb" || exit 1; \
	  secs=$$(( $$(date +%s) - start )); echo "   $$secs s"; \
	  $(BIN)/python -m tools.course_times record "$$nb" $$secs; \
	done

# The real-browser test alone (needs: sudo apt-get install chromium chromium-driver); -s prints the screenshot's path.
browser-test: $(STAMP)
	GANLAB_SMOKE=1 $(BIN)/python -m pytest -s tests/test_browser.py

# The student edition: every ### BEGIN/END SOLUTION region replaced by raise NotImplementedError (tools/student.py).
student: $(STAMP)
	$(BIN)/python -m tools.student notebooks student

# The instructor's worked answers to the open exercises (tools/answer_key.py): full mode unless GANLAB_SMOKE=1.
answers: $(STAMP)
	GANLAB_SMOKE=$${GANLAB_SMOKE:-0} $(BIN)/python -m tools.answer_key $(ANSWERS)

gpu: $(STAMP)
	$(BIN)/python -m pip install -e ".[test,gpu]" -c requirements.lock

# Re-resolve the newest versions pyproject.toml allows and pin them: then run make test before committing the lock.
lock: $(BACKENDS_STAMP)
	$(BIN)/python -m pip install --quiet --upgrade -e ".[test,backends]"
	{ sed -n '1,3p' requirements.lock; $(BIN)/python -m pip freeze --exclude-editable; } > requirements.lock.new
	mv requirements.lock.new requirements.lock

clean-venv:
	rm -rf $(VENV)
