"""Drafts of online applications (services.drafts): owner-only, audited, resumable, submitted once."""

from __future__ import annotations

import io

import pytest

from motcua.core.exceptions import InvalidState, NotFound, PermissionDenied, ValidationFailed
from motcua.core.models import AuditEvent
from motcua.dossiers.models import Dossier, DossierDraft, DossierFile, DraftStep
from motcua.dossiers.services.drafts import (
    DraftUpload,
    draft_discard,
    draft_get,
    draft_list_for_applicant,
    draft_save_step,
    draft_start,
    draft_submit,
)
from tests.dossiers.conftest import submit
from tests.dossiers.factories import PDF_BYTES, PNG_BYTES, judicial_record_content, valid_form, version_create

pytestmark = pytest.mark.django_db


def pdf_upload(name="to-khai.pdf", content=PDF_BYTES):
    return DraftUpload(content=io.BytesIO(content), name=name, size=len(content))


def audit_actions(draft):
    return list(
        AuditEvent.objects.filter(object_id=str(draft.pk)).order_by("sequence").values_list("action", flat=True)
    )


@pytest.fixture
def prefilled_version(directory):
    content = judicial_record_content()
    content["form_fields"][0]["prefill"] = "full_name"
    content["form_fields"][1]["prefill"] = "personal_id"
    content["form_fields"][3]["prefill"] = "email"
    return version_create(content)


def ready_draft(citizen, version):
    draft = draft_start(actor=citizen, procedure_version=version)
    draft = draft_save_step(actor=citizen, draft=draft, step=DraftStep.FORM, form_data=valid_form())
    return draft_save_step(
        actor=citizen,
        draft=draft,
        step=DraftStep.DOCUMENTS,
        uploads={"to_khai": pdf_upload(), "cccd": pdf_upload("cccd.png", PNG_BYTES)},
    )


def test_start_prefills_the_form_from_the_account_and_is_audited(citizen, prefilled_version):
    draft = draft_start(actor=citizen, procedure_version=prefilled_version)

    assert draft.applicant == citizen
    assert draft.current_step == DraftStep.FORM
    assert draft.form_data == {
        "full_name": "Nguyễn Thị Hoa",
        "personal_id": "022190000123",
        "email": citizen.email,
    }
    assert audit_actions(draft) == ["dossiers.draft_start"]


def test_an_official_cannot_start_an_application(clerk, version):
    with pytest.raises(PermissionDenied):
        draft_start(actor=clerk, procedure_version=version)
    assert DossierDraft.objects.count() == 0


def test_a_procedure_not_offered_online_cannot_be_started(citizen, directory):
    version = version_create(judicial_record_content(code="9.999999", online_level="none"))
    with pytest.raises(ValidationFailed) as error:
        draft_start(actor=citizen, procedure_version=version)
    assert "procedure" in error.value.details
    assert DossierDraft.objects.count() == 0


def test_an_invalid_form_leaves_the_draft_unchanged(citizen, version):
    draft = draft_start(actor=citizen, procedure_version=version)
    before = DossierDraft.objects.values().get(pk=draft.pk)
    audit_count = AuditEvent.objects.count()

    with pytest.raises(ValidationFailed) as error:
        draft_save_step(
            actor=citizen,
            draft=draft,
            step=DraftStep.FORM,
            form_data=valid_form(personal_id="123", married=True, postcode="abc"),
        )

    assert set(error.value.details) == {"form.personal_id", "form.spouse_name", "form.postcode"}
    assert DossierDraft.objects.values().get(pk=draft.pk) == before
    assert AuditEvent.objects.count() == audit_count


def test_each_step_saves_and_moves_on(citizen, version):
    draft = draft_start(actor=citizen, procedure_version=version)
    draft = draft_save_step(actor=citizen, draft=draft, step=DraftStep.FORM, form_data=valid_form(postcode="200000"))
    assert draft.current_step == DraftStep.DOCUMENTS
    assert DossierDraft.objects.get(pk=draft.pk).form_data["postcode"] == "200000"

    # One required document only: saved, but the application stays at the documents step.
    draft = draft_save_step(actor=citizen, draft=draft, step=DraftStep.DOCUMENTS, uploads={"to_khai": pdf_upload()})
    assert draft.current_step == DraftStep.DOCUMENTS
    assert set(draft.documents) == {"to_khai"}

    draft = draft_save_step(
        actor=citizen, draft=draft, step=DraftStep.DOCUMENTS, uploads={"cccd": pdf_upload("cccd.png", PNG_BYTES)}
    )
    assert draft.current_step == DraftStep.FEES
    assert set(draft.documents) == {"to_khai", "cccd"}

    draft = draft_save_step(actor=citizen, draft=draft, step=DraftStep.FEES)
    assert draft.current_step == DraftStep.REVIEW
    assert audit_actions(draft) == [
        "dossiers.draft_start",
        "dossiers.draft_save",
        "dossiers.draft_save",
        "dossiers.draft_save",
        "dossiers.draft_save",
    ]


def test_a_disguised_file_is_refused_and_nothing_is_stored(citizen, version):
    draft = draft_start(actor=citizen, procedure_version=version)
    files_before = DossierFile.objects.count()

    with pytest.raises(ValidationFailed) as error:
        draft_save_step(
            actor=citizen,
            draft=draft,
            step=DraftStep.DOCUMENTS,
            # The good file of the same request is not kept either: all or nothing.
            uploads={"to_khai": pdf_upload(), "cccd": pdf_upload("cccd.pdf", b"MZ\x90\x00 not a pdf at all")},
        )

    assert "documents.cccd" in error.value.details
    assert DossierFile.objects.count() == files_before
    assert DossierDraft.objects.get(pk=draft.pk).documents == {}


