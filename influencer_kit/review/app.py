"""The review app's routes (Starlette): pages over the registry and one run, a POST per
correction, each made through `influencer_kit.registry.corrections`, the same functions the
command line calls, inside one registry transaction and recorded with its author, and the
sign-in and sign-out of accounts (`access.py` decides who may see and change what)."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from jinja2 import Environment, PackageLoader, select_autoescape
from omegaconf import OmegaConf
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from influencer_kit.plugin import manager
from influencer_kit.people.close_calls import NEAR_MARGIN
from influencer_kit.registry import corrections
from influencer_kit.registry.embedders import mismatch_message
from influencer_kit.registry.pairs import close_pairs
from influencer_kit.registry.database import Location
from influencer_kit.registry.store import Registry, User
from influencer_kit.review import views
from influencer_kit.errors import ApplyError, RegistryError, RequestError
from influencer_kit.review.access import SIGN_IN, SIGN_OUT, Access
from influencer_kit.review.accounts import check_password
from influencer_kit.review.apply import apply
from influencer_kit.review.forms import Form, check_version, read_form
from influencer_kit.review.run_folder import RunFolder
from influencer_kit.review.sessions import Sessions
from influencer_kit.review.throttle import SignInThrottle

STATIC = Path(__file__).parent / "static"


@dataclass
class Review:
    """What one app instance works on."""

    registry: Location  # a SQLite file, or a postgresql:// URI
    run: RunFolder | None
    embedder_key: str  # the embeddings compared for "same person?" pairs
    same_person: float  # the embedder's same-person distance
    token: str  # the cross-site token of forms made without a session
    sign_in: bool = False  # the registry had accounts when the app started: sign-in is needed from then on

    def open(self) -> Registry:
        return Registry(self.registry)


def pages() -> Environment:
    env = Environment(loader=PackageLoader("influencer_kit.review"), autoescape=select_autoescape(default=True))
    env.filters["num"] = lambda v, digits=2: "–" if v is None else f"{float(v):,.{digits}f}"
    env.filters["short"] = lambda sha: str(sha)[:10]
    return env


def local(url: str) -> str:
    """`url` when it is a path of this app, else "/" (no redirect leads to another site)."""
    return url if url.startswith("/") and not url.startswith(("//", "/\\")) else "/"


def author(request: Request) -> str:
    """Who makes the request's corrections: the signed-in user, '' without accounts."""
    return request.state.user.name if request.state.user else ""


