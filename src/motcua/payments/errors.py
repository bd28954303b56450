"""Errors of payments that the core hierarchy does not name."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from motcua.core.exceptions import MotcuaError


class GatewayUnavailable(MotcuaError):
    """The payment gateway could not be reached or refused to start the payment (HTTP 503)."""

    http_status = 503
    default_code = "payment_gateway_unavailable"
    default_message = _("The payment service is not available right now. Please try again in a few minutes.")
