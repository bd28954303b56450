"""The registry of issued documents: short codes, the registered copy, withdrawal, lookups."""

from __future__ import annotations

import hashlib
import re

import pytest
from django.db import IntegrityError, transaction

from motcua.agencies.models import Role
from motcua.core.audit import audit_chain_verify
from motcua.core.exceptions import InvalidState, NotAuthenticated, NotFound, PermissionDenied, ValidationFailed
from motcua.core.models import AuditEvent
from motcua.core.permissions import SYSTEM
from motcua.signatures import registry
from motcua.signatures.models import IssuedDocument
from motcua.signatures.registry import (
    SHORT_CODE_ALPHABET,
    issued_document_file_set,
    issued_document_get,
    issued_document_register,
    issued_document_verification_url,
    issued_document_verify,
    issued_document_withdraw,
    short_code_generate,
    short_code_normalise,
)
from motcua.signatures.reports import Status
from tests.conftest import official_with_role
from tests.factories import OrganisationFactory, UserFactory
from tests.signatures.signed_documents import signed_pdf, signed_xml, unsigned_pdf

SHORT_CODE = re.compile(r"^[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$")


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.SITE_URL = "https://dichvucong.quangninh.example.gov.vn"


def _register(**overrides: object) -> IssuedDocument:
    values: dict[str, object] = {
        "title": "Giấy phép hoạt động",
        "number": "123/GP-SCT",
        "reference": "000.00.20.H49-260302-0001",
        "organisation_code": "000.00.20.H49",
        "organisation_name": "Sở Công Thương tỉnh Quảng Ninh",
    }
    values.update(overrides)
    return issued_document_register(**values)  # type: ignore[arg-type]


# --------------------------------------------------------------------------------------------- short codes


def test_short_codes_are_grouped_crockford_base32_without_look_alikes():
    assert set(SHORT_CODE_ALPHABET).isdisjoint("ILOU")
    codes = {short_code_generate() for _ in range(500)}

    assert len(codes) == 500
    assert all(SHORT_CODE.match(code) for code in codes)


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("ABCD-EFGH-JKMN", "ABCD-EFGH-JKMN"),
        ("abcdefghjkmn", "ABCD-EFGH-JKMN"),
        (" abcd efgh-jkmn ", "ABCD-EFGH-JKMN"),
        ("ABCD-EFGH-JKM0", "ABCD-EFGH-JKM0"),
        ("abcd-efgh-jkmo", "ABCD-EFGH-JKM0"),  # O is read as zero
        ("1BCD-EFGH-JKMN", "1BCD-EFGH-JKMN"),
        ("iBCD-EFGH-JKMN", "1BCD-EFGH-JKMN"),  # I and L are read as one
        ("LBCD-EFGH-JKMN", "1BCD-EFGH-JKMN"),
    ],
)
def test_short_codes_are_read_however_they_are_typed(typed, stored):
    assert short_code_normalise(typed) == stored


@pytest.mark.parametrize(
    "typed", ["", "ABCD-EFGH-JKM", "ABCD-EFGH-JKMNP", "ABCD-EFGH-JKMU", "ABCD/EFGH/JKMN", "Đ" * 12]
)
def test_what_cannot_be_a_short_code_is_refused(typed):
    assert short_code_normalise(typed) is None


# ---------------------------------------------------------------------------------------------- register


@pytest.mark.django_db
def test_registering_reserves_a_code_before_the_file_exists_and_is_audited():
    document = _register()

    assert SHORT_CODE.match(document.short_code)
    assert document.kind == IssuedDocument.Kind.PDF
    assert not document.file and document.sha256 == "" and document.size == 0
    assert document.withdrawn_at is None
    event = AuditEvent.objects.get(action="signatures.issued_document_registered", object_id=str(document.pk))
    assert event.after["short_code"] == document.short_code
    assert issued_document_verification_url(document=document) == (
        f"https://dichvucong.quangninh.example.gov.vn/verify/{document.short_code}"
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("overrides", "field"),
    [({"title": "   "}, "title"), ({"kind": "docx"}, "kind"), ({"number": "x" * 101}, "number")],
)
def test_registering_checks_its_input(overrides, field):
    with pytest.raises(ValidationFailed) as caught:
        _register(**overrides)
    assert field in caught.value.details
    assert not IssuedDocument.objects.exists()


@pytest.mark.django_db
def test_a_colliding_code_is_retried_and_the_database_keeps_codes_unique(monkeypatch):
    first = _register()
    offered = iter([first.short_code, first.short_code, "ZZZZ-ZZZZ-ZZZZ"])
    monkeypatch.setattr(registry, "short_code_generate", lambda: next(offered))

    second = _register()

    assert second.short_code == "ZZZZ-ZZZZ-ZZZZ"
    with pytest.raises(IntegrityError), transaction.atomic():
        IssuedDocument.objects.create(short_code=first.short_code, title="copy")


@pytest.mark.django_db
def test_registering_gives_up_after_repeated_collisions(monkeypatch):
    first = _register()
    monkeypatch.setattr(registry, "short_code_generate", lambda: first.short_code)

    with pytest.raises(IntegrityError):
        _register()
    assert IssuedDocument.objects.count() == 1


# -------------------------------------------------------------------------------------------- file set


