"""The deploy forms validate, stay complete and stay hardened (static checks only)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml
from conftest import COMPOSE_FILES, OVERLAYS, ROOT, run
from envvars import SERVICES, all_variables, gateway_variables, service_variables

# Kubernetes releases the manifests must validate against: the oldest we support (the
# preStop sleep action needs 1.30) and the newest the validator knows.
K8S_VERSIONS = ("1.30.0", "1.37.0")
DOCKERFILES = [f"services/{s}/Dockerfile" for s in SERVICES] + ["gateway/Dockerfile"]

# Variables a deploy form may leave to the code's default, and why. Everything else the
# code reads must be set explicitly in each deploy form (or by the image).
DEFAULTED = {
    "DATABASE_URL": "alternative to POSTGRES_HOST/PORT/DB + DB_PASSWORD, which are set",
    "DB_SCHEMA": "defaults to the service name, the schema db_bootstrap.py creates",
    "DB_CONNECT_TIMEOUT": "tuning; the default suits every form",
    "DB_CONN_MAX_AGE": "tuning; the default suits every form",
    "CACHE_KEY_PREFIX": "defaults to the service name",
    "CACHE_TIMEOUT": "tuning",
    "SESSION_COOKIE_SECURE": "on by default when DJANGO_ENV=production",
    "CSRF_COOKIE_SECURE": "on by default when DJANGO_ENV=production",
    "COLLECTSTATIC_ON_START": "images collect static files at build time",
    "HEALTH_TIMEOUT_SECONDS": "tuning",
    "MAX_PAGE_SIZE": "API contract default",
    "JWT_ALGORITHMS": "RS256 is the contract",
    "JWT_JWKS_URL": "derived from IDENTITY_INTERNAL_URL, which is set",
    "API_KEY_INTROSPECTION_URL": "derived from IDENTITY_INTERNAL_URL, which is set",
    "JWT_JWKS_CACHE_SECONDS": "tuning",
    "JWT_JWKS_MIN_REFETCH_SECONDS": "tuning",
    "JWT_JWKS_TIMEOUT_SECONDS": "tuning",
    "JWT_LEEWAY_SECONDS": "tuning",
    "JWT_VERIFIED_CACHE_SIZE": "tuning",
    "JWT_REVOCATION_SYNC_SECONDS": "tuning",
    "API_KEY_CACHE_SECONDS": "tuning",
    "GUNICORN_BIND": "derived from PORT, which the image sets",
    "GUNICORN_WORKER_CLASS": "sync workers, chosen by benchmark (bench/)",
    "GUNICORN_THREADS": "sync workers, chosen by benchmark (bench/)",
    "GUNICORN_LOG_LEVEL": "tuning",
    "GUNICORN_TIMEOUT": "tuning (the production forms set it)",
    "GUNICORN_GRACEFUL_TIMEOUT": "tuning (the production forms set it)",
    "GUNICORN_KEEPALIVE": "tuning (the production forms set it)",
    "GUNICORN_MAX_REQUESTS": "tuning (the production forms set it)",
    "GUNICORN_MAX_REQUESTS_JITTER": "tuning (the production forms set it)",
    "CELERY_RESULT_BACKEND": "defaults to REDIS_URL, which is set",
    "CELERY_RESULT_EXPIRES_SECONDS": "tuning",
    "CELERY_PREFETCH_MULTIPLIER": "tuning (1 suits acks_late)",
    "CELERY_TASK_SOFT_TIME_LIMIT_SECONDS": "tuning",
    "CELERY_TASK_TIME_LIMIT_SECONDS": "tuning",
    "CELERY_BROKER_HEARTBEAT_SECONDS": "tuning",
    "CELERY_PUBLISH_CONFIRM_TIMEOUT_SECONDS": "tuning",
    "CELERY_BEAT_SCHEDULE_FILENAME": "beat runs with --schedule /tmp/celerybeat-schedule",
    "ADMIN_AUTH_TIMEOUT_SECONDS": "tuning",
    # identity
    "JWT_PRIVATE_KEY": "alternative to JWT_PRIVATE_KEY_FILE, which is set",
    "JWT_PREVIOUS_PUBLIC_KEYS": "signing.previous.pem beside the key file is read instead",
    "JWT_PREVIOUS_PUBLIC_KEYS_FILE": "signing.previous.pem beside the key file is read instead",
    "JWT_KEY_RELOAD_SECONDS": "tuning",
    "JWT_ACCESS_TOKEN_SECONDS": "the contract's 15 minutes",
    "JWT_REFRESH_TOKEN_SECONDS": "product default",
    "USER_TOKEN_SCOPES": "product default",
    "LOGIN_LOCKOUT_THRESHOLD": "product default",
    "LOGIN_LOCKOUT_SECONDS": "product default",
    "LOGIN_FAILURE_WINDOW_SECONDS": "product default",
    "LOGIN_IP_MAX_FAILURES": "product default",
    "LOGIN_IP_WINDOW_SECONDS": "product default",
    "TRUSTED_PROXY_HOPS": "one proxy, the gateway, in every form",
    "EMAIL_VERIFICATION_SECONDS": "product default",
    "PASSWORD_RESET_SECONDS": "product default",
    "EMAIL_COOLDOWN_SECONDS": "product default",
    "API_KEY_LAST_USED_RESOLUTION_SECONDS": "tuning",
    # catalog
    "CATALOG_CACHE_ENABLED": "on in every form; off only to measure or debug",
    "CATALOG_CACHE_SECONDS": "tuning",
    "CATALOG_MAX_IMAGE_BYTES": "product default",
    "CATALOG_MAX_IMAGES_PER_PRODUCT": "product default",
    "CATALOG_SEARCH_TRIGRAM_THRESHOLD": "tuning (search relevance)",
    # orders
    "CART_MAX_LINES": "product default",
    "CART_MAX_LINE_QUANTITY": "product default",
    "ORDER_PAYMENT_TIMEOUT_MINUTES": "product default",
    "ORDER_MAX_PAYMENT_ATTEMPTS": "product default",
    "ORDER_PENDING_TIMEOUT_SECONDS": "product default",
    "ORDER_IDEMPOTENCY_KEY_RETENTION_HOURS": "product default",
    "ORDER_EXPIRY_SWEEP_SECONDS": "tuning",
    "PAYMENT_DEFAULT_PROVIDER": "test, the only provider there is; set it with PAYMENT_PROVIDERS",
    "PAYMENT_WEBHOOK_TOLERANCE_SECONDS": "tuning (accepted clock skew of signed webhooks)",
    # gateway
    "GATEWAY_RATE_GENERAL": "the gateway's tuned default",
    "GATEWAY_BURST_GENERAL": "the gateway's tuned default",
    "GATEWAY_RATE_AUTH": "the gateway's tuned default",
    "GATEWAY_BURST_AUTH": "the gateway's tuned default",
    "GATEWAY_MAX_BODY": "the gateway's tuned default",
    "GATEWAY_MAX_BODY_BUILDS": "the gateway's tuned default",
    "GATEWAY_MAX_BODY_UPLOADS": "the gateway's tuned default",
    "GATEWAY_PROXY_CONNECT_TIMEOUT": "the gateway's tuned default",
    "GATEWAY_PROXY_READ_TIMEOUT": "the gateway's tuned default",
}


def procfile_processes() -> dict[str, set[str]]:
    """service -> its process types, from the Procfile (`catalog` is web, `catalog-relay` relay)."""
    processes: dict[str, set[str]] = {s: set() for s in SERVICES}
    for line in (ROOT / "Procfile").read_text().splitlines():
        name = line.partition(":")[0].strip()
        service, _, process = name.partition("-")
        if service in processes:
            processes[service].add(process or "web")
    return processes


def dockerfile_env(path: str) -> dict[str, str]:
    """ENV of a Dockerfile's final stage."""
    text = (ROOT / path).read_text().replace("\\\n", " ")
    final = text[text.rindex("\nFROM ") :]
    env = {}
    for line in final.splitlines():
        if line.startswith("ENV "):
            env.update(re.findall(r"([A-Z][A-Z0-9_]*)=(\S+)", line))
    return env


