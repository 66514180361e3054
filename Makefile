# theorylab: the two commands are `make demo` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
# The CPU build of PyTorch that lies on disk on the project's machines; installed first
# when pip can find it, so that nothing pulls a multi-GB CUDA build.
TORCH_LOCAL := torch==2.13.0

.PHONY: demo test bench lint clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	@if $(BIN)/pip download --quiet --no-deps --no-index -d $(VENV)/wheels $(TORCH_LOCAL) 2>/dev/null; then \
	    echo "installing the local CPU wheel $(TORCH_LOCAL)"; \
	    $(BIN)/pip install --quiet $(VENV)/wheels/torch-*.whl; \
	else \
	    echo "no local torch wheel: installing torch from the package index"; \
	    $(BIN)/pip install --quiet "torch>=2.2"; \
	fi
	rm -rf $(VENV)/wheels

$(VENV)/.installed-%: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e ".[$*]"
	touch $@

demo: $(VENV)/.installed-distributed
	$(BIN)/theorylab reproduce --quick

test: $(VENV)/.installed-test
	$(BIN)/python -m pytest -q

bench: $(VENV)/.installed-bench
	$(BIN)/pip install --quiet --no-deps pure-ldp==1.2.0 multi-freq-ldpy==0.2.5
	@for f in benchmarks/*.py; do echo "== $$f"; $(BIN)/python $$f || exit 1; done

lint: $(VENV)/.installed-lint
	$(BIN)/ruff check src tests benchmarks examples
	$(BIN)/ruff format --check src tests benchmarks examples

clean:
	rm -rf $(VENV) results report
