"""Fill translations from a JSON file {"vi": {msgid: msgstr}, "fr": {...}} into the catalogues.

Usage: python scripts/translate_fill.py FILE.json   (then: python scripts/i18n.py compile && ... check)
Only entries that are untranslated or fuzzy are filled; existing translations are kept.
"""

import json
import sys
from pathlib import Path

import polib

LOCALE = Path(__file__).resolve().parent.parent / "src" / "motcua" / "locale"


def main(path: str) -> int:
    table = json.loads(Path(path).read_text(encoding="utf-8"))
    for language, translations in table.items():
        po_file = LOCALE / language / "LC_MESSAGES" / "django.po"
        catalogue = polib.pofile(str(po_file))
        filled = 0
        for entry in catalogue:
            if entry.obsolete or (entry.translated() and not entry.fuzzy):
                continue
            if entry.msgid in translations:
                value = translations[entry.msgid]
                if entry.msgid_plural:
                    entry.msgstr_plural = (
                        {int(k): v for k, v in value.items()} if isinstance(value, dict) else {0: value}
                    )
                else:
                    entry.msgstr = value
                if "fuzzy" in entry.flags:
                    entry.flags.remove("fuzzy")
                filled += 1
        catalogue.save(str(po_file))
        print(f"{language}: filled {filled}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
