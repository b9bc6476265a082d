# Two entry points for a fresh machine; each creates .venv and installs the project first.
#   make run    the project's main job (see README)
#   make test   the whole test suite
PYTHON ?= $(shell command -v python3.12 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 12), f"Python >= 3.12 needed, found {sys.version}"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,calibrate,discover,app]'
	touch $(STAMP)

# The main job regenerates the committed headline results (same bytes but for timestamps):
# compare with `git diff results/headline/summary.csv`.
run: $(STAMP)
	$(BIN)/alliance-sim sweep experiments/headline.yaml --force
	@echo "figures: results/headline/figures/  report: results/headline/report.md"

# pytest exits 5 when it collects no test: that is a failure here, never a pass.
test: $(STAMP)
	@$(BIN)/python -m pytest -q; rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "make test: pytest collected no tests" >&2; fi; exit $$rc

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_step.py
	$(BIN)/python benchmarks/bench_sweep.py

clean:
	rm -rf $(VENV) results/runs
