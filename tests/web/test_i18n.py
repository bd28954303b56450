"""Translations: the catalogues are complete and compiled, extraction finds what Django looks up, pages switch language.

Runs the same checks as ``python scripts/i18n.py check``.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import polib
import pytest
from django.conf import settings as django_settings
from django.template import Context, Template
from django.urls import reverse

from tests.web.conftest import page

ROOT = Path(__file__).resolve().parents[2]


def load_i18n_script():
    name = "motcua_i18n_script"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / "i18n.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module  # dataclasses look their module up while the class is built
        spec.loader.exec_module(module)
    return sys.modules[name]


i18n = load_i18n_script()


def test_every_string_is_translated_in_every_language_and_compiled():
    problems = i18n.check()
    assert not problems, (
        f"{len(problems)} translation problem(s); run `python scripts/i18n.py extract`, translate, then "
        "`python scripts/i18n.py compile`:\n" + "\n".join(problems[:60])
    )


def test_catalogues_cover_model_names_choices_and_templates():
    catalogue = i18n.extract()
    msgids = {msgid for _context, msgid in catalogue.messages}
    assert "One-stop-desk clerk" in msgids  # a choice label (agencies.Role)
    assert "organisation" in msgids  # a model's verbose name
    assert "Skip to main content" in msgids  # a template
    assert "You hold %(counter)s current position." in msgids  # a blocktranslate with count
    assert ("", "Vietnamese") not in catalogue.messages


SAMPLE_TEMPLATE = """{% load i18n %}
{% translate "Dossier" %}
{% translate 'Fee of 5%' %}
{% translate "May" context "month name" %}
{% translate "Receipt" as receipt_label %}{{ receipt_label }}
{% blocktranslate %}Dossier {{ code }} was received.{% endblocktranslate %}
{% blocktranslate trimmed with who=user.name %}
   Sent by
   {{ who }}.
{% endblocktranslate %}
{% blocktranslate context "deadline" count days=count %}{{ days }} working day left{% plural %}\
{{ days }} working days left{% endblocktranslate %}
{% blocktranslate %}100% done{% endblocktranslate %}
{{ _("Agency directory") }}
{% comment %}{% translate "Never shown" %}{% endcomment %}
"""


def test_template_extraction_finds_exactly_what_django_looks_up(tmp_path, monkeypatch):
    """Render a template while recording each lookup Django makes; extraction must have found the same keys."""
    import django.template.base
    from django.utils import translation

    looked_up: set[tuple[str | None, str, str]] = set()

    def spy(kind):
        def lookup(*args):
            if kind == "gettext":
                looked_up.add((None, str(args[0]), ""))
                return str(args[0])
            if kind == "pgettext":
                looked_up.add((str(args[0]), str(args[1]), ""))
                return str(args[1])
            if kind == "ngettext":
                looked_up.add((None, args[0], args[1]))
                return args[0] if args[2] == 1 else args[1]
            looked_up.add((args[0], args[1], args[2]))
            return args[1] if args[3] == 1 else args[2]

        return lookup

    for module in (translation, django.template.base):
        for name in ("gettext", "pgettext", "ngettext", "npgettext"):
            if hasattr(module, name):
                monkeypatch.setattr(module, name, spy(name))
        for name in ("gettext_lazy", "pgettext_lazy"):
            if hasattr(module, name):
                monkeypatch.setattr(module, name, spy(name.removesuffix("_lazy")))
    Template(SAMPLE_TEMPLATE).render(Context({"code": "H49.10-260101-0001", "user": {"name": "An"}, "count": 3}))

    path = tmp_path / "templates" / "sample.html"
    path.parent.mkdir()
    path.write_text(SAMPLE_TEMPLATE)
    catalogue = i18n.Catalogue()
    i18n.extract_template(path, catalogue)
    extracted = {(message.msgctxt, message.msgid, message.msgid_plural) for message in catalogue.messages.values()}

    assert extracted == looked_up
    assert (None, "Fee of 5%%", "") in extracted
    assert (None, "Sent by %(who)s.", "") in extracted
    assert ("deadline", "%(days)s working day left", "%(days)s working days left") in extracted
    assert not any("Never shown" in msgid for _context, msgid, _plural in extracted)


def test_python_extraction(tmp_path):
    path = tmp_path / "sample.py"
    path.write_text(
        "from django.utils.translation import gettext_lazy as _, ngettext, pgettext\n"
        "# Translators: the desk where citizens hand in dossiers\n"
        "LABEL = _('One-stop desk')\n"
        "MONTH = pgettext('month name', 'May')\n"
        "LEFT = ngettext('%(n)s day', '%(n)s days', 2)\n"
        "IMPLICIT = _('Two lines ' 'joined')\n"
        "DYNAMIC = _(LABEL)\n"
        "BAD = _(f'{LABEL}')\n"
    )
    catalogue = i18n.Catalogue()
    i18n.extract_python(path, catalogue)
    assert set(catalogue.messages) == {
        (None, "One-stop desk"),
        ("month name", "May"),
        (None, "%(n)s day"),
        (None, "Two lines joined"),
    }
    assert catalogue.messages[(None, "%(n)s day")].msgid_plural == "%(n)s days"
    assert catalogue.messages[(None, "One-stop desk")].comments == [
        "Translators: the desk where citizens hand in dossiers"
    ]
    assert any("f-string" in problem for problem in catalogue.problems)


@pytest.fixture
def scratch_locale(tmp_path, monkeypatch):
    monkeypatch.setattr(i18n, "LOCALE_DIR", tmp_path / "locale")
    catalogue = i18n.Catalogue()
    catalogue.add("Dossier", location="x.html")
    catalogue.add("Welcome, %(name)s.", location="x.html")
    catalogue.add("%(count)s day", msgid_plural="%(count)s days", location="x.py")
    for language in i18n.LANGUAGES:
        po, _stats = i18n.merge(catalogue, language)
        i18n.po_path(language).parent.mkdir(parents=True)
        po.save(str(i18n.po_path(language)))
    return catalogue


def _translate(language, values):
    po = polib.pofile(str(i18n.po_path(language)))
    for entry in po:
        value = values[entry.msgid]
        if entry.msgid_plural:
            entry.msgstr_plural = dict(enumerate(value))
        else:
            entry.msgstr = value
    po.save(str(i18n.po_path(language)))


VIETNAMESE = {"Dossier": "Hồ sơ", "Welcome, %(name)s.": "Xin chào %(name)s.", "%(count)s day": ["%(count)s ngày"]}
FRENCH = {
    "Dossier": "Dossier",
    "Welcome, %(name)s.": "Bienvenue, %(name)s.",
    "%(count)s day": ["%(count)s jour", "%(count)s jours"],
}


def test_check_reports_untranslated_fuzzy_broken_and_stale(scratch_locale):
    problems = i18n.check(scratch_locale)
    assert "[vi] untranslated: 'Dossier' (x.html)" in problems
    assert not any(problem.startswith("[en] untranslated") for problem in problems)  # English is the source
    assert any(problem.startswith("[fr] ") and "is out of date" in problem for problem in problems)

    _translate("vi", VIETNAMESE)
    _translate("fr", FRENCH)
    assert i18n.command_compile() == 0
    assert i18n.check(scratch_locale) == []

    po = polib.pofile(str(i18n.po_path("fr")))
    po.find("Welcome, %(name)s.").msgstr = "Bienvenue, %(nom)s."
    po.find("Dossier").flags.append("fuzzy")
    po.save(str(i18n.po_path("fr")))
    problems = i18n.check(scratch_locale)
    assert "[fr] fuzzy: 'Dossier' (x.html)" in problems
    assert any("'Welcome, %(name)s.'" in problem and "placeholders" in problem for problem in problems)
    assert any("[fr]" in problem and "out of date" in problem for problem in problems)

    missing = i18n.Catalogue()
    missing.messages = dict(scratch_locale.messages)
    missing.add("Receipt", location="y.html")
    assert "[vi] missing: 'Receipt' (y.html): run extract" in i18n.check(missing)


def test_extract_keeps_translations_and_offers_close_matches_as_fuzzy(scratch_locale):
    _translate("vi", VIETNAMESE)
    changed = i18n.Catalogue()
    changed.add("Dossier", location="x.html")
    changed.add("Welcome, %(name)s!", location="x.html")
    po, stats = i18n.merge(changed, "vi")
    assert po.find("Dossier").msgstr == "Hồ sơ"
    guess = po.find("Welcome, %(name)s!")
    assert guess.fuzzy and guess.msgstr == "Xin chào %(name)s."
    assert stats == {"new": 1, "fuzzy": 1, "obsolete": 2}
    assert {entry.msgid for entry in po.obsolete_entries()} == {"Welcome, %(name)s.", "%(count)s day"}
    pruned, _stats = i18n.merge(changed, "vi", prune=True)
    assert not pruned.obsolete_entries()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "heading", "directory"),
    [
        ("en", "Public services, one door", "Agency directory"),
        ("fr", "Services publics, un guichet unique", "Annuaire des organismes"),
        ("vi", "Dịch vụ công, một cửa", "Danh bạ cơ quan"),
    ],
)
def test_home_page_follows_the_language_chosen_with_the_switcher(client, language, heading, directory):
    default = page(client.get(reverse("web:home")))
    assert default.find("html").attrs["lang"] == "vi"
    assert default.find("h1").text.strip() == "Dịch vụ công, một cửa"

    response = client.post(reverse("set_language"), {"language": language, "next": "/"})
    assert response.status_code == 302
    html = page(client.get(reverse("web:home")))
    assert html.find("html").attrs["lang"] == language
    assert html.find("h1").text.strip() == heading
    assert directory in html.text("nav")


@pytest.mark.django_db
def test_browser_language_is_ignored_with_the_vietnamese_first_middleware(client, settings):
    settings.MIDDLEWARE = [
        "motcua.web.middleware.VietnameseFirstLocaleMiddleware"
        if name == "django.middleware.locale.LocaleMiddleware"
        else name
        for name in settings.MIDDLEWARE
    ]
    html = page(client.get("/", headers={"accept-language": "en-US,en;q=0.9"}))
    assert html.find("html").attrs["lang"] == "vi"
    client.post(reverse("set_language"), {"language": "fr", "next": "/"})
    assert page(client.get("/", headers={"accept-language": "en-US"})).find("html").attrs["lang"] == "fr"
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "xx"
    assert page(client.get("/")).find("html").attrs["lang"] == "vi"
