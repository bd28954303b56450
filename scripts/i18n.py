#!/usr/bin/env python
"""Motcua's translation catalogues without GNU gettext: extract, compile, check.

    python scripts/i18n.py extract   # find every translatable string in src/motcua, merge into vi/en/fr .po files
    python scripts/i18n.py compile   # write the .mo files (committed, so a fresh machine needs no gettext)
    python scripts/i18n.py check     # exit 1 listing strings missing, untranslated, fuzzy or with broken
                                     # placeholders in any language, and .mo files out of date

Python sources are read with ``ast`` (gettext, gettext_lazy, gettext_noop, pgettext*, ngettext*, npgettext*, and
``_``). Templates are read with Django's own template Lexer and the regular expressions of
``django.utils.translation.template`` (what ``makemessages`` uses), so the msgids are exactly the strings Django
looks up when it renders: ``{% translate %}`` literals with ``%`` doubled, ``{% blocktranslate %}`` bodies with
``{{ var }}`` turned into ``%(var)s``, ``trimmed``, ``context`` and ``count``/``{% plural %}``.

English is the source language: new English entries are filled with the source text on extract; Vietnamese and
French are translated by people. Existing translations are always kept. Entries that left the code stay in the
.po file as obsolete (``#~``), to be reused when a string comes back or is only slightly changed (offered as
fuzzy, which ``check`` refuses until someone confirms it); ``extract --prune`` drops them.
"""

from __future__ import annotations

import argparse
import ast
import difflib
import io
import re
import sys
import tokenize
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parent.parent
SOURCE_DIR = ROOT / "src" / "motcua"
LOCALE_DIR = SOURCE_DIR / "locale"
DOMAIN = "django"
SOURCE_LANGUAGE = "en"
LANGUAGES = ("vi", "en", "fr")
PLURAL_FORMS = {
    "vi": "nplurals=1; plural=0;",
    "en": "nplurals=2; plural=(n != 1);",
    "fr": "nplurals=2; plural=(n > 1);",
}
LANGUAGE_TEAMS = {"vi": "Vietnamese", "en": "English", "fr": "French"}
TEMPLATE_SUFFIXES = {".html", ".txt", ".xml", ".email"}
SKIPPED_DIRECTORIES = {"migrations", "locale", "__pycache__", "static", "node_modules"}
FUZZY_MATCH_RATIO = 0.8
TRANSLATOR_COMMENT_MARK = "Translators"

# name -> positions of (context, singular, plural) in the call's arguments
PYTHON_KEYWORDS: dict[str, tuple[int | None, int, int | None]] = {
    "_": (None, 0, None),
    "gettext": (None, 0, None),
    "gettext_lazy": (None, 0, None),
    "gettext_noop": (None, 0, None),
    "pgettext": (0, 1, None),
    "pgettext_lazy": (0, 1, None),
    "ngettext": (None, 0, 1),
    "ngettext_lazy": (None, 0, 1),
    "npgettext": (0, 1, 2),
    "npgettext_lazy": (0, 1, 2),
}

# printf-style conversions as Python's % operator reads them: %(name)s, %s, %d, %5.2f ... but not %%.
PLACEHOLDER_RE = re.compile(
    r"%(?:\((?P<name>[^)]*)\))?[#0 +-]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[hlL]?(?P<type>[diouxXeEfFgGcrsa%])"
)


@dataclass
class Message:
    msgid: str
    msgid_plural: str = ""
    msgctxt: str | None = None
    locations: set[str] = field(default_factory=set)
    comments: list[str] = field(default_factory=list)

    @property
    def key(self) -> tuple[str | None, str]:
        return (self.msgctxt, self.msgid)


