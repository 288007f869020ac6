# Two commands do everything: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
CONSTRAINTS := constraints.txt

.PHONY: demo test install install-test clean vendor-js

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/activate pyproject.toml $(CONSTRAINTS)
	$(BIN)/pip install --quiet -c $(CONSTRAINTS) -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(BIN)/pip install --quiet -c $(CONSTRAINTS) -e '.[test]'
	touch $@

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

demo: $(VENV)/.installed
	$(BIN)/gains demo --out atlas

test: $(VENV)/.installed-test
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/python -m pytest -n 2 --dist loadfile

clean:
	rm -rf $(VENV) atlas build *.egg-info

# Regenerate the inline Vega/Vega-Lite/Vega-Embed bundle the atlas page embeds (from vl-convert, offline),
# split into three scripts by tools/split_vega_bundle.js (node, with acorn from npm).
vendor-js: $(VENV)/.installed
	mkdir -p build
	$(BIN)/python -c "import vl_convert as v; open('build/vega-bundle.js', 'w').write('// Vega ' + v.get_vega_version() + ', Vega-Lite ' + v.get_vegalite_versions()[-1] + ', Vega-Embed ' + v.get_vega_embed_version() + ': BSD-3-Clause, (c) University of Washington Interactive Data Lab. Bundled by vl-convert ' + '\n' + v.javascript_bundle())"
	npm install --no-save --prefix build/acorn acorn@8.19.0
	NODE_PATH=build/acorn/node_modules node tools/split_vega_bundle.js build/vega-bundle.js src/marginalgains/report/assets/vega-bundle
