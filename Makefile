# The README's two commands live here. Both create .venv and install what they need.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint typecheck schemas clean web

# Everything the two commands need: the library and command core, the service, the
# simulation, the benchmark reader and the dev tools (the benchmark peers stay optional:
# pip install -e '.[peers]'). benchmarks/ is not in the package: a .pth file puts this
# checkout on the venv's path so that `fieldroute bench` finds it.
$(STAMP): pyproject.toml Makefile
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[service,simulate,bench,dev]'
	echo "$(CURDIR)" > "$$($(BIN)/python -c 'import sysconfig; print(sysconfig.get_path("purelib"))')/fieldroute-checkout.pth"
	touch $(STAMP)

# The compiled search is compiled once (about half a minute) and cached beside its module,
# so that no plan spends its time limit compiling.
COMPILED := $(VENV)/.compiled
$(COMPILED): $(STAMP) scheduler/solver/ruin_recreate.py
	@echo "compiling the search (once, about half a minute) ..."
	$(BIN)/python -c "from scheduler.solver.compiled_day import warm_up; warm_up()"
	touch $(COMPILED)

# The browser pages (web/): their npm packages, pinned by web/package-lock.json, and the
# build that `fieldroute serve` serves from api/web/static (neither is committed).
WEB_INSTALLED := web/node_modules/.installed
$(WEB_INSTALLED): web/package.json web/package-lock.json
	cd web && npm ci --no-audit --no-fund --loglevel=error
	touch $(WEB_INSTALLED)

WEB_BUILT := api/web/static/.built
$(WEB_BUILT): $(WEB_INSTALLED) web/vite.config.js $(wildcard web/*.html web/src/*)
	cd web && npm run build --silent
	touch $(WEB_BUILT)

web: $(WEB_BUILT)

demo: $(COMPILED) $(WEB_BUILT)
	$(BIN)/fieldroute demo --out demo-output

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

test: lint typecheck $(COMPILED) $(WEB_BUILT)
	$(BIN)/python -m pytest -n 2 -q

schemas: $(STAMP)
	$(BIN)/python scripts/write_schemas.py

clean:
	rm -rf $(VENV) demo-output .mypy_cache .ruff_cache .pytest_cache .hypothesis \
		web/node_modules api/web/static