class Catalogue:
    """Messages found in the sources, merged by (context, msgid)."""

    def __init__(self) -> None:
        self.messages: dict[tuple[str | None, str], Message] = {}
        self.problems: list[str] = []

    def add(
        self,
        msgid: str,
        *,
        location: str,
        msgid_plural: str = "",
        msgctxt: str | None = None,
        comment: str | None = None,
    ) -> None:
        if not msgid:
            self.problems.append(f"{location}: empty msgid")
            return
        message = self.messages.setdefault((msgctxt, msgid), Message(msgid=msgid, msgctxt=msgctxt))
        if msgid_plural:
            if message.msgid_plural and message.msgid_plural != msgid_plural:
                self.problems.append(
                    f"{location}: {msgid!r} has two plural forms: {message.msgid_plural!r} and {msgid_plural!r}"
                )
            message.msgid_plural = msgid_plural
        message.locations.add(location)
        if comment and comment not in message.comments:
            message.comments.append(comment)


# ---------------------------------------------------------------- extraction


def source_files(root: Path = SOURCE_DIR) -> Iterator[Path]:
    for path in sorted(root.rglob("*")):
        relative_parts = path.relative_to(root).parts
        if any(part in SKIPPED_DIRECTORIES or part.startswith(".") for part in relative_parts[:-1]):
            continue
        if not path.is_file():
            continue
        is_template = path.suffix in TEMPLATE_SUFFIXES and "templates" in relative_parts
        if path.suffix == ".py" or is_template:
            yield path


def _translator_comments(source: str) -> dict[int, str]:
    """Line number of the last line of each ``# Translators:`` comment block -> its text."""
    comment_lines: dict[int, str] = {}
    try:
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            if token.type == tokenize.COMMENT:
                comment_lines[token.start[0]] = token.string.lstrip("#").strip()
    except (tokenize.TokenError, SyntaxError):
        return {}
    blocks: dict[int, str] = {}
    for line in sorted(comment_lines):
        if comment_lines[line].startswith(TRANSLATOR_COMMENT_MARK):
            text = [comment_lines[line]]
            following = line + 1
            while following in comment_lines:
                text.append(comment_lines[following])
                following += 1
            blocks[following - 1] = " ".join(text)
    return blocks


def _call_name(node: ast.Call) -> str | None:
    if isinstance(node.func, ast.Name):
        return node.func.id
    if isinstance(node.func, ast.Attribute):
        return node.func.attr
    return None


