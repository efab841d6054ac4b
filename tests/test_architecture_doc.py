"""docs/architecture.md's servicekit table names every module of servicekit."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "shared-lib" / "src" / "servicekit"


def table_rows() -> dict[str, str]:
    """``servicekit.<name>`` → the rest of its line, from section 3's table."""
    text = (ROOT / "docs" / "architecture.md").read_text()
    section = text[text.index("## 3. servicekit") : text.index("## 4.")]
    return dict(re.findall(r"^\| `servicekit\.(\w+)` \|(.*)\|$", section, re.MULTILINE))


def modules_of(package: Path) -> set[str]:
    """Every module below ``package`` by its own name (commands included, migrations not)."""
    return {
        path.stem
        for path in package.rglob("*.py")
        if path.stem != "__init__" and "migrations" not in path.relative_to(package).parts
    }


def test_every_top_level_module_and_package_has_a_line():
    entries = {p.stem for p in PACKAGE.glob("*.py") if p.stem != "__init__"}
    entries |= {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").exists()}
    assert not sorted(entries - set(table_rows()))


def test_each_package_line_names_every_module_of_the_package():
    rows = table_rows()
    missing = {
        package.name: sorted(name for name in modules_of(package) if f"`{name}`" not in rows[package.name])
        for package in PACKAGE.iterdir()
        if (package / "__init__.py").exists() and package.name in rows
    }
    assert not {package: names for package, names in missing.items() if names}
