"""Find secrets in log lines: what servicekit's RedactSecretsFilter and the gateway's log
format must keep out (docs/security.md). Every platform tests/harness.py starts is scanned
before its logs are deleted; tests/e2e/test_zz_logs_hold_no_secrets.py fails on any finding.

Deliberately written apart from servicekit's redaction (no shared pattern), so a gap in one
is not hidden by the same gap in the other.
"""

from __future__ import annotations

import re
from pathlib import Path

# The passwords the suites and the load test sign in with.
KNOWN_PASSWORDS = (
    "e2e-Admin-Pass-2026!",
    "e2e-Customer-Pass-2026!",
    "e2e-Brand-New-Pass-77",
    "wrong-Pass-2026!",
    "load-Customer-Pass-2026!",
    "load-Admin-Pass-2026!",
)
SECRET_PATTERNS = {
    "a JWT": re.compile(r"eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}"),
    "bearer credentials": re.compile(r"(?i)\bbearer\s+(?!\[REDACTED\])[A-Za-z0-9._~+/-]{8,}"),
    "an API key's secret": re.compile(r"\bik_[0-9a-f]{16}\.(?!\[REDACTED\])[A-Za-z0-9_-]{8,}"),
    "a secret in a link": re.compile(
        r"(?i)[?&;][a-z_-]*(?:token|password|secret|api_?key|signature)[a-z_-]*=(?!\[REDACTED\])[^&\s\"']{6,}"
    ),
    "a password field": re.compile(r"(?i)[\"']?password[\"']?\s*[:=]\s*[\"']?(?!\[REDACTED\])[^\s\"',}]{4,}"),
}


def secrets_in(text: str, source: str) -> list[str]:
    """One finding per line holding a secret: ``source:line: what``."""
    findings = []
    for number, line in enumerate(text.splitlines(), start=1):
        found = [what for what, pattern in SECRET_PATTERNS.items() if pattern.search(line)]
        found += ["a test password" for password in KNOWN_PASSWORDS if password in line]
        if found:
            findings.append(f"{source}:{number}: {', '.join(found)}: {line[:300]}")
    return findings


def secrets_in_logs(directory: Path, label: str = "") -> list[str]:
    findings = []
    for log in sorted(directory.glob("*.log")):
        findings += secrets_in(log.read_text(errors="replace"), f"{label}{log.name}")
    return findings
