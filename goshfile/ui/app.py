"""The dashboard as a Starlette app: server-rendered pages, POST-only actions, a live job stream.

:func:`create_app` returns a plain Starlette application, so one process can
mount it beside another (the node's HTTP API) under its own path. Pages are
Jinja2 templates with autoescaping on: every label, name and path an image
brings is shown as text. Forms work without JavaScript; the script only turns
a job page's log into a live one (server-sent events).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import jinja2
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response, StreamingResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from goshfile.errors import EngineError, GoshfileError, InputError
from goshfile.ui.dashboard import Dashboard
from goshfile.ui.evidence import FILTERS, Status, short
from goshfile.ui.jobs import Job, JobState
from goshfile.ui.security import CSRF_FIELD, Access, AccessMiddleware, refusal

HERE = Path(__file__).parent
NOTICES = {"added": "The signer is now in your trusted signers.", "already": "The signer was trusted already."}
BADGES = {
    Status.VERIFIED: "ok",
    Status.WARNING: "warn",
    Status.FAILING: "bad",
    Status.UNSIGNED: "none",
    Status.ERROR: "bad",
}


def _templates() -> Jinja2Templates:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=True,  # every template, whatever its name
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["short"] = short
    env.globals["badge"] = lambda status: BADGES.get(status, "none")
    return Jinja2Templates(env=env)


def create_app(dashboard: Dashboard, access: Access) -> Starlette:
    """The dashboard's ASGI application, guarded by ``access``."""
    templates = _templates()

    def page(request: Request, name: str, status: int = 200, **context: Any) -> Response:
        context = {"csrf": access.csrf, "base": _base(request), **context}
        return templates.TemplateResponse(request, name, context, status_code=status)

    def problem(request: Request, exc: GoshfileError) -> Response:
        status = 400 if isinstance(exc, InputError) else 502 if isinstance(exc, EngineError) else 409
        return page(request, "problem.html", status, message=" ".join(str(exc).split()))

    async def checked_form(request: Request) -> dict[str, str] | None:
        form = await request.form()
        values = {k: v for k, v in form.items() if isinstance(v, str)}
        return values if access.valid_csrf(values.get(CSRF_FIELD)) else None

    def images(request: Request) -> Response:
        show = request.query_params.get("show", "all")
        query = request.query_params.get("q", "")
        repository = request.query_params.get("registry", "")
        try:
            listing = dashboard.listing(show if show in FILTERS else "all", query, repository)
        except GoshfileError as exc:
            return problem(request, exc)
        return page(
            request, "images.html", listing=listing, show=show, q=query, registry=repository, filters=list(FILTERS)
        )

    def image(request: Request) -> Response:
        ref = request.query_params.get("ref", "")
        if not ref:
            return RedirectResponse(_base(request) + "/", status_code=303)
        try:
            found = dashboard.image(ref)
        except GoshfileError as exc:
            return problem(request, exc)
        jobs = dashboard.jobs.for_image(ref)
        notice = NOTICES.get(request.query_params.get("trusted", ""), "")
        hashes = dashboard.hashes_of(found.image_id)
        return page(request, "image.html", image=found, jobs=jobs, hashes=hashes, notice=notice)

    async def action(request: Request) -> Response:
        form = await checked_form(request)
        if form is None:
            return refusal(403, "goshfile ui: this action needs the form of a dashboard page (CSRF check failed)")
        ref, what = form.get("ref", ""), request.path_params["what"]
        try:
            if what == "validate":
                job = await run_in_threadpool(dashboard.start_validation, ref)
                return RedirectResponse(f"{_base(request)}/jobs/{job.id}", status_code=303)
            if what == "hashes":
                job = await run_in_threadpool(dashboard.start_hashes, ref)
                return RedirectResponse(f"{_base(request)}/jobs/{job.id}", status_code=303)
            if what == "trust":
                _signer, new = await run_in_threadpool(dashboard.trust, ref, form.get("name", ""))
                done = "added" if new else "already"
                return RedirectResponse(f"{_base(request)}/image?{_query(ref=ref, trusted=done)}", status_code=303)
        except GoshfileError as exc:
            return problem(request, exc)
        return refusal(404, "goshfile ui: no such action")

    def jobs(request: Request) -> Response:
        return page(request, "jobs.html", jobs=dashboard.jobs.all())

    def job(request: Request) -> Response:
        found = dashboard.jobs.get(request.path_params["job_id"])
        if found is None:
            return refusal(404, "goshfile ui: no such job (jobs live as long as the dashboard process)")
        lines, _ = found.since(0)
        return page(request, "job.html", job=found, lines=lines, running=found.state is JobState.RUNNING)

    async def events(request: Request) -> Response:
        found = dashboard.jobs.get(request.path_params["job_id"])
        if found is None:
            return refusal(404, "goshfile ui: no such job")
        start = request.headers.get("last-event-id") or request.query_params.get("from") or "0"
        begin = int(start) + 1 if request.headers.get("last-event-id", "").isdigit() else _int(start)
        return StreamingResponse(_stream(found, begin), media_type="text/event-stream")

    routes = [
        Route("/", images),
        Route("/image", image),
        Route("/image/{what}", action, methods=["POST"]),
        Route("/jobs", jobs),
        Route("/jobs/{job_id}", job),
        Route("/jobs/{job_id}/events", events),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]
    app = Starlette(routes=routes)
    app.add_middleware(AccessMiddleware, access=access)
    app.state.dashboard = dashboard
    return app


def _base(request: Request) -> str:
    """The path the app is mounted at ("" at the root), for links and redirects."""
    return str(request.scope.get("root_path", "")).rstrip("/")


def _int(text: str) -> int:
    return int(text) if text.isdigit() else 0


def _query(**params: str) -> str:
    return urlencode(params)


async def _stream(job: Job, begin: int, poll: float = 0.25) -> AsyncIterator[str]:
    """Server-sent events: one ``line`` event per progress line (id = its number), then ``done``."""
    index = begin
    while True:
        lines, done = job.since(index)
        for number, text in lines:
            yield f"id: {number}\nevent: line\ndata: {text}\n\n"
            index = number + 1
        if done and not job.since(index)[0]:
            outcome = job.outcome
            final = {
                "state": job.state.value,
                "verdict": outcome.verdict if outcome else job.state.value,
                "details": list(outcome.details) if outcome else [],
            }
            yield f"event: done\ndata: {json.dumps(final)}\n\n"
            return
        await asyncio.sleep(poll)
