"""The model as JSON-ready data (the ``motcua edxml check`` output, logs, APIs built on the library)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
from pathlib import Path
from typing import Any

from motcua.exchange.edxml.codes import VIETNAM


def jsonable(value: Any) -> Any:
    """Dataclasses as dicts (field names of the model), dates in ISO 8601, moments with Vietnam's offset."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {item.name: jsonable(getattr(value, item.name)) for item in dataclasses.fields(value)}
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, dt.datetime):
        return value.astimezone(VIETNAM).isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, tuple | list):
        return [jsonable(item) for item in value]
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, bytes):
        return {"bytes": len(value)}
    return value
