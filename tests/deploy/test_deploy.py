"""The deploy forms validate, stay complete and stay hardened (static checks only)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path, PurePosixPath

import pytest
import yaml
from conftest import COMPOSE_ENV, COMPOSE_FILES, IMAGE_TAG, OVERLAYS, ROOT, run
from envvars import SERVICES, all_variables, gateway_variables, service_variables, web_only_variables

# Kubernetes releases the manifests must validate against: the oldest we support (the
# preStop sleep action needs 1.30) and the newest the validator knows.
K8S_VERSIONS = ("1.30.0", "1.37.0")
# Every service image is built from SERVICE_DOCKERFILE with --build-arg SERVICE=<service>.
SERVICE_DOCKERFILE = "services/Dockerfile"
DOCKERFILES = [SERVICE_DOCKERFILE, "gateway/Dockerfile"]

# Variables a deploy form may leave to the code's default, and why. Everything else the
# code reads must be set explicitly in each deploy form (or by the image).
DEFAULTED = {
    "DATABASE_URL": "alternative to POSTGRES_HOST/PORT/DB + DB_PASSWORD, which are set",
    "DB_SCHEMA": "defaults to the service name, the schema db_bootstrap.py creates",
    "DB_CONNECT_TIMEOUT": "tuning; the default suits every form",
    "DB_CONN_MAX_AGE": "tuning; the default suits every form",
    "DB_TEST_NAME": "tests only",
    "CACHE_KEY_PREFIX": "defaults to the service name",
    "CACHE_TIMEOUT": "tuning",
    "SESSION_COOKIE_SECURE": "on by default when DJANGO_ENV=production",
    "CSRF_COOKIE_SECURE": "on by default when DJANGO_ENV=production",
    "COLLECTSTATIC_ON_START": "images collect static files at build time",
    "QUICK_EXIT": "make run only: a deployed process stops alone",
    "CELERY_POOL": "Celery's default pool (prefork); make run sets solo",
    "CELERY_CONCURRENCY": "Celery's default (one child per CPU); deployments scale workers by replicas",
    "CELERY_EMBED_BEAT": "make run only: deployments run beat as its own single process",
    "CELERY_EMBED_EVENTS": "make run only: deployments run the consumer and relay as their own processes",
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
    "SERVICE_SOCKET_DIR": "native runs only: containers reach each other over TCP, not a shared socket",
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
    # events (docs/events.md)
    "EVENTS_EXCHANGE": "platform.events in every form",
    "EVENTS_QUEUE": "<service>.events in every form",
    "EVENTS_HANDLERS_MODULE": "<service>.handlers in every form",
    "EVENTS_HEARTBEAT_SECONDS": "tuning",
    "EVENTS_CONNECTION_ATTEMPT_TIMEOUT_SECONDS": "tuning",
    "EVENTS_PREFETCH": "tuning",
    "EVENTS_RETRY_DELAYS_SECONDS": "tuning",
    "EVENTS_DELIVERY_LIMIT": "tuning",
    "EVENTS_INBOX_RETENTION_DAYS": "tuning",
    "EVENTS_RELAY_BATCH_SIZE": "tuning",
    "EVENTS_RELAY_LEASE_SECONDS": "tuning",
    "EVENTS_RELAY_PUBLISH_TIMEOUT_SECONDS": "tuning",
    "EVENTS_RELAY_POLL_SECONDS": "tuning",
    "EVENTS_RELAY_RETRY_BASE_SECONDS": "tuning",
    "EVENTS_RELAY_RETRY_MAX_SECONDS": "tuning",
    "EVENTS_OUTBOX_RETENTION_HOURS": "tuning",
    "EVENTS_UNROUTED_TTL_HOURS": "tuning",
    # identity
    "JWT_PRIVATE_KEY": "alternative to JWT_PRIVATE_KEY_FILE, which is set",
    "JWT_PREVIOUS_PUBLIC_KEYS": "signing.previous.pem beside the key file is read instead",
    "JWT_PREVIOUS_PUBLIC_KEYS_FILE": "signing.previous.pem beside the key file is read instead",
    "JWT_KEY_RELOAD_SECONDS": "tuning",
    "JWT_ACCESS_TOKEN_SECONDS": "the contract's 15 minutes",
    "JWT_REFRESH_TOKEN_SECONDS": "product default",
    "JWT_REFRESH_REUSE_GRACE_SECONDS": "product default (reuse detection's grace, at most 60 s)",
    "USER_TOKEN_SCOPES": "product default",
    "LOGIN_LOCKOUT_THRESHOLD": "product default",
    "LOGIN_LOCKOUT_SECONDS": "product default",
    "LOGIN_FAILURE_WINDOW_SECONDS": "product default",
    "LOGIN_ACCOUNT_FREE_FAILURES": "product default",
    "LOGIN_ACCOUNT_MAX_DELAY_SECONDS": "product default",
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
    # builds
    "BUILDS_STORAGE_DIR": "services/builds/var/builds natively; containers get a volume with the builds deploy step",
    "BUILDS_PUBLIC_URL": "the gateway's local origin; a public deployment sets its own",
    "BUILDS_UPLOAD_MAX_OBJECT_BYTES": "product default",
    "BUILDS_UPDATE_REPO_DELAY_SECONDS": "tuning",
    "BUILDS_HOOK_TIMEOUT_SECONDS": "tuning",
    "BUILDS_JOB_TIME_LIMIT_SECONDS": "tuning",
    "DB_POOL_MAX_SIZE": "tuning (builds' web process shares a pool of connections under ASGI)",
    "WEB_INTERFACE": "each service's entrypoint.sh sets it (builds: asgi)",
    # request logs (every service) and analytics
    "REQUEST_LOG_ENABLED": "on by default outside tests",
    "REQUEST_LOG_REDIS_URL": "REDIS_URL by default",
    "REQUEST_LOG_STREAM": "product default",
    "REQUEST_LOG_FLUSH_SECONDS": "tuning",
    "REQUEST_LOG_BATCH_SIZE": "tuning",
    "REQUEST_LOG_BUFFER_SIZE": "tuning (the loss bound, docs/analytics.md)",
    "REQUEST_LOG_STREAM_MAXLEN": "tuning (the loss bound, docs/analytics.md)",
    "ANALYTICS_EVENT_RETENTION_DAYS": "product default (docs/analytics.md)",
    "ANALYTICS_REQUEST_LOG_RETENTION_DAYS": "product default (docs/analytics.md)",
    "ANALYTICS_PARTITIONS_AHEAD_DAYS": "tuning",
    "ANALYTICS_REQUEST_LOG_INGEST_ENTRIES": "tuning",
    "ANALYTICS_QUERY_TIMEOUT_SECONDS": "tuning",
    "ANALYTICS_QUERY_WORK_MEM_MB": "tuning",
    # messaging
    "MESSAGING_PROVIDER": "loopback outside production, waha in production",
    "WAHA_TIMEOUT_SECONDS": "tuning",
    "WAHA_RETRIES": "tuning",
    "WAHA_RETRY_BACKOFF_SECONDS": "tuning",
    "MESSAGING_WEBHOOK_TOLERANCE_SECONDS": "tuning (accepted age of signed webhooks)",
    "LOOPBACK_SCAN_SECONDS": "the development phone's pace",
    "LOOPBACK_DELIVERY_SECONDS": "the development phone's pace",
    "LOOPBACK_READ_SECONDS": "the development phone's pace",
    "MESSAGING_QR_TTL_SECONDS": "WhatsApp's pace",
    "MESSAGING_QR_MAX_CODES": "WhatsApp's pace",
    "MESSAGING_PROBE_TIMEOUT_SECONDS": "tuning",
    "MESSAGING_SEND_MAX_ATTEMPTS": "tuning",
    "MESSAGING_SEND_RETRY_BASE_SECONDS": "tuning",
    "MESSAGING_SEND_RETRY_MAX_SECONDS": "tuning",
    "MESSAGING_MAX_TEXT_LENGTH": "product default",
    "MESSAGING_MAX_CAPTION_LENGTH": "product default",
    "MESSAGING_MEDIA_MAX_BYTES": "product default",
    "MESSAGING_MEDIA_TYPES": "product default",
    "MESSAGING_MEDIA_FETCH_TIMEOUT_SECONDS": "tuning",
    "MESSAGING_MEDIA_URL_ALLOW_PRIVATE": "off by default when DJANGO_ENV=production",
    "MESSAGING_DAILY_MESSAGE_LIMIT": "product default (staff override per user)",
    "MESSAGING_EMAIL_MAX_ATTEMPTS": "tuning",
    "MESSAGING_DEFAULT_LANGUAGE": "product default",
    "EMAIL_TIMEOUT_SECONDS": "tuning",
    "MAIL_DIR": "development only (.eml files under var/mail/); deployments send through EMAIL_URL",
    "DEFAULT_FROM_EMAIL": "product default",
    # gateway
    "GATEWAY_RATE_GENERAL": "the gateway's tuned default",
    "GATEWAY_BURST_GENERAL": "the gateway's tuned default",
    "GATEWAY_RATE_AUTH": "the gateway's tuned default",
    "GATEWAY_BURST_AUTH": "the gateway's tuned default",
    "GATEWAY_MAX_BODY": "the gateway's tuned default",
    "GATEWAY_MAX_BODY_BUILDS": "the gateway's tuned default",
    "BUILDS_AUTH_CACHE_SECONDS": "the gateway's tuned default",
    "GATEWAY_RATE_DOWNLOADS": "the gateway's tuned default",
    "GATEWAY_BURST_DOWNLOADS": "the gateway's tuned default",
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


def dockerfile_lines(path: str) -> list[str]:
    """A Dockerfile's instructions, continuation lines joined."""
    return (ROOT / path).read_text().replace("\\\n", " ").splitlines()


