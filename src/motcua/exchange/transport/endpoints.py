"""The node-to-node endpoints under ``/exchange/node/`` (signed server-to-server requests: no CSRF, no session).

    POST /exchange/node/messages                    a message (package or status); answers 200 + receipt 01 (XML),
                                                    422 + status 02 (XML), 202 (relayed by a hub), or a JSON error
    GET  /exchange/node/pending                     ids of the messages held for the calling node (pull mode)
    GET  /exchange/node/messages/<id>               one held message (body and X-Motcua-* headers)
    POST /exchange/node/messages/<id>/answer        what the calling node answered after processing it
    GET  /exchange/node/identity                    this node's signed identity (the organisations it serves)
    GET  /exchange/node/directory                   the signed node directory in use
    POST /exchange/node/directory                   push a newer signed directory (checked like a fetched one)

The like of the axis clients' getPendingDocumentIds / getDocument / updateStatus.
"""

from __future__ import annotations

import json
import logging
import uuid
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from motcua.core.exceptions import MotcuaError
from motcua.core.permissions import SYSTEM
from motcua.exchange.models import Node
from motcua.exchange.transport.auth import request_precheck, request_verify
from motcua.exchange.transport.wire import JSON, XML, Answer, WireMessage

logger = logging.getLogger(__name__)
_CHUNK = 256 * 1024


def _json(status: int, code: str, message: str, **details: Any) -> HttpResponse:
    body = json.dumps({"code": code, "message": message, "details": details}, ensure_ascii=False)
    return HttpResponse(body, status=status, content_type=JSON)


def _error(error: MotcuaError) -> HttpResponse:
    return HttpResponse(json.dumps(error.as_dict(), ensure_ascii=False), status=error.http_status, content_type=JSON)


def _body(request: HttpRequest, limit: int) -> bytes | None:
    """The request body, read in chunks; None when it is larger than ``limit`` (refused before it is all read)."""
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return None
    if declared > limit:
        return None
    parts, total = [], 0
    while chunk := request.read(_CHUNK):
        total += len(chunk)
        if total > limit:
            return None
        parts.append(chunk)
    return b"".join(parts)


def _authenticated(request: HttpRequest, body: bytes) -> Node:
    return request_verify(method=request.method or "", path=request.get_full_path(), body=body, headers=request.headers)


def _respond(answer: Answer) -> HttpResponse:
    return HttpResponse(answer.body, status=answer.status, content_type=answer.content_type or JSON)


@csrf_exempt
@require_POST
def messages(request: HttpRequest) -> HttpResponse:
    from motcua.exchange.packages import package_max_bytes
    from motcua.exchange.transport.inbound import inbound_receive

    try:
        request_precheck(headers=request.headers)
    except MotcuaError as error:
        return _error(error)
    body = _body(request, package_max_bytes())
    if body is None:
        logger.warning("exchange message refused: larger than %s bytes", package_max_bytes())
        return _json(413, "package_too_large", _("The package is larger than this node accepts."))
    try:
        node = _authenticated(request, body)
        message = WireMessage.from_headers(request.headers, body)
    except MotcuaError as error:
        return _error(error)
    if node.node_id != message.origin_node and not node.is_hub:
        return _json(403, "not_a_hub", _("Only a hub relays messages of other nodes."))
    return _respond(inbound_receive(message=message, previous_hop=node.node_id))


@csrf_exempt
@require_GET
def pending(request: HttpRequest) -> HttpResponse:
    from motcua.exchange.transport.outbox import outbox_held_list

    try:
        node = _authenticated(request, b"")
    except MotcuaError as error:
        return _error(error)
    rows = outbox_held_list(node=node.node_id)
    data = {"messages": [{"message_id": str(row.pk), "kind": row.kind, "document_id": row.document_id} for row in rows]}
    return HttpResponse(json.dumps(data, ensure_ascii=False), content_type=JSON)


@csrf_exempt
@require_GET
def message_get(request: HttpRequest, message_id: uuid.UUID) -> HttpResponse:
    from motcua.exchange.transport.outbox import outbox_held_get, wire_message

    try:
        node = _authenticated(request, b"")
    except MotcuaError as error:
        return _error(error)
    row = outbox_held_get(node=node.node_id, message_id=message_id)
    if row is None:
        return _json(404, "not_found", _("No message with this id is waiting for you."))
    message = wire_message(row)
    response = HttpResponse(message.body, content_type=XML)
    for name, value in message.headers().items():
        response[name] = value
    return response


@csrf_exempt
@require_POST
def message_answer(request: HttpRequest, message_id: uuid.UUID) -> HttpResponse:
    from motcua.exchange.packages import package_max_bytes
    from motcua.exchange.transport.outbox import outbox_held_answer

    body = _body(request, package_max_bytes())
    if body is None:
        return _json(413, "package_too_large", _("The answer is too large."))
    try:
        node = _authenticated(request, body)
        status = int(request.headers.get("X-Motcua-Answer-Status") or 200)
    except MotcuaError as error:
        return _error(error)
    except ValueError:
        return _json(422, "validation_failed", _("Some of the information is not valid."))
    answer = Answer(status=status, content_type=request.headers.get("Content-Type", JSON), body=body)
    if not outbox_held_answer(node=node.node_id, message_id=message_id, answer=answer):
        return _json(404, "not_found", _("No message with this id is waiting for you."))
    return _json(200, "recorded", _("The answer was recorded."))


@require_GET
def identity(request: HttpRequest) -> HttpResponse:
    from motcua.exchange.directory import identity_build

    try:
        return HttpResponse(identity_build(), content_type=XML)
    except MotcuaError as error:
        return _error(error)


@csrf_exempt
@require_http_methods(["GET", "POST"])
def directory(request: HttpRequest) -> HttpResponse:
    from motcua.exchange.directory import MAX_DIRECTORY_BYTES, directory_apply, directory_signed_current

    try:
        if request.method == "GET":
            return HttpResponse(directory_signed_current(), content_type=XML)
        body = _body(request, MAX_DIRECTORY_BYTES)
        if body is None:
            return _json(413, "too_large", _("The node directory is too large."))
        version = directory_apply(data=body, actor=SYSTEM)
    except MotcuaError as error:
        return _error(error)
    return _json(200, "applied", _("Node directory version %(version)s is in use.") % {"version": version.version})


urlpatterns = [
    path("messages", messages, name="node_messages"),
    path("pending", pending, name="node_pending"),
    path("messages/<uuid:message_id>", message_get, name="node_message"),
    path("messages/<uuid:message_id>/answer", message_answer, name="node_message_answer"),
    path("identity", identity, name="node_identity"),
    path("directory", directory, name="node_directory"),
]
