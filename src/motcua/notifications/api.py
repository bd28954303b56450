"""Notifications API at /api/v1/notifications.

No ``from __future__ import annotations`` here: Ninja reads the real annotation objects.
"""

from ninja import Router

router = Router()
