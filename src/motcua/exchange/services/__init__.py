"""Every write of the exchange app (rule 1 of DESIGN.md): one door for the pages, the API, the admin, the
commands and the other nodes.

- ``drafting``: outgoing drafts, review, approval and the leader's signature;
- ``issuing``: numbering and registration, sending with the agency seal, recall, update;
- ``receiving``: what arrives, registration, rejection, assignment, processing, recall and update decisions;
- ``statuses``: status packages sent back and applied in order; ``answers``: what the next node answered;
- ``books``: document books and numbering; ``files``: checked uploads; ``nodes``: the directory over the network.
"""

from motcua.exchange.services.books import book_create, book_default
from motcua.exchange.services.drafting import (
    outgoing_approve_and_sign,
    outgoing_cancel,
    outgoing_create,
    outgoing_file_add,
    outgoing_file_remove,
    outgoing_return,
    outgoing_review,
    outgoing_submit,
    outgoing_update,
)
from motcua.exchange.services.issuing import outgoing_recall, outgoing_register, outgoing_send, outgoing_update_send
from motcua.exchange.services.receiving import (
    change_request_accept,
    change_request_reject,
    incoming_assign,
    incoming_finish,
    incoming_register,
    incoming_reject,
    incoming_start,
)

__all__ = [
    "book_create",
    "book_default",
    "change_request_accept",
    "change_request_reject",
    "incoming_assign",
    "incoming_finish",
    "incoming_register",
    "incoming_reject",
    "incoming_start",
    "outgoing_approve_and_sign",
    "outgoing_cancel",
    "outgoing_create",
    "outgoing_file_add",
    "outgoing_file_remove",
    "outgoing_recall",
    "outgoing_register",
    "outgoing_return",
    "outgoing_review",
    "outgoing_send",
    "outgoing_submit",
    "outgoing_update",
    "outgoing_update_send",
]
