"""Receiving a message: the same code path whether it came over HTTP from another node, was fetched from the hub
(pull), or was delivered by this node to one of its own agencies.

1. A message id seen before is answered with the answer stored the first time (a retry after a crash, a replay):
   nothing changes, so a package delivered twice never makes a second document.
2. A message for an organisation this node does not serve is relayed when this node is a hub and knows the node
   that serves it (the bytes unchanged; the hop is recorded here and in the transport headers, not in the signed
   package, whose signature covers its TraceHeaderList), refused as "addressed to another node" otherwise, or as an
   unknown recipient when no node serves it.
3. A package is parsed and its seal verified; a refused one (tampered, unknown or revoked certificate, not sealed
   by its sender, malformed, an XML bomb, too large, not addressed to this organisation) is answered with a signed
   status 02 giving the reason when the package names its document, a JSON error otherwise; it is logged and kept
   as evidence, and nothing else is stored.
4. An accepted package makes the incoming document (or the recall or update request) in one transaction with the
   message's row; the answer is the signed technical receipt (status 01).
5. A status package is verified (signed by the node serving its sender, or sealed by the sender) and applied to
   the recipient it is about.
"""

from __future__ import annotations

import hashlib
import json
import logging
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from motcua.core.exceptions import MotcuaError
from motcua.exchange.identity import node_id, node_key_load, served_organisation_get
from motcua.exchange.models import DirectoryEntry, InboundMessage
from motcua.exchange.models.delivery import MessageKind
from motcua.exchange.routing import route_for, self_node
from motcua.exchange.transport.wire import JSON, XML, Answer, WireMessage

logger = logging.getLogger(__name__)

Outcome = InboundMessage.Outcome


def node_fingerprints_for(code: str) -> set[str]:
    """The node certificates allowed to sign statuses from ``code``: the node that serves it."""
    if served_organisation_get(code) is not None:
        return {node_key_load().fingerprint}
    entry = DirectoryEntry.objects.select_related("node").filter(organisation_code=(code or "").upper()).first()
    return {entry.node.certificate_sha256} if entry is not None else set()


def _json(status: int, code: str, message: str, **details: Any) -> Answer:
    body = json.dumps({"code": code, "message": message, "details": details}, ensure_ascii=False).encode("utf-8")
    return Answer(status=status, content_type=JSON, body=body)


def _stored_answer(row: InboundMessage) -> Answer:
    return Answer(status=row.response_status, content_type=row.response_type or JSON, body=bytes(row.response))


def _record(
    message: WireMessage,
    *,
    previous_hop: str,
    outcome: str,
    answer: Answer,
    reason_code: str = "",
    reason: str = "",
    keep_body: bool = True,
) -> InboundMessage:
    return InboundMessage.objects.create(
        message_id=message.message_id,
        kind=message.kind,
        from_code=message.from_code,
        to_code=message.to_code,
        document_id=message.document_id,
        origin_node=message.origin_node,
        previous_hop=previous_hop,
        route=",".join(message.route)[:300],
        body=message.body if keep_body else b"",
        sha256=hashlib.sha256(message.body).hexdigest(),
        outcome=outcome,
        reason_code=reason_code[:60],
        reason=reason[:4000],
        response_status=answer.status,
        response=answer.body,
        response_type=answer.content_type,
    )


def _refuse(
    message: WireMessage, *, previous_hop: str, answer: Answer, code: str, reason: str, keep_body: bool = True
) -> Answer:
    logger.warning(
        "exchange message refused (%s): %s",
        code,
        reason,
        extra={"message_id": str(message.message_id), "document_id": message.document_id, "from": message.from_code},
    )
    try:
        with transaction.atomic():
            _record(
                message,
                previous_hop=previous_hop,
                outcome=Outcome.REFUSED,
                answer=answer,
                reason_code=code,
                reason=reason,
                keep_body=keep_body,
            )
    except IntegrityError:
        existing = InboundMessage.objects.filter(message_id=message.message_id).first()
        if existing is not None:
            return _stored_answer(existing)
    return answer


