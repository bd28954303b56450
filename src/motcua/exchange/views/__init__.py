"""HTML pages of the document exchange for officials (Vietnamese by default, usable without JavaScript)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path

from motcua.exchange import selectors
from motcua.exchange.views import books, incoming, outgoing
from motcua.exchange.views.common import STYLESHEETS, file_download, officials_only


@officials_only
def home(request: HttpRequest) -> HttpResponse:
    """What waits for the official: documents to register, assigned, due soon; drafts to review, sign, send."""
    waiting = selectors.outgoing_waiting_for(user=request.user)
    return render(
        request,
        "exchange/home.html",
        {
            "incoming": selectors.incoming_counts(user=request.user),
            "outgoing": {key: value.count() for key, value in waiting.items()},
            "may_draft": bool(selectors.drafting_organisations(user=request.user)),
            "keeps_books": selectors.book_list(user=request.user).exists()
            or bool(selectors.organisations_with(user=request.user, roles=books.BOOK_KEEPER_ROLES)),
            "stylesheets": STYLESHEETS,
        },
    )


urlpatterns = [
    path("", home, name="home"),
    path("outgoing/", outgoing.outgoing_list, name="outgoing"),
    path("outgoing/new/", outgoing.outgoing_new, name="outgoing_new"),
    path("outgoing/<uuid:document_id>/", outgoing.outgoing_detail, name="outgoing_detail"),
    path("outgoing/<uuid:document_id>/edit/", outgoing.outgoing_edit, name="outgoing_edit"),
    path("outgoing/<uuid:document_id>/actions/<str:action>/", outgoing.outgoing_action, name="outgoing_action"),
    path("incoming/", incoming.incoming_list, name="incoming"),
    path("incoming/<uuid:document_id>/", incoming.incoming_detail, name="incoming_detail"),
    path("incoming/<uuid:document_id>/actions/<str:action>/", incoming.incoming_action, name="incoming_action"),
    path("books/", books.book_list, name="books"),
    path("books/<uuid:book_id>/", books.book_detail, name="book_detail"),
    path("files/<uuid:file_id>/", file_download, name="file"),
]