def final_stage(path: str) -> list[str]:
    lines = dockerfile_lines(path)
    start = max(i for i, line in enumerate(lines) if line.startswith("FROM "))
    return lines[start:]


def dockerfile_env(path: str, **build_args: str) -> dict[str, str]:
    """ENV of a Dockerfile's final stage, ${ARG}s replaced by the build args given."""
    env = {}
    for line in final_stage(path):
        if line.startswith("ENV "):
            line = re.sub(r"\$\{(\w+)\}", lambda m: build_args.get(m.group(1), m.group(0)), line)
            env.update(re.findall(r"([A-Z][A-Z0-9_]*)=(\S+)", line))
    return env


def service_image_env(service: str) -> dict[str, str]:
    """ENV of ``service``'s image: the one service Dockerfile built with its SERVICE."""
    return dockerfile_env(SERVICE_DOCKERFILE, SERVICE=service)


def env_file_keys(path: Path) -> set[str]:
    return set(re.findall(r"^\s*#?\s*([A-Z][A-Z0-9_]*)=", path.read_text(), re.MULTILINE))


# --- the tools, the files validate -------------------------------------------------------


@pytest.mark.parametrize("name", COMPOSE_FILES)
def test_compose_file_passes_config(tools, name):
    result = run([str(tools / "docker-compose"), "-f", name, "config", "--quiet"], env=COMPOSE_ENV)
    assert result.returncode == 0, result.stderr


