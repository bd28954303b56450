"""Webhooks to agency systems: subscriptions, signed deliveries after commit, retries, the delivery log.

``webhook_emit`` runs inside the caller's transaction and writes one ``WebhookDelivery`` per active
subscription (of the organisations concerned, or of an ancestor that asked for its bodies' events too) that
listens to the event. ``webhook_deliveries_deliver`` (tasks after commit, and the periodic sweep) sends
them like the national portal outbox does: claimed under ``SELECT ... FOR UPDATE SKIP LOCKED`` where the
database has it, leased by moving ``next_attempt_at`` past the timeout, POSTed outside any transaction. A
2xx answer marks the delivery delivered, once: the result is written only while this worker's claim stands,
and a delivered row is never claimed again. Anything else (an error status, a timeout, a refused or reset
connection) is tried again after an exponential back-off with jitter (``WEBHOOK_RETRY_BASE_SECONDS`` doubling
up to ``WEBHOOK_RETRY_MAX_SECONDS``) until ``WEBHOOK_MAX_ATTEMPTS``; then the delivery is given up
("failed"), logged as an error, and the organisation's administrators are told (once a day per
subscription). Every try is a ``WebhookAttempt`` row: time, duration, HTTP status, the start of the answer or
the error. Redirects are not followed. The signature scheme is in ``notifications.signing``.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import time
import uuid
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit

import requests
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import connection, transaction
from django.db.models import F, Max, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from motcua.accounts.models import User
from motcua.agencies.models import Organisation, Role
from motcua.agencies.selectors import position_active_all
from motcua.core.audit import audit_record, snapshot
from motcua.core.exceptions import ValidationFailed
from motcua.core.permissions import permission_require
from motcua.notifications.events import event_find, event_get, event_types
from motcua.notifications.models import WebhookAttempt, WebhookDelivery, WebhookSubscription
from motcua.notifications.recipients import Recipient
from motcua.notifications.services._common import (
    CLAIM_BATCH,
    DeliveryReport,
    deliver_after_commit,
    json_check,
    logger,
    retry_delay,
    setting_float,
    setting_int,
)
from motcua.notifications.services.notify import notify
from motcua.notifications.signing import (
    HEADER_DELIVERY,
    HEADER_EVENT,
    HEADER_SIGNATURE,
    HEADER_TIMESTAMP,
    signature_header,
)
from motcua.notifications.webhook_secrets import (
    SecretUnavailable,
    secret_decrypt,
    secret_encrypt,
    webhook_secret_generate,
)

State = WebhookDelivery.State
PING_EVENT = "notifications.ping"
FAILED_EVENT = "notifications.webhook_failed"
EXCERPT_CHARACTERS = 500
NAME_MAX_LENGTH = 200
URL_MAX_LENGTH = 500
USER_AGENT = "Motcua-Webhooks/1"
EDITABLE_FIELDS = ("name", "target_url", "events", "include_descendants", "is_active")


# ------------------------------------------------------------------------------------------------------
# Subscriptions
# ------------------------------------------------------------------------------------------------------


def _host_is_loopback(host: str) -> bool:
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def target_url_problems(url: str) -> list[str]:
    """Why a URL cannot receive webhooks: HTTPS only, plain HTTP to this machine (or where the setting allows)."""
    if not url:
        return [_("This field is required.")]
    if len(url) > URL_MAX_LENGTH:
        return [_("Use at most %(limit)s characters.") % {"limit": URL_MAX_LENGTH}]
    try:
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError:
        return [_("Enter a full web address, starting with https://.")]
    parts = urlsplit(url)
    if parts.username or parts.password:
        return [_("Do not put a user name or password in the address: requests are signed instead.")]
    if parts.scheme == "http" and not (
        _host_is_loopback(parts.hostname or "") or getattr(settings, "WEBHOOK_ALLOW_HTTP", False)
    ):
        return [_("Use an https:// address: plain http is only allowed to this machine.")]
    return []


def events_problems(events: Any) -> list[str]:
    if not isinstance(events, list | tuple) or not events:
        return [_("Choose at least one event.")]
    unknown = sorted({str(key) for key in events if not isinstance(key, str) or event_find(key) is None})
    if unknown:
        return [_("Unknown events: %(events)s.") % {"events": ", ".join(unknown)}]
    return []


def webhook_events_available() -> list[str]:
    """Every event a webhook may listen to."""
    return [event.key for event in event_types() if event.key != PING_EVENT]


def _associated_data(subscription_id: Any) -> bytes:
    return f"webhook-subscription:{subscription_id}".encode()


def _validated(*, name: str, target_url: str, events: Any) -> dict[str, list[str]]:
    problems: dict[str, list[str]] = {}
    if not name.strip():
        problems["name"] = [_("This field is required.")]
    elif len(name.strip()) > NAME_MAX_LENGTH:
        problems["name"] = [_("Use at most %(limit)s characters.") % {"limit": NAME_MAX_LENGTH}]
    if url_problems := target_url_problems(target_url.strip()):
        problems["target_url"] = url_problems
    if event_problems := events_problems(events):
        problems["events"] = event_problems
    return problems


def _person(actor: Any) -> User | None:
    return actor if isinstance(actor, User) else None


@transaction.atomic
def webhook_subscription_create(
    *,
    actor: Any,
    organisation: Organisation,
    name: str,
    target_url: str,
    events: list[str],
    include_descendants: bool = False,
) -> tuple[WebhookSubscription, str]:
    """Subscribe an agency system to events of an organisation; returns it with its secret, shown only now."""
    permission_require(actor, "notifications.manage_webhooks", organisation)
    problems = _validated(name=name, target_url=target_url, events=events)
    if problems:
        raise ValidationFailed(details=problems)
    secret = webhook_secret_generate()
    subscription = WebhookSubscription(
        organisation=organisation,
        name=name.strip(),
        target_url=target_url.strip(),
        events=sorted(set(events)),
        include_descendants=bool(include_descendants),
        created_by=_person(actor),
    )
    subscription.secret_encrypted = secret_encrypt(secret=secret, associated_data=_associated_data(subscription.pk))
    subscription.save(force_insert=True)
    audit_record(
        action="notifications.webhook_subscription_created",
        instance=subscription,
        after=snapshot(subscription),
        actor=actor,
    )
    return subscription, secret


def _cancel_pending(subscription: WebhookSubscription, reason: str) -> int:
    return WebhookDelivery.objects.filter(subscription=subscription, state=State.PENDING).update(
        state=State.CANCELLED, last_error=reason, next_attempt_at=None, updated_at=timezone.now()
    )


@transaction.atomic
def webhook_subscription_update(
    *, actor: Any, subscription: WebhookSubscription, changes: Mapping[str, Any]
) -> WebhookSubscription:
    """Change a subscription's name, address, events, reach or activity; deactivating cancels what waits."""
    permission_require(actor, "notifications.manage_webhooks", subscription.organisation)
    unknown = sorted(set(changes) - set(EDITABLE_FIELDS))
    if unknown:
        raise ValidationFailed(details={field: [_("This field cannot be changed.")] for field in unknown})
    row = WebhookSubscription.objects.select_for_update().get(pk=subscription.pk)
    before = snapshot(row, fields=list(EDITABLE_FIELDS))
    name = str(changes.get("name", row.name))
    target_url = str(changes.get("target_url", row.target_url))
    events = changes.get("events", row.events)
    problems = _validated(name=name, target_url=target_url, events=events)
    if problems:
        raise ValidationFailed(details=problems)
    row.name, row.target_url, row.events = name.strip(), target_url.strip(), sorted(set(events))
    row.include_descendants = bool(changes.get("include_descendants", row.include_descendants))
    row.is_active = bool(changes.get("is_active", row.is_active))
    row.save()
    if before["is_active"] and not row.is_active:
        _cancel_pending(row, "subscription deactivated")
    after = snapshot(row, fields=list(EDITABLE_FIELDS))
    if after != before:
        audit_record(
            action="notifications.webhook_subscription_changed", instance=row, before=before, after=after, actor=actor
        )
    return row


