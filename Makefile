# One entry point for developer tasks, the same locally and in CI.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
WEB := src/annotary/web/dist/index.html
EXTRAS ?= dev,demo,postgres,vision,nlp,hf
PORT ?= 8080

.PHONY: venv ui run test check bench clean

venv: $(BIN)/.installed

$(BIN)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[$(EXTRAS)]'
	touch $@

ui:
	@if [ -f frontend/package.json ]; then $(MAKE) --no-print-directory $(WEB); fi

frontend/node_modules/.installed: frontend/package-lock.json
	cd frontend && npm ci --no-audit --no-fund
	touch $@

$(WEB): frontend/node_modules/.installed $(shell find frontend/src -type f 2>/dev/null) frontend/package.json frontend/vite.config.ts
	cd frontend && npm run build

run: venv ui
	$(BIN)/annotary demo demo-workspace --port $(PORT)

test: venv ui
	$(BIN)/python -m pytest $(PYTEST_ARGS)

check: venv
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy src/annotary
	$(BIN)/lint-imports

bench: venv
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) frontend/node_modules src/annotary/web/dist
