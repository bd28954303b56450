"""Document books and numbering (Decree 30/2020, Articles 15, 16 and 22).

Numbers run per book and per year, from 1 on 1 January (the year in Asia/Ho_Chi_Minh), and are taken under a
lock on the book's counter row for that year, so two clerks registering at once never get the same number; the
database's unique constraints back it (number + notation per agency and year; number per book and year).
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from motcua.agencies.models import Organisation
from motcua.core.audit import audit_record, snapshot
from motcua.core.calendar import LOCAL_TZ, calendar_get
from motcua.core.exceptions import Conflict, ValidationFailed
from motcua.core.permissions import permission_require
from motcua.exchange.models import BookCounter, DocumentBook

Direction = DocumentBook.Direction

DEFAULT_BOOKS = {
    Direction.OUTGOING: ("VBDI", "Sổ đăng ký văn bản đi"),
    Direction.INCOMING: ("VBDEN", "Sổ đăng ký văn bản đến"),
}


def book_default(*, organisation: Organisation, direction: str) -> DocumentBook:
    """The organisation's default book for a direction, opened the first time it is needed."""
    book = DocumentBook.objects.filter(organisation=organisation, direction=direction, is_default=True).first()
    if book is not None:
        return book
    code, name = DEFAULT_BOOKS[Direction(direction)]
    try:
        with transaction.atomic():
            book = DocumentBook.objects.create(
                organisation=organisation, direction=direction, code=code, name=name, is_default=True
            )
            audit_record(action="exchange.book_opened", instance=book, after=snapshot(book))
    except IntegrityError:  # opened at the same moment by another request
        return DocumentBook.objects.get(organisation=organisation, direction=direction, is_default=True)
    return book


@transaction.atomic
def book_create(*, actor: Any, organisation: Organisation, direction: str, code: str, name: str) -> DocumentBook:
    """Open another book (legal normative documents, a book per type...); the clerks and leaders decide."""
    permission_require(actor, "exchange.keep_books", organisation)
    errors: dict[str, list[str]] = {}
    code, name = code.strip().upper(), " ".join(name.split())
    if direction not in Direction.values:
        errors["direction"] = [str(_("Choose outgoing or incoming."))]
    if not code or len(code) > 20:
        errors["code"] = [str(_("Use 1 to 20 characters."))]
    if not name or len(name) > 200:
        errors["name"] = [str(_("Use 1 to 200 characters."))]
    if errors:
        raise ValidationFailed(details=errors)
    if DocumentBook.objects.filter(organisation=organisation, direction=direction, code=code).exists():
        raise Conflict(_("This organisation already has a book with this code."), code="book_code_taken")
    book = DocumentBook.objects.create(organisation=organisation, direction=direction, code=code, name=name)
    audit_record(action="exchange.book_created", instance=book, after=snapshot(book), actor=actor)
    return book


def local_year(at: dt.datetime) -> int:
    return at.astimezone(LOCAL_TZ).year


def number_take(*, book: DocumentBook, at: dt.datetime) -> tuple[int, int]:
    """The next number of the book in the year of ``at`` (local time), under a lock on its counter: (year, number).
    Must run inside the caller's transaction, which keeps the lock until the document is saved."""
    year = local_year(at)
    counter, _created = BookCounter.objects.get_or_create(book=book, year=year)
    counter = BookCounter.objects.select_for_update().get(pk=counter.pk)
    counter.last_number += 1
    counter.save(update_fields=["last_number"])
    return year, counter.last_number


def registration_is_late(*, since: dt.datetime, registered_at: dt.datetime) -> bool:
    """Decree 30/2020 asks documents to be registered the day they arrive (or are signed), or the next working
    day: later than the close of the next working day is late."""
    deadline = calendar_get().add_working_days(since, 1)
    return registered_at > deadline


def book_for(*, organisation: Organisation, direction: str, book_id: Any = None) -> DocumentBook:
    """The chosen book of the organisation (active, of that direction), or its default one."""
    if not book_id:
        return book_default(organisation=organisation, direction=direction)
    try:
        identifier = book_id if isinstance(book_id, uuid.UUID) else uuid.UUID(str(book_id))
    except ValueError:
        identifier = None
    book = (
        DocumentBook.objects.filter(
            pk=identifier, organisation=organisation, direction=direction, is_active=True
        ).first()
        if identifier
        else None
    )
    if book is None:
        raise ValidationFailed(details={"book": [str(_("Choose one of the organisation's books."))]})
    return book
