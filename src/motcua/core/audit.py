"""Append-only, hash-chained audit trail. Services call ``audit_record`` inside their transaction."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.db import models, transaction
from django.utils import timezone

from motcua.core.context import current_context
from motcua.core.models import AuditChainHead, AuditEvent

GENESIS_HASH = "0" * 64


def _canonical(value: Any) -> Any:
    """JSON-safe, deterministic form of a value (UUIDs, dates and decimals become strings)."""
    return json.loads(json.dumps(value, sort_keys=True, default=str, ensure_ascii=False))


def event_hash(
    *,
    previous_hash: str,
    sequence: int,
    occurred_at: datetime,
    actor_id: Any,
    actor_label: str,
    action: str,
    object_type: str,
    object_id: str,
    object_label: str,
    before: Any,
    after: Any,
    request_id: str,
    client_address: str | None,
) -> str:
    payload = {
        "previous_hash": previous_hash,
        "sequence": sequence,
        "occurred_at": occurred_at.astimezone(dt.UTC).isoformat(timespec="microseconds"),
        "actor_id": str(actor_id) if actor_id else None,
        "actor_label": actor_label,
        "action": action,
        "object_type": object_type,
        "object_id": object_id,
        "object_label": object_label,
        "before": before,
        "after": after,
        "request_id": request_id,
        "client_address": client_address,
    }
    encoded = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(encoded.encode("utf-8")).hexdigest()


def snapshot(instance: models.Model, fields: list[str] | None = None) -> dict[str, Any]:
    """The audited state of a model instance: its concrete fields (foreign keys by id), JSON-safe."""
    data: dict[str, Any] = {}
    for field in instance._meta.concrete_fields:
        if fields is not None and field.name not in fields:
            continue
        if field.name in {"password"} or getattr(field, "audit_secret", False):
            continue
        data[field.attname] = getattr(instance, field.attname)
    return _canonical(data)


def audit_record(
    *,
    action: str,
    instance: models.Model | None = None,
    object_type: str = "",
    object_id: str = "",
    object_label: str = "",
    before: Any = None,
    after: Any = None,
    actor: Any = None,
) -> AuditEvent:
    """Append one event to the chain; must run inside the caller's transaction (rule 9 of DESIGN.md)."""
    context = current_context()
    actor = actor if actor is not None else context.user
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    actor_label = "system"
    if actor is not None:
        actor_label = actor.get_username() if hasattr(actor, "get_username") else str(actor)
        if not isinstance(actor, get_user_model()):
            actor = None  # an API client: named in actor_label, not a user row
    if instance is not None:
        object_type = object_type or instance._meta.label_lower
        object_id = object_id or str(instance.pk)
        object_label = object_label or str(instance)[:300]
    before_json = _canonical(before) if before is not None else None
    after_json = _canonical(after) if after is not None else None
    actor_label = actor_label[:200]
    with transaction.atomic():
        head, _created = AuditChainHead.objects.select_for_update().get_or_create(id=1)
        sequence = head.last_sequence + 1
        occurred_at = timezone.now()
        digest = event_hash(
            previous_hash=head.last_hash,
            sequence=sequence,
            occurred_at=occurred_at,
            actor_id=actor.pk if actor is not None else None,
            actor_label=actor_label,
            action=action,
            object_type=object_type,
            object_id=object_id,
            object_label=object_label,
            before=before_json,
            after=after_json,
            request_id=context.request_id,
            client_address=context.client_address,
        )
        event = AuditEvent(
            sequence=sequence,
            occurred_at=occurred_at,
            actor=actor,
            actor_label=actor_label,
            action=action,
            object_type=object_type,
            object_id=object_id,
            object_label=object_label,
            before=before_json,
            after=after_json,
            request_id=context.request_id,
            client_address=context.client_address,
            previous_hash=head.last_hash,
            hash=digest,
        )
        event.save()
        head.last_sequence = sequence
        head.last_hash = digest
        head.save(update_fields=["last_sequence", "last_hash"])
    return event


@dataclass(frozen=True)
class ChainReport:
    intact: bool
    events_checked: int
    first_bad_sequence: int | None = None
    problem: str = ""


def audit_chain_verify(*, batch_size: int = 2000) -> ChainReport:
    """Recompute every hash in order; name the first event that was altered, deleted or inserted."""
    previous_hash = GENESIS_HASH
    expected_sequence = 1
    checked = 0
    last_seen = 0
    while True:
        batch = list(AuditEvent.objects.filter(sequence__gt=last_seen).order_by("sequence")[:batch_size])
        if not batch:
            break
        for event in batch:
            if event.sequence != expected_sequence:
                return ChainReport(False, checked, expected_sequence, "missing")
            if event.previous_hash != previous_hash:
                return ChainReport(False, checked, event.sequence, "broken_link")
            recomputed = event_hash(
                previous_hash=event.previous_hash,
                sequence=event.sequence,
                occurred_at=event.occurred_at,
                actor_id=event.actor_id,
                actor_label=event.actor_label,
                action=event.action,
                object_type=event.object_type,
                object_id=event.object_id,
                object_label=event.object_label,
                before=event.before,
                after=event.after,
                request_id=event.request_id,
                client_address=event.client_address,
            )
            if recomputed != event.hash:
                return ChainReport(False, checked, event.sequence, "altered")
            previous_hash = event.hash
            expected_sequence += 1
            checked += 1
            last_seen = event.sequence
    head = AuditChainHead.objects.filter(id=1).first()
    if head is not None and head.last_sequence != checked:
        # Events were removed from the end of the chain.
        return ChainReport(False, checked, checked + 1, "missing")
    return ChainReport(True, checked)
