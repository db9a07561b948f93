"""Liveness and readiness."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool

from billtrack.entrypoints.http.dependencies import StandaloneAppDep
from billtrack.entrypoints.http.responses import ContractJSONResponse, answer
from billtrack.entrypoints.wire.answers import Health

router = APIRouter(prefix="/health", tags=["Health"])


@router.get("/live", response_model=Health, summary="The process answers")
def live() -> ContractJSONResponse:
    return answer(Health(status="ok"))


@router.get(
    "/ready",
    response_model=Health,
    summary="The database, queue and storage answer (503 when one does not)",
    responses={503: {"model": Health}},
)
async def ready(app: StandaloneAppDep) -> ContractJSONResponse:
    readiness = await run_in_threadpool(app.readiness)
    checks = {name: "ok" if up else "unavailable" for name, up in readiness.items()}
    healthy = all(state == "ok" for state in checks.values())
    return answer(
        Health(status="ok" if healthy else "unavailable", checks=checks),
        status_code=200 if healthy else 503,
        headers=None if healthy else {"Retry-After": "5"},
    )
