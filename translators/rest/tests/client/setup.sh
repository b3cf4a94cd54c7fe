#!/usr/bin/env bash
# Creates tests/client/.venv with the official SerpWow Python client
# (google-search-results-serpwow) that the `serpwow_client` end-to-end test drives.
# Idempotent: does nothing when the venv already has the pinned version. Needs python3
# with the venv module and access to the Python package index.
#
#   translators/rest/tests/client/setup.sh        # from anywhere
#   PYTHON=python3.12 translators/rest/tests/client/setup.sh
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="$here/.venv"
python="${PYTHON:-python3}"
package="google-search-results-serpwow"
wanted="$(grep -E "^$package==" "$here/requirements.txt" | cut -d= -f3)"

installed() {
    "$venv/bin/python" - "$package" "$wanted" <<'PY' 2>/dev/null
import sys
from importlib.metadata import version
sys.exit(version(sys.argv[1]) != sys.argv[2])
PY
}

if [[ -x "$venv/bin/python" ]] && installed; then
    exit 0
fi

if ! command -v "$python" >/dev/null 2>&1; then
    echo "setup.sh: $python not found; install Python 3 (e.g. apt-get install python3 python3-venv)" >&2
    exit 1
fi
rm -rf "$venv"
if ! "$python" -m venv "$venv"; then
    echo "setup.sh: '$python -m venv' failed; install the venv module (e.g. apt-get install python3-venv)" >&2
    exit 1
fi
if ! "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$here/requirements.txt"; then
    echo "setup.sh: pip could not install $(grep -v '^#' "$here/requirements.txt" | tr '\n' ' ')" >&2
    exit 1
fi
installed
echo "$package $wanted ready in $venv"