def test_prod_compose_refuses_to_run_without_an_image_tag(tools):
    """No `latest` fallback: a restart must never change the release that runs."""
    env = {k: v for k, v in os.environ.items() if k != "IMAGE_TAG"}
    result = run(
        [str(tools / "docker-compose"), "-f", "docker-compose.prod.yml", "config", "--quiet"], env=env
    )
    assert result.returncode != 0
    assert "IMAGE_TAG" in result.stderr


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


# --- one Dockerfile, one image per service -----------------------------------------------------


def test_services_have_no_dockerfile_of_their_own():
    assert sorted(p.relative_to(ROOT).as_posix() for p in ROOT.glob("services/*/Dockerfile")) == []


def test_the_service_dockerfile_takes_the_service_from_its_build_arg():
    """No service named in it; every stage declares SERVICE; the image knows which it is."""
    lines = dockerfile_lines(SERVICE_DOCKERFILE)
    instructions = "\n".join(line for line in lines if not line.startswith("#"))
    named = [s for s in SERVICES if re.search(rf"\b{s}\b", instructions)]
    assert not named, named
    stages = [i for i, line in enumerate(lines) if line.startswith("FROM ")]
    for start, end in zip(stages, [*stages[1:], len(lines)], strict=True):
        assert "ARG SERVICE" in lines[start:end], lines[start]
    for service in SERVICES:
        env = service_image_env(service)
        assert env["SERVICE_NAME"] == service
        module = env["DJANGO_SETTINGS_MODULE"]
        assert (
            module == f"{service}.settings" and (ROOT / f"services/{service}/{service}/settings.py").exists()
        )


def test_make_images_builds_each_service_from_the_one_dockerfile(tmp_path):
    """`make images` with a docker that records what it is asked (no engine here)."""
    log = tmp_path / "docker.log"
    docker = tmp_path / "bin" / "docker"
    docker.parent.mkdir()
    docker.write_text(f'#!/bin/sh\necho "$*" >>{log}\n')
    docker.chmod(0o755)
    env = {**os.environ, "PATH": f"{docker.parent}:{os.environ['PATH']}"}
    result = run(["make", "--no-print-directory", "images", "IMAGE_TAG=9.9", "REGISTRY=r.example/p"], env=env)
    assert result.returncode == 0, result.stderr
    expected = [
        f"build -f {SERVICE_DOCKERFILE} --build-arg SERVICE={s} -t r.example/p/{s}:9.9 ." for s in SERVICES
    ]
    assert log.read_text().splitlines() == [
        *expected,
        "build -f gateway/Dockerfile -t r.example/p/gateway:9.9 .",
    ]
    # One image alone, as a service's pipeline builds it.
    log.unlink()
    result = run(["make", "--no-print-directory", "images", "IMAGES=orders"], env=env)
    assert result.returncode == 0, result.stderr
    assert log.read_text().splitlines() == [
        f"build -f {SERVICE_DOCKERFILE} --build-arg SERVICE=orders -t platform/orders:dev ."
    ]


def test_dev_compose_builds_each_service_image_from_the_one_dockerfile(compose_config):
    services = compose_config["docker-compose.yml"]["services"]
    built = {}
    for name, service in services.items():
        image = service["image"].partition(":")[0]
        if "build" not in service or image == "platform/gateway":
            continue
        build = service["build"]
        assert Path(build["context"]) == ROOT, name
        assert build["dockerfile"] == SERVICE_DOCKERFILE, name
        built.setdefault(image, set()).add(build["args"]["SERVICE"])
    # Each image from its own service (db-bootstrap and keys run identity's).
    assert built == {f"platform/{s}": {s} for s in SERVICES}
    for service in SERVICES:
        for name, process in _compose_processes(services, service).items():
            assert process["image"] == f"platform/{service}:dev", name


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_kubernetes_workload_of_a_service_runs_its_own_image(rendered, overlay):
    checked = set()
    for obj, spec in pod_specs(rendered[overlay]):
        service = workload_service(obj)
        if service not in SERVICES:
            continue
        for container in all_containers(spec):
            image = container["image"].rpartition("/")[2].partition(":")[0]
            assert image == service, (obj["metadata"]["name"], container["image"])
            checked.add(service)
    assert checked == set(SERVICES)


def test_each_service_lists_its_debian_packages():
    """services/<service>/system-packages.txt: Debian package names, one a line, # comments."""
    for service in SERVICES:
        path = ROOT / f"services/{service}/system-packages.txt"
        assert path.exists(), f"{service} lacks system-packages.txt (it may list none)"
        for line in path.read_text().splitlines():
            name = line.partition("#")[0].strip()
            assert not name or re.fullmatch(r"[a-z0-9][a-z0-9+.-]+", name), (service, line)


