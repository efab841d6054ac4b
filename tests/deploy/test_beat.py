"""Every service with a Celery beat schedule runs exactly one beat in every deploy form, and a
service without one runs none.

Which services have a schedule comes from their Celery apps (schedules.py), never from a list
kept here: a schedule added to a service fails these checks until each form runs its beat. One
beat is the rule: with none the periodic tasks never run, with two each runs twice. A worker
embedding beat (``CELERY_EMBED_BEAT=1``, ``--beat``/``-B``) counts as a beat too: it would run
one per replica.
"""

from __future__ import annotations

import shlex

import pytest
from conftest import COMPOSE_FILES, OVERLAYS, ROOT
from envvars import SERVICES
from schedules import beat_schedules, services_with_beat


def expected_beats(service: str) -> int:
    return 1 if service in services_with_beat() else 0


def runs_beat(argv: list[str], env: dict[str, str]) -> bool:
    """An entrypoint command line (``beat …``, ``worker --beat``) and its environment."""
    if not argv:
        return False
    if argv[0] == "beat":
        return True
    if argv[0] == "worker" and ({"--beat", "-B"} & set(argv[1:])):
        return True
    return argv[0] == "worker" and str(env.get("CELERY_EMBED_BEAT", "")).strip() == "1"


# --- which services schedule work -------------------------------------------------------------


def test_schedules_are_read_from_the_services_celery_apps():
    schedules = beat_schedules()
    assert set(schedules) == set(SERVICES)
    # The derivation sees real schedules (an import that silently found nothing would make
    # every check below pass vacuously).
    assert services_with_beat(), "no service has a beat schedule"
    for service, schedule in schedules.items():
        unknown = schedule.tasks - schedule.registered
        assert not unknown, f"{service} schedules tasks its Celery app does not register: {unknown}"


# --- Procfile ---------------------------------------------------------------------------------


def procfile_entries() -> list[tuple[str, str]]:
    """(name, command) of every Procfile line."""
    entries = []
    for line in (ROOT / "Procfile").read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, command = line.partition(":")
            entries.append((name.strip(), command.strip()))
    return entries


def procfile_beats(service: str) -> list[str]:
    """Names of the Procfile entries running ``service``'s beat."""
    beats = []
    for name, command in procfile_entries():
        words = shlex.split(command)
        env = dict(word.split("=", 1) for word in words if "=" in word and not word.startswith("-"))
        script = f"services/{service}/entrypoint.sh"
        if script in words and runs_beat(words[words.index(script) + 1 :], env):
            beats.append(name)
    return beats


@pytest.mark.parametrize("service", SERVICES)
def test_procfile_runs_one_beat_per_scheduled_service(service):
    beats = procfile_beats(service)
    assert len(beats) == expected_beats(service), (service, beats)
    if beats:
        assert beats == [f"{service}-beat"], beats


# --- compose ----------------------------------------------------------------------------------


def compose_image_service(image: str) -> str:
    """``platform/orders:1.2.3`` (any registry) -> ``orders``."""
    return image.rsplit("/", 1)[-1].split(":", 1)[0]


@pytest.mark.parametrize("name", COMPOSE_FILES)
def test_compose_runs_one_unscaled_beat_per_scheduled_service(compose_config, name):
    services = compose_config[name]["services"]
    for service in SERVICES:
        beats = {
            key: process
            for key, process in services.items()
            if compose_image_service(process.get("image", "")) == service
            and runs_beat(process.get("command") or [], process.get("environment") or {})
        }
        assert len(beats) == expected_beats(service), (name, service, sorted(beats))
        for key, process in beats.items():
            assert key == f"{service}-beat", (name, key)
            assert process.get("scale", 1) == 1, (name, key)
            assert (process.get("deploy") or {}).get("replicas", 1) == 1, (name, key)
            assert process["restart"] in ("unless-stopped", "always"), (name, key)


# --- Kubernetes -------------------------------------------------------------------------------


def container_env(objects: list[dict], container: dict) -> dict[str, str]:
    """A container's environment: its ConfigMaps (envFrom) and its own ``env`` values."""
    config_maps = {o["metadata"]["name"]: o.get("data") or {} for o in objects if o["kind"] == "ConfigMap"}
    env: dict[str, str] = {}
    for source in container.get("envFrom") or []:
        if "configMapRef" in source:
            env.update(config_maps.get(source["configMapRef"]["name"], {}))
    env.update({item["name"]: item.get("value", "") for item in container.get("env") or []})
    return env


def k8s_beats(objects: list[dict], service: str) -> dict[str, dict]:
    """Workloads (by "Kind name") whose pods run ``service``'s beat."""
    beats = {}
    for o in objects:
        if o["kind"] not in ("Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob"):
            continue
        template = (
            o["spec"]["jobTemplate"]["spec"]["template"] if o["kind"] == "CronJob" else o["spec"]["template"]
        )
        if template["metadata"].get("labels", {}).get("app.kubernetes.io/name") != service:
            continue
        for container in template["spec"]["containers"]:
            # The image's ENTRYPOINT is entrypoint.sh; a command replacing it names it first.
            argv = [*(container.get("command") or [])[1:], *(container.get("args") or [])]
            if runs_beat(argv, container_env(objects, container)):
                beats[f"{o['kind']} {o['metadata']['name']}"] = o
    return beats


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_kubernetes_runs_one_single_replica_beat_per_scheduled_service(rendered, overlay):
    objects = rendered[overlay]
    autoscaled = {
        (o["spec"]["scaleTargetRef"]["kind"], o["spec"]["scaleTargetRef"]["name"])
        for o in objects
        if o["kind"] == "HorizontalPodAutoscaler"
    }
    for service in SERVICES:
        beats = k8s_beats(objects, service)
        assert len(beats) == expected_beats(service), (overlay, service, sorted(beats))
        for key, workload in beats.items():
            assert key == f"Deployment {service}-beat", (overlay, key)
            assert workload["spec"]["replicas"] == 1, (overlay, key)
            # Recreate: the old pod stops before the new one starts, never two schedulers.
            assert workload["spec"]["strategy"]["type"] == "Recreate", (overlay, key)
            assert ("Deployment", f"{service}-beat") not in autoscaled, (overlay, key)