def _literal(node: ast.expr | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def _location(path: Path) -> str:
    try:
        return path.resolve().relative_to(ROOT).as_posix()
    except ValueError:
        return path.as_posix()


def extract_python(path: Path, catalogue: Catalogue) -> None:
    location = _location(path)
    source = path.read_text(encoding="utf-8")
    try:
        tree = ast.parse(source, filename=str(path))
    except SyntaxError as error:
        catalogue.problems.append(f"{location}: cannot parse: {error}")
        return
    comments = _translator_comments(source)
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = _call_name(node)
        if name not in PYTHON_KEYWORDS:
            continue
        context_index, singular_index, plural_index = PYTHON_KEYWORDS[name]
        needed = max(index for index in (context_index, singular_index, plural_index) if index is not None)
        if len(node.args) <= needed:
            continue
        singular = _literal(node.args[singular_index])
        if singular is None:
            if isinstance(node.args[singular_index], ast.JoinedStr):
                catalogue.problems.append(f"{location}:{node.lineno}: f-string passed to {name}(); use %(name)s")
            continue
        context = _literal(node.args[context_index]) if context_index is not None else None
        plural = _literal(node.args[plural_index]) if plural_index is not None else ""
        if (context_index is not None and context is None) or plural is None:
            continue
        comment = comments.get(node.lineno - 1) or comments.get(node.lineno)
        catalogue.add(singular, location=location, msgid_plural=plural, msgctxt=context, comment=comment)


def _unquote(literal: str) -> str:
    if literal[0] == '"':
        return literal.strip('"')
    if literal[0] == "'":
        return literal.strip("'")
    return literal


def extract_template(path: Path, catalogue: Catalogue) -> None:
    """Mirror django.utils.translation.template.templatize, collecting messages instead of writing Python."""
    from django.template.base import Lexer, TokenType
    from django.utils.translation import trim_whitespace
    from django.utils.translation.template import (
        block_re,
        constant_re,
        context_re,
        endblock_re,
        inline_re,
        plural_re,
    )

    location = _location(path)
    source = path.read_text(encoding="utf-8")
    in_comment = in_block = in_plural = trimmed = False
    block_context: str | None = None
    singular: list[str] = []
    plural: list[str] = []
    pending_comment: tuple[int, str] | None = None

    def comment_for(lineno: int) -> str | None:
        if pending_comment and pending_comment[0] in (lineno, lineno - 1):
            return pending_comment[1]
        return None

    def add_constant(literal: str, lineno: int) -> None:
        try:
            value = ast.literal_eval(literal)
        except (ValueError, SyntaxError):
            return
        # A literal resolved with translate=True is looked up with "%" doubled (django.template.base.Variable).
        catalogue.add(value.replace("%", "%%"), location=location, comment=comment_for(lineno))

    def join(parts: list[str]) -> str:
        message = "".join(parts)
        return trim_whitespace(message) if trimmed else message

    block_start = 0
    for token in Lexer(source).tokenize():
        if in_comment:
            if token.token_type == TokenType.BLOCK and token.contents == "endcomment":
                in_comment = False
            continue
        if in_block:
            if token.token_type == TokenType.BLOCK:
                if endblock_re.match(token.contents):
                    catalogue.add(
                        join(singular),
                        location=location,
                        msgid_plural=join(plural) if in_plural else "",
                        msgctxt=block_context,
                        comment=comment_for(block_start),
                    )
                    in_block = in_plural = False
                    block_context = None
                    singular, plural = [], []
                elif plural_re.match(token.contents):
                    in_plural = True
                else:
                    raise SyntaxError(
                        f"Translation blocks must not include other block tags: {token.contents} "
                        f"(file {location}, line {token.lineno})"
                    )
            elif token.token_type == TokenType.VAR:
                (plural if in_plural else singular).append(f"%({token.contents})s")
            elif token.token_type == TokenType.TEXT:
                (plural if in_plural else singular).append(token.contents.replace("%", "%%"))
            continue

        if token.token_type == TokenType.BLOCK:
            inline = inline_re.match(token.contents)
            block = block_re.match(token.contents)
            constants = constant_re.findall(token.contents)
            if inline:
                message = _unquote(inline[1]).replace("%", "%%")
                context = None
                if inline[2]:
                    context_match = context_re.match(inline[2])
                    context = _unquote(context_match[1]) if context_match else None
                catalogue.add(message, location=location, msgctxt=context, comment=comment_for(token.lineno))
            elif block:
                for constant in constants:
                    add_constant(constant, token.lineno)
                block_context = None
                if block[1]:
                    context_match = context_re.match(block[1])
                    block_context = _unquote(context_match[1]) if context_match else None
                in_block, in_plural = True, False
                trimmed = "trimmed" in token.split_contents()
                singular, plural = [], []
                block_start = token.lineno
            elif constants:
                for constant in constants:
                    add_constant(constant, token.lineno)
            elif token.contents == "comment":
                in_comment = True
        elif token.token_type == TokenType.VAR:
            parts = token.contents.split("|")
            constant = constant_re.match(parts[0])
            if constant:
                add_constant(constant[1], token.lineno)
            for part in parts[1:]:
                if ":_(" in part:
                    argument = constant_re.match(part.split(":", 1)[1])
                    if argument:
                        add_constant(argument[1], token.lineno)
        elif token.token_type == TokenType.COMMENT and token.contents.lstrip().startswith(TRANSLATOR_COMMENT_MARK):
            pending_comment = (token.lineno, token.contents.strip())
    if in_block:
        catalogue.problems.append(f"{location}: unclosed blocktranslate")


def extract(root: Path = SOURCE_DIR) -> Catalogue:
    _setup_django()
    catalogue = Catalogue()
    for path in source_files(root):
        if path.suffix == ".py":
            extract_python(path, catalogue)
        else:
            try:
                extract_template(path, catalogue)
            except SyntaxError as error:
                catalogue.problems.append(str(error))
    return catalogue


def _setup_django() -> None:
    """The template Lexer needs no settings, but trim_whitespace and friends import lazily; keep it minimal."""
    from django.conf import settings

    if not settings.configured:
        settings.configure(USE_I18N=False)


# ---------------------------------------------------------------- catalogues


def po_path(language: str) -> Path:
    return LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"


def mo_path(language: str) -> Path:
    return LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.mo"


def load_po(language: str) -> polib.POFile:
    path = po_path(language)
    po = polib.pofile(str(path), wrapwidth=79) if path.exists() else polib.POFile(wrapwidth=79)
    po.header = "Motcua translations. Managed by scripts/i18n.py: edit msgstr lines, then run compile and check."
    po.metadata = {
        "Project-Id-Version": "Motcua",
        "Report-Msgid-Bugs-To": "",
        "Language-Team": LANGUAGE_TEAMS[language],
        "Language": language,
        "MIME-Version": "1.0",
        "Content-Type": "text/plain; charset=UTF-8",
        "Content-Transfer-Encoding": "8bit",
        "Plural-Forms": PLURAL_FORMS[language],
    }
    return po


def plural_count(language: str) -> int:
    return int(re.search(r"nplurals=(\d+)", PLURAL_FORMS[language])[1])


def _flags(message: Message) -> list[str]:
    texts = [message.msgid, message.msgid_plural]
    has_format = any(match["type"] != "%" for text in texts for match in PLACEHOLDER_RE.finditer(text))
    return ["python-format"] if has_format else []


def _closest_obsolete(message: Message, candidates: list[polib.POEntry]) -> polib.POEntry | None:
    best, best_ratio = None, FUZZY_MATCH_RATIO
    for entry in candidates:
        if entry.msgctxt != message.msgctxt or bool(entry.msgid_plural) != bool(message.msgid_plural):
            continue
        ratio = difflib.SequenceMatcher(None, entry.msgid, message.msgid).ratio()
        if ratio >= best_ratio:
            best, best_ratio = entry, ratio
    return best


def merge(catalogue: Catalogue, language: str, *, prune: bool = False) -> tuple[polib.POFile, dict[str, int]]:
    """Bring one language's .po file in line with the sources, keeping every translation already made."""
    existing = load_po(language)
    by_key = {(entry.msgctxt, entry.msgid): entry for entry in existing}
    plurals = plural_count(language)
    merged = polib.POFile(wrapwidth=79)
    merged.header, merged.metadata = existing.header, existing.metadata
    stats = {"new": 0, "fuzzy": 0, "obsolete": 0}
    # Old translations are kept for reuse; in the source language they are only copies of old source text.
    gone = [
        entry
        for key, entry in by_key.items()
        if key not in catalogue.messages
        and language != SOURCE_LANGUAGE
        and (entry.msgstr or any(entry.msgstr_plural.values()))
    ]
    for key in sorted(catalogue.messages, key=lambda key: (key[1], key[0] or "")):
        message = catalogue.messages[key]
        entry = by_key.get(key)
        if entry is None:
            stats["new"] += 1
            entry = polib.POEntry(msgid=message.msgid, msgctxt=message.msgctxt)
            if message.msgid_plural:
                entry.msgid_plural = message.msgid_plural
                entry.msgstr_plural = dict.fromkeys(range(plurals), "")
            if language == SOURCE_LANGUAGE:
                _fill_from_source(entry, message)
            else:
                similar = _closest_obsolete(message, gone)
                if similar is not None:
                    stats["fuzzy"] += 1
                    entry.msgstr = similar.msgstr
                    if message.msgid_plural:
                        entry.msgstr_plural = {index: similar.msgstr_plural.get(index, "") for index in range(plurals)}
                    entry.flags.append("fuzzy")
                    entry.previous_msgid = similar.msgid
        else:
            entry.obsolete = False
            if language == SOURCE_LANGUAGE and not entry.translated() and not entry.fuzzy:
                _fill_from_source(entry, message)
            if message.msgid_plural != entry.msgid_plural:
                entry.msgid_plural = message.msgid_plural
                if message.msgid_plural:
                    old = entry.msgstr
                    entry.msgstr = ""
                    entry.msgstr_plural = dict.fromkeys(range(plurals), old)
                else:
                    entry.msgstr = entry.msgstr_plural.get(0, "") if entry.msgstr_plural else entry.msgstr
                    entry.msgstr_plural = {}
                if language == SOURCE_LANGUAGE:
                    _fill_from_source(entry, message)
                elif "fuzzy" not in entry.flags:
                    entry.flags.append("fuzzy")
        entry.occurrences = [(location, "") for location in sorted(message.locations)]
        entry.comment = "\n".join(message.comments)
        keep = [flag for flag in entry.flags if flag not in ("python-format", "no-python-format")]
        entry.flags = keep + _flags(message)
        merged.append(entry)
    if not prune:
        for entry in sorted(gone, key=lambda entry: entry.msgid):
            entry.obsolete = True
            entry.occurrences = []
            stats["obsolete"] += 1
            merged.append(entry)
    return merged, stats


def _fill_from_source(entry: polib.POEntry, message: Message) -> None:
    if message.msgid_plural:
        entry.msgstr_plural = {0: message.msgid, 1: message.msgid_plural}
    else:
        entry.msgstr = message.msgid


def mo_is_current(po: polib.POFile, language: str) -> bool:
    """Compare what the .mo holds with what the .po says, entry by entry (robust to byte-level tool differences)."""
    path = mo_path(language)
    if not path.exists():
        return False
    try:
        mo = polib.mofile(str(path))
    except (OSError, ValueError):
        return False
    if mo.metadata.get("Plural-Forms", "").strip() != po.metadata.get("Plural-Forms", "").strip():
        return False
    return _translation_table(mo) == _translation_table(po, translated_only=True)


def _translation_table(catalogue: polib._BaseFile, translated_only: bool = False) -> dict:
    table = {}
    for entry in catalogue:
        if entry.obsolete or (translated_only and not entry.translated()):
            continue
        if not entry.msgid:
            continue
        value = tuple(entry.msgstr_plural[index] for index in sorted(entry.msgstr_plural)) or entry.msgstr
        table[(entry.msgctxt or None, entry.msgid, entry.msgid_plural or "")] = value
    return table


# ---------------------------------------------------------------- checks


def _placeholders(text: str) -> tuple[set[str], list[str]]:
    named, positional = set(), []
    for match in PLACEHOLDER_RE.finditer(text):
        if match["type"] == "%":
            continue
        if match["name"] is not None:
            named.add(match["name"])
        else:
            positional.append(match["type"])
    return named, positional


def placeholder_problems(entry: polib.POEntry) -> list[str]:
    """Translations must use the placeholders of the source, or rendering fails (KeyError, TypeError)."""
    problems = []
    source_named, source_positional = _placeholders(entry.msgid)
    if entry.msgid_plural:
        plural_named, _ = _placeholders(entry.msgid_plural)
        allowed = source_named | plural_named
        for index, text in sorted(entry.msgstr_plural.items()):
            named, positional = _placeholders(text)
            if named - allowed:
                problems.append(f"msgstr[{index}] uses unknown placeholders {sorted(named - allowed)}")
            if positional and sorted(positional) != sorted(source_positional):
                problems.append(f"msgstr[{index}] positional placeholders {positional} differ from the source")
    elif entry.msgstr:
        named, positional = _placeholders(entry.msgstr)
        if named != source_named:
            problems.append(f"placeholders {sorted(named)} differ from the source's {sorted(source_named)}")
        if sorted(positional) != sorted(source_positional):
            problems.append(f"positional placeholders {positional} differ from the source's {source_positional}")
    return problems


def _describe(key: tuple[str | None, str]) -> str:
    context, msgid = key
    return f"{msgid!r}" + (f" (context {context!r})" if context else "")


def check(catalogue: Catalogue | None = None) -> list[str]:
    """Every problem that stops the catalogues from being complete and compiled, as readable lines."""
    catalogue = catalogue or extract()
    problems = list(catalogue.problems)
    for language in LANGUAGES:
        if not po_path(language).exists():
            problems.append(f"[{language}] {_location(po_path(language))} is missing: run extract")
            continue
        po = polib.pofile(str(po_path(language)))
        if po.metadata.get("Plural-Forms", "").strip() != PLURAL_FORMS[language]:
            problems.append(f"[{language}] Plural-Forms header should be {PLURAL_FORMS[language]!r}")
        entries = {(entry.msgctxt, entry.msgid): entry for entry in po if not entry.obsolete}
        for key, message in sorted(catalogue.messages.items(), key=lambda item: (item[0][1], item[0][0] or "")):
            where = ", ".join(sorted(message.locations))
            entry = entries.get(key)
            if entry is None:
                problems.append(f"[{language}] missing: {_describe(key)} ({where}): run extract")
            elif entry.msgid_plural != message.msgid_plural:
                problems.append(f"[{language}] plural form changed: {_describe(key)} ({where}): run extract")
            elif entry.fuzzy:
                problems.append(f"[{language}] fuzzy: {_describe(key)} ({where})")
            elif not entry.translated():
                problems.append(f"[{language}] untranslated: {_describe(key)} ({where})")
            else:
                problems.extend(f"[{language}] {_describe(key)}: {problem}" for problem in placeholder_problems(entry))
        if not mo_is_current(po, language):
            problems.append(f"[{language}] {_location(mo_path(language))} is out of date: run compile")
    return problems


def untranslated_count(problems: Iterable[str]) -> int:
    return sum(1 for problem in problems if "] untranslated:" in problem or "] fuzzy:" in problem)


# ---------------------------------------------------------------- commands


def command_extract(prune: bool) -> int:
    catalogue = extract()
    for problem in catalogue.problems:
        print(f"warning: {problem}", file=sys.stderr)
    for language in LANGUAGES:
        po, stats = merge(catalogue, language, prune=prune)
        path = po_path(language)
        path.parent.mkdir(parents=True, exist_ok=True)
        po.save(str(path))
        untranslated = sum(1 for entry in po if not entry.obsolete and not entry.translated())
        print(
            f"{language}: {len(catalogue.messages)} messages, {stats['new']} new, {stats['fuzzy']} fuzzy guesses, "
            f"{untranslated} to translate, {stats['obsolete']} obsolete kept"
        )
    return 0


def command_compile() -> int:
    for language in LANGUAGES:
        path = po_path(language)
        if not path.exists():
            print(f"{language}: no {_location(path)}; run extract first", file=sys.stderr)
            return 1
        po = polib.pofile(str(path))
        if mo_is_current(po, language):
            print(f"{language}: {_location(mo_path(language))} up to date")
            continue
        po.save_as_mofile(str(mo_path(language)))
        print(f"{language}: wrote {_location(mo_path(language))} ({len(po.translated_entries())} messages)")
    return 0


def command_check() -> int:
    problems = check()
    for problem in problems:
        print(problem)
    if problems:
        print(
            f"\n{len(problems)} problem(s), {untranslated_count(problems)} untranslated or fuzzy. "
            "Fix the .po files, then: python scripts/i18n.py compile",
            file=sys.stderr,
        )
        return 1
    print(f"translations complete in {', '.join(LANGUAGES)}; .mo files up to date")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    extract_parser = commands.add_parser("extract", help="merge the strings of src/motcua into the .po files")
    extract_parser.add_argument("--prune", action="store_true", help="drop entries no longer in the code")
    commands.add_parser("compile", help="write .mo files from the .po files")
    commands.add_parser("check", help="fail on missing, untranslated or fuzzy strings and stale .mo files")
    arguments = parser.parse_args(argv)
    if arguments.command == "extract":
        return command_extract(arguments.prune)
    if arguments.command == "compile":
        return command_compile()
    return command_check()


if __name__ == "__main__":
    sys.exit(main())
