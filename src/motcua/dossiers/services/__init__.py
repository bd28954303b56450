"""Writes of the one-stop-shop dossiers: one service per transition of ``dossiers.workflow``.

Every function is the one door for its change (rule 1 of DESIGN.md): keyword-only, typed, atomic; it locks
the dossier, checks the state and the actor's right, writes the new state, a history line and an audit
event in the same transaction, and tells ``dossiers.events`` subscribers after commit. Every service
takes an optional ``at`` (aware datetime) so tests and imports can state "now".

Modules: ``submission`` (online, counter), ``processing`` (receipt, steps, supplements, payments,
opinions, delays, ends), ``results`` (approval, result document, return), ``files`` (uploads),
``form_data`` (form validation), ``ratings`` (the applicant's satisfaction rating), ``fees`` (the dossier's
bills in the payments app), ``payments`` (paying them online or at the counter, and their settlement).
"""

from motcua.dossiers.services.files import FileRef, dossier_file_upload
from motcua.dossiers.services.payments import (
    dossier_payment_record_at_counter,
    dossier_payment_settled,
    dossier_payment_start,
    dossier_payment_start_with_secret,
)
from motcua.dossiers.services.processing import (
    dossier_accept,
    dossier_announce_delay,
    dossier_answer_opinion,
    dossier_claim,
    dossier_forward,
    dossier_record_fees,
    dossier_record_payment,
    dossier_refuse,
    dossier_refuse_receipt,
    dossier_request_opinion,
    dossier_request_payment,
    dossier_request_supplement,
    dossier_return_to_step,
    dossier_stop,
    dossier_supply,
    dossier_withdraw,
)
from motcua.dossiers.services.ratings import dossier_rate, dossier_rate_with_secret
from motcua.dossiers.services.result_signing import (
    dossier_approve_and_sign,
    dossier_result_seal,
    dossier_result_sign,
)
from motcua.dossiers.services.results import dossier_approve, dossier_result_file_attach, dossier_return_result
from motcua.dossiers.services.submission import dossier_receive_at_counter, dossier_submit_online

__all__ = [
    "FileRef",
    "dossier_accept",
    "dossier_announce_delay",
    "dossier_answer_opinion",
    "dossier_approve",
    "dossier_approve_and_sign",
    "dossier_claim",
    "dossier_file_upload",
    "dossier_forward",
    "dossier_payment_record_at_counter",
    "dossier_payment_settled",
    "dossier_payment_start",
    "dossier_payment_start_with_secret",
    "dossier_rate",
    "dossier_rate_with_secret",
    "dossier_receive_at_counter",
    "dossier_record_fees",
    "dossier_record_payment",
    "dossier_refuse",
    "dossier_refuse_receipt",
    "dossier_request_opinion",
    "dossier_request_payment",
    "dossier_request_supplement",
    "dossier_result_file_attach",
    "dossier_result_seal",
    "dossier_result_sign",
    "dossier_return_result",
    "dossier_return_to_step",
    "dossier_stop",
    "dossier_submit_online",
    "dossier_supply",
    "dossier_withdraw",
]