def _system_packages_step() -> str:
    """The final stage's RUN that installs the service's Debian packages."""
    runs = [line for line in final_stage(SERVICE_DOCKERFILE) if line.startswith("RUN ")]
    (step,) = [line for line in runs if "system-packages.txt" in line]
    return step.removeprefix("RUN ")


def test_the_image_installs_the_packages_its_service_lists():
    lines = final_stage(SERVICE_DOCKERFILE)
    copy = "COPY services/${SERVICE}/system-packages.txt /tmp/system-packages.txt"
    assert copy in lines
    step = next(i for i, line in enumerate(lines) if line == f"RUN {_system_packages_step()}")
    # As root, and before the service's code (a code change does not reinstall them).
    user = next(i for i, line in enumerate(lines) if line.startswith("USER "))
    code = lines.index("COPY services/${SERVICE}/ /app/")
    assert lines.index(copy) < step < min(user, code)


@pytest.mark.parametrize(
    ("listed", "installed"),
    [
        ("# none so far\n", None),
        ("ostree  # the repository tool\n\n# and\nflatpak\n", "ostree flatpak"),
    ],
)
def test_the_install_step_installs_exactly_what_is_listed(tmp_path, listed, installed):
    """The Dockerfile's own shell step, run with apt-get and rm that only record their calls."""
    listing = tmp_path / "system-packages.txt"
    listing.write_text(listed)
    log = tmp_path / "calls.log"
    stubs = tmp_path / "bin"
    stubs.mkdir()
    for tool in ("apt-get", "rm"):
        (stubs / tool).write_text(f'#!/bin/sh\necho "{tool} $*" >>{log}\n')
        (stubs / tool).chmod(0o755)
    script = _system_packages_step().replace("/tmp/system-packages.txt", str(listing))
    env = {**os.environ, "PATH": f"{stubs}:{os.environ['PATH']}"}
    # noglob: the step's `rm -rf /var/lib/apt/lists/*` reaches the stub as written.
    result = run(["bash", "-o", "errexit", "-o", "pipefail", "-o", "noglob", "-c", script], env=env)
    assert result.returncode == 0, result.stderr
    calls = log.read_text().splitlines()
    if installed is None:
        assert calls == [f"rm {listing}"]
    else:
        assert calls == [
            "apt-get update",
            f"apt-get install -y --no-install-recommends {installed}",
            "rm -rf /var/lib/apt/lists/*",
            f"rm {listing}",
        ]


def test_dockerfiles_are_multi_stage_pinned_non_root_with_healthcheck():
    for path in DOCKERFILES:
        text = (ROOT / path).read_text()
        bases = re.findall(r"^ARG \w+_IMAGE=(\S+)", text, re.MULTILINE)
        assert bases and all(re.search(r":\d+\.\d+\.\d+-", base) for base in bases), (path, bases)
        assert len(re.findall(r"^FROM ", text, re.MULTILINE)) >= 2, path
        assert re.search(r"^USER \d+", text, re.MULTILINE), path
        assert "HEALTHCHECK" in text, path
    assert "python:3.11." in (ROOT / SERVICE_DOCKERFILE).read_text()


def test_service_images_install_servicekit_as_a_wheel_and_run_entrypoint_sh():
    text = (ROOT / SERVICE_DOCKERFILE).read_text()
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
    for service in ("identity", "orders", "messaging", "analytics"):
        assert "beat" in processes[service], service


def _settings_tasks(service: str) -> tuple[set[str], set[str]]:
    """(tasks its CELERY_BEAT_SCHEDULE runs, tasks its code registers by name). The schedule is
    in settings.py, or in the ``conf.py`` module settings.py reads the service's own settings from."""
    settings = (ROOT / f"services/{service}/{service}/settings.py").read_text()
    scheduled = set()
    if match := re.search(r"^CELERY_BEAT_SCHEDULE\s*=\s*\{(.*?)^\}", settings, re.MULTILINE | re.DOTALL):
        scheduled = set(re.findall(r'"task":\s*"([^"]+)"', match.group(1)))
    conf = ROOT / f"services/{service}/{service}/conf.py"
    if conf.exists() and (
        match := re.search(
            r'"CELERY_BEAT_SCHEDULE":\s*\{(.*?)^ {8}\}', conf.read_text(), re.MULTILINE | re.DOTALL
        )
    ):
        scheduled |= set(re.findall(r'"task":\s*"([^"]+)"', match.group(1)))
    registered = set()
    for path in (ROOT / f"services/{service}/{service}").rglob("tasks.py"):
        registered |= set(re.findall(r'shared_task\([^)]*name="([^"]+)"', path.read_text()))
    return scheduled, registered


def test_every_beat_schedule_has_a_beat_process_and_real_tasks():
    processes = procfile_processes()
    for service in SERVICES:
        scheduled, registered = _settings_tasks(service)
        if scheduled:
            assert "beat" in processes[service], f"{service} schedules {scheduled} but runs no beat"
        assert scheduled <= registered, f"{service} schedules unknown tasks {scheduled - registered}"


def test_messaging_schedules_its_sweeps():
    scheduled, _ = _settings_tasks("messaging")
    assert scheduled == {"messaging.sessions.expire_unscanned", "messaging.prune"}


