"""What every upload shares, whatever the domain (dossiers, feedback, official documents)."""

from __future__ import annotations

import os
import unicodedata


def safe_name(name: str) -> str:
    """A file name fit to store and show: no directories, no control characters, no leading or trailing dots,
    NFC-normalised (Vietnamese typed on different systems compares equal), at most 200 characters with its
    extension kept."""
    base = os.path.basename((name or "").replace("\\", "/"))
    base = "".join(char for char in unicodedata.normalize("NFC", base) if unicodedata.category(char)[0] != "C")
    base = base.strip().strip(".") or "file"
    if len(base) > 200:
        stem, _dot, extension = base.rpartition(".")
        base = f"{stem[:190]}.{extension[:8]}" if stem else base[:200]
    return base
