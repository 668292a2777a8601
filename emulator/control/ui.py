"""The dashboard: static HTML, CSS and JavaScript modules shipped inside the
package (emulator/control/ui/), served at /_emulator/ui/ with no build step
and nothing fetched from the network. A browser opening / lands there."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException

UI_PATH = "/_emulator/ui/"
UI_DIR = Path(__file__).parent / "ui"


class _Assets(StaticFiles):
    """Revalidated on every load, so an upgraded emulator never serves a
    stale page from the browser's cache."""

    def file_response(self, *args, **kwargs):
        response = super().file_response(*args, **kwargs)
        response.headers["Cache-Control"] = "no-cache"
        return response


async def _root(request: Request):
    # Only a browser asking for a page is sent on; an API client asking for /
    # still gets the control plane's 404.
    if "text/html" in request.headers.get("accept", ""):
        return RedirectResponse(UI_PATH, status_code=307)
    raise HTTPException(404)


async def _slash(request: Request):
    # Trailing-slash redirects are off app-wide; the page's folder is the one
    # path that gets one (relative: never built from the Host header).
    return RedirectResponse(UI_PATH, status_code=307)


def install(app: FastAPI) -> None:
    app.add_api_route("/", _root, methods=["GET", "HEAD"], include_in_schema=False)
    app.add_api_route(UI_PATH.rstrip("/"), _slash, methods=["GET", "HEAD"], include_in_schema=False)
    app.mount(UI_PATH.rstrip("/"), _Assets(directory=UI_DIR, html=True), name="ui")
