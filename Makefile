# ganlab: the two commands a learner needs are `make lab` and `make test`.
# Everything installs into ./.venv from pyproject.toml; nothing is installed system-wide.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.ganlab-installed
BACKENDS_STAMP := $(VENV)/.ganlab-backends
# The Keras backends make test runs the backend-sensitive unit tests on besides TensorFlow (e.g. make test
# OTHER_BACKENDS=jax), and those it runs the notebooks on (smoke mode) besides TensorFlow.
OTHER_BACKENDS ?= jax torch
NOTEBOOK_BACKENDS ?= jax
NOTEBOOKS := $(sort $(wildcard notebooks/[0-9][0-9]_*.ipynb))
NB     ?= $(NOTEBOOKS)
PORT   ?= 8888
# The folder JupyterLab serves (tests/test_browser.py points it at a throw-away copy of a notebook).
LAB_DIR ?= notebooks
# JupyterLab refuses to run as root (containers, CI) unless told to.
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root)
# Tests run in JOBS processes side by side (pytest-xdist; JOBS=1: one process). A worker that runs out of tests
# takes some of the other's (worksteal), so one slow test at the end does not keep the other core idle.
JOBS   ?= 2
XDIST  := $(if $(filter-out 0 1,$(JOBS)),-n $(JOBS))
# JAX compiles every train step and eager op with XLA: keep the compiled programs in .venv (keyed by the program
# and the JAX version), so the same tiny GANs, built again and again by the tests and notebooks, compile once.
JAX_CACHE := JAX_COMPILATION_CACHE_DIR=$(CURDIR)/$(VENV)/jax-cache JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS=0
PYTEST := GANLAB_SMOKE=1 $(JAX_CACHE) $(BIN)/python -m pytest -p no:cacheprovider
UNIT   := $(XDIST) $(if $(XDIST),--dist worksteal)
# Every notebook in smoke mode, each copy's cells in order in one process (--dist loadfile).
NBVAL  := -p tests.conftest --nbval-lax --nbval-current-env $(XDIST) $(if $(XDIST),--dist loadfile)
LINTED := ganlab tools tests benchmarks
# The notebooks make check runs: changed since this branch left main, committed or not, or new.
BASE    = $(shell git merge-base HEAD main 2>/dev/null || git merge-base HEAD origin/main 2>/dev/null || echo HEAD)
CHANGED = $(filter $(NOTEBOOKS),$(shell git diff --name-only $(BASE) -- notebooks; \
            git ls-files --others --exclude-standard notebooks))

.PHONY: help lab test check lint unit unit-backends notebooks course gpu clean-venv browser-test student answers lock

help:
	@echo "make lab     - set up .venv if needed and open JupyterLab on notebooks/"
	@echo "make test    - set up .venv if needed, then: make lint; every unit test on TensorFlow (the browser test"
	@echo "               included) and the backend-sensitive ones (marked backends) on JAX and PyTorch too; every"
	@echo "               notebook in smoke mode on TensorFlow and on JAX (make notebooks-on-torch for PyTorch)"
	@echo "               its parts: make lint, make unit, make unit-backends, make notebooks, make notebooks-on-jax"
	@echo "               tests run in two processes; JOBS=1 runs them in one"
	@echo "make check   - before a commit (minutes): make lint, the backend-sensitive unit tests on the current backend,"
	@echo "               and the notebooks changed since main, committed or not, in smoke mode (BASE=HEAD: only"
	@echo "               the uncommitted changes)"
	@echo "make lint    - ruff check and ruff format --check on $(LINTED) (the rules are in pyproject.toml)"
	@echo "make course  - execute every notebook in full mode, in place (how stored outputs are made), recording"
	@echo "               its time in benchmarks/notebook_times.json and a hash of its code cells in its metadata"
	@echo "               (tools/code_hash.py: a test fails when a code cell changes after its outputs were stored)"
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

# Lint first (seconds), then the unit tests, then the notebooks.
test: lint unit unit-backends notebooks $(addprefix notebooks-on-,$(NOTEBOOK_BACKENDS))

lint: $(STAMP)
	$(BIN)/ruff check $(LINTED)
	$(BIN)/ruff format --check $(LINTED)

# Every unit test on TensorFlow (the browser test and the answer key included: they test no engine code), with the
# other backends installed: tests/test_backends.py resumes a TensorFlow run on JAX.
unit: $(STAMP) $(if $(strip $(OTHER_BACKENDS)),$(BACKENDS_STAMP))
	$(PYTEST) $(UNIT) tests

# The backend-sensitive unit tests (marked backends) on each other backend.
unit-backends: $(if $(strip $(OTHER_BACKENDS)),$(BACKENDS_STAMP))
	@for backend in $(OTHER_BACKENDS); do \
	  echo "== backend-sensitive unit tests on KERAS_BACKEND=$$backend"; \
	  KERAS_BACKEND=$$backend $(PYTEST) $(UNIT) -q -m backends tests || exit 1; \
	done

# Run copies, each notebook in a folder of its own under .nbtest/ (beside notebooks/): the smoke runs' files (runs/,
# checkpoints) must never replace a learner's full runs in notebooks/runs/, and notebooks running side by side must
# not see each other's runs (04 and 07 load the shipped generators, as for a learner who starts there).
copy_notebooks = rm -rf $(1) && for nb in $(2); do dir=$(1)/$$(basename $$nb .ipynb); mkdir -p $$dir && cp $$nb $$dir/; done

notebooks: $(STAMP)
	$(call copy_notebooks,.nbtest,$(NOTEBOOKS))
	$(PYTEST) $(NBVAL) --nbval-sanitize-with tests/nbval_sanitize.cfg .nbtest/

# The same on another Keras backend: make notebooks-on-jax, make notebooks-on-torch.
notebooks-on-%: $(BACKENDS_STAMP)
	$(call copy_notebooks,.nbtest-$*,$(NOTEBOOKS))
	KERAS_BACKEND=$* $(PYTEST) $(NBVAL) --nbval-sanitize-with tests/nbval_sanitize_backends.cfg .nbtest-$*/

# Before each commit: lint, the engine's tests on the current backend, and the notebooks this branch changed.
CHECK_SANITIZE = tests/nbval_sanitize$(if $(filter-out tensorflow,$(KERAS_BACKEND)),_backends).cfg
check: lint
	$(PYTEST) $(UNIT) -q -m backends tests
	@if [ -z "$(CHANGED)" ]; then echo "== no notebook changed since main"; else \
	  echo "== changed notebooks, smoke mode: $(CHANGED)"; \
	  $(call copy_notebooks,.nbtest-check,$(CHANGED)) && \
	  $(PYTEST) $(NBVAL) --nbval-sanitize-with $(CHECK_SANITIZE) .nbtest-check/; fi

course: $(STAMP)
	@for nb in $(NB); do \
	  echo "== $$nb (full mode)"; start=$$(date +%s); \
	  GANLAB_SMOKE=0 $(BIN)/jupyter nbconvert --to notebook --execute --inplace \
	    --ExecutePreprocessor.timeout=1800 --ExecutePreprocessor.kernel_name=python3 "$$nb" || exit 1; \
	  secs=$$(( $$(date +%s) - start )); echo "   $$secs s"; \
	  $(BIN)/python -m tools.code_hash record "$$nb" || exit 1; \
	  $(BIN)/python -m tools.course_times record "$$nb" $$secs; \
	done

# The real-browser test alone (needs: sudo apt-get install chromium chromium-driver); -s prints the screenshot's path.
browser-test: $(STAMP)
	$(PYTEST) -s tests/test_browser.py

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
