# reportqa: `make setup` installs everything into .venv, `make run` serves the chat,
# `make test` runs lint, type checks and the whole test suite (what CI runs via .ci/run).

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: setup run test lint system-deps clean-index

setup: $(STAMP)

# torch is pinned first: the CPU build lies on local disk; an unpinned torch pulled in by
# sentence-transformers would download a multi-GB CUDA build.
$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q torch==2.13.0
	$(PY) -m pip install -q -e '.[dev,browser]'
	touch $(STAMP)

run: setup
	$(PY) app.py

# Debian packages the tests use (a Korean font for generated PDFs). Needs root; skipped
# with a note elsewhere, and the tests that need them skip with a reason.
system-deps:
	@if [ -f /usr/share/fonts/truetype/nanum/NanumGothic.ttf ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  (apt-get install -y -q fonts-nanum >/dev/null 2>&1 || \
	   (apt-get update -q >/dev/null && apt-get install -y -q fonts-nanum >/dev/null)) || \
	  echo "note: could not install fonts-nanum; Korean PDF tests will skip"; \
	else echo "note: not root; Korean PDF tests skip unless fonts-nanum is installed"; fi
	@# Debian's chromium for the browser tests (Playwright drives it; no browser is downloaded).
	@if [ -x /usr/bin/chromium ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  (apt-get install -y -q chromium >/dev/null 2>&1 || \
	   (apt-get update -q >/dev/null && apt-get install -y -q chromium >/dev/null)) || \
	  echo "note: could not install chromium; browser tests will skip"; \
	else echo "note: not root; browser tests skip unless /usr/bin/chromium is installed"; fi
	@# Tesseract with Korean for OCR of image-only PDF pages; poppler-utils for page checks.
	@if command -v tesseract >/dev/null && [ -n "$$(tesseract --list-langs 2>/dev/null | grep -x kor)" ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  (apt-get install -y -q tesseract-ocr tesseract-ocr-kor poppler-utils >/dev/null 2>&1 || \
	   (apt-get update -q >/dev/null && apt-get install -y -q tesseract-ocr tesseract-ocr-kor poppler-utils >/dev/null)) || \
	  echo "note: could not install tesseract-ocr; OCR tests will skip"; \
	else echo "note: not root; OCR tests skip unless tesseract-ocr and tesseract-ocr-kor are installed"; fi

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy reportqa ingest index answer evaluation server app.py cli.py

test: setup system-deps lint
	$(VENV)/bin/pytest

clean-index:
	rm -rf "$${REPORTQA_HOME:-$$HOME/.local/share/reportqa}/indexes/sample"