def test_messaging_writes_development_mail_to_a_writable_directory(rendered, compose):
    """Without EMAIL_URL every e-mail is an .eml file under MAIL_DIR (/app/var/mail in the image),
    on a read-only root filesystem: the development stacks mount a volume there."""
    assert (
        "messaging-mail:/app/var/mail"
        in compose["docker-compose.yml"]["services"]["messaging-worker"]["volumes"]
    )
    assert "/app/var/mail" in (ROOT / SERVICE_DOCKERFILE).read_text()
    worker = next(
        o
        for o in rendered["dev"]
        if o["kind"] == "Deployment" and o["metadata"]["name"] == "messaging-worker"
    )
    spec = worker["spec"]["template"]["spec"]
    mount = next(m for m in spec["containers"][0]["volumeMounts"] if m["mountPath"] == "/app/var/mail")
    assert "emptyDir" in next(v for v in spec["volumes"] if v["name"] == mount["name"])


def test_identity_purges_expired_tokens_daily():
    scheduled, _ = _settings_tasks("identity")
    assert "identity.purge_expired_tokens" in scheduled
    tasks = (ROOT / "services/identity/identity/tasks.py").read_text()
    command = (
        ROOT / "services/identity/identity/tokens/management/commands/purge_expired_tokens.py"
    ).read_text()
    # The task and `manage.py purge_expired_tokens` do the same work.
    for function in ("refresh_tokens_purge", "one_time_tokens_purge"):
        assert function in tasks and function in command, function


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


def all_containers(spec) -> list[dict]:
    """A pod's init containers and containers."""
    return [*spec.get("initContainers", []), *spec["containers"]]


def workload_service(obj) -> str | None:
    return obj["spec"]["template"]["metadata"]["labels"].get("app.kubernetes.io/name")


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
    deployments = {o["metadata"]["name"]: o for o in prod if o["kind"] == "Deployment"}
    hpas = [o for o in prod if o["kind"] == "HorizontalPodAutoscaler"]
    scaled = {h["spec"]["scaleTargetRef"]["name"] for h in hpas}
    assert scaled == {f"{s}-web" for s in SERVICES} | {"gateway"}
    for hpa in hpas:
        spec = hpa["spec"]
        assert spec["scaleTargetRef"]["kind"] == "Deployment"
        assert spec["minReplicas"] >= 3 and spec["maxReplicas"] > spec["minReplicas"], hpa["metadata"]["name"]
    for name in scaled:
        # The HPA owns the count: an apply must not reset a scaled-out Deployment.
        assert "replicas" not in deployments[name]["spec"], name
    for name, o in deployments.items():
        if name.endswith("-beat"):
            assert o["spec"]["replicas"] == 1 and o["spec"]["strategy"]["type"] == "Recreate"
    images = {c["image"] for _, spec in pod_specs(prod) for c in all_containers(spec)}
    assert all(":" in image and not image.endswith(":latest") for image in images), images


def test_prod_points_at_data_stores_outside_the_overlay(rendered):
    prod = rendered["prod"]
    services = {o["metadata"]["name"]: o for o in prod if o["kind"] == "Service"}
    for name in ("postgres", "rabbitmq", "redis"):
        spec = services[name]["spec"]
        assert spec["type"] == "ExternalName" and spec["externalName"], name
        assert "selector" not in spec, name
    assert not [o["metadata"]["name"] for o in prod if o["kind"] == "StatefulSet"]
    images = {
        c["image"].rpartition("/")[2].partition(":")[0] for _, s in pod_specs(prod) for c in all_containers(s)
    }
    assert not images & {"postgres", "rabbitmq", "redis"}, images
    # The dev overlay is the one that runs them in the cluster.
    dev_sets = {o["metadata"]["name"] for o in rendered["dev"] if o["kind"] == "StatefulSet"}
    assert {"postgres", "rabbitmq"} <= dev_sets


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_a_db_bootstrap_job_creates_the_schemas_and_roles(rendered, overlay):
    """scripts/db_bootstrap.py, from the image that ships it (--no-createdb in production)."""
    objects = rendered[overlay]
    job = next(o for o in objects if o["kind"] == "Job" and o["metadata"]["name"] == "db-bootstrap")
    (container,) = job["spec"]["template"]["spec"]["containers"]
    argv = container.get("command", []) + container.get("args", [])
    script = next(arg for arg in argv if arg.endswith("db_bootstrap.py"))
    service = container["image"].rpartition("/")[2].partition(":")[0]
    assert service in SERVICES, container["image"]
    assert f"COPY scripts/db_bootstrap.py {script}" in (ROOT / SERVICE_DOCKERFILE).read_text()
    env = {e["name"]: e for e in container.get("env", [])}
    if overlay == "prod":
        assert "--no-createdb" in argv
        assert not [o for o in objects if o["kind"] == "Secret"]
        admin = env["POSTGRES_ADMIN_URL"]["valueFrom"]["secretKeyRef"]
        assert admin["name"] not in {f"{s}-secrets" for s in SERVICES} | {"platform-secrets"}
        # Each role's password is the one its service connects with, never the script's default.
        for s in SERVICES:
            ref = env[f"{s.upper()}_DB_PASSWORD"]["valueFrom"]["secretKeyRef"]
            assert (ref["name"], ref["key"]) == (f"{s}-secrets", "DB_PASSWORD"), s
    else:
        sources = {src["secretRef"]["name"].rsplit("-", 1)[0] for src in container.get("envFrom", [])}
        assert "infra-secrets" in sources