def test_replacing_an_upload_deletes_the_old_one(citizen, version):
    draft = draft_start(actor=citizen, procedure_version=version)
    draft = draft_save_step(actor=citizen, draft=draft, step=DraftStep.DOCUMENTS, uploads={"to_khai": pdf_upload()})
    first = draft.documents["to_khai"]["upload_id"]
    draft = draft_save_step(
        actor=citizen, draft=draft, step=DraftStep.DOCUMENTS, uploads={"to_khai": pdf_upload("moi.pdf")}
    )
    assert draft.documents["to_khai"]["upload_id"] != first
    assert not DossierFile.objects.filter(pk=first).exists()


def test_another_person_cannot_read_save_submit_or_discard_a_draft(citizen, other_citizen, version):
    draft = draft_start(actor=citizen, procedure_version=version)
    before = DossierDraft.objects.values().get(pk=draft.pk)

    with pytest.raises(NotFound):
        draft_get(user=other_citizen, draft_id=draft.pk)
    with pytest.raises(NotFound):
        draft_save_step(actor=other_citizen, draft=draft, step=DraftStep.FORM, form_data=valid_form())
    with pytest.raises(NotFound):
        draft_submit(actor=other_citizen, draft=draft)
    with pytest.raises(NotFound):
        draft_discard(actor=other_citizen, draft=draft)

    assert DossierDraft.objects.values().get(pk=draft.pk) == before
    assert list(draft_list_for_applicant(user=other_citizen)) == []
    assert Dossier.objects.count() == 0


def test_a_draft_is_resumed_where_it_was_left(citizen, version):
    draft = draft_start(actor=citizen, procedure_version=version)
    draft_save_step(actor=citizen, draft=draft, step=DraftStep.FORM, form_data=valid_form())

    resumed = draft_get(user=citizen, draft_id=str(draft.pk))
    assert resumed.current_step == DraftStep.DOCUMENTS
    assert resumed.form_data["full_name"] == "Nguyễn Thị Hoa"
    assert [d.pk for d in draft_list_for_applicant(user=citizen)] == [draft.pk]


def test_submitting_twice_makes_one_dossier(citizen, version):
    draft = ready_draft(citizen, version)

    first = draft_submit(actor=citizen, draft=draft)
    again = draft_submit(actor=citizen, draft=draft)

    assert first.pk == again.pk
    assert again.idempotent_replay
    assert first.lookup_secret and again.lookup_secret
    assert Dossier.objects.count() == 1
    draft.refresh_from_db()
    assert draft.dossier_id == first.pk and draft.submitted_at is not None
    assert list(draft_list_for_applicant(user=citizen)) == []
    assert set(first.files.values_list("component_code", flat=True)) == {"to_khai", "cccd"}
    assert audit_actions(draft).count("dossiers.draft_submit") == 1
    # A submitted draft can no longer be changed or discarded.
    with pytest.raises(InvalidState) as error:
        draft_save_step(actor=citizen, draft=draft, step=DraftStep.FEES)
    assert error.value.code == "draft_submitted"


def test_reusing_an_earlier_document_marks_it_reused(citizen, version):
    earlier = submit(citizen, version)
    earlier_id_card = earlier.files.get(component_code="cccd")

    draft = draft_start(actor=citizen, procedure_version=version)
    draft_save_step(actor=citizen, draft=draft, step=DraftStep.FORM, form_data=valid_form())
    draft = draft_save_step(
        actor=citizen,
        draft=draft,
        step=DraftStep.DOCUMENTS,
        uploads={"to_khai": pdf_upload()},
        reuses={"cccd": str(earlier_id_card.pk)},
    )
    assert draft.documents["cccd"] == {"reuse_file_id": str(earlier_id_card.pk)}

    dossier = draft_submit(actor=citizen, draft=draft)
    reused = dossier.files.get(component_code="cccd")
    assert reused.reused_from_id == earlier_id_card.pk
    assert reused.sha256 == earlier_id_card.sha256


def test_only_the_applicants_own_documents_can_be_reused(citizen, other_citizen, version):
    theirs = submit(other_citizen, version, form_data=valid_form(personal_id=other_citizen.personal_id))
    draft = draft_start(actor=citizen, procedure_version=version)
    with pytest.raises(ValidationFailed) as error:
        draft_save_step(
            actor=citizen,
            draft=draft,
            step=DraftStep.DOCUMENTS,
            reuses={"cccd": str(theirs.files.get(component_code="cccd").pk)},
        )
    assert "documents.cccd" in error.value.details
    # A component not marked re-usable cannot be taken from earlier documents either.
    mine = submit(citizen, version)
    with pytest.raises(ValidationFailed):
        draft_save_step(
            actor=citizen,
            draft=draft,
            step=DraftStep.DOCUMENTS,
            reuses={"to_khai": str(mine.files.get(component_code="to_khai").pk)},
        )
    assert DossierDraft.objects.get(pk=draft.pk).documents == {}


def test_discarding_deletes_the_draft_and_its_uploads(citizen, version):
    draft = draft_start(actor=citizen, procedure_version=version)
    draft = draft_save_step(actor=citizen, draft=draft, step=DraftStep.DOCUMENTS, uploads={"to_khai": pdf_upload()})
    upload_id = draft.documents["to_khai"]["upload_id"]

    draft_discard(actor=citizen, draft=draft)

    assert not DossierDraft.objects.filter(pk=draft.pk).exists()
    assert not DossierFile.objects.filter(pk=upload_id).exists()
    assert AuditEvent.objects.filter(object_id=str(draft.pk), action="dossiers.draft_discard").exists()
