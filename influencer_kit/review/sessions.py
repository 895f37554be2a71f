"""Signed-in sessions: a cookie signed with a key made at each start of the app (so a restart
signs everyone out), holding the user's name and the session's own cross-site token. HttpOnly,
SameSite=Lax, and Secure when the app is reached over HTTPS (`--https`, or a proxy on this machine
saying so with X-Forwarded-Proto, which uvicorn trusts from 127.0.0.1). A session lasts
`MAX_AGE_S`, or until its sign-out: a signed-out session's cookie is refused even if kept."""
from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass

from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.requests import Request
from starlette.responses import Response

from influencer_kit.review.forms import new_token

COOKIE = "ik_review_session"
MAX_AGE_S = 12 * 3600


@dataclass(frozen=True)
class Session:
    user: str
    csrf: str  # the token every form of this session carries


class Sessions:
    """The sessions of one app instance."""

    def __init__(self, https: bool = False) -> None:
        self.https = https
        self._signer = URLSafeTimedSerializer(secrets.token_urlsafe(32), salt="influencer-kit review session")
        self._ended: dict[str, float] = {}  # csrf token of a signed-out session -> when
        self._lock = threading.Lock()

    def read(self, request: Request) -> Session | None:
        """The request's session, or None (no cookie, a forged or expired one, or signed out)."""
        try:
            data = self._signer.loads(request.cookies.get(COOKIE, ""), max_age=MAX_AGE_S)
        except BadSignature:
            return None
        with self._lock:
            ended = data["csrf"] in self._ended
        return None if ended else Session(data["user"], data["csrf"])

    def start(self, response: Response, request: Request, user: str) -> None:
        """Sign `user` in: a new session (and token) on `response`."""
        value = self._signer.dumps({"user": user, "csrf": new_token()})
        response.set_cookie(COOKIE, value, max_age=MAX_AGE_S, path="/", httponly=True, samesite="lax",
                            secure=self.secure(request))

    def end(self, response: Response, request: Request, session: Session) -> None:
        """Sign out: the session is refused from now on, and the browser drops its cookie."""
        now = time.time()
        with self._lock:
            self._ended = {token: at for token, at in self._ended.items() if now - at < MAX_AGE_S}
            self._ended[session.csrf] = now
        response.delete_cookie(COOKIE, path="/", httponly=True, samesite="lax", secure=self.secure(request))

    def secure(self, request: Request) -> bool:
        return self.https or request.url.scheme == "https"
