"""Which environment variables the code reads, found by scanning its sources.

Scanning (rather than a hand-kept list) keeps catching the variables a change adds:
``env.str("X"``/``env.int(``/… (django-environ), ``env("X"``, ``os.environ.get("X"``,
``os.environ["X"]`` and ``os.getenv("X"``.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ["identity", "catalog", "orders", "builds", "messaging", "analytics"]

_NAME = r"""\(\s*["']([A-Z][A-Z0-9_]*)["']"""
PATTERNS = [
    re.compile(
        r"\b_?env\.(?:str|int|bool|list|float|json|url|path|dict|tuple|db_url|cache_url|email_url)" + _NAME
    ),
    re.compile(r"\b_?env" + _NAME),
    re.compile(r"\bos\.environ\.get" + _NAME),
    re.compile(r"\bos\.getenv" + _NAME),
    re.compile(r"""\bos\.environ\[\s*["']([A-Z][A-Z0-9_]*)["']\s*\]"""),
]


# Shipped beside a service but never run by its processes: the builds command-line client runs
# on CI machines, so its variables (REPO_TOKEN) are not the deployment's.
NOT_RUN_BY_THE_SERVICE = {"builds_client"}


def _sources(directory: Path) -> list[Path]:
    skipped = {"tests", "migrations", "testing", "__pycache__", *NOT_RUN_BY_THE_SERVICE}
    return [
        path
        for path in sorted(directory.rglob("*.py"))
        if not skipped & set(path.relative_to(directory).parts)
    ]


def variables_in_file(path: Path) -> set[str]:
    text = path.read_text()
    return {name for pattern in PATTERNS for name in pattern.findall(text)}


def variables_in(directory: Path) -> set[str]:
    found: set[str] = set()
    for path in _sources(directory):
        found |= variables_in_file(path)
    return found


def servicekit_variables() -> set[str]:
    """Read by every service process (servicekit is in every image)."""
    return variables_in(ROOT / "shared-lib" / "src" / "servicekit")


GUNICORN_CONFIG = ROOT / "shared-lib" / "src" / "servicekit" / "gunicorn_config.py"


def web_only_variables() -> set[str]:
    """Read only by gunicorn's config, so only by web processes (workers, consumers, relays,
    beat, migrations and init containers never load it)."""
    elsewhere: set[str] = set()
    for path in _sources(ROOT / "shared-lib" / "src" / "servicekit"):
        if path != GUNICORN_CONFIG:
            elsewhere |= variables_in_file(path)
    for service in SERVICES:
        elsewhere |= variables_in(ROOT / "services" / service)
    return variables_in_file(GUNICORN_CONFIG) - elsewhere


def service_variables(service: str) -> set[str]:
    """Read by ``service``'s processes: servicekit's and its own."""
    return servicekit_variables() | variables_in(ROOT / "services" / service)


def gateway_variables() -> set[str]:
    """gateway/render.py's SETTINGS (read from a dict, so parsed rather than grepped)."""
    text = (ROOT / "gateway" / "render.py").read_text()
    block = text[text.index("SETTINGS:") : text.index("LISTS =")]
    names = set(re.findall(r'^\s*"([A-Z][A-Z0-9_]*)":', block, re.MULTILINE))
    if "_UPSTREAM" in block:
        names |= {f"{service.upper()}_UPSTREAM" for service in SERVICES}
    return names


def all_variables() -> set[str]:
    names = gateway_variables()
    for service in SERVICES:
        names |= service_variables(service)
    return names
