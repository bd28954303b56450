"""Who may do what with payments (deny by default; see core.permissions).

Payers act on their own requests (by account; without one, by the pay link's token, checked in the services).
Officials act through their positions on the collecting agency (``PaymentRequest.organisation``) or the counter
that receives for it (``counter_organisation``): one-stop clerks record counter payments and cancel; agency
leaders and administrators (of the agency or a body above it) refund, cancel and see reconciliation; auditors
read everything; platform administrators do everything. ``SYSTEM`` (operator commands, tasks, the dossiers
integration after its own checks) passes every rule.
"""

from __future__ import annotations

from typing import Any

from motcua.agencies.models import Organisation, Role
from motcua.agencies.selectors import (
    position_active_list,
    user_has_role,
    user_is_platform_admin,
    user_roles_in_subtree_of,
)
from motcua.core.permissions import rule_register
from motcua.payments.models import PaymentRequest

# Officials who work on an agency's dossiers and so may see its payment requests.
VIEWING_ROLES = frozenset(
    {
        Role.ONE_STOP_CLERK,
        Role.SPECIALIST,
        Role.UNIT_HEAD,
        Role.AGENCY_LEADER,
        Role.DOCUMENT_CLERK,
        Role.AGENCY_ADMIN,
    }
)
# Officials who may ask for a payment (the step official asking for the financial obligation, the clerk).
REQUESTING_ROLES = frozenset({Role.ONE_STOP_CLERK, Role.SPECIALIST, Role.UNIT_HEAD, Role.AGENCY_LEADER})
MANAGING_ROLES = frozenset({Role.AGENCY_LEADER, Role.AGENCY_ADMIN})


def _organisations_of(request: PaymentRequest) -> list[Organisation]:
    return [org for org in (request.organisation, request.counter_organisation) if org is not None]


def _roles_over(user: Any, organisations: list[Organisation]) -> set[str]:
    roles: set[str] = set()
    for organisation in organisations:
        roles |= user_roles_in_subtree_of(user=user, organisation=organisation)
    return roles


def _is_clerk_of(user: Any, organisations: list[Organisation]) -> bool:
    ids = {organisation.pk for organisation in organisations}
    return position_active_list(user=user).filter(role=Role.ONE_STOP_CLERK, organisation_id__in=ids).exists()


def is_payer(user: Any, request: Any) -> bool:
    from motcua.accounts.models import User

    return (
        isinstance(user, User)
        and isinstance(request, PaymentRequest)
        and request.payer_user_id is not None
        and request.payer_user_id == user.pk
    )


def _platform_admin(user: Any, obj: Any = None) -> bool:
    return user_is_platform_admin(user=user)


def _auditor(user: Any, obj: Any = None) -> bool:
    return user_has_role(user=user, role=Role.AUDITOR)


def _may_view(user: Any, request: Any) -> bool:
    if not isinstance(request, PaymentRequest):
        return False
    return is_payer(user, request) or bool(_roles_over(user, _organisations_of(request)) & VIEWING_ROLES)


def _may_pay(user: Any, request: Any) -> bool:
    return is_payer(user, request)


def _may_request(user: Any, organisation: Any) -> bool:
    return isinstance(organisation, Organisation) and bool(
        user_roles_in_subtree_of(user=user, organisation=organisation) & REQUESTING_ROLES
    )


def _may_record_at_counter(user: Any, request: Any) -> bool:
    return isinstance(request, PaymentRequest) and _is_clerk_of(user, _organisations_of(request))


def _may_cancel(user: Any, request: Any) -> bool:
    if not isinstance(request, PaymentRequest):
        return False
    organisations = _organisations_of(request)
    return _is_clerk_of(user, organisations) or bool(_roles_over(user, organisations) & MANAGING_ROLES)


def _may_refund(user: Any, request: Any) -> bool:
    return isinstance(request, PaymentRequest) and bool(
        user_roles_in_subtree_of(user=user, organisation=request.organisation) & MANAGING_ROLES
    )


def _manages_organisation(user: Any, organisation: Any) -> bool:
    return isinstance(organisation, Organisation) and bool(
        user_roles_in_subtree_of(user=user, organisation=organisation) & MANAGING_ROLES
    )


def _administers_organisation(user: Any, organisation: Any) -> bool:
    return isinstance(organisation, Organisation) and Role.AGENCY_ADMIN in user_roles_in_subtree_of(
        user=user, organisation=organisation
    )


def _is_any_clerk(user: Any, obj: Any = None) -> bool:
    return user_has_role(user=user, role=Role.ONE_STOP_CLERK)


rule_register("payments.view_request", _may_view)
rule_register("payments.view_request", _auditor)
rule_register("payments.pay", _may_pay)
rule_register("payments.create_request", _may_request)
rule_register("payments.record_at_counter", _may_record_at_counter)
rule_register("payments.cancel_request", _may_cancel)
rule_register("payments.refund", _may_refund)
rule_register("payments.view_reconciliation", _manages_organisation)
rule_register("payments.view_reconciliation", _auditor)
rule_register("payments.run_reconciliation", _manages_organisation)
rule_register("payments.manage_accounts", _administers_organisation)
rule_register("payments.view_counter_queue", _is_any_clerk)
for _action in (
    "payments.view_request",
    "payments.create_request",
    "payments.record_at_counter",
    "payments.cancel_request",
    "payments.refund",
    "payments.view_reconciliation",
    "payments.run_reconciliation",
    "payments.manage_accounts",
    "payments.view_counter_queue",
):
    rule_register(_action, _platform_admin)
