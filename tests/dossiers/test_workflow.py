"""The state machine: every transition outside the table is a 409 that changes nothing; races."""

from __future__ import annotations

import io
import threading
import uuid

import pytest
from django.db import connection

from motcua.agencies.models import Organisation
from motcua.core.exceptions import InvalidState, MotcuaError
from motcua.core.permissions import SYSTEM
from motcua.dossiers import services
from motcua.dossiers.models import PORTAL_STATUS_CODES, Dossier, DossierEvent, DossierStatus
from motcua.dossiers.workflow import ACTION_ACTORS, TRANSITIONS, Action
from motcua.payments.models import PaymentRequest
from tests.dossiers.conftest import Counts, received, state_of, submit
from tests.dossiers.factories import MONDAY, PDF_BYTES, QN_CONSTRUCTION, at

pytestmark = pytest.mark.usefixtures("english")

DOSSIER_ACTIONS = [a for a in Action.values if a not in (Action.SUBMIT, Action.RECEIVE_AT_COUNTER)]


def _call(action, dossier):
    """Call the service of ``action`` as the platform itself (so only the state can refuse)."""
    common = {"actor": SYSTEM, "dossier": dossier, "at": at(4)}
    calls = {
        Action.ACCEPT: lambda: services.dossier_accept(**common),
        Action.REFUSE_RECEIPT: lambda: services.dossier_refuse_receipt(**common, reasons=["x"]),
        Action.CLAIM: lambda: services.dossier_claim(**common),
        Action.FORWARD: lambda: services.dossier_forward(**common),
        Action.RETURN_TO_STEP: lambda: services.dossier_return_to_step(**common, step_code="tiep_nhan", reason="x"),
        Action.REQUEST_SUPPLEMENT: lambda: services.dossier_request_supplement(**common, items=["x"], reason="x"),
        Action.SUPPLY: lambda: services.dossier_supply(**common, note="x"),
        Action.REQUEST_PAYMENT: lambda: services.dossier_request_payment(**common, amount=1),
        Action.RECORD_PAYMENT: lambda: services.dossier_record_payment(**common, payment_request=PaymentRequest()),
        Action.RECORD_FEES: lambda: services.dossier_record_fees(**common, payment_request=PaymentRequest()),
        Action.REQUEST_OPINION: lambda: services.dossier_request_opinion(
            **common, organisation=Organisation.objects.get(code=QN_CONSTRUCTION), question="x"
        ),
        Action.ANSWER_OPINION: lambda: services.dossier_answer_opinion(
            **common, opinion_request_id=uuid.uuid4(), answer="x"
        ),
        Action.ANNOUNCE_DELAY: lambda: services.dossier_announce_delay(**common, new_due_at=at(30), reason="x"),
        Action.REFUSE: lambda: services.dossier_refuse(**common, reasons=["x"]),
        Action.STOP: lambda: services.dossier_stop(**common, reason="x"),
        Action.APPROVE: lambda: services.dossier_approve(**common),
        Action.ATTACH_RESULT_FILE: lambda: services.dossier_result_file_attach(
            **common, content=io.BytesIO(PDF_BYTES), name="kq.pdf"
        ),
        Action.RETURN_RESULT: lambda: services.dossier_return_result(**common, method="counter"),
        Action.SIGN_RESULT: lambda: services.dossier_result_sign(**common, pin="123456"),
        Action.SEAL_RESULT: lambda: services.dossier_result_seal(**common, pin="123456"),
        Action.WITHDRAW: lambda: services.dossier_withdraw(**common),
    }
    return calls[action]()


def _in_status(status, citizen, version, clerk):
    if status == DossierStatus.NEW:
        return submit(citizen, version)
    if status == DossierStatus.REFUSED:
        return services.dossier_refuse_receipt(actor=SYSTEM, dossier=submit(citizen, version), reasons=["x"])
    if status == DossierStatus.WITHDRAWN:
        return services.dossier_withdraw(actor=citizen, dossier=submit(citizen, version))
    dossier = received(citizen, version, clerk, at=MONDAY)
    if status == DossierStatus.ACCEPTED:
        return dossier
    dossier = services.dossier_forward(actor=SYSTEM, dossier=dossier, at=at(2, 10))
    if status == DossierStatus.PROCESSING:
        return dossier
    if status == DossierStatus.SUPPLEMENT_REQUESTED:
        services.dossier_request_supplement(actor=SYSTEM, dossier=dossier, items=["x"], reason="x", at=at(3))
        return Dossier.objects.get(pk=dossier.pk)
    if status == DossierStatus.FINANCIAL_OBLIGATION:
        return services.dossier_request_payment(actor=SYSTEM, dossier=dossier, amount=5, at=at(3))
    if status == DossierStatus.STOPPED:
        return services.dossier_stop(actor=SYSTEM, dossier=dossier, reason="x", at=at(3))
    dossier = services.dossier_forward(actor=SYSTEM, dossier=dossier, at=at(3))
    dossier = services.dossier_forward(actor=SYSTEM, dossier=dossier, at=at(3))
    dossier = services.dossier_approve(actor=SYSTEM, dossier=dossier, at=at(3))
    if status == DossierStatus.FINISHED:
        return dossier
    return services.dossier_return_result(actor=SYSTEM, dossier=dossier, method="counter", at=at(3))