def inbound_receive(*, message: WireMessage, previous_hop: str) -> Answer:
    """Handle one message and say what to answer (see the module docstring)."""
    existing = InboundMessage.objects.filter(message_id=message.message_id).first()
    if existing is not None:
        logger.info("message %s received again: answered as the first time", message.message_id)
        return _stored_answer(existing)
    from motcua.exchange.packages import package_max_bytes

    if len(message.body) > package_max_bytes():
        answer = _json(413, "package_too_large", _("The package is larger than this node accepts."))
        return _refuse(
            message,
            previous_hop=previous_hop,
            answer=answer,
            code="package_too_large",
            reason=answer.body.decode(),
            keep_body=False,
        )
    organisation = served_organisation_get(message.to_code)
    if organisation is None:
        return _not_here(message, previous_hop=previous_hop)
    if message.kind == MessageKind.PACKAGE:
        return _package_receive(message, previous_hop=previous_hop, organisation=organisation)
    return _status_receive(message, previous_hop=previous_hop)


def _not_here(message: WireMessage, *, previous_hop: str) -> Answer:
    route = route_for(message.to_code)
    if route is None:
        answer = _json(
            404, "unknown_recipient", _("No node serves the organisation %(code)s.") % {"code": message.to_code}
        )
        return _refuse(
            message, previous_hop=previous_hop, answer=answer, code="unknown_recipient", reason=message.to_code
        )
    me = self_node()
    is_hub = me is not None and me.is_hub
    loops = route.next_hop == previous_hop or node_id() in message.route
    if not is_hub or loops or not previous_hop:
        answer = _json(
            421,
            "addressed_to_another_node",
            _("The organisation %(code)s is served by another node (%(node)s).")
            % {"code": message.to_code, "node": route.destination},
        )
        return _refuse(
            message,
            previous_hop=previous_hop,
            answer=answer,
            code="addressed_to_another_node",
            reason=route.destination,
        )
    return _relay(message, previous_hop=previous_hop, route=route)


def _relay(message: WireMessage, *, previous_hop: str, route: Any) -> Answer:
    from motcua.exchange.transport.outbox import outbox_add

    answer = _json(202, "relayed", _("The message was taken to be relayed."), node=route.next_hop)
    try:
        with transaction.atomic():
            inbound = _record(message, previous_hop=previous_hop, outcome=Outcome.RELAYED, answer=answer)
            outbox_add(
                kind=message.kind,
                from_code=message.from_code,
                to_code=message.to_code,
                document_id=message.document_id,
                body=message.body,
                route=route,
                relayed_from=inbound,
                origin_node=message.origin_node,
                message_id=message.message_id,
                via=message.route,
                order_group=f"relay:{message.kind}:{message.document_id}:{message.to_code}",
            )
    except IntegrityError:
        existing = InboundMessage.objects.filter(message_id=message.message_id).first()
        return _stored_answer(existing) if existing is not None else answer
    logger.info("message %s relayed towards %s", message.message_id, route.next_hop)
    return answer


def _package_receive(message: WireMessage, *, previous_hop: str, organisation: Any) -> Answer:
    from motcua.exchange.packages import Refusal, document_package_read, status_package_build

    received_at = timezone.now()
    answer_from = (organisation.code or "", organisation.name)

    def refusal_answer(reason: str, document_id: str, sender: str, number: str, issued_on: Any) -> Answer:
        body = status_package_build(
            from_organisation_code=answer_from[0],
            from_organisation_name=answer_from[1],
            document_id=document_id,
            document_sender=sender,
            document_code=number,
            promulgation_date=issued_on,
            code="02",
            description=reason,
            at=received_at,
        )
        return Answer(status=422, content_type=XML, body=body)

    try:
        with document_package_read(message.body, received_at=received_at, answer_from=answer_from) as received:
            header = received.header
            problems = []
            if received.sender_code != message.from_code:
                problems.append(_("the package is sent by %(code)s") % {"code": received.sender_code})
            if message.to_code not in received.recipient_codes:
                problems.append(_("the package is not addressed to %(code)s") % {"code": message.to_code})
            if header.document_id != message.document_id:
                problems.append(_("the package is about document %(id)s") % {"id": header.document_id})
            if problems:
                reason = _("The transport headers disagree with the package: %(problems)s.") % {
                    "problems": "; ".join(problems)
                }
                answer = refusal_answer(
                    reason,
                    header.document_id,
                    received.sender_code,
                    str(header.code),
                    header.promulgation_info.promulgation_date,
                )
                return _refuse(
                    message, previous_hop=previous_hop, answer=answer, code="headers_mismatch", reason=reason
                )
            return _accept(
                message, previous_hop=previous_hop, organisation=organisation, received=received, at=received_at
            )
    except Refusal as refusal:
        answer = (
            Answer(status=422, content_type=XML, body=refusal.answer)
            if refusal.answer
            else _json(422, refusal.code, refusal.reason, **refusal.details)
        )
        return _refuse(message, previous_hop=previous_hop, answer=answer, code=refusal.code, reason=refusal.reason)
    except MotcuaError as error:  # the document to recall or update is unknown here
        answer = _json(error.http_status, error.code, str(error.message))
        return _refuse(message, previous_hop=previous_hop, answer=answer, code=error.code, reason=str(error.message))


