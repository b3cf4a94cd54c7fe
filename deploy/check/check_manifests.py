"""Offline checks of the rendered Kubernetes manifests (run by deploy/check.sh).

Two kinds of check, over each `kubectl kustomize` output given on the command line:

* schema: every object against the Kubernetes OpenAPI schemas shipped inside the
  `kubernetes-validate` package, in strict mode (an unknown or misspelt field is an
  error), for each Kubernetes version the stack supports;
* semantics: what deploy/README.md promises and a schema cannot see, e.g. that the
  server pod runs the three binaries, that every container is locked down and has
  resources and probes, that the migration Job runs `migrate`, that every reference
  resolves and that the shutdown budget adds up.

The file name (without `.yaml`) names the target: `base`, `dev`, `prod` have expectations
of their own in TARGETS; any other overlay gets the checks every target gets.
Exits 1 and lists every problem if there is one.
"""

from __future__ import annotations

import argparse
import functools
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

import yaml

# Oldest and newest Kubernetes the manifests must be valid for. 1.30 is the floor:
# lifecycle.preStop.sleep (the image has no `sleep` binary) is on by default from 1.30.
DEFAULT_K8S_VERSIONS = ("1.30", "1.37")

SERVER = "batch-service"  # Deployment, Service, HPA, PDB and ServiceAccount name
MIGRATION_JOB = "batch-service-migrate"
DATABASE_SECRET = ("batch-database", "url")
SERVICE_URL_IN_POD = "http://127.0.0.1:50051"
UID = 65532

# Containers of the server pod and the ports each one listens on, by env variable.
POD_CONTAINERS = {
    "batch-service": {"GRPC_LISTEN_ADDR": 50051, "METRICS_LISTEN_ADDR": 9090},
    "rest-translator": {"REST_LISTEN_ADDR": 8080, "METRICS_LISTEN_ADDR": 9091},
    "soap-translator": {"SOAP_LISTEN_ADDR": 8081, "METRICS_LISTEN_ADDR": 9092},
}
TRANSLATORS = ("rest-translator", "soap-translator")
# What bounds each container's drain after SIGTERM: (variable, unit in ms, default ms).
# The service drains for SHUTDOWN_GRACE_SECONDS; a translator finishes its in-flight
# requests, each bounded by its request timeout.
DRAIN = {
    "batch-service": ("SHUTDOWN_GRACE_SECONDS", 1000, 20_000),
    "rest-translator": ("REST_REQUEST_TIMEOUT_MS", 1, 10_000),
    "soap-translator": ("SOAP_REQUEST_TIMEOUT_MS", 1, 30_000),
}
SERVICE_PORTS = {"grpc": 50051, "rest": 8080, "soap": 8081}

# Connections PostgreSQL can give the service: the default max_connections (100) less
# room for superusers, the migration Job and an operator's psql.
DB_CONNECTION_BUDGET = 90

WORKLOAD_KINDS = {"Deployment", "StatefulSet", "DaemonSet", "Job"}


@dataclass(frozen=True)
class Target:
    """What one rendered target must look like beyond the common checks."""

    # The namespace every namespaced object must be in (None: left unset, as in base).
    namespace: str | None
    # (min, max) of the HPA, or None when the target must have no HPA.
    hpa: tuple[int, int] | None
    # Fixed Deployment replicas, or None when the HPA owns the count.
    replicas: int | None
    log_format: str
    # Whether the render itself must contain the `batch-database` Secret.
    provides_database_secret: bool
    # Whether images must carry an explicit, non-latest tag.
    pinned_images: bool
    # Whether a Job may run `seed-dev` (demo credentials): development only.
    seeds: bool = False


TARGETS = {
    "base": Target(None, (2, 5), None, "text", False, False),
    "dev": Target("batch-dev", None, 1, "text", True, True, seeds=True),
    "prod": Target("batch", (3, 10), None, "json", False, True),
}
# An overlay not listed above: deployable, so images are pinned, the rest is free.
GENERIC = Target(None, None, None, "", False, True)


# ---------------------------------------------------------------------------------
# Loading


