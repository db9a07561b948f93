"""What every resource's routes share."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Depends

from billtrack.domain.model.errors import ValidationFailed
from billtrack.entrypoints.http.dependencies import current_user
from billtrack.entrypoints.http.inputs import PutBody
from billtrack.entrypoints.http.responses import ContractJSONResponse, answer
from billtrack.entrypoints.http.schemas import problem_responses
from billtrack.entrypoints.wire.answers import Answer

SORT_HELP = "asc or desc (any case); any other value sorts ascending."
SORT_EXAMPLES = ["asc", "desc"]
"""Not an `enum`: the contract sorts ascending by any other value, as the original did."""
NAME_FILTER_HELP = "A case-insensitive substring, in which %, _ and \\ match themselves."


def resource_router(resource: str) -> APIRouter:
    """The routes of one resource: all behind the bearer token, all answering problems alike."""
    return APIRouter(
        prefix=f"/{resource}",
        tags=[resource.capitalize()],
        dependencies=[Depends(current_user)],
        responses=problem_responses(400, 401, 404, 409, 503),
    )


def check_put_id(path_id: UUID, body: PutBody) -> None:
    """A PUT body may carry the id (the original front end always sends it); it must match."""
    if body.id is not None and body.id != path_id:
        raise ValidationFailed.single("id", "must equal the id in the path")


def created(resource: str, item_id: UUID, body: Answer) -> ContractJSONResponse:
    """The original answers a creation with 200 and the new resource; billtrack adds Location."""
    return answer(body, headers={"Location": f"/api/{resource}/{item_id}"})
