"""Transports to the national portal, as plugins (DESIGN rule 4): a registry and a base class.

``http`` posts the records as JSON to the configured endpoint with a bearer token; ``recording`` keeps them
in memory (embedded run without a portal, and tests that do not need a network peer). Select with the
setting ``NATIONAL_PORTAL_CLIENT``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, ClassVar

import requests
from django.conf import settings

from motcua.dossiers.national_portal.payloads import DossierSync, ProgressUpdate


class PortalRejected(Exception):
    """The portal answered but refused the record (error_code ≠ 0): retrying the same record will not help."""

    def __init__(self, error_code: Any, message: str) -> None:
        super().__init__(f"{error_code}: {message}")
        self.error_code = error_code


class PortalUnavailable(Exception):
    """The portal did not answer properly (network, timeout, 5xx): retry later."""


class NationalPortalClient:
    name: ClassVar[str] = ""

    def dossier_sync(self, record: DossierSync) -> None:
        raise NotImplementedError

    def progress_update(self, record: ProgressUpdate) -> None:
        raise NotImplementedError


_registry: dict[str, type[NationalPortalClient]] = {}


def client_register(client_class: type[NationalPortalClient]) -> type[NationalPortalClient]:
    _registry[client_class.name] = client_class
    return client_class


def client_get(name: str | None = None) -> NationalPortalClient:
    chosen = str(name or getattr(settings, "NATIONAL_PORTAL_CLIENT", "recording"))
    try:
        return _registry[chosen]()
    except KeyError as error:
        raise LookupError(f"no national portal client named {chosen!r}") from error


@client_register
class HttpPortalClient(NationalPortalClient):
    """POST ``{base}/DongBoHoSoMC`` and ``{base}/CapNhatTienDoHoSoMC`` with JSON bodies."""

    name = "http"

    def __init__(self) -> None:
        self.base_url = str(getattr(settings, "NATIONAL_PORTAL_URL", "")).rstrip("/")
        self.token = str(getattr(settings, "NATIONAL_PORTAL_TOKEN", ""))
        self.timeout = float(getattr(settings, "NATIONAL_PORTAL_TIMEOUT_SECONDS", 10))
        if not self.base_url:
            raise LookupError("MOTCUA_NATIONAL_PORTAL_URL is not set")

    def _post(self, service: str, body: dict[str, Any]) -> None:
        try:
            response = requests.post(
                f"{self.base_url}/{service}",
                data=json.dumps(body, ensure_ascii=False).encode("utf-8"),
                headers={"Content-Type": "application/json; charset=utf-8", "Authorization": f"Bearer {self.token}"},
                timeout=self.timeout,
            )
        except requests.RequestException as error:
            raise PortalUnavailable(str(error)) from error
        if response.status_code >= 500 or response.status_code in (408, 429):
            raise PortalUnavailable(f"HTTP {response.status_code}")
        try:
            answer = response.json()
        except ValueError as error:
            raise PortalUnavailable(f"HTTP {response.status_code}: not JSON") from error
        if str(answer.get("error_code")) != "0":
            raise PortalRejected(answer.get("error_code"), str(answer.get("message", "")))

    def dossier_sync(self, record: DossierSync) -> None:
        self._post("DongBoHoSoMC", {"data": [record.model_dump()]})

    def progress_update(self, record: ProgressUpdate) -> None:
        self._post("CapNhatTienDoHoSoMC", {"data": [record.model_dump()]})


@dataclass
class _Recorded:
    dossiers: list[DossierSync] = field(default_factory=list)
    progress: list[ProgressUpdate] = field(default_factory=list)


RECORDED = _Recorded()


@client_register
class RecordingPortalClient(NationalPortalClient):
    """Keeps what would be sent, for the embedded run without a portal connection."""

    name = "recording"

    def dossier_sync(self, record: DossierSync) -> None:
        RECORDED.dossiers.append(record)

    def progress_update(self, record: ProgressUpdate) -> None:
        RECORDED.progress.append(record)
