"""Fixed-window counters in the shared cache, for the public endpoints of feedback (submission without an
account, lookups with code and secret, anonymous votes)."""

from __future__ import annotations

import hashlib

from django.core.cache import cache
from django.utils import timezone


def rate_limit_hit(*, scope: str, value: str, limit: int, window_seconds: int) -> bool:
    """Count one more attempt for ``value`` in ``scope``; True when the window's limit is exceeded."""
    window = int(timezone.now().timestamp() // window_seconds)
    digest = hashlib.sha256(f"{scope}\x1f{value}\x1f{window}".encode()).hexdigest()[:40]
    key = f"motcua:feedback:{scope}:{digest}"
    cache.add(key, 0, timeout=window_seconds * 2)
    try:
        count = cache.incr(key)
    except ValueError:
        cache.set(key, 1, timeout=window_seconds * 2)
        count = 1
    return count > limit
