"""Document books (sổ đăng ký văn bản đi / đến) and their yearly counters."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from motcua.core.models import BaseModel


class DocumentBook(BaseModel):
    """A register of outgoing or incoming documents kept by an agency's document clerk (Decree 30/2020,
    Articles 16 and 22). Each agency has a default book per direction and may open others (legal normative
    documents, a book per document type...). Numbers run per book and restart at 1 on 1 January."""

    class Direction(models.TextChoices):
        OUTGOING = "outgoing", _("Outgoing documents")
        INCOMING = "incoming", _("Incoming documents")

    organisation = models.ForeignKey(
        "agencies.Organisation", verbose_name=_("organisation"), on_delete=models.PROTECT, related_name="+"
    )
    direction = models.CharField(_("direction"), max_length=10, choices=Direction.choices)
    code = models.CharField(_("code"), max_length=20)
    name = models.CharField(_("name"), max_length=200)
    is_default = models.BooleanField(_("default book"), default=False)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["organisation__name", "direction", "-is_default", "name"]
        verbose_name = _("document book")
        verbose_name_plural = _("document books")
        constraints = [
            models.UniqueConstraint(fields=["organisation", "direction", "code"], name="exchange_book_code_unique"),
            models.UniqueConstraint(
                fields=["organisation", "direction"], condition=Q(is_default=True), name="exchange_book_one_default"
            ),
            models.CheckConstraint(condition=Q(direction__in=["outgoing", "incoming"]), name="exchange_book_direction"),
        ]

    def __str__(self) -> str:
        return self.name


class BookCounter(models.Model):
    """The last number given in a book in a year (Asia/Ho_Chi_Minh year). Locked while numbering, so two
    clerks never get the same number."""

    book = models.ForeignKey(DocumentBook, verbose_name=_("book"), on_delete=models.PROTECT, related_name="counters")
    year = models.PositiveSmallIntegerField(_("year"))
    last_number = models.PositiveIntegerField(_("last number"), default=0)

    class Meta:
        verbose_name = _("book counter")
        verbose_name_plural = _("book counters")
        constraints = [models.UniqueConstraint(fields=["book", "year"], name="exchange_counter_once_per_year")]

    def __str__(self) -> str:
        return f"{self.book_id} {self.year}: {self.last_number}"
