"""Tests of check_dockerfile.py: the real Dockerfile passes, broken copies do not."""

from __future__ import annotations

import tempfile
import unittest
from pathlib import Path

import check_dockerfile as cd
from test_check_manifests import RENDER_DIR

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "deploy" / "docker" / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"


class DockerfileChecks(unittest.TestCase):
    def errors_with(self, dockerfile_text: str, dockerignore_text: str | None = None) -> list[str]:
        with tempfile.TemporaryDirectory() as tmp:
            df = Path(tmp) / "Dockerfile"
            di = Path(tmp) / ".dockerignore"
            df.write_text(dockerfile_text)
            di.write_text(DOCKERIGNORE.read_text() if dockerignore_text is None else dockerignore_text)
            return cd.check(df, di, sorted(RENDER_DIR.glob("*.yaml")))

    def test_real_dockerfile_passes(self):
        self.assertEqual(self.errors_with(DOCKERFILE.read_text()), [])

    def test_root_user(self):
        text = DOCKERFILE.read_text().replace("USER 65532:65532", "USER root")
        self.assertTrue(any("USER 65532" in e for e in self.errors_with(text)))

    def test_unlocked_build(self):
        text = DOCKERFILE.read_text().replace("--release --locked", "--release")
        self.assertIn("cargo build lacks --locked", self.errors_with(text))

    def test_missing_binary(self):
        text = DOCKERFILE.read_text().replace("-p soap-translator", "")
        self.assertTrue(any("expected ['batch-service'" in e for e in self.errors_with(text)))

    def test_syntax_error(self):
        self.assertTrue(any("does not parse" in e for e in self.errors_with("FROM rust:1\nRUN <<EOF\n")))

    def test_context_sends_target(self):
        errors = self.errors_with(DOCKERFILE.read_text(), ".git\n.dev/\n")
        self.assertTrue(any("does not exclude target" in e for e in errors))


if __name__ == "__main__":
    unittest.main()
