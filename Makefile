# Two commands set everything up on a fresh clone: `make render` and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
FLEETGEN := $(VENV)/bin/fleetgen
STAMP := $(VENV)/.installed-stamp
EXAMPLES := $(sort $(wildcard examples/*/fleet.yaml))

.PHONY: render render-check check test lint bench goldens clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

## render: install if needed, then render fleet.yaml into output/ and every examples/*/fleet.yaml next to it
render: $(STAMP)
	$(FLEETGEN) render fleet.yaml -o output
	@for f in $(EXAMPLES); do d=$$(dirname $$f); $(FLEETGEN) render $$f -o $$d/output || exit $$?; done

## render-check: exit 1 if any committed output differs from a fresh render
render-check: $(STAMP)
	$(FLEETGEN) render fleet.yaml -o output --check
	@for f in $(EXAMPLES); do d=$$(dirname $$f); $(FLEETGEN) render $$f -o $$d/output --check || exit $$?; done

## check: every built-in check and policy over the example fleet
check: $(STAMP)
	$(FLEETGEN) check fleet.yaml

## test: the whole test suite (unit, golden, acceptance, Rego policy tests)
test: $(STAMP)
	$(PY) -m pytest

## lint: type-check (mypy, disallow_untyped_defs) and pyflakes rules (ruff)
lint: $(STAMP)
	$(VENV)/bin/mypy generator
	$(VENV)/bin/ruff check --select F,E9 generator bench tests

## bench: time load/render/write/check on synthetic fleets of 10..5,000 clusters
bench: $(STAMP)
	$(PY) bench/run.py

## goldens: refresh golden test output after an intended change (review the diff!)
goldens: $(STAMP)
	FLEETGEN_UPDATE_GOLDENS=1 $(PY) -m pytest tests/test_golden.py

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
