# The two commands a newcomer needs: `make run` and `make test`.
.PHONY: run test lint fmt deploy-check bench

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
