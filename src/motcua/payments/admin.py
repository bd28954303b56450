"""Admin of payments: everything read-only (money moves only through the services); the actions call them."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from motcua.core.admin_base import ServiceAdmin
from motcua.payments.models import (
    CallbackRejection,
    CollectionAccount,
    GatewayNotification,
    PaymentEvent,
    PaymentLine,
    PaymentRequest,
    Receipt,
    ReconciliationLine,
    ReconciliationReport,
    Refund,
    Transaction,
)
from motcua.payments.services import collection_account_set, payment_refund_execute, payment_status_sync


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False


LINE_INLINE_FIELDS = ("position", "code", "name", "kind", "unit_amount", "quantity", "exempt", "amount")


class LineInline(ReadOnlyInline):
    model = PaymentLine
    fields = LINE_INLINE_FIELDS
    readonly_fields = LINE_INLINE_FIELDS


EVENT_INLINE_FIELDS = ("sequence", "occurred_at", "transaction", "from_status", "to_status", "source", "actor_label")


class EventInline(ReadOnlyInline):
    model = PaymentEvent
    fk_name = "request"
    fields = EVENT_INLINE_FIELDS
    readonly_fields = EVENT_INLINE_FIELDS


class TransactionEventInline(EventInline):
    fk_name = "transaction"


TRANSACTION_INLINE_FIELDS = ("initiator_transaction_id", "gateway", "amount", "status", "flag", "created_at", "paid_at")


class TransactionInline(ReadOnlyInline):
    model = Transaction
    fields = TRANSACTION_INLINE_FIELDS
    readonly_fields = TRANSACTION_INLINE_FIELDS
    show_change_link = True


@admin.register(PaymentRequest)
class PaymentRequestAdmin(ReadOnlyAdmin):
    list_display = ["code", "reference", "organisation", "payer_name", "amount", "status", "paid_via", "created_at"]
    list_filter = ["status", "paid_via", "purpose"]
    search_fields = ["code", "reference", "payer_name", "payer_identifier"]
    list_select_related = ["organisation"]
    date_hierarchy = "created_at"
    exclude = ["pay_token_hash"]
    inlines = [LineInline, TransactionInline, EventInline]


@admin.register(Transaction)
class TransactionAdmin(ReadOnlyAdmin):
    list_display = ["initiator_transaction_id", "gateway", "request", "amount", "status", "flag", "created_at"]
    list_filter = ["status", "gateway", "flag"]
    search_fields = ["initiator_transaction_id", "gateway_transaction_id", "request__code", "request__reference"]
    list_select_related = ["request"]
    date_hierarchy = "created_at"
    exclude = ["idempotency_scope", "idempotency_key", "idempotency_fingerprint"]
    inlines = [TransactionEventInline]
    actions = ["status_query"]

    @admin.action(description=_("Ask the gateway now"))
    def status_query(self, request: Any, queryset: Any) -> None:
        for txn in queryset[:200]:
            payment_status_sync(transaction=txn)
        self.message_user(request, _("The gateway was asked about the selected payments."), level=messages.SUCCESS)


@admin.register(Refund)
class RefundAdmin(ReadOnlyAdmin):
    list_display = ["refund_id", "request", "kind", "via", "amount", "status", "attempts", "created_at"]
    list_filter = ["status", "kind", "via"]
    search_fields = ["refund_id", "request__code"]
    actions = ["retry_now"]

    @admin.action(description=_("Send to the gateway again now"))
    def retry_now(self, request: Any, queryset: Any) -> None:
        for refund in queryset.filter(status=Refund.Status.REQUESTED)[:100]:
            payment_refund_execute(refund_id=refund.pk)
        self.message_user(request, _("The selected refunds were sent again."), level=messages.SUCCESS)


@admin.register(Receipt)
class ReceiptAdmin(ReadOnlyAdmin):
    list_display = ["series", "number", "organisation", "request", "amount", "issued_at"]
    search_fields = ["request__code", "request__reference"]
    list_filter = ["series"]


@admin.register(GatewayNotification)
class GatewayNotificationAdmin(ReadOnlyAdmin):
    list_display = ["gateway", "notification_id", "transaction", "outcome", "received_at"]
    search_fields = ["notification_id", "transaction__initiator_transaction_id"]


@admin.register(CallbackRejection)
class CallbackRejectionAdmin(ReadOnlyAdmin):
    list_display = ["received_at", "gateway", "reason", "notification_id", "client_address", "detail"]
    list_filter = ["reason", "gateway"]
    search_fields = ["notification_id"]


RECONCILIATION_LINE_INLINE_FIELDS = (
    "initiator_transaction_id",
    "reference",
    "motcua_status",
    "gateway_status",
    "motcua_amount",
    "gateway_amount",
    "result",
    "flag",
)


class ReconciliationLineInline(ReadOnlyInline):
    model = ReconciliationLine
    fields = RECONCILIATION_LINE_INLINE_FIELDS
    readonly_fields = RECONCILIATION_LINE_INLINE_FIELDS


@admin.register(ReconciliationReport)
class ReconciliationReportAdmin(ReadOnlyAdmin):
    list_display = ["day", "organisation_code", "gateway", "motcua_total", "gateway_total", "mismatch_count"]
    list_filter = ["gateway"]
    search_fields = ["organisation_code"]
    inlines = [ReconciliationLineInline]


@admin.register(CollectionAccount)
class CollectionAccountAdmin(ServiceAdmin):
    list_display = ["organisation", "account_number", "treasury_code", "treasury_name", "is_active"]
    search_fields = ["organisation__name", "organisation__code", "account_number"]
    autocomplete_fields = ["organisation"]
    fields = ["organisation", "account_number", "account_name", "treasury_code", "treasury_name", "is_active"]

    def get_readonly_fields(self, request: Any, obj: Any = None) -> list[str]:
        return ["organisation"] if obj is not None else []

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False  # close it (not active) instead: bills made with it keep naming it

    def service_save(self, request: Any, obj: Any, form: Any, change: bool) -> Any:
        data = form.cleaned_data
        return collection_account_set(
            actor=request.user,
            organisation=obj.organisation if change else data["organisation"],
            account_number=data["account_number"],
            account_name=data["account_name"],
            treasury_code=data["treasury_code"],
            treasury_name=data["treasury_name"],
            is_active=data["is_active"],
        )
