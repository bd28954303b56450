from __future__ import annotations

import logging

from motcua.core.context import current_context


class RequestContextFilter(logging.Filter):
    """Add the request id to every log record (empty outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current_context().request_id or "-"
        return True
