"""Offline checks of deploy/docker/Dockerfile and the root .dockerignore (run by
deploy/check.sh; no Docker engine needed).

The Dockerfile is parsed with the `dockerfile` package, which wraps BuildKit's own
parser, so a syntax error fails here as it would in `docker build`. Then: the builder
is the official Rust image and builds the three binaries with --release --locked and
cache mounts; the runtime stage runs as the numeric non-root user 65532; every binary a
rendered manifest runs is one the image installs; the build context leaves out what
must not be sent.

Usage: check_dockerfile.py DOCKERFILE DOCKERIGNORE RENDERED.yaml...
"""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

import dockerfile

import check_manifests as cm

BINARIES = ("batch-service", "rest-translator", "soap-translator")
UID = "65532"
IGNORED = ("target", ".dev", ".git")


def stages(commands) -> list[list]:
    """The instructions grouped by stage; instructions before the first FROM (global
    ARGs) are dropped."""
    out: list[list] = []
    for c in commands:
        if c.cmd == "FROM":
            out.append([c])
        elif out:
            out[-1].append(c)
    return out


def check(dockerfile_path: Path, dockerignore: Path, rendered: list[Path]) -> list[str]:
    errors: list[str] = []
    try:
        commands = dockerfile.parse_file(str(dockerfile_path))
    except dockerfile.GoParseError as e:
        return [f"{dockerfile_path}: does not parse: {e}"]
    parts = stages(commands)
    if len(parts) < 2:
        return [f"{dockerfile_path}: expected a builder stage and a runtime stage, found {len(parts)}"]
    builder, runtime = parts[0], parts[-1]

    base = builder[0].value[0]
    if not (base.startswith("rust:") and "bookworm" in base):
        errors.append(f"builder FROM {base!r} is not the official rust:*-bookworm image")
    runs = [c for c in builder if c.cmd == "RUN"]
    build = [c for c in runs if "cargo build" in " ".join(c.value)]
    if len(build) != 1:
        errors.append(f"expected one `cargo build` RUN in the builder, found {len(build)}")
    else:
        script = " ".join(build[0].value)
        # Only the `cargo build` command itself, not the `mkdir -p` after it.
        words = shlex.split(next(part for part in script.split("&&") if "cargo build" in part))
        for flag in ("--release", "--locked"):
            if flag not in words:
                errors.append(f"cargo build lacks {flag}")
        packages = {words[i + 1] for i, w in enumerate(words[:-1]) if w == "-p"}
        if packages != set(BINARIES):
            errors.append(f"cargo build builds {sorted(packages)}, expected {sorted(BINARIES)}")
        mounts = " ".join(build[0].flags)
        for target in ("/usr/local/cargo/registry", "target"):
            if "type=cache" not in mounts or target not in mounts:
                errors.append(f"cargo build has no BuildKit cache mount for {target}")

    users = [c.value[0] for c in runtime if c.cmd == "USER"]
    if not users or users[-1].split(":")[0] != UID:
        errors.append(f"runtime stage does not end as USER {UID} (numeric): {users}")
    installed = set()
    for c in runtime:
        if c.cmd == "COPY" and c.value[-1].rstrip("/") == "/usr/local/bin":
            installed.update(BINARIES)  # the builder collects exactly the built binaries
    if not installed:
        errors.append("runtime stage does not copy the binaries into /usr/local/bin")
    entry = [c.value for c in runtime if c.cmd == "ENTRYPOINT"]
    if entry and entry[-1][0] != "/usr/local/bin/batch-service":
        errors.append(f"ENTRYPOINT is {entry[-1]}, expected /usr/local/bin/batch-service")

    # Every command a manifest runs from our image must be a binary the image has.
    for path in rendered:
        for doc in cm.load(path):
            if doc.get("kind") not in cm.WORKLOAD_KINDS:
                continue
            for c in cm.all_containers(cm.pod_spec(doc)):
                if not c.get("image", "").split(":")[0].endswith("batch-service"):
                    continue
                command = (c.get("command") or ["/usr/local/bin/batch-service"])[0]
                if command not in {f"/usr/local/bin/{b}" for b in BINARIES}:
                    errors.append(f"{path.stem}: {cm.name_of(doc)} container {c['name']} runs {command}, not in the image")

    patterns = {
        line.strip().rstrip("/")
        for line in dockerignore.read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    for entry in IGNORED:
        if entry not in patterns:
            errors.append(f"{dockerignore}: does not exclude {entry}")
    return errors


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        print(__doc__.strip().splitlines()[-1], file=sys.stderr)
        return 2
    errors = check(Path(argv[0]), Path(argv[1]), [Path(p) for p in argv[2:]])
    if errors:
        print(f"FAIL Dockerfile: {len(errors)} problem(s)")
        for e in errors:
            print(f"  - {e}")
        return 1
    print("ok   Dockerfile: parses; builds the three binaries --release --locked with cache mounts; runs as 65532")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
