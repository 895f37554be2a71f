"""Every POST of the review app: its form read, its cross-site token checked, and its page version
compared with the registry's, so a correction made from a page someone else has since changed is
refused with a message instead of acting on what the page showed."""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from urllib.parse import parse_qs

from starlette.requests import Request

from influencer_kit.errors import RegistryConflict, RequestError
from influencer_kit.registry.store import Registry

MAX_FORM_BYTES = 1_000_000


@dataclass(frozen=True)
class Form:
    """A POSTed form: every value of each field."""

    fields: dict[str, list[str]]

    def one(self, name: str, default: str = "") -> str:
        return self.fields.get(name, [default])[0].strip()

    def all(self, name: str) -> list[str]:
        return [v.strip() for v in self.fields.get(name, []) if v.strip()]


def new_token() -> str:
    """The token every form of this app instance carries; another site cannot read it."""
    return secrets.token_urlsafe(32)


async def read_form(request: Request, token: str) -> Form:
    """The POSTed form, after the cross-site checks: the browser must not call the request
    cross-site, and the form must carry `token` (its session's, or this app instance's)."""
    if request.headers.get("sec-fetch-site") == "cross-site":
        raise RequestError("refused: this request came from another site", 403)
    body = await request.body()
    if len(body) > MAX_FORM_BYTES:
        raise RequestError("refused: the form is too large", 413)
    fields = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
    if not secrets.compare_digest(fields.get("csrf", [""])[0], token):
        raise RequestError("This page is out of date (the review app was restarted, or the form did not come "
                        "from it). Reload the page and try again.", 403, reload=True)
    return Form(fields)


def check_version(registry: Registry, form: Form) -> None:
    """Inside the correction's transaction: refuse if the registry has changed since the page was
    shown (another browser, the command line or an import made a correction)."""
    seen = form.one("version")
    try:
        registry.check_version(int(seen) if seen.isdigit() else -1)
    except RegistryConflict as err:
        raise RequestError(f"Someone changed the registry since this page was loaded (newest: {err.newest}). "
                           f"Nothing was changed: reload the page to see the change, then try again.", 409,
                           reload=True) from err