@transaction.atomic
def webhook_subscription_rotate_secret(
    *, actor: Any, subscription: WebhookSubscription, now: dt.datetime | None = None
) -> str:
    """A new secret, shown only now; requests are signed with the old one too for WEBHOOK_SECRET_GRACE_HOURS."""
    permission_require(actor, "notifications.manage_webhooks", subscription.organisation)
    now = now or timezone.now()
    row = WebhookSubscription.objects.select_for_update().get(pk=subscription.pk)
    secret = webhook_secret_generate()
    row.previous_secret_encrypted = row.secret_encrypted
    row.previous_secret_valid_until = now + dt.timedelta(hours=setting_int("WEBHOOK_SECRET_GRACE_HOURS", 24))
    row.secret_encrypted = secret_encrypt(secret=secret, associated_data=_associated_data(row.pk))
    row.secret_rotated_at = now
    row.save()
    audit_record(
        action="notifications.webhook_secret_rotated",
        instance=row,
        after={"previous_secret_valid_until": row.previous_secret_valid_until},
        actor=actor,
    )
    return secret


@transaction.atomic
def webhook_subscription_delete(*, actor: Any, subscription: WebhookSubscription) -> None:
    """Remove a subscription; deliveries still waiting are cancelled, the log of the others is kept."""
    permission_require(actor, "notifications.manage_webhooks", subscription.organisation)
    row = WebhookSubscription.objects.select_for_update().get(pk=subscription.pk)
    _cancel_pending(row, "subscription deleted")
    audit_record(action="notifications.webhook_subscription_deleted", instance=row, before=snapshot(row), actor=actor)
    row.delete()