# libyaml's parser when PyYAML was built with it (its wheels are): ten times faster.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load(path: Path) -> list[dict[str, Any]]:
    """The objects of one rendered file, in order, empty documents dropped."""
    with path.open() as f:
        return [doc for doc in yaml.load_all(f, Loader=_LOADER) if doc]


def name_of(doc: dict[str, Any]) -> str:
    return f"{doc.get('kind')}/{doc.get('metadata', {}).get('name')}"


def find(docs: Iterable[dict[str, Any]], kind: str, name: str | None = None):
    """Objects of one kind (and name), in render order."""
    return [
        d
        for d in docs
        if d.get("kind") == kind and (name is None or d["metadata"].get("name") == name)
    ]


def pod_spec(doc: dict[str, Any]) -> dict[str, Any]:
    return doc["spec"]["template"]["spec"]


def all_containers(spec: dict[str, Any]) -> list[dict[str, Any]]:
    return list(spec.get("initContainers", [])) + list(spec.get("containers", []))


def is_database_secret(value: Any, docs: list[dict[str, Any]]) -> bool:
    """Whether an env value comes from the database Secret's `url` key: `batch-database`
    itself, or the hash-suffixed name kustomize gives it when an overlay generates it."""
    if not (isinstance(value, tuple) and value[0] == "secret" and value[2] == DATABASE_SECRET[1]):
        return False
    name = value[1]
    if name == DATABASE_SECRET[0]:
        return True
    return bool(re.fullmatch(re.escape(DATABASE_SECRET[0]) + r"-[a-z0-9]{10}", name)) and bool(
        find(docs, "Secret", name)
    )


def effective_env(container: dict[str, Any], docs: list[dict[str, Any]]) -> dict[str, Any]:
    """The container's environment as the kubelet builds it: envFrom ConfigMaps first,
    then `env`, which wins. Secret-backed values are ("secret", name, key) tuples."""
    env: dict[str, Any] = {}
    for source in container.get("envFrom", []):
        ref = source.get("configMapRef")
        if ref:
            for cm in find(docs, "ConfigMap", ref["name"]):
                env.update(cm.get("data", {}))
    for var in container.get("env", []):
        if "value" in var:
            env[var["name"]] = var["value"]
        elif "secretKeyRef" in var.get("valueFrom", {}):
            ref = var["valueFrom"]["secretKeyRef"]
            env[var["name"]] = ("secret", ref["name"], ref["key"])
        else:
            env[var["name"]] = ("from", var.get("valueFrom"))
    return env


# ---------------------------------------------------------------------------------
# Schema


@functools.lru_cache(maxsize=None)
def _validator():
    """kubernetes_validate.utils with its schema reads cached: it re-reads and re-parses
    the (large) definitions file for every object otherwise."""
    import kubernetes_validate.utils as utils

    utils.schema_contents = functools.lru_cache(maxsize=None)(utils.schema_contents)
    return utils


def schema_errors(docs: list[dict[str, Any]], versions: Iterable[str]) -> list[str]:
    utils = _validator()
    errors = []
    for version in versions:
        for doc in docs:
            try:
                utils.validate(doc, version, strict=True)
            except utils.ValidationError as e:
                path = ".".join(str(p) for p in e.path) or "(top)"
                errors.append(f"{name_of(doc)}: Kubernetes {version} schema: {path}: {e.message}")
            except utils.SchemaNotFoundError as e:
                # The library only warns here; an object no cluster knows is an error.
                errors.append(f"{name_of(doc)}: {e.message}")
            except utils.VersionNotSupportedError:
                errors.append(f"kubernetes-validate has no schemas for Kubernetes {version}")
                break
    return errors


# ---------------------------------------------------------------------------------
# Semantics


@dataclass
class Report:
    errors: list[str] = field(default_factory=list)

    def check(self, ok: bool, message: str) -> bool:
        if not ok:
            self.errors.append(message)
        return ok


