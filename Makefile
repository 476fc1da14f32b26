PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
CHROMIUM := /usr/bin/chromium
VIRTUOSO := /usr/bin/virtuoso-t
NGINX := /usr/sbin/nginx
RSCRIPT := /usr/bin/Rscript
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)

.PHONY: run test clean

# Build and validate the graph into dist/, summarise it, and serve it on http://127.0.0.1:8000/.
run: $(VENV)/.installed
	$(BIN)/sundhedsgraf build
	$(BIN)/sundhedsgraf stats
	$(BIN)/sundhedsgraf serve

# Lint, check the format of code and data, run the test suite (browser tests included).
test: $(VENV)/.installed-test $(CHROMIUM) $(VIRTUOSO) $(NGINX) $(RSCRIPT)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/sundhedsgraf format --check
	$(BIN)/pytest

# The browser tests drive Debian's chromium (no browser download); installed when missing.
$(CHROMIUM):
	$(SUDO) apt-get update -q
	$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium

# The publish tests run Debian's Virtuoso (tests/stores.py); installed when missing, without
# starting or enabling the package's own service.
$(VIRTUOSO):
	$(SUDO) sh scripts/install-virtuoso.sh
# The reverse-proxy tests run Debian's nginx, their own instance on a free port, as this user;
# installed when missing. The package's own service (port 80) is not wanted: it is stopped.
$(NGINX):
	$(SUDO) apt-get update -q
	$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q nginx
	-$(SUDO) systemctl disable --now nginx

# The query page's R snippet is run by the tests with Debian's R and its httr2; installed when
# missing.
$(RSCRIPT):
	$(SUDO) apt-get update -q
	$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
		r-base-core r-cran-httr2 r-cran-jsonlite

clean:
	rm -rf $(VENV) dist .dist-builds

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# The stamps make pip run again whenever pyproject.toml changes.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -e '.[test]'
	touch $@