def test_the_release_runs_db_bootstrap_before_the_migrations(rendered):
    """docs/operations.md's release steps apply the Job, wait for it, then the migrate Jobs."""
    docs = (ROOT / "docs/operations.md").read_text()
    release = docs[docs.index("A release") :]
    steps = [
        "--selector app.kubernetes.io/component=db-bootstrap",
        "--for=condition=complete job/db-bootstrap",
        "--selector app.kubernetes.io/component=migrate",
    ]
    assert all(step in release for step in steps), steps
    assert [release.index(step) for step in steps] == sorted(release.index(step) for step in steps)
    job = next(o for o in rendered["prod"] if o["kind"] == "Job" and o["metadata"]["name"] == "db-bootstrap")
    assert job["metadata"]["labels"]["app.kubernetes.io/component"] == "db-bootstrap"


def entrypoint_worker_node_name() -> str:
    """The Celery node name the entrypoint gives workers: the value after `--hostname`, read
    from its source (an f-string of the service's name and Celery's %h)."""
    source = (ROOT / "shared-lib/src/servicekit/entrypoint.py").read_text()
    match = re.search(r'"--hostname",\s*f?"([^"]+)"', source)
    assert match, "entrypoint.py no longer passes --hostname to celery worker"
    return match.group(1)


def celery_node(pattern: str, service: str, host: str) -> str:
    name = re.sub(r"\{\w+\}", service, pattern)
    return name.replace("%h", host).replace("%n", host.split(".")[0]).replace("%d", host.partition(".")[2])


def shell_ping_destination(command: str, env: dict[str, str]) -> str:
    """The --destination of a `celery inspect ping` shell command, as the shell expands it."""
    match = re.search(r"--destination[= ]\s*(\"[^\"]*\"|'[^']*'|\S+)", command)
    assert match, command
    value = match.group(1).strip("\"'")
    value = re.sub(r"\$\{(\w+)\}|\$(\w+)", lambda m: env[m.group(1) or m.group(2)], value)
    assert "$" not in value and "%" not in value, value
    return value


def test_worker_health_checks_ping_the_node_the_entrypoint_names(compose, rendered):
    pattern = entrypoint_worker_node_name()
    host = "f3a9c1b2d4e5"  # a container's (or pod's) hostname: $HOSTNAME, and Celery's %h
    checks = []
    for name in COMPOSE_FILES:
        for service in SERVICES:
            test = compose[name]["services"][f"{service}-worker"]["healthcheck"]["test"]
            assert test[0] == "CMD-SHELL", (name, service)
            checks.append((f"{name} {service}-worker", service, test[1].replace("$$", "$")))
    for overlay in OVERLAYS:
        for obj, spec in pod_specs(rendered[overlay]):
            if obj["metadata"]["name"].endswith("-worker"):
                command = spec["containers"][0]["livenessProbe"]["exec"]["command"][-1]
                checks.append((f"{overlay} {obj['metadata']['name']}", workload_service(obj), command))
    assert len(checks) == 2 * len(SERVICES) + 2 * len(SERVICES)
    for where, service, command in checks:
        # SERVICE_NAME comes from the image (its Dockerfile's ENV), HOSTNAME from the runtime.
        env = {
            "SERVICE_NAME": service_image_env(service)["SERVICE_NAME"],
            "HOSTNAME": host,
        }
        assert shell_ping_destination(command, env) == celery_node(pattern, service, host), where


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_identity_container_has_the_signing_key(rendered, overlay):
    """identity's production settings refuse to load without it: init containers too."""
    checked = []
    for obj, spec in pod_specs(rendered[overlay]):
        if workload_service(obj) != "identity":
            continue
        volumes = {v["name"]: v for v in spec.get("volumes", [])}
        for container in all_containers(spec):
            where = f"{obj['kind']} {obj['metadata']['name']}/{container['name']}"
            env = {e["name"]: e.get("value") for e in container.get("env", [])}
            key_file = env.get("JWT_PRIVATE_KEY_FILE")
            assert key_file, f"{where} lacks JWT_PRIVATE_KEY_FILE"
            mounts = [
                m
                for m in container.get("volumeMounts", [])
                if PurePosixPath(key_file).is_relative_to(m["mountPath"])
            ]
            assert mounts, f"{where} does not mount {key_file}"
            volume = volumes[max(mounts, key=lambda m: len(m["mountPath"]))["name"]]
            # (the dev overlay generates it: its name carries a content hash)
            assert re.sub(r"-[a-z0-9]{10}$", "", volume["secret"]["secretName"]) == "identity-jwt", where
            checked.append(where)
    names = {where.split("/")[0] for where in checked}
    assert {f"Deployment identity-{p}" for p in ("web", "worker", "consumer", "relay", "beat")} <= names
    assert "Job identity-migrate" in names
    assert sum("wait-for-migrations" in where for where in checked) == 5, checked


def _compose_mount_targets(service: dict) -> list[str]:
    targets = [v["target"] for v in service.get("volumes") or []]
    for secret in service.get("secrets") or []:
        target = secret.get("target") or secret["source"]
        targets.append(target if target.startswith("/") else f"/run/secrets/{target}")
    return targets


