"""Who may do what, decided before any page or POST: with no accounts in the registry (one person
on a laptop, the app on 127.0.0.1), everyone does everything; with accounts, every path but the
sign-in page and the static files needs a signed-in user (a page: to the sign-in page; a POST:
403), and a viewer's POST (every change, and Apply) is 403. The routes find in `request.state`:
`accounts` (sign-in needed), `user` (None without), `editor` (may change things) and `csrf` (the
token the request's forms carry)."""
from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING
from urllib.parse import urlencode

from starlette.concurrency import run_in_threadpool
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.types import ASGIApp

from influencer_kit.registry.store import User
from influencer_kit.review.accounts import EDITOR
from influencer_kit.review.sessions import Sessions

if TYPE_CHECKING:
    from influencer_kit.review.app import Review

SIGN_IN, SIGN_OUT, STATIC = "/sign-in", "/sign-out", "/static/"


class Access(BaseHTTPMiddleware):
    def __init__(self, app: ASGIApp, review: Review, sessions: Sessions,
                 refuse: Callable[[Request, str, int], Awaitable[Response]]) -> None:
        super().__init__(app)
        self.review, self.sessions, self.refuse = review, sessions, refuse

    def signed_in(self, request: Request) -> tuple[bool, User | None, str]:
        """Whether this app needs sign-in (accounts at its start, or now), the request's user (None
        when signed out), and the cross-site token its forms carry (the session's; else the app's)."""
        session = self.sessions.read(request)
        with self.review.open() as registry:
            needed = self.review.sign_in or bool(registry.users())
            user = registry.user(session.user) if needed and session else None
        return needed, user, session.csrf if user is not None else self.review.token

    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        state, path, post = request.state, request.url.path, request.method not in ("GET", "HEAD")
        if path.startswith(STATIC):  # no registry opened for a stylesheet
            state.accounts, state.user, state.csrf, state.editor = True, None, self.review.token, False
            return await call_next(request)
        state.accounts, user, state.csrf = await run_in_threadpool(self.signed_in, request)
        state.user, state.editor = None, False
        if path == SIGN_IN:  # its form carries the app's token: there is no session yet
            state.csrf = self.review.token
            return await call_next(request)
        if state.accounts and user is None:
            if post:
                return await self.refuse(request, "Sign in first: this app has accounts, and this request came "
                                                  "without a signed-in session.", 403)
            wanted = path + (f"?{request.url.query}" if request.url.query else "")
            return RedirectResponse(f"{SIGN_IN}?" + urlencode({"next": wanted}), 303)
        state.user, state.editor = user, user is None or user.role == EDITOR
        if not state.editor and post and path != SIGN_OUT:
            return await self.refuse(request, f"{user.name} is a viewer: viewers see everything but cannot "
                                              f"change anything. Ask an editor.", 403)
        return await call_next(request)
