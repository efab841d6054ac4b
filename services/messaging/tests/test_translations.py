"""The Spanish catalogue: complete, and its committed .mo compiled from the current .po."""

import ast
import gettext
from pathlib import Path

import messaging.notifications

LOCALE = Path(messaging.notifications.__file__).parent / "locale" / "es" / "LC_MESSAGES"


def po_entries(path: Path) -> dict[str, str]:
    """msgid → msgstr of a .po file (the subset of the format makemessages writes)."""
    entries: dict[str, str] = {}
    current: dict[str, list[str]] = {}
    field = None
    for line in [*path.read_text(encoding="utf-8").splitlines(), ""]:
        if line.startswith(("msgid ", "msgstr ")):
            field, literal = line.split(" ", 1)
            current[field] = [ast.literal_eval(literal)]
        elif line.startswith('"') and field:
            current[field].append(ast.literal_eval(line))
        elif not line.strip() and current:
            entries["".join(current["msgid"])] = "".join(current.get("msgstr", []))
            current, field = {}, None
    entries.pop("", None)  # the header
    return entries


def test_every_string_has_a_spanish_translation():
    entries = po_entries(LOCALE / "django.po")

    assert len(entries) > 40
    assert [msgid for msgid, msgstr in entries.items() if not msgstr] == []


def test_the_compiled_catalogue_matches_the_po_file():
    with (LOCALE / "django.mo").open("rb") as compiled:
        catalogue = gettext.GNUTranslations(compiled)._catalog  # type: ignore[attr-defined]

    assert {msgid: msgstr for msgid, msgstr in catalogue.items() if msgid} == po_entries(LOCALE / "django.po")