def env_file_keys(path: Path) -> set[str]:
    return set(re.findall(r"^\s*#?\s*([A-Z][A-Z0-9_]*)=", path.read_text(), re.MULTILINE))


# --- the tools, the files validate -------------------------------------------------------


@pytest.mark.parametrize("name", COMPOSE_FILES)
def test_compose_file_passes_config(tools, name):
    result = run([str(tools / "docker-compose"), "-f", name, "config", "--quiet"])
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_overlay_objects_validate_against_kubernetes_schemas(tools, rendered, tmp_path, overlay):
    manifest = tmp_path / f"{overlay}.yaml"
    manifest.write_text(yaml.safe_dump_all(rendered[overlay]))
    for version in K8S_VERSIONS:
        result = run(
            [str(tools / "kubernetes-validate"), "--strict", "--quiet", "-k", version, str(manifest)]
        )
        assert result.returncode == 0, f"{overlay} against {version}:\n{result.stdout}{result.stderr}"


def test_schema_validation_rejects_a_broken_object(tools, tmp_path):
    """Guard against a validator that passes everything."""
    broken = tmp_path / "broken.yaml"
    broken.write_text(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\n"
        "spec: {replicas: two, selector: {}, template: {spec: {containers: [{name: a, imagePullPolicy: 3}]}}}\n"
    )
    result = run([str(tools / "kubernetes-validate"), "--strict", "--quiet", str(broken)])
    assert result.returncode != 0