def _accept(message: WireMessage, *, previous_hop: str, organisation: Any, received: Any, at: Any) -> Answer:
    from motcua.exchange.packages import status_package_build
    from motcua.exchange.services.receiving import incoming_from_package

    header = received.header
    receipt = status_package_build(
        from_organisation_code=organisation.code or "",
        from_organisation_name=organisation.name,
        document_id=header.document_id,
        document_sender=received.sender_code,
        document_code=str(header.code),
        promulgation_date=header.promulgation_info.promulgation_date,
        code="01",
        at=at,
    )
    answer = Answer(status=200, content_type=XML, body=receipt)
    try:
        with transaction.atomic():
            inbound = _record(message, previous_hop=previous_hop, outcome=Outcome.ACCEPTED, answer=answer)
            outcome, _document = incoming_from_package(
                organisation=organisation, received=received, inbound=inbound, at=at
            )
            if outcome == "duplicate":
                inbound.outcome = Outcome.DUPLICATE
                inbound.save(update_fields=["outcome"])
                logger.warning(
                    "package of %s received again under another message id: no second document", header.document_id
                )
    except IntegrityError:
        existing = InboundMessage.objects.filter(message_id=message.message_id).first()
        if existing is not None:  # delivered twice at the same moment: the other delivery stored it
            return _stored_answer(existing)
        raise
    return answer


def _status_receive(message: WireMessage, *, previous_hop: str) -> Answer:
    from motcua.exchange.packages import Refusal, status_package_read
    from motcua.exchange.services.statuses import status_apply

    try:
        status = status_package_read(
            message.body, received_at=timezone.now(), node_fingerprints=node_fingerprints_for(message.from_code)
        )
    except Refusal as refusal:
        answer = _json(422, refusal.code, refusal.reason)
        return _refuse(message, previous_hop=previous_hop, answer=answer, code=refusal.code, reason=refusal.reason)
    if status.from_code != message.from_code or status.document_sender != message.to_code:
        reason = _("The transport headers disagree with the status package.")
        return _refuse(
            message,
            previous_hop=previous_hop,
            answer=_json(422, "headers_mismatch", reason),
            code="headers_mismatch",
            reason=reason,
        )
    answer = _json(200, "applied", _("The status was recorded."))
    try:
        with transaction.atomic():
            _record(message, previous_hop=previous_hop, outcome=Outcome.ACCEPTED, answer=answer)
            status_apply(
                document_id=status.document_id,
                document_sender=status.document_sender,
                from_code=status.from_code,
                code=status.code,
                timestamp=status.timestamp,
                description=status.description,
                staff=status.staff,
                package=message.body,
                message_id=message.message_id,
            )
    except MotcuaError as error:
        answer = _json(error.http_status, error.code, str(error.message))
        return _refuse(message, previous_hop=previous_hop, answer=answer, code=error.code, reason=str(error.message))
    except IntegrityError:
        existing = InboundMessage.objects.filter(message_id=message.message_id).first()
        if existing is not None:
            return _stored_answer(existing)
        raise
    return answer