def check_hardening(r: Report, doc: dict[str, Any], target: Target) -> None:
    """Every workload: non-root, read-only, no privileges, resources, no API token."""
    where = name_of(doc)
    spec = pod_spec(doc)
    psc = spec.get("securityContext", {})
    r.check(psc.get("runAsNonRoot") is True, f"{where}: pod securityContext.runAsNonRoot is not true")
    r.check(
        psc.get("seccompProfile", {}).get("type") == "RuntimeDefault",
        f"{where}: pod securityContext.seccompProfile is not RuntimeDefault",
    )
    r.check(
        spec.get("automountServiceAccountToken") is False,
        f"{where}: automountServiceAccountToken is not false",
    )
    for c in all_containers(spec):
        at = f"{where} container {c['name']}"
        sc = c.get("securityContext", {})
        r.check(sc.get("readOnlyRootFilesystem") is True, f"{at}: readOnlyRootFilesystem is not true")
        r.check(sc.get("runAsNonRoot") is True, f"{at}: runAsNonRoot is not true")
        r.check(sc.get("allowPrivilegeEscalation") is False, f"{at}: allowPrivilegeEscalation is not false")
        r.check("ALL" in sc.get("capabilities", {}).get("drop", []), f"{at}: capabilities do not drop ALL")
        r.check(
            sc.get("seccompProfile", {}).get("type") == "RuntimeDefault",
            f"{at}: securityContext.seccompProfile is not RuntimeDefault",
        )
        resources = c.get("resources", {})
        for kind in ("requests", "limits"):
            for res in ("cpu", "memory"):
                r.check(res in resources.get(kind, {}), f"{at}: no resources.{kind}.{res}")
        image = c.get("image", "")
        if target.pinned_images:
            tag = image.rsplit("/", 1)[-1].partition(":")[2]
            r.check(
                bool(tag) and tag != "latest" or "@sha256:" in image,
                f"{at}: image {image!r} has no pinned tag",
            )


def check_server(r: Report, docs: list[dict[str, Any]], target: Target) -> None:
    deployments = find(docs, "Deployment", SERVER)
    if not r.check(len(deployments) == 1, f"expected one Deployment/{SERVER}, found {len(deployments)}"):
        return
    dep = deployments[0]
    spec = pod_spec(dep)
    containers = {c["name"]: c for c in spec.get("containers", [])}
    r.check(
        sorted(containers) == sorted(POD_CONTAINERS),
        f"Deployment/{SERVER}: containers are {sorted(containers)}, expected {sorted(POD_CONTAINERS)}",
    )
    images = {c.get("image") for c in containers.values()}
    r.check(len(images) == 1, f"Deployment/{SERVER}: containers run different images {sorted(images)}")

    r.check(
        dep["spec"].get("replicas") == target.replicas,
        f"Deployment/{SERVER}: replicas is {dep['spec'].get('replicas')}, expected {target.replicas}",
    )
    r.check(
        spec.get("serviceAccountName") == SERVER and find(docs, "ServiceAccount", SERVER),
        f"Deployment/{SERVER}: does not run as ServiceAccount/{SERVER} of this render",
    )
    for sa in find(docs, "ServiceAccount"):
        r.check(
            sa.get("automountServiceAccountToken") is False,
            f"{name_of(sa)}: automountServiceAccountToken is not false",
        )

    keys = {c.get("topologyKey") for c in spec.get("topologySpreadConstraints", [])}
    for key in ("topology.kubernetes.io/zone", "kubernetes.io/hostname"):
        r.check(key in keys, f"Deployment/{SERVER}: no topology spread over {key}")

    envs = {name: effective_env(c, docs) for name, c in containers.items()}
    for name, c in containers.items():
        at = f"Deployment/{SERVER} container {name}"
        env = envs[name]
        ports = {p["containerPort"] for p in c.get("ports", [])}
        for var, port in POD_CONTAINERS.get(name, {}).items():
            r.check(port in ports, f"{at}: does not declare containerPort {port}")
            r.check(
                env.get(var, f":{port}").endswith(f":{port}"),
                f"{at}: {var}={env.get(var)!r} does not listen on the declared port {port}",
            )
        r.check(
            isinstance(c.get("lifecycle", {}).get("preStop", {}).get("sleep", {}).get("seconds"), int),
            f"{at}: no preStop sleep (endpoints must be removed before SIGTERM)",
        )

    service = containers.get("batch-service")
    if service:
        at = f"Deployment/{SERVER} container batch-service"
        r.check(service.get("args", [None])[0] in (None, "serve"), f"{at}: does not run `serve`")
        for probe in ("readinessProbe", "livenessProbe"):
            r.check(
                service.get(probe, {}).get("grpc", {}).get("port") == SERVICE_PORTS["grpc"],
                f"{at}: {probe} is not a gRPC probe on port {SERVICE_PORTS['grpc']}",
            )
        r.check(
            is_database_secret(envs["batch-service"].get("DATABASE_URL"), docs),
            f"{at}: DATABASE_URL does not come from Secret {DATABASE_SECRET[0]} key {DATABASE_SECRET[1]}",
        )
    for name in TRANSLATORS:
        c = containers.get(name)
        if not c:
            continue
        at = f"Deployment/{SERVER} container {name}"
        for probe, path in (("livenessProbe", "/healthz"), ("readinessProbe", "/readyz")):
            r.check(
                c.get(probe, {}).get("httpGet", {}).get("path") == path,
                f"{at}: {probe} is not an HTTP probe on {path}",
            )
        r.check(
            envs[name].get("BATCH_SERVICE_URL") == SERVICE_URL_IN_POD,
            f"{at}: BATCH_SERVICE_URL is {envs[name].get('BATCH_SERVICE_URL')!r}, expected {SERVICE_URL_IN_POD}",
        )
        # docs/contract.md: translators never open a database connection.
        r.check("DATABASE_URL" not in envs[name], f"{at}: has DATABASE_URL; translators never see the database")

    check_shutdown_budget(r, spec, containers, envs)

    if target.log_format:
        for name, env in envs.items():
            r.check(
                env.get("LOG_FORMAT") == target.log_format,
                f"Deployment/{SERVER} container {name}: LOG_FORMAT is {env.get('LOG_FORMAT')!r}, "
                f"expected {target.log_format!r}",
            )

    pod_labels = dep["spec"]["template"]["metadata"].get("labels", {})
    check_service(r, docs, pod_labels, containers)
    check_pdb_hpa(r, docs, dep, pod_labels, target, envs.get("batch-service", {}))


