"""Per-request context (request id, client address, acting user) carried in context variables.

The middleware sets it for web requests; tasks and commands set it with ``request_context(...)``, so audit
events and log lines always say who, from where and in which request.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class RequestContext:
    request_id: str = ""
    client_address: str | None = None
    user: Any = None


_current: ContextVar[RequestContext] = ContextVar("motcua_request_context", default=RequestContext())  # noqa: B039 - frozen, immutable


def current_context() -> RequestContext:
    return _current.get()


def new_request_id() -> str:
    return uuid.uuid4().hex


@contextlib.contextmanager
def request_context(
    *, request_id: str | None = None, client_address: str | None = None, user: Any = None
) -> Iterator[RequestContext]:
    context = RequestContext(request_id=request_id or new_request_id(), client_address=client_address, user=user)
    token = _current.set(context)
    try:
        yield context
    finally:
        _current.reset(token)


def set_context_user(user: Any) -> None:
    _current.set(RequestContext(current_context().request_id, current_context().client_address, user))
