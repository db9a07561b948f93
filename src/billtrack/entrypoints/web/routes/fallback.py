"""A page for paths that are no page (the API's own paths keep their problem answers)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Match, Route
from starlette.types import Scope

from billtrack.entrypoints.web.pages import error_page, security_headers


class NotFoundPage(Route):
    """Matches any GET outside `/api` that no route before it took."""

    def __init__(self) -> None:
        super().__init__("/{path:path}", self.not_found, methods=["GET"], include_in_schema=False)

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        path = scope.get("path", "")
        if scope["type"] != "http" or path == "/api" or path.startswith("/api/"):
            return Match.NONE, {}
        return super().matches(scope)

    @staticmethod
    async def not_found(request: Request) -> Response:
        response = error_page(request, 404, "There is no such page.")
        security_headers(response)
        return response
