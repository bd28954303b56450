"""The node directory: which node (deployment) serves which organisation code, at which URL, with which
certificate. Every node keeps the latest signed version it accepted (``Node``, ``DirectoryEntry``); the
directory authority (the national axis or a hub) also keeps the members it publishes (``DirectoryMember``)."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class DeliveryMode(models.TextChoices):
    PUSH = "push", _("Push (receives HTTPS requests)")
    PULL = "pull", _("Pull (fetches its messages from its hub)")


class NodeFields(models.Model):
    node_id = models.CharField(_("node id"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=200)
    url = models.URLField(_("URL"), max_length=300)
    certificate_pem = models.TextField(_("node certificate (PEM)"))
    certificate_sha256 = models.CharField(_("certificate SHA-256"), max_length=64)
    is_hub = models.BooleanField(_("hub"), default=False, help_text=_("Relays messages between other nodes."))
    mode = models.CharField(_("delivery mode"), max_length=4, choices=DeliveryMode.choices, default=DeliveryMode.PUSH)
    via = models.CharField(
        _("via hub"), max_length=64, blank=True, help_text=_("The hub this node sends through and pulls from.")
    )

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self.name} ({self.node_id})"


class Node(NodeFields):
    """A node of the directory this node accepted last."""

    class Meta:
        ordering = ["node_id"]
        verbose_name = _("node")
        verbose_name_plural = _("nodes")
        constraints = [
            models.CheckConstraint(condition=Q(mode="push") | ~Q(via=""), name="exchange_node_pull_has_hub"),
        ]


class DirectoryEntry(models.Model):
    """An organisation code and the node that serves it."""

    organisation_code = models.CharField(_("organisation code"), max_length=35, unique=True)
    organisation_name = models.CharField(_("organisation"), max_length=200)
    node = models.ForeignKey(Node, verbose_name=_("node"), on_delete=models.CASCADE, related_name="entries")
    # Folded name and code, for searching recipients with or without diacritics.
    search_key = models.CharField(max_length=300, blank=True, default="", editable=False)

    class Meta:
        ordering = ["organisation_code"]
        verbose_name = _("directory entry")
        verbose_name_plural = _("directory entries")

    def __str__(self) -> str:
        return f"{self.organisation_code} → {self.node.node_id}"


class DirectoryVersion(models.Model):
    """A signed directory this node accepted (or, on the authority, published), kept as it was signed."""

    version = models.PositiveIntegerField(_("version"), unique=True)
    issued_at = models.DateTimeField(_("issued at"))
    authority = models.CharField(_("signed by node"), max_length=64)
    signed = models.BinaryField(_("signed directory"), editable=False)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    applied_at = models.DateTimeField(_("applied at"), auto_now_add=True)

    class Meta:
        ordering = ["-version"]
        verbose_name = _("directory version")
        verbose_name_plural = _("directory versions")

    def __str__(self) -> str:
        return f"v{self.version} ({self.authority})"


class DirectoryMember(NodeFields):
    """A node the directory authority publishes: registered by its operator, with the organisation codes the
    node declared in its signed identity."""

    organisations = models.JSONField(_("organisations served"), default=list, blank=True)
    identity_checked_at = models.DateTimeField(_("identity checked at"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["node_id"]
        verbose_name = _("directory member")
        verbose_name_plural = _("directory members")
        constraints = [
            models.CheckConstraint(condition=Q(mode="push") | ~Q(via=""), name="exchange_member_pull_has_hub"),
        ]
