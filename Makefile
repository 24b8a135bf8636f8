# stratmap: two commands on a fresh machine.
#   make demo   installs missing system packages, builds, runs the sample town
#   make test   the same set-up, then every check and test
SHELL := /bin/bash
# rustup's default place, for shells that did not read a profile.
export PATH := $(HOME)/.cargo/bin:$(PATH)
CARGO ?= cargo
DEMO_OUT ?= stratmap-demo
# Debian's python3-qgis is for Debian's own Python, not a pyenv or venv one.
QGIS_PYTHON ?= $(shell test -x /usr/bin/python3 && echo /usr/bin/python3 || echo python3)
# where cargo puts the binaries: CARGO_TARGET_DIR when set
BUILD_DIR := $(or $(CARGO_TARGET_DIR),target)

.PHONY: demo test deps fixtures golden bench man

deps:
	@bash scripts/deps.sh

demo: deps
	$(CARGO) build --locked --release -p stratmap-cli
	$(BUILD_DIR)/release/stratmap demo --out $(DEMO_OUT)

test:
	@bash scripts/deps.sh test
	@if $(CARGO) fmt --version >/dev/null 2>&1; then \
	  $(CARGO) fmt --all -- --check; \
	else echo "cargo fmt is not installed: format check skipped"; fi
	@if $(CARGO) clippy --version >/dev/null 2>&1; then \
	  $(CARGO) clippy --locked --workspace --all-targets -- -D warnings; \
	else echo "cargo clippy is not installed: lint skipped"; fi
	RUSTDOCFLAGS="-D warnings" $(CARGO) doc --locked --no-deps --workspace -q
	@# stratmap-io without its default features must build and link no GDAL, tiny-skia or SQLite
	$(CARGO) build --locked -q -p stratmap-io --no-default-features
	@if $(CARGO) tree --locked -p stratmap-io --no-default-features -e normal | grep -iE 'gdal|tiny-skia|ab_glyph|sqlite'; then \
	  echo "stratmap-io --no-default-features still depends on GDAL, tiny-skia or SQLite (above)"; exit 1; fi
	$(CARGO) run --locked -q -p stratmap-cli -- --quiet index --grid fixtures/sample-town/grid.csv --out target/crosscheck/living_conditions.geojson
	python3 scripts/crosscheck_index.py fixtures/sample-town/grid.csv target/crosscheck/living_conditions.geojson
	$(CARGO) run --locked -q -p stratmap-cli -- --quiet youth --grid fixtures/sample-town/grid.csv --out target/crosscheck/youth_groups.geojson
	python3 scripts/crosscheck_youth.py fixtures/sample-town/grid.csv target/crosscheck/youth_groups.geojson
	$(CARGO) build --locked -q -p stratmap-cli
	python3 scripts/crosscheck_footprint.py $(BUILD_DIR)/debug/stratmap target/crosscheck/footprint
	python3 scripts/crosscheck_analysis.py $(BUILD_DIR)/debug/stratmap target/crosscheck/analysis
	python3 scripts/crosscheck_proposals.py $(BUILD_DIR)/debug/stratmap target/crosscheck/proposals
	python3 scripts/crosscheck_change.py $(BUILD_DIR)/debug/stratmap target/crosscheck/change
	python3 scripts/check_viewer.py $(BUILD_DIR)/debug/stratmap target/viewer-check
	python3 scripts/check_tiles.py $(BUILD_DIR)/debug/stratmap target/tiles-check
	$(QGIS_PYTHON) scripts/check_qgis.py $(BUILD_DIR)/debug/stratmap target/qgis-check
	python3 scripts/check_scale_sql.py $(BUILD_DIR)/debug/stratmap target/scale-sql
	$(MAKE) --no-print-directory man
	grep -q '^\.TH stratmap 1' target/man/stratmap.1
	$(CARGO) run --locked -q -p stratmap-core --example footprint_in_memory
	$(CARGO) test --locked --workspace

# The manual page and shell completions, from the command line's own definition.
man:
	$(CARGO) build --locked -q -p stratmap-cli
	mkdir -p target/man target/completions
	$(BUILD_DIR)/debug/stratmap man > target/man/stratmap.1
	for sh in bash zsh fish; do $(BUILD_DIR)/debug/stratmap completions $$sh > target/completions/stratmap.$$sh; done
	@echo "wrote target/man/stratmap.1 (man -l target/man/stratmap.1) and target/completions/"

# Regenerate the sample town's inputs (deterministic; a test checks them).
fixtures:
	$(CARGO) run -q -p stratmap-sample -- fixtures/sample-town

# Accept the demo's current output as the golden output.
golden:
	$(CARGO) run --locked -q -p stratmap-cli -- demo --out target/golden
	cp target/golden/living_conditions.geojson target/golden/youth_groups.geojson target/golden/footprint.geojson target/golden/footprint_by_category.csv \
	  target/golden/hotspots.geojson target/golden/indicators.csv target/golden/assessment.csv \
	  target/golden/candidates.geojson target/golden/concordance.csv target/golden/lisa.geojson \
	  target/golden/change.geojson target/golden/class_transitions.csv target/golden/change_by_area.csv \
	  target/golden/emerging.geojson target/golden/indicators_by_period.csv \
	  target/golden/events_by_area_period.csv target/golden/trends_by_area.csv fixtures/golden/

bench:
	$(CARGO) bench -p stratmap-benches
