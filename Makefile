# rca: set-up and everyday commands. `make demo` and `make test` do all set-up themselves.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.rca-installed
SAMPLE ?= sample_data/line3_scrap_spike/investigation.toml
OUT    ?= out

.PHONY: demo test test-fast lab workshop venv system-deps browser-deps bench clean help

help:
	@echo "make demo       set up, then analyse the bundled sample incident"
	@echo "make test       set up, then run the whole test suite (includes notebooks and browser tests)"
	@echo "make test-fast  unit tests only (no notebooks, no browser)"
	@echo "make lab        open the guided notebooks in JupyterLab"
	@echo "make workshop   serve the notebooks as a Voila dashboard for a workshop screen"
	@echo "make bench      run the benchmarks (slow; prints measured figures)"

# Debian's python3 needs the python3-venv package for `python3 -m venv`.
system-deps:
	@$(PYTHON) -c "import ensurepip, venv" 2>/dev/null || { \
	  echo "installing python3-venv (needed to create the virtual environment)"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -q && $$SUDO apt-get install -y -q python3-venv; }

# Debian's Chromium drives the browser tests (Playwright cannot download its own browser here).
browser-deps:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing Debian's chromium for the browser tests"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -q && $$SUDO apt-get install -y -q chromium; }

$(STAMP): pyproject.toml constraints.txt | system-deps
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -c constraints.txt -e '.[test]'
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 >/dev/null
	@touch $(STAMP)

venv: $(STAMP)

demo: venv
	$(BIN)/rca demo $(SAMPLE) --out $(OUT)

test: venv browser-deps
	$(BIN)/python -m pytest

test-fast: venv
	$(BIN)/python -m pytest -m "not browser and not notebooks"

lab: venv
	$(BIN)/jupyter lab notebooks/

workshop: venv
	$(BIN)/voila notebooks/ --VoilaConfiguration.extension_denylist=jupyterlab-jupytext

bench: venv
	$(BIN)/python -m pip install -q -c constraints.txt -e '.[test,bench]'
	$(BIN)/python benchmarks/run_all.py

clean:
	rm -rf $(VENV) $(OUT) .pytest_cache
