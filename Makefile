# The two commands a newcomer needs: `make run` and `make test`.
.PHONY: run test lint fmt deploy-check bench fuzz

# The whole stack on this machine (a private PostgreSQL unless DATABASE_URL is set).
run:
	scripts/run-stack.sh

# Every test, against TEST_DATABASE_URL or a private PostgreSQL.
test:
	scripts/test.sh

# What CI checks besides the tests.
lint:
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets --locked -- -D warnings

fmt:
	cargo fmt --all

# Render and validate the Kubernetes manifests offline.
deploy-check:
	deploy/check.sh

# The contract's "How fast" targets (docs/contract.md) side by side, on release
# builds of the three binaries (report in target/bench-report.md; about 10 minutes on 2
# cores). Pass options with BENCH_ARGS, e.g. `make bench BENCH_ARGS="--skip
# concurrency,table-size"` to leave the sweeps out; bench/README.md lists them all.
bench:
	cargo build --release --locked -p batch-service -p rest-translator -p soap-translator -p batch-bench
	cargo run --release --locked -q -p batch-bench -- $(BENCH_ARGS)

# The parsers of both doors under libFuzzer, each target FUZZ_SECONDS (default 60) one
# after the other. Needs the nightly toolchain and `cargo install cargo-fuzz`; not part
# of CI. Seeds are in fuzz/corpus/<target>/, crashes land in fuzz/artifacts/<target>/.
FUZZ_SECONDS ?= 60
FUZZ_TARGETS ?= soap_envelope soap_framing rest_extractors
fuzz:
	cd fuzz && for target in $(FUZZ_TARGETS); do \
		cargo +nightly fuzz run $$target -- -max_total_time=$(FUZZ_SECONDS) \
			-max_len=65536 -timeout=10 -print_final_stats=1 || exit 1; \
	done
