"""Downloads of PDFs kept in the local folder storage, through the URLs it signed. Mounted only
when the storage's links are served by billtrack itself."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from billtrack.domain.model.errors import NotFound
from billtrack.entrypoints.http.dependencies import AppDep
from billtrack.entrypoints.http.problems import problem
from billtrack.entrypoints.http.schemas import problem_responses
from billtrack.ports.errors import ObjectMissing

router = APIRouter(tags=["Downloads"])


@router.get(
    "/files/{key:path}",
    response_class=Response,
    summary="A stored PDF, for a download URL from /api/invoices/{id}/pre-signed-url",
    responses={200: {"content": {"application/pdf": {}}}, **problem_responses(400, 403, 404, 503)},
)
def download(
    key: str,
    app: AppDep,
    expires: Annotated[int, Query(description="When the link expires, in seconds since 1970.")],
    # An empty value is no value (`ContractQueryString`): the signature is at least one character.
    signature: Annotated[str, Query(min_length=1)],
) -> Response:
    try:
        data = app.open_download(key, expires, signature)
    except PermissionError:
        return problem(403, "the download link has expired or is not valid")
    except (ObjectMissing, ValueError):
        raise NotFound("file", key) from None
    filename = key.rsplit("/", 1)[-1]
    return Response(
        data,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "private, max-age=0, no-store",
        },
    )