@transaction.atomic
def webhook_subscription_ping(*, actor: Any, subscription: WebhookSubscription) -> WebhookDelivery:
    """Send a test event (``notifications.ping``) to the subscription's address, whatever events it listens to."""
    permission_require(actor, "notifications.manage_webhooks", subscription.organisation)
    if not subscription.is_active:
        raise ValidationFailed(
            _("Activate the subscription before sending a test event."), code="webhook_subscription_inactive"
        )
    delivery = WebhookDelivery(
        subscription=subscription,
        organisation_id=subscription.organisation_id,
        target_url=subscription.target_url,
        event=PING_EVENT,
        payload={"subscription_id": str(subscription.pk), "subscription_name": subscription.name},
        next_attempt_at=timezone.now(),
    )
    delivery.save(force_insert=True)
    audit_record(
        action="notifications.webhook_pinged", instance=subscription, after={"delivery": str(delivery.pk)}, actor=actor
    )
    deliver_after_commit(kind="webhook", ids=[delivery.pk])
    return delivery


# ------------------------------------------------------------------------------------------------------
# Emitting
# ------------------------------------------------------------------------------------------------------


def _listening(*, event: str, organisation_ids: set[Any]) -> list[WebhookSubscription]:
    paths = Organisation.objects.filter(pk__in=organisation_ids).values_list("path", flat=True)
    ancestors = {part for path in paths for part in path.strip("/").split("/") if part}
    condition = Q(organisation_id__in=organisation_ids)
    if ancestors:
        condition |= Q(organisation_id__in=ancestors, include_descendants=True)
    subscriptions = WebhookSubscription.objects.filter(condition, is_active=True).order_by("created_at")
    return [subscription for subscription in subscriptions if event in (subscription.events or [])]


def webhook_emit(
    *,
    event: str,
    organisation_ids: Iterable[uuid.UUID],
    payload: dict[str, Any],
    dedupe_key: str = "",
) -> list[WebhookDelivery]:
    """Queue the event for every active subscription that listens to it, inside the caller's transaction.

    The organisations are those the event concerns (a dossier's receiving and processing bodies, say); their
    ancestors' subscriptions that include descendants listen too. Sent after commit, signed, retried. With a
    ``dedupe_key`` a repeated call queues nothing twice for a subscription. Returns the deliveries written.
    """
    event_get(event)
    json_check(payload, what="payload")
    ids = {organisation_id for organisation_id in organisation_ids if organisation_id}
    if not ids:
        return []
    dedupe_key = dedupe_key[:200]
    with transaction.atomic(savepoint=False):
        subscriptions = _listening(event=event, organisation_ids=ids)
        if dedupe_key and subscriptions:
            already = set(
                WebhookDelivery.objects.filter(dedupe_key=dedupe_key, subscription__in=subscriptions).values_list(
                    "subscription_id", flat=True
                )
            )
            subscriptions = [subscription for subscription in subscriptions if subscription.pk not in already]
        if not subscriptions:
            return []
        now = timezone.now()
        deliveries = [
            WebhookDelivery(
                subscription=subscription,
                organisation_id=subscription.organisation_id,
                target_url=subscription.target_url,
                event=event,
                payload=payload,
                dedupe_key=dedupe_key,
                next_attempt_at=now,
            )
            for subscription in subscriptions
        ]
        WebhookDelivery.objects.bulk_create(deliveries, ignore_conflicts=bool(dedupe_key))
        if dedupe_key:
            written = set(
                WebhookDelivery.objects.filter(pk__in=[row.pk for row in deliveries]).values_list("pk", flat=True)
            )
            deliveries = [row for row in deliveries if row.pk in written]
        deliver_after_commit(kind="webhook", ids=[row.pk for row in deliveries])
    return deliveries


