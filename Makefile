# Two entry points for a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
DEVSTAMP := $(VENV)/.installed-dev

.PHONY: demo test fuzz lint validate clean

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

# Independent references side by side: SCALE-Sim v3, Eyeriss silicon, the Bit Fusion authors'
# simulator, DRAM bounds (validation/; data and notes in validation/data/).
validate: $(STAMP)
	@for script in validation/*.py; do echo "== $$script"; $(PY) $$script || exit 1; echo; done

# The fuzz suite at length (make test runs 25 examples of each); atheris when installed.
fuzz: $(DEVSTAMP)
	QCOSIM_FUZZ_EXAMPLES=$${QCOSIM_FUZZ_EXAMPLES:-5000} $(PY) -m pytest -q -p no:cacheprovider tests/unit/hardening/test_fuzz.py
	PYTHONPATH=. $(PY) tests/unit/hardening/atheris_loaders.py -runs=$${ATHERIS_RUNS:-200000}

lint: $(DEVSTAMP)
	$(VENV)/bin/ruff check vocabulary workloads hwmodels simulator analysis reports qcosim tests validation benchmarks

clean:
	rm -rf $(VENV) out .pytest_cache .hypothesis
