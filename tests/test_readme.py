"""The README's list of what `make bootstrap` installs is scripts/bootstrap.sh's."""

from __future__ import annotations

import re

from tests.harness import ROOT


def bootstrap_debian_packages() -> set[str]:
    script = (ROOT / "scripts" / "bootstrap.sh").read_text()
    packages = set(re.findall(r"^\s*apt_install (?!--)([a-z0-9.+-]+)", script, re.MULTILINE))
    packages |= set(re.findall(r"^\s*need_tool [a-z0-9.+-]+ ([a-z0-9.+-]+)$", script, re.MULTILINE))
    for listed in re.findall(r"^listed\+=\(([^)]*)\)", script, re.MULTILINE):
        packages |= set(listed.split())
    for path in (ROOT / "services").glob("*/system-packages.txt"):
        packages |= {line.split("#")[0].strip() for line in path.read_text().splitlines()} - {""}
    return packages


def test_the_readme_names_every_debian_package_bootstrap_installs():
    readme = (ROOT / "README.md").read_text()
    packages = bootstrap_debian_packages()
    assert {"nginx", "npm", "ostree", "flatpak", "chromium", "chromium-driver", "wrk"} <= packages
    named = set(re.findall(r"\*\*([a-z0-9.+-]+)\*\*", readme))
    assert packages <= named, f"README.md does not name: {sorted(packages - named)}"
