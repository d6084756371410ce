# hbeat — convenience wrapper around Meson/Ninja.
#
#   make demo    install deps, build, run a local 3-node demo cluster
#   make test    install deps, build, run every test: unit + simulation
#                (plain and under ASan+UBSan), system tests (pytest,
#                real hbeatd processes in network namespaces) and every
#                fuzzer for FUZZ_SECONDS (60) each
#   make bench   run the benchmarks in bench/ (not part of the tests)
#   make bench-memberlist
#                the full memberlist anchor sweep of issue 13 (about 1.5
#                hours; docs/benchmarks.md "memberlist anchor")
#   make deb     build the Debian package build-deb/hbeat_*.deb
#                (debhelper; docs/operations.md "Packaging")
#   make docs    put the key tables `hbeatctl config schema` prints into
#                docs/configuration.md and docs/man/hbeatd.yaml.5
#
# Warnings are errors in every build made here.

BUILD      ?= build
BUILD_ASAN ?= build-asan
PYTHON     ?= /usr/bin/python3
MESON_OPTS ?=
PYTEST_OPTS ?=

.PHONY: all deps build build-asan test test-unit test-asan test-system \
        test-fuzz demo bench bench-memberlist docs fuzz clean install deb

all: build

deps:
	@scripts/install-deps

$(BUILD)/build.ninja:
	meson setup $(BUILD) -Dwerror=true $(MESON_OPTS)

$(BUILD_ASAN)/build.ninja:
	meson setup $(BUILD_ASAN) -Dwerror=true -Dbench=false \
		-Db_sanitize=address,undefined -Db_lundef=false \
		-Dc_args=-fno-sanitize-recover=all $(MESON_OPTS)

build: deps $(BUILD)/build.ninja
	ninja -C $(BUILD)

build-asan: deps $(BUILD_ASAN)/build.ninja
	ninja -C $(BUILD_ASAN)

test-unit: build
	meson test -C $(BUILD) --suite unit --suite sim --print-errorlogs

test-asan: build-asan
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	meson test -C $(BUILD_ASAN) --suite unit --suite sim --print-errorlogs

# test_deb.py builds the package and installs it into a Debian root.
test-system: build
	@scripts/install-deps debhelper debootstrap
	HBEAT_BUILD_DIR=$(abspath $(BUILD)) $(PYTHON) -m pytest -q \
		-p no:cacheprovider $(PYTEST_OPTS) tests/system

test-fuzz: fuzz
	scripts/run-fuzzers build-fuzz

test: test-unit test-asan test-system test-fuzz

demo: build
	$(PYTHON) scripts/demo.py --build-dir $(BUILD)

MEMBERLIST_DEPS = golang-go golang-github-hashicorp-memberlist-dev

bench: build
	@scripts/install-deps $(MEMBERLIST_DEPS)
	bench/run.sh $(BUILD)

bench-memberlist: build
	@scripts/install-deps $(MEMBERLIST_DEPS)
	$(PYTHON) bench/memberlist_bench.py $(BUILD)

docs: build
	scripts/config-docs $(BUILD)/hbeatctl

fuzz:
	@scripts/install-deps clang
	test -f build-fuzz/build.ninja || CC=clang meson setup build-fuzz \
		-Dfuzz=true -Dtests=false -Dbench=false -Db_lundef=false -Dwerror=true \
		-Ddefault_library=static
	ninja -C build-fuzz fuzz_wire fuzz_config fuzz_node fuzz_evstream
	@echo 'run: scripts/run-fuzzers (FUZZ_SECONDS=60 each)'

install: build
	meson install -C $(BUILD)

deb:
	@scripts/install-deps debhelper
	scripts/build-deb

clean:
	rm -rf $(BUILD) $(BUILD_ASAN) build-fuzz build-deb
