"""Static Noto Sans faces for PDF documents (dossier forms, payment receipts), made once from the variable font.

``fontpkg_noto_sans`` ships Noto Sans only as variable fonts (``NotoSans[wdth,wght].ttf`` and its italic).
fpdf2 2.8 can instantiate a variable font itself (``add_font(variations=...)``), but it does so for every
``FPDF`` object, about 4 seconds per style on this machine: far too slow for a receipt printed at a counter.
So the instances (regular 400, bold 700, italic 400, bold italic 700; normal width) are made here once,
cut to what an administrative form contains (Latin with every Vietnamese letter and the combining marks,
punctuation, currency and common symbols; foreign names are written in Latin letters on Vietnamese
papers), and cached as static TrueType files in a private folder under the system's temporary directory.
Later processes reuse the files; a changed font package or fontTools version gets new files because both
are part of the cache key. fpdf2 still embeds only the glyphs each document uses.
"""

from __future__ import annotations

import hashlib
import os
import stat
import tempfile
import threading
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import fontTools
from fontpkg_noto_sans import ROOT as NOTO_SANS_ROOT
from fontTools import subset, ttLib
from fontTools.varLib import instancer

FAMILY = "NotoSans"

_UPRIGHT_SOURCE = NOTO_SANS_ROOT / "files" / "NotoSans[wdth,wght].ttf"
_ITALIC_SOURCE = NOTO_SANS_ROOT / "files" / "NotoSans-Italic[wdth,wght].ttf"

# Code point ranges kept in the static faces; anything else a form could hold is outside Noto Sans anyway.
_UNICODE_RANGES: tuple[tuple[int, int], ...] = (
    (0x0020, 0x036F),  # Latin, Latin-1, Latin Extended-A/B, IPA, spacing modifiers, combining marks
    (0x1E00, 0x1EFF),  # Latin Extended Additional (Vietnamese ạ ả ấ ầ ẩ ẫ ậ ... ỹ)
    (0x2000, 0x22FF),  # punctuation, super/subscripts, currency (₫), letterlike (№), number forms, arrows, maths
    (0x2460, 0x24FF),  # enclosed alphanumerics
    (0x25A0, 0x25FF),  # geometric shapes (□ ■ ○ ●)
    (0x2610, 0x2612),  # ballot boxes ☐ ☑ ☒
)
_CACHE_VERSION = "2"


@dataclass(frozen=True, slots=True)
class _Face:
    style: str  # fpdf2 style: "" regular, "B" bold, "I" italic
    source: Path
    weight: int


_FACES: tuple[_Face, ...] = (
    _Face("", _UPRIGHT_SOURCE, 400),
    _Face("B", _UPRIGHT_SOURCE, 700),
    _Face("I", _ITALIC_SOURCE, 400),
    _Face("BI", _ITALIC_SOURCE, 700),
)

_lock = threading.Lock()


def _cache_key() -> str:
    digest = hashlib.sha256()
    digest.update(_CACHE_VERSION.encode())
    digest.update(fontTools.version.encode())
    for source in (_UPRIGHT_SOURCE, _ITALIC_SOURCE):
        info = source.stat()
        digest.update(f"{source.name}:{info.st_size}:{info.st_mtime_ns}".encode())
    digest.update(repr(_UNICODE_RANGES).encode())
    return digest.hexdigest()[:16]


def _private_directory() -> Path:
    """A cache folder only this user can write; fonts parsed from a folder others control would be a risk."""
    directory = Path(tempfile.gettempdir()) / f"motcua-fonts-{os.getuid()}"
    directory.mkdir(mode=0o700, exist_ok=True)
    info = directory.lstat()
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid() or info.st_mode & 0o022:
        return Path(tempfile.mkdtemp(prefix="motcua-fonts-"))
    return directory


def _unicodes() -> list[int]:
    return [code for start, end in _UNICODE_RANGES for code in range(start, end + 1)]


@cache
def _subset_source(source: Path) -> ttLib.TTFont:
    font = ttLib.TTFont(source, recalcTimestamp=False)
    options = subset.Options()
    options.layout_features = ["*"]
    options.name_IDs = ["*"]
    options.name_languages = ["*"]
    options.notdef_outline = True
    options.recalc_timestamp = False
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=_unicodes())
    subsetter.subset(font)
    return font


def _make_static_face(face: _Face, target: Path) -> None:
    source = _subset_source(face.source)
    static = instancer.instantiateVariableFont(
        source, {"wght": face.weight, "wdth": 100}, static=True, updateFontNames=True
    )
    # Write beside the target and rename, so a concurrent reader never sees half a file.
    handle, temporary = tempfile.mkstemp(dir=target.parent, suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as stream:
            static.save(stream)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


@cache
def static_font_files() -> dict[str, Path]:
    """Paths of the static faces by fpdf2 style (``""``, ``"B"``, ``"I"``, ``"BI"``), made on first use."""
    with _lock:
        directory = _private_directory()
        key = _cache_key()
        paths: dict[str, Path] = {}
        for face in _FACES:
            target = directory / f"NotoSans-{face.style or 'R'}-{face.weight}-{key}.ttf"
            if not target.exists():
                _make_static_face(face, target)
            paths[face.style] = target
        _subset_source.cache_clear()
        return paths