def check_shutdown_budget(r: Report, spec, containers, envs) -> None:
    """terminationGracePeriodSeconds covers the slowest container's preStop + drain, and
    the service stops no earlier than the translators that call it."""
    grace = spec.get("terminationGracePeriodSeconds", 30)

    def sleep_of(c):
        return c.get("lifecycle", {}).get("preStop", {}).get("sleep", {}).get("seconds", 0)

    for name, c in containers.items():
        var, unit_ms, default_ms = DRAIN.get(name, ("SHUTDOWN_GRACE_SECONDS", 1000, 20_000))
        drain_s = -(-int(envs[name].get(var, default_ms // unit_ms)) * unit_ms // 1000)
        needed = sleep_of(c) + drain_s
        r.check(
            grace > needed,
            f"Deployment/{SERVER}: terminationGracePeriodSeconds {grace} leaves no slack over "
            f"{name}'s preStop sleep + {var} = {needed} s",
        )
    if "batch-service" in containers:
        for name in TRANSLATORS:
            if name in containers:
                r.check(
                    sleep_of(containers["batch-service"]) >= sleep_of(containers[name]),
                    f"Deployment/{SERVER}: batch-service gets SIGTERM before {name}, which still calls it",
                )


def selects(selector: dict[str, str], labels: dict[str, str]) -> bool:
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


def check_service(r: Report, docs, pod_labels, containers) -> None:
    services = find(docs, "Service", SERVER)
    if not r.check(len(services) == 1, f"expected one Service/{SERVER}, found {len(services)}"):
        return
    svc = services[0]
    r.check(
        selects(svc["spec"].get("selector", {}), pod_labels),
        f"Service/{SERVER}: selector does not match the Deployment's pod labels",
    )
    named = {p["name"]: p["containerPort"] for c in containers.values() for p in c.get("ports", []) if "name" in p}
    by_name = {p["name"]: p for p in svc["spec"].get("ports", [])}
    for name, port in SERVICE_PORTS.items():
        r.check(
            by_name.get(name, {}).get("port") == port, f"Service/{SERVER}: no port {name} on {port}"
        )
    for p in svc["spec"].get("ports", []):
        target = p.get("targetPort", p["port"])
        r.check(
            target in named or target in named.values(),
            f"Service/{SERVER}: port {p['name']} targets {target!r}, which no container declares",
        )


def check_pdb_hpa(r: Report, docs, dep, pod_labels, target: Target, service_env) -> None:
    pdbs = find(docs, "PodDisruptionBudget")
    r.check(
        any(selects(p["spec"]["selector"].get("matchLabels", {}), pod_labels) for p in pdbs),
        f"no PodDisruptionBudget selects the Deployment/{SERVER} pods",
    )
    hpas = find(docs, "HorizontalPodAutoscaler")
    if target.hpa is None:
        r.check(not hpas, f"expected no HorizontalPodAutoscaler, found {[name_of(h) for h in hpas]}")
        most = dep["spec"].get("replicas", 1)
    else:
        if not r.check(len(hpas) == 1, f"expected one HorizontalPodAutoscaler, found {len(hpas)}"):
            return
        hpa = hpas[0]["spec"]
        ref = hpa["scaleTargetRef"]
        r.check(
            (ref["kind"], ref["name"]) == ("Deployment", SERVER),
            f"HorizontalPodAutoscaler scales {ref['kind']}/{ref['name']}, not Deployment/{SERVER}",
        )
        got = (hpa.get("minReplicas", 1), hpa["maxReplicas"])
        r.check(got == target.hpa, f"HorizontalPodAutoscaler min/max is {got}, expected {target.hpa}")
        r.check(
            any(m.get("resource", {}).get("name") == "cpu" for m in hpa.get("metrics", [])),
            "HorizontalPodAutoscaler does not scale on CPU",
        )
        most = got[1]
    pool = int(service_env.get("DB_POOL_SIZE", 16))
    r.check(
        most * pool <= DB_CONNECTION_BUDGET,
        f"up to {most} replicas x DB_POOL_SIZE {pool} = {most * pool} connections, "
        f"over the budget of {DB_CONNECTION_BUDGET}",
    )


def check_migration(r: Report, docs) -> None:
    jobs = find(docs, "Job", MIGRATION_JOB)
    if not r.check(len(jobs) == 1, f"expected one Job/{MIGRATION_JOB}, found {len(jobs)}"):
        return
    job = jobs[0]
    at = f"Job/{MIGRATION_JOB}"
    spec = pod_spec(job)
    containers = spec.get("containers", [])
    if not r.check(len(containers) == 1, f"{at}: expected one container"):
        return
    c = containers[0]
    r.check(
        c.get("command", [""])[-1].endswith("batch-service") and c.get("args") == ["migrate"],
        f"{at}: does not run `batch-service migrate` (command {c.get('command')}, args {c.get('args')})",
    )
    r.check(spec.get("restartPolicy") in ("Never", "OnFailure"), f"{at}: restartPolicy must be Never or OnFailure")
    r.check(isinstance(job["spec"].get("backoffLimit"), int), f"{at}: no backoffLimit")
    r.check(isinstance(job["spec"].get("ttlSecondsAfterFinished"), int), f"{at}: no ttlSecondsAfterFinished")
    r.check(
        is_database_secret(effective_env(c, docs).get("DATABASE_URL"), docs),
        f"{at}: DATABASE_URL does not come from Secret {DATABASE_SECRET[0]} key {DATABASE_SECRET[1]}",
    )
    server = find(docs, "Deployment", SERVER)
    if server:
        images = {x.get("image") for x in pod_spec(server[0]).get("containers", [])}
        r.check(c.get("image") in images, f"{at}: runs image {c.get('image')!r}, not the server's {sorted(images)}")


def check_seeding(r: Report, docs, target: Target) -> None:
    """Demo credentials exist in development only (docs/contract.md: production never seeds)."""
    seeding = [
        f"{name_of(doc)} container {c['name']}"
        for doc in docs
        if doc.get("kind") in WORKLOAD_KINDS
        for c in all_containers(pod_spec(doc))
        if "seed-dev" in c.get("args", []) + c.get("command", [])
    ]
    if target.seeds:
        r.check(bool(seeding), "no Job runs `batch-service seed-dev` in a development target")
    else:
        for where in seeding:
            r.errors.append(f"{where}: runs seed-dev, which only development targets may")


def check_references(r: Report, docs, target: Target) -> None:
    """Every ConfigMap, Secret and ServiceAccount a pod names is in the render, except the
    database Secret where the operator creates it."""
    have = {(d["kind"], d["metadata"]["name"]) for d in docs}
    external = set() if target.provides_database_secret else {("Secret", DATABASE_SECRET[0])}
    if target.provides_database_secret:
        secrets = [
            s
            for s in find(docs, "Secret")
            if is_database_secret(("secret", s["metadata"]["name"], DATABASE_SECRET[1]), docs)
            and DATABASE_SECRET[1] in {**s.get("data", {}), **s.get("stringData", {})}
        ]
        r.check(
            len(secrets) == 1,
            f"Secret/{DATABASE_SECRET[0]} with key {DATABASE_SECRET[1]} is missing from the render",
        )
    for doc in docs:
        if doc.get("kind") not in WORKLOAD_KINDS:
            continue
        spec = pod_spec(doc)
        wanted = set()
        if spec.get("serviceAccountName"):
            wanted.add(("ServiceAccount", spec["serviceAccountName"]))
        for c in all_containers(spec):
            for source in c.get("envFrom", []):
                for key, kind in (("configMapRef", "ConfigMap"), ("secretRef", "Secret")):
                    if key in source and not source[key].get("optional"):
                        wanted.add((kind, source[key]["name"]))
            for var in c.get("env", []):
                for key, kind in (("configMapKeyRef", "ConfigMap"), ("secretKeyRef", "Secret")):
                    ref = var.get("valueFrom", {}).get(key)
                    if ref and not ref.get("optional"):
                        wanted.add((kind, ref["name"]))
        for vol in spec.get("volumes", []):
            if "configMap" in vol:
                wanted.add(("ConfigMap", vol["configMap"]["name"]))
            if "secret" in vol:
                wanted.add(("Secret", vol["secret"]["secretName"]))
        for ref in sorted(wanted - have - external):
            r.errors.append(f"{name_of(doc)}: refers to {ref[0]}/{ref[1]}, which is not in the render")


def check_namespaces(r: Report, docs, target: Target) -> None:
    if target.namespace is None:
        return
    for doc in docs:
        if doc["kind"] == "Namespace":
            continue
        ns = doc["metadata"].get("namespace")
        r.check(ns == target.namespace, f"{name_of(doc)}: namespace {ns!r}, expected {target.namespace!r}")


def semantic_errors(docs: list[dict[str, Any]], target_name: str) -> list[str]:
    target = TARGETS.get(target_name, GENERIC)
    r = Report()
    for doc in docs:
        if doc.get("kind") in WORKLOAD_KINDS:
            check_hardening(r, doc, target)
    check_server(r, docs, target)
    check_migration(r, docs)
    check_seeding(r, docs, target)
    check_references(r, docs, target)
    check_namespaces(r, docs, target)
    return r.errors


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("rendered", nargs="+", type=Path, help="kubectl kustomize output, one file per target")
    parser.add_argument(
        "--k8s-version",
        action="append",
        dest="versions",
        help=f"Kubernetes version to validate against (repeatable; default {' '.join(DEFAULT_K8S_VERSIONS)})",
    )
    args = parser.parse_args(argv)
    versions = args.versions or list(DEFAULT_K8S_VERSIONS)

    failed = 0
    for path in args.rendered:
        target = path.stem
        docs = load(path)
        errors = schema_errors(docs, versions) + semantic_errors(docs, target)
        if errors:
            failed += 1
            print(f"FAIL {target}: {len(errors)} problem(s)")
            for e in errors:
                print(f"  - {e}")
        else:
            kinds = sorted({d["kind"] for d in docs})
            print(
                f"ok   {target}: {len(docs)} objects ({', '.join(kinds)}) valid for Kubernetes "
                f"{', '.join(versions)}; semantic checks passed"
            )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
