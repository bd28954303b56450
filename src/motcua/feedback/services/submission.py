"""Submitting a feedback (anyone) and supplying the information the agency asked for (its submitter)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from motcua.accounts.models import User
from motcua.agencies.models import Organisation
from motcua.agencies.selectors import organisation_find
from motcua.core.calendar import calendar_get
from motcua.core.exceptions import NotFound, PermissionDenied, RateLimited
from motcua.dossiers.lookup_secret import secret_hash, secret_matches, secret_new
from motcua.dossiers.models import Dossier
from motcua.dossiers.selectors import dossier_get, dossier_lookup_public, is_applicant_of
from motcua.feedback.deadlines import deadlines_start, resolve_clock_resume
from motcua.feedback.models import Feedback, FeedbackStatus, SubjectKind
from motcua.feedback.notifying import (
    feedback_notify,
    receiver_recipients,
    submitter_link,
    submitter_recipients,
    user_recipients,
    work_link,
)
from motcua.feedback.ratelimit import rate_limit_hit
from motcua.feedback.rules import is_submitter
from motcua.feedback.services._base import (
    CONTENT_MAX,
    TITLE_MAX,
    Errors,
    Upload,
    add_error,
    attachments_check,
    attachments_store,
    audited,
    clean_text,
    feedback_code_next,
    lock,
    moment,
    raise_if_any,
    record,
    search_key_of,
)
from motcua.feedback.workflow import Action, transition_target, transition_targets
from motcua.procedures.models import Procedure
from motcua.procedures.selectors import procedure_get

PHONE_PATTERN = re.compile(r"^\+?[0-9][0-9 .-]{7,18}[0-9]$")


def _person(actor: Any) -> User | None:
    """The signed-in citizen or business submitting, or None for someone without an account."""
    if actor is None or not getattr(actor, "is_authenticated", False):
        return None
    if not isinstance(actor, User):
        raise PermissionDenied(_("Feedback is sent by people, not by other systems."), code="feedback_person_required")
    if actor.kind == User.Kind.OFFICIAL:
        raise PermissionDenied(
            _("Sign out of your official account to send feedback as a citizen."),
            code="feedback_official_account",
        )
    return actor


def _contact(*, person: User | None, name: str, phone: str, email: str, address: str, errors: Errors) -> dict[str, str]:
    """The submitter's name and contact: typed, or taken from the account; someone without an account must give
    a name and a phone number or an e-mail address so the agency can answer."""
    if person is not None:
        name = name or person.display_name
        phone = phone or person.phone
        email = email or person.email
        address = address or person.address
    name = clean_text(errors, "name", name, maximum=200)
    phone = clean_text(errors, "phone", phone, maximum=20, required=False)
    email = clean_text(errors, "email", email, maximum=254, required=False)
    address = clean_text(errors, "address", address, maximum=300, required=False)
    if phone and not PHONE_PATTERN.match(phone):
        add_error(errors, "phone", _("Enter a phone number of digits only, e.g. 0912 345 678."))
    if email:
        try:
            validate_email(email)
        except ValidationError:
            add_error(errors, "email", _("Enter a valid e-mail address."))
    if person is None and not phone and not email:
        add_error(errors, "phone", _("Give a phone number or an e-mail address, so the agency can answer you."))
    return {"submitter_name": name, "submitter_phone": phone, "submitter_email": email, "submitter_address": address}


def _dossier_of_submitter(
    *, person: User | None, code: str, secret: str, client_address: str | None, errors: Errors
) -> Dossier | None:
    """The dossier, if the submitter is its applicant (their account, or its code and lookup secret).

    Whether someone else's dossier exists is never said: a wrong code and another person's code get the same
    answer.
    """
    code = (code or "").strip()
    not_yours = _("None of your dossiers has this code.")
    if not code:
        add_error(errors, "dossier", _("Enter the code of your dossier."))
        return None
    if person is not None:
        try:
            dossier = dossier_get(user=person, code_or_id=code)
        except NotFound:
            dossier = None
        if dossier is None or not is_applicant_of(user=person, dossier=dossier):
            add_error(errors, "dossier", not_yours)
            return None
        return dossier
    if not (secret or "").strip():
        add_error(errors, "dossier_secret", _("Enter the lookup secret printed on the dossier's receipt."))
        return None
    try:
        found = dossier_lookup_public(code=code, secret=secret, client_address=client_address)
    except NotFound:
        add_error(errors, "dossier", _("No dossier matches this code and lookup secret."))
        return None
    return Dossier.objects.select_related("procedure", "processing_organisation").get(code=found.code)


def _competent_agency(
    *,
    subject_kind: str,
    procedure_code: str,
    agency_code: str,
    dossier: Dossier | None,
    errors: Errors,
) -> tuple[Organisation | None, Procedure | None]:
    """The agency that must handle the feedback: the procedure's implementing organisation, the agency chosen, or
    the organisation processing the dossier."""
    if subject_kind == SubjectKind.PROCEDURE:
        if not (procedure_code or "").strip():
            add_error(errors, "procedure", _("Choose the procedure your feedback is about."))
            return None, None
        try:
            procedure = procedure_get(code=procedure_code.strip())
        except NotFound:
            add_error(errors, "procedure", _("There is no procedure with this code in the catalogue."))
            return None, None
        agency = procedure.implementing_organisation
        if agency is None or not agency.is_active:
            add_error(
                errors, "procedure", _("The organisation that implements this procedure is not in the directory.")
            )
            return None, procedure
        return agency, procedure
    if subject_kind == SubjectKind.AGENCY:
        agency = organisation_find(reference=(agency_code or "").strip()) if (agency_code or "").strip() else None
        if agency is None or not agency.is_active or not agency.code:
            add_error(errors, "agency", _("Choose an agency of the directory."))
            return None, None
        return agency, None
    if dossier is None:
        return None, None
    return dossier.processing_organisation, dossier.procedure


def _rate_limited(client_address: str | None) -> bool:
    return rate_limit_hit(
        scope="submit",
        value=client_address or "unknown",
        limit=int(settings.FEEDBACK_SUBMIT_RATE_PER_HOUR),
        window_seconds=3600,
    )


@transaction.atomic
def feedback_submit(
    *,
    actor: Any,
    subject_kind: str,
    title: str,
    content: str,
    procedure_code: str = "",
    agency_code: str = "",
    dossier_code: str = "",
    dossier_secret: str = "",
    name: str = "",
    phone: str = "",
    email: str = "",
    address: str = "",
    publication_consent: bool = False,
    attachments: Sequence[Upload] = (),
    language: str = "vi",
    client_address: str | None = None,
    at: dt.datetime | None = None,
) -> Feedback:
    """Anyone sends feedback about a procedure, an agency or their own dossier (Decree 20/2008/NĐ-CP, art. 4-5).

    A signed-in citizen or business has their name and contact filled in from the account; someone without an
    account gives a name and a phone number or an e-mail address, and is limited to
    ``MOTCUA_FEEDBACK_SUBMIT_RATE_PER_HOUR`` submissions per hour from one client address. A dossier may be named
    only by its applicant (their account, or its code and the lookup secret of its receipt). Attachments (images
    or PDF) are checked by their real content and size. The feedback gets a code and a lookup secret (returned
    once in ``lookup_secret``), and its deadlines start.
    """
    at = moment(at)
    person = _person(actor)
    transition_target(None, Action.SUBMIT)
    errors: Errors = {}
    if subject_kind not in SubjectKind.values:
        add_error(errors, "subject_kind", _("Choose what your feedback is about."))
    dossier = None
    if subject_kind == SubjectKind.DOSSIER:
        dossier = _dossier_of_submitter(
            person=person, code=dossier_code, secret=dossier_secret, client_address=client_address, errors=errors
        )
    agency, procedure = _competent_agency(
        subject_kind=subject_kind,
        procedure_code=procedure_code,
        agency_code=agency_code,
        dossier=dossier,
        errors=errors,
    )
    cleaned_title = clean_text(errors, "title", title, maximum=TITLE_MAX)
    cleaned_content = clean_text(errors, "content", content, maximum=CONTENT_MAX)
    contact = _contact(person=person, name=name, phone=phone, email=email, address=address, errors=errors)
    checked = attachments_check(list(attachments), errors)
    raise_if_any(errors)
    assert agency is not None
    if person is None and _rate_limited(client_address):
        raise RateLimited(_("Too many feedback sent from your connection. Please try again in an hour."))

    secret = secret_new()
    feedback = Feedback(
        code=feedback_code_next(at=at),
        secret_hash=secret_hash(secret),
        status=FeedbackStatus.NEW,
        subject_kind=subject_kind,
        procedure=procedure,
        dossier=dossier,
        agency=agency,
        field_code=procedure.field_code if procedure is not None else "",
        field_name=procedure.field_name if procedure is not None else "",
        title=cleaned_title,
        content=cleaned_content,
        submitter=person,
        language=(language or "vi")[:8],
        publication_consent=bool(publication_consent),
        submitted_at=at,
        **contact,
    )
    deadlines_start(feedback=feedback, at=at, calendar=calendar_get())
    feedback.search_key = search_key_of(feedback)
    event = record(
        feedback=feedback, action=Action.SUBMIT, from_status="", actor=person, position=None, at=at, before=None
    )
    attachments_store(feedback=feedback, event=event, checked=checked)
    feedback_notify(
        event="feedback.received",
        feedback=feedback,
        recipients=submitter_recipients(feedback),
        link=submitter_link(feedback),
    )
    feedback_notify(
        event="feedback.new_for_agency",
        feedback=feedback,
        recipients=receiver_recipients(agency),
        link=work_link(feedback),
    )
    feedback.lookup_secret = secret
    return feedback


def feedback_may_supplement(*, actor: Any, feedback: Feedback, secret: str = "") -> bool:
    """Whether this person speaks for the submitter: their account, or the code's lookup secret."""
    if is_submitter(actor, feedback):
        return True
    return bool(secret) and secret_matches(secret, feedback.secret_hash)


