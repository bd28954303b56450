"""Wrong PINs: counted on the key in a transaction of their own, which the caller's rollback does not undo."""

from __future__ import annotations

import contextvars
import logging
import threading
import time
from dataclasses import dataclass
from typing import Any

from django.db import OperationalError, connections, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from motcua.core.audit import audit_record, snapshot
from motcua.core.exceptions import InvalidState, ValidationFailed
from motcua.signatures.models import SigningKey

logger = logging.getLogger(__name__)

MAX_WRONG_PINS = 5
# How long unlock waits for the wrong-PIN record written on its own connection, and how long that record
# keeps trying while the caller's transaction holds the locks it needs.
_RECORD_WAIT_SECONDS = 1.0
_RECORD_DEADLINE_SECONDS = 60.0


@dataclass(frozen=True)
class Attempts:
    failed_attempts: int
    locked: bool


def _in_callers_transaction() -> bool:
    """Whether a transaction of the caller is open, that another connection could outlast.

    Inside a test case's own wrapping transaction (Django's TestCase, pytest-django's ``django_db``) nothing
    is visible to other connections, so there is nothing another connection could record: count in place.
    """
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        return False
    blocks = connection.atomic_blocks
    return not (blocks and getattr(blocks[0], "_from_testcase", False))


def _wrong_pin_write(*, key_id: Any, actor: Any, lock_timeout_ms: int = 0) -> Attempts | None:
    with transaction.atomic():
        connection = transaction.get_connection()
        if lock_timeout_ms and connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT set_config('lock_timeout', %s, true)", [f"{lock_timeout_ms}ms"])
        row = SigningKey.objects.select_for_update().filter(pk=key_id).first()
        if row is None:
            return None
        if row.locked_at is not None:
            return Attempts(failed_attempts=row.failed_attempts, locked=True)
        before = snapshot(row, ["failed_attempts", "locked_at"])
        row.failed_attempts += 1
        locked = row.failed_attempts >= MAX_WRONG_PINS
        if locked:
            row.locked_at = timezone.now()
        row.save(update_fields=["failed_attempts", "locked_at", "updated_at"])
        after = snapshot(row, ["failed_attempts", "locked_at"])
        audit_record(action="signatures.signing_key_wrong_pin", instance=row, before=before, after=after, actor=actor)
        if locked:
            audit_record(action="signatures.signing_key_locked", instance=row, before=before, after=after, actor=actor)
        return Attempts(failed_attempts=row.failed_attempts, locked=locked)


def _wrong_pin_write_retrying(*, key_id: Any, actor: Any) -> Attempts | None:
    """On a connection of its own: waits while the caller's transaction holds the locks it needs."""
    deadline = time.monotonic() + _RECORD_DEADLINE_SECONDS
    try:
        while True:
            try:
                return _wrong_pin_write(key_id=key_id, actor=actor, lock_timeout_ms=5000)
            except OperationalError as error:
                # SQLite: "database is locked" / "database table is locked"; PostgreSQL: a lock timeout.
                if time.monotonic() > deadline:
                    logger.error("A wrong PIN for signing key %s could not be recorded: %s", key_id, error)
                    return None
                time.sleep(0.05)
    finally:
        connections.close_all()  # this thread's own connections


def wrong_pin_count(*, row: SigningKey, actor: Any) -> Attempts:
    """Count a wrong PIN in a transaction of its own, committed whatever the caller's transaction does next.

    Inside a caller's transaction it is written on another connection, from a helper thread (Django's
    connections belong to their thread). That write may have to wait for the caller's locks (SQLite's
    writer lock, the audit chain's head row): then unlock does not wait for it, it lands as soon as the
    caller commits or rolls back.
    """
    if not _in_callers_transaction():
        written = _wrong_pin_write(key_id=row.pk, actor=actor)
        return written or Attempts(failed_attempts=row.failed_attempts + 1, locked=False)
    outcome: list[Attempts | None] = []
    context = contextvars.copy_context()  # the request's id and address for the audit event

    def record() -> None:
        outcome.append(context.run(_wrong_pin_write_retrying, key_id=row.pk, actor=actor))

    helper = threading.Thread(target=record, name=f"motcua-wrong-pin-{row.pk}", daemon=False)
    helper.start()
    # SQLite: the caller's IMMEDIATE transaction holds the only writer lock, so waiting cannot help.
    helper.join(timeout=0 if transaction.get_connection().vendor == "sqlite" else _RECORD_WAIT_SECONDS)
    if outcome and outcome[0] is not None:
        return outcome[0]
    estimate = row.failed_attempts + 1
    return Attempts(failed_attempts=estimate, locked=estimate >= MAX_WRONG_PINS)


def locked_error() -> InvalidState:
    return InvalidState(
        _("This signing key is locked after %(count)d wrong PINs in a row. Ask an administrator to unblock it.")
        % {"count": MAX_WRONG_PINS},
        code="signing_key_locked",
    )


def wrong_pin_error(attempts: Attempts) -> InvalidState | ValidationFailed:
    if attempts.locked:
        return locked_error()
    remaining = max(MAX_WRONG_PINS - attempts.failed_attempts, 0)
    message = ngettext(
        "Wrong PIN. %(count)d attempt is left before the key is locked.",
        "Wrong PIN. %(count)d attempts are left before the key is locked.",
        remaining,
    ) % {"count": remaining}
    return ValidationFailed(message, code="wrong_pin", details={"pin": [message], "remaining_attempts": remaining})
