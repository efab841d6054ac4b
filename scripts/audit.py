#!/usr/bin/env python3
"""``make audit``: the platform's installed Python dependencies against known vulnerabilities.

Runs pip-audit over the virtualenv every service, servicekit and the tools run from (the
services' own packages, installed editable, are ours and skipped). pip-audit asks the Python
Package Index's vulnerability service about each installed version, so the audit needs the
network: when that service cannot be reached this says so and exits 2, rather than passing
with nothing audited. A finding exits 1 and names the package, the advisory and the fixed
versions; a finding accepted for a reason is listed in ``IGNORED`` below with that reason.
An installed release the service does not know (a mirrored or private index) cannot be
checked: the audit lists those and exits 2, never reporting them as clean.

    .venv/bin/python scripts/audit.py [pip-audit arguments …]
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PIP_AUDIT = ROOT / ".venv" / "bin" / "pip-audit"
# Advisory id → why it does not apply to the platform (reviewed; remove when fixed upstream).
IGNORED: dict[str, str] = {}
UNREACHABLE = (
    "ConnectionError",
    "NameResolutionError",
    "Max retries exceeded",
    "Temporary failure in name resolution",
    "ConnectTimeout",
    "ReadTimeout",
    "ProxyError",
    "SSLError",
)


def main(argv: list[str]) -> int:
    if not PIP_AUDIT.exists():
        print("make audit: pip-audit is not installed in .venv (run make bootstrap)", file=sys.stderr)
        return 2
    command = [
        str(PIP_AUDIT),
        "--skip-editable",
        "--progress-spinner",
        "off",
        "--format",
        "json",
        *[argument for advisory in IGNORED for argument in ("--ignore-vuln", advisory)],
        *argv,
    ]
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0 and any(marker in result.stderr for marker in UNREACHABLE):
        sys.stderr.write(result.stderr[-2000:])
        print(
            "\nmake audit: NOT AUDITED. The vulnerability service pip-audit queries (the package "
            "index's JSON API) could not be reached from this machine; the audit needs network "
            "access to it. Nothing was checked, so this is not a pass.",
            file=sys.stderr,
        )
        return 2
    try:
        dependencies = json.loads(result.stdout)["dependencies"]
    except (ValueError, KeyError):
        sys.stderr.write(result.stdout[-2000:] + result.stderr[-2000:])
        return result.returncode or 2
    return report(dependencies)


def report(dependencies: list[dict]) -> int:
    """Print what was audited, what was found and what could not be checked; the exit status."""
    ours = [d for d in dependencies if "editable" in d.get("skip_reason", "")]
    unaudited = [d for d in dependencies if "skip_reason" in d and d not in ours]
    audited = [d for d in dependencies if "skip_reason" not in d]
    vulnerable = [d for d in audited if d.get("vulns")]
    for dependency in vulnerable:
        for vuln in dependency["vulns"]:
            fixed = ", ".join(vuln.get("fix_versions") or []) or "no fixed release yet"
            aliases = ", ".join(vuln.get("aliases") or [])
            print(
                f"VULNERABLE {dependency['name']} {dependency['version']}: {vuln['id']} ({aliases}); fixed in {fixed}"
            )
    print(
        f"make audit: {len(audited)} dependencies audited, {len(vulnerable)} with a known vulnerability, "
        f"{len(unaudited)} could not be audited, {len(ours)} of our own packages skipped"
        + (f"; ignored with a reason: {', '.join(IGNORED)}" if IGNORED else "")
    )
    if vulnerable:
        return 1
    if unaudited:
        for dependency in unaudited[:10]:
            print(f"  not audited: {dependency['skip_reason']}")
        print(
            f"make audit: NOT FULLY AUDITED. The vulnerability service knows no such release of "
            f"{len(unaudited)} installed dependencies (a private or mirrored index, or versions "
            "built locally), so they were not checked. This is not a pass for them.",
            file=sys.stderr,
        )
        return 2
    print("make audit: no known vulnerability in the installed dependencies")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