def test_statuses_map_exactly_to_the_national_portal_codes():
    assert {status: DossierStatus(status).portal_code for status in DossierStatus.values} == {
        "new": 1,
        "accepted": 2,
        "refused": 3,
        "processing": 4,
        "supplement_requested": 5,
        "financial_obligation": 6,
        "withdrawn": 7,
        "stopped": 8,
        "finished": 9,
        "returned": 10,
    }
    assert sorted(PORTAL_STATUS_CODES.values()) == list(range(1, 11))


def test_every_action_has_actors_and_every_target_is_a_status():
    assert set(ACTION_ACTORS) == set(Action.values)
    assert set(TRANSITIONS.values()) <= set(DossierStatus.values)
    ended = {DossierStatus.REFUSED, DossierStatus.WITHDRAWN, DossierStatus.STOPPED, DossierStatus.RETURNED}
    assert not [key for key in TRANSITIONS if key[0] in ended]  # nothing leaves an end status


@pytest.mark.django_db
@pytest.mark.parametrize("status", DossierStatus.values)
def test_every_wrong_transition_is_a_409_that_changes_nothing(status, citizen, version, clerk):
    dossier = _in_status(status, citizen, version, clerk)
    assert dossier.status == status
    wrong = [action for action in DOSSIER_ACTIONS if (status, action) not in TRANSITIONS]
    assert wrong
    before, counts = state_of(dossier), Counts()
    for action in wrong:
        with pytest.raises(InvalidState) as error:
            _call(action, dossier)
        assert error.value.code == "dossier_invalid_transition", action
        assert error.value.http_status == 409
    assert state_of(dossier) == before
    counts.assert_unchanged()


@pytest.mark.django_db
def test_stale_objects_cannot_move_a_dossier_twice(citizen, version, clerk, specialist, second_specialist):
    """Two officials forward the same dossier from copies loaded before either acted: the service locks
    and re-reads the row, so the second sees the step has moved and gets a 409."""
    dossier = services.dossier_forward(actor=clerk, dossier=received(citizen, version, clerk), at=at(2, 10))
    first_copy, second_copy = Dossier.objects.get(pk=dossier.pk), Dossier.objects.get(pk=dossier.pk)
    services.dossier_forward(actor=specialist, dossier=first_copy, expected_step="tham_dinh", at=at(3))
    counts = Counts()
    with pytest.raises(InvalidState) as error:
        services.dossier_forward(actor=second_specialist, dossier=second_copy, expected_step="tham_dinh", at=at(3))
    assert error.value.code == "dossier_step_changed"
    counts.assert_unchanged()
    assert Dossier.objects.get(pk=dossier.pk).current_step_code == "kiem_tra"


@pytest.mark.django_db(transaction=True)
def test_two_officials_forwarding_at_once_one_wins(citizen, version, clerk, specialist, second_specialist):
    """Real concurrency: two threads, two database connections, one barrier. select_for_update makes the
    second wait for the first (on SQLite the write lock does the same), then it sees the moved step."""
    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        pytest.skip(
            "an in-memory SQLite test database is shared between threads with table locks that fail at once "
            "instead of waiting; set MOTCUA_TEST_SQLITE_NAME to a file to run this on SQLite (the stale-object "
            "test above covers the same rule on every database)"
        )
    dossier = services.dossier_forward(actor=clerk, dossier=received(citizen, version, clerk), at=at(2, 10))
    barrier = threading.Barrier(2)
    outcomes = {}

    def forward(official):
        copy = Dossier.objects.get(pk=dossier.pk)
        barrier.wait(timeout=10)
        try:
            services.dossier_forward(actor=official, dossier=copy, expected_step="tham_dinh", at=at(3))
            outcomes[official.pk] = "ok"
        except MotcuaError as error:
            outcomes[official.pk] = error.code
        finally:
            connection.close()

    threads = [threading.Thread(target=forward, args=(official,)) for official in (specialist, second_specialist)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes.values()) == ["dossier_step_changed", "ok"]
    events = list(DossierEvent.objects.filter(dossier_id=dossier.pk).order_by("sequence"))
    assert [event.sequence for event in events] == list(range(1, len(events) + 1))
    assert [event.action for event in events].count("forward") == 2  # the clerk's and the winner's
    assert Dossier.objects.get(pk=dossier.pk).current_step_code == "kiem_tra"
