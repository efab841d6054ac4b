"""make audit (scripts/audit.py) reads pip-audit's findings: a vulnerability fails, a
dependency it could not check is never reported as clean, only a full audit passes."""

from scripts.audit import report

CLEAN = {"name": "django", "version": "5.2.8", "vulns": []}
OURS = {"name": "catalog", "skip_reason": "distribution marked as editable"}
UNKNOWN = {
    "name": "amqp",
    "skip_reason": "Dependency not found on PyPI and could not be audited: amqp (5.4.2)",
}
VULNERABLE = {
    "name": "jinja2",
    "version": "3.1.4",
    "vulns": [{"id": "GHSA-q2x7-8rv6-6q7h", "fix_versions": ["3.1.5"], "aliases": ["CVE-2024-56201"]}],
}


def test_a_full_clean_audit_passes(capsys):
    assert report([CLEAN, OURS]) == 0
    assert "1 dependencies audited, 0 with a known vulnerability" in capsys.readouterr().out


def test_a_known_vulnerability_fails_and_names_the_fix(capsys):
    assert report([CLEAN, VULNERABLE, UNKNOWN]) == 1
    out = capsys.readouterr().out
    assert "VULNERABLE jinja2 3.1.4: GHSA-q2x7-8rv6-6q7h (CVE-2024-56201); fixed in 3.1.5" in out


def test_a_dependency_that_could_not_be_audited_is_not_a_pass(capsys):
    assert report([CLEAN, UNKNOWN, OURS]) == 2
    captured = capsys.readouterr()
    assert "1 could not be audited" in captured.out and "NOT FULLY AUDITED" in captured.err
