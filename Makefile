# make run: set up, then the whole system on embedded defaults.  make test: set up, then every test.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip -q --disable-pip-version-check
SERVICES := $(sort $(patsubst %/pyproject.toml,%,$(wildcard services/*/pyproject.toml)))
export PYTHONWARNINGS := ignore::DeprecationWarning,ignore:Eventlet is deprecated:Warning

.PHONY: setup run test test-unit bench chaos clean

$(VENV)/.installed: requirements.txt common/pyproject.toml $(wildcard services/*/pyproject.toml)
	test -x $(PY) || python3 -m venv $(VENV)
	$(PIP) install -c requirements.txt setuptools
	$(PIP) install -c requirements.txt -e common $(addprefix -e ,$(SERVICES)) pytest playwright jsonschema hypothesis ruff schemathesis
	touch $@

# The tests' and benchmarks' S3 endpoint (make run keeps documents in var/documents instead).
# moto's server needs Werkzeug 3, which nameko cannot use: it gets a virtualenv of its own.
var/moto/.installed:
	mkdir -p var
	test -x var/moto/bin/python || python3 -m venv var/moto
	var/moto/bin/pip -q --disable-pip-version-check install 'moto[server]==5.2.5'
	touch $@

setup: $(VENV)/.installed var/moto/.installed

run: $(VENV)/.installed
	$(PY) dev/run.py

test: setup
	$(VENV)/bin/ruff check .
	$(PY) -m pytest -p no:cacheprovider common/tests $(addsuffix /tests,$(SERVICES)) tests

test-unit: setup
	$(PY) -m pytest -p no:cacheprovider $(addsuffix /tests/unit,$(SERVICES))

bench: setup
	$(PY) bench/run.py

# A bounded fault-injection run on a RabbitMQ node and PostgreSQL cluster of its own (dev/chaos.py); writes BENCHMARKS.md.
chaos: setup
	$(PY) dev/chaos.py $(CHAOS_ARGS)

clean:
	rm -rf $(VENV) var