def test_dockerfiles_pass_hadolint(tools):
    result = run([str(tools / "hadolint"), *DOCKERFILES])
    assert result.returncode == 0, result.stdout + result.stderr


def test_service_dockerfiles_differ_only_in_the_service_name():
    template = (ROOT / "services/identity/Dockerfile").read_text().replace("identity", "SERVICE")
    for service in SERVICES:
        text = (ROOT / f"services/{service}/Dockerfile").read_text()
        assert text.replace(service, "SERVICE") == template, service


def test_dockerfiles_are_multi_stage_pinned_non_root_with_healthcheck():
    for path in DOCKERFILES:
        text = (ROOT / path).read_text()
        bases = re.findall(r"^ARG \w+_IMAGE=(\S+)", text, re.MULTILINE)
        assert bases and all(re.search(r":\d+\.\d+\.\d+-", base) for base in bases), (path, bases)
        assert len(re.findall(r"^FROM ", text, re.MULTILINE)) >= 2, path
        assert re.search(r"^USER \d+", text, re.MULTILINE), path
        assert "HEALTHCHECK" in text, path
    assert "python:3.11." in (ROOT / "services/identity/Dockerfile").read_text()


def test_service_images_install_servicekit_as_a_wheel_and_run_entrypoint_sh():
    text = (ROOT / "services/identity/Dockerfile").read_text()
    assert "pip wheel --no-deps --wheel-dir /wheels ./shared-lib" in text
    assert "/wheels/servicekit-*.whl" in text
    assert 'ENTRYPOINT ["/app/entrypoint.sh"]' in text
    assert "CONTRACTS_DIR=/app/contracts/events" in text


def test_dockerignore_keeps_local_state_out_of_the_context():
    ignored = (ROOT / ".dockerignore").read_text().split()
    for entry in (".git", ".venv", "var", "**/__pycache__", "services/*/tests", ".env"):
        assert entry in ignored, entry


# --- every process type everywhere ------------------------------------------------------------


def test_procfile_lists_the_expected_process_types():
    processes = procfile_processes()
    for service in SERVICES:
        assert {"web", "worker", "consumer", "relay"} <= processes[service], service
    assert "beat" in processes["orders"] and "beat" in processes["analytics"]


@pytest.mark.parametrize("name", COMPOSE_FILES)
def test_every_process_type_runs_in_compose(compose, name):
    services = compose[name]["services"]
    for service, processes in procfile_processes().items():
        for process in processes:
            key = service if process == "web" else f"{service}-{process}"
            assert key in services, f"{name} lacks {key}"
            assert services[key]["command"][0] == process, key
    assert "gateway" in services


