"""`serve`: the pages and the JSON on Starlette, served by uvicorn. Each request opens its own
read-only query handle (in the worker thread that answers it) and closes it; nothing here
checks out or builds anything. Static files come only from the package's static directory."""

from __future__ import annotations

import contextlib
import signal
import socket
import sys
import threading
import webbrowser
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from lineage_history.queries.handle import QueryHandle, open_for_query
from lineage_history.queries.timeline import CountsCache
from lineage_history.web import openapi, pages
from lineage_history.web.render import STATIC
from lineage_history.web.views import Links

LOOPBACK = ("127.0.0.1", "localhost", "::1", "[::1]")
# Scripts and styles only from this server: a string that escaped escaping still runs nothing.
_SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; "
        "frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


@dataclass
class Site:
    """What every request needs: where the database and repository are, and the counts cache."""

    repo: str | None
    db: str | None
    links: Links = field(default_factory=Links)
    counts: CountsCache = field(default_factory=dict)

    @contextlib.contextmanager
    def handle(self) -> Iterator[QueryHandle]:
        handle = open_for_query(self.repo, self.db)
        try:
            yield handle
        finally:
            handle.close()


def _html(text: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(text, status_code=status, headers=_SECURITY_HEADERS)


def _json(data: Any, status: int = 200) -> JSONResponse:
    return JSONResponse(data, status_code=status, headers=_SECURITY_HEADERS)


def _page(site: Site, make: Callable[[QueryHandle, Request], str]) -> Callable[..., Response]:
    def endpoint(request: Request) -> Response:
        try:
            with site.handle() as handle:
                return _html(make(handle, request))
        except pages.NotFound as missing:
            return _html(pages.not_found_page(site.links, str(missing)), 404)

    return endpoint


def _api(site: Site, make: Callable[[QueryHandle, Request], Any]) -> Callable[..., Response]:
    def endpoint(request: Request) -> Response:
        try:
            with site.handle() as handle:
                return _json(make(handle, request))
        except pages.NotFound as missing:
            return _json({"error": str(missing)}, 404)

    return endpoint


def _tags(request: Request) -> list[str]:
    return [t for value in request.query_params.getlist("tag") for t in value.split() if t]


def _flag(request: Request, name: str) -> bool:
    return request.query_params.get(name, "") not in ("", "0", "false")


def _page_number(request: Request) -> int:
    text = request.query_params.get("page", "1")
    return int(text) if text.isdigit() else 1


def _routes(site: Site) -> list[Route | Mount]:
    links, p = site.links, lambda r, name: r.path_params[name]
    q = lambda r, name, default=None: r.query_params.get(name) or default  # noqa: E731
    home = _page(
        site,
        lambda h, r: pages.home_page(
            h,
            links,
            q(r, "dag"),
            branch=q(r, "branch"),
            changed_only=_flag(r, "changed"),
            page=_page_number(r),
            cache=site.counts,
        ),
    )

    def dag_home(request: Request) -> Response:
        return RedirectResponse(links.home(request.path_params["dag"]) or "/")

    return [
        Route("/", home),
        Route("/dag/{dag}", dag_home),
        Route(
            "/dag/{dag}/at/{rev:path}",
            _page(
                site, lambda h, r: pages.graph_page(h, links, p(r, "dag"), p(r, "rev"), _tags(r))
            ),
        ),
        Route(
            "/dag/{dag}/diff/{spec:path}",
            _page(site, lambda h, r: pages.diff_page(h, links, p(r, "dag"), p(r, "spec"))),
        ),
        Route(
            "/dag/{dag}/node/{name:path}",
            _page(
                site,
                lambda h, r: pages.node_page(
                    h, links, p(r, "dag"), p(r, "name"), q(r, "rev", "HEAD"), _flag(r, "follow")
                ),
            ),
        ),
        *_api_routes(site),
        Mount("/static", StaticFiles(directory=str(STATIC)), name="static"),
    ]


def _api_routes(site: Site) -> list[Route]:
    p = lambda r, name: r.path_params[name]  # noqa: E731
    q = lambda r, name, default=None: r.query_params.get(name) or default  # noqa: E731

    def related(up: bool) -> Callable[..., Response]:
        return _api(
            site,
            lambda h, r: pages.related_json(
                h, p(r, "dag"), p(r, "name"), q(r, "at", "HEAD"), _tags(r), up
            ),
        )

    def dags(handle: QueryHandle, request: Request) -> Any:
        root = str(handle.repo.root) if handle.repo is not None else None
        return pages.dags_json(root, site.db, q(request, "rev", "HEAD"))

    return [
        Route("/api/openapi.json", lambda r: _json(openapi.document())),
        Route("/api/status", _api(site, lambda h, r: pages.status_json(h))),
        Route("/api/dags", _api(site, dags)),
        Route(
            "/api/dag/{dag}/show/{rev:path}",
            _api(site, lambda h, r: pages.show_json(h, p(r, "dag"), p(r, "rev"), _tags(r))),
        ),
        Route(
            "/api/dag/{dag}/diff/{spec:path}",
            _api(site, lambda h, r: pages.diff_json(h, p(r, "dag"), p(r, "spec"))),
        ),
        Route(
            "/api/dag/{dag}/log/{name:path}",
            _api(
                site,
                lambda h, r: pages.log_json(
                    h, p(r, "dag"), p(r, "name"), q(r, "rev", "HEAD"), _flag(r, "follow")
                ),
            ),
        ),
        Route("/api/dag/{dag}/upstream/{name:path}", related(True)),
        Route("/api/dag/{dag}/downstream/{name:path}", related(False)),
    ]


def create_app(repo: str | None, db: str | None, host: str = "127.0.0.1") -> Starlette:
    site = Site(repo, db)
    with site.handle():
        pass  # a missing database or repository fails here, before the server starts

    async def not_found(request: Request, exc: Exception) -> Response:
        status = exc.status_code if isinstance(exc, HTTPException) else 500
        message = f"there is no page at {request.url.path}"
        if request.url.path.startswith("/api/"):
            return _json({"error": message}, status)
        return _html(pages.not_found_page(site.links, message), status)

    hosts = ["*"] if host in ("0.0.0.0", "::", "") else [*LOOPBACK, host]
    return Starlette(
        routes=_routes(site),
        exception_handlers={404: not_found, 405: not_found},
        middleware=[Middleware(TrustedHostMiddleware, allowed_hosts=hosts)],
    )


def serve(
    repo: str | None, db: str | None, host: str, port: int, open_browser: bool = False
) -> None:
    """Serve until Ctrl-C or SIGTERM; prints the URL once listening."""
    import uvicorn

    app = create_app(repo, db, host)
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(128)  # connections wait in the backlog until uvicorn accepts them
    bound = sock.getsockname()[1]
    shown = f"[{host}]" if ":" in host else host
    url = f"http://{shown}:{bound}/"
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off")
    server = uvicorn.Server(config)

    def stop(signum: int, frame: object) -> None:
        server.should_exit = True

    # Ours before uvicorn's (which it restores, then re-raises the signal to): a signal at
    # any moment, even before the loop runs, ends the server with status 0.
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, stop)
    print(f"serving {url} (Ctrl-C to stop)", flush=True)
    if open_browser:
        threading.Timer(0.5, webbrowser.open, (url,)).start()
    server.run(sockets=[sock])
    sys.stdout.flush()
