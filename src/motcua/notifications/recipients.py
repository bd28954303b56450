"""Who a notification is for: an account, or the addresses of someone without one."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings


@dataclass(frozen=True)
class Recipient:
    """Someone to tell: an account (its e-mail, phone and language by default), or addresses of someone
    without one (a dossier's contact, an agency mailbox). Explicit addresses win over the account's."""

    user: Any = None  # accounts.User
    email: str = ""
    phone: str = ""
    language: str = ""  # default: the account's preferred language, else Vietnamese
    name: str = ""


@dataclass(frozen=True)
class ResolvedRecipient:
    """A recipient with every default filled in, as channels and templates see it."""

    user: Any
    email: str
    phone: str
    language: str
    name: str
    key: str  # "user:<id>", or "contact:<e-mail>|<phone>" for someone without an account

    def template_context(self) -> dict[str, str]:
        """What templates may show of the recipient (never the account object itself)."""
        return {"name": self.name, "language": self.language}


def _language(value: str) -> str:
    supported = {code for code, _name in settings.LANGUAGES}
    code = (value or "").strip().lower()
    if code in supported:
        return code
    base = code.split("-")[0]
    return base if base in supported else settings.LANGUAGE_CODE


def recipient_resolve(recipient: Any) -> ResolvedRecipient:
    """Fill a Recipient's defaults from its account; a User may be given instead of a Recipient."""
    if not isinstance(recipient, Recipient):
        recipient = Recipient(user=recipient)
    user = recipient.user
    email = (recipient.email or (getattr(user, "email", "") if user is not None else "") or "").strip()
    phone = (recipient.phone or (getattr(user, "phone", "") if user is not None else "") or "").strip()
    language = _language(recipient.language or (getattr(user, "preferred_language", "") if user is not None else ""))
    name = recipient.name or (str(getattr(user, "display_name", "") or user) if user is not None else "")
    if user is not None:
        key = f"user:{user.pk}"
    elif email or phone:
        key = f"contact:{email.lower()}|{phone}"
    else:
        raise ValueError("a recipient needs an account, an e-mail address or a phone number")
    return ResolvedRecipient(user=user, email=email, phone=phone, language=language, name=name[:200], key=key[:300])