@pytest.mark.parametrize("name", COMPOSE_FILES)
def test_every_identity_process_in_compose_has_the_signing_key(compose_config, name):
    processes = _compose_processes(compose_config[name]["services"], "identity")
    assert {"identity", "identity-worker", "identity-consumer", "identity-relay", "identity-beat"} <= set(
        processes
    )
    for key, process in processes.items():
        key_file = process["environment"].get("JWT_PRIVATE_KEY_FILE")
        assert key_file, key
        assert any(PurePosixPath(key_file).is_relative_to(t) for t in _compose_mount_targets(process)), key


# --- environment variables: documented and set --------------------------------------------------


def test_every_variable_the_code_reads_is_documented_in_env_example():
    documented = env_file_keys(ROOT / ".env.example")
    missing = sorted(all_variables() - documented)
    assert not missing, f"document these in .env.example: {missing}"


def test_the_defaulted_allowlist_names_only_real_variables():
    assert not sorted(set(DEFAULTED) - all_variables())


def _missing(required: set[str], provided: set[str]) -> list[str]:
    return sorted(required - provided - set(DEFAULTED))


def _compose_processes(services: dict, service: str) -> dict[str, dict]:
    """Every compose service running ``service``'s image: web, worker, …, beat, migrate."""
    return {key: value for key, value in services.items() if key == service or key.startswith(f"{service}-")}


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
    """In every process of every service (gunicorn's settings only where gunicorn runs)."""
    services = compose[name]["services"]
    problems = {}
    for service in SERVICES:
        processes = _compose_processes(services, service)
        assert len(processes) >= 4, (name, service, sorted(processes))
        for key, process in processes.items():
            provided = _compose_env(name, process) | set(service_image_env(service))
            required = service_variables(service)
            if process["command"][0] != "web":
                required -= web_only_variables()
            if missing := _missing(required, provided):
                problems[key] = missing
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

    # Every container of every service's pods: web, worker, consumer, relay, beat, the migrate
    # Job and the wait-for-migrations init containers (gunicorn's settings only in web's app).
    problems = {}
    checked = {service: 0 for service in SERVICES}
    for obj, spec in pod_specs(objects):
        service = workload_service(obj)
        if service not in SERVICES:
            continue
        for container in all_containers(spec):
            have = provided(container) | set(service_image_env(service))
            required = service_variables(service)
            if not (obj["metadata"]["name"].endswith("-web") and container in spec["containers"]):
                required -= web_only_variables()
            if missing := _missing(required, have):
                problems[f"{obj['kind']} {obj['metadata']['name']}/{container['name']}"] = missing
            checked[service] += 1
    # web, worker, consumer, relay (each with its init container) and the migrate Job at least.
    assert all(count >= 9 for count in checked.values()), checked
    gateway = next(o for o in objects if o["kind"] == "Deployment" and o["metadata"]["name"] == "gateway")
    for container in all_containers(gateway["spec"]["template"]["spec"]):
        if missing := _missing(
            gateway_variables(), provided(container) | set(dockerfile_env("gateway/Dockerfile"))
        ):
            problems[f"gateway/{container['name']}"] = missing
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


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_make_k8s_render_prints_an_overlay(tools, rendered, overlay):
    result = run(["make", "--no-print-directory", "k8s-render", f"OVERLAY={overlay}"])
    assert result.returncode == 0, result.stderr
    objects = [doc for doc in yaml.safe_load_all(result.stdout) if doc]
    assert {"Deployment", "Job", "Ingress", "NetworkPolicy"} <= {o["kind"] for o in objects}
    # The overlay asked for, not the other one: the same objects as `kubectl kustomize` renders.
    key = lambda o: (o["kind"], o["metadata"]["name"])  # noqa: E731
    assert sorted(map(key, objects)) == sorted(map(key, rendered[overlay]))


def test_make_k8s_render_only_renders_with_the_machines_kubectl(tmp_path):
    """With a kubectl on PATH, `make k8s-render` is `kubectl kustomize`: it installs nothing
    (no python3 is even needed) and writes nothing into HOME, even where a docker client
    without its compose plugin is installed (the plugin link it once made there)."""
    bin_dir, home = tmp_path / "bin", tmp_path / "home"
    bin_dir.mkdir()
    home.mkdir()
    calls = tmp_path / "kubectl.calls"
    real_kubectl = shutil.which("kubectl") or str(ROOT / "var" / "tools" / "bin" / "kubectl")
    stubs = {
        "kubectl": f'#!/bin/sh\necho "$*" >>{calls}\nexec {real_kubectl} "$@"\n',
        "docker": "#!/bin/sh\nexit 1\n",  # a client whose `docker compose version` fails
        "python3": "#!/bin/sh\necho python3 must not run >&2\nexit 99\n",
    }
    for name, text in stubs.items():
        (bin_dir / name).write_text(text)
        (bin_dir / name).chmod(0o755)
    env = {"PATH": f"{bin_dir}:/usr/local/bin:/usr/bin:/bin", "HOME": str(home)}
    result = run(["make", "--no-print-directory", "k8s-render", "OVERLAY=prod"], env=env)
    assert result.returncode == 0, result.stderr
    assert {"Deployment", "Job"} <= {doc["kind"] for doc in yaml.safe_load_all(result.stdout) if doc}
    assert "kustomize deploy/k8s/overlays/prod" in calls.read_text().splitlines()
    assert list(home.iterdir()) == []
    assert "[deploy-tools]" not in result.stderr


