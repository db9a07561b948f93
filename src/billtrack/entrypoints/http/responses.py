"""JSON answers written by billtrack's encoder, so Decimals stay exact numbers."""

from __future__ import annotations

from typing import Any

from fastapi.responses import JSONResponse

from billtrack.entrypoints.wire.answers import Answer
from billtrack.entrypoints.wire.json_encoding import encode_bytes


class ContractJSONResponse(JSONResponse):
    def render(self, content: Any) -> bytes:
        if isinstance(content, Answer):
            content = content.wire()
        return encode_bytes(content)


class ProblemResponse(ContractJSONResponse):
    media_type = "application/problem+json"


def answer(
    content: Any, status_code: int = 200, headers: dict[str, str] | None = None
) -> ContractJSONResponse:
    return ContractJSONResponse(content, status_code=status_code, headers=headers)
