#!/usr/bin/env bash
# Creates tests/toolkit/.venv with the Python SOAP toolkit (zeep) that the
# `toolkit` end-to-end test drives. Idempotent: does nothing when the venv already
# imports the pinned zeep. Needs python3 with the venv module and access to PyPI.
#
#   translators/soap/tests/toolkit/setup.sh        # from anywhere
#   PYTHON=python3.12 translators/soap/tests/toolkit/setup.sh
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="$here/.venv"
python="${PYTHON:-python3}"
wanted="$(grep -E '^zeep==' "$here/requirements.txt" | cut -d= -f3)"

if [[ -x "$venv/bin/python" ]] &&
    "$venv/bin/python" -c "import zeep, sys; sys.exit(zeep.__version__ != '$wanted')" 2>/dev/null; then
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
    echo "setup.sh: pip could not install $(tr '\n' ' ' <"$here/requirements.txt")" >&2
    exit 1
fi
"$venv/bin/python" -c "import zeep; print('zeep', zeep.__version__, 'ready in $venv')"
