"""A local HTTP server that answers each path from a table of routes."""
from __future__ import annotations

from collections.abc import Callable

from conftest import CountingServer, RouteHandler

Route = Callable[["Handler", int], None]  # (handler, how many times this path was asked for)


class VideoServer(CountingServer):
    """A local HTTP server with one route per path."""

    def __init__(self, routes: dict[str, Route]) -> None:
        super().__init__(Handler)
        self.routes = routes


class Handler(RouteHandler):
    """Answers from the server's routes; a path without one is not found."""

    server: VideoServer

    def route(self, path: str, hits: int) -> None:
        self.server.routes.get(path, not_found)(self, hits)


def not_found(handler: Handler, hits: int) -> None:
    handler.reply(404, b"not found", content_type="text/plain")


def serving(body: bytes, **options: object) -> Route:
    return lambda handler, hits: handler.reply(200, body, **options)
