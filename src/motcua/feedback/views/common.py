"""Helpers shared by the public and the officials' pages."""

from __future__ import annotations

from django.http import FileResponse

from motcua.feedback.models import FeedbackAttachment


def file_response(item: FeedbackAttachment) -> FileResponse:
    """An attachment as a download, never rendered inline (its type was checked, the browser must not guess)."""
    response = FileResponse(
        item.file.open("rb"), as_attachment=True, filename=item.name, content_type=item.content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