def webhook_body(delivery: WebhookDelivery) -> bytes:
    """The JSON document POSTed for a delivery: the same bytes on every attempt."""
    document = {
        "id": str(delivery.pk),
        "event": delivery.event,
        "created_at": delivery.created_at.astimezone(dt.UTC).isoformat(timespec="microseconds"),
        "data": delivery.payload,
    }
    return json.dumps(document, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


# ------------------------------------------------------------------------------------------------------
# Delivering
# ------------------------------------------------------------------------------------------------------


def _timeout() -> float:
    return setting_float("WEBHOOK_TIMEOUT_SECONDS", 10)


def _claim(*, now: dt.datetime, limit: int, ids: list[str] | None) -> list[WebhookDelivery]:
    lease = dt.timedelta(seconds=2 * _timeout() + 60)
    with transaction.atomic():
        due = WebhookDelivery.objects.filter(state=State.PENDING, next_attempt_at__lte=now)
        if ids is not None:
            due = due.filter(pk__in=ids)
        due = due.order_by("next_attempt_at")
        if connection.features.has_select_for_update_skip_locked:
            due = due.select_for_update(skip_locked=True)
        claimed = list(due[:limit])
        if claimed:
            WebhookDelivery.objects.filter(pk__in=[row.pk for row in claimed]).update(
                next_attempt_at=now + lease, attempts=F("attempts") + 1
            )
    for row in claimed:
        row.attempts += 1
    return claimed


def signing_secrets(subscription: WebhookSubscription) -> list[str]:
    """The secrets a request is signed with: the current one, and the previous one during its grace period."""
    found = [secret_decrypt(stored=subscription.secret_encrypted, associated_data=_associated_data(subscription.pk))]
    valid_until = subscription.previous_secret_valid_until
    if subscription.previous_secret_encrypted and valid_until is not None and valid_until > timezone.now():
        try:
            found.append(
                secret_decrypt(
                    stored=subscription.previous_secret_encrypted, associated_data=_associated_data(subscription.pk)
                )
            )
        except SecretUnavailable:
            logger.warning("the previous webhook secret cannot be opened", extra={"subscription": str(subscription.pk)})
    return found


def _connection_problem(exception: requests.ConnectionError) -> str:
    """What went wrong on the connection, without urllib3's wrapping ("[Errno 111] Connection refused")."""
    reason: Any = exception.args[0] if exception.args else exception
    reason = getattr(reason, "reason", reason)  # urllib3's MaxRetryError wraps the real error
    text = str(reason)
    if "object at 0x" in text and ": " in text:  # "<HTTPConnection object at 0x...>: Failed to establish..."
        text = text.split(": ", 1)[1]
    return text


def _post(*, session: requests.Session, delivery: WebhookDelivery, url: str, secrets: list[str]) -> dict[str, Any]:
    """One attempt: the fields of its WebhookAttempt row."""
    body = webhook_body(delivery)
    timestamp = int(time.time())  # the receiver checks it against its own clock
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": USER_AGENT,
        HEADER_DELIVERY: str(delivery.pk),
        HEADER_EVENT: delivery.event,
        HEADER_TIMESTAMP: str(timestamp),
        HEADER_SIGNATURE: signature_header(secrets=secrets, timestamp=timestamp, body=body),
    }
    started_at = timezone.now()
    started = time.perf_counter()
    status: int | None = None
    excerpt = ""
    error = ""
    timeout = _timeout()
    try:
        with session.post(
            url, data=body, headers=headers, timeout=(timeout, timeout), allow_redirects=False, stream=True
        ) as response:
            status = response.status_code
            first = next(response.iter_content(chunk_size=EXCERPT_CHARACTERS * 4), b"")
            excerpt = first.decode("utf-8", "replace")[:EXCERPT_CHARACTERS]
    except requests.Timeout:
        error = f"timeout: no answer within {timeout:g} s"
    except requests.ConnectionError as exception:
        error = f"connection failed: {_connection_problem(exception)}"[:2000]
    except requests.RequestException as exception:
        error = f"{type(exception).__name__}: {exception}"[:2000]
    return {
        "started_at": started_at,
        "duration_ms": int((time.perf_counter() - started) * 1000),
        "http_status": status,
        "response_excerpt": excerpt,
        "error": error,
        "succeeded": status is not None and 200 <= status < 300,
    }


