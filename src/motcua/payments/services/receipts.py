"""Electronic receipts (biên lai thu phí, lệ phí điện tử): numbered at settlement, rendered when first asked for."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from motcua.payments.models import PaymentRequest, Receipt, ReceiptCounter
from motcua.signatures.registry import issued_document_file_set, issued_document_register

RECEIPT_TITLE = "Biên lai thu phí, lệ phí"


def receipt_series(at: dt.datetime) -> str:
    """``MC/26E``: the deployment's prefix, the two-digit year of issue, E for an electronic receipt."""
    return f"{settings.PAYMENT_RECEIPT_SERIES_PREFIX}/{timezone.localtime(at):%y}E"


def receipt_issue(*, request: PaymentRequest, at: dt.datetime, actor: Any) -> Receipt:
    """Number the receipt of a request just paid (its row is locked by the caller) and register it as an issued
    document, so that its short code and QR code can be printed on it. Runs before the caller's audit events
    (the counter row is locked before the audit chain's head, in every payment path)."""
    series = receipt_series(at)
    try:
        with transaction.atomic():
            ReceiptCounter.objects.get_or_create(organisation=request.organisation, series=series)
    except IntegrityError:  # another transaction created it at the same moment
        pass
    counter = ReceiptCounter.objects.select_for_update().get(organisation=request.organisation, series=series)
    counter.last_number += 1
    counter.save(update_fields=["last_number"])
    document = issued_document_register(
        title=RECEIPT_TITLE,
        number=f"{series} {counter.last_number:07d}",
        reference=request.code,
        organisation_code=request.organisation.code or "",
        organisation_name=request.organisation.name,
        issued_at=at,
        actor=actor,
    )
    return Receipt.objects.create(
        request=request,
        organisation=request.organisation,
        series=series,
        number=counter.last_number,
        issued_at=at,
        amount=request.amount,
        issued_document=document,
    )


def receipt_pdf(*, receipt: Receipt) -> bytes:
    """The receipt's PDF: the registered copy if there is one, else rendered now and registered.

    Callers check that the reader may see the request (selectors). The rendering is deterministic (same data,
    same bytes), so two first readers at once store the same file.
    """
    from motcua.payments.receipt_document import receipt_render

    receipt = Receipt.objects.select_related(
        "request", "request__settled_transaction", "organisation", "issued_document"
    ).get(pk=receipt.pk)
    document = receipt.issued_document
    if document is not None and document.file:
        with document.file.open("rb") as stream:
            return stream.read()
    data = receipt_render(receipt=receipt)
    if document is not None:
        issued_document_file_set(document=document, data=data)
    return data
