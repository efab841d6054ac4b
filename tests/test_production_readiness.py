"""Every service under production settings: ``manage.py check --deploy`` is clean, and the
settings refuse to load with a secret missing, left at the example's placeholder, too weak,
or with DEBUG on (docs/security.md).

The production environment is the one the deployment ships: the keys of
``deploy/compose/secrets.example/<service>.env.example`` and ``platform.env.example``, each
given a real random value, so a secret a service starts to need without the example listing
it fails here.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

ROOT = Path(__file__).resolve().parent.parent
PYTHON = ROOT / ".venv" / "bin" / "python"
EXAMPLES = ROOT / "deploy" / "compose" / "secrets.example"
SERVICES = ["identity", "catalog", "orders", "builds", "messaging", "analytics"]
# Not secrets of ours: URLs and credentials other systems issue, which only need to be valid.
VALID_VALUES = {
    "BROKER_URL": "amqp://platform:{secret}@rabbitmq:5672/%2F",
    "EMAIL_URL": "smtp+tls://platform:{secret}@mail.example.com:587",
}
# Read by the settings (so a placeholder must be refused); DB_PASSWORD is Postgres's to check.
CHECKED_SECRETS = {
    "SECRET_KEY",
    "INTERNAL_API_TOKEN",
    "API_KEY_HASH_KEY",
    "PAYMENT_WEBHOOK_SECRET",
    "BUILDS_TOKEN_SECRET",
    "MESSAGING_WEBHOOK_SECRET",
}
# The variables a developer's shell or another suite may have set, which would change the outcome.
INHERITED = (
    "DJANGO_ENV",
    "DEBUG",
    "ALLOWED_HOSTS",
    "DATABASE_URL",
    "JWT_PRIVATE_KEY",
    "JWT_PRIVATE_KEY_FILE",
)


def example_keys(service: str) -> list[str]:
    keys = []
    for name in (f"{service}.env.example", "platform.env.example"):
        for line in (EXAMPLES / name).read_text().splitlines():
            if line.strip() and not line.lstrip().startswith("#"):
                keys.append(line.split("=", 1)[0].strip())
    return keys


@pytest.fixture(scope="module")
def signing_key(tmp_path_factory) -> Path:
    """identity's JWT signing key, a file secret (jwt-signing.pem) rather than a variable."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    path = tmp_path_factory.mktemp("keys") / "jwt-signing.pem"
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return path


def production_env(service: str, signing_key: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key not in INHERITED}
    for key in example_keys(service):
        secret = secrets.token_urlsafe(48)
        env[key] = VALID_VALUES.get(key, "{secret}").format(secret=secret)
    env.update(
        DJANGO_ENV="production",
        ALLOWED_HOSTS="api.example.com",
        JWT_PRIVATE_KEY_FILE=str(signing_key),
        SERVICE_NAME=service,
    )
    return env


@pytest.mark.parametrize("service", SERVICES)
def test_check_deploy_is_clean_under_production_settings(service, signing_key):
    result = subprocess.run(
        [PYTHON, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT / "services" / service,
        env=production_env(service, signing_key),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout, result.stdout + result.stderr


# Loads the service's settings once per environment given (on stdin, a JSON list of {name:
# value|null}, null meaning unset) and prints, per environment, "ok" or why it was refused.
LOAD_SETTINGS = """
import json, os, runpy, sys
from django.core.exceptions import ImproperlyConfigured
outcomes = []
for changes in json.load(sys.stdin):
    saved = dict(os.environ)
    for name, value in changes.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
    for module in [m for m in sys.modules if m == "servicekit.settings.base" or m.endswith(".settings")]:
        del sys.modules[module]
    try:
        runpy.run_path(os.path.join(os.environ["SERVICE_NAME"], "settings.py"), run_name="settings")
        outcomes.append({"ok": True})
    except ImproperlyConfigured as refused:
        outcomes.append({"ok": False, "type": type(refused).__name__, "message": str(refused)})
    os.environ.clear()
    os.environ.update(saved)
print(json.dumps(outcomes))
"""


def load_settings(service: str, signing_key: Path, cases: list[dict[str, str | None]]) -> list[dict]:
    env = production_env(service, signing_key)
    env["DJANGO_SETTINGS_MODULE"] = f"{service}.settings"
    result = subprocess.run(
        [PYTHON, "-c", LOAD_SETTINGS],
        cwd=ROOT / "services" / service,
        env=env,
        input=json.dumps(cases),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.splitlines()[-1])


@pytest.mark.parametrize("service", SERVICES)
def test_production_settings_refuse_a_missing_default_or_weak_secret_and_debug(service, signing_key):
    checked = [key for key in example_keys(service) if key in CHECKED_SECRETS]
    example = {
        line.split("=", 1)[0]: line.split("=", 1)[1]
        for name in (f"{service}.env.example", "platform.env.example")
        for line in (EXAMPLES / name).read_text().splitlines()
        if "=" in line and not line.startswith("#")
    }
    cases: list[tuple[str, str, dict[str, str | None]]] = [("as configured", "", {})]
    cases.append(("DEBUG on", "DEBUG", {"DEBUG": "true"}))
    for key in checked:
        if key != "API_KEY_HASH_KEY":  # unset, it is derived from SECRET_KEY (checked above)
            cases.append((f"{key} missing", key, {key: None}))
        cases.append((f"{key} left as the example's", key, {key: example[key]}))
        cases.append((f"{key} too short", key, {key: secrets.token_hex(8)}))
        cases.append((f"{key} the development default", key, {key: f"dev-insecure-{service}"}))

    outcomes = load_settings(service, signing_key, [changes for _, _, changes in cases])

    assert outcomes[0] == {"ok": True}, outcomes[0]
    for (what, key, _), outcome in zip(cases[1:], outcomes[1:], strict=True):
        assert not outcome["ok"], f"{service} started in production with {what}"
        assert outcome["type"] == "ImproperlyConfiguredForProduction", (what, outcome)
        assert key in outcome["message"], (what, outcome)
