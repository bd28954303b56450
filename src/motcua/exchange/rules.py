"""Who may do what with official documents (deny by default; see core.permissions).

Roles, held through positions in the document's organisation (docs/exchange.md, "Who does what"):

- specialists (chuyên viên), unit heads and agency leaders draft outgoing documents; a draft is its drafter's
  to edit and submit;
- unit heads (trưởng phòng; of the drafting unit when the draft names one) and leaders review drafts;
- agency leaders (lãnh đạo) approve and sign with their personal key; when a draft names who signs, only them;
- the document clerk (văn thư) numbers and registers outgoing documents, sends them with the agency seal,
  recalls and updates them; registers or rejects incoming ones, records the leader's assignment, and accepts or
  rejects a sender's recall or update; keeps and exports the books;
- agency leaders and clerks assign incoming documents to a unit and an official; unit heads reassign within
  their unit; the assigned official (or the head of the assigned unit) processes and finishes them;
- platform administrators run the outbox and the node directory.

Who may see a document: its drafter, and the unit heads, leaders and clerks of its organisation (an outgoing
document once registered is the agency's, so every official of it with an exchange role sees it); an
incoming one: the clerks and leaders of the receiving organisation, the head of the assigned unit and the
assigned official.
"""

from __future__ import annotations

from typing import Any

from motcua.agencies.models import Position, Role
from motcua.agencies.selectors import position_active_list, user_is_platform_admin
from motcua.core.permissions import rule_register
from motcua.exchange.models import IncomingDocument, OutgoingDocument

DRAFTER_ROLES = frozenset({Role.SPECIALIST, Role.UNIT_HEAD, Role.AGENCY_LEADER})
REVIEWER_ROLES = frozenset({Role.UNIT_HEAD, Role.AGENCY_LEADER})
SIGNER_ROLES = frozenset({Role.AGENCY_LEADER})
CLERK_ROLES = frozenset({Role.DOCUMENT_CLERK})
ASSIGNER_ROLES = frozenset({Role.AGENCY_LEADER, Role.DOCUMENT_CLERK})
BOOK_KEEPER_ROLES = frozenset({Role.DOCUMENT_CLERK, Role.AGENCY_LEADER})
EXCHANGE_ROLES = frozenset({Role.SPECIALIST, Role.UNIT_HEAD, Role.AGENCY_LEADER, Role.DOCUMENT_CLERK})


def positions_in(user: Any, organisation_id: Any, roles: frozenset[str] | set[str]) -> list[Position]:
    """The user's active positions in the organisation with one of the roles."""
    if organisation_id is None:
        return []
    return [p for p in position_active_list(user=user) if p.organisation_id == organisation_id and p.role in roles]


def has_role_in(user: Any, organisation_id: Any, roles: frozenset[str] | set[str]) -> bool:
    return bool(positions_in(user, organisation_id, roles))


def _same_user(user: Any, user_id: Any) -> bool:
    return user_id is not None and getattr(user, "pk", None) == user_id


# --- outgoing ------------------------------------------------------------------------------------------------


def may_draft(user: Any, organisation: Any) -> bool:
    return organisation is not None and has_role_in(user, organisation.pk, DRAFTER_ROLES)


def may_view_outgoing(user: Any, document: OutgoingDocument) -> bool:
    if _same_user(user, document.drafted_by_id):
        return True
    roles = REVIEWER_ROLES | CLERK_ROLES
    if document.number is not None:  # issued: the agency's document
        roles = EXCHANGE_ROLES
    return has_role_in(user, document.organisation_id, roles)


def may_edit_draft(user: Any, document: OutgoingDocument) -> bool:
    return _same_user(user, document.drafted_by_id) and has_role_in(user, document.organisation_id, DRAFTER_ROLES)


def may_review(user: Any, document: OutgoingDocument) -> bool:
    if has_role_in(user, document.organisation_id, SIGNER_ROLES):
        return True
    heads = positions_in(user, document.organisation_id, {Role.UNIT_HEAD})
    if document.drafting_unit_id is None:
        return bool(heads)
    return any(p.unit_id == document.drafting_unit_id for p in heads)


def may_sign(user: Any, document: OutgoingDocument) -> bool:
    if document.intended_signer_id is not None and not _same_user(user, document.intended_signer_id):
        return False
    return has_role_in(user, document.organisation_id, SIGNER_ROLES)


def may_return(user: Any, document: OutgoingDocument) -> bool:
    if document.status == OutgoingDocument.Status.AWAITING_SIGNATURE:
        return may_sign(user, document)
    return may_review(user, document)


def is_clerk_of(user: Any, document: OutgoingDocument | IncomingDocument) -> bool:
    return has_role_in(user, document.organisation_id, CLERK_ROLES)


# --- incoming ------------------------------------------------------------------------------------------------


def may_view_incoming(user: Any, document: IncomingDocument) -> bool:
    if has_role_in(user, document.organisation_id, ASSIGNER_ROLES):
        return True
    if document.status in (IncomingDocument.Status.ARRIVED, IncomingDocument.Status.REJECTED):
        return False
    if _same_user(user, document.assigned_to_id):
        return True
    return document.assigned_unit_id is not None and any(
        p.unit_id == document.assigned_unit_id for p in positions_in(user, document.organisation_id, {Role.UNIT_HEAD})
    )


def may_assign(user: Any, document: IncomingDocument) -> bool:
    if has_role_in(user, document.organisation_id, ASSIGNER_ROLES):
        return True
    # A unit head hands a document given to their unit to one of its officials.
    return (
        document.status == IncomingDocument.Status.ASSIGNED
        and document.assigned_unit_id is not None
        and any(
            p.unit_id == document.assigned_unit_id
            for p in positions_in(user, document.organisation_id, {Role.UNIT_HEAD})
        )
    )


def may_process(user: Any, document: IncomingDocument) -> bool:
    if document.assigned_to_id is not None and _same_user(user, document.assigned_to_id):
        return True
    if document.assigned_unit_id is not None and any(
        p.unit_id == document.assigned_unit_id for p in positions_in(user, document.organisation_id, {Role.UNIT_HEAD})
    ):
        return True
    return has_role_in(user, document.organisation_id, SIGNER_ROLES)


def may_keep_books(user: Any, organisation: Any) -> bool:
    return organisation is not None and has_role_in(user, organisation.pk, BOOK_KEEPER_ROLES)


def may_run_delivery(user: Any, obj: Any = None) -> bool:
    return user_is_platform_admin(user=user)


rule_register("exchange.draft", may_draft)
rule_register("exchange.view_outgoing", may_view_outgoing)
rule_register("exchange.edit_draft", may_edit_draft)
rule_register("exchange.submit", may_edit_draft)
rule_register("exchange.cancel", may_edit_draft)
rule_register("exchange.review", may_review)
rule_register("exchange.return", may_return)
rule_register("exchange.sign", may_sign)
rule_register("exchange.register_outgoing", is_clerk_of)
rule_register("exchange.send", is_clerk_of)
rule_register("exchange.recall", is_clerk_of)
rule_register("exchange.view_incoming", may_view_incoming)
rule_register("exchange.register_incoming", is_clerk_of)
rule_register("exchange.reject_incoming", is_clerk_of)
rule_register("exchange.assign", may_assign)
rule_register("exchange.process", may_process)
rule_register("exchange.decide_change", is_clerk_of)
rule_register("exchange.keep_books", may_keep_books)
rule_register("exchange.run_delivery", may_run_delivery)
rule_register("exchange.manage_directory", may_run_delivery)
