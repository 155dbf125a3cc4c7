# Two entry points for a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
DEVSTAMP := $(VENV)/.installed-dev

.PHONY: demo test lint clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e .
	touch $@

$(DEVSTAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@ $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/qcosim demo

test: $(DEVSTAMP)
	$(PY) -m pytest -q

lint: $(DEVSTAMP)
	$(VENV)/bin/ruff check vocabulary workloads hwmodels simulator analysis reports qcosim tests validation benchmarks

clean:
	rm -rf $(VENV) out .pytest_cache .hypothesis
