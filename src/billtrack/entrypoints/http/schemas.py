"""Schemas of HTTP's problem answers (RFC 9457) and their OpenAPI description."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel


class Problem(BaseModel):
    """An error (RFC 9457), with the original's `code` and `reason`."""

    type: str
    title: str
    status: int
    detail: str
    code: int
    reason: str


class ValidationProblem(BaseModel):
    """Input that broke the rules: `errors` maps each camelCase field to its messages."""

    type: str
    title: str
    status: int
    detail: str
    errors: dict[str, list[str]]
    statusCode: int  # noqa: N815 - the original's name
    message: str


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` for problem+json answers with these statuses."""
    descriptions = {
        400: "Malformed input, or a rule broken by the body, the query or the path",
        401: "No valid bearer token",
        403: "The download link has expired or was altered",
        404: "Unknown id, or soft-deleted",
        409: "Conflict with existing data",
        429: "Too many failed logins; see Retry-After",
        503: "A dependency is down; nothing was written; see Retry-After",
    }
    return {
        status: {
            "description": descriptions[status],
            "content": {
                "application/problem+json": {
                    "schema": (ValidationProblem if status == 400 else Problem).model_json_schema()
                }
            },
        }
        for status in statuses
    }
