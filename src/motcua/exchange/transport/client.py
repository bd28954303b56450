"""HTTP(S) calls to other nodes, each request signed with this node's key (``transport.auth``).

Paths (on every node, under ``/exchange/node/``): ``messages`` (POST a message), ``pending`` (GET the ids of the
messages held for the calling node), ``messages/<id>`` (GET one), ``messages/<id>/answer`` (POST what the caller
answered after processing it), ``identity`` and ``directory`` (GET; POST to push a directory). TLS: the CA bundle
and the client certificate for mutual TLS come from ``MOTCUA_EXCHANGE_TLS_*``.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests
from django.conf import settings

from motcua.exchange.identity import node_key_load
from motcua.exchange.transport.auth import request_sign
from motcua.exchange.transport.wire import JSON, XML, Answer, WireMessage

BASE_PATH = "/exchange/node"
_session = requests.Session()


class NodeUnreachable(Exception):
    """The other node did not answer (network, timeout, 5xx): try again later."""


@dataclass(frozen=True)
class PendingMessage:
    message_id: uuid.UUID
    kind: str


def _tls() -> dict[str, Any]:
    options: dict[str, Any] = {}
    if settings.EXCHANGE_TLS_CA_FILE:
        options["verify"] = settings.EXCHANGE_TLS_CA_FILE
    if settings.EXCHANGE_TLS_CLIENT_CERTIFICATE and settings.EXCHANGE_TLS_CLIENT_KEY:
        options["cert"] = (settings.EXCHANGE_TLS_CLIENT_CERTIFICATE, settings.EXCHANGE_TLS_CLIENT_KEY)
    return options


def _request(
    method: str,
    base_url: str,
    path: str,
    *,
    body: bytes = b"",
    headers: dict[str, str] | None = None,
    sign: bool = True,
) -> requests.Response:
    url = f"{base_url.rstrip('/')}{BASE_PATH}{path}"
    headers = dict(headers or {})
    if sign:
        signed_path = urlsplit(url).path + (f"?{urlsplit(url).query}" if urlsplit(url).query else "")
        headers.update(request_sign(key=node_key_load(), method=method, path=signed_path, body=body, headers=headers))
    try:
        response = _session.request(
            method, url, data=body or None, headers=headers, timeout=int(settings.EXCHANGE_TIMEOUT_SECONDS), **_tls()
        )
    except requests.RequestException as error:
        raise NodeUnreachable(f"{type(error).__name__}: {error}") from error
    if response.status_code >= 500 or response.status_code in (408, 429):
        raise NodeUnreachable(f"HTTP {response.status_code}: {response.text[:300]}")
    return response


def _answer(response: requests.Response) -> Answer:
    return Answer(
        status=response.status_code,
        content_type=response.headers.get("Content-Type", ""),
        body=response.content,
    )


def message_post(*, base_url: str, message: WireMessage) -> Answer:
    headers = {**message.headers(), "Content-Type": XML}
    return _answer(_request("POST", base_url, "/messages", body=message.body, headers=headers))


def pending_list(*, base_url: str) -> list[PendingMessage]:
    response = _request("GET", base_url, "/pending")
    if response.status_code != 200:
        raise NodeUnreachable(f"HTTP {response.status_code}: {response.text[:300]}")
    items = json.loads(response.content)["messages"]
    return [PendingMessage(message_id=uuid.UUID(item["message_id"]), kind=item["kind"]) for item in items]


def message_fetch(*, base_url: str, message_id: uuid.UUID) -> WireMessage | None:
    response = _request("GET", base_url, f"/messages/{message_id}")
    if response.status_code == 404:
        return None
    if response.status_code != 200:
        raise NodeUnreachable(f"HTTP {response.status_code}: {response.text[:300]}")
    return WireMessage.from_headers(response.headers, response.content)


def message_answer(*, base_url: str, message_id: uuid.UUID, answer: Answer) -> None:
    headers = {"Content-Type": answer.content_type or JSON, "X-Motcua-Answer-Status": str(answer.status)}
    response = _request("POST", base_url, f"/messages/{message_id}/answer", body=answer.body, headers=headers)
    if response.status_code not in (200, 404):
        raise NodeUnreachable(f"HTTP {response.status_code}: {response.text[:300]}")


def identity_get(*, base_url: str) -> bytes:
    response = _request("GET", base_url, "/identity", sign=False)
    if response.status_code != 200:
        raise NodeUnreachable(f"HTTP {response.status_code}: {response.text[:300]}")
    return response.content


def directory_get(*, url: str) -> bytes:
    try:
        response = _session.get(url, timeout=int(settings.EXCHANGE_TIMEOUT_SECONDS), **_tls())
    except requests.RequestException as error:
        raise NodeUnreachable(f"{type(error).__name__}: {error}") from error
    if response.status_code != 200:
        raise NodeUnreachable(f"HTTP {response.status_code}: {response.text[:300]}")
    return response.content


def directory_post(*, base_url: str, data: bytes) -> int:
    response = _request("POST", base_url, "/directory", body=data, headers={"Content-Type": XML}, sign=False)
    return response.status_code
