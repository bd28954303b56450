"""Accounts API: the signed-in user, and API clients of other agencies' systems (platform administrators)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Router
from ninja.responses import Status

from motcua.accounts import selectors, services
from motcua.accounts.schemas import ApiClientIn, ApiClientOut, ApiClientSecretOut, MeOut
from motcua.agencies.selectors import position_active_list

router = Router(tags=["accounts"])


@router.get("/me", response=MeOut, summary="The signed-in user")
def me(request: HttpRequest) -> Any:
    user = selectors.user_me(user=request.auth)  # type: ignore[attr-defined]
    return {
        **{field: getattr(user, field) for field in MeOut.model_fields if hasattr(user, field)},
        "second_factor_enabled": services.user_has_second_factor(user=user),
        "roles": sorted({position.role for position in position_active_list(user=user)}),
    }


@router.get("/api-clients", response=list[ApiClientOut], summary="List API clients (platform administrators)")
def api_client_list(request: HttpRequest) -> Any:
    return selectors.api_client_list(user=request.auth)  # type: ignore[attr-defined]


@router.post(
    "/api-clients",
    response={201: ApiClientSecretOut},
    summary="Register an API client; the secret is shown only in this response",
)
def api_client_create(request: HttpRequest, payload: ApiClientIn, response: HttpResponse) -> Any:
    response["Cache-Control"] = "no-store"
    client, secret = services.api_client_create(
        actor=request.auth,  # type: ignore[attr-defined]
        name=payload.name,
        scopes=payload.scopes,
        organisation_code=payload.organisation_code,
    )
    return Status(201, {"client": client, "secret": secret, "token": f"{client.client_id}.{secret}"})


@router.post(
    "/api-clients/{client_id}/rotate",
    response=ApiClientSecretOut,
    summary="New secret for an API client; the previous one works for the grace period",
)
def api_client_rotate(request: HttpRequest, client_id: str, response: HttpResponse) -> Any:
    response["Cache-Control"] = "no-store"
    secret = services.api_client_rotate(actor=request.auth, client_id=client_id)  # type: ignore[attr-defined]
    client = selectors.api_client_get(user=request.auth, client_id=client_id)  # type: ignore[attr-defined]
    return {"client": client, "secret": secret, "token": f"{client.client_id}.{secret}"}


@router.post("/api-clients/{client_id}/deactivate", response=ApiClientOut, summary="Deactivate an API client")
def api_client_deactivate(request: HttpRequest, client_id: str) -> Any:
    return services.api_client_deactivate(actor=request.auth, client_id=client_id)  # type: ignore[attr-defined]
