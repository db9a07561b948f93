"""Logging in."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request

from billtrack.domain.model.errors import AuthenticationFailed
from billtrack.entrypoints.http.dependencies import StandaloneAppDep, body_schema, json_body
from billtrack.entrypoints.http.inputs import LoginBody
from billtrack.entrypoints.http.problems import Throttled
from billtrack.entrypoints.http.responses import ContractJSONResponse, answer
from billtrack.entrypoints.http.schemas import problem_responses
from billtrack.entrypoints.wire.answers import LoginAnswer

router = APIRouter(tags=["Authentication"], responses=problem_responses(400, 401, 429, 503))


@router.post(
    "/login",
    response_model=LoginAnswer,
    summary="Exchange an e-mail and password for a bearer token",
    openapi_extra=body_schema(LoginBody),
)
def login(
    request: Request,
    app: StandaloneAppDep,
    body: Annotated[LoginBody, Depends(json_body(LoginBody))],
) -> ContractJSONResponse:
    throttle = request.app.state.login_throttle
    address = request.client.host if request.client else "unknown"
    wait = throttle.retry_after(body.username, address)
    if wait:
        raise Throttled(wait)
    try:
        token = app.log_in(body.username, body.password)
    except AuthenticationFailed:
        throttle.failed(body.username, address)
        raise
    throttle.succeeded(body.username)
    return answer(LoginAnswer(jwt_token=token))
