# Tandem: the two set-up commands and a few helpers. See README.md.
#   make run    install dependencies, build, start tandem-server on http://127.0.0.1:8111
#   make test   install dependencies, then test-asan, test-tsan and fuzz-smoke (what CI runs)
#   make test-asan  build with ASan+UBSan, run the suite (ctest)
#   make test-tsan  build with clang and ThreadSanitizer, run the suite (ctest)
#   make bench  build optimized and run the benchmarks
#   make bench-sync  build the servers optimized and run bench/sync-bench (ARGS=--smoke for a quick run)
#   make campaign-crash / campaign-network / soak  the full reliability campaigns (docs/reliability.md)
#   make fuzz-smoke  build the libFuzzer targets (clang-16, build-fuzz) and run each for 30 s
#   make fuzz        the same for FUZZ_SECONDS per target (docs/reliability.md, "Fuzzing")

BUILD      ?= build
TEST_BUILD ?= build-test
TSAN_BUILD ?= build-tsan
DATA_DIR   ?= data
JOBS       ?= $(shell nproc)
FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 600

.PHONY: deps web-test-deps build run test test-asan test-tsan bench bench-sync campaign-crash campaign-network soak fuzz-smoke fuzz clean

deps:
	./scripts/install-deps.sh

$(BUILD)/build.ninja:
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo

# Only what `make run` needs: the server, the client and datamanager (no
# test or benchmark binaries; `make test` builds those in its own tree).
build: deps $(BUILD)/build.ninja
	cmake --build $(BUILD) -j $(JOBS) --target tandem-server tandem datamanager

run: build
	$(BUILD)/tools/tandem-server/tandem-server --data-dir $(DATA_DIR)

$(TEST_BUILD)/build.ninja:
	cmake -S . -B $(TEST_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Debug -DTANDEM_SANITIZE=ON \
	  -DTANDEM_BUILD_BENCH=OFF -DTANDEM_WERROR=ON -DTANDEM_CAMPAIGN_TESTS=ON

# Every test under ASan+UBSan (with the campaigns' short modes), every test
# again under ThreadSanitizer, and every fuzz target for 30 s: what CI runs.
# Make runs them one after another, each on all cores.
test: test-asan test-tsan fuzz-smoke

# tests/web's npm packages (playwright-core, pinned by its package-lock.json;
# it drives Debian's /usr/bin/chromium and downloads no browser). Only the
# tests need them, so `make run` never touches npm.
web-test-deps: tests/web/node_modules/.package-lock.json
tests/web/node_modules/.package-lock.json: tests/web/package-lock.json tests/web/package.json
	PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --prefix tests/web --no-audit --no-fund --loglevel=error

test-asan: deps web-test-deps $(TEST_BUILD)/build.ninja
	cmake --build $(TEST_BUILD) -j $(JOBS)
	cd $(TEST_BUILD) && ctest --output-on-failure -j $(JOBS) --timeout 600

# A clang build, so that it also checks the lock annotations (-Wthread-safety,
# src/common/thread_annotations.h); Debug (assertions on) at -O1, which keeps
# TSan's slowdown down. docs/reliability.md, "Data races".
$(TSAN_BUILD)/build.ninja:
	CC=clang-16 CXX=clang++-16 cmake -S . -B $(TSAN_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Debug \
	  -DCMAKE_CXX_FLAGS_DEBUG="-g -O1" -DTANDEM_TSAN=ON -DTANDEM_BUILD_BENCH=OFF -DTANDEM_WERROR=ON \
	  -DTANDEM_CAMPAIGN_TESTS=OFF

# exitcode=66: a race makes the process (a test, or a tandem-server an e2e
# test started) fail, and the e2e harness also looks for reports in each
# server's stderr (tests/e2e/server_process.cc).
TSAN_OPTIONS_DEFAULT = halt_on_error=1 second_deadlock_stack=1 exitcode=66

test-tsan: deps web-test-deps $(TSAN_BUILD)/build.ninja
	cmake --build $(TSAN_BUILD) -j $(JOBS)
	cd $(TSAN_BUILD) && TSAN_OPTIONS="$(TSAN_OPTIONS_DEFAULT) $(TSAN_OPTIONS)" \
	  ctest --output-on-failure -j $(JOBS) --timeout 1200

bench: deps $(BUILD)/build.ninja
	cmake --build $(BUILD) -j $(JOBS) --target tandem-bench
	$(BUILD)/bench/tandem-bench

# Synchronization side by side with git, svnsync and PouchDB (docs/benchmarks.md).
# Builds only the three binaries it runs; installs the peers it lacks.
bench-sync: deps $(BUILD)/build.ninja
	cmake --build $(BUILD) -j $(JOBS) --target tandem-server tandem datamanager
	bench/sync-bench --tandem-bin $(BUILD)/tools $(ARGS)

# The reliability campaigns in full (docs/reliability.md), optimized; ARGS
# passes options (e.g. ARGS="--trials=20 --seed=7"). CTest runs short modes.
campaign-crash: deps $(BUILD)/build.ninja
	cmake --build $(BUILD) -j $(JOBS) --target crash_campaign
	$(BUILD)/campaigns/crash_campaign --report=$(BUILD)/crash-campaign.json $(ARGS)

campaign-network: deps $(BUILD)/build.ninja
	cmake --build $(BUILD) -j $(JOBS) --target network_campaign
	$(BUILD)/campaigns/network_campaign --report=$(BUILD)/network-campaign.json $(ARGS)

soak: deps $(BUILD)/build.ninja
	cmake --build $(BUILD) -j $(JOBS) --target load_soak
	$(BUILD)/campaigns/load_soak --report=$(BUILD)/load-soak.json $(ARGS)

# libFuzzer targets in their own clang tree; fail on any crash, hang or leak.
fuzz-smoke: deps
	fuzz/run-fuzzers --build $(FUZZ_BUILD) --jobs $(JOBS) --parallel $(JOBS) --seconds 30

fuzz: deps
	fuzz/run-fuzzers --build $(FUZZ_BUILD) --jobs $(JOBS) --seconds $(FUZZ_SECONDS)

clean:
	rm -rf $(BUILD) $(TEST_BUILD) $(TSAN_BUILD) $(FUZZ_BUILD)
