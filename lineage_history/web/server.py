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
    summaries: dict[Any, Any] = field(default_factory=dict)

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


class _Redirect(Exception):
    def __init__(self, url: str) -> None:
        super().__init__(url)
        self.url = url


def _page(site: Site, make: Callable[[QueryHandle, Request], str]) -> Callable[..., Response]:
    def endpoint(request: Request) -> Response:
        try:
            with site.handle() as handle:
                return _html(make(handle, request))
        except _Redirect as moved:
            return RedirectResponse(moved.url)
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


def _q(request: Request, name: str, default: str | None = None) -> str | None:
    return request.query_params.get(name) or default


def _routes(site: Site) -> list[Route | Mount]:
    links = site.links
    home = _page(
        site,
        lambda h, r: pages.home_page(
            h,
            links,
            _q(r, "dag"),
            branch=_q(r, "branch"),
            changed_only=_flag(r, "changed"),
            page=_page_number(r),
            cache=site.counts,
            summaries=site.summaries,
        ),
    )
    views: dict[str, Callable[[QueryHandle, Request, str, str], str]] = {
        "at": lambda h, r, dag, rev: pages.graph_page(h, links, dag, rev, _tags(r)),
        "diff": lambda h, r, dag, spec: pages.diff_page(h, links, dag, spec),
        "node": lambda h, r, dag, name: pages.node_page(
            h, links, dag, name, _q(r, "rev", "HEAD") or "HEAD", _flag(r, "follow")
        ),
    }

    def dag_view(handle: QueryHandle, request: Request) -> str:
        rest = request.path_params["rest"]
        found = pages.split_dag_path(handle, rest, tuple(views))
        if found is None:  # `/dag/NAME`: its timeline
            raise _Redirect(links.home(pages.known_dag(handle, rest)) or "/")
        dag, kind, argument = found
        return views[kind](handle, request, dag, argument)

    return [
        Route("/", home),
        Route("/dag/{rest:path}", _page(site, dag_view)),
        *_api_routes(site),
        Mount("/static", StaticFiles(directory=str(STATIC)), name="static"),
    ]


def _api_routes(site: Site) -> list[Route]:
    questions: dict[str, Callable[[QueryHandle, Request, str, str], Any]] = {
        "show": lambda h, r, dag, rev: pages.show_json(h, dag, rev, _tags(r)),
        "diff": lambda h, r, dag, spec: pages.diff_json(h, dag, spec),
        "log": lambda h, r, dag, name: pages.log_json(
            h, dag, name, _q(r, "rev", "HEAD") or "HEAD", _flag(r, "follow")
        ),
        "upstream": lambda h, r, dag, name: pages.related_json(
            h, dag, name, _q(r, "at", "HEAD") or "HEAD", _tags(r), True
        ),
        "downstream": lambda h, r, dag, name: pages.related_json(
            h, dag, name, _q(r, "at", "HEAD") or "HEAD", _tags(r), False
        ),
    }

    def question(handle: QueryHandle, request: Request) -> Any:
        found = pages.split_dag_path(handle, request.path_params["rest"], tuple(questions))
        if found is None:
            raise pages.NotFound(f"there is no question at {request.url.path}")
        dag, kind, argument = found
        return questions[kind](handle, request, dag, argument)

    def dags(handle: QueryHandle, request: Request) -> Any:
        root = str(handle.repo.root) if handle.repo is not None else None
        return pages.dags_json(root, site.db, _q(request, "rev", "HEAD") or "HEAD")

    return [
        Route("/api/openapi.json", lambda r: _json(openapi.document())),
        Route("/api/status", _api(site, lambda h, r: pages.status_json(h))),
        Route("/api/dags", _api(site, dags)),
        Route("/api/dag/{rest:path}", _api(site, question)),
    ]


def _warm(site: Site) -> None:
    """Make the first page once while the server starts (the DAG list, the first timeline,
    the compiled templates), so that a person's first request is as quick as the next."""
    with contextlib.suppress(Exception), site.handle() as handle:
        pages.home_page(handle, site.links, None, cache=site.counts, summaries=site.summaries)


def create_app(repo: str | None, db: str | None, host: str = "127.0.0.1") -> Starlette:
    site = Site(repo, db)
    with site.handle():
        pass  # a missing database or repository fails here, before the server starts
    threading.Thread(target=_warm, args=(site,), daemon=True).start()

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
