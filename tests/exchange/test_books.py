"""Document books and numbering: per book and year, restarting on 1 January (Vietnam's year), number and notation
unique per agency and year, late registrations flagged (same or next working day)."""

import datetime as dt

import pytest
from django.db import IntegrityError, transaction

from motcua.core.exceptions import Conflict, PermissionDenied, ValidationFailed
from motcua.exchange import services
from motcua.exchange.models import OutgoingDocument
from motcua.exchange.services.books import book_default, number_take, registration_is_late
from tests.exchange.conftest import signed

pytestmark = pytest.mark.django_db

VIETNAM = dt.timezone(dt.timedelta(hours=7))


def test_numbers_run_per_book_and_restart_on_the_first_of_january_in_vietnam(sender):
    book = book_default(organisation=sender.organisation, direction="outgoing")
    other = services.book_create(
        actor=sender.clerk, organisation=sender.organisation, direction="outgoing", code="QPPL", name="Sổ văn bản QPPL"
    )
    late_in_2025 = dt.datetime(2025, 12, 31, 16, 59, tzinfo=dt.UTC)  # 23:59 in Vietnam
    new_year = dt.datetime(2025, 12, 31, 17, 0, tzinfo=dt.UTC)  # 00:00 on 1 January 2026 in Vietnam
    assert number_take(book=book, at=late_in_2025) == (2025, 1)
    assert number_take(book=book, at=late_in_2025) == (2025, 2)
    assert number_take(book=other, at=late_in_2025) == (2025, 1)
    assert number_take(book=book, at=new_year) == (2026, 1)


def test_registration_numbers_the_document_and_names_it(node, sender, receiver):
    first = services.outgoing_register(actor=sender.clerk, document=signed(sender, [receiver.code]))
    second = services.outgoing_register(
        actor=sender.clerk, document=signed(sender, [receiver.code], document_type="QD")
    )
    assert (first.number, second.number) == (1, 2)
    assert second.number_and_notation == "2/QĐ-UBND"
    issued = second.issued_on.strftime("%Y/%m/%d")
    assert second.document_id == f"{sender.code},{issued},2/QĐ-UBND"
    assert second.status == "registered" and second.registered_by == sender.clerk


def test_the_database_refuses_the_same_number_and_notation_twice_in_a_year(node, sender, receiver):
    document = services.outgoing_register(actor=sender.clerk, document=signed(sender, [receiver.code]))
    other = signed(sender, [receiver.code])
    with pytest.raises(IntegrityError), transaction.atomic():
        OutgoingDocument.objects.filter(pk=other.pk).update(
            number=document.number, year=document.year, notation=document.notation, book=None
        )


def test_registration_later_than_the_next_working_day_is_flagged():
    friday = dt.datetime(2025, 10, 10, 10, 0, tzinfo=VIETNAM)
    assert not registration_is_late(since=friday, registered_at=dt.datetime(2025, 10, 13, 16, 0, tzinfo=VIETNAM))
    assert registration_is_late(since=friday, registered_at=dt.datetime(2025, 10, 14, 9, 0, tzinfo=VIETNAM))
    # Before Tết 2026 (17 February): the next working day is after the holidays.
    assert not registration_is_late(
        since=dt.datetime(2026, 2, 13, 15, 0, tzinfo=VIETNAM),
        registered_at=dt.datetime(2026, 2, 16, 9, 0, tzinfo=VIETNAM),
    )


def test_opening_a_book_is_for_clerks_and_leaders_and_codes_are_unique(sender):
    with pytest.raises(PermissionDenied):
        services.book_create(
            actor=sender.specialist, organisation=sender.organisation, direction="incoming", code="MAT", name="Sổ mật"
        )
    services.book_create(
        actor=sender.leader, organisation=sender.organisation, direction="incoming", code="MAT", name="Sổ mật"
    )
    with pytest.raises(Conflict):
        services.book_create(
            actor=sender.clerk, organisation=sender.organisation, direction="incoming", code="mat", name="X"
        )
    with pytest.raises(ValidationFailed) as error:
        services.book_create(
            actor=sender.clerk, organisation=sender.organisation, direction="sideways", code="", name=""
        )
    assert set(error.value.details) == {"direction", "code", "name"}


def test_registering_in_another_organisations_book_is_refused(node, sender, receiver):
    foreign = book_default(organisation=receiver.organisation, direction="outgoing")
    document = signed(sender, [receiver.code])
    with pytest.raises(ValidationFailed):
        services.outgoing_register(actor=sender.clerk, document=document, book_id=foreign.pk)
    with pytest.raises(ValidationFailed):
        services.outgoing_register(actor=sender.clerk, document=document, book_id="not-a-uuid")
    document.refresh_from_db()
    assert document.status == "signed" and document.number is None