def _failure_notify(*, delivery: WebhookDelivery, subscription: WebhookSubscription, error: str) -> None:
    """Tell the organisation's administrators (or its mailbox) that deliveries to their system were given up."""
    organisation = subscription.organisation
    admins = position_active_all().filter(organisation=organisation, role=Role.AGENCY_ADMIN)
    recipients: list[Recipient | Any] = [position.user for position in admins]
    if not recipients and organisation.email:
        recipients = [Recipient(email=organisation.email, name=organisation.name)]
    if not recipients:
        return
    notify(
        event=FAILED_EVENT,
        recipients=recipients,
        context={
            "subscription_name": subscription.name,
            "organisation_name": organisation.name,
            "target_url": subscription.target_url,
            "event": delivery.event,
            "delivery_id": str(delivery.pk),
            "attempts": delivery.attempts,
            "last_error": error[:300],
        },
        link=reverse("notifications:webhook_detail", kwargs={"subscription_id": subscription.pk}),
        subject_type="notifications.webhooksubscription",
        subject_id=str(subscription.pk),
        dedupe_key=f"webhook_failed:{subscription.pk}:{timezone.localdate():%Y-%m-%d}",
    )


def _record(
    *,
    delivery: WebhookDelivery,
    subscription: WebhookSubscription | None,
    outcome: dict[str, Any],
    attempt: dict[str, Any] | None,
    given_up: bool,
) -> bool:
    with transaction.atomic():
        updated = WebhookDelivery.objects.filter(
            pk=delivery.pk, state=State.PENDING, attempts=delivery.attempts
        ).update(**outcome, updated_at=timezone.now())
        if not updated:
            return False  # another worker took the delivery over after this one's lease ran out
        if attempt is not None:
            number = WebhookAttempt.objects.filter(delivery_id=delivery.pk).aggregate(last=Max("number"))["last"] or 0
            WebhookAttempt.objects.create(delivery_id=delivery.pk, number=number + 1, **attempt)
        if given_up and subscription is not None:
            _failure_notify(delivery=delivery, subscription=subscription, error=str(outcome.get("last_error", "")))
    return True


