"""Payments API at /api/v1/payments.

No ``from __future__ import annotations`` here: Ninja reads the real annotation objects.
"""

from ninja import Router

router = Router()
