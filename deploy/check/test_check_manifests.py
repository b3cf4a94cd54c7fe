"""Tests of check_manifests.py: the real renders pass, and each kind of mistake the
checker exists for, planted in a copy of a render, is reported.

Reads the renders deploy/check.sh wrote (DEPLOY_RENDER_DIR, default .dev/deploy-render).
"""

from __future__ import annotations

import copy
import functools
import os
import unittest
from pathlib import Path

import check_manifests as cm

RENDER_DIR = Path(
    os.environ.get("DEPLOY_RENDER_DIR", Path(__file__).resolve().parents[2] / ".dev" / "deploy-render")
)


def rendered(target: str) -> list[dict]:
    """A fresh copy of one render, safe to modify."""
    return copy.deepcopy(_load(target))


@functools.lru_cache(maxsize=None)
def _load(target: str) -> list[dict]:
    path = RENDER_DIR / f"{target}.yaml"
    if not path.exists():
        raise unittest.SkipTest(f"{path} not rendered; run deploy/check.sh")
    return cm.load(path)


def container(docs: list[dict], name: str) -> dict:
    dep = cm.find(docs, "Deployment", cm.SERVER)[0]
    return next(c for c in cm.pod_spec(dep)["containers"] if c["name"] == name)


class RealRenders(unittest.TestCase):
    def test_every_target_passes(self):
        for target in ("base", "dev", "prod"):
            with self.subTest(target=target):
                docs = rendered(target)
                # (Their schemas are checked by check_manifests.py's own run.)
                self.assertEqual(cm.semantic_errors(docs, target), [])

    def test_prod_logs_json_and_autoscales_from_three(self):
        docs = rendered("prod")
        hpa = cm.find(docs, "HorizontalPodAutoscaler")[0]["spec"]
        self.assertEqual((hpa["minReplicas"], hpa["maxReplicas"]), (3, 10))
        env = cm.effective_env(container(docs, "soap-translator"), docs)
        self.assertEqual(env["LOG_FORMAT"], "json")

    def test_dev_has_its_own_postgres_and_secret(self):
        docs = rendered("dev")
        self.assertTrue(cm.find(docs, "Deployment", "postgres"))
        secret = cm.find(docs, "Secret")
        # The generated name carries a hash; the pod's reference was rewritten to it.
        env = cm.effective_env(container(docs, "batch-service"), docs)
        self.assertEqual(env["DATABASE_URL"][0], "secret")
        self.assertIn(env["DATABASE_URL"][1], {s["metadata"]["name"] for s in secret})
        seed = cm.find(docs, "Job", "batch-service-seed-dev")[0]
        spec = cm.pod_spec(seed)
        self.assertEqual(spec["initContainers"][0]["args"], ["migrate"])
        self.assertEqual(spec["containers"][0]["args"], ["seed-dev"])


class PlantedMistakes(unittest.TestCase):
    """Each test breaks one thing in the prod render and expects a message about it."""

    def setUp(self):
        self.docs = rendered("prod")

    def assertReported(self, fragment: str, errors: list[str]):
        self.assertTrue(any(fragment in e for e in errors), f"{fragment!r} not in {errors}")

    def semantic(self):
        return cm.semantic_errors(self.docs, "prod")

    def test_writable_root_filesystem(self):
        del container(self.docs, "soap-translator")["securityContext"]["readOnlyRootFilesystem"]
        self.assertReported("soap-translator: readOnlyRootFilesystem is not true", self.semantic())

    def test_root_user(self):
        container(self.docs, "rest-translator")["securityContext"]["runAsNonRoot"] = False
        self.assertReported("rest-translator: runAsNonRoot is not true", self.semantic())

    def test_missing_resources(self):
        del container(self.docs, "batch-service")["resources"]["limits"]["memory"]
        self.assertReported("batch-service: no resources.limits.memory", self.semantic())

    def test_missing_probe(self):
        del container(self.docs, "batch-service")["readinessProbe"]
        self.assertReported("readinessProbe is not a gRPC probe", self.semantic())
        del container(self.docs, "rest-translator")["livenessProbe"]
        self.assertReported("livenessProbe is not an HTTP probe on /healthz", self.semantic())

    def test_missing_sidecar(self):
        dep = cm.find(self.docs, "Deployment", cm.SERVER)[0]
        cm.pod_spec(dep)["containers"] = [
            c for c in cm.pod_spec(dep)["containers"] if c["name"] != "rest-translator"
        ]
        self.assertReported("expected ['batch-service', 'rest-translator', 'soap-translator']", self.semantic())

    def test_job_that_does_not_migrate(self):
        job = cm.find(self.docs, "Job", cm.MIGRATION_JOB)[0]
        cm.pod_spec(job)["containers"][0]["args"] = ["serve"]
        self.assertReported("does not run `batch-service migrate`", self.semantic())

    def test_drain_longer_than_grace_period(self):
        cm.find(self.docs, "ConfigMap")[0]["data"]["SHUTDOWN_GRACE_SECONDS"] = "40"
        self.assertReported("terminationGracePeriodSeconds 30 leaves no slack", self.semantic())

    def test_soap_requests_outlasting_grace_period(self):
        del cm.find(self.docs, "ConfigMap")[0]["data"]["SOAP_REQUEST_TIMEOUT_MS"]  # default 30 s
        self.assertReported("soap-translator's preStop sleep + SOAP_REQUEST_TIMEOUT_MS = 35 s", self.semantic())

    def test_translator_pointed_away_from_localhost(self):
        env = container(self.docs, "soap-translator")["env"]
        next(v for v in env if v["name"] == "BATCH_SERVICE_URL")["value"] = "http://batch-service:50051"
        self.assertReported("BATCH_SERVICE_URL is 'http://batch-service:50051'", self.semantic())

    def test_dangling_configmap(self):
        cm.find(self.docs, "ConfigMap")[0]["metadata"]["name"] = "renamed"
        self.assertReported("refers to ConfigMap/", self.semantic())

    def test_too_many_database_connections(self):
        cm.find(self.docs, "HorizontalPodAutoscaler")[0]["spec"]["maxReplicas"] = 20
        self.assertReported("over the budget", self.semantic())

    def test_seeding_outside_development(self):
        job = cm.find(self.docs, "Job", cm.MIGRATION_JOB)[0]
        cm.pod_spec(job)["containers"][0]["args"] = ["seed-dev"]
        self.assertReported("runs seed-dev, which only development targets may", self.semantic())

    def test_unpinned_image(self):
        container(self.docs, "batch-service")["image"] = "batch-service:latest"
        self.assertReported("has no pinned tag", self.semantic())

    def test_misspelt_field_fails_strict_schema(self):
        dep = cm.find(self.docs, "Deployment", cm.SERVER)[0]
        dep["spec"]["template"]["spec"]["terminationGracePeriod"] = 30
        self.assertReported("terminationGracePeriod", cm.schema_errors([dep], ["1.37"]))

    def test_wrong_type_fails_schema(self):
        container(self.docs, "batch-service")["ports"][0]["containerPort"] = "50051"
        dep = cm.find(self.docs, "Deployment", cm.SERVER)[0]
        self.assertReported("containerPort", cm.schema_errors([dep], ["1.30"]))

    def test_unknown_kind_is_an_error(self):
        errors = cm.schema_errors([{"apiVersion": "example.com/v1", "kind": "Nonsense", "metadata": {"name": "x"}}], ["1.37"])
        self.assertReported("Couldn't find schema", errors)


if __name__ == "__main__":
    unittest.main()
