"""Running pyHanko's and pyhanko-certvalidator's async APIs from Motcua's synchronous code."""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import Coroutine
from typing import Any, TypeVar

_T = TypeVar("_T")


def coroutine_run(coroutine: Coroutine[Any, Any, _T]) -> _T:
    """Run ``coroutine`` to its end, also when an event loop is already running in this thread (an async view):
    then in a worker thread with its own loop. asgiref's async_to_sync refuses that case."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()
