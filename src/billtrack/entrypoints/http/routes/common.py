"""What every resource's routes share."""

from __future__ import annotations

from uuid import UUID

from billtrack.domain.model.errors import ValidationFailed
from billtrack.entrypoints.http.inputs import PutBody
from billtrack.entrypoints.http.responses import ContractJSONResponse, answer
from billtrack.entrypoints.http.schemas import Answer

SORT_HELP = "asc or desc (any case); any other value sorts ascending."


def check_put_id(path_id: UUID, body: PutBody) -> None:
    """A PUT body may carry the id (the original front end always sends it); it must match."""
    if body.id is not None and body.id != path_id:
        raise ValidationFailed.single("id", "must equal the id in the path")


def created(resource: str, item_id: UUID, body: Answer) -> ContractJSONResponse:
    """The original answers a creation with 200 and the new resource; billtrack adds Location."""
    return answer(body, headers={"Location": f"/api/{resource}/{item_id}"})