def _deliver_one(
    *,
    session: requests.Session,
    delivery: WebhookDelivery,
    subscription: WebhookSubscription | None,
    secrets: dict[Any, list[str]],
    now: dt.datetime,
    report: DeliveryReport,
) -> None:
    if subscription is None or not subscription.is_active:
        reason = "subscription deleted" if subscription is None else "subscription deactivated"
        if _record(
            delivery=delivery,
            subscription=None,
            outcome={"state": State.CANCELLED, "last_error": reason, "next_attempt_at": None},
            attempt=None,
            given_up=False,
        ):
            report.cancelled += 1
        return
    if subscription.pk not in secrets:
        try:
            secrets[subscription.pk] = signing_secrets(subscription)
        except SecretUnavailable as error:
            secrets[subscription.pk] = []
            logger.error("webhook secret cannot be opened: %s", error, extra={"subscription": str(subscription.pk)})
    attempt: dict[str, Any]
    if secrets[subscription.pk]:
        attempt = _post(
            session=session, delivery=delivery, url=subscription.target_url, secrets=secrets[subscription.pk]
        )
    else:
        attempt = {
            "started_at": timezone.now(),
            "duration_ms": 0,
            "error": "the subscription's secret cannot be opened (SECRET_KEY changed?): rotate the secret",
        }
    given_up = False
    if attempt.get("succeeded"):
        outcome: dict[str, Any] = {
            "state": State.SENT,
            "sent_at": now,
            "last_error": "",
            "next_attempt_at": None,
            "target_url": subscription.target_url,
        }
    else:
        message = attempt["error"] or f"HTTP {attempt['http_status']}: {attempt['response_excerpt'][:200]}"
        if delivery.attempts >= setting_int("WEBHOOK_MAX_ATTEMPTS", 12):
            given_up = True
            outcome = {"state": State.FAILED, "last_error": message, "next_attempt_at": None}
            logger.error(
                "webhook delivery given up after %s attempts: %s",
                delivery.attempts,
                message,
                extra={"delivery": str(delivery.pk), "subscription": str(subscription.pk)},
            )
        else:
            delay = retry_delay(
                attempts=delivery.attempts,
                base_seconds=setting_int("WEBHOOK_RETRY_BASE_SECONDS", 30),
                cap_seconds=setting_int("WEBHOOK_RETRY_MAX_SECONDS", 3600),
            )
            outcome = {"last_error": message, "next_attempt_at": now + delay}
        outcome["target_url"] = subscription.target_url
    if not _record(delivery=delivery, subscription=subscription, outcome=outcome, attempt=attempt, given_up=given_up):
        return
    if attempt.get("succeeded"):
        report.sent += 1
    elif given_up:
        report.failed += 1
    else:
        report.retried += 1


def webhook_deliveries_deliver(
    *,
    delivery_ids: Iterable[Any] | None = None,
    now: dt.datetime | None = None,
    limit: int = 1000,
    session: requests.Session | None = None,
) -> DeliveryReport:
    """Send due deliveries (only those named, if ids are given), oldest due first; ``now`` moves the clock of
    the queue (tests advance it instead of sleeping), the signatures always carry the real time."""
    ids = [str(identifier) for identifier in delivery_ids] if delivery_ids is not None else None
    report = DeliveryReport()
    own_session = session is None
    http = session or requests.Session()
    secrets: dict[Any, list[str]] = {}
    try:
        while report.handled < limit:
            claimed = _claim(now=now or timezone.now(), limit=min(CLAIM_BATCH, limit - report.handled), ids=ids)
            if not claimed:
                break
            subscriptions = {
                row.pk: row
                for row in WebhookSubscription.objects.select_related("organisation").filter(
                    pk__in={delivery.subscription_id for delivery in claimed if delivery.subscription_id}
                )
            }
            for delivery in claimed:
                _deliver_one(
                    session=http,
                    delivery=delivery,
                    subscription=subscriptions.get(delivery.subscription_id) if delivery.subscription_id else None,
                    secrets=secrets,
                    now=now or timezone.now(),
                    report=report,
                )
    finally:
        if own_session:
            http.close()
    return report


@transaction.atomic
def webhook_delivery_retry(
    *, actor: Any, delivery_ids: Iterable[uuid.UUID | str], now: dt.datetime | None = None
) -> int:
    """Send given-up, cancelled or waiting deliveries again now, with a fresh count of attempts (delivered ones
    are left alone; so are those whose subscription was deleted)."""
    now = now or timezone.now()
    rows = list(
        WebhookDelivery.objects.select_for_update(of=("self",))
        .filter(pk__in=list(delivery_ids), subscription__isnull=False)
        .exclude(state=State.SENT)
        .select_related("organisation")
    )
    for row in rows:
        permission_require(actor, "notifications.manage_webhooks", row.organisation)
    for row in rows:
        before = {"state": row.state, "attempts": row.attempts, "last_error": row.last_error}
        row.state, row.attempts, row.next_attempt_at = State.PENDING, 0, now
        row.save(update_fields=["state", "attempts", "next_attempt_at", "updated_at"])
        audit_record(
            action="notifications.webhook_delivery_retry",
            instance=row,
            before=before,
            after={"state": row.state, "attempts": 0},
            actor=actor,
        )
    deliver_after_commit(kind="webhook", ids=[row.pk for row in rows])
    return len(rows)
