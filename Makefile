# Two entry points a fresh machine needs: `make demo` and `make test`.
# Each installs what it needs into the current Python (pip, no venv required).
PYTHON ?= python3
PIP_FLAGS ?= --disable-pip-version-check -q
DEMO_DIR ?= eqf-demo

.PHONY: install install-test demo test bench clean

install:
	$(PYTHON) -m pip install $(PIP_FLAGS) -e ".[dashboard]"

install-test:
	$(PYTHON) -m pip install $(PIP_FLAGS) -e ".[dashboard,distributed,test]"
	@# The autoencoder's PyTorch, CPU build only ("+cpu" is never the multi-GB CUDA download);
	@# where no such wheel is offered the autoencoder tests are skipped.
	$(PYTHON) -m pip install $(PIP_FLAGS) "torch==2.13.0+cpu" || echo "note: no CPU build of torch here; autoencoder tests will be skipped"
	@# Debian's Chromium for the browser tests of the dashboard and the report (Playwright is
	@# pointed at /usr/bin/chromium; `playwright install` is never run). Without apt-get or root
	@# the browser tests are skipped and say why.
	@if [ -x /usr/bin/chromium ]; then :; \
	elif ! command -v apt-get >/dev/null 2>&1; then \
	  echo "note: no apt-get here to install chromium; the browser tests will be skipped"; \
	else (apt-get install -y -q chromium chromium-driver >/dev/null 2>&1 || \
	      (apt-get update -q >/dev/null 2>&1 && \
	       apt-get install -y -q chromium chromium-driver >/dev/null 2>&1)) || \
	  echo "note: apt-get could not install chromium (not root?); the browser tests will be skipped"; \
	fi

demo: install
	$(PYTHON) -m equity_factors demo --output-dir $(DEMO_DIR)

test: install-test
	$(PYTHON) -m pytest -n 2 --dist loadgroup -q

bench: install-test
	$(PYTHON) -m bench.run --output bench/results.json
	$(PYTHON) -m bench.table

clean:
	rm -rf $(DEMO_DIR) .pytest_cache build *.egg-info src/*.egg-info