def create_app(review: Review, https: bool = False) -> Starlette:
    """The app; `https`: it is reached over HTTPS (session cookies are Secure)."""
    env = pages()
    sessions, throttle = Sessions(https), SignInThrottle()

    def done(request: Request, url: str) -> Response:
        """After a POST: to the page that shows the result (htmx navigates there itself)."""
        if request.headers.get("hx-request"):
            return Response(status_code=200, headers={"HX-Redirect": url})
        return RedirectResponse(url, 303)

    def page(template: str, request: Request, status: int = 200, headers: dict[str, str] | None = None,
             **values: object) -> HTMLResponse:
        with review.open() as registry:
            version = registry.last_correction()
        state = request.state
        html = env.get_template(template).render(**{
            "request": request, "review": review, "csrf": state.csrf, "user": state.user, "editor": state.editor,
            "version": version, "said": request.query_params.get("said", ""), **values})
        return HTMLResponse(html, status_code=status, headers=headers)

    def message(request: Request, text: str, status: int, reload: bool = False) -> HTMLResponse:
        referer = urlsplit(request.headers.get("referer", "/"))
        back = (referer.path or "/") + (f"?{referer.query}" if referer.query else "")
        return page("message.html", request, status=status, code=status, text=text, reload=reload, back=back)

    def people(request: Request) -> Response:
        sort, show = request.query_params.get("sort", "rank"), request.query_params.get("show", "all")
        with review.open() as registry:
            cards = views.people_cards(registry, review.run)
        return page("people.html", request, cards=views.shown_cards(cards, sort, show), everyone=cards,
                    sort=sort, show=show, sorts=list(views.SORTS), filters=list(views.FILTERS))

    def person(request: Request) -> Response:
        pid = request.path_params["pid"]
        with review.open() as registry:
            try:
                data = views.person_page(registry, review.run, pid)
            except RegistryError:
                return message(request, f"No person {pid} in the registry.", 404)
            if data.person.id != pid:
                return RedirectResponse(f"/person/{data.person.id}?" + urlencode({"said": f"{pid} is {data.person.id} now"}), 303)
            others = [p for p in registry.people() if p.id != data.person.id]
        return page("person.html", request, data=data, others=others)

    def pairs(request: Request) -> Response:
        with review.open() as registry:
            found = close_pairs(registry, review.embedder_key, review.same_person * NEAR_MARGIN)
            cards = {c.id: c for c in views.people_cards(registry, review.run)}
        return page("pairs.html", request, pairs=found, cards=cards, within=review.same_person * NEAR_MARGIN)

    def close_calls(request: Request) -> Response:
        with review.open() as registry:
            rows = views.close_call_rows(review.run, registry)
            now = views.current_ids(registry)
            cards = {c.id: c for c in views.people_cards(registry, review.run)}
        links = review.run.video_links() if len(rows) else []
        records = [dict(r, link=links[i]) for i, r in zip(rows.index, rows.to_dict("records"))] if len(rows) else []
        return page("close_calls.html", request, rows=records, now=now, cards=cards)

    def creatives(request: Request) -> Response:
        groups = views.creative_groups(review.run)
        shown = groups[:views.CREATIVES_SHOWN]
        return page("creatives.html", request, groups=shown, more=len(groups) - len(shown))

    def split_creative(registry: Registry, form: Form, request: Request) -> str:
        group = views.find_creative(review.run, form.one("creative"))
        return corrections.split_creative(registry, group.id, form.all("video"), group.videos, author=author(request))

    def join_creatives(registry: Registry, form: Form, request: Request) -> str:
        first, second = (views.find_creative(review.run, form.one(key)) for key in ("creative", "other"))
        return corrections.join_creatives(registry, first.id, first.videos[0], second.id, second.videos[0],
                                          author=author(request))

    def history(request: Request) -> Response:
        with review.open() as registry:
            log = list(reversed(registry.corrections()))
            undone = corrections.undone(registry)
        return page("history.html", request, log=log, undone=undone, describe=corrections.describe)

    def face(request: Request) -> Response:
        with review.open() as registry:
            found = registry.face(request.path_params["face_id"])
        if found is None:
            return Response("no such face", 404, media_type="text/plain")
        return Response(found.jpeg, media_type="image/jpeg", headers={"Cache-Control": "max-age=3600"})

    def correction(make: Callable[[Registry, Form, Request], str], then: Callable[[Request, Form], str]):
        """A POST that makes corrections: the token checked, then, in one registry transaction, the
        page's version checked and the correction made; back to `then` with what was done."""
        async def handle(request: Request) -> Response:
            def correct(form: Form) -> str:
                with review.open() as registry, registry.write():
                    check_version(registry, form)
                    return make(registry, form, request)
            try:
                form = await read_form(request, request.state.csrf)
                said = await run_in_threadpool(correct, form)
            except RequestError as err:
                return await run_in_threadpool(message, request, str(err), err.status, err.reload)
            except RegistryError as err:
                return await run_in_threadpool(message, request, str(err), 400)
            target = then(request, form)
            return done(request, target + ("&" if "?" in target else "?") + urlencode({"said": said}))
        return handle

    def merge_selected(registry: Registry, form: Form, request: Request) -> str:
        chosen = sorted({registry.person(p).id for p in form.all("person")}, key=lambda p: registry.person(p).number)
        if len(chosen) < 2:
            raise RegistryError("choose at least two people to merge")
        keep = form.one("keep") or chosen[0]
        return "; ".join(corrections.merge(registry, keep, other, author=author(request))
                         for other in chosen if other != keep)

    def split(registry: Registry, form: Form, request: Request) -> str:
        into = "" if form.one("into", "new") == "new" else form.one("into")
        return corrections.split(registry, request.path_params["pid"], [int(f) for f in form.all("face")],
                                 form.all("video"), into, form.one("name"), author=author(request))

    def back(request: Request, form: Form) -> str:
        return local(form.one("back", "/"))

    async def apply_run(request: Request) -> Response:
        try:
            await read_form(request, request.state.csrf)
            if review.run is None:
                raise RequestError("no run is shown: start the app with --run OUTPUT_DIR to apply corrections", 400)
            applied = await run_in_threadpool(apply, review.run, review.registry)
        except RequestError as err:
            return await run_in_threadpool(message, request, str(err), err.status, err.reload)
        except ApplyError as err:
            return await run_in_threadpool(message, request, f"Apply failed: {err}", err.status)
        said = f"Applied in {applied.seconds:.1f} s: " + " · ".join(applied.summary[:2])
        return done(request, "/?" + urlencode({"sort": "rank", "said": said}))

    async def not_found(request: Request, exc: Exception) -> Response:
        return await run_in_threadpool(message, request, f"Nothing at {request.url.path}.", 404)

    async def refuse(request: Request, text: str, status: int) -> Response:
        return await run_in_threadpool(message, request, text, status)

    def sign_in_page(request: Request, status: int = 200, error: str = "", name: str = "",
                     headers: dict[str, str] | None = None) -> Response:
        if not request.state.accounts:
            return RedirectResponse("/", 303)
        wanted = request.query_params.get("next", "/")
        return page("sign_in.html", request, status, headers, error=error, name=name, next=wanted)

    async def sign_in(request: Request) -> Response:
        """Check a name and password, slowed down after repeated failures (`throttle.py`)."""
        try:
            form = await read_form(request, review.token)
        except RequestError as err:
            return await refuse(request, str(err), err.status)
        name, wanted = form.one("name"), form.one("next", "/")
        keys = [f"user:{name.casefold()}", f"address:{request.client.host if request.client else ''}"]
        wait = throttle.wait_s(keys)
        if wait:
            text = f"Too many failed sign-ins for this name or from this address: try again in {wait} s."
            return await run_in_threadpool(sign_in_page, request, 429, text, name, {"Retry-After": str(wait)})

        def check() -> User | None:
            with review.open() as registry:
                return check_password(registry, name, form.fields.get("password", [""])[0])
        user = await run_in_threadpool(check)
        if user is None:
            throttle.failed(keys)
            return await run_in_threadpool(sign_in_page, request, 401, "Wrong name or password.", name)
        throttle.succeeded(keys)
        response = done(request, local(wanted))
        sessions.start(response, request, user.name)
        return response

    async def sign_out(request: Request) -> Response:
        try:
            await read_form(request, request.state.csrf)
        except RequestError as err:
            return await refuse(request, str(err), err.status)
        response = done(request, SIGN_IN if request.state.accounts else "/")
        session = sessions.read(request)
        if session is not None:
            sessions.end(response, request, session)
        return response

    routes = [
        Route("/", people),
        Route("/person/{pid}", person),
        Route("/pairs", pairs),
        Route("/close-calls", close_calls),
        Route("/creatives", creatives),
        Route("/history", history),
        Route("/face/{face_id:int}.jpg", face),
        Route(SIGN_IN, sign_in_page),
        Route(SIGN_IN, sign_in, methods=["POST"]),
        Route(SIGN_OUT, sign_out, methods=["POST"]),
        Route("/rename/{pid}", correction(lambda r, f, q: corrections.rename(
            r, q.path_params["pid"], f.one("name"), author=author(q)), back), methods=["POST"]),
        Route("/ignore/{pid}", correction(lambda r, f, q: corrections.ignore(
            r, q.path_params["pid"], f.one("ignored") == "1", author=author(q)), back), methods=["POST"]),
        Route("/merge", correction(merge_selected, back), methods=["POST"]),
        Route("/split/{pid}", correction(split, back), methods=["POST"]),
        Route("/different", correction(lambda r, f, q: corrections.different(
            r, f.one("a"), f.one("b"), author=author(q)), back), methods=["POST"]),
        Route("/confirm", correction(lambda r, f, q: corrections.confirm(
            r, f.one("person"), f.one("video"), author=author(q)), back), methods=["POST"]),
        Route("/undo/{correction_id:int}", correction(lambda r, f, q: corrections.undo(
            r, q.path_params["correction_id"], author=author(q)), back), methods=["POST"]),
        Route("/creatives/split", correction(split_creative, back), methods=["POST"]),
        Route("/creatives/join", correction(join_creatives, back), methods=["POST"]),
        Route("/apply", apply_run, methods=["POST"]),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]
    return Starlette(routes=routes, exception_handlers={404: not_found},
                     middleware=[Middleware(Access, review=review, sessions=sessions, refuse=refuse)])


def embedder_for(registry: Registry, run: RunFolder | None) -> tuple[str, float]:
    """The embedder key whose embeddings the app compares (the run's, else the registry's most
    used) and that embedder's same-person distance. Raises `RegistryError` for a registry whose
    faces have no embeddings of the run's embedder."""
    held = registry.embedder_keys()
    key = run.embedder_key() if run is not None and run.config is not None else max(held, key=held.get, default="")
    missing = registry.faces_without(key) if key else []
    if missing and run is not None:
        raise RegistryError(mismatch_message(registry, OmegaConf.to_container(run.config.embedder, resolve=True),
                                             len(missing)))
    config = registry.embedder_config(key) if key else None
    return key, manager.embedder_distance(config).threshold if config else 0.0  # no embeddings: no pairs