@transaction.atomic
def feedback_supplement(
    *,
    actor: Any,
    feedback: Feedback,
    text: str,
    attachments: Sequence[Upload] = (),
    secret: str = "",
    at: dt.datetime | None = None,
) -> Feedback:
    """The submitter supplies the information the agency asked for; the answer's clock runs again and its deadline
    moves by the working time spent waiting. The feedback goes back where it was (received, or with its handler).
    """
    at = moment(at)
    feedback = lock(feedback)
    if not feedback_may_supplement(actor=actor, feedback=feedback, secret=secret):
        raise NotFound(_("There is no feedback with this code, or you may not see it."))
    targets = transition_targets(feedback.status, Action.SUPPLEMENT)
    errors: Errors = {}
    cleaned = clean_text(errors, "text", text, maximum=CONTENT_MAX)
    checked = attachments_check(list(attachments), errors)
    raise_if_any(errors)
    before = audited(feedback)
    from_status = feedback.status
    target = feedback.resume_status if feedback.resume_status in targets else targets[0]
    feedback.status = target
    feedback.resume_status = ""
    resolve_clock_resume(feedback=feedback, at=at, calendar=calendar_get())
    person = actor if is_submitter(actor, feedback) else None
    event = record(
        feedback=feedback,
        action=Action.SUPPLEMENT,
        from_status=from_status,
        actor=person,
        position=None,
        at=at,
        before=before,
        note=cleaned,
    )
    attachments_store(feedback=feedback, event=event, checked=checked)
    if feedback.status == FeedbackStatus.ASSIGNED and feedback.assigned_to is not None:
        recipients = user_recipients(feedback.assigned_to)
    else:
        recipients = receiver_recipients(feedback.agency)
    feedback_notify(event="feedback.supplemented", feedback=feedback, recipients=recipients, link=work_link(feedback))
    return feedback
