"""Models of the document exchange: official documents and their books, delivery between agencies and nodes."""

from motcua.exchange.models.books import BookCounter, DocumentBook
from motcua.exchange.models.delivery import InboundMessage, OutboxMessage, RequestNonce
from motcua.exchange.models.directory import DirectoryEntry, DirectoryMember, DirectoryVersion, Node
from motcua.exchange.models.documents import (
    ChangeRequest,
    DocumentEvent,
    DocumentFile,
    IncomingDocument,
    OutgoingDocument,
    Recipient,
    RecipientStatus,
)

__all__ = [
    "BookCounter",
    "ChangeRequest",
    "DirectoryEntry",
    "DirectoryMember",
    "DirectoryVersion",
    "DocumentBook",
    "DocumentEvent",
    "DocumentFile",
    "InboundMessage",
    "IncomingDocument",
    "Node",
    "OutboxMessage",
    "OutgoingDocument",
    "Recipient",
    "RecipientStatus",
    "RequestNonce",
]
