# Two commands for a new user:  make run   (set up and launch)   make test   (set up and run the tests)
SHELL := /bin/bash
VENV  ?= .venv
BIN   := $(VENV)/bin
# Prefer Python 3.12 (PySide6 6.12 is safe there); fall back to 3.11 with PySide6 < 6.12 (pyproject pins it).
PYTHON ?= $(shell for p in python3.12 $$HOME/.pyenv/versions/3.12*/bin/python3.12 /usr/local/bin/python3.12 python3.11 python3; do \
	"$$p" -c 'import sys; assert sys.version_info >= (3, 11)' >/dev/null 2>&1 && { command -v "$$p" || echo "$$p"; } && break; done)

# The training venv: Python 3.11 (the CPU torch wheel cached on CI machines is cp311), the core without Qt,
# pytest, and the CPU torch wheel from pip's find-links or PyTorch's CPU index. Never the multi-GB CUDA build.
TORCH_VENV        ?= .venv-torch
TORCH_PYTHON      ?= $(shell for p in python3.11 $$HOME/.pyenv/versions/3.11*/bin/python3.11 $(PYTHON); do \
	"$$p" -c 'import sys; assert sys.version_info >= (3, 11)' >/dev/null 2>&1 && { command -v "$$p" || echo "$$p"; } && break; done)
TORCH_SPEC        ?= torch==2.13.0+cpu
TORCH_INDEX       ?= https://download.pytorch.org/whl/cpu
TORCH_PYTEST_ARGS ?= -q

# Debian packages: Qt's platform plugins (xcb for a real screen, offscreen for tests) and xvfb for screenshots.
DEBS_TEST := libegl1 libgl1 libfontconfig1 libglib2.0-0 libxkbcommon0 libdbus-1-3 xvfb xauth desktop-file-utils
DEBS_RUN  := $(DEBS_TEST) libxcb-cursor0 libxkbcommon-x11-0 libxcb-icccm4 libxcb-keysyms1 libxcb-image0 \
	libxcb-render-util0 libxcb-xinerama0 libxcb-randr0 libxcb-shape0 libxcb-xfixes0 libxcb-xkb1

.PHONY: run test setup debs-run debs-test bench compat package package-test clean screenshots hub-floor

run: debs-run $(VENV)/.installed
	@if [ -z "$$DISPLAY" ] && [ -z "$$WAYLAND_DISPLAY" ] && [ "$$QT_QPA_PLATFORM" != "offscreen" ]; then \
		echo "No display found (DISPLAY is not set)."; \
		echo "Run the studio on a virtual screen instead:   xvfb-run -a make run"; \
		echo "or on a desktop session with a screen. The simulated rig needs no hardware."; exit 1; fi
	$(BIN)/teleop-studio $(ARGS)

# Two runs, both summaries shown; fails if either fails. tests/torch (the training API with real torch)
# runs in .venv-torch; REQUIRE_TORCH_TESTS=1 (CI) turns "torch could not be installed" into a failure.
test: debs-test $(VENV)/.installed $(TORCH_VENV)/.installed
	@QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest $(PYTEST_ARGS); main=$$?; \
	echo "== tests/torch in $(TORCH_VENV) =="; \
	if [ -x $(TORCH_VENV)/bin/python ]; then $(TORCH_VENV)/bin/python -m pytest tests/torch $(TORCH_PYTEST_ARGS); t=$$?; \
	else echo "tests/torch skipped: no $(TORCH_VENV) (no Python >= 3.11 found for it)"; t=$${REQUIRE_TORCH_TESTS:+1}; fi; \
	exit $$(( main != 0 ? main : $${t:-0} ))

$(TORCH_VENV)/.installed: pyproject.toml tests/torch/deps.py
	@if [ -z "$(TORCH_PYTHON)" ]; then echo "No Python >= 3.11 for $(TORCH_VENV): tests/torch will be skipped"; exit 0; fi; \
	echo "Setting up $(TORCH_VENV) with $(TORCH_PYTHON) for tests/torch"; \
	test -x $(TORCH_VENV)/bin/python || $(TORCH_PYTHON) -m venv $(TORCH_VENV) || exit 1; \
	$(TORCH_VENV)/bin/python -m pip install --quiet --upgrade pip || exit 1; \
	$(TORCH_VENV)/bin/python -m pip install --quiet "$(TORCH_SPEC)" 2>/dev/null || \
	$(TORCH_VENV)/bin/python -m pip install --quiet --timeout 15 --retries 1 --index-url $(TORCH_INDEX) "$(TORCH_SPEC)" || \
	echo "No CPU torch wheel ($(TORCH_SPEC)) from pip's find-links or $(TORCH_INDEX): tests/torch will say so and skip"; \
	$(TORCH_VENV)/bin/python -m pip install --quiet -r <($(TORCH_VENV)/bin/python tests/torch/deps.py) >$(TORCH_VENV)/pip.log 2>&1 && \
	$(TORCH_VENV)/bin/python -m pip install --quiet --no-deps -e . >>$(TORCH_VENV)/pip.log 2>&1 || { cat $(TORCH_VENV)/pip.log; exit 1; }; \
	touch $@

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	@test -n "$(PYTHON)" || { echo "Python >= 3.11 is needed (apt-get install python3 python3-venv)"; exit 1; }
	@echo "Using $(PYTHON) ($$($(PYTHON) --version))"
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

debs-run:
	@$(call ensure_debs,$(DEBS_RUN))
debs-test:
	@$(call ensure_debs,$(DEBS_TEST))

# Installs missing Debian packages with apt-get when root; otherwise prints the one command to run.
define ensure_debs
	command -v dpkg-query >/dev/null || exit 0; \
	missing=""; for p in $(1); do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = 0 ]; then echo "Installing Debian packages:$$missing"; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
		else echo "Missing Debian packages:$$missing"; echo "Run:  sudo apt-get install -y$$missing"; exit 1; fi; \
	fi
endef

bench: $(VENV)/.installed
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m bench

screenshots: debs-run $(VENV)/.installed
	xvfb-run -a -s "-screen 0 1600x1000x24" $(BIN)/python -m widgets.screenshots resources/screenshots
	xvfb-run -a -s "-screen 0 1600x1000x24" $(BIN)/python -m widgets.screenshots resources/screenshots --bimanual

# The push, remote and range tests on the oldest huggingface_hub pyproject allows and on the newest PyPI
# serves (each pip-installed into its own folder under ~/.cache/teleop-studio/hub-floor; ~4 min).
hub-floor: debs-test $(VENV)/.installed
	PY=$(BIN)/python bash tests/hub_floor.sh

# Opt-in: load our datasets with lerobot 0.6.1 itself (separate Python 3.12 venv; pulls torch, ~3 GB).
compat: $(VENV)/.installed
	bash tests/compat/run_lerobot_compat.sh

# Installers: the PyInstaller bundle and the .deb (packaging/README.md); package-test installs the .deb
# into a clean Debian root, records one episode with it and removes it again (~2-5 min).
package: $(VENV)/.installed
	bash packaging/build.sh

package-test: $(VENV)/.installed
	bash packaging/package_test.sh

clean:
	rm -rf $(VENV) $(TORCH_VENV) build *.egg-info .pytest_cache
