"""No token, password, API key or reset link in any log line of the whole e2e run
(docs/security.md). Runs last (tests/e2e/conftest.py orders it), so it reads the logs every
other e2e test made: those of the shared platform, still running, and of every platform
stopped before (tests/harness.py scans each before deleting its logs)."""

from tests import harness
from tests.log_secrets import secrets_in


def test_no_secret_in_any_log_line_of_the_e2e_run(platform):
    gateway = platform.log("gateway")
    # The run did sign people in: the scan has something to find.
    assert '"uri":"/api/v1/auth/login/"' in gateway

    findings = platform.secrets_in_logs() + harness.SECRETS_FOUND_IN_LOGS

    assert not findings, f"{len(findings)} log line(s) with a secret:\n" + "\n".join(findings[:50])


def test_the_scan_finds_what_it_looks_for():
    """The scan is no test that cannot fail: each kind of secret in a line is found."""
    lines = [
        '{"message": "GET /account/reset-password/?token=c2VjcmV0LXRva2Vu 200"}',
        "Authorization: Bearer eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxMjMifQ.c2lnbmF0dXJlLXBhcnQ",
        "ApiKey ik_0123456789abcdef.c2VjcmV0LWFwaS1rZXk",
        "{'email': 'a@b.c', 'password': 'whatever-it-is'}",
        "login for e2e-Customer-Pass-2026!",
    ]
    assert len(secrets_in("\n".join(lines), "sample")) == len(lines)
    redacted = [
        '{"message": "GET /account/reset-password/?[REDACTED] 200"}',
        "Authorization: Bearer [REDACTED]",
        "ApiKey ik_0123456789abcdef.[REDACTED]",
        "{'email': 'a@b.c', 'password': '[REDACTED]'}",
    ]
    assert secrets_in("\n".join(redacted), "sample") == []
