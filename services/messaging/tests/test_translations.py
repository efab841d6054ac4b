"""The Spanish catalogues (e-mails, the account link pages): complete, and each committed .mo
compiled from the current .po."""

import ast
import gettext
from pathlib import Path

import pytest

import messaging.links
import messaging.notifications

# Each catalogue, and how many entries it has at least (an emptied file must not pass).
CATALOGUES = {
    Path(messaging.notifications.__file__).parent / "locale" / "es" / "LC_MESSAGES": 41,
    Path(messaging.links.__file__).parent / "locale" / "es" / "LC_MESSAGES": 12,
}


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


@pytest.mark.parametrize(("locale", "at_least"), CATALOGUES.items(), ids=["e-mails", "pages"])
def test_every_string_has_a_spanish_translation(locale, at_least):
    entries = po_entries(locale / "django.po")

    assert len(entries) >= at_least
    assert [msgid for msgid, msgstr in entries.items() if not msgstr] == []


@pytest.mark.parametrize("locale", CATALOGUES, ids=["e-mails", "pages"])
def test_the_compiled_catalogue_matches_the_po_file(locale):
    with (locale / "django.mo").open("rb") as compiled:
        catalogue = gettext.GNUTranslations(compiled)._catalog  # type: ignore[attr-defined]

    assert {msgid: msgstr for msgid, msgstr in catalogue.items() if msgid} == po_entries(locale / "django.po")