def test_every_process_type_has_a_deployment_in_the_base(tools):
    result = run([str(tools / "kubectl"), "kustomize", "deploy/k8s/base"])
    assert result.returncode == 0, result.stderr
    objects = [doc for doc in yaml.safe_load_all(result.stdout) if doc]
    deployments = {o["metadata"]["name"]: o for o in objects if o["kind"] == "Deployment"}
    for service, processes in procfile_processes().items():
        for process in processes:
            deployment = deployments.get(f"{service}-{process}")
            assert deployment, f"no Deployment {service}-{process}"
            assert deployment["spec"]["template"]["spec"]["containers"][0]["args"][0] == process
        names = {(o["kind"], o["metadata"]["name"]) for o in objects}
        for kind, name in [
            ("Service", service),
            ("ServiceAccount", service),
            ("Job", f"{service}-migrate"),
            ("PodDisruptionBudget", f"{service}-web"),
            ("HorizontalPodAutoscaler", f"{service}-web"),
            ("NetworkPolicy", f"{service}-web"),
        ]:
            assert (kind, name) in names, (kind, name)
    assert "gateway" in deployments
    assert {"Ingress", "Namespace"} <= {o["kind"] for o in objects}


# --- hardening ------------------------------------------------------------------------------


def pod_specs(objects):
    for o in objects:
        if o["kind"] in ("Deployment", "StatefulSet", "Job"):
            yield o, o["spec"]["template"]["spec"]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_pods_are_non_root_read_only_without_capabilities_and_bounded(rendered, overlay):
    for obj, spec in pod_specs(rendered[overlay]):
        name = obj["metadata"]["name"]
        assert spec["securityContext"]["runAsNonRoot"] is True, name
        assert spec["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault", name
        assert spec.get("automountServiceAccountToken") is False, name
        for container in spec["containers"] + spec.get("initContainers", []):
            context = container["securityContext"]
            assert context["allowPrivilegeEscalation"] is False, name
            assert context["capabilities"]["drop"] == ["ALL"], name
            # Postgres and RabbitMQ (dev only) write under their own directories.
            if name not in ("postgres", "rabbitmq"):
                assert context["readOnlyRootFilesystem"] is True, name
            resources = container["resources"]
            assert {"cpu", "memory"} <= set(resources["requests"]) & set(resources["limits"]), name


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_web_pods_probe_readyz_and_healthz(rendered, overlay):
    for obj, spec in pod_specs(rendered[overlay]):
        if obj["metadata"]["name"].endswith("-web"):
            app = spec["containers"][0]
            assert app["readinessProbe"]["httpGet"]["path"] == "/readyz"
            assert app["livenessProbe"]["httpGet"]["path"] == "/healthz"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_network_policies_deny_by_default(rendered, overlay):
    policies = {o["metadata"]["name"]: o for o in rendered[overlay] if o["kind"] == "NetworkPolicy"}
    deny = policies["default-deny"]["spec"]
    assert deny["podSelector"] == {} and set(deny["policyTypes"]) == {"Ingress", "Egress"}
    assert "ingress" not in deny and "egress" not in deny


def test_prod_renders_no_secret_and_scales_web(rendered):
    prod = rendered["prod"]
    assert not [o for o in prod if o["kind"] == "Secret"]
    for o in prod:
        if o["kind"] == "Deployment" and o["metadata"]["name"].endswith("-web"):
            assert o["spec"]["replicas"] >= 3, o["metadata"]["name"]
        if o["kind"] == "Deployment" and o["metadata"]["name"].endswith("-beat"):
            assert o["spec"]["replicas"] == 1 and o["spec"]["strategy"]["type"] == "Recreate"
    images = {c["image"] for _, spec in pod_specs(prod) for c in spec["containers"]}
    assert all(":" in image and not image.endswith(":latest") for image in images), images


# --- environment variables: documented and set --------------------------------------------------


def test_every_variable_the_code_reads_is_documented_in_env_example():
    documented = env_file_keys(ROOT / ".env.example")
    missing = sorted(all_variables() - documented)
    assert not missing, f"document these in .env.example: {missing}"


def test_the_defaulted_allowlist_names_only_real_variables():
    assert not sorted(set(DEFAULTED) - all_variables())


def _missing(required: set[str], provided: set[str]) -> list[str]:
    return sorted(required - provided - set(DEFAULTED))


def _compose_env(compose_file: str, service: dict) -> set[str]:
    names = set(service.get("environment") or {})
    for entry in service.get("env_file") or []:
        path = Path(entry["path"] if isinstance(entry, dict) else entry)
        # Secret env files are git-ignored: their example shows the keys.
        example = ROOT / (str(path).replace("compose/secrets/", "compose/secrets.example/") + ".example")
        names |= env_file_keys(example)
    return names


@pytest.mark.parametrize("name", COMPOSE_FILES)
def test_every_variable_is_set_in_compose(compose, name):
    services = compose[name]["services"]
    problems = {}
    for service in SERVICES:
        provided = _compose_env(name, services[service]) | set(
            dockerfile_env(f"services/{service}/Dockerfile")
        )
        if missing := _missing(service_variables(service), provided):
            problems[service] = missing
    gateway = _compose_env(name, services["gateway"]) | set(dockerfile_env("gateway/Dockerfile"))
    if missing := _missing(gateway_variables(), gateway):
        problems["gateway"] = missing
    assert not problems, f"{name}: set these (or add them to DEFAULTED with a reason): {problems}"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_variable_is_set_in_kubernetes(rendered, overlay):
    objects = rendered[overlay]
    data = {
        (o["kind"], o["metadata"]["name"]): set((o.get("data") or {}) | (o.get("stringData") or {}))
        for o in objects
        if o["kind"] in ("ConfigMap", "Secret")
    }
    # Production Secrets are created out of band with the same keys as the development ones.
    dev_secrets = {
        re.sub(r"-[a-z0-9]{10}$", "", o["metadata"]["name"]): set(o.get("data") or {})
        for o in rendered["dev"]
        if o["kind"] == "Secret"
    }

    def provided(container) -> set[str]:
        names = {e["name"] for e in container.get("env", [])}
        for source in container.get("envFrom", []):
            if "configMapRef" in source:
                names |= data[("ConfigMap", source["configMapRef"]["name"])]
            else:
                secret = source["secretRef"]["name"]
                if ("Secret", secret) in data:
                    names |= data[("Secret", secret)]
                else:
                    assert overlay == "prod", f"{overlay} references a missing Secret {secret}"
                    names |= dev_secrets[secret]
        return names

    deployments = {o["metadata"]["name"]: o for o in objects if o["kind"] == "Deployment"}
    problems = {}
    for service in SERVICES:
        # Every process of a service has the same envFrom; the web one adds its gunicorn knobs.
        container = deployments[f"{service}-web"]["spec"]["template"]["spec"]["containers"][0]
        have = provided(container) | set(dockerfile_env(f"services/{service}/Dockerfile"))
        if missing := _missing(service_variables(service), have):
            problems[service] = missing
    gateway = deployments["gateway"]["spec"]["template"]["spec"]["containers"][0]
    if missing := _missing(
        gateway_variables(), provided(gateway) | set(dockerfile_env("gateway/Dockerfile"))
    ):
        problems["gateway"] = missing
    assert not problems, f"{overlay}: set these (or add them to DEFAULTED with a reason): {problems}"


def test_compose_secret_examples_match_the_dev_kubernetes_secrets(rendered):
    """The same keys whichever way production runs (compose env files or k8s Secrets)."""
    dev = {
        re.sub(r"-[a-z0-9]{10}$", "", o["metadata"]["name"]): set(o["data"])
        for o in rendered["dev"]
        if o["kind"] == "Secret"
    }
    examples = ROOT / "deploy/compose/secrets.example"
    assert env_file_keys(examples / "platform.env.example") == dev["platform-secrets"]
    for service in SERVICES:
        assert env_file_keys(examples / f"{service}.env.example") == dev[f"{service}-secrets"], service


def test_make_k8s_render_prints_an_overlay(tools):
    result = run(["make", "--no-print-directory", "k8s-render", "OVERLAY=prod"])
    assert result.returncode == 0, result.stderr
    kinds = {doc["kind"] for doc in yaml.safe_load_all(result.stdout) if doc}
    assert {"Deployment", "Job", "Ingress", "NetworkPolicy"} <= kinds
    assert json.dumps(sorted(kinds))


def test_every_events_setting_is_documented_in_env_example():
    """servicekit.events builds its EVENTS_* names from its settings dataclass, out of the scanner's sight."""
    from dataclasses import fields

    from servicekit.events.conf import EventsConf

    documented = (ROOT / ".env.example").read_text()
    derived = {"service", "broker_url"}  # from SERVICE_NAME and BROKER_URL
    missing = [
        f"EVENTS_{field.name.upper()}"
        for field in fields(EventsConf)
        if field.name not in derived and f"EVENTS_{field.name.upper()}=" not in documented
    ]
    assert not missing
