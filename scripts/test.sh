#!/usr/bin/env bash
# `make test`: every test of the workspace. Database tests need a PostgreSQL server:
# TEST_DATABASE_URL if set, else the private one of scripts/dev-postgres.sh (each test
# then makes its own database on it from a migrated template).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

if [ -z "${TEST_DATABASE_URL:-}" ]; then
    TEST_DATABASE_URL=$(scripts/dev-postgres.sh start)
fi
export TEST_DATABASE_URL

# The SOAP door is checked with a real SOAP toolkit (Python zeep) in a local venv.
if [ -x translators/soap/tests/toolkit/setup.sh ]; then
    translators/soap/tests/toolkit/setup.sh
fi
# The REST door is checked with the official SerpWow Python client, likewise.
if [ -x translators/rest/tests/client/setup.sh ]; then
    translators/rest/tests/client/setup.sh
fi

# The system tests run the real binaries.
cargo build --workspace --bins --locked

# (The workspace has no doctests, which nextest would not run.)
if cargo nextest --version >/dev/null 2>&1; then
    cargo nextest run --workspace --locked --no-fail-fast "$@"
else
    cargo test --workspace --locked --no-fail-fast "$@"
fi