# --- the compose stacks as Docker Compose reads them ------------------------------------------

# Long-running processes without an HTTP port or a ping: they exit when they fail and the
# restart policy brings them back, so a health check would only repeat that.
EXITS_ON_FAILURE = {"consumer", "relay", "beat", "ingester"}


def one_shots(services: dict) -> set[str]:
    """Services others wait for with service_completed_successfully (migrations, bootstrap)."""
    return {
        dependency
        for service in services.values()
        for dependency, how in (service.get("depends_on") or {}).items()
        if how["condition"] == "service_completed_successfully"
    }


def test_prod_compose_runs_released_images_hardened_and_bounded(compose_config):
    services = compose_config["docker-compose.prod.yml"]["services"]
    declared = set(compose_config["docker-compose.prod.yml"].get("volumes") or {})
    once = one_shots(services)
    assert {f"{s}-migrate" for s in SERVICES} | {"db-bootstrap"} <= once
    for name, service in services.items():
        # Images by tag: ours at the release asked for, the others at a pinned version.
        assert "build" not in service, name
        image = service["image"]
        if image.startswith(("platform/", os.environ.get("REGISTRY", "platform/"))):
            assert image.endswith(f":{IMAGE_TAG}"), (name, image)
        else:
            assert re.search(r":\d+(\.\d+)+", image), (name, image)
        # No bind mounts: named volumes (declared below) and tmpfs only; secrets are Docker secrets.
        for volume in service.get("volumes") or []:
            assert volume["type"] in ("volume", "tmpfs"), (name, volume)
            if volume["type"] == "volume":
                assert volume["source"] in declared, (name, volume)
        limits = (service.get("deploy") or {}).get("resources", {}).get("limits", {})
        assert limits.get("cpus") and limits.get("memory"), f"{name} has no resource limits"
        if name in once:
            assert service["restart"] == "no", name
            continue
        assert service["restart"] in ("unless-stopped", "always"), name
        process = (service.get("command") or [""])[0]
        healthcheck = service.get("healthcheck") or {}
        if process in EXITS_ON_FAILURE:
            assert healthcheck.get("disable") is True, name  # the image's /healthz would fail
        else:
            assert healthcheck.get("test") and not healthcheck.get("disable"), f"{name} has no health check"
    for name, service in services.items():
        if service["image"].startswith("platform/"):
            assert service.get("read_only") is True and service.get("cap_drop") == ["ALL"], name


def test_prod_gateway_buffers_bodies_on_disk_not_in_its_memory(compose_config):
    """nginx buffers uploads (up to GATEWAY_MAX_BODY_BUILDS) in its prefix: not a RAM tmpfs."""
    gateway = compose_config["docker-compose.prod.yml"]["services"]["gateway"]
    prefix = gateway["environment"]["GATEWAY_PREFIX"]
    volumes = [v for v in gateway["volumes"] if v["type"] == "volume"]
    assert any(PurePosixPath(prefix).is_relative_to(v["target"]) for v in volumes), prefix
    for tmpfs in gateway.get("tmpfs") or []:
        assert "size=" in tmpfs and not PurePosixPath(prefix).is_relative_to(tmpfs.split(":")[0]), tmpfs
    # The image makes that directory for nginx's user, so a new named volume belongs to it too.
    assert re.search(
        rf"install -d -o 101 -g 101 .*{re.escape(prefix)}\b", (ROOT / "gateway/Dockerfile").read_text()
    )


def _tracked(path: Path) -> bool:
    result = subprocess.run(
        ["git", "ls-files", "--", str(path.relative_to(ROOT))], cwd=ROOT, capture_output=True, text=True
    )
    return result.returncode == 0 and bool(result.stdout.strip())


def test_dev_compose_needs_nothing_a_fresh_clone_lacks(compose_config):
    """`docker compose up` on a fresh clone: every host path it mounts is in git (no key file
    under var/ made by a make target first); the keys one-shot makes the signing key."""
    if not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    config = compose_config["docker-compose.yml"]
    for name, service in config["services"].items():
        for volume in service.get("volumes") or []:
            if volume["type"] == "bind":
                assert _tracked(Path(volume["source"])), (
                    f"{name} mounts {volume['source']}, not in a fresh clone"
                )
    for name, secret in (config.get("secrets") or {}).items():
        if "file" in secret:
            assert _tracked(Path(secret["file"])), f"secret {name}: {secret['file']} is not in a fresh clone"
    services = config["services"]
    keys = services["keys"]
    assert "dev_keys.py" in " ".join(keys["entrypoint"]), keys["entrypoint"]
    key_file = keys["environment"]["JWT_PRIVATE_KEY_FILE"]
    (keys_volume,) = [v for v in keys["volumes"] if PurePosixPath(key_file).is_relative_to(v["target"])]
    for name, process in _compose_processes(services, "identity").items():
        assert process["depends_on"]["keys"]["condition"] == "service_completed_successfully", name
        assert process["environment"]["JWT_PRIVATE_KEY_FILE"] == key_file, name
        mounts = [v for v in process["volumes"] if v.get("source") == keys_volume["source"]]
        assert mounts and mounts[0]["target"] == keys_volume["target"], name