@pytest.mark.django_db
def test_setting_the_file_stores_it_and_each_new_copy_replaces_the_last(
    dev_pki, agency_seal, django_capture_on_commit_callbacks
):
    document = _register()
    unsigned = unsigned_pdf()
    with django_capture_on_commit_callbacks(execute=True):
        document = issued_document_file_set(document=document, data=unsigned)
    first_name = document.file.name
    assert document.sha256 == hashlib.sha256(unsigned).hexdigest() and document.size == len(unsigned)

    signed = signed_pdf(agency_seal, dev_pki, data=unsigned)
    with django_capture_on_commit_callbacks(execute=True):
        document = issued_document_file_set(document=document, data=signed, actor=SYSTEM)

    document.refresh_from_db()
    assert document.file.name != first_name
    assert not document.file.storage.exists(first_name)  # the previous copy is gone
    with document.file.open("rb") as stored:
        assert stored.read() == signed
    assert document.sha256 == hashlib.sha256(signed).hexdigest()
    assert document.size == len(signed)
    events = AuditEvent.objects.filter(action="signatures.issued_document_file_set", object_id=str(document.pk))
    assert [event.after["sha256"] for event in events.order_by("sequence")] == [
        hashlib.sha256(unsigned).hexdigest(),
        hashlib.sha256(signed).hexdigest(),
    ]
    assert audit_chain_verify().intact


@pytest.mark.django_db
def test_the_registered_copy_is_verified_as_it_is_now(dev_pki, agency_seal):
    document = _register()
    assert issued_document_verify(document=document) is None
    signed = signed_pdf(agency_seal, dev_pki)
    document = issued_document_file_set(document=document, data=signed)

    verified = issued_document_verify(document=document)

    assert verified is not None
    data, report = verified
    assert data == signed
    assert report.status == Status.VALID, report.as_dict()


@pytest.mark.django_db
def test_the_file_must_be_of_the_registered_kind_and_not_empty_or_too_large(dev_pki, agency_seal, settings):
    pdf_document = _register()
    xml_document = _register(kind=IssuedDocument.Kind.XML)

    for document, data, code in (
        (pdf_document, signed_xml(agency_seal, dev_pki), "wrong_kind"),
        (xml_document, unsigned_pdf(), "wrong_kind"),
        (pdf_document, b"", "validation_failed"),
    ):
        with pytest.raises(ValidationFailed) as caught:
            issued_document_file_set(document=document, data=data)
        assert caught.value.code == code
    xml = signed_xml(agency_seal, dev_pki)
    stored = issued_document_file_set(document=xml_document, data=xml)
    assert stored.size == len(xml) and stored.file.name.endswith(".xml")

    settings.VERIFY_MAX_BYTES = 100
    with pytest.raises(ValidationFailed) as caught:
        issued_document_file_set(document=pdf_document, data=unsigned_pdf())
    assert caught.value.code == "file_too_large"
    pdf_document.refresh_from_db()
    assert not pdf_document.file and pdf_document.sha256 == ""


# --------------------------------------------------------------------------------------------- withdraw


@pytest.mark.django_db
def test_only_the_issuing_organisations_leaders_and_platform_admins_may_withdraw():
    issuing = OrganisationFactory(code="000.00.20.H49")
    document = _register(organisation_code=issuing.code)
    other_leader = official_with_role(Role.AGENCY_LEADER, OrganisationFactory())
    specialist = official_with_role(Role.SPECIALIST, issuing)

    with pytest.raises(NotAuthenticated):
        issued_document_withdraw(document=document, reason="Cấp nhầm", actor=None)
    for actor in (UserFactory(), other_leader, specialist):
        with pytest.raises(PermissionDenied):
            issued_document_withdraw(document=document, reason="Cấp nhầm", actor=actor)
    document.refresh_from_db()
    assert document.withdrawn_at is None
    assert not AuditEvent.objects.filter(action="signatures.issued_document_withdrawn").exists()

    leader = official_with_role(Role.AGENCY_LEADER, issuing)
    withdrawn = issued_document_withdraw(document=document, reason="  Cấp nhầm   đối tượng ", actor=leader)

    assert withdrawn.withdrawn_at is not None
    event = AuditEvent.objects.get(action="signatures.issued_document_withdrawn")
    assert event.after["reason"] == "Cấp nhầm đối tượng"
    assert event.actor_id == leader.pk


@pytest.mark.django_db
def test_withdrawal_needs_a_reason_happens_once_and_freezes_the_file(platform_admin):
    document = _register()
    with pytest.raises(ValidationFailed):
        issued_document_withdraw(document=document, reason=" ", actor=platform_admin)

    issued_document_withdraw(document=document, reason="Thay thế bằng văn bản khác", actor=platform_admin)

    with pytest.raises(InvalidState) as again:
        issued_document_withdraw(document=document, reason="again", actor=platform_admin)
    assert again.value.code == "already_withdrawn"
    with pytest.raises(InvalidState) as frozen:
        issued_document_file_set(document=document, data=unsigned_pdf())
    assert frozen.value.code == "document_withdrawn"


# ----------------------------------------------------------------------------------------------- lookup


@pytest.mark.django_db
def test_a_document_is_found_by_its_code_however_typed():
    document = _register()
    compact = document.short_code.replace("-", "").lower()

    assert issued_document_get(short_code=compact) == document
    assert issued_document_get(short_code=f" {document.short_code} ") == document
    for unknown in ("ZZZZ-ZZZZ-ZZZZ" if document.short_code != "ZZZZ-ZZZZ-ZZZZ" else "YYYY-YYYY-YYYY", "", "nope"):
        with pytest.raises(NotFound):
            issued_document_get(short_code=unknown)
