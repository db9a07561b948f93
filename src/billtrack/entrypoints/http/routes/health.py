"""Liveness and readiness."""

from __future__ import annotations

import logging

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool

from billtrack.entrypoints.http.dependencies import ServicesDep
from billtrack.entrypoints.http.responses import ContractJSONResponse, answer
from billtrack.entrypoints.http.schemas import Health

router = APIRouter(prefix="/health", tags=["Health"])
log = logging.getLogger(__name__)


@router.get("/live", response_model=Health, summary="The process answers")
def live() -> ContractJSONResponse:
    return answer(Health(status="ok"))


@router.get(
    "/ready",
    response_model=Health,
    summary="The database, queue and storage answer (503 when one does not)",
    responses={503: {"model": Health}},
)
async def ready(running: ServicesDep) -> ContractJSONResponse:
    checks: dict[str, str] = {}
    for name, probe in running.probes.items():
        try:
            await run_in_threadpool(probe)
            checks[name] = "ok"
        except Exception as error:
            log.warning("readiness probe %s failed: %s", name, error)
            checks[name] = "unavailable"
    healthy = all(state == "ok" for state in checks.values())
    return answer(
        Health(status="ok" if healthy else "unavailable", checks=checks),
        status_code=200 if healthy else 503,
        headers=None if healthy else {"Retry-After": "5"},
    )
