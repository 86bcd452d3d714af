# Tandem: the two set-up commands and a few helpers. See README.md.
#   make run    install dependencies, build, start tandem-server on http://127.0.0.1:8111
#   make test   install dependencies, build with ASan+UBSan, run every test (ctest)
#   make bench  build optimized and run the benchmarks
#   make bench-sync  build the servers optimized and run bench/sync-bench (ARGS=--smoke for a quick run)
#   make fuzz-smoke  build the libFuzzer targets (clang-16, build-fuzz) and run each for 30 s
#   make fuzz        the same for FUZZ_SECONDS per target (docs/reliability.md, "Fuzzing")

BUILD      ?= build
TEST_BUILD ?= build-test
DATA_DIR   ?= data
JOBS       ?= $(shell nproc)
FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 600

.PHONY: deps build run test bench bench-sync fuzz-smoke fuzz clean

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
	  -DTANDEM_BUILD_BENCH=OFF -DTANDEM_WERROR=ON

test: deps $(TEST_BUILD)/build.ninja
	cmake --build $(TEST_BUILD) -j $(JOBS)
	cd $(TEST_BUILD) && ctest --output-on-failure -j $(JOBS) --timeout 600

bench: deps $(BUILD)/build.ninja
	cmake --build $(BUILD) -j $(JOBS) --target tandem-bench
	$(BUILD)/bench/tandem-bench

# Synchronization side by side with git, svnsync and PouchDB (docs/benchmarks.md).
# Builds only the three binaries it runs; installs the peers it lacks.
bench-sync: deps $(BUILD)/build.ninja
	cmake --build $(BUILD) -j $(JOBS) --target tandem-server tandem datamanager
	bench/sync-bench --tandem-bin $(BUILD)/tools $(ARGS)

# libFuzzer targets in their own clang tree; fail on any crash, hang or leak.
fuzz-smoke: deps
	fuzz/run-fuzzers --build $(FUZZ_BUILD) --jobs $(JOBS) --seconds 30

fuzz: deps
	fuzz/run-fuzzers --build $(FUZZ_BUILD) --jobs $(JOBS) --seconds $(FUZZ_SECONDS)

clean:
	rm -rf $(BUILD) $(TEST_BUILD) $(FUZZ_BUILD)
